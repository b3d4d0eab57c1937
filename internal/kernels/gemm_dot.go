package kernels

// dotKernel computes a rows x cols block of dot products of length 16*kv:
// out[i*cols+j] = sum_p a[i*lda+p] * b[j*ldb+p], each sum in a fixed order.
type dotKernel struct {
	name       string
	rows, cols int
	fn         func(kv int, a *float32, lda int, b *float32, ldb int, out *float32)
}

// gemmDotMaxN is the widest output that takes the dot-product path: up to
// three column groups of the 4x5 kernel. Wider outputs fill the lanes of the
// tile kernels well enough.
const gemmDotMaxN = 15

// useDot reports whether an SGEMM of this shape takes the dot-product path:
// a narrow output (n <= gemmDotMaxN), rows of op(A) contiguous (A not
// transposed) and a K long enough for the 16-lane sums.
func useDot(transA bool, n, k int) bool {
	return gemmDot != nil && !transA && n <= gemmDotMaxN && k >= 64
}

// gemmDotCall is one dot-product SGEMM in progress, reused through
// gemmDotCalls: C[i,j] = alpha * (A[i,:] . Bt[j,:]) + beta * C[i,j], where
// Bt = op(B)^T is copied to bt with its rows padded to whole column groups.
type gemmDotCall struct {
	kern          *dotKernel
	m, n, k       int
	a             []float32
	lda           int
	c             []float32
	ldc           int
	alpha, beta   float32
	groups        int // row groups of kern.rows rows
	chunks        int
	btBuf, bt     []float32
	tailBuf, tail []float32 // zero-padded copy of a partial last row group
	out           []float32 // per chunk, rows*cols kernel results (on the heap: the kernel is called through a func value)
}

// gemmDotCalls keeps idle calls with their buffers (a freeList, as
// gemmCalls).
var gemmDotCalls freeList[gemmDotCall]

// sgemmDot is the dot-product path of sgemmGo for narrow outputs: every
// output is a dot product of a row of A and a row of op(B)^T, computed by
// the dot kernel in 16 lanes plus a scalar tail for k mod 16, so that A is
// read in place instead of being packed (which for NN would mean a
// transpose). The caller has checked the arguments and useDot.
func sgemmDot(transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	g := gemmDotCalls.get()
	kern := gemmDot
	g.kern, g.m, g.n, g.k = kern, m, n, k
	g.a, g.lda, g.c, g.ldc, g.alpha, g.beta = a, lda, c, ldc, alpha, beta
	cols := kern.cols
	nPad := (n + cols - 1) / cols * cols
	g.btBuf, g.bt = alignedFloats(g.btBuf, nPad*k)
	if transB {
		for j := 0; j < n; j++ {
			copy(g.bt[j*k:(j+1)*k], b[j*ldb:])
		}
	} else {
		// bt[j*k+p] = b[p*ldb+j]: transpose in groups of 8 rows of B.
		p := 0
		for ; p+8 <= k; p += 8 {
			transpose8(g.bt[p:], k, b[p*ldb:], ldb, n)
		}
		for ; p < k; p++ {
			for j := 0; j < n; j++ {
				g.bt[j*k+p] = b[p*ldb+j]
			}
		}
	}
	clear(g.bt[n*k:])
	g.groups = (m + kern.rows - 1) / kern.rows
	if rem := m % kern.rows; rem != 0 {
		g.tailBuf, g.tail = alignedFloats(g.tailBuf, kern.rows*k)
		i0 := m - rem
		for i := 0; i < kern.rows; i++ {
			row := g.tail[i*k : (i+1)*k]
			if i < rem {
				copy(row, a[(i0+i)*lda:])
			} else {
				clear(row)
			}
		}
	}
	g.chunks = 1
	if 2*float64(m)*float64(n)*float64(k) >= float64(gemmParFlops) {
		g.chunks = min(g.groups, gemmMinJobs)
	}
	if need := g.chunks * kern.rows * kern.cols; cap(g.out) < need {
		g.out = make([]float32, need)
	}
	runChunks(g.chunks, g)
	g.a, g.c = nil, nil
	gemmDotCalls.put(g)
}

// runChunk computes the row groups of chunk i of the fixed partition.
func (g *gemmDotCall) runChunk(i int) {
	kern := g.kern
	rows, cols, k := kern.rows, kern.cols, g.k
	kv := k / 16
	k16 := kv * 16
	res := g.out[i*rows*cols : (i+1)*rows*cols]
	for rg := i * g.groups / g.chunks; rg < (i+1)*g.groups/g.chunks; rg++ {
		i0 := rg * rows
		a, lda := g.a[i0*g.lda:], g.lda
		if i0+rows > g.m {
			a, lda = g.tail, k
		}
		for j0 := 0; j0 < g.n; j0 += cols {
			bt := g.bt[j0*k:]
			kern.fn(kv, &a[0], lda, &bt[0], k, &res[0])
			for ii := 0; ii < rows && i0+ii < g.m; ii++ {
				ar := a[ii*lda : ii*lda+k]
				crow := g.c[(i0+ii)*g.ldc:]
				for jj := 0; jj < cols && j0+jj < g.n; jj++ {
					s := res[ii*cols+jj]
					br := bt[jj*k : jj*k+k]
					for p := k16; p < k; p++ {
						s += ar[p] * br[p]
					}
					t := g.alpha * s
					if g.beta != 0 {
						t += g.beta * crow[j0+jj]
					}
					crow[j0+jj] = t
				}
			}
		}
	}
}
