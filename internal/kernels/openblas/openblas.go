//go:build openblas

package openblas

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
*/
import "C"

// Sgemm calls cblas_sgemm in row-major order: C = alpha * op(A) * op(B) +
// beta * C with op(A) [m, k], op(B) [k, n] and C [m, n], op(X) being X
// transposed when the matching flag is set, and lda, ldb, ldc the row
// strides of the stored matrices. The caller has checked the shapes: m, n
// and k are positive and the slices hold their matrices. OpenBLAS reads C
// even when beta == 0 only to scale it, so a NaN in C may survive as
// 0 * NaN; callers that promise otherwise clear C first.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ta, tb := uint32(C.CblasNoTrans), uint32(C.CblasNoTrans)
	if transA {
		ta = C.CblasTrans
	}
	if transB {
		tb = C.CblasTrans
	}
	C.cblas_sgemm(C.CblasRowMajor, C.enum_CBLAS_TRANSPOSE(ta), C.enum_CBLAS_TRANSPOSE(tb),
		C.blasint(m), C.blasint(n), C.blasint(k),
		C.float(alpha), (*C.float)(&a[0]), C.blasint(lda), (*C.float)(&b[0]), C.blasint(ldb),
		C.float(beta), (*C.float)(&c[0]), C.blasint(ldc))
}

// SetThreads sets the number of threads OpenBLAS runs on (n >= 1).
func SetThreads(n int) {
	C.openblas_set_num_threads(C.int(n))
}

// CoreName is the name of the CPU kernels OpenBLAS chose at load time (for
// example "Cooperlake" or "Haswell"; see OPENBLAS_CORETYPE).
func CoreName() string {
	return C.GoString(C.openblas_get_corename())
}
