package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkMicroKernel measures each micro-kernel alone on panels that stay
// in cache, the ceiling for the full SGEMM.
func BenchmarkMicroKernel(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, p := range []gemmPath{pathGo, pathAVX2, pathAVX512, pathAVX512R} {
		if !gemmPathSupported(p) {
			continue
		}
		for _, kern := range kernelsFor(p) {
			for _, kc := range []int{128, 392, 512} {
				b.Run(fmt.Sprintf("%s/kc=%d", kern.name, kc), func(b *testing.B) {
					a := randSlice(rng, kc*kern.mr)
					bp := randSlice(rng, kc*kern.nr)
					c := randSlice(rng, kern.mr*kern.nr)
					for b.Loop() {
						kern.fn(kc, &a[0], &bp[0], kern.nr, &c[0], kern.nr, 1, 1, kern.mr, kern.nr)
					}
					flops := 2 * float64(kc*kern.mr*kern.nr)
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}
