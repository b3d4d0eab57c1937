package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchShape is one SGEMM of the benchmark table; m, n, k describe the
// product op(A)[m,k] * op(B)[k,n].
type benchShape struct {
	name           string
	transA, transB bool
	m, n, k        int
}

// The layer shapes of a 784-1000-10 network at batch 128 (the benchmark of
// /work/shared/REFERENCE.md): forward NN, weight gradient TN, input gradient
// NT, for both layers; the same for all T*B = 25*128 = 3200 rows of a
// sequence at once, as the multi-step layers run them; and the classic
// square 1024^3.
var benchShapes = []benchShape{
	{"L1fwd_NN_128x1000x784", false, false, 128, 1000, 784},
	{"L1dW_TN_784x1000x128", true, false, 784, 1000, 128},
	{"L1dX_NT_128x784x1000", false, true, 128, 784, 1000},
	{"L2fwd_NN_128x10x1000", false, false, 128, 10, 1000},
	{"L2dW_TN_1000x10x128", true, false, 1000, 10, 128},
	{"L2dX_NT_128x1000x10", false, true, 128, 1000, 10},
	{"T25_L1fwd_NN_3200x1000x784", false, false, 3200, 1000, 784},
	{"T25_L1dW_TN_784x1000x3200", true, false, 784, 1000, 3200},
	{"T25_L1dX_NT_3200x784x1000", false, true, 3200, 784, 1000},
	{"T25_L2fwd_NN_3200x10x1000", false, false, 3200, 10, 1000},
	{"T25_L2dW_TN_1000x10x3200", true, false, 1000, 10, 3200},
	{"T25_L2dX_NT_3200x1000x10", false, true, 3200, 1000, 10},
	{"Square_NN_1024", false, false, 1024, 1024, 1024},
}

// sgemmBackend is one implementation benchmarked side by side.
type sgemmBackend struct {
	name string
	fn   func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
}

// BenchmarkSgemm runs every shape of benchShapes on every backend of this
// build (go; go and openblas with -tags openblas) with 1 and 2 threads. It
// reports GFLOP/s of wall-clock time and GFLOP per CPU-second of the process.
func BenchmarkSgemm(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range benchShapes {
		ar, ac := s.m, s.k
		if s.transA {
			ar, ac = s.k, s.m
		}
		br, bc := s.k, s.n
		if s.transB {
			br, bc = s.n, s.k
		}
		a := randSlice(rng, ar*ac)
		bm := randSlice(rng, br*bc)
		c := randSlice(rng, s.m*s.n)
		for _, be := range sgemmBackends() {
			for _, th := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/%s/threads=%d", s.name, be.name, th), func(b *testing.B) {
					defer SetThreads(SetThreads(th))
					b.ReportAllocs()
					cpu0, cpuOK := processCPU()
					for b.Loop() {
						be.fn(s.transA, s.transB, s.m, s.n, s.k, 1, a, ac, bm, bc, 0, c, s.n)
					}
					cpu1, _ := processCPU()
					flops := 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(b.N)
					b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					if cpuOK && cpu1 > cpu0 {
						// Work per CPU-second of the whole process: with one
						// thread, the speed the code would have on an idle
						// core; with more, it shows the parallel overhead.
						b.ReportMetric(flops/(cpu1-cpu0).Seconds()/1e9, "GFLOP/cpu-s")
					}
				})
			}
		}
	}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
	return s
}
