package kernels

import "fmt"

// RadLIFScan is the recurrent adaptive LIF neuron of Bittar and Garner 2022
// (sparch's RadLIF) over a [T, B, N] sequence: AdLIFScan whose input at
// step t is the given current x[t] plus the recurrent current of the
// previous step's spikes. For t = 0 .. T-1, per element (row b, feature f):
//
//	R[t][b][f] = Σ_i S[t-1][b][i]·V[i][f]    V [N, N], row i the weights from neuron i
//	cur[t]     = x[t] + R[t]                 (cur[t] = x[t] when S[-1] is absent)
//
// and w, u and S are AdLIFScan's with input cur[t]. V is used as given: a
// caller that holds its diagonal at zero (RadLIF) passes it masked.
//
// The recurrent product of a step is event-driven when the binary spikes
// S[t-1] [B, N] have fewer ones than EventActivity (sampled by
// EstimateActivity): a SpikeMatMul, else a dense Sgemm, as autograd's
// MatMul chooses. Forward performs, per step, that product, the sum
// x[t] + R[t] and one AdLIFScan step with the float32 operations of its doc
// comment: it equals a step-by-step loop that makes the same choice of
// product, bit for bit. It keeps cur [T*n], which Backward reads.
//
// Backward runs AdLIFScan's reverse-time scan, one step at a time, with
// the gradient of each step's spikes completed by the recurrence: with
// D[t] = dL/dcur[t] = dL/dx[t] = Au[t]·(1 - alpha),
//
//	G[t-1]  += D[t]·Vᵀ                 (a dense [B, N]·[N, N] product per step)
//	dL/dV   += Σ_t S[t-1]ᵀ·D[t]        (one product over the sequence, after the loop)
//	dL/dspk0 += D[0]·Vᵀ                (when the initial spikes are given)
//
// and every other gradient as on AdLIFScan (the parameters' sums in the
// same fixed order).
type RadLIFScan struct {
	AdLIFScan
	// V is the recurrent weight [N*N], row-major, row i the weights from
	// neuron i.
	V []float32
	// EventActivity is the activity (fraction of ones) of a step's spikes
	// below which the recurrent product runs event-driven; 0 never.
	EventActivity float64
}

// RadLIFState is the state before a RadLIFScan's first step: [n] slices,
// nil for zeros. SpkBinary declares that Spk holds only 0 and 1, so that
// the first step's recurrent product may run event-driven.
type RadLIFState struct {
	Mem, Spk, W []float32
	SpkBinary   bool
}

// RadLIFGrad holds the inputs and outputs of RadLIFScan.Backward: those of
// AdLIFScan.Backward (DIn, the gradient of x and of cur, is required) and
// the recurrent weight's gradient.
type RadLIFGrad struct {
	AdLIFGrad
	DV []float32 // [N*N] dL/dV; optional, accumulated
}

// checkV fails the job unless V (and its gradient dv, if given) is [N*N].
func (p *RadLIFScan) checkV(j *adaptJob, dv []float32) {
	if len(p.V) != p.N*p.N {
		j.fail(fmt.Sprintf("V has length %d, want %d", len(p.V), p.N*p.N))
	}
	if dv != nil && len(dv) != len(p.V) {
		j.fail(fmt.Sprintf("DV has length %d, want %d", len(dv), len(p.V)))
	}
}

// Forward runs the scan: in [T*n] is the input current x and s0 the state
// before the first step; it writes cur (x[t] + R[t]), mem (u), spk and w
// [T*n], which Backward needs. It panics with a *ScanError if a slice is
// too short or a parameter has the wrong length.
func (p *RadLIFScan) Forward(in []float32, s0 RadLIFState, cur, mem, spk, w []float32) {
	j := newAdaptJob(kindAdLIF, true, "RadLIFScan.Forward", p.T, p.B, p.N, 5)
	p.params(j, nil)
	p.checkV(j, nil)
	in = j.seq("in", in, true)
	j.in = j.seq("cur", cur, true)
	j.mem0, j.spk0, j.aux0 = j.state("mem0", s0.Mem, false), j.state("spk0", s0.Spk, false), j.state("w0", s0.W, false)
	j.mem, j.spk, j.aux = j.seq("mem", mem, true), j.seq("spk", spk, true), j.seq("w", w, true)
	if !j.prepare() {
		return
	}
	r := getRecJob(0)
	n := j.n
	pSpk, binary := j.spk0, s0.SpkBinary
	for t := range p.T {
		o := t * n
		x, c := in[o:o+n], j.in[o:o+n]
		if pSpk == nil {
			copy(c, x)
		} else {
			spikeProduct(&r.ev, c, pSpk, binary, p.B, p.N, p.V, p.EventActivity)
			for i, v := range x {
				c[i] = v + c[i]
			}
		}
		j.runStep(t)
		pSpk, binary = j.spk[o:o+n], true
	}
	recJobs.put(r)
	j.finish()
}

// Backward runs the reverse-time scan of Forward (equations on RadLIFScan):
// cur is Forward's cur, s0 its initial state, mem, spk and w its outputs. It
// panics with a *ScanError if a slice is too short or a parameter or
// gradient has the wrong length.
func (p *RadLIFScan) Backward(cur []float32, s0 RadLIFState, mem, spk, w []float32, g *RadLIFGrad) {
	j := newAdaptJob(kindAdLIF, false, "RadLIFScan.Backward", p.T, p.B, p.N, 5)
	p.params(j, &g.AdLIFGrad)
	p.checkV(j, g.DV)
	if g.SGFunc == nil {
		j.fail("SGFunc is nil")
	}
	j.sgf = g.SGFunc
	j.in = j.seq("cur", cur, true)
	j.mem0, j.spk0, j.aux0 = j.state("mem0", s0.Mem, false), j.state("spk0", s0.Spk, false), j.state("w0", s0.W, false)
	j.mem, j.spk, j.aux = j.seq("mem", mem, true), j.seq("spk", spk, true), j.seq("w", w, true)
	dSpk := j.seq("DSpk", g.DSpk, false)
	j.dm, j.daux = j.seq("DMem", g.DMem, false), j.seq("DW", g.DW, false)
	j.dIn = j.seq("DIn", g.DIn, true)
	j.dMem0, j.dSpk0, j.dAux0 = j.state("DMem0", g.DMem0, false), j.state("DSpk0", g.DSpk0, false), j.state("DW0", g.DW0, false)
	if !j.prepare() {
		return
	}
	T, B, N, n := p.T, p.B, p.N, j.n
	r := getRecJob(n)
	// ds is the total gradient of the spikes of the step being processed
	// but for the reset's share, which the AdLIF step adds itself.
	j.ds, j.dsStep = r.buf[:n], true
	d := j.dIn
	for t := T - 1; t >= 0; t-- {
		o := t * n
		if t == T-1 {
			copyOrClear(j.ds, dSpk, o, n)
		} else {
			Sgemm(false, true, B, N, N, 1, d[o+n:o+2*n], N, p.V, N, 0, j.ds, N)
			if dSpk != nil {
				Add(j.ds, dSpk[o:o+n])
			}
		}
		j.runStep(t)
	}
	if j.dSpk0 != nil && j.spk0 != nil {
		Sgemm(false, true, B, N, N, 1, d[:n], N, p.V, N, 1, j.dSpk0, N)
	}
	if g.DV != nil {
		spikeWeightGrad(&r.ev, T, B, N, p.EventActivity, j.spk0, s0.SpkBinary, j.spk, d, g.DV)
	}
	recJobs.put(r)
	j.finish()
}
