package layers

import (
	"fmt"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/model"
)

// Sequential chains layers. A network for the snnTorch tutorial is
//
//	Linear(784, 1000) → LIF(1000) → Linear(1000, 10) → LIF(10)
type Sequential struct {
	Layers []Layer
}

// NewSequential returns the chain of layers:
//
//	net := layers.NewSequential(fc1, lif1, fc2, lif2)
//
// It panics with a *ConfigError if a layer is nil or two layers share a name
// (parameters are named after their layer).
func NewSequential(layers ...Layer) *Sequential {
	return must(newSequential(layers))
}

func newSequential(layers []Layer) (*Sequential, error) {
	seen := map[string]bool{}
	for i, l := range layers {
		if l == nil {
			return nil, &ConfigError{Kind: "sequential", Field: fmt.Sprintf("layers[%d]", i), Msg: "is nil"}
		}
		if seen[l.Name()] {
			return nil, &ConfigError{Kind: "sequential", Field: fmt.Sprintf("layers[%d].name", i), Value: l.Name(),
				Msg: "another layer has this name (parameters are named after their layer)"}
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

// Model describes the network for a model file (model.Marshal writes it);
// Build makes the network again from it.
func (s *Sequential) Model() *model.Model {
	m := &model.Model{Format: model.Format, Layers: make([]model.Layer, len(s.Layers))}
	for i, l := range s.Layers {
		m.Layers[i] = l.Spec()
	}
	return m
}

// constScanner is a neuron layer that takes an input constant over time
// without a repeated copy (LIF.ScanConst).
type constScanner interface {
	ScanConst(t *autograd.Tape, x *autograd.Var, steps int) (out, mem *autograd.Var)
}

// stepsNeeder is a layer without membrane dynamics that may still treat
// each time step differently (BatchNorm in mode BNPerStep): Sequential
// repeats a constant input over time before it when needsSteps says so.
type stepsNeeder interface {
	needsSteps() bool
}

// Trace is what a forward pass of a Sequential produced: the output and,
// per layer, its output and (for neuron layers) its membrane potentials.
// Like the Vars in it, the Trace that Forward returns belongs to the tape
// until its Reset; a later Forward on the tape then reuses it.
type Trace struct {
	Out    *autograd.Var // the last layer's output, [T, B, N]
	Layers []LayerTrace
	// Lengths holds the valid steps of each sample, [B], when the batch is
	// padded (sequences of their own lengths, datasets.Batch.Lengths):
	// steps t >= Lengths[b] of sample b are padding, which a loss or
	// read-out of the trace must not count (package loss's Len functions).
	// Forward leaves it nil; the caller that knows the lengths sets it
	// (train.Fit and train.Evaluate do).
	Lengths []int
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
// time: a tutorial network's first projection costs one product, not T
// (a BatchNorm layer in mode BNPerStep gets the repeated input instead).
// It panics with an *autograd.ShapeError for shapes that do not fit.
//
// The Trace comes from the tape's pool (autograd.Pooled) and is valid until
// t's Reset, as its Vars are: copy what you want to keep. A training step
// that resets its tape thus allocates no Trace after the first.
func (s *Sequential) Forward(t *autograd.Tape, x *autograd.Var, steps int) *Trace {
	tr := autograd.Pooled[Trace](t)
	tr.Out, tr.Layers, tr.Lengths = nil, tr.Layers[:0], nil
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
			if c, ok := l.(stepsNeeder); ok && constant && c.needsSteps() {
				h = t.Repeat(h, steps)
				constant = false
			}
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

// lengthsTaker is a layer that must know which steps of a padded batch of
// variable-length sequences are valid.
type lengthsTaker interface {
	setLengths(lengths []int) error
}

// SetLengths tells the network the valid steps of each sample, [B], of the
// padded batches of variable-length sequences that follow (each padded
// with zeros after its end), or with nil that batches are not padded.
// Linear and convolutional layers, pooling and Flatten map each step on
// its own; neuron scans and Delay are causal, so steps after a sequence's
// end never reach it; Dropout's mask is drawn per sample and feature, not
// per step: none of them needs the lengths. BatchNorm does: in training
// its batch statistics then count the valid steps only, and the padding
// gets no gradient. In mode BNPerStep it cannot take padded batches, and
// SetLengths returns a *ConfigError naming it and the field "mode" (the
// lengths are then set on no layer).
//
// Like SetTraining, it sets state that the following Forward calls read:
// set the lengths of each padded batch before its Forward, and nil after
// (train.Fit does).
func (s *Sequential) SetLengths(lengths []int) error {
	for _, l := range s.Layers {
		if c, ok := l.(lengthsTaker); ok {
			if err := c.setLengths(lengths); err != nil {
				s.SetLengths(nil)
				return err
			}
		}
	}
	return nil
}
