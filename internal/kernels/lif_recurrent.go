package kernels

import "fmt"

// RecurrentScan is a recurrent leaky integrate-and-fire layer over a
// [T, B, N] sequence: LIFScan (or, with Alpha set, SynapticScan) whose input
// at step t is the given current x[t] plus the recurrent current of the
// previous step's spikes. For t = 0 .. T-1, per element (row b, feature f):
//
//	R[t][b][f] = Σ_i S[t-1][b][i]·V[i][f]     all to all, V [N, N] (row i: the weights from neuron i)
//	R[t][b][f] = S[t-1][b][f]·v[f]            OneToOne, v [N]
//	cur[t]     = x[t] + R[t]                  (cur[t] = x[t] when S[-1] is absent)
//	syn[t]     = alpha*syn[t-1] + cur[t]      with Alpha (cur[t] when syn[-1] is absent)
//
// and the membrane and spikes are LIFScan's with input cur[t] (without
// Alpha) or syn[t] (with Alpha), S[-1] = spk0, mem[-1] = mem0, syn[-1] = syn0.
//
// The recurrent product of a step is event-driven when its left side, the
// binary spikes S[t-1] [B, N], has fewer ones than EventActivity (counted
// while listing them): a SpikeMatMul, else a dense Sgemm. Forward computes
// every step with the float32 operations of one LIFScan step (T = 1), after
// the product and the sum cur[t] = x[t] + R[t] (and syn[t] = alpha*syn[t-1]
// rounded, + cur[t]), so that it equals a plain step-by-step loop that makes
// the same choice of product bit for bit.
//
// Backward runs in reverse time, one LIFScan backward step per time step,
// with the gradient of each step's spikes completed by the recurrence: with
// D[t] = dL/dcur[t] (for Alpha, Q[t] = dL/dsyn[t] as on SynapticScan and
// D[t] = Q[t]),
//
//	dL/dS[t-1] += D[t]·Vᵀ   (all to all, a dense [B, N]·[N, N] product per step)
//	dL/dS[t-1] += D[t]·v    (one to one)
//	dL/dx[t]    = D[t]
//	dL/dV      += Σ_t S[t-1]ᵀ·D[t]   (one product over the whole sequence, after the loop)
//	dL/dv[f]   += Σ_t Σ_b S[t-1][b][f]·D[t][b][f]
//
// and every other gradient as on LIFScan and SynapticScan. The product for
// dL/dV stacks the spikes of steps 0 .. T-2 into one [(T-1)·B, N] matrix
// (and spk0 for step 0), event-driven below EventActivity (SpikeTMatMul),
// else one transposed Sgemm.
type RecurrentScan struct {
	T, B, N int       // time steps, batch, features; n = B*N values per step
	Alpha   []float32 // synaptic current decay per feature, [N] or [1]; nil for no synaptic current
	Beta    []float32 // membrane decay factor per feature, [N] or [1]
	Thr     []float32 // firing threshold per feature, [N] or [1]
	Reset   ResetMode
	// ResetGrad lets the gradient flow through the reset term (LIFScan).
	ResetGrad bool
	// V is the recurrent weight: [N*N] row-major, row i the weights from
	// neuron i, or [N] with OneToOne.
	V        []float32
	OneToOne bool
	// EventActivity is the activity (fraction of ones) of a step's spikes
	// below which the recurrent product runs event-driven; 0 never.
	EventActivity float64
}

// RecurrentState is the state before a RecurrentScan's first step: [n]
// slices, nil for zeros. SpkBinary declares that Spk holds only 0 and 1, so
// that the first step's recurrent product may run event-driven (the spikes
// the scan makes itself are binary).
type RecurrentState struct {
	Syn, Mem, Spk []float32
	SpkBinary     bool
}

// RecurrentGrad holds the inputs and outputs of RecurrentScan.Backward.
// Slices marked optional may be nil.
type RecurrentGrad struct {
	DSpk []float32 // [T*n] dL/dS[t] from direct uses of the spikes; optional
	DMem []float32 // [T*n] dL/dmem[t] from direct uses of the membrane; optional
	DSyn []float32 // [T*n] dL/dsyn[t] from direct uses of the current (with Alpha); optional
	// SGFunc or FastSigmoid give the surrogate derivative, as on LIFGrad
	// (one of them is required).
	SGFunc      SurrogateGrad
	FastSigmoid float32

	DIn    []float32 // [T*n] dL/dx[t]; required (the weight gradient reads it), overwritten
	DSyn0  []float32 // [n] dL/dsyn0; optional, overwritten
	DMem0  []float32 // [n] dL/dmem0; optional, overwritten
	DSpk0  []float32 // [n] dL/dspk0 (reset and recurrence); optional, overwritten
	DAlpha []float32 // [len(Alpha)] dL/dalpha; optional, accumulated
	DBeta  []float32 // [len(Beta)] dL/dbeta; optional, accumulated
	DThr   []float32 // [len(Thr)] dL/dthr; optional, accumulated
	DV     []float32 // [len(V)] dL/dV; optional, accumulated
}

// recJob holds a RecurrentScan call's working buffers; pooled, so that
// steady-state calls do not allocate.
type recJob struct {
	buf []float32
	ev  SpikeRows
}

var recJobs freeList[recJob]

// getRecJob returns a pooled job with at least size floats of buffer.
func getRecJob(size int) *recJob {
	j := recJobs.get()
	if cap(j.buf) < size {
		j.buf = make([]float32, size)
	}
	j.buf = j.buf[:size]
	return j
}

// checkArgs checks Forward's and Backward's slices without building maps
// (which would allocate): required sequences must be present.
func (p *RecurrentScan) checkArgs(op string, seq []namedSlice, st []namedSlice) {
	fail := func(reason string) {
		panic(&ScanError{Op: op, T: p.T, B: p.B, N: p.N, Reason: reason})
	}
	if p.T < 0 || p.B < 0 || p.N < 0 {
		fail("negative size")
	}
	want := p.N * p.N
	if p.OneToOne {
		want = p.N
	}
	if len(p.V) != want {
		fail(fmt.Sprintf("V has length %d, want %d", len(p.V), want))
	}
	if p.Alpha != nil && len(p.Alpha) != 1 && len(p.Alpha) != p.N {
		fail(fmt.Sprintf("Alpha has length %d, want %d or 1", len(p.Alpha), p.N))
	}
	n := p.B * p.N
	for _, s := range seq {
		if (s.required || s.x != nil) && len(s.x) < p.T*n {
			fail(fmt.Sprintf("%s has length %d, want %d", s.name, len(s.x), p.T*n))
		}
	}
	for _, s := range st {
		if s.x != nil && len(s.x) < n {
			fail(fmt.Sprintf("%s has length %d, want %d", s.name, len(s.x), n))
		}
	}
}

type namedSlice struct {
	name     string
	x        []float32
	required bool
}

// eventDriven reports whether the product of the binary [m, k] matrix s
// runs event-driven at the threshold a (see EstimateActivity).
func eventDriven(s []float32, binary bool, m, k int, a float64) bool {
	return binary && a > 0 && m*k > 0 && EstimateActivity(s, m, k) < a
}

// recurrentProduct writes r = S·V or S⊙v for the binary spikes s [B, N]
// (the B rows of a chunk).
func (p *RecurrentScan) recurrentProduct(j *recJob, B int, r, s []float32, binary bool) {
	N := p.N
	if p.OneToOne {
		for off := 0; off < B*N; off += N {
			rr, ss := r[off:off+N], s[off:off+N]
			for f, v := range p.V[:N] {
				rr[f] = ss[f] * v
			}
		}
		return
	}
	spikeProduct(&j.ev, r, s, binary, B, N, p.V, p.EventActivity)
}

// spikeProduct writes r = S·V for the spikes s [B, N] and V [N, N]:
// event-driven (through ev) when s is binary and fewer than act of its
// entries are ones, else a dense Sgemm. The spikes are listed and counted in
// one vector pass (the few rows of a chunk would all be read by
// EstimateActivity first); both products give the same bits (SpikeMatMul
// adds in Sgemm's order), so the count only picks the faster.
func spikeProduct(ev *SpikeRows, r, s []float32, binary bool, B, N int, V []float32, act float64) {
	if binary && act > 0 && B*N > 0 {
		ev.Reserve(B, N, 1.25*act)
		ev.FromDense(s, B, N)
		if float64(ev.NNZ()) < act*float64(B*N) {
			SpikeMatMul(N, 1, ev, V, N, 0, r, N)
			return
		}
	}
	Sgemm(false, false, B, N, N, 1, s, N, V, N, 0, r, N)
}

// Forward runs the scan: in [T*n] is the input current x and s0 the state
// before the first step; it writes syn (with Alpha; else it may be nil),
// mem and spk [T*n], which Backward needs. It panics with a *ScanError if a
// slice is too short or a parameter has the wrong length.
func (p *RecurrentScan) Forward(in []float32, s0 RecurrentState, syn, mem, spk []float32) {
	const op = "RecurrentScan.Forward"
	p.checkArgs(op, []namedSlice{{"in", in, true}, {"syn", syn, p.Alpha != nil}, {"mem", mem, true}, {"spk", spk, true}},
		[]namedSlice{{"syn0", s0.Syn, false}, {"mem0", s0.Mem, false}, {"spk0", s0.Spk, false}})
	if p.T == 0 || p.B*p.N == 0 {
		return
	}
	r := recRuns.get()
	*r = recRun{p: *p, fwd: true, chunks: p.chunks(false), in: in, s0: s0, syn: syn, mem: mem, spk: spk}
	runChunks(r.chunks, r)
	*r = recRun{}
	recRuns.put(r)
}

// Work partition of the recurrent scan. The recurrence mixes the features
// of a sample, never two samples, so the batch rows are independent through
// the whole sequence: the scan cuts them into chunks, and each chunk steps
// its rows through every time step. That is one parallel region per scan
// instead of a parallel product at every step (whose start and wait, twice
// per step, cost more than the second thread gained on products of 64
// rows). A chunk carries at least gemmParFlops of recurrent product over
// the sequence (the work below which the SGEMM keeps a product on one
// goroutine) and at least recChunkRows rows; there are at most
// maxScanChunks chunks (as for the other scans). The partition depends on the shape alone, every
// value is computed by one chunk, and a row's arithmetic does not depend on
// the rows beside it (each output of a product sums its own row's terms in
// the same order for any number of rows), so the results are bit-identical
// for any thread count and equal to those of one chunk.
//
// Learnable beta or threshold gradients are sums over the batch that the
// per-step LIF kernel adds up in its own order: with DBeta or DThr wanted,
// Backward keeps one chunk, so that the order is the unchunked one.

// chunks returns the number of row chunks of a Forward (backward false) or
// of a Backward.
func (p *RecurrentScan) chunks(backward bool) int {
	perRow := float64(p.N) // one to one: N multiply-adds per row and step
	if !p.OneToOne {
		perRow *= float64(p.N)
	}
	work := 2 * float64(p.T) * float64(p.B) * perRow
	if backward {
		work *= 2 // the product's input gradient, and the weight gradient's share
	}
	c := int(work / float64(gemmParFlops))
	return max(1, min(maxScanChunks, p.B/recChunkRows, c))
}

// recChunkRows is the fewest batch rows of a chunk of the recurrent scan.
// Each chunk's per-step product has fixed costs that do not shrink with its
// rows (packing a partial panel of V, up to N·48 values, and the A panel
// edge): with 32 rows or more they stay a few percent of its rows·N·N
// multiply-adds; with 8 rows they were a quarter.
const recChunkRows = 32

// recRun is one Forward or Backward call cut into row chunks; pooled, so
// that a call does not allocate.
type recRun struct {
	p             RecurrentScan // copies: a pointer kept in the pooled run
	g             RecurrentGrad // would move the caller's values to the heap
	fwd           bool
	chunks        int
	in            []float32
	s0            RecurrentState
	syn, mem, spk []float32
	vt            []float32 // Vᵀ with row stride ldvt, for the backward product
	ldvt          int
	accA, accV    []float32 // [B*N] per-element sums, reduced after the chunks
}

var recRuns freeList[recRun]

func (r *recRun) runChunk(c int) {
	B := r.p.B
	b0, b1 := c*B/r.chunks, (c+1)*B/r.chunks
	if b0 == b1 {
		return
	}
	if r.fwd {
		r.p.forwardRows(r, b0, b1)
	} else {
		r.p.backwardRows(r, b0, b1)
	}
}

// rowsOf returns the batch rows [b0, b1) of the step of x that starts at
// o, or nil for a nil x.
func rowsOf(x []float32, o, b0, b1, N int) []float32 {
	if x == nil {
		return nil
	}
	return x[o+b0*N : o+b1*N]
}

// forwardRows runs Forward for the batch rows [b0, b1).
func (p *RecurrentScan) forwardRows(r *recRun, b0, b1 int) {
	T, N := p.T, p.N
	n, rb := p.B*N, b1-b0
	j := getRecJob(rb * N)
	defer recJobs.put(j)
	cur := j.buf
	lif := LIFScan{T: 1, B: rb, N: N, Beta: p.Beta, Thr: p.Thr, Reset: p.Reset}
	s0 := r.s0
	pSyn, pMem, pSpk, binary := rowsOf(s0.Syn, 0, b0, b1, N), rowsOf(s0.Mem, 0, b0, b1, N), rowsOf(s0.Spk, 0, b0, b1, N), s0.SpkBinary
	for t := range T {
		o := t * n
		x := rowsOf(r.in, o, b0, b1, N)
		if pSpk != nil {
			p.recurrentProduct(j, rb, cur, pSpk, binary)
			for i, v := range x {
				cur[i] = v + cur[i]
			}
			x = cur
		}
		if p.Alpha != nil {
			y := rowsOf(r.syn, o, b0, b1, N)
			if pSyn == nil {
				copy(y, x)
			} else {
				synDecay(y, pSyn, x, p.Alpha, N)
			}
			x, pSyn = y, y
		}
		m, sp := rowsOf(r.mem, o, b0, b1, N), rowsOf(r.spk, o, b0, b1, N)
		lif.Forward(x, pMem, pSpk, m, sp)
		pMem, pSpk, binary = m, sp, true
	}
}

// synDecay writes y = alpha*prev (rounded) + x per element, alpha per
// feature ([N] or [1]).
func synDecay(y, prev, x, alpha []float32, N int) {
	if len(alpha) == 1 {
		a := alpha[0]
		for i := range y {
			y[i] = float32(a*prev[i]) + x[i]
		}
		return
	}
	for off := 0; off < len(y); off += N {
		yy, pp, xx := y[off:off+N], prev[off:off+N], x[off:off+N]
		for f, a := range alpha[:N] {
			yy[f] = float32(a*pp[f]) + xx[f]
		}
	}
}

// Backward runs the reverse-time scan of Forward (equations on
// RecurrentScan). s0 is Forward's initial state; syn, mem and spk its
// outputs. It panics with a *ScanError if a slice is too short or a
// parameter or gradient has the wrong length.
func (p *RecurrentScan) Backward(s0 RecurrentState, syn, mem, spk []float32, g *RecurrentGrad) {
	const op = "RecurrentScan.Backward"
	p.checkArgs(op, []namedSlice{{"syn", syn, p.Alpha != nil}, {"mem", mem, true}, {"spk", spk, true},
		{"DSpk", g.DSpk, false}, {"DMem", g.DMem, false}, {"DSyn", g.DSyn, false}, {"DIn", g.DIn, true}},
		[]namedSlice{{"syn0", s0.Syn, false}, {"mem0", s0.Mem, false}, {"spk0", s0.Spk, false},
			{"DSyn0", g.DSyn0, false}, {"DMem0", g.DMem0, false}, {"DSpk0", g.DSpk0, false}})
	if g.DV != nil && len(g.DV) != len(p.V) {
		panic(&ScanError{Op: op, T: p.T, B: p.B, N: p.N, Reason: fmt.Sprintf("DV has length %d, want %d", len(g.DV), len(p.V))})
	}
	if g.DAlpha != nil && len(g.DAlpha) != len(p.Alpha) {
		panic(&ScanError{Op: op, T: p.T, B: p.B, N: p.N, Reason: fmt.Sprintf("DAlpha has length %d, want %d", len(g.DAlpha), len(p.Alpha))})
	}
	T, B, N := p.T, p.B, p.N
	n := B * N
	if T == 0 || n == 0 {
		clear(g.DSyn0)
		clear(g.DMem0)
		clear(g.DSpk0)
		return
	}
	r := recRuns.get()
	*r = recRun{p: *p, chunks: p.chunks(true), s0: s0, syn: syn, mem: mem, spk: spk, g: *g}
	if g.DBeta != nil || g.DThr != nil {
		r.chunks = 1
	}
	ldvt := N + 16
	if (ldvt*4)%gemmBAlias == 0 {
		ldvt += 16
	}
	j := getRecJob(2*n + N*ldvt)
	defer recJobs.put(j)
	r.accA, r.accV = j.buf[:n], j.buf[n:2*n]
	clear(r.accA)
	clear(r.accV)
	if !p.OneToOne {
		// Vᵀ once for all steps and chunks, its rows padded so that the
		// SGEMM reads it in place: with a row stride that is a multiple
		// of 1 KiB (N = 256) it would pack the matrix at every step.
		r.vt, r.ldvt = j.buf[2*n:2*n+N*ldvt], ldvt
		for a := range N {
			for b, v := range p.V[a*N : (a+1)*N] {
				r.vt[b*ldvt+a] = v
			}
		}
	}
	runChunks(r.chunks, r)
	if g.DAlpha != nil {
		reduceFeatures(g.DAlpha, r.accA, B, N)
	}
	if g.DV != nil {
		if p.OneToOne {
			reduceFeatures(g.DV, r.accV, B, N)
		} else {
			spikeWeightGrad(&j.ev, T, B, N, p.EventActivity, s0.Spk, s0.SpkBinary, spk, g.DIn, g.DV)
		}
	}
	*r = recRun{}
	recRuns.put(r)
}

// backwardRows runs Backward's reverse-time scan for the batch rows
// [b0, b1): the input gradients of those rows, their initial-state
// gradients, and their shares of the per-element sums accA and accV.
func (p *RecurrentScan) backwardRows(r *recRun, b0, b1 int) {
	T, N := p.T, p.N
	n, rb := p.B*N, b1-b0
	cn := rb * N
	g, s0 := &r.g, r.s0
	j := getRecJob(6 * cn)
	defer recJobs.put(j)
	b := j.buf
	ds, dm := b[0:cn], b[cn:2*cn]
	dsP, dmP := b[2*cn:3*cn], b[3*cn:4*cn]
	a, q := b[4*cn:5*cn], b[5*cn:6*cn]
	accA, accV := r.accA[b0*N:b1*N], r.accV[b0*N:b1*N]
	clear(q)
	copyOrClear(ds, rowsOf(g.DSpk, (T-1)*n, b0, b1, N), 0, cn)
	copyOrClear(dm, rowsOf(g.DMem, (T-1)*n, b0, b1, N), 0, cn)
	lif := LIFScan{T: 1, B: rb, N: N, Beta: p.Beta, Thr: p.Thr, Reset: p.Reset, ResetGrad: p.ResetGrad}
	lg := LIFGrad{SGFunc: g.SGFunc, FastSigmoid: g.FastSigmoid, DBeta: g.DBeta, DThr: g.DThr}
	for t := T - 1; t >= 0; t-- {
		o := t * n
		pSyn, pMem, pSpk := rowsOf(s0.Syn, 0, b0, b1, N), rowsOf(s0.Mem, 0, b0, b1, N), rowsOf(s0.Spk, 0, b0, b1, N)
		if t > 0 {
			pMem, pSpk = rowsOf(r.mem, o-n, b0, b1, N), rowsOf(r.spk, o-n, b0, b1, N)
			if p.Alpha != nil {
				pSyn = rowsOf(r.syn, o-n, b0, b1, N)
			}
		}
		d := rowsOf(g.DIn, o, b0, b1, N) // D[t]
		lg.DSpk, lg.DMem, lg.DIn = ds, dm, d
		if p.Alpha != nil {
			lg.DIn = a
		}
		lg.DMem0, lg.DSpk0 = dmP, nil
		if p.ResetGrad {
			lg.DSpk0 = dsP
		}
		lif.Backward(pMem, pSpk, rowsOf(r.mem, o, b0, b1, N), rowsOf(r.spk, o, b0, b1, N), &lg)
		if p.Alpha != nil {
			synBack(d, a, rowsOf(g.DSyn, o, b0, b1, N), q, p.Alpha, N)
			copy(q, d)
			if g.DAlpha != nil && pSyn != nil {
				for i, v := range d {
					accA[i] += v * pSyn[i]
				}
			}
		}
		switch {
		case t == 0 && g.DSpk0 == nil && (!p.OneToOne || g.DV == nil):
		case pSpk == nil:
			clear(dsP)
		default:
			p.spikeGrad(r, rb, dsP, d, pSpk, accV, g.DV != nil, !p.ResetGrad)
		}
		if t > 0 {
			if g.DSpk != nil {
				Add(dsP, rowsOf(g.DSpk, o-n, b0, b1, N))
			}
			if g.DMem != nil {
				Add(dmP, rowsOf(g.DMem, o-n, b0, b1, N))
			}
			ds, dsP, dm, dmP = dsP, ds, dmP, dm
		}
	}
	if g.DSpk0 != nil {
		copyOrZero(g.DSpk0[b0*N:b1*N], dsP, s0.Spk != nil)
	}
	if g.DMem0 != nil {
		copyOrZero(g.DMem0[b0*N:b1*N], dmP, s0.Mem != nil)
	}
	if g.DSyn0 != nil {
		if p.Alpha == nil || s0.Syn == nil {
			clear(g.DSyn0[b0*N : b1*N])
		} else {
			// dL/dsyn0 = alpha*Q[0]; q holds Q[0].
			synScale(g.DSyn0[b0*N:b1*N], q, p.Alpha, N)
		}
	}
}

// spikeGrad adds the recurrence's share of dL/dS[t-1] into dst (overwrite:
// writes it): D[t]·Vᵀ, or D[t]⊙v one to one (whose weight gradient it sums
// per element into accV).
func (p *RecurrentScan) spikeGrad(r *recRun, B int, dst, d, pSpk, accV []float32, wantV, overwrite bool) {
	N := p.N
	if !p.OneToOne {
		var beta float32 = 1
		if overwrite {
			beta = 0
		}
		Sgemm(false, false, B, N, N, 1, d, N, r.vt, r.ldvt, beta, dst, N)
		return
	}
	if overwrite {
		clear(dst[:B*N])
	}
	for off := 0; off < B*N; off += N {
		ds, dd := dst[off:off+N], d[off:off+N]
		for f, v := range p.V[:N] {
			ds[f] += dd[f] * v
		}
		if wantV {
			acc, s := accV[off:off+N], pSpk[off:off+N]
			for f := range acc {
				acc[f] += dd[f] * s[f]
			}
		}
	}
}

// spikeWeightGrad adds Σ_t S[t-1]ᵀ·D[t] into dv [N, N] for the spikes spk
// and gradients d [T*B*N] of a recurrent scan: one product over steps 1 ..
// T-1 (the spikes of steps 0 .. T-2 against the gradients of steps 1 ..
// T-1, both contiguous), and one for step 0 when there are initial spikes
// spk0; event-driven (through ev) below the activity act.
func spikeWeightGrad(ev *SpikeRows, T, B, N int, act float64, spk0 []float32, spk0Binary bool, spk, d, dv []float32) {
	n := B * N
	prod := func(s []float32, binary bool, rows int, dd []float32) {
		if eventDriven(s, binary, rows, N, act) {
			ev.Reserve(rows, N, 1.25*act)
			ev.FromDense(s, rows, N)
			SpikeTMatMul(N, 1, ev, dd, N, 1, dv, N)
			return
		}
		Sgemm(true, false, N, N, rows, 1, s, N, dd, N, 1, dv, N)
	}
	if T > 1 {
		prod(spk[:(T-1)*n], true, (T-1)*B, d[n:T*n])
	}
	if spk0 != nil {
		prod(spk0[:n], spk0Binary, B, d[:n])
	}
}

// synBack writes d = a + dy + alpha*q (alpha per feature; dy nil: zero).
func synBack(d, a, dy, q, alpha []float32, N int) {
	for off := 0; off < len(d); off += N {
		dd, aa, qq := d[off:off+N], a[off:off+N], q[off:off+N]
		for f := range dd {
			al := alpha[0]
			if len(alpha) > 1 {
				al = alpha[f]
			}
			dd[f] = aa[f] + qq[f]*al
		}
		if dy != nil {
			Add(dd, dy[off:off+N])
		}
	}
}

// synScale writes dst = alpha*q (alpha per feature).
func synScale(dst, q, alpha []float32, N int) {
	for off := 0; off < len(dst); off += N {
		dd, qq := dst[off:off+N], q[off:off+N]
		for f := range dd {
			al := alpha[0]
			if len(alpha) > 1 {
				al = alpha[f]
			}
			dd[f] = qq[f] * al
		}
	}
}

// reduceFeatures adds the per-element sums acc [B*N] into dp, per feature
// ([N]) or all together ([1]), in ascending element order.
func reduceFeatures(dp, acc []float32, B, N int) {
	if len(dp) == 1 {
		var s float32
		for _, v := range acc[:B*N] {
			s += v
		}
		dp[0] += s
		return
	}
	for b := range B {
		for f, v := range acc[b*N : (b+1)*N] {
			dp[f] += v
		}
	}
}

// copyOrClear sets dst to src[o:o+n], or zeros when src is nil.
func copyOrClear(dst, src []float32, o, n int) {
	if src == nil {
		clear(dst)
		return
	}
	copy(dst, src[o:o+n])
}

// copyOrZero sets dst to src if ok, else to zeros.
func copyOrZero(dst, src []float32, ok bool) {
	if !ok {
		clear(dst[:len(src)])
		return
	}
	copy(dst, src)
}
