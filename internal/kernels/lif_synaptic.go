package kernels

// SynapticScan is the current-based (second-order) leaky integrate-and-fire
// neuron of snnTorch's Synaptic, over a [T, B, N] sequence. For
// t = 0 .. T-1, per element (feature f):
//
//	syn[t] = alpha*syn[t-1] + x[t]
//	r[t]   = S[t-1]                          (S[-1] = spk0)
//	mem[t] = (beta*mem[t-1] + syn[t]) - r[t]*thr   ResetSubtract
//	mem[t] = (beta*mem[t-1])*(1-r[t]) + syn[t]     ResetZero
//	mem[t] = beta*mem[t-1] + syn[t]                ResetNone
//	S[t]   = H(mem[t] - thr)                 (1 if mem[t] > thr, else 0)
//
// with syn[-1] = syn0, mem[-1] = mem0, alpha = Alpha[f], beta = Beta[f],
// thr = Thr[f]. The reset acts on the membrane only, as in LIFScan; the
// synaptic current is never reset.
//
// Backward: with A[t] = dL/dmem[t] and Q[t] = dL/dsyn[t] (totals),
// A[T] = Q[T] = E[T] = 0, and E, G as on LIFScan:
//
//	G[t]   = DSpk[t] + E[t+1]
//	A[t]   = DMem[t] + G[t]*SG[t] + A[t+1]*beta*(1-r[t+1])    zero
//	A[t]   = DMem[t] + G[t]*SG[t] + A[t+1]*beta               subtract, none
//	Q[t]   = A[t] + Q[t+1]*alpha
//	dL/dx[t] = Q[t]
//	dL/dalpha += Q[t]*syn[t-1]
//	dL/dbeta  += A[t]*mem[t-1]*(1-r[t])  (zero)   A[t]*mem[t-1]   (others)
//	dL/dthr   += -G[t]*SG[t] - A[t]*r[t]  (subtract)   -G[t]*SG[t]   (others)
//	dL/dsyn0 = Q[0]*alpha
//	dL/dmem0 = A[0]*beta*(1-r[0])  (zero)   A[0]*beta   (others)
//	dL/dspk0 = E[0]
type SynapticScan struct {
	T, B, N int       // time steps, batch, features; n = B*N values per step
	Alpha   []float32 // synaptic current decay factor per feature, [N] or [1]
	Beta    []float32 // membrane decay factor per feature, [N] or [1]
	Thr     []float32 // firing threshold per feature, [N] or [1]
	Reset   ResetMode
	// ResetGrad lets the gradient flow through the reset term r[t] = S[t-1];
	// the default, false, detaches it.
	ResetGrad bool
}

// SynapticGrad holds the inputs and outputs of SynapticScan.Backward. Slices
// marked optional may be nil.
type SynapticGrad struct {
	DSpk []float32 // [T*n] dL/dS[t]; optional
	DMem []float32 // [T*n] dL/dmem[t] from direct uses of the membrane; optional
	SG   []float32 // [T*n] surrogate derivative g(mem[t] - thr[f]); required

	DIn    []float32 // [T*n] dL/dx[t]; required, overwritten
	DSyn0  []float32 // [n] dL/dsyn0; optional, overwritten
	DMem0  []float32 // [n] dL/dmem0; optional, overwritten
	DSpk0  []float32 // [n] dL/dspk0; optional, overwritten (zeros unless ResetGrad)
	DAlpha []float32 // [len(Alpha)] dL/dalpha; optional, accumulated
	DBeta  []float32 // [len(Beta)] dL/dbeta; optional, accumulated
	DThr   []float32 // [len(Thr)] dL/dthr; optional, accumulated
}

// Forward runs the scan: in [T*n] is the input x, syn0, mem0 and spk0 [n] the
// initial state (nil: zeros); it writes syn, mem and spk [T*n], which
// Backward needs. It panics with a *ScanError if a slice is too short or a
// parameter has the wrong length.
func (p *SynapticScan) Forward(in, syn0, mem0, spk0, syn, mem, spk []float32) {
	j := newScanJob(scanSynaptic, true, "SynapticScan.Forward", p.T, p.B, p.N)
	j.reset = p.Reset
	j.setParam(parAlpha, "Alpha", p.Alpha, nil)
	j.setParam(parBeta, "Beta", p.Beta, nil)
	j.setParam(parThr, "Thr", p.Thr, nil)
	j.in = j.seq("in", in, true)
	j.syn0 = j.state("syn0", syn0, false)
	j.mem0 = j.state("mem0", mem0, false)
	j.spk0 = j.state("spk0", spk0, false)
	j.syn = j.seq("syn", syn, true)
	j.mem = j.seq("mem", mem, true)
	j.spk = j.seq("spk", spk, true)
	j.run()
}

// Backward runs the reverse-time scan of Forward (equations on
// SynapticScan). syn0, mem0 and spk0 are Forward's initial state (nil:
// zeros); syn, mem and spk its outputs. It panics with a *ScanError if a
// slice is too short or a parameter or gradient has the wrong length.
func (p *SynapticScan) Backward(syn0, mem0, spk0, syn, mem, spk []float32, g *SynapticGrad) {
	j := newScanJob(scanSynaptic, false, "SynapticScan.Backward", p.T, p.B, p.N)
	j.reset, j.resetGrad = p.Reset, p.ResetGrad
	j.setParam(parAlpha, "Alpha", p.Alpha, g.DAlpha)
	j.setParam(parBeta, "Beta", p.Beta, g.DBeta)
	j.setParam(parThr, "Thr", p.Thr, g.DThr)
	j.syn0 = j.state("syn0", syn0, false)
	j.mem0 = j.state("mem0", mem0, false)
	j.spk0 = j.state("spk0", spk0, false)
	j.syn = j.seq("syn", syn, true)
	j.mem = j.seq("mem", mem, true)
	j.spk = j.seq("spk", spk, true)
	j.ds = j.seq("DSpk", g.DSpk, false)
	j.dm = j.seq("DMem", g.DMem, false)
	j.sg = j.seq("SG", g.SG, true)
	j.dIn = j.seq("DIn", g.DIn, true)
	j.dSyn0 = j.state("DSyn0", g.DSyn0, false)
	j.dMem0 = j.state("DMem0", g.DMem0, false)
	j.dSpk0 = j.state("DSpk0", g.DSpk0, false)
	j.run()
}

// synForward runs step t of the forward Synaptic scan over one segment.
func (j *scanJob) synForward(t, off, l int, al, be, th []float32) {
	n := j.n
	o := t*n + off
	py, pm, ps := part(j.syn0, off, l), part(j.mem0, off, l), part(j.spk0, off, l)
	if t > 0 {
		py, pm, ps = j.syn[o-n:o-n+l], j.mem[o-n:o-n+l], j.spk[o-n:o-n+l]
	}
	x, y, m, s := j.in[o:o+l], j.syn[o:o+l], j.mem[o:o+l], j.spk[o:o+l]
	k := len(m)
	x, py, pm, ps, al, be, th, y, s = x[:k], py[:k], pm[:k], ps[:k], al[:k], be[:k], th[:k], y[:k], s[:k]
	if v := synForwardAsm(j.reset, x, py, pm, ps, al, be, th, y, m, s); v > 0 {
		x, py, pm, ps, al, be, th, y, m, s = x[v:], py[v:], pm[v:], ps[v:], al[v:], be[v:], th[v:], y[v:], m[v:], s[v:]
	}
	// Two loops of at most eight arrays each: see lifBackwardGo.
	for i := range y {
		y[i] = float32(al[i]*py[i]) + x[i]
	}
	switch j.reset {
	case ResetSubtract:
		for i := range m {
			v := float32(be[i]*pm[i]) + y[i] - float32(ps[i]*th[i])
			m[i], s[i] = v, heaviside(v, th[i])
		}
	case ResetZero:
		for i := range m {
			v := float32(be[i]*pm[i])*(1-ps[i]) + y[i]
			m[i], s[i] = v, heaviside(v, th[i])
		}
	default:
		for i := range m {
			v := float32(be[i]*pm[i]) + y[i]
			m[i], s[i] = v, heaviside(v, th[i])
		}
	}
}

// synBackward runs step t of the backward Synaptic scan over one segment.
// Q[t+1] is read back from DIn; A[t+1] is carried in scratch. At t = 0 it
// also writes DSyn0, DMem0 and DSpk0.
func (j *scanJob) synBackward(t, off, l int, al, be, th []float32) {
	n := j.n
	o := t*n + off
	py, pm, r := part(j.syn0, off, l), part(j.mem0, off, l), part(j.spk0, off, l)
	if t > 0 {
		py, pm, r = j.syn[o-n:o-n+l], j.mem[o-n:o-n+l], j.spk[o-n:o-n+l]
	}
	carry := j.acc(numPar, off, l) // A[t+1] on entry, A[t] on return
	qNext := zeroSeg[:l]
	if t < j.T-1 {
		qNext = j.dIn[o+n : o+n+l]
	}
	dIn := j.dIn[o : o+l]
	k := len(dIn)
	rNext, mt := j.spk[o:o+k], j.mem[o:o+k]
	ds, dm, sg := part(j.ds, o, k), part(j.dm, o, k), j.sg[o:o+k]
	da, db, dt := j.acc(parAlpha, off, k), j.acc(parBeta, off, k), j.acc(parThr, off, k)
	py, pm, r, carry, qNext, al, be, th = py[:k], pm[:k], r[:k], carry[:k], qNext[:k], al[:k], be[:k], th[:k]
	ds, dm, sg, mt, rNext, da, db, dt = ds[:k], dm[:k], sg[:k], mt[:k], rNext[:k], da[:k], db[:k], dt[:k]
	// Reset kinds as factors: rs = 1 for subtract, rz = 1 for zero (both 0
	// for none); rg = 1 when the gradient flows through the reset.
	var rs, rz, rg float32
	switch j.reset {
	case ResetSubtract:
		rs = 1
	case ResetZero:
		rz = 1
	}
	if j.resetGrad {
		rg = 1
	}
	// Loops of at most eight arrays each: see lifBackwardGo. gsg holds
	// G[t]*SG[t] between them.
	var gsg [scanSeg]float32
	g := gsg[:k]
	// The assembly loops do the leading multiple of 16 elements.
	v := synBackwardAsm(rs, rz, rg, j.sums(), carry, ds, dm, sg, mt, rNext, be, th, g, qNext, al, dIn, py, pm, r, da, db, dt)
	for i := v; i < k; i++ {
		aN := carry[i]
		gs := ds[i] - rg*aN*(rs*th[i]+rz*be[i]*mt[i])
		g[i] = gs * sg[i]
		carry[i] = dm[i] + g[i] + aN*be[i]*(1-rz*rNext[i])
	}
	for i := v; i < k; i++ {
		dIn[i] = carry[i] + qNext[i]*al[i]
	}
	if j.sums() {
		for i := v; i < k; i++ {
			da[i] += dIn[i] * py[i]
		}
		for i := v; i < k; i++ {
			ai := carry[i]
			db[i] += ai * pm[i] * (1 - rz*r[i])
			dt[i] -= g[i] + rs*ai*r[i]
		}
	}
	if t > 0 {
		return
	}
	for i := range dIn {
		if j.dSyn0 != nil {
			j.dSyn0[off+i] = dIn[i] * al[i]
		}
		if j.dMem0 != nil {
			j.dMem0[off+i] = carry[i] * be[i] * (1 - rz*r[i])
		}
		if j.dSpk0 != nil {
			j.dSpk0[off+i] = -rg * carry[i] * (rs*th[i] + rz*be[i]*pm[i])
		}
	}
}
