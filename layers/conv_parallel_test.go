package layers

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/internal/kernels"
)

// TestConvPoolThreads checks that convolution and pooling give bit-identical
// outputs and gradients with one thread and with several: their loops run in
// chunks of frames or planes fixed by the shape alone. The shapes have frame
// counts (3·5 = 15) that the chunks do not divide evenly, stride 2 and
// dilation (im2col's strided path) besides stride 1, and groups.
func TestConvPoolThreads(t *testing.T) {
	defer kernels.SetThreads(kernels.SetThreads(1))
	rng := rand.New(rand.NewPCG(4, 4))
	for _, tc := range []struct {
		name string
		l    Layer
		in   int
	}{
		{"conv s1", NewConv2d("c", 4, 9, 7, 6, [2]int{3, 3}, Conv2dConfig{Padding: [2]int{1, 1}, Groups: 2, RNG: rng}), 4 * 9 * 7},
		{"conv s2 d2", NewConv2d("c", 3, 11, 10, 5, [2]int{3, 2}, Conv2dConfig{Stride: [2]int{2, 2}, Padding: [2]int{2, 1},
			Dilation: [2]int{2, 1}, RNG: rng}), 3 * 11 * 10},
		{"maxpool 2x2", NewMaxPool2d("p", 3, 7, 9, [2]int{2, 2}, Pool2dConfig{}), 3 * 7 * 9},
		{"maxpool 3x3", NewMaxPool2d("p", 3, 7, 9, [2]int{3, 3}, Pool2dConfig{Stride: [2]int{2, 1}, Padding: [2]int{1, 1}}), 3 * 7 * 9},
		{"avgpool", NewAvgPool2d("p", 3, 7, 9, [2]int{2, 3}, Pool2dConfig{}), 3 * 7 * 9},
	} {
		x := autograd.NewParam("x", randSlice(rng, 3*5*tc.in, -1, 1), 3, 5, tc.in)
		var r []float32
		run := func(threads int) (y []float32, grads [][]float32) {
			kernels.SetThreads(threads)
			tp := autograd.NewTape()
			params := append([]*autograd.Param{x}, tc.l.Params()...)
			for _, p := range params {
				p.ZeroGrad()
			}
			out := tc.l.Forward(tp, tp.Param(x))
			if r == nil {
				r = randSlice(rng, out.Len(), -1, 1)
			}
			tp.Backward(tp.SumAll(tp.Mul(out, tp.Constant(r, out.Shape()...))))
			for _, p := range params {
				grads = append(grads, slices.Clone(p.Grad))
			}
			return slices.Clone(out.Data), grads
		}
		y1, g1 := run(1)
		for _, th := range []int{2, 3} {
			y2, g2 := run(th)
			if !slices.Equal(y1, y2) {
				t.Errorf("%s: output with %d threads differs from one thread's", tc.name, th)
			}
			for i := range g1 {
				if !slices.Equal(g1[i], g2[i]) {
					t.Errorf("%s: gradient %d with %d threads differs from one thread's", tc.name, i, th)
				}
			}
		}
	}
}

// TestMaxPool2x2Gradient checks the 2×2, stride 2 max pool (which has its own
// loop) on spike-like inputs, where ties are the rule, against a plain loop of
// the rule: each output's gradient goes to the first maximum of its window in
// row-major order. The odd height and width leave a row and a column out of
// every window, as PyTorch's floor mode does.
func TestMaxPool2x2Gradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 9))
	const c, h, w, frames = 3, 7, 5, 4
	l := NewMaxPool2d("p", c, h, w, [2]int{2, 2}, Pool2dConfig{})
	xs := make([]float32, frames*c*h*w)
	for i := range xs {
		xs[i] = float32(rng.IntN(2)) // spikes: many ties
	}
	x := autograd.NewParam("x", xs, frames, c*h*w)
	tp := autograd.NewTape()
	y := l.Forward(tp, tp.Param(x))
	r := randSlice(rng, y.Len(), -1, 1)
	tp.Backward(tp.SumAll(tp.Mul(y, tp.Constant(r, y.Shape()...))))
	oh, ow := h/2, w/2
	wantY := make([]float32, y.Len())
	wantG := make([]float32, len(xs))
	for pl := range frames * c {
		for oy := range oh {
			for ox := range ow {
				o := (pl*oh+oy)*ow + ox
				bi := -1
				for i := 2 * oy; i < 2*oy+2; i++ {
					for j := 2 * ox; j < 2*ox+2; j++ {
						if k := pl*h*w + i*w + j; bi < 0 || xs[k] > xs[bi] {
							bi = k
						}
					}
				}
				wantY[o] = xs[bi]
				wantG[bi] += r[o]
			}
		}
	}
	if !slices.Equal(y.Data, wantY) {
		t.Fatalf("output %v, want %v", y.Data, wantY)
	}
	if !slices.Equal(x.Grad, wantG) {
		t.Fatalf("gradient %v, want %v", x.Grad, wantG)
	}
}
