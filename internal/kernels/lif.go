package kernels

import "fmt"

// Fused neuron scans.
//
// A scan runs one neuron model over a whole sequence laid out time-major,
// [T, B, N] row-major: step t holds n = B*N values at [t*n, (t+1)*n), and the
// value at flat index b*N+f of a step belongs to feature f. Parameters (decay
// factors, thresholds) are per feature: a slice of length N, or of length 1
// shared by all features. Initial states are [n] slices (nil means zeros).
//
// Forward scans use exactly the float32 operations written in their doc
// comments, in that order, each product rounded before it is added (no fused
// multiply-add), so they equal a plain step-by-step loop bit for bit.
//
// Backward scans run in reverse time and take the surrogate derivative of the
// spike function from the caller: SG[t] = g(mem[t] - thr) for the caller's
// surrogate g, [T*n]. Input gradients are overwritten; parameter gradients are
// accumulated (added to the slice given).
//
// The scans run time as the outer loop and split each step's n values into
// chunks of whole batch rows, by a partition that depends on the shape alone
// (about one chunk per 32768 values, at most 8); each parameter gradient is
// summed in a fixed order, so results are bit-identical for any thread count.
// On amd64 CPUs with AVX-512 the LIF and Synaptic scans run assembly loops;
// their forward gives the same bits as the Go loops, their backward (which
// uses fused multiply-adds) may differ in the last bits.

// ResetMode selects how a spike resets the membrane at the next step.
type ResetMode uint8

const (
	// ResetSubtract subtracts the threshold: mem[t] = beta*mem[t-1] + x[t] - r[t]*thr
	// (snnTorch reset_mechanism="subtract", its default).
	ResetSubtract ResetMode = iota
	// ResetZero clears the decayed membrane: mem[t] = beta*mem[t-1]*(1-r[t]) + x[t]
	// (snnTorch Leaky reset_mechanism="zero").
	ResetZero
	// ResetNone never resets: mem[t] = beta*mem[t-1] + x[t].
	ResetNone
)

// String returns "subtract", "zero" or "none".
func (m ResetMode) String() string {
	switch m {
	case ResetSubtract:
		return "subtract"
	case ResetZero:
		return "zero"
	case ResetNone:
		return "none"
	}
	return fmt.Sprintf("ResetMode(%d)", uint8(m))
}

// ScanError is the panic value of the neuron scans for arguments that do not
// fit the declared shape.
type ScanError struct {
	Op      string // e.g. "LIFScan.Forward"
	T, B, N int
	Reason  string
}

// Error returns the message of the ScanError.
func (e *ScanError) Error() string {
	return fmt.Sprintf("kernels: %s [T=%d, B=%d, N=%d]: %s", e.Op, e.T, e.B, e.N, e.Reason)
}

// LIFScan is the leaky integrate-and-fire neuron of snnTorch's Leaky with the
// reset computed from the previous step's spike, over a [T, B, N] sequence.
// For t = 0 .. T-1, per element (feature f):
//
//	r[t]   = S[t-1]                          (S[-1] = spk0, the spike state before the sequence)
//	mem[t] = (beta*mem[t-1] + x[t]) - r[t]*thr     ResetSubtract
//	mem[t] = (beta*mem[t-1])*(1-r[t]) + x[t]       ResetZero
//	mem[t] = beta*mem[t-1] + x[t]                  ResetNone
//	S[t]   = H(mem[t] - thr)                 (1 if mem[t] > thr, else 0)
//
// with mem[-1] = mem0, beta = Beta[f] and thr = Thr[f]. snnTorch computes the
// reset as H(mem[t-1] - thr), which is S[t-1]; for its start state pass
// spk0 = H(mem0 - thr) (nil when mem0 is zero and thr > 0). Membranes are in
// threshold units when thr = 1; beta = exp(-dt/tau) is dimensionless and is
// used as given (snnTorch clamps a learnable beta to [0, 1]; a layer that
// wants that clamps before the call).
//
// Backward: let A[t] = dL/dmem[t] (total, through every later step) and
// G[t] = dL/dS[t] (total). With the given DSpk[t] = dL/dS[t] and
// DMem[t] = dL/dmem[t] (direct uses only), A[T] = 0 and E[T] = 0:
//
//	E[t+1] = dL/dr[t+1] = -A[t+1]*thr                     subtract
//	                      -A[t+1]*beta*mem[t]             zero
//	                      0                                none, or reset detached
//	G[t]   = DSpk[t] + E[t+1]
//	A[t]   = DMem[t] + G[t]*SG[t] + A[t+1]*beta*(1-r[t+1])    zero
//	A[t]   = DMem[t] + G[t]*SG[t] + A[t+1]*beta               subtract, none
//	dL/dx[t] = A[t]
//	dL/dbeta += A[t]*mem[t-1]*(1-r[t])   (zero)   A[t]*mem[t-1]   (others)
//	dL/dthr  += -G[t]*SG[t] - A[t]*r[t]  (subtract)   -G[t]*SG[t]   (others)
//	dL/dmem0 = A[0]*beta*(1-r[0])  (zero)   A[0]*beta   (others)
//	dL/dspk0 = E[0]
//
// E carries the gradient through the reset term r[t] = S[t-1]; it is zero
// unless ResetGrad is set. dL/dspk0 is the gradient with respect to the spk0
// input: a caller that derived spk0 = H(mem0 - thr) chains it through its own
// surrogate (dmem0 += dspk0*g(mem0-thr), dthr -= dspk0*g(mem0-thr)).
type LIFScan struct {
	T, B, N int       // time steps, batch, features; n = B*N values per step
	Beta    []float32 // membrane decay factor per feature, [N] or [1]
	Thr     []float32 // firing threshold per feature, [N] or [1]
	Reset   ResetMode
	// ResetGrad lets the gradient flow through the reset term r[t] = S[t-1]
	// (via SG[t-1]). The default, false, detaches the reset from the graph.
	ResetGrad bool
	// ConstIn declares the input constant over time: Forward's in holds n
	// values, x[t] = in for every t, and Backward's DIn holds n values,
	// dL/din = Σ_t dL/dx[t]. It saves the copy of the input into every step
	// and the reduction of its gradient over time.
	ConstIn bool
}

// SurrogateGrad computes a surrogate derivative in bulk: GradInto(dst, x)
// sets dst[i] = g(x[i]) for every i (dst and x may be the same slice). An
// interface rather than a func value, so that the op holding the derivative's
// parameters passes itself (a pointer in an interface allocates nothing,
// a closure over the parameters does).
type SurrogateGrad interface {
	GradInto(dst, x []float32)
}

// LIFGrad holds the inputs and outputs of LIFScan.Backward. Slices marked
// optional may be nil.
type LIFGrad struct {
	DSpk []float32 // [T*n] dL/dS[t]; optional (nil: zero)
	DMem []float32 // [T*n] dL/dmem[t] from direct uses of the membrane; optional
	SG   []float32 // [T*n] surrogate derivative g(mem[t] - thr[f]); required unless SGFunc is set
	// SGFunc, used when SG is nil, computes the surrogate derivative while
	// the scan runs: SGFunc.GradInto(dst, x) sets dst[i] = g(x[i]) for x[i] =
	// mem[t] - thr, a segment at a time (dst and x may be the same slice).
	// It saves writing and reading a [T*n] array. It is called from several
	// goroutines at once.
	SGFunc SurrogateGrad
	// FastSigmoid, when SG is nil and FastSigmoid > 0, makes the scan compute
	// the fast-sigmoid derivative 1/(1 + k|mem[t] - thr|)² with slope k =
	// FastSigmoid itself, vectorised (FastSigmoidShifted), instead of calling
	// SGFunc.
	FastSigmoid float32

	DIn   []float32 // [T*n] dL/dx[t] ([n] Σ_t dL/dx[t] with ConstIn); required, overwritten
	DMem0 []float32 // [n] dL/dmem0; optional, overwritten
	DSpk0 []float32 // [n] dL/dspk0; optional, overwritten (zeros unless ResetGrad)
	DBeta []float32 // [len(Beta)] dL/dbeta; optional, accumulated
	DThr  []float32 // [len(Thr)] dL/dthr; optional, accumulated
}

// Forward runs the scan: in [T*n] is the input current x, mem0 and spk0 [n]
// the initial state (nil: zeros); it writes mem and spk [T*n], which Backward
// needs. It panics with a *ScanError if a slice is too short or a parameter
// has the wrong length.
func (p *LIFScan) Forward(in, mem0, spk0, mem, spk []float32) {
	j := newScanJob(scanLIF, true, "LIFScan.Forward", p.T, p.B, p.N)
	j.reset = p.Reset
	j.setParam(1, "Beta", p.Beta, nil)
	j.setParam(2, "Thr", p.Thr, nil)
	if j.constIn = p.ConstIn; j.constIn {
		j.in = j.state("in", in, true)
	} else {
		j.in = j.seq("in", in, true)
	}
	j.mem0 = j.state("mem0", mem0, false)
	j.spk0 = j.state("spk0", spk0, false)
	j.mem = j.seq("mem", mem, true)
	j.spk = j.seq("spk", spk, true)
	j.run()
}

// Backward runs the reverse-time scan of Forward (equations on LIFScan).
// mem0 and spk0 are Forward's initial state (nil: zeros), mem and spk its
// outputs. It panics with a *ScanError if a slice is too short or a parameter
// or gradient has the wrong length.
func (p *LIFScan) Backward(mem0, spk0, mem, spk []float32, g *LIFGrad) {
	j := newScanJob(scanLIF, false, "LIFScan.Backward", p.T, p.B, p.N)
	j.reset, j.resetGrad = p.Reset, p.ResetGrad
	j.setParam(1, "Beta", p.Beta, g.DBeta)
	j.setParam(2, "Thr", p.Thr, g.DThr)
	j.mem0 = j.state("mem0", mem0, false)
	j.spk0 = j.state("spk0", spk0, false)
	j.mem = j.seq("mem", mem, true)
	j.spk = j.seq("spk", spk, true)
	j.ds = j.seq("DSpk", g.DSpk, false)
	j.dm = j.seq("DMem", g.DMem, false)
	j.sg = j.seq("SG", g.SG, g.SGFunc == nil && g.FastSigmoid <= 0)
	j.sgf, j.fsK = g.SGFunc, g.FastSigmoid
	if j.constIn = p.ConstIn; j.constIn {
		j.dIn = j.state("DIn", g.DIn, true)
	} else {
		j.dIn = j.seq("DIn", g.DIn, true)
	}
	j.dMem0 = j.state("DMem0", g.DMem0, false)
	j.dSpk0 = j.state("DSpk0", g.DSpk0, false)
	j.run()
}

// lifForward runs step t of the forward LIF scan over the l elements at flat
// offset off, with be and th the segment's parameters.
func (j *scanJob) lifForward(t, off, l int, be, th []float32) {
	o := t*j.n + off
	pm, ps := part(j.mem0, off, l), part(j.spk0, off, l)
	if t > 0 {
		pm, ps = j.mem[o-j.n:o-j.n+l], j.spk[o-j.n:o-j.n+l]
	}
	x, m, s := j.inAt(o, off, l), j.mem[o:o+l], j.spk[o:o+l]
	if k := lifForwardAsm(j.reset, x, pm, ps, be, th, m, s); k > 0 {
		x, pm, ps, be, th, m, s = x[k:], pm[k:], ps[k:], be[k:], th[k:], m[k:], s[k:]
	}
	switch j.reset {
	case ResetSubtract:
		lifStepSub(x, pm, ps, be, th, m, s)
	case ResetZero:
		lifStepZero(x, pm, ps, be, th, m, s)
	default:
		lifStepNone(x, pm, be, th, m, s)
	}
}

func lifStepSub(x, pm, ps, be, th, m, s []float32) {
	x, pm, ps, be, th, s = x[:len(m)], pm[:len(m)], ps[:len(m)], be[:len(m)], th[:len(m)], s[:len(m)]
	for i := range m {
		v := float32(be[i]*pm[i]) + x[i] - float32(ps[i]*th[i])
		m[i] = v
		s[i] = heaviside(v, th[i])
	}
}

func lifStepZero(x, pm, ps, be, th, m, s []float32) {
	x, pm, ps, be, th, s = x[:len(m)], pm[:len(m)], ps[:len(m)], be[:len(m)], th[:len(m)], s[:len(m)]
	for i := range m {
		v := float32(be[i]*pm[i])*(1-ps[i]) + x[i]
		m[i] = v
		s[i] = heaviside(v, th[i])
	}
}

func lifStepNone(x, pm, be, th, m, s []float32) {
	x, pm, be, th, s = x[:len(m)], pm[:len(m)], be[:len(m)], th[:len(m)], s[:len(m)]
	for i := range m {
		v := float32(be[i]*pm[i]) + x[i]
		m[i] = v
		s[i] = heaviside(v, th[i])
	}
}

// heaviside is the spike function H(v - th): 1 if v > th, else 0 (also for
// NaN).
func heaviside(v, th float32) float32 {
	// An integer select compiles to a flag move instead of a branch, which
	// would mispredict on every irregular spike.
	var s int32
	if v > th {
		s = 1
	}
	return float32(s)
}

// lifBackward runs step t of the backward LIF scan over one segment. The
// membrane gradient A[t+1] is read back from DIn, and the reset terms of step
// t+1 are recomputed from it; at t = 0 it also writes DMem0 and DSpk0.
func (j *scanJob) lifBackward(t, off, l int, be, th []float32) {
	n := j.n
	o := t*n + off
	pm, r := part(j.mem0, off, l), part(j.spk0, off, l)
	if t > 0 {
		pm, r = j.mem[o-n:o-n+l], j.spk[o-n:o-n+l]
	}
	// A[t+1] is read back from DIn, or with ConstIn from a carry of one
	// step that A[t] then overwrites in place.
	var aNext, dIn []float32
	if j.constIn {
		carry := j.carry(off, l)
		aNext, dIn = carry, carry
		if t == j.T-1 {
			clear(carry)
		}
	} else {
		aNext = zeroSeg[:l]
		if t < j.T-1 {
			aNext = j.dIn[o+n : o+n+l]
		}
		dIn = j.dIn[o : o+l]
	}
	k := len(dIn)
	rNext, mt := j.spk[o:o+k], j.mem[o:o+k]
	ds, dm := part(j.ds, o, k), part(j.dm, o, k)
	db, dt := j.acc(parBeta, off, k), j.acc(parThr, off, k)
	pm, r, aNext, be, th = pm[:k], r[:k], aNext[:k], be[:k], th[:k]
	var sum []float32 // the time sum of dL/dx with ConstIn
	if j.constIn {
		sum = j.dIn[off : off+k]
	}
	// The assembly loop does the leading multiple of 16 elements; the Go
	// loops below do the rest (v) and the initial-state outputs use all k.
	// Without parameter gradients one loop also computes the built-in fast
	// sigmoid and the time sum of a constant input's gradient, with the
	// same operations as the separate passes below.
	v, fused := 0, false
	if !j.sums() && (j.sg != nil || j.fsK > 0) {
		var sg []float32
		if j.sg != nil {
			sg = j.sg[o : o+k]
		}
		v = lifBackwardFastAsm(j.reset, j.resetGrad, j.fsK, t == j.T-1, aNext, ds, dm, sg, mt, rNext, dIn, be, th, sum)
		fused = true
	}
	var sg []float32
	switch {
	case j.sg != nil:
		sg = j.sg[o : o+k]
	case v < k:
		// Only the elements the fused loop left over need the surrogate.
		sg = j.sgSegment(off, v, mt, th)
	default:
		sg = zeroSeg[:k] // the fused loop did every element: not read
	}
	if !fused {
		v = lifBackwardAsm(j.reset, j.resetGrad, j.sums(), aNext, ds, dm, sg, mt, rNext, pm, r, dIn, be, th, db, dt)
	}
	j.lifBackwardGo(v, aNext, ds, dm, sg, mt, rNext, pm, r, dIn, be, th, db, dt)
	if j.constIn {
		if !fused {
			v = 0
		}
		if t == j.T-1 {
			copy(sum[v:], dIn[v:])
		} else {
			Add(sum[v:], dIn[v:])
		}
	}
	if t > 0 {
		return
	}
	j.lifInitialGrads(off, dIn, pm, r, be, th)
}

// lifBackwardGo runs the backward step of one segment from element v on in
// Go (equations on LIFScan). All slices have the length of dIn.
//
// The step is split into two loops that each stream through at most eight
// arrays: the rows of a [T, B, N] sequence are often a multiple of 4 KiB
// apart, so all arrays map to the same L1 cache sets, and one loop over all
// of them would evict its own lines before it has used them.
func (j *scanJob) lifBackwardGo(v int, aNext, ds, dm, sg, mt, rNext, pm, r, dIn, be, th, db, dt []float32) {
	k := len(dIn)
	aNext, ds, dm, sg, mt, rNext, dIn, be, th = aNext[v:k], ds[v:k], dm[v:k], sg[v:k], mt[v:k], rNext[v:k], dIn[v:k], be[v:k], th[v:k]
	pm, r, db, dt = pm[v:k:k], r[v:k:k], db[v:k:k], dt[v:k:k]
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
	var gsg [scanSeg]float32 // G[t]*SG[t]
	g := gsg[:len(dIn)]
	for i := range dIn {
		gs := ds[i] - rg*aNext[i]*(rs*th[i]+rz*be[i]*mt[i])
		g[i] = gs * sg[i]
		dIn[i] = dm[i] + g[i] + aNext[i]*be[i]*(1-rz*rNext[i])
	}
	if !j.sums() {
		return
	}
	pm, r, db, dt = pm[:len(dIn)], r[:len(dIn)], db[:len(dIn)], dt[:len(dIn)]
	for i, ai := range dIn {
		db[i] += ai * pm[i] * (1 - rz*r[i])
		dt[i] -= g[i] + rs*ai*r[i]
	}
}

// lifInitialGrads writes dL/dmem0 and dL/dspk0 of one segment from
// A[0] = dIn, with r = spk0 and pm = mem0.
func (j *scanJob) lifInitialGrads(off int, dIn, pm, r, be, th []float32) {
	k := len(dIn)
	if j.dMem0 != nil {
		d := j.dMem0[off : off+k]
		for i := range d {
			if j.reset == ResetZero {
				d[i] = dIn[i] * be[i] * (1 - r[i])
			} else {
				d[i] = dIn[i] * be[i]
			}
		}
	}
	if j.dSpk0 != nil {
		d := j.dSpk0[off : off+k]
		for i := range d {
			switch {
			case !j.resetGrad || j.reset == ResetNone:
				d[i] = 0
			case j.reset == ResetSubtract:
				d[i] = -dIn[i] * th[i]
			default:
				d[i] = -dIn[i] * be[i] * pm[i]
			}
		}
	}
}
