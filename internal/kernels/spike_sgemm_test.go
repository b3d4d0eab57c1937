//go:build !openblas

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSpikeMatMulSgemmBits checks that SpikeMatMul on a 0/1 matrix gives
// the pure-Go Sgemm's bits (alpha 1, beta 0 or 1) on every row-kernel path,
// also when k spans several of Sgemm's K blocks (k > 512: 513, 700 and 1100
// cut into 2, 2 and 3 blocks), so that marking spike inputs binary changes
// the speed of a product and not its value. n >= 16 keeps Sgemm off its
// dot-product path (n <= 15 and k >= 64), whose order differs. It fails if
// the blocks are summed as one chain (1100: most outputs differ).
func TestSpikeMatMulSgemmBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	saved := rowImpl
	defer func() { rowImpl = saved }()
	for _, sh := range [][3]int{{64, 20, 16}, {70, 512, 33}, {40, 513, 256}, {100, 700, 256}, {30, 1100, 300}, {17, 700, 20}} {
		m, k, n := sh[0], sh[1], sh[2]
		for _, p := range []float64{0.02, 0.1, 0.5} {
			x := randSpikes(rng, m, k, p)
			for i := 0; i < m; i += 7 { // rows without spikes, and rows with spikes in one block only
				clear(x[i*k : (i+1)*k])
				if i+1 < m {
					clear(x[(i+1)*k : (i+1)*k+k/2])
				}
			}
			w := randMat(rng, k*n)
			c0 := randMat(rng, m*n)
			for _, beta := range []float32{0, 1} {
				want := slices.Clone(c0)
				sgemmGo(false, false, m, n, k, 1, x, k, w, n, beta, want, n)
				for _, impl := range availableRowKernels() {
					rowImpl = impl
					var s SpikeRows
					s.FromDense(x, m, k)
					got := slices.Clone(c0)
					SpikeMatMul(n, 1, &s, w, n, beta, got, n)
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s", fmt.Sprintf("%s [%d,%d]x[%d,%d] activity %g beta %g: element %d = %g, Sgemm %g",
								impl.name, m, k, k, n, p, beta, i, got[i], want[i]))
						}
					}
				}
			}
		}
	}
}
