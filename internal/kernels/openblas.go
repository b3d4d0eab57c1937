//go:build openblas

package kernels

import (
	"sync/atomic"

	"github.com/spikegrad/spikegrad/internal/kernels/openblas"
)

// blasThreads is the thread count last handed to OpenBLAS (0: none yet).
var blasThreads atomic.Int64

// Sgemm computes C = alpha * op(A) * op(B) + beta * C for row-major float32
// matrices, where op(A) is [m, k], op(B) is [k, n] and C is [m, n]; op(X) is X,
// or X transposed when the matching trans flag is set. lda, ldb and ldc are the
// row strides of the stored matrices (A is stored [m, k], or [k, m] when
// transA; B is stored [k, n], or [n, k] when transB). With beta == 0, C is
// overwritten without being read (NaNs in C do not propagate); with k == 0 or
// alpha == 0, C = beta * C and A and B are not read.
//
// Supported forms: NN, TN and NT. Sgemm panics with an *SgemmError for the TT
// form, negative sizes, a leading dimension below the stored row length, or
// slices too short for their matrices.
//
// This build (tag openblas) calls OpenBLAS's cblas_sgemm through cgo, with
// OpenBLAS's thread count set to Threads(); OpenBLAS does not promise
// bit-identical results across thread counts. The pure-Go SGEMM stays
// available to the package as sgemmGo.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmOpenBLAS(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmOpenBLAS is Sgemm's contract on top of cblas_sgemm.
func sgemmOpenBLAS(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkSgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	if beta == 0 {
		// OpenBLAS may scale C by beta before accumulating; clear it so
		// that NaNs in C cannot survive as 0 * NaN.
		scaleC(m, n, 0, c, ldc)
	}
	if t := int64(Threads()); blasThreads.Swap(t) != t {
		openblas.SetThreads(int(t))
	}
	openblas.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
