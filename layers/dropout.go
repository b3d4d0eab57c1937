package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/model"
)

// Dropout zeroes features at random while a network trains, as
// SpikingJelly's layer.Dropout: the mask is drawn once per sequence and
// held over time, so a dropped feature stays silent for the whole
// sequence rather than flickering from step to step (which would only add
// noise to the spike trains). On a sequence x [T, B, F], in training,
//
//	m[b, f] = 1/(1−P) with probability 1−P, else 0   (drawn once per Forward)
//	y[t, b, f] = m[b, f] · x[t, b, f]                 for every step t
//
// (inverted dropout: the kept features are scaled so that E[y] = x, and
// inference needs no rescaling). In inference, y = x. An input [B, F]
// (the constant input that Sequential runs once before its first neuron
// layer, then repeats over time) gets one mask [B, F], which is then held
// over the repeated steps too. The default P of model files is 0 (keep
// everything); SpikingJelly's default is 0.5.
//
// A Dropout layer is in inference mode until SetTraining gives it a random
// source; train.Fit does so for each training step (with a source derived
// from the run's seed and the step) and takes it away again before
// evaluating. Sequential.SetTraining sets every such layer of a network.
type Dropout struct {
	name string
	P    float32
	rng  *rand.Rand // nil: inference
}

// NewDropout returns a Dropout layer called name that drops each feature
// with probability p in training. It panics with a *ConfigError unless
// 0 ≤ p < 1.
func NewDropout(name string, p float32) *Dropout { return must(newDropout(name, p)) }

func newDropout(name string, p float32) (*Dropout, error) {
	if err := check(name, model.Dropout{P: p}); err != nil {
		return nil, err
	}
	return &Dropout{name: name, P: p}, nil
}

func init() {
	register(model.KindDropout, func(name string, p model.Payload, _ *rand.Rand) (Layer, error) {
		return newDropout(name, p.(*model.Dropout).P)
	})
}

// Trainable is a layer that behaves differently in training and in
// inference, such as Dropout. SetTraining(rng) puts it in training mode,
// drawing its random choices from rng; SetTraining(nil) puts it back in
// inference mode, the mode it starts in.
type Trainable interface {
	SetTraining(rng *rand.Rand)
}

// SetTraining puts the layer in training mode, drawing masks from rng, or
// with nil in inference mode (the identity).
func (l *Dropout) SetTraining(rng *rand.Rand) { l.rng = rng }

// Training reports whether the layer is in training mode.
func (l *Dropout) Training() bool { return l.rng != nil }

// Name returns the layer's name.
func (l *Dropout) Name() string { return l.name }

// Params returns nil: Dropout has no parameters.
func (l *Dropout) Params() []*autograd.Param { return nil }

// Forward returns x in inference mode (or with P = 0). In training mode it
// draws a mask over x's last two axes [B, F] and applies it at every
// index of the leading ones (every time step of [T, B, F]). It panics with
// an *autograd.ShapeError for an x of fewer than two axes.
func (l *Dropout) Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var {
	s := x.Shape()
	if len(s) < 2 {
		panic(&autograd.ShapeError{Op: "Dropout.Forward", Shapes: [][]int{append([]int(nil), s...)},
			Msg: fmt.Sprintf("needs at least two axes [B, F], got %d", len(s))})
	}
	if l.rng == nil || l.P == 0 {
		return x
	}
	n := s[len(s)-2] * s[len(s)-1]
	mask := t.ScratchRaw(len(x.Data)) // lives until the tape's Reset, after the backward pass
	l.draw(mask[:n])
	return t.Mask(x, repeatMask(mask, n))
}

// draw fills mask with a new mask of its length: 1/(1−P) where a feature
// is kept, 0 where it is dropped.
func (l *Dropout) draw(mask []float32) {
	keep := 1 / (1 - l.P)
	for i := range mask {
		if l.rng.Float32() < l.P {
			mask[i] = 0
		} else {
			mask[i] = keep
		}
	}
}

// repeatMask copies mask[:n] over the rest of mask and returns it.
func repeatMask(mask []float32, n int) []float32 {
	for off := n; off < len(mask); off += n {
		copy(mask[off:off+n], mask[:n])
	}
	return mask
}

// Spec describes the layer for a model file: a model.Dropout.
func (l *Dropout) Spec() model.Layer { return model.NewLayer(l.name, model.Dropout{P: l.P}) }

// SetTraining puts every Trainable layer of the network in training mode,
// drawing from rng, or with nil in inference mode. A network starts in
// inference mode; train.Fit switches it for each training step.
func (s *Sequential) SetTraining(rng *rand.Rand) {
	for _, l := range s.Layers {
		if tl, ok := l.(Trainable); ok {
			tl.SetTraining(rng)
		}
	}
}
