package kernels

// packA writes rows [i0, i0+mv) and columns [p0, p0+kc) of op(A) into dst as
// one micro-panel: dst[p*mr+i] = op(A)[i0+i, p0+p], with rows mv..mr-1 zero.
// op(A)[i, p] is a[i*lda+p], or a[p*lda+i] when trans is set.
func packA(dst []float32, trans bool, a []float32, lda, i0, mv, mr, p0, kc int) {
	dst = dst[:kc*mr]
	if trans {
		for p := 0; p < kc; p++ {
			d := dst[p*mr : p*mr+mr]
			s := a[(p0+p)*lda+i0:]
			copy(d[:mv], s[:mv])
			clear(d[mv:])
		}
		return
	}
	if mv == 8 && mr == 8 {
		packRows8(dst, a, lda, i0, p0, kc)
		return
	}
	for i := 0; i < mv; i++ {
		row := a[(i0+i)*lda+p0:][:kc]
		for p, v := range row {
			dst[p*mr+i] = v
		}
	}
	for i := mv; i < mr; i++ {
		for p := 0; p < kc; p++ {
			dst[p*mr+i] = 0
		}
	}
}

// packRows8 interleaves 8 rows of a row-major matrix: dst[p*8+i] =
// a[(i0+i)*lda+p0+p].
func packRows8(dst, a []float32, lda, i0, p0, kc int) {
	base := i0*lda + p0
	r0 := a[base:][:kc]
	r1 := a[base+lda:][:kc]
	r2 := a[base+2*lda:][:kc]
	r3 := a[base+3*lda:][:kc]
	r4 := a[base+4*lda:][:kc]
	r5 := a[base+5*lda:][:kc]
	r6 := a[base+6*lda:][:kc]
	r7 := a[base+7*lda:][:kc]
	for p := range r0 {
		d := dst[p*8 : p*8+8 : p*8+8]
		d[0], d[1], d[2], d[3] = r0[p], r1[p], r2[p], r3[p]
		d[4], d[5], d[6], d[7] = r4[p], r5[p], r6[p], r7[p]
	}
}

// packB writes rows [p0, p0+kc) and columns [j0, j0+nv) of op(B) into dst as
// one micro-panel: dst[p*nr+j] = op(B)[p0+p, j0+j], with columns nv..nr-1
// zero. op(B)[p, j] is b[p*ldb+j], or b[j*ldb+p] when trans is set.
func packB(dst []float32, trans bool, b []float32, ldb, p0, kc, j0, nv, nr int) {
	dst = dst[:kc*nr]
	if !trans {
		for p := 0; p < kc; p++ {
			d := dst[p*nr : p*nr+nr]
			copy(d[:nv], b[(p0+p)*ldb+j0:][:nv])
			clear(d[nv:])
		}
		return
	}
	// Transposed: column j of the panel is a contiguous run of stored row
	// j0+j. Walk K in blocks so the strided writes stay in L1.
	const pBlock = 64
	for pb := 0; pb < kc; pb += pBlock {
		pe := min(pb+pBlock, kc)
		j := 0
		for ; j+4 <= nv; j += 4 {
			s0 := b[(j0+j)*ldb+p0+pb:][: pe-pb : pe-pb]
			s1 := b[(j0+j+1)*ldb+p0+pb:][: pe-pb : pe-pb]
			s2 := b[(j0+j+2)*ldb+p0+pb:][: pe-pb : pe-pb]
			s3 := b[(j0+j+3)*ldb+p0+pb:][: pe-pb : pe-pb]
			for q := range s0 {
				d := dst[(pb+q)*nr+j : (pb+q)*nr+j+4 : (pb+q)*nr+j+4]
				d[0], d[1], d[2], d[3] = s0[q], s1[q], s2[q], s3[q]
			}
		}
		for ; j < nv; j++ {
			s := b[(j0+j)*ldb+p0+pb:][: pe-pb : pe-pb]
			for q, v := range s {
				dst[(pb+q)*nr+j] = v
			}
		}
		if nv < nr {
			for p := pb; p < pe; p++ {
				clear(dst[p*nr+nv : p*nr+nr])
			}
		}
	}
}
