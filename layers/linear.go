package layers

import (
	"math/rand/v2"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/model"
)

// LinearConfig configures a Linear layer. The zero value is PyTorch's
// nn.Linear: a bias, weights and bias initialised by InitPyTorch.
type LinearConfig struct {
	// NoBias leaves out the bias b.
	NoBias bool
	// Init is how the weights (and bias) are initialised; the zero value is
	// InitPyTorch.
	Init Init
	// RNG is the random source of the initial values. nil draws from
	// math/rand/v2's global source, which is seeded randomly for each
	// process: pass a seeded *rand.Rand for weights that a run can repeat.
	RNG *rand.Rand
}

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

// NewLinear returns a Linear layer called name with in inputs and out
// outputs, configured by c:
//
//	fc1 := layers.NewLinear("fc1", 784, 1000, layers.LinearConfig{RNG: rng})
//
// It panics with a *ConfigError for a size below 1 or an unknown Init.
func NewLinear(name string, in, out int, c LinearConfig) *Linear {
	return must(newLinear(name, in, out, c))
}

func newLinear(name string, in, out int, c LinearConfig) (*Linear, error) {
	if err := check(name, linearSpec(in, out, c.NoBias, c.Init)); err != nil {
		return nil, err
	}
	l := &Linear{name: name, In: in, Out: out, Init: c.Init}
	l.Weight = autograd.NewParam(name+".weight", nil, in, out)
	var b []float32
	if !c.NoBias {
		l.Bias = autograd.NewParam(name+".bias", nil, out)
		b = l.Bias.Data
	}
	c.Init.fill(l.Weight.Data, b, in, out, source(c.RNG))
	return l, nil
}

func init() {
	register(model.KindLinear, func(name string, p model.Payload, rng *rand.Rand) (Layer, error) {
		s := p.(*model.Linear)
		init, err := ParseInit(s.Init)
		if err != nil {
			return nil, &ConfigError{Kind: model.KindLinear, Layer: name, Field: "init", Value: s.Init, Msg: err.Error()}
		}
		return newLinear(name, s.In, s.Out, LinearConfig{NoBias: !s.Bias, Init: init, RNG: rng})
	})
}

func linearSpec(in, out int, noBias bool, init Init) model.Linear {
	return model.Linear{In: in, Out: out, Bias: !noBias, Init: init.String()}
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

// Spec describes the layer for a model file: a model.Linear.
func (l *Linear) Spec() model.Layer {
	return model.NewLayer(l.name, linearSpec(l.In, l.Out, l.Bias == nil, l.Init))
}
