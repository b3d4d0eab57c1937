package layers

import (
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
)

// BenchmarkSequenceLayers times one forward and backward pass of a layer
// alone over an input x [T, B, N] of lava-dl's N-MNIST shape (T = 300
// steps, batch 32, the 512 hidden neurons of slayerPytorch's
// test_files/nmnistNet.yaml), the loss the sum of the outputs (and of the
// membranes for the neurons): LIF on its fused scan beside SRM at SLAYER's
// defaults (77 PSP taps as Toeplitz SGEMMs, 11 refractory taps) and Delay
// (max delay 62, delays spread over 0 .. 62 steps). The input is the
// weighted spikes of a Linear layer, drawn uniform in [-0.5, 1.5] for LIF
// and scaled by the threshold 10 for SRM, so that both spike.
func BenchmarkSequenceLayers(b *testing.B) {
	const T, B, N = 300, 32, 512
	rng := rand.New(rand.NewPCG(3, 4))
	x := randSlice(rng, T*B*N, -0.5, 1.5)
	x10 := make([]float32, len(x))
	for i, v := range x {
		x10[i] = 10 * v / 4 // the PSP sums about 4 input steps' worth (Σε ≈ 27, a mean input of 0.5)
	}
	delay := NewDelay("d", N, DelayConfig{MaxDelay: 62})
	for i := range delay.D.Data {
		delay.D.Data[i] = float32(i % 63)
	}
	for _, c := range []struct {
		name string
		l    Layer
		x    []float32
	}{
		{"lif", NewLIF("n", N, LIFConfig{Beta: 0.95}), x},
		{"srm", NewSRM("n", N, SRMConfig{}), x10},
		{"delay", delay, x},
	} {
		b.Run(c.name, func(b *testing.B) {
			xp := autograd.NewParam("x", c.x, T, B, N)
			tp := autograd.NewTape()
			spikes := 0.0
			for range b.N {
				tp.Reset()
				var loss *autograd.Var
				if n, ok := c.l.(Neuron); ok {
					out, mem := n.Scan(tp, tp.Param(xp))
					loss = tp.Add(tp.SumAll(out), tp.SumAll(mem))
					spikes = float64(tp.SumAll(out).Item()) / float64(T*B*N)
				} else {
					loss = tp.SumAll(c.l.Forward(tp, tp.Param(xp)))
				}
				tp.Backward(loss)
				xp.ZeroGrad()
				for _, p := range c.l.Params() {
					p.ZeroGrad()
				}
			}
			b.ReportMetric(spikes, "spikes/step")
		})
	}
}
