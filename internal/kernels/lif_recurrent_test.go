package kernels

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestRecurrentScanErrors: arguments that do not fit the shape panic with a
// *ScanError naming the call and the argument. (The values and gradients of
// the scan are checked against the step-by-step definition built from tape
// ops in package layers: TestFusedMatchesStep, TestRecurrentEventDriven,
// TestRecurrentStateGradients.)
func TestRecurrentScanErrors(t *testing.T) {
	const T, B, N = 2, 1, 3
	ok := func() RecurrentScan {
		return RecurrentScan{T: T, B: B, N: N, Beta: []float32{0.5}, Thr: []float32{1}, V: make([]float32, N*N)}
	}
	seq, st := make([]float32, T*B*N), make([]float32, B*N)
	for _, c := range []struct {
		f    func()
		want string
	}{
		{func() { p := ok(); p.V = p.V[:4]; p.Forward(seq, RecurrentState{}, nil, seq, seq) }, "RecurrentScan.Forward [T=2, B=1, N=3]: V has length 4, want 9"},
		{func() { p := ok(); p.OneToOne = true; p.Forward(seq, RecurrentState{}, nil, seq, seq) }, "V has length 9, want 3"},
		{func() { p := ok(); p.Forward(seq[:5], RecurrentState{}, nil, seq, seq) }, "in has length 5, want 6"},
		{func() { p := ok(); p.Alpha = []float32{0.5}; p.Forward(seq, RecurrentState{}, nil, seq, seq) }, "syn has length 0, want 6"},
		{func() { p := ok(); p.Alpha = []float32{0.5, 0.5}; p.Forward(seq, RecurrentState{}, seq, seq, seq) }, "Alpha has length 2, want 3 or 1"},
		{func() { p := ok(); p.Forward(seq, RecurrentState{Mem: st[:2]}, nil, seq, seq) }, "mem0 has length 2, want 3"},
		{func() { p := ok(); p.Backward(RecurrentState{}, nil, seq, seq, &RecurrentGrad{}) }, "RecurrentScan.Backward [T=2, B=1, N=3]: DIn has length 0, want 6"},
		{func() {
			p := ok()
			p.Backward(RecurrentState{}, nil, seq, seq, &RecurrentGrad{DIn: seq, FastSigmoid: 5, DV: make([]float32, 2)})
		}, "DV has length 2, want 9"},
	} {
		func() {
			defer func() {
				var se *ScanError
				err, _ := recover().(error)
				if !errors.As(err, &se) || !strings.Contains(err.Error(), c.want) {
					t.Errorf("panic %v, want a *ScanError with %q", err, c.want)
				}
			}()
			c.f()
		}()
	}
}

// TestRecurrentChunks checks the scan's cutting of the batch into row
// chunks: a batch large enough for two chunks (70 or 75 rows, RecurrentScan's
// partition) gives, for every row, the bits of a scan of that row alone (one
// chunk of one row) in the outputs, the input gradient and the initial-state
// gradients, whichever the thread count; the weight gradient is the same for
// one and two threads. Cases: all to all with and without a synaptic current,
// each reset, ResetGrad, one to one (chunked in the backward pass only, where
// it has twice the work), and learnable beta and threshold (one chunk).
func TestRecurrentChunks(t *testing.T) {
	if !sgemmThreadExact {
		t.Skip("this build's Sgemm (OpenBLAS) is not bit-identical across thread counts and row splits")
	}
	type tc struct {
		T, B, N        int
		oneToOne, syn  bool
		reset          ResetMode
		resetGrad      bool
		learn          bool
		wantFwd, wantB int // chunks of Forward and Backward
	}
	for _, c := range []tc{
		{20, 75, 64, false, false, ResetSubtract, false, false, 2, 2},
		{20, 70, 64, false, true, ResetZero, true, false, 2, 2},
		{20, 70, 64, false, false, ResetNone, false, false, 2, 2},
		{500, 70, 64, true, true, ResetSubtract, true, false, 1, 2},
		{20, 70, 64, false, true, ResetSubtract, false, true, 2, 1},
	} {
		rng := rand.New(rand.NewPCG(uint64(c.B), uint64(c.T)))
		rnd := func(k int, sc, off float64) []float32 {
			x := make([]float32, k)
			for i := range x {
				x[i] = float32(rng.NormFloat64()*sc + off)
			}
			return x
		}
		T, B, N := c.T, c.B, c.N
		p := RecurrentScan{T: T, B: B, N: N, Beta: []float32{0.9}, Thr: []float32{1}, Reset: c.reset,
			ResetGrad: c.resetGrad, OneToOne: c.oneToOne, EventActivity: 0.15} // autograd.DefaultEventActivity
		if c.oneToOne {
			p.V = rnd(N, 0.3, 0)
		} else {
			p.V = rnd(N*N, 0.1, 0)
		}
		if c.syn {
			p.Alpha = []float32{0.8}
		}
		if got := p.chunks(false); got != c.wantFwd {
			t.Fatalf("%+v: Forward in %d chunks, want %d", c, got, c.wantFwd)
		}
		if got := p.chunks(true); c.learn && got < 2 || !c.learn && got != c.wantB {
			t.Fatalf("%+v: Backward in %d chunks", c, got)
		}
		n := B * N
		in := rnd(T*n, 0.5, 0.2)
		s0 := RecurrentState{Mem: rnd(n, 0.3, 0), Spk: make([]float32, n), SpkBinary: true}
		for i := range s0.Spk {
			if rng.Float64() < 0.1 {
				s0.Spk[i] = 1
			}
		}
		if c.syn {
			s0.Syn = rnd(n, 0.1, 0)
		}
		dspk, dmem := rnd(T*n, 1, 0), rnd(T*n, 1, 0)
		type result struct{ syn, mem, spk, din, dmem0, dspk0, dsyn0, dv []float32 }
		run := func(q RecurrentScan, rows []int) result {
			b := len(rows)
			m := b * N
			q.B = b
			pick := func(x []float32, steps int) []float32 {
				if x == nil {
					return nil
				}
				y := make([]float32, steps*m)
				for s := range steps {
					for i, r := range rows {
						copy(y[(s*b+i)*N:(s*b+i+1)*N], x[(s*B+r)*N:(s*B+r+1)*N])
					}
				}
				return y
			}
			st := RecurrentState{Syn: pick(s0.Syn, 1), Mem: pick(s0.Mem, 1), Spk: pick(s0.Spk, 1), SpkBinary: true}
			var res result
			if c.syn {
				res.syn = make([]float32, T*m)
			}
			res.mem, res.spk = make([]float32, T*m), make([]float32, T*m)
			q.Forward(pick(in, T), st, res.syn, res.mem, res.spk)
			g := RecurrentGrad{DSpk: pick(dspk, T), DMem: pick(dmem, T), FastSigmoid: 25, DIn: make([]float32, T*m),
				DMem0: make([]float32, m), DSpk0: make([]float32, m), DV: make([]float32, len(q.V))}
			if c.syn {
				g.DSyn0 = make([]float32, m)
			}
			if c.learn {
				g.DBeta, g.DThr = make([]float32, 1), make([]float32, 1)
			}
			q.Backward(st, res.syn, res.mem, res.spk, &g)
			res.din, res.dmem0, res.dspk0, res.dsyn0, res.dv = g.DIn, g.DMem0, g.DSpk0, g.DSyn0, g.DV
			return res
		}
		all := make([]int, B)
		for i := range all {
			all[i] = i
		}
		var full [2]result
		for i, threads := range []int{1, 2} {
			prev := SetThreads(threads)
			full[i] = run(p, all)
			SetThreads(prev)
		}
		if firstDiff(full[0].dv, full[1].dv) >= 0 || firstDiff(full[0].din, full[1].din) >= 0 {
			t.Fatalf("%+v: one and two threads differ", c)
		}
		for r := range B {
			one := run(p, []int{r})
			for _, x := range []struct {
				name      string
				got, want []float32
				steps     int
			}{{"syn", full[1].syn, one.syn, T}, {"mem", full[1].mem, one.mem, T}, {"spk", full[1].spk, one.spk, T},
				{"dIn", full[1].din, one.din, T}, {"dMem0", full[1].dmem0, one.dmem0, 1}, {"dSpk0", full[1].dspk0, one.dspk0, 1},
				{"dSyn0", full[1].dsyn0, one.dsyn0, 1}} {
				if x.want == nil {
					continue
				}
				for s := range x.steps {
					got := x.got[(s*B+r)*N : (s*B+r+1)*N]
					if i := firstDiff(got, x.want[s*N:(s+1)*N]); i >= 0 {
						t.Fatalf("%+v: row %d step %d: %s[%d] = %v in the batch, %v alone", c, r, s, x.name, i, got[i], x.want[s*N+i])
					}
				}
			}
		}
	}
}
