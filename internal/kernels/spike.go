package kernels

import (
	"fmt"
	"math"
	"unsafe"
)

// SpikeRows is a binary matrix stored as the list of its active (one)
// entries per row, in compressed sparse row form. Row r's active columns are
// Idx[Ptr[r]:Ptr[r+1]]. Every listed entry has the value 1 and every other
// entry 0; there are no stored values. FromDense and Transpose list each row
// strictly ascending; the products accept any order (a column listed twice
// counts twice) and add in list order.
//
// The buffers are reused: FromDense grows Ptr and Idx only when they are too
// small, so converting batches of similar activity allocates nothing in
// steady state. Counts are int32, so a matrix may hold at most
// math.MaxInt32 active entries.
type SpikeRows struct {
	Rows, Cols int     // shape [Rows, Cols]
	Ptr        []int32 // length Rows+1; Ptr[0] = 0, non-decreasing
	Idx        []int32 // length >= Ptr[Rows]; column numbers in [0, Cols)
}

// FromDense sets s to the binary matrix x [rows, cols] (row-major, row stride
// cols; len(x) >= rows*cols). Spike matrices are binary: every entry of x that
// is not zero (including NaN) is recorded as a spike of value 1, whatever its
// magnitude, and zeros (+0 and -0) as no spike. For a binary x this is exact.
//
// It panics with a *SpikeError if rows or cols is negative or x is too short.
func (s *SpikeRows) FromDense(x []float32, rows, cols int) {
	if rows < 0 || cols < 0 || len(x) < rows*cols {
		panic(&SpikeError{Op: "SpikeRows.FromDense", Reason: fmt.Sprintf("shape [%d, %d] needs %d values, have %d", rows, cols, rows*cols, len(x))})
	}
	if rows*cols > math.MaxInt32 {
		panic(&SpikeError{Op: "SpikeRows.FromDense", Reason: fmt.Sprintf("shape [%d, %d] has more than MaxInt32 entries", rows, cols)})
	}
	s.Rows, s.Cols = rows, cols
	if cap(s.Ptr) < rows+1 {
		s.Ptr = make([]int32, rows+1)
	}
	s.Ptr = s.Ptr[:rows+1]
	s.Ptr[0] = 0
	// The scan of one row may write up to cols+16 entries past the current
	// count (vector stores), so keep that much room.
	need := cols + 16
	idx := s.Idx[:cap(s.Idx)]
	nnz := 0
	nz := rowImpl.nonzero
	for r := range rows {
		if len(idx)-nnz < need {
			grown := make([]int32, max(2*len(idx), nnz+need, rows*cols/8+need))
			copy(grown, idx[:nnz])
			idx = grown
		}
		nnz += nz(x[r*cols:(r+1)*cols], idx[nnz:])
		s.Ptr[r+1] = int32(nnz)
	}
	s.Idx = idx[:nnz]
}

// Reserve makes room for the events of a [rows, cols] matrix whose activity
// (fraction of ones) is at most activity, so that FromDense of such a matrix
// allocates nothing. FromDense grows the lists as needed either way; Reserve
// sizes them once instead of when the activity first rises.
func (s *SpikeRows) Reserve(rows, cols int, activity float64) {
	if rows < 0 || cols < 0 {
		return
	}
	if cap(s.Ptr) < rows+1 {
		s.Ptr = make([]int32, 0, rows+1)
	}
	// FromDense keeps room for one more row's scan (cols+16) past the count.
	nnz := int(math.Ceil(min(1, max(0, activity)) * float64(rows) * float64(cols)))
	if want := nnz + cols + 16; cap(s.Idx) < want {
		s.Idx = make([]int32, 0, want)
	}
}

// NNZ returns the number of active entries.
func (s *SpikeRows) NNZ() int {
	if len(s.Ptr) == 0 {
		return 0
	}
	return int(s.Ptr[s.Rows])
}

// Activity returns the fraction of entries that are active, NNZ/(Rows*Cols),
// or 0 for an empty matrix.
func (s *SpikeRows) Activity() float64 {
	if s.Rows == 0 || s.Cols == 0 {
		return 0
	}
	return float64(s.NNZ()) / (float64(s.Rows) * float64(s.Cols))
}

// Transpose sets dst to the transpose of s: dst is [s.Cols, s.Rows] and row k
// of dst lists, ascending, the rows of s that have column k active. It reuses
// dst's buffers when they are large enough. dst must not be s. It panics
// with a *SpikeError if s is malformed.
func (s *SpikeRows) Transpose(dst *SpikeRows) {
	if dst == s {
		panic(&SpikeError{Op: "SpikeRows.Transpose", Reason: "dst must differ from the receiver"})
	}
	s.check("SpikeRows.Transpose")
	nnz := s.NNZ()
	dst.Rows, dst.Cols = s.Cols, s.Rows
	if cap(dst.Ptr) < s.Cols+1 {
		dst.Ptr = make([]int32, s.Cols+1)
	}
	if cap(dst.Idx) < nnz {
		dst.Idx = make([]int32, nnz)
	}
	ptr, idx := dst.Ptr[:s.Cols+1], dst.Idx[:nnz]
	clear(ptr)
	for _, k := range s.Idx[:nnz] {
		ptr[k+1]++
	}
	for k := range s.Cols {
		ptr[k+1] += ptr[k]
	}
	// ptr[k] is now the start of row k; use it as the fill cursor, which
	// leaves it at the start of row k+1, then shift back.
	for r := range s.Rows {
		for _, k := range s.Idx[s.Ptr[r]:s.Ptr[r+1]] {
			idx[ptr[k]] = int32(r)
			ptr[k]++
		}
	}
	copy(ptr[1:], ptr[:s.Cols])
	ptr[0] = 0
	dst.Ptr, dst.Idx = ptr, idx
}

// check panics unless s is well formed: Ptr of length Rows+1 starting at 0
// and non-decreasing, Idx long enough and every listed column in [0, Cols).
// The assembly kernels rely on it for memory safety. It costs O(Rows) plus a
// branch-free pass over the indices.
func (s *SpikeRows) check(op string) {
	if s.Rows < 0 || s.Cols < 0 || len(s.Ptr) != s.Rows+1 || s.Ptr[0] != 0 {
		panic(&SpikeError{Op: op, Reason: fmt.Sprintf("malformed SpikeRows: shape [%d, %d], len(Ptr) = %d", s.Rows, s.Cols, len(s.Ptr))})
	}
	if int(s.Ptr[s.Rows]) > len(s.Idx) {
		panic(&SpikeError{Op: op, Reason: fmt.Sprintf("malformed SpikeRows: Ptr[%d] = %d > len(Idx) = %d", s.Rows, s.Ptr[s.Rows], len(s.Idx))})
	}
	for r := range s.Rows {
		if s.Ptr[r] > s.Ptr[r+1] {
			panic(&SpikeError{Op: op, Reason: fmt.Sprintf("malformed SpikeRows: Ptr decreases at row %d", r)})
		}
	}
	idx := s.Idx[:s.Ptr[s.Rows]]
	// The largest index as uint32 (negative ones become huge), with eight
	// independent maxima.
	var m [8]uint32
	i := 0
	for ; i+8 <= len(idx); i += 8 {
		v := idx[i : i+8 : i+8]
		for q := range m {
			m[q] = max(m[q], uint32(v[q]))
		}
	}
	for ; i < len(idx); i++ {
		m[0] = max(m[0], uint32(idx[i]))
	}
	mx := max(m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7])
	if len(idx) > 0 && mx >= uint32(s.Cols) {
		for r := range s.Rows {
			for _, k := range s.Idx[s.Ptr[r]:s.Ptr[r+1]] {
				if k < 0 || int(k) >= s.Cols {
					panic(&SpikeError{Op: op, Reason: fmt.Sprintf("malformed SpikeRows: row %d lists column %d (Cols = %d)", r, k, s.Cols)})
				}
			}
		}
	}
}

// EstimateActivity returns the fraction of non-zeros in about 1/16 of the
// rows of a [m, k] matrix (all rows when m < 64): enough to tell a dense
// operand from a sparse one without scanning it all. The products that
// choose between event-driven and dense by it (autograd's MatMul,
// RecurrentScan) share it, so that they choose alike.
func EstimateActivity(a []float32, m, k int) float64 {
	step := 1
	if m >= 64 {
		step = 16
	}
	nz, n := 0, 0
	for r := 0; r < m; r += step {
		for _, v := range a[r*k : (r+1)*k] {
			if v != 0 {
				nz++
			}
		}
		n += k
	}
	return float64(nz) / float64(max(n, 1))
}

// Work partition of the spike products. Column tiles keep the touched slab of
// the dense operand (about K*spikeTileCols*4 bytes) in the L2 cache; row
// blocks give SpikeMatMul parallel work when n is small. The partition
// depends only on the shapes, and every output element is computed by one
// chunk with a fixed order of additions, so the results are bit-identical for
// any number of threads (see SetThreads).
const (
	spikeTileCols  = 256
	spikeRowsBlock = 64
)

// SpikeMatMul computes
//
//	C = alpha * S * W + beta * C
//
// where S is the binary [m, k] matrix s (m = s.Rows, k = s.Cols), W is
// [k, n] with row stride ldw and C is [m, n] with row stride ldc. With
// beta == 0, C is overwritten (NaNs in C do not propagate).
//
// Row i of S*W is the sum of the rows of W listed in row i of S. The k
// columns are cut into the blocks of SgemmKBlock(k) (one block for k <= 512),
// and each output element is computed as
//
//	acc_b = ((0 + W[k1][j]) + W[k2][j]) + ...   (k1, k2, ... the active columns of block b in list order)
//	C[i][j] = alpha*acc_1 + beta*C[i][j]         (each product rounded, no fused multiply-add)
//	C[i][j] = alpha*acc_b + C[i][j]              (the later blocks, in order)
//
// in float32, the same on every CPU path and for any number of threads.
// These are the additions of the pure-Go Sgemm on the dense 0/1 matrix (its
// tile kernels sum each K block from zero in ascending order), so with
// alpha = 1, beta 0 or 1 and each row's columns listed ascending (as
// FromDense lists them) the result has Sgemm's bits, except where Sgemm
// takes its dot-product path (n <= 15 and k >= 64) and in the openblas
// build. The cost is proportional to the number of active entries times n,
// against m*k*n for a dense product.
//
// It panics with a *SpikeError if s is malformed or a slice is too short for
// its shape.
func SpikeMatMul(n int, alpha float32, s *SpikeRows, w []float32, ldw int, beta float32, c []float32, ldc int) {
	const op = "SpikeMatMul"
	s.check(op)
	m, k := s.Rows, s.Cols
	checkMat(op, "W", k, n, w, ldw)
	checkMat(op, "C", m, n, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	j := spikeJobs.get()
	j.reset()
	j.transposed, j.n, j.alpha, j.beta, j.s, j.x, j.ldx, j.y, j.ldy, j.rk = false, n, alpha, beta, s, w, ldw, c, ldc, rowImpl
	j.tiles = (n + spikeTileCols - 1) / spikeTileCols
	j.blocks = (m + spikeRowsBlock - 1) / spikeRowsBlock
	runChunks(j.tiles*j.blocks, j)
	j.reset()
	spikeJobs.put(j)
}

// SpikeTMatMul computes the weight-gradient product
//
//	G = alpha * S^T * D + beta * G
//
// where S is the binary [m, k] matrix s, D is [m, n] with row stride ldd and
// G is [k, n] with row stride ldg: for every active entry (i, p) of S,
// G[p][:] += alpha*D[i][:]. With beta == 0, G is overwritten (NaNs in G do not
// propagate).
//
// Each output element is computed as
//
//	g = beta*G[p][j]   (or 0 when beta == 0; G unchanged when beta == 1)
//	g = g + alpha*D[i][j]   for the rows i that have column p active, ascending i
//
// in float32 (alpha*D rounded before the sum), the same on every CPU path and
// for any number of threads. Work is split over column tiles of G, so it
// runs on one thread when n <= 256.
//
// It panics with a *SpikeError if s is malformed or a slice is too short for
// its shape.
func SpikeTMatMul(n int, alpha float32, s *SpikeRows, d []float32, ldd int, beta float32, g []float32, ldg int) {
	const op = "SpikeTMatMul"
	s.check(op)
	m, k := s.Rows, s.Cols
	checkMat(op, "D", m, n, d, ldd)
	checkMat(op, "G", k, n, g, ldg)
	if k == 0 || n == 0 {
		return
	}
	j := spikeJobs.get()
	j.reset()
	j.transposed, j.n, j.alpha, j.beta, j.s, j.x, j.ldx, j.y, j.ldy, j.rk = true, n, alpha, beta, s, d, ldd, g, ldg, rowImpl
	j.tiles = (n + spikeTileCols - 1) / spikeTileCols
	j.blocks = 1
	runChunks(j.tiles, j)
	j.reset()
	spikeJobs.put(j)
}

// spikeJob is one SpikeMatMul or SpikeTMatMul call split into chunks: chunk
// t covers column tile t/blocks and, for SpikeMatMul, row block t%blocks.
// Jobs are pooled so that a call does not allocate.
type spikeJob struct {
	transposed  bool // SpikeTMatMul (x = D, y = G) or SpikeMatMul (x = W, y = C)
	n           int
	alpha, beta float32
	s           *SpikeRows
	x, y        []float32
	ldx, ldy    int
	tiles       int
	blocks      int
	rk          rowKernels

	// pad is kept between calls (reset keeps it): the padded copies of D
	// and G of a narrow SpikeTMatMul.
	pad []float32
}

// reset clears the job for reuse, keeping its padding buffer.
func (j *spikeJob) reset() {
	pad := j.pad
	*j = spikeJob{pad: pad}
}

var spikeJobs freeList[spikeJob]

func (j *spikeJob) runChunk(t int) {
	s := j.s
	j0 := (t / j.blocks) * spikeTileCols
	nc := min(spikeTileCols, j.n-j0)
	if !j.transposed {
		r0 := (t % j.blocks) * spikeRowsBlock
		var wt []float32 // empty when S has no columns: no row of W is read
		if s.Cols > 0 {
			wt = j.x[j0:]
		}
		r1 := min(r0+spikeRowsBlock, s.Rows)
		i := r0
		if kb := SgemmKBlock(s.Cols); kb < s.Cols {
			// Several K blocks: each row's list is cut at the block
			// boundaries, each part summed from zero and added in order.
			for ; i < r1; i++ {
				j.gatherBlocks(j.y[i*j.ldy+j0:], wt, s.Idx[s.Ptr[i]:s.Ptr[i+1]], kb, nc)
			}
			return
		}
		if g4 := j.rk.gather4; g4 != nil && nc <= 16 {
			// Narrow outputs: four rows at a time, so that four
			// independent chains of additions overlap.
			for ; i+4 <= r1; i += 4 {
				g4(j.y[i*j.ldy+j0:], j.ldy, wt, j.ldx, s.Idx, s.Ptr[i:i+5], nc, j.alpha, j.beta)
			}
		}
		for ; i < r1; i++ {
			j.rk.gather(j.y[i*j.ldy+j0:], wt, j.ldx, s.Idx[s.Ptr[i]:s.Ptr[i+1]], nc, j.alpha, j.beta)
		}
		return
	}
	if j.n < 16 && j.rk.name != goRowKernels.name {
		j.scatterNarrow(nc)
		return
	}
	g, ldg := j.y, j.ldy
	if beta := j.beta; beta != 1 {
		for p := range s.Cols {
			row := g[p*ldg+j0 : p*ldg+j0+nc]
			if beta == 0 {
				clear(row)
				continue
			}
			for q := range row {
				row[q] *= beta
			}
		}
	}
	for i := range s.Rows {
		lo, hi := s.Ptr[i], s.Ptr[i+1]
		if lo < hi {
			j.rk.scatter(g[j0:], ldg, s.Idx[lo:hi], j.x[i*j.ldx+j0:], nc, j.alpha)
		}
	}
}

// gatherBlocks is one row of SpikeMatMul when k spans several of Sgemm's K
// blocks of kb columns: the part of the list in each block is summed from
// zero and added to the row in block order (the first scaled by beta).
func (j *spikeJob) gatherBlocks(y, w []float32, list []int32, kb, nc int) {
	beta := j.beta
	for hi := int32(kb); ; hi += int32(kb) {
		q := 0
		for q < len(list) && list[q] < hi {
			q++
		}
		if q > 0 || beta != 1 {
			j.rk.gather(y, w, j.ldx, list[:q], nc, j.alpha, beta)
			beta = 1
		}
		list = list[q:]
		if len(list) == 0 {
			return
		}
	}
}

// scatterNarrow is SpikeTMatMul for n < 16 (nc = n, one tile) on the vector
// paths: D and G are copied into rows of 16 floats, one aligned cache line
// each, padded with zeros, so that every addition is a whole-vector load, add
// and store rather than a masked one across two lines; G is copied back at the
// end. The additions are the same, in the same order, so the result bits are
// those of the direct scatter.
func (j *spikeJob) scatterNarrow(nc int) {
	const w = 16
	s, m, k := j.s, j.s.Rows, j.s.Cols
	need := (m+k)*w + w // + room to align to 64 bytes
	if cap(j.pad) < need {
		j.pad = make([]float32, need)
	}
	buf := j.pad[:need]
	a := int(uintptr(unsafe.Pointer(&buf[0]))&63) / 4
	if a != 0 {
		a = w - a
	}
	dp, gp := buf[a:a+m*w], buf[a+m*w:a+(m+k)*w]
	clear(dp)
	for i := range m {
		copy(dp[i*w:i*w+nc], j.x[i*j.ldx:i*j.ldx+nc])
	}
	g, ldg, beta := j.y, j.ldy, j.beta
	clear(gp)
	for p := range k {
		row, pr := g[p*ldg:p*ldg+nc], gp[p*w:p*w+nc]
		switch beta {
		case 0:
		case 1:
			copy(pr, row)
		default:
			for q := range row {
				pr[q] = row[q] * beta
			}
		}
	}
	for i := range m {
		lo, hi := s.Ptr[i], s.Ptr[i+1]
		if lo < hi {
			j.rk.scatter(gp, w, s.Idx[lo:hi], dp[i*w:], w, j.alpha)
		}
	}
	for p := range k {
		copy(g[p*ldg:p*ldg+nc], gp[p*w:p*w+nc])
	}
}

// SpikeError is the panic value of the spike kernels for arguments that do
// not describe valid matrices: a malformed SpikeRows, a negative size, a row
// stride below the row length or a slice too short for its shape.
type SpikeError struct {
	Op     string // e.g. "SpikeMatMul"
	Reason string
}

// Error returns the message of the SpikeError.
func (e *SpikeError) Error() string { return "kernels: " + e.Op + ": " + e.Reason }

// checkMat panics unless x can hold a [rows, cols] matrix with row stride ld.
func checkMat(op, name string, rows, cols int, x []float32, ld int) {
	if rows < 0 || cols < 0 {
		panic(&SpikeError{Op: op, Reason: fmt.Sprintf("%s has negative shape [%d, %d]", name, rows, cols)})
	}
	if ld < max(cols, 1) {
		panic(&SpikeError{Op: op, Reason: fmt.Sprintf("%s [%d, %d] has row stride %d < %d", name, rows, cols, ld, cols)})
	}
	if rows > 0 && cols > 0 && len(x) < (rows-1)*ld+cols {
		panic(&SpikeError{Op: op, Reason: fmt.Sprintf("%s [%d, %d] with row stride %d needs %d values, have %d", name, rows, cols, ld, (rows-1)*ld+cols, len(x))})
	}
}
