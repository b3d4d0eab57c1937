package layers

import (
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/surrogate"
)

// BenchmarkOpenNeuromorphic is the shape of the Open Neuromorphic SNN
// library benchmark (open-neuromorphic.github.io, blog post "Spiking Neural
// Network (SNN) Library Benchmarks", docker/run_benchmark.py): one
// Linear(4096, 4096) with bias and one LIF layer of 4096 neurons with
// snnTorch Leaky's defaults there (beta 0.95, threshold 1, reset by
// subtraction, arctangent surrogate with alpha 2), on Gaussian input
// currents randn [T = 500, B = 16, 4096]; the loss is the sum of the output
// spikes. "forward" times the forward pass alone (the benchmark's forward
// figure); "forward+backward" a forward and a backward pass (the
// benchmark's backward figure is the second minus the first). The report's
// arena-MB is the tape's peak working memory. Run it alone for its peak
// RSS:
//
//	go test -c -o /tmp/layers.test ./layers
//	/usr/bin/time -v /tmp/layers.test -test.run '^$' -test.bench 'OpenNeuromorphic/forward\+backward' -test.benchtime 3x
func BenchmarkOpenNeuromorphic(b *testing.B) {
	const n, T, B = 4096, 500, 16
	rng := rand.New(rand.NewPCG(0, 1))
	fc := NewLinear("fc", n, n, LinearConfig{RNG: rng})
	lif := NewLIF("lif", n, LIFConfig{Beta: 0.95, Surrogate: surrogate.Atan{}})
	x := make([]float32, T*B*n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	for _, backward := range []bool{false, true} {
		name := "forward"
		if backward {
			name = "forward+backward"
		}
		b.Run(name, func(b *testing.B) {
			tp := autograd.NewTape()
			step := func() {
				tp.Reset()
				spk, _ := lif.Scan(tp, fc.Forward(tp, tp.Constant(x, T, B, n)))
				if backward {
					tp.Backward(tp.SumAll(spk))
				}
			}
			step() // sizes the arena
			for b.Loop() {
				step()
			}
			_, peak := tp.ArenaBytes()
			b.ReportMetric(float64(peak)/1e6, "arena-MB")
		})
	}
}
