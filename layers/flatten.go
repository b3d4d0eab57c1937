package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/model"
)

// Flatten marks where a network leaves the image layout for a vector of
// In features, as torch.nn.Flatten before a Linear layer. Sequences here
// are [T, B, F] with the feature axis already flat (a convolution's C·H·W
// channel-major, which is PyTorch's flattening order of NCHW), so Flatten
// returns its input unchanged, after checking its size.
type Flatten struct {
	name string
	In   int
}

// NewFlatten returns a Flatten layer called name over in features. It
// panics with a *ConfigError for in below 1.
func NewFlatten(name string, in int) *Flatten { return must(newFlatten(name, in)) }

func newFlatten(name string, in int) (*Flatten, error) {
	if err := check(name, model.Flatten{In: in}); err != nil {
		return nil, err
	}
	return &Flatten{name: name, In: in}, nil
}

func init() {
	register(model.KindFlatten, func(name string, p model.Payload, _ *rand.Rand) (Layer, error) {
		return newFlatten(name, p.(*model.Flatten).In)
	})
}

// Name returns the layer's name.
func (l *Flatten) Name() string { return l.name }

// Params returns nil: Flatten has no parameters.
func (l *Flatten) Params() []*autograd.Param { return nil }

// Forward returns x. It panics with an *autograd.ShapeError if x's last
// dimension is not In.
func (l *Flatten) Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var {
	if s := x.Shape(); s[len(s)-1] != l.In {
		panic(&autograd.ShapeError{Op: "Flatten.Forward", Shapes: [][]int{append([]int(nil), s...)},
			Msg: fmt.Sprintf("the last dimension must be %d", l.In)})
	}
	return x
}

// Spec describes the layer for a model file: a model.Flatten.
func (l *Flatten) Spec() model.Layer { return model.NewLayer(l.name, model.Flatten{In: l.In}) }
