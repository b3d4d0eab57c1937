package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// startCPU and reportCPU bracket a benchmark loop and report the process CPU
// time per call (processCPU, gemm_cputime_*_test.go) as cpu-ms/op. On a
// shared machine it leaves out the time spent waiting for a core, so for one
// thread it is steadier than ns/op; with two threads it is the sum over both.
func startCPU() (time.Duration, bool) { return processCPU() }

func reportCPU(b *testing.B, cpu0 time.Duration, ok bool) {
	cpu1, _ := processCPU()
	if ok && cpu1 > cpu0 {
		b.ReportMetric(float64(cpu1-cpu0)/1e6/float64(b.N), "cpu-ms/op")
	}
}

// The layer shapes of benchmark A (docs/benchmarks.md): T*B = 25*128 = 3200
// rows; layer 1 is 784 -> 1000, layer 2 is 1000 -> 10.
var spikeBenchShapes = []struct {
	name    string
	m, k, n int
}{
	{"3200x784x1000", 3200, 784, 1000},
	{"3200x1000x10", 3200, 1000, 10},
}

// spikeBenchThreads are the thread counts (SetThreads) of the product
// benchmarks.
var spikeBenchThreads = []int{1, 2}

// spikeBenchActivity is the fraction of active entries, in percent.
var spikeBenchActivity = []int{1, 2, 5, 10, 20, 30, 50}

// BenchmarkSpikeMatMul measures C = S*W from the index lists. synops/s counts
// one synaptic operation (one weight added) per active entry and output
// column; dense-GFLOP/s is the dense product's 2*m*k*n flops per second, to
// compare with BenchmarkSpikeDense.
func BenchmarkSpikeMatMul(b *testing.B) {
	for _, th := range spikeBenchThreads {
		defer SetThreads(SetThreads(th))
		for _, sh := range spikeBenchShapes {
			for _, pct := range spikeBenchActivity {
				b.Run(fmt.Sprintf("threads=%d/%s/act=%d%%", th, sh.name, pct), func(b *testing.B) {
					rng := rand.New(rand.NewPCG(1, uint64(pct)))
					x := randSpikes(rng, sh.m, sh.k, float64(pct)/100)
					w := randMat(rng, sh.k*sh.n)
					c := make([]float32, sh.m*sh.n)
					var s SpikeRows
					s.FromDense(x, sh.m, sh.k)
					b.ReportAllocs()
					// One untimed call first: it touches the output pages, so the
					// timed calls do not pay the first-use page faults.
					SpikeMatMul(sh.n, 1, &s, w, sh.n, 0, c, sh.n)
					cpu0, cpuOK := startCPU()
					for b.Loop() {
						SpikeMatMul(sh.n, 1, &s, w, sh.n, 0, c, sh.n)
					}
					reportCPU(b, cpu0, cpuOK)
					sec := b.Elapsed().Seconds() / float64(b.N)
					b.ReportMetric(float64(s.NNZ())*float64(sh.n)/sec, "synops/s")
					b.ReportMetric(2*float64(sh.m)*float64(sh.k)*float64(sh.n)/sec/1e9, "dense-GFLOP/s")
				})
			}
		}
	}
}

// BenchmarkSpikeDense is the same product through the exported dense Sgemm
// on the 0/1 matrix; its time does not depend on the activity.
func BenchmarkSpikeDense(b *testing.B) {
	for _, th := range spikeBenchThreads {
		defer SetThreads(SetThreads(th))
		for _, sh := range spikeBenchShapes {
			b.Run(fmt.Sprintf("threads=%d/%s", th, sh.name), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 5))
				x := randSpikes(rng, sh.m, sh.k, 0.05)
				w := randMat(rng, sh.k*sh.n)
				c := make([]float32, sh.m*sh.n)
				b.ReportAllocs()
				// One untimed call first: it touches the output pages, so the
				// timed calls do not pay the first-use page faults.
				Sgemm(false, false, sh.m, sh.n, sh.k, 1, x, sh.k, w, sh.n, 0, c, sh.n)
				cpu0, cpuOK := startCPU()
				for b.Loop() {
					Sgemm(false, false, sh.m, sh.n, sh.k, 1, x, sh.k, w, sh.n, 0, c, sh.n)
				}
				reportCPU(b, cpu0, cpuOK)
				sec := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(2*float64(sh.m)*float64(sh.k)*float64(sh.n)/sec/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkSpikeFromDense measures the conversion of a dense 0/1 matrix to
// index lists, the cost a caller pays before SpikeMatMul when the spikes
// arrive dense. values/s counts scanned entries.
func BenchmarkSpikeFromDense(b *testing.B) {
	for _, sh := range spikeBenchShapes[:1] {
		for _, pct := range spikeBenchActivity {
			b.Run(fmt.Sprintf("%dx%d/act=%d%%", sh.m, sh.k, pct), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(2, uint64(pct)))
				x := randSpikes(rng, sh.m, sh.k, float64(pct)/100)
				var s SpikeRows
				s.FromDense(x, sh.m, sh.k)
				b.ReportAllocs()
				// One untimed call first: it touches the output pages, so the
				// timed calls do not pay the first-use page faults.
				s.FromDense(x, sh.m, sh.k)
				cpu0, cpuOK := startCPU()
				for b.Loop() {
					s.FromDense(x, sh.m, sh.k)
				}
				reportCPU(b, cpu0, cpuOK)
				sec := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(float64(sh.m*sh.k)/sec, "values/s")
			})
		}
	}
}

// BenchmarkSpikeTMatMul measures the weight gradient G = S^T*D of layer 2
// (S [3200, 1000] hidden spikes, D [3200, 10]) and of layer 1 shapes with
// spiking input (S [3200, 784], D [3200, 1000]), three ways: SpikeTMatMul
// (scatter), Transpose then SpikeMatMul (gather, same result bits), and dense
// Sgemm TN.
func BenchmarkSpikeTMatMul(b *testing.B) {
	for _, sh := range []struct {
		name    string
		m, k, n int
	}{{"3200x1000x10", 3200, 1000, 10}, {"3200x784x1000", 3200, 784, 1000}} {
		for _, pct := range []int{5, 20} {
			rng := rand.New(rand.NewPCG(3, uint64(pct)))
			x := randSpikes(rng, sh.m, sh.k, float64(pct)/100)
			d := randMat(rng, sh.m*sh.n)
			g := make([]float32, sh.k*sh.n)
			var s, st SpikeRows
			s.FromDense(x, sh.m, sh.k)
			flops := 2 * float64(sh.m) * float64(sh.k) * float64(sh.n)
			b.Run(fmt.Sprintf("%s/act=%d%%/scatter", sh.name, pct), func(b *testing.B) {
				b.ReportAllocs()
				// One untimed call first: it touches the output pages, so the
				// timed calls do not pay the first-use page faults.
				SpikeTMatMul(sh.n, 1, &s, d, sh.n, 0, g, sh.n)
				cpu0, cpuOK := startCPU()
				for b.Loop() {
					SpikeTMatMul(sh.n, 1, &s, d, sh.n, 0, g, sh.n)
				}
				reportCPU(b, cpu0, cpuOK)
				b.ReportMetric(flops/(b.Elapsed().Seconds()/float64(b.N))/1e9, "dense-GFLOP/s")
			})
			b.Run(fmt.Sprintf("%s/act=%d%%/transpose+gather", sh.name, pct), func(b *testing.B) {
				b.ReportAllocs()
				// One untimed call first: it touches the output pages, so the
				// timed calls do not pay the first-use page faults.
				s.Transpose(&st)
				SpikeMatMul(sh.n, 1, &st, d, sh.n, 0, g, sh.n)
				cpu0, cpuOK := startCPU()
				for b.Loop() {
					s.Transpose(&st)
					SpikeMatMul(sh.n, 1, &st, d, sh.n, 0, g, sh.n)
				}
				reportCPU(b, cpu0, cpuOK)
				b.ReportMetric(flops/(b.Elapsed().Seconds()/float64(b.N))/1e9, "dense-GFLOP/s")
			})
			if pct == 5 {
				b.Run(fmt.Sprintf("%s/dense", sh.name), func(b *testing.B) {
					b.ReportAllocs()
					// One untimed call first: it touches the output pages, so the
					// timed calls do not pay the first-use page faults.
					Sgemm(true, false, sh.k, sh.n, sh.m, 1, x, sh.k, d, sh.n, 0, g, sh.n)
					cpu0, cpuOK := startCPU()
					for b.Loop() {
						Sgemm(true, false, sh.k, sh.n, sh.m, 1, x, sh.k, d, sh.n, 0, g, sh.n)
					}
					reportCPU(b, cpu0, cpuOK)
					b.ReportMetric(flops/(b.Elapsed().Seconds()/float64(b.N))/1e9, "GFLOP/s")
				})
			}
		}
	}
}
