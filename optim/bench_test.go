package optim_test

import (
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/optim"
)

// mlpParams returns the Params of a 784-1000 layer (weight and bias,
// 785,000 values) with random values and gradients.
func mlpParams() []*autograd.Param {
	rng := rand.New(rand.NewPCG(1, 1))
	w := autograd.NewParam("fc1.weight", nil, 1000, 784)
	b := autograd.NewParam("fc1.bias", nil, 1000)
	ps := []*autograd.Param{w, b}
	for _, p := range ps {
		for i := range p.Data {
			p.Data[i] = float32(rng.NormFloat64() * 0.05)
			p.Grad[i] = float32(rng.NormFloat64() * 1e-3)
		}
	}
	return ps
}

// benchStep times Step and reports nanoseconds per parameter value.
func benchStep(b *testing.B, o optim.Optimizer) {
	n := 0
	for _, p := range o.Params() {
		n += p.Len()
	}
	b.ReportAllocs()
	b.SetBytes(int64(4 * n))
	for b.Loop() {
		o.Step()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/param")
}

// BenchmarkAdamStep runs Adam on the 784-1000 layer (785,000 values, 22 MB
// of values, gradients and moments: from memory) and on 16,384 values
// (256 KB: from cache), which separates the arithmetic from the memory traffic.
func BenchmarkAdamStep(b *testing.B) {
	b.Run("784x1000", func(b *testing.B) {
		benchStep(b, must(optim.NewAdam(mlpParams(), optim.DefaultAdam())))
	})
	b.Run("16384", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(1, 1))
		p := randParam(rng, "w", 16384)
		fillGrads(rng, []*autograd.Param{p})
		benchStep(b, must(optim.NewAdam([]*autograd.Param{p}, optim.DefaultAdam())))
	})
}

func BenchmarkAdamWStep(b *testing.B) {
	benchStep(b, must(optim.NewAdamW(mlpParams(), optim.DefaultAdamW())))
}

func BenchmarkAdamAMSGradStep(b *testing.B) {
	c := optim.DefaultAdam()
	c.AMSGrad = true
	benchStep(b, must(optim.NewAdam(mlpParams(), c)))
}

func BenchmarkSGDMomentumStep(b *testing.B) {
	benchStep(b, must(optim.NewSGD(mlpParams(), optim.SGDConfig{LR: 0.01, Momentum: 0.9, WeightDecay: 1e-4})))
}

func BenchmarkClipGradNorm(b *testing.B) {
	ps := mlpParams()
	b.ReportAllocs()
	b.SetBytes(4 * 785000)
	for b.Loop() {
		optim.ClipGradNorm(ps, 1e9) // measures without scaling, so every iteration does the same work
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/785000, "ns/param")
}

// TestStepDoesNotAllocate checks that Step, ZeroGrad and the clipping
// functions allocate nothing once the optimizer is built.
func TestStepDoesNotAllocate(t *testing.T) {
	for _, b := range builders {
		rng := rand.New(rand.NewPCG(9, 9))
		ps := []*autograd.Param{randParam(rng, "w", 100), randParam(rng, "b", 10)}
		fillGrads(rng, ps)
		o := must(b.make(ps))
		if n := testing.AllocsPerRun(10, func() {
			o.Step()
			optim.ClipGradNorm(ps, 0.5)
			optim.ClipGradValue(ps, 0.1)
			o.SetLR(o.LR())
		}); n != 0 {
			t.Errorf("%s: %v allocations per step, want 0", b.name, n)
		}
	}
}
