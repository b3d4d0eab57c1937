package layers

import (
	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/model"
)

// SumPool2d sums each kH×kW window of every channel of every frame, the
// pooling of spike counts that sinabs' SumPool2d and SLAYER use:
//
//	y[c, i, j] = Σ_{u < kH, v < kW} x[c, i·sH − pH + u, j·sW − pW + v]
//
// with x zero in the padding; it is AvgPool2d times kH·kW. Shapes and output
// size are MaxPool2d's; the stride defaults to the kernel.
type SumPool2d struct{ pool2d }

// NewSumPool2d returns a SumPool2d layer; the arguments and panics are
// NewMaxPool2d's.
func NewSumPool2d(name string, c, h, w int, kernel [2]int, cf Pool2dConfig) *SumPool2d {
	return &SumPool2d{must(newPool2d(name, model.KindSumPool2d, c, h, w, kernel, cf))}
}

// Forward pools x [..., C·H·W] into [..., C·OH·OW]. It panics with an
// *autograd.ShapeError if x's last dimension is not C·H·W.
func (l *SumPool2d) Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var {
	y, _ := l.run(t, x)
	return y
}
