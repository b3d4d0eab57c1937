package kernels

import (
	"fmt"
	"unsafe"
)

// SgemmError is the panic value of Sgemm for arguments that do not describe
// valid matrices: a negative size, a leading dimension smaller than the
// stored row length, a slice too short for its matrix, or the TT form.
type SgemmError struct {
	TransA, TransB bool
	M, N, K        int
	Lda, Ldb, Ldc  int
	LenA, LenB     int
	LenC           int
	Reason         string
}

// Error returns the message of the SgemmError.
func (e *SgemmError) Error() string {
	form := [2]string{"N", "T"}
	f := func(t bool) string {
		if t {
			return form[1]
		}
		return form[0]
	}
	return fmt.Sprintf("kernels: Sgemm %s%s m=%d n=%d k=%d lda=%d ldb=%d ldc=%d len(a)=%d len(b)=%d len(c)=%d: %s",
		f(e.TransA), f(e.TransB), e.M, e.N, e.K, e.Lda, e.Ldb, e.Ldc, e.LenA, e.LenB, e.LenC, e.Reason)
}

// checkSgemm panics with an *SgemmError if the arguments of Sgemm do not
// describe valid matrices.
func checkSgemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	fail := func(reason string) {
		panic(&SgemmError{TransA: transA, TransB: transB, M: m, N: n, K: k, Lda: lda, Ldb: ldb, Ldc: ldc,
			LenA: len(a), LenB: len(b), LenC: len(c), Reason: reason})
	}
	if transA && transB {
		fail("the TT form is not supported")
	}
	if m < 0 || n < 0 || k < 0 {
		fail("negative size")
	}
	// stored checks one row-major matrix of r rows of cols elements, stride ld.
	stored := func(name string, r, cols, ld, length int) {
		if ld < cols {
			fail(fmt.Sprintf("ld%s is smaller than the stored row length %d", name, cols))
		}
		if r > 0 && cols > 0 && length < (r-1)*ld+cols {
			fail(fmt.Sprintf("%s is too short for %dx%d with ld%s", name, r, cols, name))
		}
	}
	if transA {
		stored("a", k, m, lda, len(a))
	} else {
		stored("a", m, k, lda, len(a))
	}
	if transB {
		stored("b", n, k, ldb, len(b))
	} else {
		stored("b", k, n, ldb, len(b))
	}
	stored("c", m, n, ldc, len(c))
}

// scaleC sets C = beta * C for the m x n matrix c; beta == 0 writes zeros
// without reading C.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// Cache blocking for the pure-Go SGEMM, sized for AMD Zen 4 and Zen 5 (32 or
// 48 KiB L1d and 1 MiB L2 per core):
//
//   - the K sum is cut into nearly equal blocks of at most gemmKC, so that a
//     packed A micro-panel (kc x mr, 16 KiB for 8 x 512) stays in L1 while it
//     meets the B micro-panels of its column chunk (kc from 256 to 1024 gave
//     the same speed on the layer shapes within the noise of the machine);
//     the K blocks are the outer loop: each is packed (A, then B) and used
//     before the next, so the packed panels are written into cache that is
//     used again for the next block rather than out to memory;
//   - rows are taken in slabs whose packed A (one K block) holds at most
//     gemmAPack floats, so the scratch stays bounded for tall matrices; each
//     slab packs its A once per K block, shared by all jobs;
//   - each column block of each slab of C is cut into a fixed grid of jobs:
//     column chunks of whole nr-panels whose B block (kc x width) fits in
//     about half of L2, and, for a parallel call whose jobs share packed B,
//     row chunks until there are about gemmMinJobs jobs. A job runs its tiles
//     in the order (row panel, column panel), so an A micro-panel stays in L1
//     across its chunk's B panels, which stay in L2;
//   - when the grid has one row chunk (one goroutine, or enough column chunks
//     for every thread) each job packs its own chunk of B into a scratch
//     that stays in L2, right before using it (or, when the job's A panels
//     and one B micro-panel fit in gemmL1, one micro-panel at a time, run
//     against all the job's row panels while it is in L1); otherwise B is
//     packed into nr-wide panels shared by all jobs, one column block at a
//     time: whole panels holding at most gemmBPack floats (a share of L3),
//     so that a block is used from the cache it was packed into and the
//     scratch stays bounded for wide B (convolutions have n = T*B*OH*OW
//     columns); for fewer than gemmBPackRows rows of C, full-width panels of
//     a non-transposed B are read in place instead (one block, and the
//     scratch for packed B is one panel wide).
//
// The partition depends only on the shape, the chosen micro-kernel and
// whether the call is parallel, and every output element is summed over the
// same K blocks in the same order from the same packed panels whichever job
// or thread computes it, so results are bit-identical for any thread count.
var (
	gemmKC        = 512
	gemmAPack     = 1 << 22    // floats of packed A per slab and K block (16 MiB)
	gemmBBlock    = 128 * 1024 // floats of B per column chunk and K block (512 KiB)
	gemmBPack     = 1 << 21    // floats of shared packed B per column block (8 MiB, a share of L3)
	gemmMinJobs   = 24         // jobs of a parallel call: fine enough for 2 or 3 threads to balance
	gemmParFlops  = 1 << 22    // below this many flops (2mnk), run on one goroutine
	gemmSwapBonus = 0.8        // swap orientation only if it wastes clearly less
	gemmBAlias    = 1024       // B row strides (bytes) that are multiples of this get packed
	gemmBPackRows = 512        // from this many rows of C on, a non-transposed B is packed too
	gemmL1        = 32 << 10   // bytes of L1d to plan for: Zen 4's 32 KiB (Zen 5 has 48 KiB)
)

// gemmCall is one SGEMM in progress, reused through gemmCalls. When swap is
// set it computes C^T = op(B)^T * op(A)^T: the fields then describe that
// product (m, n, a, b exchanged) and tiles of it land transposed in c.
type gemmCall struct {
	kern           *microKernel
	swap           bool
	m, n, k        int
	transA, transB bool
	a, b, c        []float32
	lda, ldb, ldc  int
	alpha, beta    float32

	kb, nkb            int     // K block size (the last may be shorter) and count
	p0, kc             int     // the current K block: rows [p0, p0+kc) of op(B)
	kBeta              float32 // beta of the current K block: beta for the first, then 1
	slabRows           int     // rows per slab (a multiple of mr)
	par                bool    // big enough for the parallel job grid
	s0, mEnd           int     // the current slab: rows [s0, mEnd)
	mPanels, nPanels   int     // row panels of the slab, column panels of C
	chunkPanels        int     // at most this many column panels per job
	blkPanels          int     // column panels per column block of shared packed B
	cb0, cb1           int     // the current column block: panels [cb0, cb1)
	rowChunks, colChks int     // the job grid of the current slab and column block
	phase              int     // what runChunk does: phasePackB, phasePackA or phaseJobs
	bInPlace           bool    // full-width B panels are read from b, not packed
	jobPack            bool    // each job packs its own column chunk of B

	aPackBuf, aPack []float32 // packed A of the slab and K block; aPack is the 64-byte aligned view
	bPackBuf, bPack []float32 // shared packed B panels of the column block and K block (only the edge panel when bInPlace)
}

// The phases of a parallel SGEMM: for each slab and K block, A is packed,
// then for each column block its B panels are packed (unless the jobs pack
// their own) and its jobs run; each phase ends before the next starts.
const (
	phasePackB = iota
	phasePackA
	phaseJobs
)

// gemmCalls keeps idle calls with their packing buffers. A freeList, not a
// sync.Pool: a sync.Pool keeps a value put on one processor where a get on
// another does not find it, and the garbage collector empties it, so a
// training step now and then allocated a call and its megabytes of packing
// buffers again.
var gemmCalls freeList[gemmCall]

// gemmScratch is one job's edge tile and, when jobs pack their own B, its
// packed column chunk.
type gemmScratch struct {
	tBuf, t []float32 // t is the 64-byte aligned view
	bBuf, b []float32 // b is the 64-byte aligned view
}

// gemmScratches keeps idle edge tiles (a freeList, as gemmCalls). The jobs
// of a parallel call take them on the helper goroutines.
var gemmScratches freeList[gemmScratch]

// alignedFloats returns a 64-byte aligned slice of n floats, reusing buf
// when it is big enough; it returns the (possibly new) backing buffer too.
func alignedFloats(buf []float32, n int) (backing, view []float32) {
	if cap(buf) < n+16 {
		buf = make([]float32, n+16)
	}
	buf = buf[:cap(buf)]
	off := int((64 - uintptr(unsafe.Pointer(&buf[0]))%64) % 64 / 4)
	return buf, buf[off : off+n]
}

// sgemmGo is the pure-Go SGEMM with Sgemm's contract. It takes one of three
// paths: the dot-product kernel for narrow outputs (useDot), or the tile
// kernels on packed panels (plan), either on C or, when that wastes fewer
// lanes (narrow n), on C^T = op(B)^T op(A)^T. The active micro-kernels come
// from the CPU features (AVX-512, AVX2+FMA, or portable Go).
func sgemmGo(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkSgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	if useDot(transA, n, k) {
		sgemmDot(transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	g := gemmCalls.get()
	g.plan(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	g.run()
	g.a, g.b, g.c = nil, nil, nil
	gemmCalls.put(g)
}

// paddedCost is the number of multiply-adds a kernel spends on an m x n
// output, counting the padding of edge tiles.
func paddedCost(kern *microKernel, m, n int) float64 {
	mp := (m + kern.mr - 1) / kern.mr * kern.mr
	np := (n + kern.nr - 1) / kern.nr * kern.nr
	return float64(mp) * float64(np)
}

// plan chooses the micro-kernel, the orientation and the blocking of one
// call and sizes the packing scratch.
func (g *gemmCall) plan(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	// Pick the kernel and orientation that waste the fewest lanes on padding.
	// The swapped orientation (C^T = op(B)^T op(A)^T) suits small n: it puts
	// n along the kernel's rows instead of its vector lanes.
	best := -1.0
	for _, kern := range gemmKernels {
		for _, swap := range [2]bool{false, true} {
			cost := paddedCost(kern, m, n)
			if swap {
				cost = paddedCost(kern, n, m) / gemmSwapBonus
			}
			if best < 0 || cost < best {
				best, g.kern, g.swap = cost, kern, swap
			}
		}
	}
	g.alpha, g.beta, g.k = alpha, beta, k
	g.c, g.ldc = c, ldc
	if g.swap {
		g.m, g.n = n, m
		g.a, g.lda, g.transA = b, ldb, !transB
		g.b, g.ldb, g.transB = a, lda, !transA
	} else {
		g.m, g.n = m, n
		g.a, g.lda, g.transA = a, lda, transA
		g.b, g.ldb, g.transB = b, ldb, transB
	}
	mr, nr := g.kern.mr, g.kern.nr
	g.nkb = (k + gemmKC - 1) / gemmKC
	g.kb = (k + g.nkb - 1) / g.nkb
	g.nPanels = (g.n + nr - 1) / nr
	// Rows of a non-transposed B can feed the kernel in place. Packing costs
	// a pass over B, which pays off only when many rows of A share it
	// (m >= gemmBPackRows; measured: in place was 25 % faster at m = 128 and
	// 8 % slower at m = 784 on the layer shapes); and rows whose stride is a
	// multiple of 1 KiB are always packed: the kc rows of a panel would fall
	// into a few L1 sets and evict each other (4 KiB strides map to one set).
	g.bInPlace = !g.transB && g.m < gemmBPackRows && (g.ldb*4)%gemmBAlias != 0
	// Rows are processed in slabs whose packed A (one K block) fits
	// gemmAPack floats. The slabs are balanced: equal panel counts, not a
	// full slab and a sliver.
	allPanels := (g.m + mr - 1) / mr
	perSlab := max(1, gemmAPack/(g.kb*mr))
	slabs := (allPanels + perSlab - 1) / perSlab
	slabPanels := (allPanels + slabs - 1) / slabs
	g.slabRows = slabPanels * mr
	g.par = 2*float64(m)*float64(n)*float64(k) >= float64(gemmParFlops)
	g.aPackBuf, g.aPack = alignedFloats(g.aPackBuf, slabPanels*mr*g.kb)
	// Column chunks: whole panels whose B block (kb x width) fits
	// gemmBBlock. When the job grid has one row chunk (one goroutine, or
	// enough column chunks for every thread), each job packs its own chunk
	// of B right before using it, into a scratch that stays in L2, instead
	// of a shared pass that writes the panels out to L3 or memory and reads
	// them back.
	g.chunkPanels = max(1, gemmBBlock/(g.kb*nr))
	colChks := (g.nPanels + g.chunkPanels - 1) / g.chunkPanels
	g.jobPack = !g.bInPlace && (!g.par || colChks >= gemmMinJobs)
	// Shared packed B: the panels of one column block, or with bInPlace
	// (one block) only the partial last panel. The blocks are balanced, as
	// the slabs.
	g.blkPanels = g.nPanels
	bFloats := 0
	switch {
	case g.bInPlace:
		bFloats = nr * g.kb
	case !g.jobPack:
		perBlock := max(1, gemmBPack/(g.kb*nr))
		blocks := (g.nPanels + perBlock - 1) / perBlock
		g.blkPanels = (g.nPanels + blocks - 1) / blocks
		bFloats = g.blkPanels * nr * g.kb
	}
	g.bPackBuf, g.bPack = alignedFloats(g.bPackBuf, bFloats)
}

// setSlab sets the slab of rows starting at s0.
func (g *gemmCall) setSlab(s0 int) {
	mr := g.kern.mr
	g.s0, g.mEnd = s0, min(g.m, s0+g.slabRows)
	g.mPanels = (g.mEnd - s0 + mr - 1) / mr
}

// setKBlock sets the K block kbi.
func (g *gemmCall) setKBlock(kbi int) {
	g.p0 = kbi * g.kb
	g.kc = min(g.kb, g.k-g.p0)
	g.kBeta = g.beta
	if kbi > 0 {
		g.kBeta = 1
	}
}

// setBlock prepares the job grid for the column block of panels starting
// at cb0 in the current slab: column chunks of at most chunkPanels panels,
// so that an A micro-panel, once in L1, meets every B micro-panel of its
// chunk; then, for a parallel call whose jobs share packed B, row chunks
// until there are about gemmMinJobs jobs.
func (g *gemmCall) setBlock(cb0 int) {
	g.cb0, g.cb1 = cb0, min(g.nPanels, cb0+g.blkPanels)
	g.colChks = (g.cb1 - g.cb0 + g.chunkPanels - 1) / g.chunkPanels
	g.rowChunks = 1
	if g.par && !g.jobPack {
		g.rowChunks = max(1, min(g.mPanels, (gemmMinJobs+g.colChks-1)/g.colChks))
	}
}

// packChunks is the number of chunks of a parallel packing phase over n
// panels.
func packChunks(n int) int {
	return max(1, min(n, gemmMinJobs))
}

// run computes the product: per slab of rows and per K block, A is packed,
// then per column block of B the jobs run (after a shared packing of the
// block's B panels unless the jobs pack their own).
func (g *gemmCall) run() {
	for s0 := 0; s0 < g.m; s0 += g.slabRows {
		g.setSlab(s0)
		for kbi := 0; kbi < g.nkb; kbi++ {
			g.setKBlock(kbi)
			g.runPhase(phasePackA, packChunks(g.mPanels))
			for cb0 := 0; cb0 < g.nPanels; cb0 += g.blkPanels {
				g.setBlock(cb0)
				if !g.jobPack {
					g.runPhase(phasePackB, packChunks(g.cb1-g.cb0))
				}
				g.runPhase(phaseJobs, g.rowChunks*g.colChks)
			}
		}
	}
}

// runPhase runs the chunks of one phase, on this goroutine alone for a call
// too small for the parallel grid.
func (g *gemmCall) runPhase(phase, chunks int) {
	g.phase = phase
	if g.par {
		runChunks(chunks, g)
		return
	}
	for i := 0; i < chunks; i++ {
		g.runChunk(i)
	}
}

func (g *gemmCall) runChunk(i int) {
	switch g.phase {
	case phasePackB:
		np := g.cb1 - g.cb0
		c := packChunks(np)
		jp0, jp1 := g.cb0+i*np/c, g.cb0+(i+1)*np/c
		if !g.bInPlace {
			g.packBPanels(g.bPack[(jp0-g.cb0)*g.kc*g.kern.nr:], jp0, jp1)
			return
		}
		// Only a partial last panel is packed.
		last := g.nPanels - 1
		if g.n%g.kern.nr != 0 && jp0 <= last && last < jp1 {
			g.packBPanels(g.bPack, last, last+1)
		}
	case phasePackA:
		c := packChunks(g.mPanels)
		g.packAPanels(i*g.mPanels/c, (i+1)*g.mPanels/c)
	default:
		g.job(i)
	}
}

// bPanel returns column panel jp of op(B) (in the current column block) for
// the current K block, and its row stride, from the shared packing: the rows
// of b themselves for a full panel read in place, else the packed panel. The
// packed block holds its panels one after the other, kc x nr each.
func (g *gemmCall) bPanel(jp int) ([]float32, int) {
	nr := g.kern.nr
	if g.bInPlace {
		if j0 := jp * nr; j0+nr <= g.n {
			return g.b[g.p0*g.ldb+j0:], g.ldb
		}
		return g.bPack, nr
	}
	return g.bPack[(jp-g.cb0)*g.kc*nr:], nr
}

// packBPanels packs the column panels [jp0, jp1) of op(B) for the current
// K block into dst, one after the other, kc x nr each.
func (g *gemmCall) packBPanels(dst []float32, jp0, jp1 int) {
	nr, kc := g.kern.nr, g.kc
	if !g.transB {
		// Rows of B hold the panels side by side: copy them row by row.
		packRowwise(dst, kc*nr, nr, g.b[g.p0*g.ldb:], g.ldb, kc, jp0*nr, min(g.n, jp1*nr))
		return
	}
	for jp := jp0; jp < jp1; jp++ {
		j0 := jp * nr
		packBTrans(dst[(jp-jp0)*kc*nr:], g.b, g.ldb, g.p0, kc, j0, min(nr, g.n-j0), nr)
	}
}

// packAPanels packs the row panels [ip0, ip1) of op(A) for the current K
// block: row panel ip is kc x mr at aPack[ip*kc*mr:].
func (g *gemmCall) packAPanels(ip0, ip1 int) {
	mr, kc := g.kern.mr, g.kc
	if g.transA {
		// Rows of the stored A hold the panels side by side.
		packRowwise(g.aPack[ip0*kc*mr:], kc*mr, mr, g.a[g.p0*g.lda:], g.lda, kc,
			g.s0+ip0*mr, min(g.mEnd, g.s0+ip1*mr))
		return
	}
	for ip := ip0; ip < ip1; ip++ {
		i0 := g.s0 + ip*mr
		packA(g.aPack[ip*kc*mr:], g.a, g.lda, i0, min(mr, g.mEnd-i0), mr, g.p0, kc)
	}
}

// job computes one block of the fixed job grid for the current K block:
// row chunk i/colChks, column chunk i%colChks.
func (g *gemmCall) job(i int) {
	mr, nr, kc := g.kern.mr, g.kern.nr, g.kc
	rc, cc := i/g.colChks, i%g.colChks
	ip0, ip1 := rc*g.mPanels/g.rowChunks, (rc+1)*g.mPanels/g.rowChunks
	nb := g.cb1 - g.cb0
	jp0, jp1 := g.cb0+cc*nb/g.colChks, g.cb0+(cc+1)*nb/g.colChks
	if ip0 == ip1 || jp0 == jp1 {
		return
	}
	s := gemmScratches.get()
	s.tBuf, s.t = alignedFloats(s.tBuf, mr*nr)
	fn, beta := g.kern.fn, g.kBeta
	if g.jobPack && ((ip1-ip0)*mr+nr)*kc*4 <= gemmL1 {
		// The job's A panels and one B micro-panel fit in L1 together
		// (few rows of C, as the first layers of a convolution): pack one
		// B micro-panel at a time and run all row panels on it, so that
		// it is written and read in L1.
		s.bBuf, s.b = alignedFloats(s.bBuf, kc*nr)
		for jp := jp0; jp < jp1; jp++ {
			g.packBPanels(s.b, jp, jp+1)
			j0 := jp * nr
			nv := min(nr, g.n-j0)
			for ip := ip0; ip < ip1; ip++ {
				ap := g.aPack[ip*kc*mr:]
				i0 := g.s0 + ip*mr
				mv := min(mr, g.mEnd-i0)
				if !g.swap && (g.kern.partial || mv == mr && nv == nr) {
					fn(kc, &ap[0], &s.b[0], nr, &g.c[i0*g.ldc+j0], g.ldc, g.alpha, beta, mv, nv)
					continue
				}
				g.edgeTile(s.t, kc, ap, s.b, nr, i0, mv, j0, nv, beta)
			}
		}
		gemmScratches.put(s)
		return
	}
	if g.jobPack {
		s.bBuf, s.b = alignedFloats(s.bBuf, g.chunkPanels*g.kb*nr)
		g.packBPanels(s.b, jp0, jp1)
	}
	for ip := ip0; ip < ip1; ip++ {
		ap := g.aPack[ip*kc*mr:]
		i0 := g.s0 + ip*mr
		mv := min(mr, g.mEnd-i0)
		for jp := jp0; jp < jp1; jp++ {
			j0 := jp * nr
			nv := min(nr, g.n-j0)
			var bp []float32
			ldb := nr
			if g.jobPack {
				bp = s.b[(jp-jp0)*kc*nr:]
			} else {
				bp, ldb = g.bPanel(jp)
			}
			if !g.swap && (g.kern.partial || mv == mr && nv == nr) {
				fn(kc, &ap[0], &bp[0], ldb, &g.c[i0*g.ldc+j0], g.ldc, g.alpha, beta, mv, nv)
				continue
			}
			g.edgeTile(s.t, kc, ap, bp, ldb, i0, mv, j0, nv, beta)
		}
	}
	gemmScratches.put(s)
}

// edgeTile runs the micro-kernel on the scratch tile t for an output tile
// that is transposed (swap), or partial (mv < mr or nv < nr) for a kernel
// that cannot store partial tiles, copying the valid part of C in and out. The arithmetic is the kernel's own, so edge
// outputs round exactly like interior ones.
func (g *gemmCall) edgeTile(t []float32, kc int, ap, bp []float32, ldb, i0, mv, j0, nv int, beta float32) {
	nr := g.kern.nr
	c, ldc := g.c, g.ldc
	if g.swap {
		// Tile element (ii, jj) is c[(j0+jj)*ldc+i0+ii]: the copies are
		// transposes, done 8 lines at a time when the tile has 8.
		ct := c[j0*ldc+i0:]
		if beta != 0 {
			if nv >= 8 {
				interleaveRows(t, nr, ct, ldc, nv, mv)
			} else {
				for ii := 0; ii < mv; ii++ {
					for jj := 0; jj < nv; jj++ {
						t[ii*nr+jj] = ct[jj*ldc+ii]
					}
				}
			}
		}
		g.kern.fn(kc, &ap[0], &bp[0], ldb, &t[0], nr, g.alpha, beta, g.kern.mr, nr)
		if mv >= 8 {
			interleaveRows(ct, ldc, t, nr, mv, nv)
			return
		}
		for ii := 0; ii < mv; ii++ {
			for jj, v := range t[ii*nr : ii*nr+nv] {
				ct[jj*ldc+ii] = v
			}
		}
		return
	}
	if beta != 0 {
		for ii := 0; ii < mv; ii++ {
			copy(t[ii*nr:ii*nr+nv], c[(i0+ii)*ldc+j0:])
		}
	}
	g.kern.fn(kc, &ap[0], &bp[0], ldb, &t[0], nr, g.alpha, beta, g.kern.mr, nr)
	for ii := 0; ii < mv; ii++ {
		copy(c[(i0+ii)*ldc+j0:(i0+ii)*ldc+j0+nv], t[ii*nr:ii*nr+nv])
	}
}
