package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/autograd/gradcheck"
	"github.com/spikegrad/spikegrad/surrogate"
)

// TestSRMKernels checks the kernels against SLAYER's formulas evaluated by
// hand (python3, math.exp): at the defaults (tau_sr 10, tau_ref 1,
// scale_ref 2, theta 10, epsilon 0.01) the PSP kernel has 77 taps and the
// refractory kernel 11, ε[1] = 0.1·e^0.9 = 0.24596031, ε[10] = 1 (the peak
// at k = tau), ν[1] = -20, ν[2] = -40·e^-1 = -14.7151776.
func TestSRMKernels(t *testing.T) {
	l := NewSRM("srm", 2, SRMConfig{})
	if len(l.PSP) != 77 || len(l.Ref) != 11 {
		t.Fatalf("kernel lengths %d and %d, want 77 and 11", len(l.PSP), len(l.Ref))
	}
	for _, c := range []struct{ got, want float64 }{
		{float64(l.PSP[0]), 0}, {float64(l.PSP[1]), 0.24596031}, {float64(l.PSP[10]), 1},
		{float64(l.Ref[0]), 0}, {float64(l.Ref[1]), -20}, {float64(l.Ref[2]), -14.7151776},
	} {
		if math.Abs(c.got-c.want) > 1e-6*math.Max(1, math.Abs(c.want)) {
			t.Errorf("kernel value %v, want %v", c.got, c.want)
		}
	}
	want := SRMConfig{Threshold: 10, TauSR: 10, TauRef: 1, ScaleRef: 2, Epsilon: 0.01, Surrogate: surrogate.SLAYER{Theta: 10}}
	if l.Config != want {
		t.Errorf("defaults %+v, want %+v", l.Config, want)
	}
}

// TestSRMHandTrajectory: theta 1, tau_sr = tau_ref = 1, scale_ref 2, one
// input of 1.5 at t = 0. The kernels (python3): ε = k·e^(1-k) = 0, 1,
// 0.7357589, 0.4060058, 0.1991483, ...; ν = -2·k·e^(1-k) = 0, -2, -1.4715178,
// -0.8120117, ... By hand:
//
//	u[0] = 0                                    S = 0
//	u[1] = 1.5·1          = 1.5                 S = 1
//	u[2] = 1.5·0.7357589 - 2         = -0.8963617
//	u[3] = 1.5·0.4060058 - 1.4715178 = -0.8625090
//	u[4] = 1.5·0.1991483 - 0.8120117 = -0.5132893
func TestSRMHandTrajectory(t *testing.T) {
	l := NewSRM("srm", 1, SRMConfig{Threshold: 1, TauSR: 1, TauRef: 1})
	tp := autograd.NewTape()
	spk, mem := l.Scan(tp, tp.Constant([]float32{1.5, 0, 0, 0, 0}, 5, 1, 1))
	wantMem := []float64{0, 1.5, -0.8963617, -0.8625090, -0.5132893}
	wantSpk := []float32{0, 1, 0, 0, 0}
	for i := range wantMem {
		if math.Abs(float64(mem.Data[i])-wantMem[i]) > 1e-6 || spk.Data[i] != wantSpk[i] {
			t.Fatalf("step %d: u %v S %v, want %v %v", i, mem.Data[i], spk.Data[i], wantMem[i], wantSpk[i])
		}
	}
}

// srmConfigs are the configs of the equality and gradient tests: short
// kernels (16 and 17 taps at tau 2, so that sequences of 40 steps cross
// two blocks of the convolution and outlast the kernels), with and
// without the refractory gradient, SLAYER's surrogate and another.
func srmConfigs() []SRMConfig {
	var cs []SRMConfig
	for _, rg := range []bool{false, true} {
		for _, f := range []surrogate.Func{nil, surrogate.FastSigmoid{Slope: 5}} {
			cs = append(cs, SRMConfig{Threshold: 1, TauSR: 2, TauRef: 2, RefractoryGrad: rg, Surrogate: f})
		}
	}
	return cs
}

// srmSteps runs x step by step (smooth: StepSmooth) from the zero state and
// returns the spikes and membranes stacked to [T, B, N] and the final
// state. With hold, the newest spikes of the state are replaced after each
// step by the constants hold[i].
func srmSteps(tp *autograd.Tape, l *SRM, x *autograd.Var, smooth bool, hold [][]float32) (spk, mem *autograd.Var, s SRMState) {
	T, B, N := x.Dim(0), x.Dim(1), x.Dim(2)
	var outs, mems []*autograd.Var
	for i := range T {
		var o *autograd.Var
		if smooth {
			o, s = l.StepSmooth(tp, stepOf(tp, x, i), s)
		} else {
			o, s = l.Step(tp, stepOf(tp, x, i), s)
		}
		outs, mems = append(outs, tp.Reshape(o, 1, B, N)), append(mems, tp.Reshape(s.Mem, 1, B, N))
		if hold != nil {
			R := len(l.Ref)
			s.Spk = tp.Concat(0, tp.Slice(s.Spk, 0, 0, R-2), tp.Constant(hold[i], 1, B, N))
		}
	}
	return tp.Concat(0, outs...), tp.Concat(0, mems...), s
}

func closeTo(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// TestSRMRunMatchesStep checks that the fused Run (the convolution as
// SGEMMs, then the refractory loop), in one piece and in two with the
// state carried, agrees with Step: the same spikes, membranes and final
// state to 1e-5 relative (the sums of the kernel taps run in other orders),
// and gradients for the input to 1e-4 relative. The test asserts that no
// membrane lies within 1e-3 of the threshold, so that rounding cannot flip
// a spike.
func TestSRMRunMatchesStep(t *testing.T) {
	const T, B, N = 40, 2, 3
	for ci, c := range srmConfigs() {
		t.Run(fmt.Sprint(ci), func(t *testing.T) {
			l := NewSRM("srm", N, c)
			rng := rand.New(rand.NewPCG(7, 8))
			x := autograd.NewParam("x", randSlice(rng, T*B*N, -0.3, 0.9), T, B, N)
			ws, wm := randSlice(rng, T*B*N, -1, 1), randSlice(rng, T*B*N, -1, 1)
			run := func(mode int) (vals, grad []float32) {
				x.ZeroGrad()
				tp := autograd.NewTape()
				xv := tp.Param(x)
				var spk, mem *autograd.Var
				var s SRMState
				switch mode {
				case 0:
					spk, mem, s = srmSteps(tp, l, xv, false, nil)
				case 1:
					spk, mem, s = l.Run(tp, xv, SRMState{})
					so, sm := l.Scan(tp, xv)
					if !slices.Equal(so.Data, spk.Data) || !slices.Equal(sm.Data, mem.Data) {
						t.Fatal("Scan and Run differ")
					}
				default: // two Runs, cut at 7 (shorter than the kernels) and 23
					var s1, m1, s2, m2, s3, m3 *autograd.Var
					s1, m1, s = l.Run(tp, tp.Slice(xv, 0, 0, 7), s)
					s2, m2, s = l.Run(tp, tp.Slice(xv, 0, 7, 23), s)
					s3, m3, s = l.Run(tp, tp.Slice(xv, 0, 23, T), s)
					spk, mem = tp.Concat(0, s1, s2, s3), tp.Concat(0, m1, m2, m3)
				}
				for i, u := range mem.Data {
					if math.Abs(float64(u-c.Threshold)) < 1e-3 {
						t.Fatalf("membrane %d = %v lies too close to the threshold for this test", i, u)
					}
				}
				vals = append(append(slices.Clone(spk.Data), mem.Data...), s.In.Data...)
				vals = append(append(vals, s.Spk.Data...), s.Mem.Data...)
				tp.Backward(tp.Add(tp.SumAll(tp.Mul(spk, tp.Constant(ws, T, B, N))), tp.SumAll(tp.Mul(mem, tp.Constant(wm, T, B, N)))))
				return vals, slices.Clone(x.Grad)
			}
			sv, sg := run(0)
			if slices.Max(sv[:T*B*N]) != 1 {
				t.Fatal("no spikes: the test would not reach the refractory kernel")
			}
			for mode := 1; mode <= 2; mode++ {
				v, g := run(mode)
				for i := range sv {
					if !closeTo(float64(sv[i]), float64(v[i]), 1e-5) {
						t.Fatalf("mode %d: value %d: step %v, run %v", mode, i, sv[i], v[i])
					}
				}
				for i := range sg {
					if !closeTo(float64(sg[i]), float64(g[i]), 1e-4) {
						t.Fatalf("mode %d: dx[%d]: step %v, run %v", mode, i, sg[i], g[i])
					}
				}
			}
		})
	}
}

// TestSRMStepGradients checks Step against central differences with the
// smooth spike (StepSmooth): through both kernels with RefractoryGrad, and
// without it with the refractory spikes held at the unperturbed run's
// values (the detached refractory response is, by definition, a response
// to constant spikes). With TestSRMRunMatchesStep this checks the fused
// backward too.
func TestSRMStepGradients(t *testing.T) {
	const T, B, N = 6, 2, 3
	for ci, c := range srmConfigs() {
		t.Run(fmt.Sprint(ci), func(t *testing.T) {
			l := NewSRM("srm", N, c)
			rng := rand.New(rand.NewPCG(9, 10))
			x := autograd.NewParam("x", randSlice(rng, T*B*N, -0.5, 1.5), T, B, N)
			var hold [][]float32
			if !c.RefractoryGrad {
				tp := autograd.NewTape()
				spk, _, _ := srmSteps(tp, l, tp.Param(x), true, nil)
				for i := range T {
					hold = append(hold, slices.Clone(spk.Data[i*B*N:(i+1)*B*N]))
				}
			}
			f := func(tp *autograd.Tape) *autograd.Var {
				spk, mem, _ := srmSteps(tp, l, tp.Param(x), true, hold)
				return tp.Concat(0, spk, mem)
			}
			// Step 1e-3 as in TestStepGradients (the fast sigmoid of slope 5).
			if err := gradcheck.Check(f, []*autograd.Param{x}, gradcheck.Options{Step: 1e-3, Atol: 2e-3, Rtol: 1e-2}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestSRMRunState: a run of zero steps returns its state.
func TestSRMRunState(t *testing.T) {
	l := NewSRM("srm", 3, SRMConfig{Threshold: 1, TauSR: 2, TauRef: 2})
	tp := autograd.NewTape()
	_, _, s := l.Run(tp, tp.Constant(randSlice(rand.New(rand.NewPCG(1, 2)), 5*2*3, 0, 1), 5, 2, 3), SRMState{})
	if _, _, next := l.Run(tp, tp.New(0, 2, 3), s); next != s {
		t.Error("a run of zero steps changed the state")
	}
}

// TestSRMConfigErrors checks the errors naming the layer and the field.
func TestSRMConfigErrors(t *testing.T) {
	nan := float32(math.NaN())
	cases := []struct {
		c    SRMConfig
		want string
	}{
		{SRMConfig{Threshold: -1}, `layers: srm "s": threshold = -1: must be positive and finite`},
		{SRMConfig{TauSR: -2}, `layers: srm "s": tau_sr = -2: must be positive and finite`},
		{SRMConfig{TauRef: nan}, `layers: srm "s": tau_ref = NaN: must be positive and finite`},
		{SRMConfig{ScaleRef: -1}, `layers: srm "s": scale_ref = -1: must be positive and finite`},
		{SRMConfig{Epsilon: float32(math.Inf(1))}, `layers: srm "s": epsilon = +Inf: must be positive and finite`},
		// 0.1·e^(1-10) = 1.2e-5 is below 0.01 at k = 1.
		{SRMConfig{TauSR: 0.1}, `layers: srm "s": tau_sr = 0.1: the PSP kernel is below epsilon = 0.01 from its second step on: no input would reach the membrane`},
		// The alpha kernel falls below 0.01 near k = 7.6·tau: 7600 steps.
		{SRMConfig{TauSR: 1000}, `layers: srm "s": tau_sr = 1000: the PSP kernel truncated at epsilon = 0.01 is longer than 4096 steps`},
		{SRMConfig{TauRef: 1000}, `layers: srm "s": tau_ref = 1000: the refractory kernel truncated at epsilon = 0.01 is longer than 4096 steps`},
		{SRMConfig{Surrogate: surrogate.Atan{Alpha: -1}},
			`layers: srm "s": surrogate: Atan: Alpha = -1: must be positive and finite (0 selects the default)`},
	}
	for _, c := range cases {
		if err := configPanic(t, func() { NewSRM("s", 3, c.c) }); err == nil || err.Error() != c.want {
			t.Errorf("panic %v\nwant  %s", err, c.want)
		}
	}
	if err := configPanic(t, func() { NewSRM("s", 0, SRMConfig{}) }); err == nil || err.Error() != `layers: srm "s": n = 0: must be positive` {
		t.Errorf("n = 0: %v", err)
	}
}
