package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// scanShape is one [T, B, N] shape of the scan tests. N >= 128 exercises the
// split over feature chunks, smaller N the whole-row segments; B*N > 512
// makes more than one segment.
type scanShape struct{ T, B, N int }

var scanShapes = []scanShape{{1, 1, 1}, {6, 3, 5}, {4, 70, 9}, {3, 3, 300}, {5, 2, 1100}}

// par32 returns a parameter slice: per feature (length N) or shared (1),
// uniform in [lo, hi).
func par32(rng *rand.Rand, perFeature bool, N int, lo, hi float64) []float32 {
	k := 1
	if perFeature {
		k = N
	}
	p := make([]float32, k)
	for i := range p {
		p[i] = float32(lo + (hi-lo)*rng.Float64())
	}
	return p
}

func pick32(p []float32, f int) float32 {
	if len(p) == 1 {
		return p[0]
	}
	return p[f]
}

// scanDef is the plain per-step definition of the three scans in float32,
// written from the equations in the doc comments: each product rounded, sums
// left to right. It returns syn (nil unless synaptic), mem and spk.
func scanDef(kind scanKind, reset ResetMode, sh scanShape, alpha, beta, thr, in, syn0, mem0, spk0 []float32) (syn, mem, spk []float32) {
	n := sh.B * sh.N
	mem = make([]float32, sh.T*n)
	spk = make([]float32, sh.T*n)
	if kind == scanSynaptic {
		syn = make([]float32, sh.T*n)
	}
	for i := range n {
		f := i % sh.N
		var py, pm, ps float32
		if syn0 != nil {
			py = syn0[i]
		}
		if mem0 != nil {
			pm = mem0[i]
		}
		if spk0 != nil {
			ps = spk0[i]
		}
		be, th := pick32(beta, f), float32(0)
		if kind != scanLI {
			th = pick32(thr, f)
		}
		for t := range sh.T {
			cur := in[t*n+i]
			if kind == scanSynaptic {
				cur = float32(pick32(alpha, f)*py) + in[t*n+i]
				syn[t*n+i] = cur
				py = cur
			}
			var m float32
			switch {
			case kind == scanLI || reset == ResetNone:
				m = float32(be*pm) + cur
			case reset == ResetSubtract:
				m = float32(be*pm) + cur - float32(ps*th)
			case reset == ResetZero:
				m = float32(be*pm)*(1-ps) + cur
			}
			var s float32
			if kind != scanLI && m > th {
				s = 1
			}
			mem[t*n+i], spk[t*n+i] = m, s
			pm, ps = m, s
		}
	}
	return syn, mem, spk
}

// The fused forward scans equal the per-step definition bit for bit: both
// use the same float32 operations in the same order.
func TestScanForwardMatchesDefinition(t *testing.T) {
	withLIFPaths(t, testScanForward)
}

// withLIFPaths runs f with the LIF assembly loops on (where the CPU has them)
// and off.
func withLIFPaths(t *testing.T, f func(t *testing.T)) {
	saved := lifAsm
	defer func() { lifAsm = saved }()
	for _, on := range []bool{false, true} {
		if on && !saved {
			continue
		}
		lifAsm = on
		t.Run(fmt.Sprintf("asm=%v", on), f)
	}
}

func testScanForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, sh := range scanShapes {
		n := sh.B * sh.N
		for _, kind := range []scanKind{scanLIF, scanSynaptic, scanLI} {
			for _, reset := range []ResetMode{ResetSubtract, ResetZero, ResetNone} {
				for _, perFeature := range []bool{false, true} {
					for _, withState := range []bool{false, true} {
						name := fmt.Sprintf("%+v kind=%d reset=%v perFeature=%v state=%v", sh, kind, reset, perFeature, withState)
						alpha := par32(rng, perFeature, sh.N, 0.5, 0.95)
						beta := par32(rng, perFeature, sh.N, 0.5, 0.99)
						thr := par32(rng, perFeature, sh.N, 0.5, 1.5)
						// Inputs uniform in [-0.5, 1.5): a mix of quiet and
						// often-firing neurons.
						in := make([]float32, sh.T*n)
						for i := range in {
							in[i] = float32(2*rng.Float64() - 0.5)
						}
						var syn0, mem0, spk0 []float32
						if withState {
							syn0, mem0 = randMat(rng, n), randMat(rng, n)
							spk0 = randSpikes(rng, 1, n, 0.3)
						}
						wantSyn, wantMem, wantSpk := scanDef(kind, reset, sh, alpha, beta, thr, in, syn0, mem0, spk0)
						syn := make([]float32, sh.T*n)
						mem := make([]float32, sh.T*n)
						spk := make([]float32, sh.T*n)
						switch kind {
						case scanLIF:
							p := LIFScan{T: sh.T, B: sh.B, N: sh.N, Beta: beta, Thr: thr, Reset: reset}
							p.Forward(in, mem0, spk0, mem, spk)
						case scanSynaptic:
							p := SynapticScan{T: sh.T, B: sh.B, N: sh.N, Alpha: alpha, Beta: beta, Thr: thr, Reset: reset}
							p.Forward(in, syn0, mem0, spk0, syn, mem, spk)
							if i := firstDiff(syn, wantSyn); i >= 0 {
								t.Fatalf("%s: syn[%d] = %g, definition %g", name, i, syn[i], wantSyn[i])
							}
						case scanLI:
							p := LIScan{T: sh.T, B: sh.B, N: sh.N, Beta: beta}
							p.Forward(in, mem0, mem)
							clear(wantSpk)
						}
						if i := firstDiff(mem, wantMem); i >= 0 {
							t.Fatalf("%s: mem[%d] = %g, definition %g", name, i, mem[i], wantMem[i])
						}
						if i := firstDiff(spk, wantSpk); i >= 0 {
							t.Fatalf("%s: spk[%d] = %g, definition %g", name, i, spk[i], wantSpk[i])
						}
						if kind == scanLI {
							break // LI has no reset: one mode is enough
						}
					}
				}
			}
		}
	}
}

// Hand-computed trajectories. Values are exact in binary except where the
// input 0.6 is used; those are compared within 1e-6 (float32 carries about
// 7 significant digits; the values stay below 2).
func TestScanHandExamples(t *testing.T) {
	const T = 7
	constant := func(v float32) []float32 {
		x := make([]float32, T)
		for i := range x {
			x[i] = v
		}
		return x
	}
	// LIF, beta = 0.5, thr = 1, input 0.6 at every step, mem0 = 0:
	// subtract: 0.6, 0.5*0.6+0.6 = 0.9, 0.45+0.6 = 1.05 (spike),
	//   0.525+0.6-1 = 0.125, 0.0625+0.6 = 0.6625, 0.33125+0.6 = 0.93125,
	//   0.465625+0.6 = 1.065625 (spike).
	// zero: 0.6, 0.9, 1.05 (spike), 0.525*0+0.6 = 0.6, 0.9, 1.05 (spike), 0.6.
	// none: 0.6, 0.9, 1.05 (spike), 1.125 (spike), 1.1625 (spike),
	//   1.18125 (spike), 1.190625 (spike).
	lif := []struct {
		reset ResetMode
		mem   []float64
		spk   []float32
	}{
		{ResetSubtract, []float64{0.6, 0.9, 1.05, 0.125, 0.6625, 0.93125, 1.065625}, []float32{0, 0, 1, 0, 0, 0, 1}},
		{ResetZero, []float64{0.6, 0.9, 1.05, 0.6, 0.9, 1.05, 0.6}, []float32{0, 0, 1, 0, 0, 1, 0}},
		{ResetNone, []float64{0.6, 0.9, 1.05, 1.125, 1.1625, 1.18125, 1.190625}, []float32{0, 0, 1, 1, 1, 1, 1}},
	}
	for _, tc := range lif {
		p := LIFScan{T: T, B: 1, N: 1, Beta: []float32{0.5}, Thr: []float32{1}, Reset: tc.reset}
		mem, spk := make([]float32, T), make([]float32, T)
		p.Forward(constant(0.6), nil, nil, mem, spk)
		for i := range T {
			if math.Abs(float64(mem[i])-tc.mem[i]) > 1e-6 || spk[i] != tc.spk[i] {
				t.Fatalf("LIF %v step %d: mem %g spk %g, want %g and %g", tc.reset, i, mem[i], spk[i], tc.mem[i], tc.spk[i])
			}
		}
	}

	// Synaptic, alpha = beta = 0.5, thr = 1, input 2 at t = 0 then 0,
	// subtract: syn = 2, 1, 0.5, 0.25, ...; mem = 2 (spike),
	// 0.5*2+1-1 = 1 (not above thr), 0.5+0.5 = 1, 0.5+0.25 = 0.75,
	// 0.375+0.125 = 0.5, 0.25+0.0625 = 0.3125, 0.15625+0.03125 = 0.1875.
	in := make([]float32, T)
	in[0] = 2
	ps := SynapticScan{T: T, B: 1, N: 1, Alpha: []float32{0.5}, Beta: []float32{0.5}, Thr: []float32{1}}
	syn, mem, spk := make([]float32, T), make([]float32, T), make([]float32, T)
	ps.Forward(in, nil, nil, nil, syn, mem, spk)
	wantSyn := []float32{2, 1, 0.5, 0.25, 0.125, 0.0625, 0.03125}
	wantMem := []float32{2, 1, 1, 0.75, 0.5, 0.3125, 0.1875}
	wantSpk := []float32{1, 0, 0, 0, 0, 0, 0}
	if !slices.Equal(syn, wantSyn) || !slices.Equal(mem, wantMem) || !slices.Equal(spk, wantSpk) {
		t.Fatalf("Synaptic: syn %v mem %v spk %v, want %v %v %v", syn, mem, spk, wantSyn, wantMem, wantSpk)
	}

	// LI, beta = 0.5, input 1, mem0 = 1: 1.5, 1.75, 1.875, 1.9375, ...
	pl := LIScan{T: 4, B: 1, N: 1, Beta: []float32{0.5}}
	memLI := make([]float32, 4)
	pl.Forward([]float32{1, 1, 1, 1}, []float32{1}, memLI)
	if want := []float32{1.5, 1.75, 1.875, 1.9375}; !slices.Equal(memLI, want) {
		t.Fatalf("LI: mem %v, want %v", memLI, want)
	}
}

// smoothScan is a float64 version of the scans with the spike function H
// replaced by the sigmoid s(v) = 1/(1+exp(-k*v)), so that the whole scan is
// differentiable; its surrogate derivative is k*s*(1-s). With rFixed set, the
// reset values r[t] are those constants (a detached reset) instead of S[t-1].
type smoothScan struct {
	kind                     scanKind
	reset                    ResetMode
	sh                       scanShape
	k                        float64
	alpha, beta, thr         []float64
	in, syn0, mem0, spk0     []float64
	wS, wM                   []float64 // loss weights: L = sum wS*S + wM*mem
	rFixed                   []float64
	syn, mem, spk, r         []float64 // outputs of run
	alphaOK, thrOK, spkingOK bool
}

func pick64(p []float64, f int) float64 {
	if len(p) == 1 {
		return p[0]
	}
	return p[f]
}

func (s *smoothScan) sigmoid(v float64) float64 { return 1 / (1 + math.Exp(-s.k*v)) }

// run computes the trajectories and returns the loss.
func (s *smoothScan) run() float64 {
	sh := s.sh
	n := sh.B * sh.N
	tn := sh.T * n
	s.syn, s.mem, s.spk, s.r = make([]float64, tn), make([]float64, tn), make([]float64, tn), make([]float64, tn)
	loss := 0.0
	for i := range n {
		f := i % sh.N
		py, pm, ps := s.syn0[i], s.mem0[i], s.spk0[i]
		for t := range sh.T {
			o := t*n + i
			r := ps
			if s.rFixed != nil {
				r = s.rFixed[o]
			}
			cur := s.in[o]
			if s.kind == scanSynaptic {
				cur = pick64(s.alpha, f)*py + s.in[o]
				py = cur
			}
			be := pick64(s.beta, f)
			var m, sp float64
			switch {
			case s.kind == scanLI || s.reset == ResetNone:
				m = be*pm + cur
			case s.reset == ResetSubtract:
				m = be*pm + cur - r*pick64(s.thr, f)
			case s.reset == ResetZero:
				m = be*pm*(1-r) + cur
			}
			if s.kind != scanLI {
				sp = s.sigmoid(m - pick64(s.thr, f))
			}
			s.syn[o], s.mem[o], s.spk[o], s.r[o] = cur, m, sp, r
			loss += s.wS[o]*sp + s.wM[o]*m
			pm, ps = m, sp
		}
	}
	return loss
}

func to32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

func rand64(rng *rand.Rand, n int, lo, hi float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = lo + (hi-lo)*rng.Float64()
	}
	return x
}

// The analytic backward of every scan matches central differences of the
// smooth stand-in, for each reset mode, detached and attached reset, shared
// and per-feature parameters, and every gradient output.
//
// Tolerance: |analytic - numeric| <= 1e-4 * (1 + |numeric|). The numeric
// derivative is float64 with step 1e-5 (truncation error about
// h^2*|L”'| ~ 1e-9, rounding about 1e-16*|L|/h ~ 1e-10); the analytic one
// is float32, whose rounding over T <= 6 steps of a few operations each on
// terms of size below 10 stays under about 6*8*6e-8*10 = 3e-5. A wrong term
// in the equations changes the result by the size of that term, far above
// the bound: the sigmoid slope k = 2 keeps surrogate values near 0.5.
func TestScanBackwardFiniteDifferences(t *testing.T) {
	withLIFPaths(t, testScanBackwardFD)
}

func testScanBackwardFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	const h = 1e-5
	// {4, 2, 130}: one segment of 260 elements per step, 16 vectors of 16 in
	// assembly and 4 elements in Go.
	shapes := []scanShape{{6, 2, 3}, {4, 2, 130}}
	for _, sh := range shapes {
		n := sh.B * sh.N
		tn := sh.T * n
		for _, kind := range []scanKind{scanLIF, scanSynaptic, scanLI} {
			for _, reset := range []ResetMode{ResetSubtract, ResetZero, ResetNone} {
				for _, resetGrad := range []bool{false, true} {
					for _, perFeature := range []bool{false, true} {
						if kind == scanLI && (reset != ResetSubtract || resetGrad) {
							continue // LI has no reset
						}
						name := fmt.Sprintf("%+v kind=%d reset=%v resetGrad=%v perFeature=%v", sh, kind, reset, resetGrad, perFeature)
						np := 1
						if perFeature {
							np = sh.N
						}
						s := &smoothScan{kind: kind, reset: reset, sh: sh, k: 2,
							alpha: rand64(rng, np, 0.3, 0.9), beta: rand64(rng, np, 0.3, 0.9), thr: rand64(rng, np, 0.5, 1.5),
							in: rand64(rng, tn, -0.5, 1.5), syn0: rand64(rng, n, -1, 1), mem0: rand64(rng, n, -1, 1),
							spk0: rand64(rng, n, 0, 1), wS: rand64(rng, tn, -1, 1), wM: rand64(rng, tn, -1, 1)}
						s.run()
						if !resetGrad {
							s.rFixed = slices.Clone(s.r)
						}
						// Analytic gradients from the kernel, fed the smooth
						// trajectories.
						sg := make([]float32, tn)
						for o := range sg {
							sg[o] = float32(s.k * s.spk[o] * (1 - s.spk[o]))
						}
						dIn := make([]float32, tn)
						dSyn0, dMem0, dSpk0 := make([]float32, n), make([]float32, n), make([]float32, n)
						for i := range dSpk0 {
							dSpk0[i] = 123 // must be overwritten
						}
						dAlpha, dBeta, dThr := make([]float32, np), make([]float32, np), make([]float32, np)
						syn0, mem0, spk0 := to32(s.syn0), to32(s.mem0), to32(s.spk0)
						syn, mem, spk := to32(s.syn), to32(s.mem), to32(s.spk)
						switch kind {
						case scanLIF:
							p := LIFScan{T: sh.T, B: sh.B, N: sh.N, Beta: to32(s.beta), Thr: to32(s.thr), Reset: reset, ResetGrad: resetGrad}
							p.Backward(mem0, spk0, mem, spk, &LIFGrad{DSpk: to32(s.wS), DMem: to32(s.wM), SG: sg,
								DIn: dIn, DMem0: dMem0, DSpk0: dSpk0, DBeta: dBeta, DThr: dThr})
						case scanSynaptic:
							p := SynapticScan{T: sh.T, B: sh.B, N: sh.N, Alpha: to32(s.alpha), Beta: to32(s.beta), Thr: to32(s.thr), Reset: reset, ResetGrad: resetGrad}
							p.Backward(syn0, mem0, spk0, syn, mem, spk, &SynapticGrad{DSpk: to32(s.wS), DMem: to32(s.wM), SG: sg,
								DIn: dIn, DSyn0: dSyn0, DMem0: dMem0, DSpk0: dSpk0, DAlpha: dAlpha, DBeta: dBeta, DThr: dThr})
						case scanLI:
							p := LIScan{T: sh.T, B: sh.B, N: sh.N, Beta: to32(s.beta)}
							p.Backward(mem0, mem, &LIGrad{DMem: to32(s.wM), DIn: dIn, DMem0: dMem0, DBeta: dBeta})
						}

						check := func(what string, x []float64, got []float32) {
							t.Helper()
							// Check every entry of small slices, 40 random ones
							// of large ones.
							idx := rng.Perm(len(x))
							if len(idx) > 40 {
								idx = idx[:40]
							}
							for _, i := range idx {
								v := x[i]
								x[i] = v + h
								lp := s.run()
								x[i] = v - h
								lm := s.run()
								x[i] = v
								num := (lp - lm) / (2 * h)
								if d := math.Abs(float64(got[i]) - num); d > 1e-4*(1+math.Abs(num)) {
									t.Fatalf("%s: d/d%s[%d] = %g, central difference %g", name, what, i, got[i], num)
								}
							}
						}
						check("x", s.in, dIn)
						check("mem0", s.mem0, dMem0)
						check("beta", s.beta, dBeta)
						if kind == scanLI {
							continue
						}
						check("thr", s.thr, dThr)
						if resetGrad {
							check("spk0", s.spk0, dSpk0)
						} else if slices.ContainsFunc(dSpk0, func(v float32) bool { return v != 0 }) {
							t.Fatalf("%s: detached reset gave nonzero DSpk0 %v", name, dSpk0)
						}
						if kind == scanSynaptic {
							check("syn0", s.syn0, dSyn0)
							check("alpha", s.alpha, dAlpha)
						}
					}
				}
			}
		}
	}
}

// Backward with optional inputs and outputs left nil equals the run with
// zero-filled inputs, and parameter gradients accumulate onto what is there.
func TestScanBackwardOptionalAndAccumulate(t *testing.T) {
	withLIFPaths(t, testScanBackwardOptional)
}

func testScanBackwardOptional(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	// B = 1: each per-feature gradient receives one addition per call.
	sh := scanShape{5, 1, 600}
	n := sh.B * sh.N
	tn := sh.T * n
	p := LIFScan{T: sh.T, B: sh.B, N: sh.N, Beta: par32(rng, true, sh.N, 0.5, 0.9), Thr: []float32{1}, ResetGrad: true}
	in := randMat(rng, tn)
	mem, spk := make([]float32, tn), make([]float32, tn)
	p.Forward(in, nil, nil, mem, spk)
	sg, ds := randMat(rng, tn), randMat(rng, tn)

	dIn1 := make([]float32, tn)
	dBeta1, dThr1 := make([]float32, sh.N), []float32{0}
	p.Backward(nil, nil, mem, spk, &LIFGrad{DSpk: ds, SG: sg, DIn: dIn1, DBeta: dBeta1, DThr: dThr1})

	dIn2 := make([]float32, tn)
	dBeta2 := randMat(rng, sh.N)
	dThr2 := []float32{0.25}
	start := slices.Clone(dBeta2)
	p.Backward(make([]float32, n), make([]float32, n), mem, spk, &LIFGrad{DSpk: ds, DMem: make([]float32, tn), SG: sg,
		DIn: dIn2, DMem0: make([]float32, n), DSpk0: make([]float32, n), DBeta: dBeta2, DThr: dThr2})
	if i := firstDiff(dIn1, dIn2); i >= 0 {
		t.Fatalf("nil optional inputs: DIn[%d] = %g, zero-filled gives %g", i, dIn1[i], dIn2[i])
	}
	// Without parameter gradients the input gradient is computed by the same
	// operations.
	dIn3 := make([]float32, tn)
	p.Backward(nil, nil, mem, spk, &LIFGrad{DSpk: ds, SG: sg, DIn: dIn3})
	if i := firstDiff(dIn1, dIn3); i >= 0 {
		t.Fatalf("no parameter gradients: DIn[%d] = %g, with them %g", i, dIn3[i], dIn1[i])
	}
	for i := range dBeta2 {
		if want := start[i] + dBeta1[i]; dBeta2[i] != want {
			t.Fatalf("DBeta[%d] = %g, want %g + %g = %g", i, dBeta2[i], start[i], dBeta1[i], want)
		}
	}
	// The shared threshold's gradient is summed over up to maxScanChunks
	// chunk partials after the start value, so it may differ from
	// 0.25 + dThr1 by a few roundings: allow 16 units of roundoff.
	if want := 0.25 + float64(dThr1[0]); math.Abs(float64(dThr2[0])-want) > 16*u32*(0.25+math.Abs(want)) {
		t.Fatalf("DThr = %g, want 0.25 + %g", dThr2[0], dThr1[0])
	}
}

// Results, including the parameter-gradient sums, are the same bits for any
// thread count.
func TestScanThreadInvariant(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	defer SetThreads(SetThreads(1))
	sh := scanShape{4, 5, 700}
	n := sh.B * sh.N
	tn := sh.T * n
	in, sg, ds := randMat(rng, tn), randMat(rng, tn), randMat(rng, tn)
	alpha, beta := par32(rng, false, sh.N, 0.5, 0.9), par32(rng, true, sh.N, 0.5, 0.9)
	thr := par32(rng, false, sh.N, 0.5, 1)
	var ref [][]float32
	for _, th := range []int{1, 2, 3} {
		SetThreads(th)
		p := SynapticScan{T: sh.T, B: sh.B, N: sh.N, Alpha: alpha, Beta: beta, Thr: thr, ResetGrad: true}
		syn, mem, spk := make([]float32, tn), make([]float32, tn), make([]float32, tn)
		p.Forward(in, nil, nil, nil, syn, mem, spk)
		g := SynapticGrad{DSpk: ds, SG: sg, DIn: make([]float32, tn), DAlpha: make([]float32, 1), DBeta: make([]float32, sh.N), DThr: make([]float32, 1)}
		p.Backward(nil, nil, nil, syn, mem, spk, &g)
		got := [][]float32{syn, mem, spk, g.DIn, g.DAlpha, g.DBeta, g.DThr}
		if ref == nil {
			ref = got
			continue
		}
		for k := range got {
			if i := firstDiff(got[k], ref[k]); i >= 0 {
				t.Fatalf("threads=%d: output %d element %d = %g, threads=1 gives %g", th, k, i, got[k][i], ref[k][i])
			}
		}
	}
}

func TestScanBadArgumentsPanic(t *testing.T) {
	p := LIFScan{T: 2, B: 2, N: 3, Beta: []float32{0.9, 0.9}, Thr: []float32{1}}
	mem := make([]float32, 12)
	defer func() {
		e, ok := recover().(*ScanError)
		if !ok || e.Op != "LIFScan.Forward" {
			t.Fatalf("recovered %v, want a *ScanError from LIFScan.Forward", e)
		}
	}()
	p.Forward(make([]float32, 12), nil, nil, mem, mem)
}

func TestScanNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	sh := scanShape{3, 4, 300}
	tn := sh.T * sh.B * sh.N
	p := LIFScan{T: sh.T, B: sh.B, N: sh.N, Beta: []float32{0.9}, Thr: []float32{1}}
	in, mem, spk := randMat(rng, tn), make([]float32, tn), make([]float32, tn)
	g := LIFGrad{DSpk: randMat(rng, tn), SG: randMat(rng, tn), DIn: make([]float32, tn), DBeta: []float32{0}}
	p.Forward(in, nil, nil, mem, spk)
	p.Backward(nil, nil, mem, spk, &g)
	if a := testing.AllocsPerRun(5, func() {
		p.Forward(in, nil, nil, mem, spk)
		p.Backward(nil, nil, mem, spk, &g)
	}); a != 0 {
		t.Fatalf("LIF forward and backward allocated %g times per pair, want 0", a)
	}
}

func TestResetModeString(t *testing.T) {
	for m, want := range map[ResetMode]string{ResetSubtract: "subtract", ResetZero: "zero", ResetNone: "none", 7: "ResetMode(7)"} {
		if m.String() != want {
			t.Errorf("ResetMode(%d).String() = %q, want %q", uint8(m), m.String(), want)
		}
	}
}

// The built-in fast-sigmoid surrogate (LIFGrad.FastSigmoid), computed inside
// the backward loop, gives the same bits as passing SG = FastSigmoidShifted(mem,
// thr) precomputed, with and without a constant input and parameter
// gradients, on both loop paths.
func TestLIFBackwardBuiltinFastSigmoid(t *testing.T) {
	withLIFPaths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(31, 32))
		for _, sh := range []scanShape{{3, 2, 5}, {4, 3, 700}, {2, 1, 1100}} {
			for _, reset := range []ResetMode{ResetSubtract, ResetZero, ResetNone} {
				for _, constIn := range []bool{false, true} {
					for _, params := range []bool{false, true} {
						name := fmt.Sprintf("%+v reset=%v constIn=%v params=%v", sh, reset, constIn, params)
						n := sh.B * sh.N
						tn := sh.T * n
						p := LIFScan{T: sh.T, B: sh.B, N: sh.N, Beta: []float32{0.9}, Thr: par32(rng, true, sh.N, 0.5, 1.5),
							Reset: reset, ResetGrad: reset != ResetNone, ConstIn: constIn}
						in := randMat(rng, tn)
						if constIn {
							in = in[:n]
						}
						mem, spk := make([]float32, tn), make([]float32, tn)
						p.Forward(in, nil, nil, mem, spk)
						thr := make([]float32, tn)
						for i := range thr {
							thr[i] = p.Thr[i%sh.N]
						}
						sg := make([]float32, tn)
						FastSigmoidShifted(sg, mem, thr, 25)
						ds := randMat(rng, tn)
						dInLen := tn
						if constIn {
							dInLen = n
						}
						grads := func(g *LIFGrad) [][]float32 {
							g.DSpk, g.DIn = ds, make([]float32, dInLen)
							g.DMem0, g.DSpk0 = make([]float32, n), make([]float32, n)
							if params {
								g.DBeta, g.DThr = make([]float32, 1), make([]float32, sh.N)
							}
							p.Backward(nil, nil, mem, spk, g)
							return [][]float32{g.DIn, g.DMem0, g.DSpk0, g.DBeta, g.DThr}
						}
						want := grads(&LIFGrad{SG: sg})
						got := grads(&LIFGrad{FastSigmoid: 25})
						for q := range want {
							if i := firstDiff(got[q], want[q]); i >= 0 {
								t.Fatalf("%s: output %d element %d = %g, with precomputed SG %g", name, q, i, got[q][i], want[q][i])
							}
						}
						if !constIn {
							continue
						}
						// The constant input's gradient is the per-step input
						// gradient of the repeated input summed over time, in
						// the scan's order (t = T-1 first).
						seq := p
						seq.ConstIn = false
						g := LIFGrad{SG: sg, DSpk: ds, DIn: make([]float32, tn)}
						seq.Backward(nil, nil, mem, spk, &g)
						sum := slices.Clone(g.DIn[(sh.T-1)*n:])
						for s := sh.T - 2; s >= 0; s-- {
							for i := range sum {
								sum[i] += g.DIn[s*n+i]
							}
						}
						if i := firstDiff(got[0], sum); i >= 0 {
							t.Fatalf("%s: constant-input gradient element %d = %g, summed per-step gradient %g", name, i, got[0][i], sum[i])
						}
					}
				}
			}
		}
	})
}
