package kernels

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// RadLIFScan's values and gradients are checked against RadLIF's
// step-by-step definition in package layers (bit for bit forward, finite
// differences backward); these tests cover what only the kernel sees.

// adlifDraw is the random input of a test scan: the input, the direct
// gradients of the outputs, an initial state and an AdLIFScan with
// per-feature and shared parameters.
type adlifDraw struct {
	in, ds, dm, dw, mem0, w0, spk0 []float32
	p                              AdLIFScan
}

func newAdLIFDraw(rng *rand.Rand, sh scanShape) adlifDraw {
	n := sh.B * sh.N
	tn := sh.T * n
	d := adlifDraw{in: randMat(rng, tn), ds: randMat(rng, tn), dm: randMat(rng, tn), dw: randMat(rng, tn),
		mem0: randMat(rng, n), w0: randMat(rng, n), spk0: make([]float32, n)}
	for i := range d.spk0 {
		d.spk0[i] = float32(rng.IntN(2))
	}
	for i := range d.in {
		d.in[i] = 0.5 + d.in[i] // mostly positive: the neurons fire
	}
	d.p = AdLIFScan{T: sh.T, B: sh.B, N: sh.N, ResetGrad: true,
		Alpha: par32(rng, true, sh.N, 0.8, 0.95), Beta: par32(rng, false, sh.N, 0.9, 0.99),
		A: par32(rng, true, sh.N, -0.5, 0.5), Bw: par32(rng, false, sh.N, 0, 1), Thr: par32(rng, true, sh.N, 0.05, 0.2)}
	return d
}

// grads returns an AdLIFGrad that asks for every gradient.
func (d *adlifDraw) grads() AdLIFGrad {
	n, tn, N := d.p.B*d.p.N, d.p.T*d.p.B*d.p.N, d.p.N
	return AdLIFGrad{DSpk: d.ds, DMem: d.dm, DW: d.dw, SGFunc: testSG{}, DIn: make([]float32, tn),
		DMem0: make([]float32, n), DSpk0: make([]float32, n), DW0: make([]float32, n),
		DAlpha: make([]float32, N), DBeta: make([]float32, 1), DA: make([]float32, N), DB: make([]float32, 1),
		DThr: make([]float32, N)}
}

// radlifRun runs RadLIFScan forward and backward on a newAdLIFDraw with
// every optional gradient and returns every output. v is the recurrent
// weight (nil: random in [-0.3, 0.3]).
func radlifRun(rng *rand.Rand, sh scanShape, v []float32, act float64) [][]float32 {
	d := newAdLIFDraw(rng, sh)
	if v == nil {
		v = randMat(rng, sh.N*sh.N)
		for i := range v {
			v[i] *= 0.3
		}
	}
	p := RadLIFScan{AdLIFScan: d.p, V: v, EventActivity: act}
	s0 := RadLIFState{Mem: d.mem0, Spk: d.spk0, W: d.w0, SpkBinary: true}
	tn := len(d.in)
	cur, mem, spk, w := make([]float32, tn), make([]float32, tn), make([]float32, tn), make([]float32, tn)
	p.Forward(d.in, s0, cur, mem, spk, w)
	g := RadLIFGrad{AdLIFGrad: d.grads(), DV: make([]float32, sh.N*sh.N)}
	p.Backward(cur, s0, mem, spk, w, &g)
	return [][]float32{cur, mem, spk, w, g.DIn, g.DMem0, g.DSpk0, g.DW0, g.DAlpha, g.DBeta, g.DA, g.DB, g.DThr, g.DV}
}

// The scan gives the same bits for any thread count, on a shape of three
// chunks of the AdLIF step (B*N = 300·256 values a step, scanChunkElems),
// with the recurrent product dense and event-driven.
func TestRadLIFScanThreadInvariant(t *testing.T) {
	if !sgemmThreadExact {
		t.Skip("this build's Sgemm (OpenBLAS) is not bit-identical across thread counts and row splits")
	}
	defer SetThreads(SetThreads(1))
	sh := scanShape{3, 300, 256}
	for _, act := range []float64{0, 1} {
		var ref [][]float32
		for _, th := range []int{1, 2, 3} {
			SetThreads(th)
			got := radlifRun(rand.New(rand.NewPCG(41, 42)), sh, nil, act)
			if ref == nil {
				ref = got
				continue
			}
			for k := range got {
				if i := firstDiff(got[k], ref[k]); i >= 0 {
					t.Fatalf("activity %v threads=%d: output %d element %d = %g, threads=1 gives %g", act, th, k, i, got[k][i], ref[k][i])
				}
			}
		}
	}
}

// With V = 0 the scan is AdLIFScan's, bit for bit, gradients included
// (the same operations in the same order), and the recurrent weight's
// gradient is Σ_t S[t-1]ᵀ·D[t], checked against a plain triple loop.
func TestRadLIFScanZeroV(t *testing.T) {
	sh := scanShape{4, 3, 5}
	n := sh.B * sh.N
	tn := sh.T * n
	got := radlifRun(rand.New(rand.NewPCG(43, 44)), sh, make([]float32, sh.N*sh.N), 0)
	// The same draws for AdLIFScan.
	d := newAdLIFDraw(rand.New(rand.NewPCG(43, 44)), sh)
	in, spk0, p := d.in, d.spk0, d.p
	mem, spk, w := make([]float32, tn), make([]float32, tn), make([]float32, tn)
	p.Forward(in, d.mem0, spk0, d.w0, mem, spk, w)
	g := d.grads()
	p.Backward(in, d.mem0, spk0, d.w0, mem, spk, w, &g)
	want := [][]float32{in, mem, spk, w, g.DIn, g.DMem0, g.DSpk0, g.DW0, g.DAlpha, g.DBeta, g.DA, g.DB, g.DThr}
	for k := range want {
		if i := firstDiff(got[k], want[k]); i >= 0 {
			t.Fatalf("output %d element %d = %g, AdLIFScan gives %g", k, i, got[k][i], want[k][i])
		}
	}
	if slices.Equal(spk, make([]float32, tn)) {
		t.Fatal("no spikes: the weight gradient is not exercised")
	}
	dv := make([]float64, sh.N*sh.N)
	for tt := range sh.T {
		prev := spk0
		if tt > 0 {
			prev = spk[(tt-1)*n : tt*n]
		}
		for b := range sh.B {
			for i := range sh.N {
				for f := range sh.N {
					dv[i*sh.N+f] += float64(prev[b*sh.N+i]) * float64(g.DIn[tt*n+b*sh.N+f])
				}
			}
		}
	}
	for i, d := range got[13] {
		if diff := float64(d) - dv[i]; diff > 1e-5 || diff < -1e-5 {
			t.Fatalf("dV[%d] = %g, the loop gives %g", i, d, dv[i])
		}
	}
}

func TestRadLIFScanBadArgumentsPanic(t *testing.T) {
	check := func(reason string, f func()) {
		t.Helper()
		defer func() {
			e, ok := recover().(*ScanError)
			if !ok || e.Reason != reason {
				t.Errorf("recovered %v, want a *ScanError: %s", e, reason)
			}
		}()
		f()
	}
	buf := make([]float32, 12)
	one := []float32{1}
	p := RadLIFScan{AdLIFScan: AdLIFScan{T: 2, B: 2, N: 3, Alpha: one, Beta: one, A: one, Bw: one, Thr: one}, V: make([]float32, 9)}
	check("V has length 8, want 9", func() {
		q := p
		q.V = q.V[:8]
		q.Forward(buf, RadLIFState{}, buf, buf, buf, buf)
	})
	check("cur has length 5, want 12", func() { p.Forward(buf, RadLIFState{}, buf[:5], buf, buf, buf) })
	check("SGFunc is nil", func() { p.Backward(buf, RadLIFState{}, buf, buf, buf, &RadLIFGrad{AdLIFGrad: AdLIFGrad{DIn: buf}}) })
	check("DV has length 3, want 9", func() {
		p.Backward(buf, RadLIFState{}, buf, buf, buf, &RadLIFGrad{AdLIFGrad: AdLIFGrad{SGFunc: testSG{}, DIn: buf}, DV: buf[:3]})
	})
}

func TestRadLIFScanNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 46))
	sh := scanShape{3, 4, 30}
	radlifRun(rng, sh, nil, 0.5)
	tn := sh.T * sh.B * sh.N
	in, cur, mem, spk, w := randMat(rng, tn), make([]float32, tn), make([]float32, tn), make([]float32, tn), make([]float32, tn)
	one := []float32{0.5}
	v := randMat(rng, sh.N*sh.N)
	p := RadLIFScan{AdLIFScan: AdLIFScan{T: sh.T, B: sh.B, N: sh.N, Alpha: one, Beta: one, A: one, Bw: one, Thr: []float32{0.1}},
		V: v, EventActivity: 0.5}
	g := RadLIFGrad{AdLIFGrad: AdLIFGrad{DSpk: randMat(rng, tn), SGFunc: testSG{}, DIn: make([]float32, tn), DAlpha: []float32{0}},
		DV: make([]float32, len(v))}
	f := func() {
		p.Forward(in, RadLIFState{}, cur, mem, spk, w)
		p.Backward(cur, RadLIFState{}, mem, spk, w, &g)
	}
	f()
	if n := testing.AllocsPerRun(5, f); n != 0 {
		t.Fatalf("RadLIF forward and backward allocated %g times, want 0", n)
	}
}

// The AVX-512 loop of the AdLIF forward step gives the Go loop's bits
// (the same operations in the same order), on rows of 37 features (two
// vectors of 16 and a remainder of 5), through AdLIFScan and RadLIFScan,
// forward and backward.
func TestAdLIFForwardAsm(t *testing.T) {
	if !adaptAsm {
		t.Skip("no AVX-512 on this CPU: only the Go loop runs")
	}
	defer func() { adaptAsm = true }()
	sh := scanShape{5, 3, 37}
	var ref [][]float32
	for _, asm := range []bool{false, true} {
		adaptAsm = asm
		got := radlifRun(rand.New(rand.NewPCG(47, 48)), sh, nil, 0.5)
		d := newAdLIFDraw(rand.New(rand.NewPCG(49, 50)), sh)
		tn := len(d.in)
		mem, spk, w := make([]float32, tn), make([]float32, tn), make([]float32, tn)
		d.p.Forward(d.in, d.mem0, d.spk0, d.w0, mem, spk, w)
		got = append(got, mem, spk, w)
		if ref == nil {
			ref = got
			continue
		}
		for k := range got {
			if i := firstDiff(got[k], ref[k]); i >= 0 {
				t.Fatalf("output %d element %d: assembly %g, Go %g", k, i, got[k][i], ref[k][i])
			}
		}
	}
	if !slices.Contains(ref[2], 1) || !slices.Contains(ref[2], 0) {
		t.Fatal("the spikes are all equal: the comparison says little")
	}
}

// The AVX-512 loops of the ALIF and PLIF forward steps give the Go loops'
// bits, for every reset rule, on rows of 37 features, forward and backward
// outputs.
func TestALIFPLIFForwardAsm(t *testing.T) {
	if !adaptAsm {
		t.Skip("no AVX-512 on this CPU: only the Go loops run")
	}
	defer func() { adaptAsm = true }()
	sh := scanShape{5, 3, 37}
	for _, plif := range []bool{false, true} {
		for _, reset := range []ResetMode{ResetSubtract, ResetZero, ResetNone} {
			var ref [][]float32
			for _, asm := range []bool{false, true} {
				adaptAsm = asm
				got := adaptiveRun(rand.New(rand.NewPCG(51, 52)), plif, sh, reset)
				if ref == nil {
					ref = got
					continue
				}
				for k := range got {
					if i := firstDiff(got[k], ref[k]); i >= 0 {
						t.Fatalf("plif=%v %v: output %d element %d: assembly %g, Go %g", plif, reset, k, i, got[k][i], ref[k][i])
					}
				}
			}
			if !slices.Contains(ref[1], 1) || !slices.Contains(ref[1], 0) {
				t.Fatalf("plif=%v %v: the spikes are all equal: the comparison says little", plif, reset)
			}
		}
	}
}
