package layers

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
)

// BenchmarkConv2d times a 3×3 convolution with padding 1 over T·B = 4·32
// frames, forward alone and forward + backward, on the shapes of a small
// MNIST conv net's two layers, and the plain reference loop (refConv) for
// the forward pass beside them. It reports GFLOP/s of the forward pass,
// 2·Out·K·OH·OW per frame.
func BenchmarkConv2d(b *testing.B) {
	for _, s := range []struct{ in, h, out int }{{1, 28, 8}, {8, 14, 16}} {
		rng := rand.New(rand.NewPCG(1, 1))
		l := NewConv2d("c", s.in, s.h, s.h, s.out, [2]int{3, 3}, Conv2dConfig{Padding: [2]int{1, 1}, RNG: rng})
		const T, B = 4, 32
		x := autograd.NewParam("x", randSlice(rng, T*B*s.in*s.h*s.h, 0, 1), T, B, s.in*s.h*s.h)
		flops := float64(2*T*B*s.out*l.g.k()*l.g.oh*l.g.ow) * 1e-9
		name := fmt.Sprintf("%dx%dx%d-%d", s.in, s.h, s.h, s.out)
		tp := autograd.NewTape()
		b.Run(name+"/forward", func(b *testing.B) {
			for b.Loop() {
				tp.Reset()
				tp.NoGrad(func() { l.Forward(tp, tp.Param(x)) })
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds(), "GFLOP/s")
		})
		b.Run(name+"/forward+backward", func(b *testing.B) {
			for b.Loop() {
				tp.Reset()
				tp.Backward(tp.SumAll(l.Forward(tp, tp.Param(x))))
			}
		})
		b.Run(name+"/reference-forward", func(b *testing.B) {
			for b.Loop() {
				refConv(l.g, T*B, x.Data, l.Weight.Data, l.Bias.Data)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds(), "GFLOP/s")
		})
	}
}
