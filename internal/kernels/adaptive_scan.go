package kernels

import "fmt"

// Fused scans of the neurons with a second state or a decay applied to the
// input: ALIF (an adaptive threshold), PLIF (a learned decay that also
// scales the input) and AdLIF (an adaptation current driven by the membrane
// and the spikes). Their layout and parameter conventions are the LIF scan's: time
// major [T, B, N], parameters [N] or [1], initial states [n] (nil: zeros).
//
// Forward uses exactly the float32 operations of the doc comment of each
// scan, each rounded on its own in that order, so that a layer whose
// step-by-step definition performs the same operations gets the same bits.
// Backward runs in reverse time and computes the surrogate derivative of the
// spike a row at a time through a SurrogateGrad. Each parameter's gradient is
// summed per element over time and then over the elements in a fixed order,
// so the results do not depend on the thread count.
//
// Work is split into chunks of whole batch rows by the shape alone (about
// one chunk per 32768 values of a step, at most 8), as the LIF scan's.

type adaptKind uint8

const (
	kindALIF adaptKind = iota
	kindPLIF
	kindAdLIF
)

// maxAdaptPar is the largest number of parameters of an adaptive scan.
const maxAdaptPar = 5

// Parameter slots of the adaptive scans.
const (
	// ALIF: beta, thr (b0), rho, adapt.
	alifBeta, alifThr, alifRho, alifAdapt = 0, 1, 2, 3
	// PLIF: k, thr.
	plifK, plifThr = 0, 1
	// AdLIF: alpha, beta, a, b, thr.
	adAlpha, adBeta, adA, adB, adThr = 0, 1, 2, 3, 4
)

// adaptJob is one Forward or Backward call of an adaptive scan.
type adaptJob struct {
	kind      adaptKind
	fwd       bool
	op        string
	T, B, N   int
	n         int
	npar      int
	reset     ResetMode
	resetGrad bool
	chunks    int
	step      int // the one time step runChunk runs (runStep), or -1: all
	// dsStep: ds is one step's [n] gradient of the spikes (RadLIFScan),
	// not a [T*n] sequence.
	dsStep bool

	par  [maxAdaptPar][]float32 // as given: [N] or [1]
	dpar [maxAdaptPar][]float32 // gradients (accumulated); nil when not wanted
	pex  [maxAdaptPar][]float32 // expanded to [N], in scratch

	in, mem0, spk0, aux0, mem, spk, aux []float32
	ds, dm, daux                        []float32
	sgf                                 SurrogateGrad
	dIn, dMem0, dSpk0, dAux0            []float32

	// scratch: npar per-element gradient sums [n] and the carries of the
	// membrane and auxiliary gradients [n] each (Backward only), then the
	// expanded parameters [npar*N], one surrogate row [N] per chunk and a
	// row of zeros [N].
	scratch []float32
	zero    []float32 // the row of zeros in scratch
}

var adaptJobs freeList[adaptJob]

func newAdaptJob(kind adaptKind, fwd bool, op string, T, B, N, npar int) *adaptJob {
	j := adaptJobs.get()
	scr := j.scratch
	*j = adaptJob{kind: kind, fwd: fwd, op: op, T: T, B: B, N: N, npar: npar, scratch: scr}
	if T < 0 || B < 0 || N < 0 {
		j.fail("negative size")
	}
	j.n = B * N
	return j
}

func (j *adaptJob) release() {
	scr := j.scratch[:0]
	*j = adaptJob{scratch: scr}
	adaptJobs.put(j)
}

func (j *adaptJob) fail(reason string) {
	err := &ScanError{Op: j.op, T: j.T, B: j.B, N: j.N, Reason: reason}
	j.release()
	panic(err)
}

func (j *adaptJob) setParam(q int, name string, p, dp []float32) {
	if len(p) != 1 && (len(p) != j.N || j.N == 0) {
		j.fail(fmt.Sprintf("%s has length %d, want %d or 1", name, len(p), j.N))
	}
	if dp != nil && len(dp) != len(p) {
		j.fail(fmt.Sprintf("the gradient of %s has length %d, want %d", name, len(dp), len(p)))
	}
	j.par[q], j.dpar[q] = p, dp
}

func (j *adaptJob) cut(name string, x []float32, size int, required bool) []float32 {
	if x == nil && !required {
		return nil
	}
	if len(x) < size {
		j.fail(fmt.Sprintf("%s has length %d, want %d", name, len(x), size))
	}
	return x[:size]
}

func (j *adaptJob) seq(name string, x []float32, required bool) []float32 {
	return j.cut(name, x, j.T*j.n, required)
}

func (j *adaptJob) state(name string, x []float32, required bool) []float32 {
	return j.cut(name, x, j.n, required)
}

// run executes the job on the thread pool and returns it to the pool.
func (j *adaptJob) run() {
	if !j.prepare() {
		return
	}
	runChunks(j.chunks, j)
	j.finish()
}

// prepare sizes the scratch and expands the parameters; for an empty job it
// clears the initial state's gradients, releases the job and returns false.
func (j *adaptJob) prepare() bool {
	if j.n == 0 || j.T == 0 {
		if !j.fwd {
			clear(j.dMem0)
			clear(j.dSpk0)
			clear(j.dAux0)
		}
		j.release()
		return false
	}
	j.chunks = max(1, min(maxScanChunks, j.B, (j.n+scanChunkElems-1)/scanChunkElems))
	need := j.npar*j.N + j.chunks*j.N + j.N
	if !j.fwd {
		need += (j.npar + 2) * j.n
	}
	if cap(j.scratch) < need {
		j.scratch = make([]float32, need)
	}
	j.scratch = j.scratch[:need]
	j.zero = j.scratch[need-j.N:]
	clear(j.zero)
	base := 0
	if !j.fwd {
		base = (j.npar + 2) * j.n
	}
	for q := range j.npar {
		e := j.scratch[base+q*j.N : base+(q+1)*j.N]
		if p := j.par[q]; len(p) == 1 {
			for i := range e {
				e[i] = p[0]
			}
		} else {
			copy(e, p)
		}
		j.pex[q] = e
	}
	j.step = -1
	return true
}

// runStep runs time step t alone (the steps must come in the order of the
// scan: ascending forward, descending backward).
func (j *adaptJob) runStep(t int) {
	j.step = t
	runChunks(j.chunks, j)
}

// finish reduces the parameter gradients (Backward) and releases the job.
func (j *adaptJob) finish() {
	if !j.fwd {
		j.reduce()
	}
	j.release()
}

// parBlock is the expanded parameters, pex[0] to pex[npar-1], as one slice
// of npar·N floats (they lie one after the other in scratch).
func (j *adaptJob) parBlock() []float32 {
	o := 0
	if !j.fwd {
		o = (j.npar + 2) * j.n
	}
	return j.scratch[o : o+j.npar*j.N]
}

// sums reports whether any parameter gradient is wanted.
func (j *adaptJob) sums() bool {
	for _, d := range j.dpar {
		if d != nil {
			return true
		}
	}
	return false
}

// acc is the per-element gradient sum of parameter q.
func (j *adaptJob) acc(q int) []float32 { return j.scratch[q*j.n : (q+1)*j.n] }

// carryM and carryA are the reverse-time carries of the membrane and the
// auxiliary state's gradients.
func (j *adaptJob) carryM() []float32 { return j.scratch[j.npar*j.n : (j.npar+1)*j.n] }
func (j *adaptJob) carryA() []float32 { return j.scratch[(j.npar+1)*j.n : (j.npar+2)*j.n] }

// sgRow is chunk c's surrogate buffer [N].
func (j *adaptJob) sgRow(c int) []float32 {
	o := j.npar * j.N
	if !j.fwd {
		o += (j.npar + 2) * j.n
	}
	return j.scratch[o+c*j.N : o+(c+1)*j.N]
}

// reduce adds the per-element sums to the parameter gradients
// (reduceParamGrad).
func (j *adaptJob) reduce() {
	for q := range j.npar {
		dp := j.dpar[q]
		if dp == nil {
			continue
		}
		reduceParamGrad(dp, j.acc(q), j.B, j.N)
	}
}

// row is the view of one batch row at step t of a [T*n] sequence (t = -1:
// the initial state s0, or zeros when it is nil).
func (j *adaptJob) row(seq, s0 []float32, t, b int) []float32 {
	N := j.N
	if t < 0 {
		if s0 == nil {
			return j.zero
		}
		return s0[b*N : (b+1)*N]
	}
	o := t*j.n + b*N
	return seq[o : o+N]
}

// opt is the row of an optional [T*n] sequence, or zeros.
func (j *adaptJob) opt(seq []float32, t, b int) []float32 {
	if seq == nil {
		return j.zero
	}
	o := t*j.n + b*j.N
	return seq[o : o+j.N]
}

func (j *adaptJob) runChunk(c int) {
	lo, hi := c*j.B/j.chunks, (c+1)*j.B/j.chunks
	sg := j.sgRow(c)
	steps := j.T
	if j.step >= 0 {
		steps = 1
	}
	for tt := range steps {
		t := tt
		switch {
		case j.step >= 0:
			t = j.step
		case !j.fwd:
			t = j.T - 1 - tt
		}
		for b := lo; b < hi; b++ {
			switch {
			case j.fwd && j.kind == kindALIF:
				j.alifForward(t, b)
			case j.fwd && j.kind == kindPLIF:
				j.plifForward(t, b)
			case j.fwd:
				j.adlifForward(t, b)
			case j.kind == kindALIF:
				j.alifBackward(t, b, sg)
			case j.kind == kindPLIF:
				j.plifBackward(t, b, sg)
			default:
				j.adlifBackward(t, b, sg)
			}
		}
	}
}

// spikeOf is the spike H(d) of d = mem - thr: 1 if d > 0, else 0.
func spikeOf(d float32) float32 {
	var s int32
	if d > 0 {
		s = 1
	}
	return float32(s)
}

// ALIFScan is the adaptive-threshold LIF neuron of Bellec et al. 2018 (LSNN)
// over a [T, B, N] sequence. For t = 0 .. T-1, per element (feature f):
//
//	r      = S[t-1]                              (spk0 at t = 0)
//	a[t]   = a[t-1]*rho + r
//	thr[t] = a[t]*adapt + b0
//	m      = mem[t-1]*beta
//	m      = m*(1 - r)                           ResetZero only
//	m      = m + x[t]
//	mem[t] = m - r*thr[t]                        ResetSubtract; m otherwise
//	S[t]   = H(mem[t] - thr[t])                  (1 if the difference is > 0)
//
// with beta = Beta[f], b0 = Thr[f], rho = Rho[f], adapt = Adapt[f] (the
// caller clamps them) and mem[-1] = mem0, a[-1] = a0, S[-1] = spk0.
//
// Backward, with Am[t] = dL/dmem[t], Aa[t] = dL/da[t] and G[t] = dL/dS[t]
// totals, SG[t] = g(mem[t] - thr[t]) and zero carries at t = T:
//
//	G[t]    = DSpk[t] + ResetGrad·(Aa[t+1] - Am[t+1]·thr[t+1] (subtract) or
//	          - Am[t+1]·beta·mem[t] (zero))
//	Am[t]   = DMem[t] + G[t]·SG[t] + Am[t+1]·beta·(1 - r[t+1] (zero only))
//	Dth[t]  = -G[t]·SG[t] - Am[t]·r[t] (subtract only)
//	Aa[t]   = DA[t] + Dth[t]·adapt + Aa[t+1]·rho
//	dL/dx[t] = Am[t]; dbeta += Am[t]·mem[t-1]·(1 - r[t] (zero)); db0 += Dth[t];
//	dadapt += Dth[t]·a[t]; drho += Aa[t]·a[t-1]
//	dL/dmem0 = Am[0]·beta·(1 - r[0] (zero)); dL/da0 = Aa[0]·rho;
//	dL/dspk0 = ResetGrad·(Aa[0] - Am[0]·thr[0] (subtract) or - Am[0]·beta·mem0 (zero))
type ALIFScan struct {
	T, B, N               int
	Beta, Thr, Rho, Adapt []float32 // [N] or [1]
	Reset                 ResetMode
	ResetGrad             bool
}

// ALIFGrad holds the inputs and outputs of ALIFScan.Backward; optional
// slices may be nil.
type ALIFGrad struct {
	DSpk, DMem, DA []float32     // [T*n] direct gradients of the outputs; optional
	SGFunc         SurrogateGrad // the surrogate derivative; required
	DIn            []float32     // [T*n]; required, overwritten
	DMem0, DSpk0   []float32     // [n]; optional, overwritten
	DA0            []float32     // [n]; optional, overwritten
	DBeta, DThr    []float32     // optional, accumulated
	DRho, DAdapt   []float32     // optional, accumulated
}

// Forward runs the scan: in [T*n] is the input, mem0, spk0, a0 [n] the
// initial state (nil: zeros); it writes mem, spk and a [T*n].
func (p *ALIFScan) Forward(in, mem0, spk0, a0, mem, spk, a []float32) {
	j := newAdaptJob(kindALIF, true, "ALIFScan.Forward", p.T, p.B, p.N, 4)
	j.reset = p.Reset
	j.setParam(alifBeta, "Beta", p.Beta, nil)
	j.setParam(alifThr, "Thr", p.Thr, nil)
	j.setParam(alifRho, "Rho", p.Rho, nil)
	j.setParam(alifAdapt, "Adapt", p.Adapt, nil)
	j.in = j.seq("in", in, true)
	j.mem0, j.spk0, j.aux0 = j.state("mem0", mem0, false), j.state("spk0", spk0, false), j.state("a0", a0, false)
	j.mem, j.spk, j.aux = j.seq("mem", mem, true), j.seq("spk", spk, true), j.seq("a", a, true)
	j.run()
}

// Backward runs the reverse-time scan of Forward (equations on ALIFScan);
// mem0, spk0, a0 are Forward's initial state, mem, spk, a its outputs.
func (p *ALIFScan) Backward(mem0, spk0, a0, mem, spk, a []float32, g *ALIFGrad) {
	j := newAdaptJob(kindALIF, false, "ALIFScan.Backward", p.T, p.B, p.N, 4)
	j.reset, j.resetGrad = p.Reset, p.ResetGrad
	j.setParam(alifBeta, "Beta", p.Beta, g.DBeta)
	j.setParam(alifThr, "Thr", p.Thr, g.DThr)
	j.setParam(alifRho, "Rho", p.Rho, g.DRho)
	j.setParam(alifAdapt, "Adapt", p.Adapt, g.DAdapt)
	if g.SGFunc == nil {
		j.fail("SGFunc is nil")
	}
	j.sgf = g.SGFunc
	j.mem0, j.spk0, j.aux0 = j.state("mem0", mem0, false), j.state("spk0", spk0, false), j.state("a0", a0, false)
	j.mem, j.spk, j.aux = j.seq("mem", mem, true), j.seq("spk", spk, true), j.seq("a", a, true)
	j.ds, j.dm, j.daux = j.seq("DSpk", g.DSpk, false), j.seq("DMem", g.DMem, false), j.seq("DA", g.DA, false)
	j.dIn = j.seq("DIn", g.DIn, true)
	j.dMem0, j.dSpk0, j.dAux0 = j.state("DMem0", g.DMem0, false), j.state("DSpk0", g.DSpk0, false), j.state("DA0", g.DA0, false)
	j.run()
}

func (j *adaptJob) alifForward(t, b int) {
	N := j.N
	pm, ps, pa := j.row(j.mem, j.mem0, t-1, b), j.row(j.spk, j.spk0, t-1, b), j.row(j.aux, j.aux0, t-1, b)
	x, m, s, a := j.row(j.in, nil, t, b), j.row(j.mem, nil, t, b), j.row(j.spk, nil, t, b), j.row(j.aux, nil, t, b)
	be, b0, rho, ad := j.pex[alifBeta][:N], j.pex[alifThr][:N], j.pex[alifRho][:N], j.pex[alifAdapt][:N]
	pm, ps, pa, x, s, a = pm[:N], ps[:N], pa[:N], x[:N], s[:N], a[:N]
	m = m[:N]
	k := alifForwardAsm(j.reset, x, pm, ps, pa, j.parBlock(), N, m, s, a)
	pm, ps, pa, x, s, a, m = pm[k:], ps[k:], pa[k:], x[k:], s[k:], a[k:], m[k:]
	be, b0, rho, ad = be[k:], b0[k:], rho[k:], ad[k:]
	zero, sub := j.reset == ResetZero, j.reset == ResetSubtract
	for f := range m {
		r := ps[f]
		av := float32(pa[f]*rho[f]) + r
		th := float32(av*ad[f]) + b0[f]
		v := float32(pm[f] * be[f])
		if zero {
			v = float32(v * (1 - r))
		}
		v += x[f]
		if sub {
			v -= float32(r * th)
		}
		a[f], m[f] = av, v
		s[f] = spikeOf(v - th)
	}
}

func (j *adaptJob) alifBackward(t, b int, sg []float32) {
	N := j.N
	last := t == j.T-1
	pm, r, pa := j.row(j.mem, j.mem0, t-1, b), j.row(j.spk, j.spk0, t-1, b), j.row(j.aux, j.aux0, t-1, b)
	mt, at := j.row(j.mem, nil, t, b), j.row(j.aux, nil, t, b)
	rNext := j.row(j.spk, nil, t, b) // r[t+1] = S[t]
	aNext := at                      // a[t+1]; not read at the last step
	if !last {
		aNext = j.row(j.aux, nil, t+1, b)
	}
	ds, dm, da := j.opt(j.ds, t, b), j.opt(j.dm, t, b), j.opt(j.daux, t, b)
	dIn := j.row(j.dIn, nil, t, b)
	o := b * N
	cm, ca := j.carryM()[o:o+N], j.carryA()[o:o+N]
	if last {
		clear(cm)
		clear(ca)
	}
	be, b0, rho, ad := j.pex[alifBeta][:N], j.pex[alifThr][:N], j.pex[alifRho][:N], j.pex[alifAdapt][:N]
	sg = sg[:N]
	mt, at = mt[:N], at[:N]
	for f := range sg {
		sg[f] = mt[f] - (at[f]*ad[f] + b0[f])
	}
	j.sgf.GradInto(sg, sg)
	accB, accT, accR, accA := j.acc(alifBeta)[o:o+N], j.acc(alifThr)[o:o+N], j.acc(alifRho)[o:o+N], j.acc(alifAdapt)[o:o+N]
	if last && j.sums() {
		clear(accB)
		clear(accT)
		clear(accR)
		clear(accA)
	}
	sub, zero := j.reset == ResetSubtract, j.reset == ResetZero
	rg := j.resetGrad && !last
	pm, r, pa, rNext, aNext, ds, dm, da, dIn = pm[:N], r[:N], pa[:N], rNext[:N], aNext[:N], ds[:N], dm[:N], da[:N], dIn[:N]
	for f := range sg {
		amN, aaN := cm[f], ca[f]
		g := ds[f]
		if rg {
			g += aaN
			switch {
			case sub:
				g -= amN * (aNext[f]*ad[f] + b0[f])
			case zero:
				g -= amN * be[f] * mt[f]
			}
		}
		gs := g * sg[f]
		dec := be[f]
		if zero {
			dec *= 1 - rNext[f]
		}
		am := dm[f] + gs + amN*dec
		dth := -gs
		if sub {
			dth -= am * r[f]
		}
		aa := da[f] + dth*ad[f] + aaN*rho[f]
		dIn[f] = am
		cm[f], ca[f] = am, aa
		sg[f] = dth
	}
	if j.sums() {
		// Parameter gradients, from dIn = Am, ca = Aa and sg = Dth.
		accB, accT, accR, accA = accB[:len(sg)], accT[:len(sg)], accR[:len(sg)], accA[:len(sg)]
		ca, dIn = ca[:len(sg)], dIn[:len(sg)]
		for f, dth := range sg {
			keep := float32(1)
			if zero {
				keep = 1 - r[f]
			}
			accB[f] += dIn[f] * pm[f] * keep
			accT[f] += dth
			accA[f] += dth * at[f]
			accR[f] += ca[f] * pa[f]
		}
	}
	if t > 0 {
		return
	}
	if j.dMem0 != nil {
		d := j.dMem0[o : o+N]
		for f := range d {
			keep := float32(1)
			if zero {
				keep = 1 - r[f]
			}
			d[f] = cm[f] * be[f] * keep
		}
	}
	if j.dAux0 != nil {
		d := j.dAux0[o : o+N]
		for f := range d {
			d[f] = ca[f] * rho[f]
		}
	}
	if j.dSpk0 != nil {
		d := j.dSpk0[o : o+N]
		for f := range d {
			if !j.resetGrad {
				d[f] = 0
				continue
			}
			v := ca[f]
			switch {
			case sub:
				v -= cm[f] * (at[f]*ad[f] + b0[f])
			case zero:
				v -= cm[f] * be[f] * pm[f]
			}
			d[f] = v
		}
	}
}

// PLIFScan is the parametric LIF neuron of Fang et al. 2021 (SpikingJelly's
// ParametricLIFNode, decay_input, v_reset = 0) over a [T, B, N] sequence,
// with the decay k = K[f] given (the caller computes sigmoid(w)). For
// t = 0 .. T-1, per element:
//
//	r      = S[t-1]                              (spk0 at t = 0)
//	v      = mem[t-1] - r*thr                    ResetSubtract
//	v      = mem[t-1]*(1 - r)                    ResetZero
//	v      = mem[t-1]                            ResetNone
//	mem[t] = v + (x[t] - v)*k
//	S[t]   = H(mem[t] - thr)
//
// Backward, with Am[t] = dL/dmem[t] and G[t] = dL/dS[t] totals and
// SG[t] = g(mem[t] - thr):
//
//	G[t]     = DSpk[t] - ResetGrad·Am[t+1]·(1-k)·(thr (subtract) or mem[t] (zero))
//	Am[t]    = DMem[t] + G[t]·SG[t] + Am[t+1]·(1-k)·(1 - r[t+1] (zero only))
//	dL/dx[t] = Am[t]·k; dk += Am[t]·(x[t] - v); dthr += -G[t]·SG[t] - Am[t]·(1-k)·r[t] (subtract only)
//	dL/dmem0 = Am[0]·(1-k)·(1 - r[0] (zero)); dL/dspk0 = -ResetGrad·Am[0]·(1-k)·(thr or mem0)
type PLIFScan struct {
	T, B, N int
	K, Thr  []float32 // [N] or [1]
	Reset   ResetMode
	// ResetGrad lets the gradient flow through the reset term.
	ResetGrad bool
}

// PLIFGrad holds the inputs and outputs of PLIFScan.Backward; optional
// slices may be nil.
type PLIFGrad struct {
	DSpk, DMem   []float32     // [T*n]; optional
	SGFunc       SurrogateGrad // required
	DIn          []float32     // [T*n]; required, overwritten
	DMem0, DSpk0 []float32     // [n]; optional, overwritten
	DK, DThr     []float32     // optional, accumulated
}

// Forward runs the scan: in [T*n], mem0 and spk0 [n] (nil: zeros); it
// writes mem and spk [T*n].
func (p *PLIFScan) Forward(in, mem0, spk0, mem, spk []float32) {
	j := newAdaptJob(kindPLIF, true, "PLIFScan.Forward", p.T, p.B, p.N, 2)
	j.reset = p.Reset
	j.setParam(plifK, "K", p.K, nil)
	j.setParam(plifThr, "Thr", p.Thr, nil)
	j.in = j.seq("in", in, true)
	j.mem0, j.spk0 = j.state("mem0", mem0, false), j.state("spk0", spk0, false)
	j.mem, j.spk = j.seq("mem", mem, true), j.seq("spk", spk, true)
	j.run()
}

// Backward runs the reverse-time scan of Forward (equations on PLIFScan);
// in is Forward's input, mem0 and spk0 its initial state, mem and spk its
// outputs.
func (p *PLIFScan) Backward(in, mem0, spk0, mem, spk []float32, g *PLIFGrad) {
	j := newAdaptJob(kindPLIF, false, "PLIFScan.Backward", p.T, p.B, p.N, 2)
	j.reset, j.resetGrad = p.Reset, p.ResetGrad
	j.setParam(plifK, "K", p.K, g.DK)
	j.setParam(plifThr, "Thr", p.Thr, g.DThr)
	if g.SGFunc == nil {
		j.fail("SGFunc is nil")
	}
	j.sgf = g.SGFunc
	j.in = j.seq("in", in, true)
	j.mem0, j.spk0 = j.state("mem0", mem0, false), j.state("spk0", spk0, false)
	j.mem, j.spk = j.seq("mem", mem, true), j.seq("spk", spk, true)
	j.ds, j.dm = j.seq("DSpk", g.DSpk, false), j.seq("DMem", g.DMem, false)
	j.dIn = j.seq("DIn", g.DIn, true)
	j.dMem0, j.dSpk0 = j.state("DMem0", g.DMem0, false), j.state("DSpk0", g.DSpk0, false)
	j.run()
}

// plifV is the membrane after the reset, v = mem[t-1] - r*thr (subtract),
// mem[t-1]*(1 - r) (zero) or mem[t-1].
func plifV(reset ResetMode, pm, r, th float32) float32 {
	switch reset {
	case ResetSubtract:
		return pm - float32(r*th)
	case ResetZero:
		return float32(pm * (1 - r))
	}
	return pm
}

func (j *adaptJob) plifForward(t, b int) {
	N := j.N
	pm, ps := j.row(j.mem, j.mem0, t-1, b), j.row(j.spk, j.spk0, t-1, b)
	x, m, s := j.row(j.in, nil, t, b), j.row(j.mem, nil, t, b), j.row(j.spk, nil, t, b)
	k, th := j.pex[plifK][:N], j.pex[plifThr][:N]
	pm, ps, x, s = pm[:N], ps[:N], x[:N], s[:N]
	m = m[:N]
	n := plifForwardAsm(j.reset, x, pm, ps, j.parBlock(), N, m, s)
	pm, ps, x, s, m, k, th = pm[n:], ps[n:], x[n:], s[n:], m[n:], k[n:], th[n:]
	reset := j.reset
	for f := range m {
		v := plifV(reset, pm[f], ps[f], th[f])
		mv := v + float32(float32(x[f]-v)*k[f])
		m[f] = mv
		s[f] = spikeOf(mv - th[f])
	}
}

func (j *adaptJob) plifBackward(t, b int, sg []float32) {
	N := j.N
	last := t == j.T-1
	pm, r := j.row(j.mem, j.mem0, t-1, b), j.row(j.spk, j.spk0, t-1, b)
	x, mt := j.row(j.in, nil, t, b), j.row(j.mem, nil, t, b)
	rNext := j.row(j.spk, nil, t, b) // r[t+1] = S[t]
	ds, dm := j.opt(j.ds, t, b), j.opt(j.dm, t, b)
	dIn := j.row(j.dIn, nil, t, b)
	o := b * N
	cm := j.carryM()[o : o+N]
	accK, accT := j.acc(plifK)[o:o+N], j.acc(plifThr)[o:o+N]
	if last {
		clear(cm)
		if j.sums() {
			clear(accK)
			clear(accT)
		}
	}
	k, th := j.pex[plifK][:N], j.pex[plifThr][:N]
	sg, mt = sg[:N], mt[:N]
	for f := range sg {
		sg[f] = mt[f] - th[f]
	}
	j.sgf.GradInto(sg, sg)
	sub, zero := j.reset == ResetSubtract, j.reset == ResetZero
	rg := j.resetGrad && !last
	pm, r, x, rNext, ds, dm, dIn = pm[:N], r[:N], x[:N], rNext[:N], ds[:N], dm[:N], dIn[:N]
	for f := range sg {
		amN := cm[f]
		dv := amN * (1 - k[f]) // dL/dv of step t+1
		g := ds[f]
		if rg {
			switch {
			case sub:
				g -= dv * th[f]
			case zero:
				g -= dv * mt[f]
			}
		}
		gs := g * sg[f]
		if zero {
			dv *= 1 - rNext[f]
		}
		am := dm[f] + gs + dv
		cm[f] = am
		dIn[f] = am * k[f]
		dth := -gs
		if sub {
			dth -= am * (1 - k[f]) * r[f]
		}
		sg[f] = dth
	}
	if j.sums() {
		// Parameter gradients, from cm = Am and sg = Dth.
		accK, accT, cm = accK[:len(sg)], accT[:len(sg)], cm[:len(sg)]
		for f, dth := range sg {
			v := plifV(j.reset, pm[f], r[f], th[f])
			accK[f] += cm[f] * (x[f] - v)
			accT[f] += dth
		}
	}
	if t > 0 {
		return
	}
	if j.dMem0 != nil {
		d := j.dMem0[o : o+N]
		for f := range d {
			v := cm[f] * (1 - k[f])
			if zero {
				v *= 1 - r[f]
			}
			d[f] = v
		}
	}
	if j.dSpk0 != nil {
		d := j.dSpk0[o : o+N]
		for f := range d {
			switch {
			case !j.resetGrad || !(sub || zero):
				d[f] = 0
			case sub:
				d[f] = -cm[f] * (1 - k[f]) * th[f]
			default:
				d[f] = -cm[f] * (1 - k[f]) * pm[f]
			}
		}
	}
}

// AdLIFScan is the adaptive LIF neuron of Bittar and Garner 2022 (sparch's
// adLIF) over a [T, B, N] sequence: a membrane u and an adaptation current w
// that the membrane and the spikes drive. For t = 0 .. T-1, per element:
//
//	r    = S[t-1]                                (spk0 at t = 0)
//	w[t] = (w[t-1]*beta + u[t-1]*a) + r*b
//	v    = u[t-1] - r*thr
//	u[t] = v*alpha + (x[t] - w[t])*(1 - alpha)
//	S[t] = H(u[t] - thr)
//
// with alpha, beta, a, b, thr the element's parameters (the caller clamps
// them), u[-1] = mem0, w[-1] = w0.
//
// Backward, with Au[t] = dL/du[t], Aw[t] = dL/dw[t] and G[t] = dL/dS[t]
// totals, SG[t] = g(u[t] - thr) and zero carries at t = T:
//
//	G[t]     = DSpk[t] + ResetGrad·(Aw[t+1]·b - Au[t+1]·alpha·thr)
//	Au[t]    = DMem[t] + G[t]·SG[t] + Au[t+1]·alpha + Aw[t+1]·a
//	Aw[t]    = DW[t] + Aw[t+1]·beta - Au[t]·(1 - alpha)
//	dL/dx[t] = Au[t]·(1 - alpha); dalpha += Au[t]·(v - (x[t] - w[t]));
//	dbeta += Aw[t]·w[t-1]; da += Aw[t]·u[t-1]; db += Aw[t]·r;
//	dthr += -G[t]·SG[t] - Au[t]·alpha·r
//	dL/dmem0 = Au[0]·alpha + Aw[0]·a; dL/dw0 = Aw[0]·beta;
//	dL/dspk0 = ResetGrad·(Aw[0]·b - Au[0]·alpha·thr)
type AdLIFScan struct {
	T, B, N                 int
	Alpha, Beta, A, Bw, Thr []float32 // [N] or [1]; Bw is the spike's weight b
	ResetGrad               bool
}

// AdLIFGrad holds the inputs and outputs of AdLIFScan.Backward; optional
// slices may be nil.
type AdLIFGrad struct {
	DSpk, DMem, DW        []float32     // [T*n]; optional
	SGFunc                SurrogateGrad // required
	DIn                   []float32     // [T*n]; required, overwritten
	DMem0, DSpk0, DW0     []float32     // [n]; optional, overwritten
	DAlpha, DBeta, DA, DB []float32     // optional, accumulated
	DThr                  []float32     // optional, accumulated
}

// Forward runs the scan: in [T*n], mem0, spk0, w0 [n] (nil: zeros); it
// writes mem (u), spk and w [T*n].
func (p *AdLIFScan) Forward(in, mem0, spk0, w0, mem, spk, w []float32) {
	j := newAdaptJob(kindAdLIF, true, "AdLIFScan.Forward", p.T, p.B, p.N, 5)
	p.params(j, nil)
	j.in = j.seq("in", in, true)
	j.mem0, j.spk0, j.aux0 = j.state("mem0", mem0, false), j.state("spk0", spk0, false), j.state("w0", w0, false)
	j.mem, j.spk, j.aux = j.seq("mem", mem, true), j.seq("spk", spk, true), j.seq("w", w, true)
	j.run()
}

func (p *AdLIFScan) params(j *adaptJob, g *AdLIFGrad) {
	var d AdLIFGrad
	if g != nil {
		d = *g
	}
	j.resetGrad = p.ResetGrad
	j.setParam(adAlpha, "Alpha", p.Alpha, d.DAlpha)
	j.setParam(adBeta, "Beta", p.Beta, d.DBeta)
	j.setParam(adA, "A", p.A, d.DA)
	j.setParam(adB, "Bw", p.Bw, d.DB)
	j.setParam(adThr, "Thr", p.Thr, d.DThr)
}

// Backward runs the reverse-time scan of Forward (equations on AdLIFScan):
// in is Forward's input, mem0, spk0, w0 its initial state, mem, spk, w its
// outputs.
func (p *AdLIFScan) Backward(in, mem0, spk0, w0, mem, spk, w []float32, g *AdLIFGrad) {
	j := newAdaptJob(kindAdLIF, false, "AdLIFScan.Backward", p.T, p.B, p.N, 5)
	p.params(j, g)
	if g.SGFunc == nil {
		j.fail("SGFunc is nil")
	}
	j.sgf = g.SGFunc
	j.in = j.seq("in", in, true)
	j.mem0, j.spk0, j.aux0 = j.state("mem0", mem0, false), j.state("spk0", spk0, false), j.state("w0", w0, false)
	j.mem, j.spk, j.aux = j.seq("mem", mem, true), j.seq("spk", spk, true), j.seq("w", w, true)
	j.ds, j.dm, j.daux = j.seq("DSpk", g.DSpk, false), j.seq("DMem", g.DMem, false), j.seq("DW", g.DW, false)
	j.dIn = j.seq("DIn", g.DIn, true)
	j.dMem0, j.dSpk0, j.dAux0 = j.state("DMem0", g.DMem0, false), j.state("DSpk0", g.DSpk0, false), j.state("DW0", g.DW0, false)
	j.run()
}

func (j *adaptJob) adlifForward(t, b int) {
	N := j.N
	pu, ps, pw := j.row(j.mem, j.mem0, t-1, b), j.row(j.spk, j.spk0, t-1, b), j.row(j.aux, j.aux0, t-1, b)
	x, u, s, w := j.row(j.in, nil, t, b), j.row(j.mem, nil, t, b), j.row(j.spk, nil, t, b), j.row(j.aux, nil, t, b)
	al, be, aa, bb, th := j.pex[adAlpha][:N], j.pex[adBeta][:N], j.pex[adA][:N], j.pex[adB][:N], j.pex[adThr][:N]
	pu, ps, pw, x, s, w = pu[:N], ps[:N], pw[:N], x[:N], s[:N], w[:N]
	u = u[:N]
	k := adlifForwardAsm(x, pu, ps, pw, j.parBlock(), N, u, s, w)
	pu, ps, pw, x, s, w = pu[k:], ps[k:], pw[k:], x[k:], s[k:], w[k:]
	al, be, aa, bb, th = al[k:], be[k:], aa[k:], bb[k:], th[k:]
	u = u[k:]
	for f := range u {
		r := ps[f]
		wv := float32(float32(pw[f]*be[f])+float32(pu[f]*aa[f])) + float32(r*bb[f])
		v := pu[f] - float32(r*th[f])
		uv := float32(v*al[f]) + float32((x[f]-wv)*(1-al[f]))
		w[f], u[f] = wv, uv
		s[f] = spikeOf(uv - th[f])
	}
}

func (j *adaptJob) adlifBackward(t, b int, sg []float32) {
	N := j.N
	last := t == j.T-1
	pu, r, pw := j.row(j.mem, j.mem0, t-1, b), j.row(j.spk, j.spk0, t-1, b), j.row(j.aux, j.aux0, t-1, b)
	x, ut, wt := j.row(j.in, nil, t, b), j.row(j.mem, nil, t, b), j.row(j.aux, nil, t, b)
	var ds []float32
	if j.dsStep {
		ds = j.ds[b*N : (b+1)*N]
	} else {
		ds = j.opt(j.ds, t, b)
	}
	dm, dw := j.opt(j.dm, t, b), j.opt(j.daux, t, b)
	dIn := j.row(j.dIn, nil, t, b)
	o := b * N
	cu, cw := j.carryM()[o:o+N], j.carryA()[o:o+N]
	if last {
		clear(cu)
		clear(cw)
	}
	al, be, aa, bb, th := j.pex[adAlpha][:N], j.pex[adBeta][:N], j.pex[adA][:N], j.pex[adB][:N], j.pex[adThr][:N]
	sg, ut = sg[:N], ut[:N]
	for f := range sg {
		sg[f] = ut[f] - th[f]
	}
	j.sgf.GradInto(sg, sg)
	rg := j.resetGrad && !last
	pu, r, pw, x, wt, ds, dm, dw, dIn = pu[:N], r[:N], pw[:N], x[:N], wt[:N], ds[:N], dm[:N], dw[:N], dIn[:N]
	for f := range sg {
		auN, awN := cu[f], cw[f]
		g := ds[f]
		if rg {
			g += awN*bb[f] - auN*al[f]*th[f]
		}
		gs := g * sg[f]
		au := dm[f] + gs + auN*al[f] + awN*aa[f]
		aw := dw[f] + awN*be[f] - au*(1-al[f])
		dIn[f] = au * (1 - al[f])
		cu[f], cw[f] = au, aw
		sg[f] = gs
	}
	if j.sums() {
		accAl, accBe, accA, accB, accT := j.acc(adAlpha)[o:o+N], j.acc(adBeta)[o:o+N], j.acc(adA)[o:o+N], j.acc(adB)[o:o+N], j.acc(adThr)[o:o+N]
		if last {
			clear(accAl)
			clear(accBe)
			clear(accA)
			clear(accB)
			clear(accT)
		}
		accAl, accBe, accA, accB, accT = accAl[:len(sg)], accBe[:len(sg)], accA[:len(sg)], accB[:len(sg)], accT[:len(sg)]
		cu, cw = cu[:len(sg)], cw[:len(sg)]
		// From cu = Au[t], cw = Aw[t] and sg = G[t]·SG[t].
		for f, gs := range sg {
			au, aw := cu[f], cw[f]
			v := pu[f] - r[f]*th[f]
			accAl[f] += au * (v - (x[f] - wt[f]))
			accBe[f] += aw * pw[f]
			accA[f] += aw * pu[f]
			accB[f] += aw * r[f]
			accT[f] += -gs - au*al[f]*r[f]
		}
	}
	if t > 0 {
		return
	}
	if j.dMem0 != nil {
		d := j.dMem0[o : o+N]
		for f := range d {
			d[f] = cu[f]*al[f] + cw[f]*aa[f]
		}
	}
	if j.dAux0 != nil {
		d := j.dAux0[o : o+N]
		for f := range d {
			d[f] = cw[f] * be[f]
		}
	}
	if j.dSpk0 != nil {
		d := j.dSpk0[o : o+N]
		for f := range d {
			d[f] = 0
			if j.resetGrad {
				d[f] = cw[f]*bb[f] - cu[f]*al[f]*th[f]
			}
		}
	}
}
