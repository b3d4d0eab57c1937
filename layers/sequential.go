package layers

import (
	"fmt"

	"github.com/spikegrad/spikegrad/autograd"
)

// Layer is one stage of a network. Forward runs it over a whole sequence
// [T, B, F] (or, for layers without dynamics, any [..., F]) from its zero
// state. Layers hold parameters but no state: the caller owns neuron states.
type Layer interface {
	Name() string
	Params() []*autograd.Param
	Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var
	Spec() Spec
}

// Sequential chains layers. A network for the snnTorch tutorial is
//
//	Linear(784, 1000) → LIF(1000) → Linear(1000, 10) → LIF(10)
type Sequential struct {
	Layers []Layer
}

// NewSequential returns the chain of layers, or an error if two layers share
// a name (parameters are named after their layer).
func NewSequential(layers ...Layer) (*Sequential, error) {
	seen := map[string]bool{}
	for i, l := range layers {
		if l == nil {
			return nil, fmt.Errorf("layers: sequential: layer %d is nil", i)
		}
		if seen[l.Name()] {
			return nil, fmt.Errorf("layers: sequential: two layers are named %q", l.Name())
		}
		seen[l.Name()] = true
	}
	return &Sequential{Layers: layers}, nil
}

// Params returns every layer's parameters in order, frozen ones included
// (optimizers skip those).
func (s *Sequential) Params() []*autograd.Param {
	var ps []*autograd.Param
	for _, l := range s.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// Specs describes the network for a model file; Build inverts it.
func (s *Sequential) Specs() []Spec {
	out := make([]Spec, len(s.Layers))
	for i, l := range s.Layers {
		out[i] = l.Spec()
	}
	return out
}

// constScanner is a neuron layer that takes an input constant over time
// without a repeated copy (LIF.ScanConst).
type constScanner interface {
	ScanConst(t *autograd.Tape, x *autograd.Var, steps int) (out, mem *autograd.Var)
}

// Trace is what a forward pass of a Sequential produced: the output and,
// per layer, its output and (for neuron layers) its membrane potentials.
type Trace struct {
	Out    *autograd.Var // the last layer's output, [T, B, N]
	Layers []LayerTrace
}

// LayerTrace is one layer's part of a Trace.
type LayerTrace struct {
	Name   string
	Neuron bool          // the layer has membrane dynamics
	Out    *autograd.Var // the layer's output (spikes of a spiking layer)
	Mem    *autograd.Var // membrane potentials [T, B, N]; nil for other layers
}

// Mem returns the membrane potentials of the last neuron layer, or nil.
func (tr *Trace) Mem() *autograd.Var {
	for i := len(tr.Layers) - 1; i >= 0; i-- {
		if tr.Layers[i].Mem != nil {
			return tr.Layers[i].Mem
		}
	}
	return nil
}

// Forward runs the network. x is either a sequence [T, B, F] (steps is then
// ignored and may be 0) or an input constant over time, [B, F], presented at
// each of steps time steps. For a constant input, the layers before the
// first neuron layer run once on [B, F] and their result is repeated over
// time: a tutorial network's first projection costs one product, not T.
// It panics with an *autograd.ShapeError for shapes that do not fit.
func (s *Sequential) Forward(t *autograd.Tape, x *autograd.Var, steps int) *Trace {
	tr := &Trace{Layers: make([]LayerTrace, 0, len(s.Layers))}
	constant := x.Dims() == 2
	if constant && steps <= 0 {
		panic(&autograd.ShapeError{Op: "Sequential.Forward", Shapes: [][]int{append([]int(nil), x.Shape()...)},
			Msg: fmt.Sprintf("a constant input [B, F] needs steps > 0, got %d", steps)})
	}
	h := x
	for _, l := range s.Layers {
		lt := LayerTrace{Name: l.Name()}
		if n, ok := l.(Neuron); ok {
			lt.Neuron = true
			if c, ok := l.(constScanner); ok && constant {
				lt.Out, lt.Mem = c.ScanConst(t, h, steps)
				constant = false
			} else {
				if constant {
					h = t.Repeat(h, steps)
					constant = false
				}
				lt.Out, lt.Mem = n.Scan(t, h)
			}
		} else {
			lt.Out = l.Forward(t, h)
		}
		h = lt.Out
		tr.Layers = append(tr.Layers, lt)
	}
	if constant {
		h = t.Repeat(h, steps)
	}
	tr.Out = h
	return tr
}
