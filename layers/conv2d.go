package layers

import (
	"math/rand/v2"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/model"
)

// Conv2dConfig configures a Conv2d layer. Its zero value is PyTorch's
// nn.Conv2d defaults: stride 1, no padding, dilation 1, one group, a bias,
// PyTorch's initialisation.
type Conv2dConfig struct {
	// Stride, Padding and Dilation are [height, width]. A zero Stride or
	// Dilation means 1 (both axes); a negative value is refused.
	Stride, Padding, Dilation [2]int
	// Groups splits the channels into groups convolved separately; 0 means 1.
	Groups int
	// NoBias leaves out the bias.
	NoBias bool
	// Init and RNG are as LinearConfig's, with fan-in In/Groups·kH·kW and
	// fan-out Out·kH·kW (PyTorch's fans of a convolution weight).
	Init Init
	RNG  *rand.Rand
}

// Conv2d is a 2-D convolution applied to every frame of a sequence.
//
// # Layout
//
// A sequence is [T, B, F]: the layer reads the feature axis as In channels
// of H×W pixels, channel-major, feature c·H·W + y·W + x (PyTorch's NCHW
// image flattened), and writes Out channels of OH×OW pixels the same way,
// [T, B, Out·OH·OW]. All T·B frames are convolved at once: per group, the
// frames' columns (im2col, [In/Groups·kH·kW, T·B·OH·OW]) are multiplied by
// the group's weights in one SGEMM.
//
// # Equation
//
//	y[o, i, j] = b[o] + Σ_{c, u, v} W[o, c, u, v] · x[g·C_g + c, i·sH − pH + u·dH, j·sW − pW + v·dW]
//
// with g = o / (Out/Groups) the output's group, C_g = In/Groups, and x zero
// outside the image (the padding). The output size is PyTorch's
// (torch.nn.Conv2d):
//
//	OH = ⌊(H + 2·pH − dH·(kH − 1) − 1) / sH⌋ + 1, and likewise OW.
//
// # Weights
//
// Weight is [Out, In/Groups, kH, kW], PyTorch's layout, so that weights
// go to and come from PyTorch and NIR (whose Conv2d node holds the same
// layout) without reordering; each group's weights are then a contiguous
// [Out/Groups, In/Groups·kH·kW] row-major matrix, the left operand of the
// SGEMM as it is stored.
type Conv2d struct {
	name   string
	g      convGeom
	Weight *autograd.Param // [Out, In/Groups, kH, kW], "<name>.weight"
	Bias   *autograd.Param // [Out], "<name>.bias"; nil without a bias
	Init   Init
}

// NewConv2d returns a Conv2d layer called name over in channels of h×w
// pixels, with out channels and a kernel kernel [height, width]:
//
//	conv := layers.NewConv2d("conv1", 1, 28, 28, 8, [2]int{3, 3}, layers.Conv2dConfig{Padding: [2]int{1, 1}})
//
// It panics with a *ConfigError for a size below 1, a kernel larger than the
// padded input, groups that do not divide in and out, or a negative stride.
func NewConv2d(name string, in, h, w, out int, kernel [2]int, c Conv2dConfig) *Conv2d {
	return must(newConv2d(name, conv2dSpec(in, h, w, out, kernel, c), c.RNG))
}

func conv2dSpec(in, h, w, out int, kernel [2]int, c Conv2dConfig) model.Conv2d {
	def := func(v [2]int) [2]int {
		for a := range v {
			if v[a] == 0 {
				v[a] = 1
			}
		}
		return v
	}
	g := c.Groups
	if g == 0 {
		g = 1
	}
	return model.Conv2d{In: in, Out: out, H: h, W: w, Kernel: kernel, Stride: def(c.Stride), Padding: c.Padding,
		Dilation: def(c.Dilation), Groups: g, Bias: !c.NoBias, Init: c.Init.String()}
}

func newConv2d(name string, s model.Conv2d, rng *rand.Rand) (*Conv2d, error) {
	if err := check(name, s); err != nil {
		return nil, err
	}
	init, err := ParseInit(s.Init)
	if err != nil {
		return nil, &ConfigError{Kind: s.Kind(), Layer: name, Field: "init", Value: s.Init, Msg: err.Error()}
	}
	l := &Conv2d{name: name, Init: init, g: convGeom{in: s.In, out: s.Out, h: s.H, w: s.W, kh: s.Kernel[0], kw: s.Kernel[1],
		sh: s.Stride[0], sw: s.Stride[1], ph: s.Padding[0], pw: s.Padding[1], dh: s.Dilation[0], dw: s.Dilation[1], groups: s.Groups}}
	l.g.setOut()
	l.Weight, l.Bias = convParams(name, &l.g, s.Bias, init, rng, s.Out, s.In/s.Groups, s.Kernel[0], s.Kernel[1])
	return l, nil
}

// convParams makes and initialises a convolution's weight of the given
// shape and its bias.
func convParams(name string, g *convGeom, bias bool, init Init, rng *rand.Rand, shape ...int) (w, b *autograd.Param) {
	w = autograd.NewParam(name+".weight", nil, shape...)
	var bd []float32
	if bias {
		b = autograd.NewParam(name+".bias", nil, g.out)
		bd = b.Data
	}
	init.fill(w.Data, bd, g.k(), g.out*g.kh*g.kw, source(rng, name))
	return w, b
}

func init() {
	register(model.KindConv2d, func(name string, p model.Payload, rng *rand.Rand) (Layer, error) {
		return newConv2d(name, *p.(*model.Conv2d), rng)
	})
}

// Name returns the layer's name.
func (l *Conv2d) Name() string { return l.name }

// Params returns the weight and, if present, the bias.
func (l *Conv2d) Params() []*autograd.Param {
	if l.Bias == nil {
		return []*autograd.Param{l.Weight}
	}
	return []*autograd.Param{l.Weight, l.Bias}
}

// OutSize returns the output's height and width.
func (l *Conv2d) OutSize() (oh, ow int) { return l.g.oh, l.g.ow }

// Outputs returns the output features per frame, Out·OH·OW.
func (l *Conv2d) Outputs() int { return l.g.out * l.g.oh * l.g.ow }

// Forward convolves every frame of x [..., In·H·W] and returns
// [..., Out·OH·OW]. It panics with an *autograd.ShapeError if x's last
// dimension is not In·H·W.
func (l *Conv2d) Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var {
	var b *autograd.Var
	if l.Bias != nil {
		b = t.Param(l.Bias)
	}
	return l.g.conv(t, "Conv2d.Forward", x, t.Param(l.Weight), b)
}

// Spec describes the layer for a model file: a model.Conv2d.
func (l *Conv2d) Spec() model.Layer {
	g := l.g
	return model.NewLayer(l.name, model.Conv2d{In: g.in, Out: g.out, H: g.h, W: g.w, Kernel: [2]int{g.kh, g.kw},
		Stride: [2]int{g.sh, g.sw}, Padding: [2]int{g.ph, g.pw}, Dilation: [2]int{g.dh, g.dw}, Groups: g.groups,
		Bias: l.Bias != nil, Init: l.Init.String()})
}
