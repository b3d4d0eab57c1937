package layers

import (
	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/model"
)

// MaxPool2d takes the maximum of each kH×kW window of every channel of
// every frame (torch.nn.MaxPool2d with dilation 1 and ceil_mode=False):
//
//	y[c, i, j] = max_{u < kH, v < kW} x[c, i·sH − pH + u, j·sW − pW + v]
//
// over the positions inside the image (padding never wins). x is
// [..., C·H·W] channel-major (see Conv2d), y [..., C·OH·OW] with
// OH = ⌊(H + 2·pH − kH) / sH⌋ + 1. The stride defaults to the kernel.
//
// Gradient: each output's gradient goes to one input, its maximum. On a
// tie, the first maximum in row-major window order (smallest row, then
// smallest column) takes it, as PyTorch's CPU kernel does; spike inputs,
// 0 or 1, tie often, so this rule decides which spike is credited.
type MaxPool2d struct{ pool2d }

// NewMaxPool2d returns a MaxPool2d layer called name over c channels of h×w
// pixels with a kernel [height, width]. It panics with a *ConfigError for a
// size below 1, a kernel larger than the padded input or padding above half
// the kernel.
func NewMaxPool2d(name string, c, h, w int, kernel [2]int, cf Pool2dConfig) *MaxPool2d {
	return &MaxPool2d{must(newPool2d(name, model.KindMaxPool2d, c, h, w, kernel, cf))}
}

// Forward pools x [..., C·H·W] into [..., C·OH·OW]. It panics with an
// *autograd.ShapeError if x's last dimension is not C·H·W.
func (l *MaxPool2d) Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var {
	y, _ := l.run(t, x)
	return y
}
