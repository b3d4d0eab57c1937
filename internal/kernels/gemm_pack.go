package kernels

// packA writes rows [i0, i0+mv) and columns [p0, p0+kc) of op(A) into dst as
// one micro-panel: dst[p*mr+i] = op(A)[i0+i, p0+p], with rows mv..mr-1 zero.
// op(A)[i, p] is a[i*lda+p], or a[p*lda+i] when trans is set.
func packA(dst []float32, trans bool, a []float32, lda, i0, mv, mr, p0, kc int) {
	dst = dst[:kc*mr]
	if trans {
		switch {
		case mr == 8 && mv == 8:
			for p := 0; p < kc; p++ {
				*(*[8]float32)(dst[p*8:]) = *(*[8]float32)(a[(p0+p)*lda+i0:])
			}
		case mr == 12 && mv == 12:
			for p := 0; p < kc; p++ {
				*(*[12]float32)(dst[p*12:]) = *(*[12]float32)(a[(p0+p)*lda+i0:])
			}
		default:
			for p := 0; p < kc; p++ {
				d := dst[p*mr : p*mr+mr]
				copy(d[:mv], a[(p0+p)*lda+i0:][:mv])
				clear(d[mv:])
			}
		}
		return
	}
	if mv >= 8 {
		interleaveRows(dst, mr, a[i0*lda+p0:], lda, mv, kc)
		for i := mv; i < mr; i++ {
			for p := 0; p < kc; p++ {
				dst[p*mr+i] = 0
			}
		}
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

// transposeAsm selects the AVX transposing kernel for the packers; tests
// clear it to run the portable loops.
var transposeAsm = asmAvailable && cpuAVX

// interleaveRows writes dst[p*ds+i] = src[i*ss+p] for i < rows and p < kc:
// rows runs of kc contiguous values become kc groups of stride ds. rows >= 8;
// it works in groups of 8 rows, the last group overlapping the one before
// when rows is not a multiple of 8 (rewriting the same values).
func interleaveRows(dst []float32, ds int, src []float32, ss, rows, kc int) {
	for i := 0; ; i += 8 {
		i = min(i, rows-8)
		transpose8(dst[i:], ds, src[i*ss:], ss, kc)
		if i == rows-8 {
			return
		}
	}
}

// transpose8 writes dst[p*ds+i] = src[i*ss+p] for i < 8 and p < n.
func transpose8(dst []float32, ds int, src []float32, ss, n int) {
	if n == 0 {
		return
	}
	_ = dst[(n-1)*ds+7]
	_ = src[7*ss+n-1]
	n8 := 0
	if transposeAsm {
		n8 = n &^ 7
		if n8 > 0 {
			transpose8x8(&dst[0], ds, &src[0], ss, n8)
		}
	}
	if n8 < n {
		transpose8Go(dst[n8*ds:], ds, src[n8:], ss, n-n8)
	}
}

// transpose8Go is the portable transpose8.
func transpose8Go(dst []float32, ds int, src []float32, ss, n int) {
	r0 := src[:n:n]
	r1 := src[ss:][:n:n]
	r2 := src[2*ss:][:n:n]
	r3 := src[3*ss:][:n:n]
	r4 := src[4*ss:][:n:n]
	r5 := src[5*ss:][:n:n]
	r6 := src[6*ss:][:n:n]
	r7 := src[7*ss:][:n:n]
	for p := range r0 {
		d := dst[p*ds : p*ds+8 : p*ds+8]
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
		// Whole rows of the common widths as fixed-size copies, which
		// compile to vector moves instead of a call per row.
		switch {
		case nv == 48 && nr == 48:
			for p := 0; p < kc; p++ {
				*(*[48]float32)(dst[p*48:]) = *(*[48]float32)(b[(p0+p)*ldb+j0:])
			}
		case nv == 32 && nr == 32:
			for p := 0; p < kc; p++ {
				*(*[32]float32)(dst[p*32:]) = *(*[32]float32)(b[(p0+p)*ldb+j0:])
			}
		case nv == 16 && nr == 16:
			for p := 0; p < kc; p++ {
				*(*[16]float32)(dst[p*16:]) = *(*[16]float32)(b[(p0+p)*ldb+j0:])
			}
		default:
			for p := 0; p < kc; p++ {
				d := dst[p*nr : p*nr+nr]
				copy(d[:nv], b[(p0+p)*ldb+j0:][:nv])
				clear(d[nv:])
			}
		}
		return
	}
	// Transposed: column j of the panel is a contiguous run of stored row
	// j0+j, so the panel is the transpose of nv such runs.
	if nv >= 8 {
		interleaveRows(dst, nr, b[j0*ldb+p0:], ldb, nv, kc)
	} else {
		for j := 0; j < nv; j++ {
			s := b[(j0+j)*ldb+p0:][:kc:kc]
			for p, v := range s {
				dst[p*nr+j] = v
			}
		}
	}
	if nv < nr {
		for p := 0; p < kc; p++ {
			clear(dst[p*nr+nv : p*nr+nr])
		}
	}
}
