package surrogate_test

import (
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/surrogate"
)

// benchN is the number of elements per call: 1e5, a [T=25, B=4, N=1000]
// slice of membrane potentials.
const benchN = 100_000

// benchInput returns membrane potentials uniform in [0, 2) around a threshold
// of 1: about half the elements lie within the support of every built-in.
func benchInput() []float32 {
	rng := rand.New(rand.NewPCG(11, 12))
	v := make([]float32, benchN)
	for i := range v {
		v[i] = float32(2 * rng.Float64())
	}
	return v
}

func BenchmarkGradShifted(b *testing.B) {
	v := benchInput()
	dst := make([]float32, benchN)
	for _, c := range conformance {
		f := c.c.Func
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				surrogate.GradShifted(f, dst, v, 1)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchN, "ns/element")
		})
	}
}

// BenchmarkSpike measures Spike's forward and backward on a tape in steady
// state.
func BenchmarkSpike(b *testing.B) {
	p := autograd.NewParam("v", benchInput(), 25, 4, 1000)
	seed := make([]float32, benchN)
	for i := range seed {
		seed[i] = 1
	}
	for _, f := range []surrogate.Func{surrogate.FastSigmoid{}, surrogate.Sigmoid{}, surrogate.SparseFastSigmoid{}} {
		b.Run(f.String(), func(b *testing.B) {
			tape := autograd.NewTape()
			tape.BackwardFrom(surrogate.Spike(tape, tape.Param(p), 1, f), seed) // grow the arena
			b.ReportAllocs()
			for b.Loop() {
				tape.Reset()
				out := surrogate.Spike(tape, tape.Param(p), 1, f)
				tape.BackwardFrom(out, seed)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchN, "ns/element")
		})
	}
}
