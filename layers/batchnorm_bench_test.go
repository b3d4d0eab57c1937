package layers

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
)

// BenchmarkBatchNorm times BatchNorm (mode shared) over T·B = 4·16 frames
// of the two BatchNorm shapes of SpikingJelly's Fashion-MNIST conv net
// (128 channels of 28×28 and of 14×14): the training forward (statistics,
// running update, output), training forward + backward, and the inference
// forward, with a copy of the same bytes (one read, one write pass) and
// the 3×3 convolution 128 → 128 that precedes the second BatchNorm beside
// them as yardsticks. It reports the nanoseconds per element.
func BenchmarkBatchNorm(b *testing.B) {
	const T, B, C = 4, 16, 128
	for _, hw := range []int{28, 14} {
		rng := rand.New(rand.NewPCG(1, 1))
		n := C * hw * hw
		l := NewBatchNorm("bn", C, n, BatchNormConfig{})
		x := autograd.NewParam("x", randSlice(rng, T*B*n, -1, 2), T, B, n)
		tp := autograd.NewTape()
		per := func(b *testing.B) {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(x.Data)), "ns/element")
		}
		name := fmt.Sprintf("%dx%dx%d", C, hw, hw)
		b.Run(name+"/train-forward", func(b *testing.B) {
			l.SetTraining(rng)
			for b.Loop() {
				tp.Reset()
				tp.NoGrad(func() { l.Forward(tp, tp.Param(x)) })
			}
			per(b)
		})
		b.Run(name+"/train-forward+backward", func(b *testing.B) {
			l.SetTraining(rng)
			for b.Loop() {
				tp.Reset()
				tp.Backward(tp.SumAll(l.Forward(tp, tp.Param(x))))
			}
			per(b)
		})
		b.Run(name+"/inference-forward", func(b *testing.B) {
			l.SetTraining(nil)
			for b.Loop() {
				tp.Reset()
				tp.NoGrad(func() { l.Forward(tp, tp.Param(x)) })
			}
			per(b)
		})
		b.Run(name+"/copy", func(b *testing.B) {
			dst := make([]float32, len(x.Data))
			for b.Loop() {
				copy(dst, x.Data)
			}
			per(b)
		})
		if hw == 14 {
			conv := NewConv2d("c", C, hw, hw, C, [2]int{3, 3}, Conv2dConfig{Padding: [2]int{1, 1}, RNG: rng})
			b.Run(name+"/conv3x3-forward+backward", func(b *testing.B) {
				for b.Loop() {
					tp.Reset()
					tp.Backward(tp.SumAll(conv.Forward(tp, tp.Param(x))))
				}
				per(b)
			})
		}
	}
}
