package layers

import (
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
)

// BenchmarkSHDShape times one forward and backward pass of a network of
// the Spiking Heidelberg Digits' shape: 700 input channels through a Linear
// into 256 hidden neurons, 20 LI outputs, T = 100, batch 64, the input
// binary spikes at 5 % activity. The hidden layer is recurrent all to all
// (rlif), one to one (rlif-1to1), or a plain LIF for comparison (lif).
// Loss: the sum of the read-out membranes.
func BenchmarkSHDShape(b *testing.B) {
	const T, B, In, H, Out = 100, 64, 700, 256, 20
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, T*B*In)
	for i := range x {
		if rng.Float64() < 0.05 {
			x[i] = 1
		}
	}
	lif := LIFConfig{Beta: 0.95}
	for _, c := range []struct {
		name   string
		hidden Neuron
	}{
		{"lif", NewLIF("hidden", H, lif)},
		{"rlif", NewRLIF("hidden", H, lif, RecurrentConfig{RNG: rng})},
		{"rlif-1to1", NewRLIF("hidden", H, lif, RecurrentConfig{OneToOne: true})},
	} {
		b.Run(c.name, func(b *testing.B) {
			net := NewSequential(
				NewLinear("fc1", In, H, LinearConfig{RNG: rng}),
				c.hidden,
				NewLinear("fc2", H, Out, LinearConfig{RNG: rng}),
				NewLI("out", Out, LIConfig{Beta: 0.9}))
			params := net.Params()
			tp := autograd.NewTape()
			var tr *Trace
			b.ResetTimer()
			for range b.N {
				tp.Reset()
				in := tp.Constant(x, T, B, In)
				in.SetBinary()
				tr = net.Forward(tp, in, 0)
				tp.Backward(tp.SumAll(tr.Mem()))
				for _, p := range params {
					p.ZeroGrad()
				}
			}
		})
	}
}
