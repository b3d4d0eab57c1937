package kernels

import (
	"fmt"
	"math/rand/v2"
	"runtime"
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

// The convolution shapes: Conv2d lowers to one SGEMM per group over the
// im2col columns of all T*B frames (layers/convop.go): forward NN
// W [out, k] * col [k, np], weight gradient NT dY [out, np] * col^T, input
// gradient TN W^T * dY [out, np], with k = in*3*3 and np = T*B*OH*OW. The
// shapes are those of T = 4, B = 16 with 3x3 kernels and padding 1:
// examples/fashion-mnist-conv.yaml (1x28x28 -> 8, then 8x14x14 -> 16) and
// SpikingJelly's Fashion-MNIST net (1x28x28 -> 128, then 128x14x14 -> 128).
var benchConvShapes = []benchShape{
	{"Conv8x1_fwd_NN_8x50176x9", false, false, 8, 50176, 9},
	{"Conv16x8_fwd_NN_16x12544x72", false, false, 16, 12544, 72},
	{"Conv16x8_dW_NT_16x72x12544", false, true, 16, 72, 12544},
	{"Conv16x8_dX_TN_72x12544x16", true, false, 72, 12544, 16},
	{"Conv128x1_fwd_NN_128x50176x9", false, false, 128, 50176, 9},
	{"Conv128x128_fwd_NN_128x12544x1152", false, false, 128, 12544, 1152},
	{"Conv128x128_dW_NT_128x1152x12544", false, true, 128, 1152, 12544},
	{"Conv128x128_dX_TN_1152x12544x128", true, false, 1152, 12544, 128},
}

// sgemmBackend is one implementation benchmarked side by side.
type sgemmBackend struct {
	name string
	fn   func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
}

// BenchmarkSgemm runs every shape of benchShapes on every backend of this
// build (go; go and openblas with -tags openblas) with 1 and 2 threads. It
// reports GFLOP/s of wall-clock time, GFLOP per CPU-second of the process
// and, with one thread, GFLOP per CPU-second of the benchmark's thread.
func BenchmarkSgemm(b *testing.B) {
	benchSgemm(b, benchShapes)
}

// BenchmarkSgemmConv is BenchmarkSgemm on the convolution shapes.
func BenchmarkSgemmConv(b *testing.B) {
	benchSgemm(b, benchConvShapes)
}

func benchSgemm(b *testing.B, shapes []benchShape) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range shapes {
		ar, ac := s.m, s.k
		if s.transA {
			ar, ac = s.k, s.m
		}
		br, bc := s.k, s.n
		if s.transB {
			br, bc = s.n, s.k
		}
		// The operands are made when a benchmark of the shape first runs,
		// so that a -bench filter does not pay for every shape's matrices.
		seed := rng.Uint64()
		var a, bm, c []float32
		for _, be := range sgemmBackends() {
			for _, th := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/%s/threads=%d", s.name, be.name, th), func(b *testing.B) {
					if a == nil {
						r := rand.New(rand.NewPCG(seed, 2))
						a, bm, c = randSlice(r, ar*ac), randSlice(r, br*bc), randSlice(r, s.m*s.n)
					}
					defer SetThreads(SetThreads(th))
					runtime.LockOSThread()
					defer runtime.UnlockOSThread()
					b.ReportAllocs()
					cpu0, cpuOK := processCPU()
					tcpu0, tcpuOK := threadCPU()
					for b.Loop() {
						be.fn(s.transA, s.transB, s.m, s.n, s.k, 1, a, ac, bm, bc, 0, c, s.n)
					}
					cpu1, _ := processCPU()
					tcpu1, _ := threadCPU()
					flops := 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(b.N)
					b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					if cpuOK && cpu1 > cpu0 {
						// Work per CPU-second of the whole process: with one
						// thread, the speed the code would have on an idle
						// core; with more, it shows the parallel overhead.
						b.ReportMetric(flops/(cpu1-cpu0).Seconds()/1e9, "GFLOP/cpu-s")
					}
					if th == 1 && tcpuOK && tcpu1 > tcpu0 {
						// Work per CPU-second of the benchmark's own thread,
						// which does all the work with one thread: unlike
						// the process figure, it does not count OpenBLAS's
						// idle threads, which stay once started.
						b.ReportMetric(flops/(tcpu1-tcpu0).Seconds()/1e9, "GFLOP/thread-cpu-s")
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
