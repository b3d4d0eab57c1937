package kernels

// LIScan is the non-spiking leaky integrator, the membrane of LIFScan without
// spikes or reset, used as a read-out layer, over a [T, B, N] sequence. For
// t = 0 .. T-1, per element (feature f):
//
//	mem[t] = beta*mem[t-1] + x[t]
//
// with mem[-1] = mem0 and beta = Beta[f].
//
// Backward: with A[t] = dL/dmem[t] (total), A[T] = 0:
//
//	A[t]      = DMem[t] + A[t+1]*beta
//	dL/dx[t]  = A[t]
//	dL/dbeta += A[t]*mem[t-1]
//	dL/dmem0  = A[0]*beta
type LIScan struct {
	T, B, N int       // time steps, batch, features; n = B*N values per step
	Beta    []float32 // decay factor per feature, [N] or [1]
}

// LIGrad holds the inputs and outputs of LIScan.Backward. Slices marked
// optional may be nil.
type LIGrad struct {
	DMem []float32 // [T*n] dL/dmem[t]; required

	DIn   []float32 // [T*n] dL/dx[t]; required, overwritten
	DMem0 []float32 // [n] dL/dmem0; optional, overwritten
	DBeta []float32 // [len(Beta)] dL/dbeta; optional, accumulated
}

// Forward runs the scan: in [T*n] is the input x and mem0 [n] the initial
// membrane (nil: zeros); it writes mem [T*n]. It panics with a *ScanError if
// a slice is too short or Beta has the wrong length.
func (p *LIScan) Forward(in, mem0, mem []float32) {
	j := newScanJob(scanLI, true, "LIScan.Forward", p.T, p.B, p.N)
	j.setParam(parBeta, "Beta", p.Beta, nil)
	j.in = j.seq("in", in, true)
	j.mem0 = j.state("mem0", mem0, false)
	j.mem = j.seq("mem", mem, true)
	j.run()
}

// Backward runs the reverse-time scan of Forward (equations on LIScan).
// mem0 is Forward's initial membrane (nil: zeros) and mem its output. It
// panics with a *ScanError if a slice is too short or Beta or DBeta has the
// wrong length.
func (p *LIScan) Backward(mem0, mem []float32, g *LIGrad) {
	j := newScanJob(scanLI, false, "LIScan.Backward", p.T, p.B, p.N)
	j.setParam(parBeta, "Beta", p.Beta, g.DBeta)
	j.mem0 = j.state("mem0", mem0, false)
	j.mem = j.seq("mem", mem, true)
	j.dm = j.seq("DMem", g.DMem, true)
	j.dIn = j.seq("DIn", g.DIn, true)
	j.dMem0 = j.state("DMem0", g.DMem0, false)
	j.run()
}

// liForward runs step t of the forward LI scan over one segment.
func (j *scanJob) liForward(t, off, l int, be []float32) {
	o := t*j.n + off
	pm := part(j.mem0, off, l)
	if t > 0 {
		pm = j.mem[o-j.n : o-j.n+l]
	}
	x, m := j.in[o:o+l], j.mem[o:o+l]
	x, pm, be = x[:len(m)], pm[:len(m)], be[:len(m)]
	for i := range m {
		m[i] = float32(be[i]*pm[i]) + x[i]
	}
}

// liBackward runs step t of the backward LI scan over one segment; A[t+1]
// is read back from DIn. At t = 0 it also writes DMem0.
func (j *scanJob) liBackward(t, off, l int, be []float32) {
	n := j.n
	o := t*n + off
	pm := part(j.mem0, off, l)
	if t > 0 {
		pm = j.mem[o-n : o-n+l]
	}
	aNext := zeroSeg[:l]
	if t < j.T-1 {
		aNext = j.dIn[o+n : o+n+l]
	}
	dIn := j.dIn[o : o+l]
	k := len(dIn)
	dm, db := j.dm[o:o+k], j.acc(parBeta, off, k)
	pm, aNext, be = pm[:k], aNext[:k], be[:k]
	for i := range dIn {
		ai := dm[i] + aNext[i]*be[i]
		dIn[i] = ai
		db[i] += ai * pm[i]
	}
	if t == 0 && j.dMem0 != nil {
		d := j.dMem0[off : off+k]
		for i := range d {
			d[i] = dIn[i] * be[i]
		}
	}
}
