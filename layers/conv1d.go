package layers

import (
	"math/rand/v2"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/model"
)

// Conv1dConfig configures a Conv1d layer. Its zero value is PyTorch's
// nn.Conv1d defaults: stride 1, no padding, dilation 1, one group, a bias,
// PyTorch's initialisation. A zero Stride, Dilation or Groups means 1.
type Conv1dConfig struct {
	Stride, Padding, Dilation, Groups int
	NoBias                            bool
	Init                              Init
	RNG                               *rand.Rand
}

// Conv1d is a 1-D convolution applied to every frame of a sequence: Conv2d
// of height 1. It reads the feature axis as In channels of length L,
// channel-major (feature c·L + i, PyTorch's NCL flattened), and writes Out
// channels of length
//
//	OL = ⌊(L + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1
//
// (torch.nn.Conv1d), [T, B, Out·OL]:
//
//	y[o, i] = b[o] + Σ_{c, u} W[o, c, u] · x[g·C_g + c, i·stride − padding + u·dilation]
//
// Weight is [Out, In/Groups, kernel], PyTorch's layout (see Conv2d).
type Conv1d struct {
	name   string
	g      convGeom
	Weight *autograd.Param // [Out, In/Groups, Kernel], "<name>.weight"
	Bias   *autograd.Param // [Out], "<name>.bias"; nil without a bias
	Init   Init
}

// NewConv1d returns a Conv1d layer called name over in channels of length
// l, with out channels and a kernel of length kernel. It panics with a
// *ConfigError for bad sizes, as NewConv2d.
func NewConv1d(name string, in, l, out, kernel int, c Conv1dConfig) *Conv1d {
	one := func(v int) int {
		if v == 0 {
			return 1
		}
		return v
	}
	return must(newConv1d(name, model.Conv1d{In: in, Out: out, L: l, Kernel: kernel, Stride: one(c.Stride),
		Padding: c.Padding, Dilation: one(c.Dilation), Groups: one(c.Groups), Bias: !c.NoBias, Init: c.Init.String()}, c.RNG))
}

func newConv1d(name string, s model.Conv1d, rng *rand.Rand) (*Conv1d, error) {
	if err := check(name, s); err != nil {
		return nil, err
	}
	init, err := ParseInit(s.Init)
	if err != nil {
		return nil, &ConfigError{Kind: s.Kind(), Layer: name, Field: "init", Value: s.Init, Msg: err.Error()}
	}
	l := &Conv1d{name: name, Init: init, g: convGeom{in: s.In, out: s.Out, h: 1, w: s.L, kh: 1, kw: s.Kernel,
		sh: 1, sw: s.Stride, pw: s.Padding, dh: 1, dw: s.Dilation, groups: s.Groups}}
	l.g.setOut()
	l.Weight, l.Bias = convParams(name, &l.g, s.Bias, init, rng, s.Out, s.In/s.Groups, s.Kernel)
	return l, nil
}

func init() {
	register(model.KindConv1d, func(name string, p model.Payload, rng *rand.Rand) (Layer, error) {
		return newConv1d(name, *p.(*model.Conv1d), rng)
	})
}

// Name returns the layer's name.
func (l *Conv1d) Name() string { return l.name }

// Params returns the weight and, if present, the bias.
func (l *Conv1d) Params() []*autograd.Param {
	if l.Bias == nil {
		return []*autograd.Param{l.Weight}
	}
	return []*autograd.Param{l.Weight, l.Bias}
}

// OutSize returns the output length OL.
func (l *Conv1d) OutSize() int { return l.g.ow }

// Forward convolves every frame of x [..., In·L] and returns [..., Out·OL].
// It panics with an *autograd.ShapeError if x's last dimension is not In·L.
func (l *Conv1d) Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var {
	var b *autograd.Var
	if l.Bias != nil {
		b = t.Param(l.Bias)
	}
	return l.g.conv(t, "Conv1d.Forward", x, t.Param(l.Weight), b)
}

// Spec describes the layer for a model file: a model.Conv1d.
func (l *Conv1d) Spec() model.Layer {
	g := l.g
	return model.NewLayer(l.name, model.Conv1d{In: g.in, Out: g.out, L: g.w, Kernel: g.kw, Stride: g.sw,
		Padding: g.pw, Dilation: g.dw, Groups: g.groups, Bias: l.Bias != nil, Init: l.Init.String()})
}
