package kernels

// RefSgemm is the plain triple-loop definition of Sgemm, kept as the reference
// that the fast kernels are tested against. It computes
//
//	C = alpha * op(A) * op(B) + beta * C
//
// where op(A) is [m, k] and op(B) is [k, n]; op(X) is X, or X transposed when
// the matching trans flag is set. With beta == 0, C is overwritten (NaNs in C
// do not propagate). It accumulates in float64, so it is also the accuracy
// reference.
func RefSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			r := alpha * float32(s)
			if beta != 0 {
				r += beta * c[i*ldc+j]
			}
			c[i*ldc+j] = r
		}
	}
}
