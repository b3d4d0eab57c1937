package kernels

// Sgemm computes C = alpha * op(A) * op(B) + beta * C for row-major float32
// matrices, where op(A) is [m, k], op(B) is [k, n] and C is [m, n]; op(X) is X,
// or X transposed when the matching trans flag is set. lda, ldb and ldc are the
// row strides of the stored matrices. With beta == 0, C is overwritten.
//
// Supported forms: NN, TN and NT (transA && transB panics).
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if transA && transB {
		panic("kernels: Sgemm: the TT form is not supported")
	}
	RefSgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
