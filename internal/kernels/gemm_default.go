//go:build !openblas

package kernels

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
// This build runs the pure-Go SGEMM (packed panels, cache blocking, AVX-512
// or AVX2 micro-kernels where the CPU has them) on up to Threads()
// goroutines; results are bit-identical for every thread count.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmGo(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
