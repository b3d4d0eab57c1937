//go:build amd64 && !purego

package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAVX512KernelsAgree checks that the AVX-512 kernels with A broadcast
// into registers (path avx512r) give the same bits as those with A
// broadcast inside the multiply-adds (path avx512) for the same panels: both
// run one fused multiply-add per step in the same order. Full and partial
// tiles, packed (ldb == nr) and strided B, beta zero and not, and k steps
// around the four-fold unrolled loop; C outside the stored part must stay
// NaN.
func TestAVX512KernelsAgree(t *testing.T) {
	if !gemmPathSupported(pathAVX512R) {
		t.Skip("AVX-512 not supported on this CPU or build")
	}
	rng := rand.New(rand.NewPCG(51, 52))
	pairs := [][2]*microKernel{{avx512Kernel8x48, avx512RKernel8x48}, {avx512Kernel12x32, avx512RKernel12x32}}
	for _, pair := range pairs {
		mr, nr := pair[0].mr, pair[0].nr
		if pair[1].mr != mr || pair[1].nr != nr {
			t.Fatalf("%s and %s differ in shape", pair[0].name, pair[1].name)
		}
		for _, kc := range []int{1, 2, 3, 4, 5, 7, 8, 9, 129} {
			for _, tile := range [][2]int{{mr, nr}, {mr - 1, nr}, {mr, nr - 5}, {1, 1}, {3, 17}} {
				for _, beta := range []float32{0, -1.25} {
					ldb := nr + rng.IntN(2)*7
					ldc := nr + 3
					a := randSlice(rng, kc*mr)
					b := randSlice(rng, (kc-1)*ldb+nr)
					c0 := randSlice(rng, mr*ldc)
					for i := range c0 {
						if i/ldc >= tile[0] || i%ldc >= tile[1] {
							c0[i] = float32(math.NaN())
						}
					}
					var out [2][]float32
					for x, kern := range pair {
						out[x] = append([]float32(nil), c0...)
						kern.fn(kc, &a[0], &b[0], ldb, &out[x][0], ldc, 0.5, beta, tile[0], tile[1])
					}
					for i := range c0 {
						inside := i/ldc < tile[0] && i%ldc < tile[1]
						g, w := out[1][i], out[0][i]
						if !inside {
							if !math.IsNaN(float64(g)) || !math.IsNaN(float64(w)) {
								t.Fatalf("%s/%s kc=%d tile=%v: C[%d] outside the tile written", pair[0].name, pair[1].name, kc, tile, i)
							}
							continue
						}
						if math.Float32bits(g) != math.Float32bits(w) {
							t.Fatalf("%s kc=%d tile=%v beta=%g ldb=%d: C[%d] = %g, %s gives %g",
								pair[1].name, kc, tile, beta, ldb, i, g, pair[0].name, w)
						}
					}
				}
			}
		}
	}
}
