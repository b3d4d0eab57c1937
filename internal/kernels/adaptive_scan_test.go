package kernels

import (
	"math/rand/v2"
	"testing"
)

// The values and gradients of the ALIF and PLIF scans are checked against
// their layers' step-by-step definitions in package layers (bit for bit
// forward, finite differences backward); these tests cover what only the
// kernels see: the partition over threads, bad arguments and allocations.

// testSG is the fast sigmoid derivative of slope 5, 1/(1 + 5|x|)².
type testSG struct{}

func (testSG) GradInto(dst, x []float32) {
	for i, v := range x[:len(dst)] {
		if v < 0 {
			v = -v
		}
		d := 1 + 5*v
		dst[i] = 1 / (d * d)
	}
}

// adaptiveRun runs the ALIF or PLIF scan forward and backward with every
// optional gradient and returns every output.
func adaptiveRun(rng *rand.Rand, plif bool, sh scanShape, reset ResetMode) [][]float32 {
	n := sh.B * sh.N
	tn := sh.T * n
	in, ds, dm, da := randMat(rng, tn), randMat(rng, tn), randMat(rng, tn), randMat(rng, tn)
	mem0, a0 := randMat(rng, n), randMat(rng, n)
	spk0 := make([]float32, n)
	for i := range spk0 {
		spk0[i] = float32(rng.IntN(2))
	}
	for i := range in {
		in[i] = 0.5 + in[i] // mostly positive: the neurons fire
	}
	mem, spk, a := make([]float32, tn), make([]float32, tn), make([]float32, tn)
	dIn, dMem0, dSpk0, dA0 := make([]float32, tn), make([]float32, n), make([]float32, n), make([]float32, n)
	thr := par32(rng, true, sh.N, 0.5, 1)
	if plif {
		k := par32(rng, false, sh.N, 0.3, 0.7)
		p := PLIFScan{T: sh.T, B: sh.B, N: sh.N, K: k, Thr: thr, Reset: reset, ResetGrad: true}
		p.Forward(in, mem0, spk0, mem, spk)
		g := PLIFGrad{DSpk: ds, DMem: dm, SGFunc: testSG{}, DIn: dIn, DMem0: dMem0, DSpk0: dSpk0,
			DK: make([]float32, 1), DThr: make([]float32, sh.N)}
		p.Backward(in, mem0, spk0, mem, spk, &g)
		return [][]float32{mem, spk, dIn, dMem0, dSpk0, g.DK, g.DThr}
	}
	beta, rho := par32(rng, true, sh.N, 0.5, 0.9), par32(rng, false, sh.N, 0.8, 0.95)
	adapt := par32(rng, true, sh.N, 0.1, 0.5)
	p := ALIFScan{T: sh.T, B: sh.B, N: sh.N, Beta: beta, Thr: thr, Rho: rho, Adapt: adapt, Reset: reset, ResetGrad: true}
	p.Forward(in, mem0, spk0, a0, mem, spk, a)
	g := ALIFGrad{DSpk: ds, DMem: dm, DA: da, SGFunc: testSG{}, DIn: dIn, DMem0: dMem0, DSpk0: dSpk0, DA0: dA0,
		DBeta: make([]float32, sh.N), DThr: make([]float32, sh.N), DRho: make([]float32, 1), DAdapt: make([]float32, sh.N)}
	p.Backward(mem0, spk0, a0, mem, spk, a, &g)
	return [][]float32{mem, spk, a, dIn, dMem0, dSpk0, dA0, g.DBeta, g.DThr, g.DRho, g.DAdapt}
}

// The ALIF and PLIF scans give the same bits for any thread count, on a
// shape of three chunks (B*N = 3·32768 values a step, scanChunkElems).
func TestAdaptiveScanThreadInvariant(t *testing.T) {
	defer SetThreads(SetThreads(1))
	sh := scanShape{3, 6, 16384}
	for _, plif := range []bool{false, true} {
		for _, reset := range []ResetMode{ResetSubtract, ResetZero, ResetNone} {
			var ref [][]float32
			for _, th := range []int{1, 2, 3} {
				SetThreads(th)
				got := adaptiveRun(rand.New(rand.NewPCG(31, 32)), plif, sh, reset)
				if ref == nil {
					ref = got
					continue
				}
				for k := range got {
					if i := firstDiff(got[k], ref[k]); i >= 0 {
						t.Fatalf("plif=%v %v threads=%d: output %d element %d = %g, threads=1 gives %g", plif, reset, th, k, i, got[k][i], ref[k][i])
					}
				}
			}
		}
	}
}

func TestAdaptiveScanBadArgumentsPanic(t *testing.T) {
	check := func(op string, f func()) {
		t.Helper()
		defer func() {
			e, ok := recover().(*ScanError)
			if !ok || e.Op != op {
				t.Errorf("recovered %v, want a *ScanError from %s", e, op)
			}
		}()
		f()
	}
	buf := make([]float32, 12)
	one := []float32{1}
	check("ALIFScan.Forward", func() {
		p := ALIFScan{T: 2, B: 2, N: 3, Beta: []float32{0.9, 0.9}, Thr: one, Rho: one, Adapt: one}
		p.Forward(buf, nil, nil, nil, buf, buf, buf)
	})
	check("ALIFScan.Backward", func() {
		p := ALIFScan{T: 2, B: 2, N: 3, Beta: one, Thr: one, Rho: one, Adapt: one}
		p.Backward(nil, nil, nil, buf, buf, buf, &ALIFGrad{DIn: buf}) // no SGFunc
	})
	check("PLIFScan.Forward", func() {
		p := PLIFScan{T: 2, B: 2, N: 3, K: one, Thr: one}
		p.Forward(buf[:5], nil, nil, buf, buf)
	})
	check("PLIFScan.Backward", func() {
		p := PLIFScan{T: 2, B: 2, N: 3, K: one, Thr: one}
		p.Backward(buf, nil, nil, buf, buf, &PLIFGrad{SGFunc: testSG{}, DIn: buf, DK: []float32{0, 0}})
	})
}

func TestAdaptiveScanNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	sh := scanShape{3, 4, 300}
	adaptiveRun(rng, false, sh, ResetSubtract)
	tn := sh.T * sh.B * sh.N
	in, mem, spk, a := randMat(rng, tn), make([]float32, tn), make([]float32, tn), make([]float32, tn)
	one := []float32{0.9}
	p := ALIFScan{T: sh.T, B: sh.B, N: sh.N, Beta: one, Thr: one, Rho: one, Adapt: one}
	g := ALIFGrad{DSpk: randMat(rng, tn), SGFunc: testSG{}, DIn: make([]float32, tn), DBeta: []float32{0}}
	q := PLIFScan{T: sh.T, B: sh.B, N: sh.N, K: one, Thr: one}
	h := PLIFGrad{DSpk: g.DSpk, SGFunc: testSG{}, DIn: g.DIn, DK: []float32{0}}
	f := func() {
		p.Forward(in, nil, nil, nil, mem, spk, a)
		p.Backward(nil, nil, nil, mem, spk, a, &g)
		q.Forward(in, nil, nil, mem, spk)
		q.Backward(in, nil, nil, mem, spk, &h)
	}
	f()
	if n := testing.AllocsPerRun(5, f); n != 0 {
		t.Fatalf("ALIF and PLIF forward and backward allocated %g times, want 0", n)
	}
}

// BenchmarkAdaptiveScans times one forward and one backward scan of LIF,
// ALIF, PLIF and AdLIF alone at SHD's hidden shape (T = 100, batch 64,
// 256 neurons), shared frozen parameters (no parameter gradients) and the
// fast sigmoid of slope 25 (LIF through its built-in vectorised path, the
// others through a SurrogateGrad). The -go variants run the adaptive
// kinds with their AVX-512 forward loops switched off; the -forward
// variants run the forward scan alone.
func BenchmarkAdaptiveScans(b *testing.B) {
	const T, B, N = 100, 64, 256
	rng := rand.New(rand.NewPCG(35, 36))
	tn := T * B * N
	in, ds, dm := randMat(rng, tn), randMat(rng, tn), randMat(rng, tn)
	for i := range in {
		in[i] += 0.5
	}
	mem, spk, aux, dIn := make([]float32, tn), make([]float32, tn), make([]float32, tn), make([]float32, tn)
	p := func(v float32) []float32 { return []float32{v} }
	sg := fs25{}
	b.Run("lif", func(b *testing.B) {
		s := LIFScan{T: T, B: B, N: N, Beta: p(0.9), Thr: p(1)}
		for range b.N {
			s.Forward(in, nil, nil, mem, spk)
			s.Backward(nil, nil, mem, spk, &LIFGrad{DSpk: ds, DMem: dm, FastSigmoid: 25, DIn: dIn})
		}
	})
	// Each adaptive kind with its AVX-512 forward loop (when the CPU has
	// it) and with the Go loop (suffix -go).
	for _, asm := range []bool{adaptAsm, false} {
		sfx := ""
		if !asm {
			sfx = "-go"
		}
		run := func(name string, f func()) {
			b.Run(name+sfx, func(b *testing.B) {
				defer func(a bool) { adaptAsm = a }(adaptAsm)
				adaptAsm = asm
				for range b.N {
					f()
				}
			})
		}
		run("alif", func() {
			s := ALIFScan{T: T, B: B, N: N, Beta: p(0.9), Thr: p(1), Rho: p(0.99), Adapt: p(1.8)}
			s.Forward(in, nil, nil, nil, mem, spk, aux)
			s.Backward(nil, nil, nil, mem, spk, aux, &ALIFGrad{DSpk: ds, DMem: dm, SGFunc: sg, DIn: dIn})
		})
		run("plif", func() {
			s := PLIFScan{T: T, B: B, N: N, K: p(0.5), Thr: p(1)}
			s.Forward(in, nil, nil, mem, spk)
			s.Backward(in, nil, nil, mem, spk, &PLIFGrad{DSpk: ds, DMem: dm, SGFunc: sg, DIn: dIn})
		})
		run("adlif", func() {
			s := AdLIFScan{T: T, B: B, N: N, Alpha: p(0.9), Beta: p(0.98), A: p(0.5), Bw: p(1), Thr: p(1)}
			s.Forward(in, nil, nil, nil, mem, spk, aux)
			s.Backward(in, nil, nil, nil, mem, spk, aux, &AdLIFGrad{DSpk: ds, DMem: dm, SGFunc: sg, DIn: dIn})
		})
		run("alif-forward", func() {
			s := ALIFScan{T: T, B: B, N: N, Beta: p(0.9), Thr: p(1), Rho: p(0.99), Adapt: p(1.8)}
			s.Forward(in, nil, nil, nil, mem, spk, aux)
		})
		run("plif-forward", func() {
			s := PLIFScan{T: T, B: B, N: N, K: p(0.5), Thr: p(1)}
			s.Forward(in, nil, nil, mem, spk)
		})
		run("adlif-forward", func() {
			s := AdLIFScan{T: T, B: B, N: N, Alpha: p(0.9), Beta: p(0.98), A: p(0.5), Bw: p(1), Thr: p(1)}
			s.Forward(in, nil, nil, nil, mem, spk, aux)
		})
	}
}

// fs25 is the fast sigmoid derivative of slope 25 through FastSigmoidShifted's
// Go loop's operations.
type fs25 struct{}

func (fs25) GradInto(dst, x []float32) {
	for i, v := range x[:len(dst)] {
		if v < 0 {
			v = -v
		}
		r := 1 / (float32(25*v) + 1)
		dst[i] = r * r
	}
}
