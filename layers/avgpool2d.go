package layers

import (
	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/model"
)

// AvgPool2d averages each kH×kW window of every channel of every frame
// (torch.nn.AvgPool2d with ceil_mode=False and count_include_pad=True, its
// defaults):
//
//	y[c, i, j] = 1/(kH·kW) · Σ_{u < kH, v < kW} x[c, i·sH − pH + u, j·sW − pW + v]
//
// with x zero in the padding. Shapes and output size are MaxPool2d's; the
// stride defaults to the kernel.
type AvgPool2d struct{ pool2d }

// NewAvgPool2d returns an AvgPool2d layer; the arguments and panics are
// NewMaxPool2d's.
func NewAvgPool2d(name string, c, h, w int, kernel [2]int, cf Pool2dConfig) *AvgPool2d {
	return &AvgPool2d{must(newPool2d(name, model.KindAvgPool2d, c, h, w, kernel, cf))}
}

// Forward pools x [..., C·H·W] into [..., C·OH·OW]. It panics with an
// *autograd.ShapeError if x's last dimension is not C·H·W.
func (l *AvgPool2d) Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var {
	y, _ := l.run(t, x)
	return y
}
