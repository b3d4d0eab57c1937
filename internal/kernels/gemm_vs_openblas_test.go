//go:build openblas

package kernels

import (
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// BenchmarkSgemmVsOpenBLAS runs the pure-Go SGEMM and OpenBLAS side by side
// on one thread, on every shape of benchShapes and benchConvShapes: each
// iteration calls both, in alternating order, so that both meet the same
// load of a shared machine. Both are called once before the timing starts
// (packing buffers allocated, OpenBLAS's threads started). It reports, per
// backend, GFLOP/s of wall-clock time and GFLOP per CPU-second of the
// benchmark's thread (which runs all the work of either with one thread),
// and the speed of the Go SGEMM in percent of OpenBLAS's by each measure.
//
//	env -u OPENBLAS_CORETYPE go test -tags openblas -run '^$' \
//	    -bench '^BenchmarkSgemmVsOpenBLAS$' -count 5 ./internal/kernels/
func BenchmarkSgemmVsOpenBLAS(b *testing.B) {
	shapes := append(append([]benchShape(nil), benchShapes...), benchConvShapes...)
	for _, s := range shapes {
		b.Run(s.name, func(b *testing.B) {
			defer SetThreads(SetThreads(1))
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			ac, bc := s.strides()
			a, bm, c := s.operands(rand.New(rand.NewPCG(1, 2)))
			fns := [2]sgemmFunc{sgemmGo, sgemmOpenBLAS}
			for _, fn := range fns {
				fn(s.transA, s.transB, s.m, s.n, s.k, 1, a, ac, bm, bc, 0, c, s.n)
			}
			var wall, cpu [2]time.Duration
			cpuOK := true
			i := 0
			for b.Loop() {
				for x := range 2 {
					j := (x + i) % 2
					w0 := time.Now()
					c0, ok0 := threadCPU()
					fns[j](s.transA, s.transB, s.m, s.n, s.k, 1, a, ac, bm, bc, 0, c, s.n)
					c1, ok1 := threadCPU()
					wall[j] += time.Since(w0)
					cpu[j] += c1 - c0
					cpuOK = cpuOK && ok0 && ok1
				}
				i++
			}
			gflop := 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(b.N) / 1e9
			b.ReportMetric(gflop/wall[0].Seconds(), "go-GFLOP/s")
			b.ReportMetric(gflop/wall[1].Seconds(), "openblas-GFLOP/s")
			b.ReportMetric(100*wall[1].Seconds()/wall[0].Seconds(), "go/openblas-%")
			if cpuOK && cpu[0] > 0 && cpu[1] > 0 {
				b.ReportMetric(gflop/cpu[0].Seconds(), "go-GFLOP/thread-cpu-s")
				b.ReportMetric(gflop/cpu[1].Seconds(), "openblas-GFLOP/thread-cpu-s")
				b.ReportMetric(100*cpu[1].Seconds()/cpu[0].Seconds(), "go/openblas-thread-cpu-%")
			}
			b.ReportMetric(0, "ns/op")
		})
	}
}
