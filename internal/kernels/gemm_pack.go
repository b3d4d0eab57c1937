package kernels

// packA writes rows [i0, i0+mv) and columns [p0, p0+kc) of A (stored
// [m, k], row stride lda) into dst as one micro-panel:
// dst[p*mr+i] = a[(i0+i)*lda+p0+p], with rows mv..mr-1 zero. (A stored
// transposed is packed by packRowwise.)
func packA(dst []float32, a []float32, lda, i0, mv, mr, p0, kc int) {
	dst = dst[:kc*mr]
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

// packRowwise packs columns [c0, c1) of kc stored rows (src[p*ld+c] for
// p < kc) into consecutive panels w wide, panel q at dst[q*stride:]:
// dst[q*stride+p*w+x] = src[p*ld+c0+q*w+x], with the columns of the last
// panel past c1 zero. It serves every panel whose rows lie along the stored
// rows (B not transposed, A transposed): it reads each stored row once, from
// left to right, where a panel at a time would walk all kc rows once per
// panel (a page and, for strides that are multiples of 1 KiB, the same few
// L1 sets per row).
func packRowwise(dst []float32, stride, w int, src []float32, ld, kc, c0, c1 int) {
	width := c1 - c0
	full := width / w // panels without padding
	asmFull := 0      // panels of every row copied by copyPanels
	if transposeAsm && w%4 == 0 && full > 0 && kc > 0 {
		// Go compiles each fixed-size copy below to a call of memmove
		// (the compiler cannot rule out overlap); the assembly copies all
		// rows of the full panels in one call.
		_ = dst[(kc-1)*w+(full-1)*stride+w-1]
		_ = src[(kc-1)*ld+c0+full*w-1]
		copyPanels(&dst[0], stride, &src[c0], ld, kc, full, w)
		asmFull = full
	}
	for p := 0; p < kc; p++ {
		row := src[p*ld+c0 : p*ld+c1 : p*ld+c1]
		d := dst[p*w:]
		q := asmFull
		// The common widths as fixed-size copies, which compile to vector
		// moves instead of a call per panel.
		switch w {
		case 8:
			for ; q < full; q++ {
				*(*[8]float32)(d[q*stride:]) = *(*[8]float32)(row[q*8:])
			}
		case 12:
			for ; q < full; q++ {
				*(*[12]float32)(d[q*stride:]) = *(*[12]float32)(row[q*12:])
			}
		case 16:
			for ; q < full; q++ {
				*(*[16]float32)(d[q*stride:]) = *(*[16]float32)(row[q*16:])
			}
		case 32:
			for ; q < full; q++ {
				*(*[32]float32)(d[q*stride:]) = *(*[32]float32)(row[q*32:])
			}
		case 48:
			for ; q < full; q++ {
				*(*[48]float32)(d[q*stride:]) = *(*[48]float32)(row[q*48:])
			}
		}
		for ; q < full; q++ {
			copy(d[q*stride:q*stride+w], row[q*w:])
		}
		if rest := width - full*w; rest > 0 {
			e := d[full*stride : full*stride+w]
			copy(e, row[full*w:])
			clear(e[rest:])
		}
	}
}

// transposeAsm selects the AVX kernels of the packers (transpose8x8,
// copyPanels); tests clear it to run the portable loops.
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

// packBTrans writes rows [p0, p0+kc) and columns [j0, j0+nv) of op(B) =
// B^T, for B stored [n, k] with row stride ldb, into dst as one
// micro-panel: dst[p*nr+j] = b[(j0+j)*ldb+p0+p], with columns nv..nr-1
// zero. Column j of the panel is a contiguous run of stored row j0+j, so
// the panel is the transpose of nv such runs. (B not transposed is packed
// by packRowwise.)
func packBTrans(dst []float32, b []float32, ldb, p0, kc, j0, nv, nr int) {
	dst = dst[:kc*nr]
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
