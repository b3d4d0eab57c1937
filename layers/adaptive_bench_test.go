package layers

import (
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
)

// BenchmarkNeuronKinds times one forward and backward pass of a neuron
// layer alone over an input current x [T, B, N] of SHD's hidden shape
// (T = 100, batch 64, 256 neurons), the loss the sum of spikes and
// membranes: LIF and IF on the LIF scan, ALIF, PLIF, AdLIF and RadLIF on
// theirs (RadLIF's with a [B, N]·[N, N] product per time step), and RadLIF
// with its recurrence stepped on the tape for comparison (steppedRadLIF).
func BenchmarkNeuronKinds(b *testing.B) {
	const T, B, N = 100, 64, 256
	rng := rand.New(rand.NewPCG(3, 4))
	x := randSlice(rng, T*B*N, -0.5, 1.5)
	for _, c := range []struct {
		name string
		l    Neuron
	}{
		{"lif", NewLIF("n", N, LIFConfig{Beta: 0.95})},
		{"if", NewIF("n", N, IFConfig{})},
		{"alif", NewALIF("n", N, NorseLSNN())},
		{"plif", NewPLIF("n", N, PLIFConfig{})},
		{"adlif", NewAdLIF("n", N, AdLIFConfig{})},
		{"radlif", NewRadLIF("n", N, AdLIFConfig{})},
		{"radlif-stepped", steppedRadLIF{NewRadLIF("n", N, AdLIFConfig{})}},
	} {
		b.Run(c.name, func(b *testing.B) {
			xp := autograd.NewParam("x", x, T, B, N)
			tp := autograd.NewTape()
			for range b.N {
				tp.Reset()
				spk, mem := c.l.Scan(tp, tp.Param(xp))
				tp.Backward(tp.Add(tp.SumAll(spk), tp.SumAll(mem)))
				xp.ZeroGrad()
				for _, p := range c.l.Params() {
					p.ZeroGrad()
				}
			}
		})
	}
}
