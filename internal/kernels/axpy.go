package kernels

// Vector row-add helpers behind the event-driven spike kernels.
//
// Each helper has a portable Go version (below) and, on amd64, AVX-512 and
// AVX2 assembly versions chosen at run time (axpy_amd64.go). Every version adds
// in exactly the same order and rounds every product separately (no fused
// multiply-add), so all versions give bit-identical results; the tests check
// this.

// rowKernels is one implementation of the helpers.
type rowKernels struct {
	name string

	// gather sets dst[j] = alpha*acc[j] (+ beta*dst[j] when beta != 0) for
	// j < ncols, where acc[j] = ((w[i0][j] + w[i1][j]) + w[i2][j]) + ...,
	// w[k] = w[k*ldw:], summed in the order of idx, starting from 0. The
	// caller guarantees len(dst) >= ncols and int(k)*ldw+ncols <= len(w) for
	// every k in idx.
	gather func(dst, w []float32, ldw int, idx []int32, ncols int, alpha, beta float32)

	// gather4, when not nil, does gather for four consecutive rows at once
	// with 1 <= ncols <= 16: row r gets the indices idx[ptr[r]:ptr[r+1]] and
	// the destination dst[r*ldc:], with the same result bits as gather.
	gather4 func(dst []float32, ldc int, w []float32, ldw int, idx, ptr []int32, ncols int, alpha, beta float32)

	// scatter adds alpha*d[j] (rounded to float32 first) to g[k*ldg+j] for
	// every k in idx, in the order of idx, for j < ncols. The caller
	// guarantees len(d) >= ncols and int(k)*ldg+ncols <= len(g).
	scatter func(g []float32, ldg int, idx []int32, d []float32, ncols int, alpha float32)

	// nonzero writes the positions j (ascending) with x[j] != 0 to out and
	// returns their number. NaN counts as nonzero, -0 as zero. The caller
	// guarantees len(out) >= len(x)+16 (vector versions store whole vectors).
	nonzero func(x []float32, out []int32) int
}

// goRowKernels is the portable implementation.
var goRowKernels = rowKernels{name: "go", gather: gatherGo, scatter: scatterGo, nonzero: nonzeroGo}

// rowImpl is the implementation in use: the best one the CPU supports.
var rowImpl = bestRowKernels()

// gatherChunk is the number of columns the Go gather keeps in its
// accumulator array.
const gatherChunk = 64

func gatherGo(dst, w []float32, ldw int, idx []int32, ncols int, alpha, beta float32) {
	var acc [gatherChunk]float32
	for j0 := 0; j0 < ncols; j0 += gatherChunk {
		a := acc[:min(gatherChunk, ncols-j0)]
		clear(a)
		for _, k := range idx {
			off := int(k)*ldw + j0
			row := w[off : off+len(a)]
			for j := range a {
				a[j] += row[j]
			}
		}
		combineRow(dst[j0:j0+len(a)], a, alpha, beta)
	}
}

// combineRow sets d = alpha*a (+ beta*d when beta != 0), rounding each
// product before the sum. len(a) must equal len(d).
func combineRow(d, a []float32, alpha, beta float32) {
	a = a[:len(d)]
	switch {
	case beta == 0 && alpha == 1:
		copy(d, a)
	case beta == 0:
		for j := range d {
			d[j] = alpha * a[j]
		}
	default:
		for j := range d {
			// The conversions forbid fusing into a multiply-add, so the Go
			// and assembly versions round identically.
			d[j] = float32(alpha*a[j]) + float32(beta*d[j])
		}
	}
}

func scatterGo(g []float32, ldg int, idx []int32, d []float32, ncols int, alpha float32) {
	d = d[:ncols]
	if alpha == 1 {
		for _, k := range idx {
			off := int(k) * ldg
			row := g[off : off+len(d)]
			for j := range row {
				row[j] += d[j]
			}
		}
		return
	}
	for _, k := range idx {
		off := int(k) * ldg
		row := g[off : off+len(d)]
		for j := range row {
			row[j] += float32(alpha * d[j])
		}
	}
}

func nonzeroGo(x []float32, out []int32) int {
	out = out[:len(x)+1]
	n := 0
	for j, v := range x {
		// Branch-free: always store, advance only on a spike.
		out[n] = int32(j)
		if v != 0 {
			n++
		}
	}
	return n
}
