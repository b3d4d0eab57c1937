package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/spikegrad/spikegrad/autograd"
)

// Linear is a fully connected layer: y = x · W + b.
//
// Shapes: x [..., In] (a sequence [T, B, In] is one [T*B, In] product),
// W [In, Out], b [Out], y [..., Out]. The weight is stored input-major,
// [In, Out] (PyTorch's nn.Linear stores [Out, In]; the export to PyTorch-side
// formats transposes it), so that the weight rows of an input are contiguous:
// when x is a binary spike tensor the product adds only the rows of the
// active inputs (autograd's event-driven MatMul).
type Linear struct {
	name    string
	In, Out int
	Weight  *autograd.Param // [In, Out], named "<name>.weight"
	Bias    *autograd.Param // [Out], named "<name>.bias"; nil without a bias
	Init    Init            // how the parameters were initialised
}

// NewLinear returns a Linear layer called name with in inputs and out outputs,
// a bias unless noBias, initialised by init from rng. It returns an error for
// non-positive sizes.
func NewLinear(name string, in, out int, bias bool, init Init, rng *rand.Rand) (*Linear, error) {
	if in <= 0 || out <= 0 {
		return nil, fmt.Errorf("layers: linear %q: sizes must be positive, got in=%d out=%d", name, in, out)
	}
	l := &Linear{name: name, In: in, Out: out, Init: init}
	l.Weight = autograd.NewParam(name+".weight", nil, in, out)
	var b []float32
	if bias {
		l.Bias = autograd.NewParam(name+".bias", nil, out)
		b = l.Bias.Data
	}
	init.fill(l.Weight.Data, b, in, out, rng)
	return l, nil
}

// Name returns the layer's name.
func (l *Linear) Name() string { return l.name }

// Params returns the weight and, if present, the bias.
func (l *Linear) Params() []*autograd.Param {
	if l.Bias == nil {
		return []*autograd.Param{l.Weight}
	}
	return []*autograd.Param{l.Weight, l.Bias}
}

// Forward returns x · W + b for x [..., In]. It panics with an
// *autograd.ShapeError if x's last dimension is not In.
func (l *Linear) Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var {
	y := t.MatMul(x, t.Param(l.Weight))
	if l.Bias != nil {
		y = t.AddBias(y, t.Param(l.Bias))
	}
	return y
}

// Spec describes the layer for a model file.
func (l *Linear) Spec() Spec {
	return Spec{Kind: KindLinear, Name: l.name, In: l.In, Out: l.Out, Bias: l.Bias != nil, Init: l.Init.String()}
}
