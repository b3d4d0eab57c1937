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

func (j *scanJob) synForwardSeg(off, l int, al, be, th []float32) {
	n := j.n
	var zeros [scanSeg]float32
	py := j.segState(j.syn0, off, l, &zeros)
	pm := j.segState(j.mem0, off, l, &zeros)
	ps := j.segState(j.spk0, off, l, &zeros)
	for t := range j.T {
		o := t*n + off
		x, y, m, s := j.in[o:o+l], j.syn[o:o+l], j.mem[o:o+l], j.spk[o:o+l]
		x, py, pm, ps, al, be, th, y, s = x[:len(m)], py[:len(m)], pm[:len(m)], ps[:len(m)], al[:len(m)], be[:len(m)], th[:len(m)], y[:len(m)], s[:len(m)]
		switch j.reset {
		case ResetSubtract:
			for i := range m {
				yi := float32(al[i]*py[i]) + x[i]
				v := float32(be[i]*pm[i]) + yi - float32(ps[i]*th[i])
				y[i], m[i], s[i] = yi, v, heaviside(v, th[i])
			}
		case ResetZero:
			for i := range m {
				yi := float32(al[i]*py[i]) + x[i]
				v := float32(be[i]*pm[i])*(1-ps[i]) + yi
				y[i], m[i], s[i] = yi, v, heaviside(v, th[i])
			}
		default:
			for i := range m {
				yi := float32(al[i]*py[i]) + x[i]
				v := float32(be[i]*pm[i]) + yi
				y[i], m[i], s[i] = yi, v, heaviside(v, th[i])
			}
		}
		py, pm, ps = y, m, s
	}
}

func (j *scanJob) synBackwardSeg(off, l int, al, be, th []float32, acc *[numPar][scanSeg]float32) {
	n := j.n
	var zeros, aN, eN, qN [scanSeg]float32
	syn0 := j.segState(j.syn0, off, l, &zeros)
	mem0 := j.segState(j.mem0, off, l, &zeros)
	spk0 := j.segState(j.spk0, off, l, &zeros)
	// Reset kinds: rs = subtract, rz = zero (as a factor 0 or 1 applied to the
	// terms that exist only in that mode), both 0 for ResetNone.
	var rs, rz float32
	switch j.reset {
	case ResetSubtract:
		rs = 1
	case ResetZero:
		rz = 1
	}
	var rg float32
	if j.resetGrad {
		rg = 1
	}
	for t := j.T - 1; t >= 0; t-- {
		o := t*n + off
		py, pm, r := syn0, mem0, spk0
		if t > 0 {
			py, pm, r = j.syn[o-n:o-n+l], j.mem[o-n:o-n+l], j.spk[o-n:o-n+l]
		}
		ds, dm := j.segSeq(j.ds, o, l, &zeros), j.segSeq(j.dm, o, l, &zeros)
		sg, dIn := j.sg[o:o+l], j.dIn[o:o+l]
		k := len(dIn)
		a, e, q := aN[:k], eN[:k], qN[:k]
		da, db, dt := acc[parAlpha][:k], acc[parBeta][:k], acc[parThr][:k]
		ds, dm, sg, py, pm, r, al, be, th = ds[:k], dm[:k], sg[:k], py[:k], pm[:k], r[:k], al[:k], be[:k], th[:k]
		for i := range dIn {
			gs := ds[i] + e[i]
			ai := dm[i] + gs*sg[i] + a[i]
			qi := ai + q[i]
			dIn[i] = qi
			// keep is 1-r[t] in zero mode, 1 otherwise.
			keep := 1 - rz*r[i]
			a[i] = ai * be[i] * keep
			q[i] = qi * al[i]
			e[i] = -rg * ai * (rs*th[i] + rz*be[i]*pm[i])
			da[i] += qi * py[i]
			db[i] += ai * pm[i] * keep
			dt[i] -= gs*sg[i] + rs*ai*r[i]
		}
	}
	if j.dSyn0 != nil {
		copy(j.dSyn0[off:off+l], qN[:l])
	}
	if j.dMem0 != nil {
		copy(j.dMem0[off:off+l], aN[:l])
	}
	if j.dSpk0 != nil {
		copy(j.dSpk0[off:off+l], eN[:l])
	}
}
