package layers

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/autograd/gradcheck"
)

// TestDelayHandTrajectory: two features, delays 0 and 2.7 (⌊2.7⌋ = 2 steps),
// one sample, x = 1, 2, 3, 4, 5 on feature 0 and 10, 20, 30, 40, 50 on
// feature 1. By hand, y = x on feature 0 and 0, 0, 10, 20, 30 on feature 1.
// With the loss Σ y, every dy is 1, and lava-dl's gradient telescopes:
// dL/dd[i] = Σ_t (y[t-1] - y[t]) = y[-1] - y[T-1] = -y[4]: -5 and -30.
func TestDelayHandTrajectory(t *testing.T) {
	l := NewDelay("delay", 2, DelayConfig{MaxDelay: 3})
	copy(l.D.Data, []float32{0, 2.7})
	tp := autograd.NewTape()
	y := l.Forward(tp, tp.Constant([]float32{1, 10, 2, 20, 3, 30, 4, 40, 5, 50}, 5, 1, 2))
	if want := []float32{1, 0, 2, 0, 3, 10, 4, 20, 5, 30}; !slices.Equal(y.Data, want) {
		t.Fatalf("y = %v, want %v", y.Data, want)
	}
	tp.Backward(tp.SumAll(y))
	if want := []float32{-5, -30}; !slices.Equal(l.D.Grad, want) {
		t.Fatalf("dL/dd = %v, want %v", l.D.Grad, want)
	}
	if got := l.Steps(); !slices.Equal(got, []int{0, 2}) {
		t.Fatalf("Steps = %v", got)
	}
	// Clamped: a delay of 7 with MaxDelay 3 is 3 steps, and gets no gradient.
	copy(l.D.Data, []float32{7, -1})
	l.D.ZeroGrad()
	tp = autograd.NewTape()
	y = l.Forward(tp, tp.Constant([]float32{1, 10, 2, 20, 3, 30, 4, 40, 5, 50}, 5, 1, 2))
	if want := []float32{0, 10, 0, 20, 0, 30, 1, 40, 2, 50}; !slices.Equal(y.Data, want) {
		t.Fatalf("clamped: y = %v, want %v", y.Data, want)
	}
	tp.Backward(tp.SumAll(y))
	if !slices.Equal(l.D.Grad, []float32{0, 0}) {
		t.Fatalf("clamped: dL/dd = %v, want 0 0", l.D.Grad)
	}
}

// delayCase runs x [T, B, N] through l step by step (Step) or as two Runs
// cut at cut (cut = T: one Run) and returns the outputs, the final state's
// fields, and the gradients of x and d for the loss Σ w·y.
func delayCase(t *testing.T, l *Delay, x *autograd.Param, T, B, N int, w []float32, stepped bool, cut int) (y, final []float32, gx, gd []float32) {
	x.ZeroGrad()
	l.D.ZeroGrad()
	tp := autograd.NewTape()
	xv := tp.Param(x)
	var s DelayState
	var outs []*autograd.Var
	if stepped {
		for i := range T {
			var o *autograd.Var
			o, s = l.Step(tp, stepOf(tp, xv, i), s)
			outs = append(outs, tp.Reshape(o, 1, B, N))
		}
	} else {
		var o *autograd.Var
		o, s = l.Run(tp, tp.Slice(xv, 0, 0, cut), s)
		outs = append(outs, o)
		o, s = l.Run(tp, tp.Slice(xv, 0, cut, T), s)
		outs = append(outs, o)
	}
	out := tp.Concat(0, outs...)
	tp.Backward(tp.SumAll(tp.Mul(out, tp.Constant(w, T, B, N))))
	final = append(slices.Clone(s.Buf.Data), s.Out.Data...)
	return slices.Clone(out.Data), final, slices.Clone(x.Grad), slices.Clone(l.D.Grad)
}

// TestDelayStepMatchesRun checks that Step, one Run and two Runs with the
// state carried give the same outputs and final state bit for bit (all are
// copies), the same input gradient bit for bit (each element receives one
// term), and the same delay gradient to float32 rounding: its sums over
// steps and samples are ordered differently, so 1e-5 relative.
func TestDelayStepMatchesRun(t *testing.T) {
	const T, B, N = 9, 2, 4
	rng := rand.New(rand.NewPCG(5, 6))
	l := NewDelay("delay", N, DelayConfig{MaxDelay: 4})
	copy(l.D.Data, []float32{0, 1.5, 3.2, 4}) // 0, 1, 3 and the maximum, 4 steps
	x := autograd.NewParam("x", randSlice(rng, T*B*N, -1, 1), T, B, N)
	w := randSlice(rng, T*B*N, -1, 1)
	sy, sf, sgx, sgd := delayCase(t, l, x, T, B, N, w, true, 0)
	for _, cut := range []int{T, 2, 5} { // a cut of 2 carries a state longer than the sequence
		ry, rf, rgx, rgd := delayCase(t, l, x, T, B, N, w, false, cut)
		if !slices.Equal(sy, ry) || !slices.Equal(sf, rf) || !slices.Equal(sgx, rgx) {
			t.Fatalf("cut %d: Step and Run differ:\n%v %v\n%v %v\n%v\n%v", cut, sy, ry, sf, rf, sgx, rgx)
		}
		for i := range sgd {
			if d := math.Abs(float64(sgd[i] - rgd[i])); d > 1e-5*math.Max(1, math.Abs(float64(sgd[i]))) {
				t.Errorf("cut %d: dL/dd[%d]: step %v, run %v", cut, i, sgd[i], rgd[i])
			}
		}
	}
}

// TestDelayGradients checks the input gradient against central differences
// (the delay is linear in x), and lava-dl's delay gradient against central
// differences of the delay that interpolates linearly between whole steps,
// y(t) = (1-f)·x[t-D] + f·x[t-D-1] with D = ⌊d⌋ and f = d - D, computed here
// in float64: at fractional d (0.3 and 0.6 past a whole step, so d ± h keeps
// ⌊d⌋), its derivative is Σ w·(x[t-D-1] - x[t-D]), which is the formula
// Delay's backward evaluates on its whole-step output.
func TestDelayGradients(t *testing.T) {
	const T, B, N = 8, 2, 3
	rng := rand.New(rand.NewPCG(11, 12))
	l := NewDelay("delay", N, DelayConfig{MaxDelay: 5})
	copy(l.D.Data, []float32{0.3, 2.6, 4.3})
	x := autograd.NewParam("x", randSlice(rng, T*B*N, -1, 1), T, B, N)
	f := func(tp *autograd.Tape) *autograd.Var { return l.Forward(tp, tp.Param(x)) }
	if err := gradcheck.Check(f, []*autograd.Param{x}, gradcheck.Options{}); err != nil {
		t.Fatal(err)
	}
	w := randSlice(rng, T*B*N, -1, 1)
	tp := autograd.NewTape()
	y := l.Forward(tp, tp.Param(x))
	l.D.ZeroGrad()
	tp.Backward(tp.SumAll(tp.Mul(y, tp.Constant(w, T, B, N))))
	at := func(tt, b, i int) float64 {
		if tt < 0 {
			return 0
		}
		return float64(x.Data[(tt*B+b)*N+i])
	}
	loss := func(i int, d float64) float64 {
		D := math.Floor(d)
		fr := d - D
		var s float64
		for tt := range T {
			for b := range B {
				yi := (1-fr)*at(tt-int(D), b, i) + fr*at(tt-int(D)-1, b, i)
				s += float64(w[(tt*B+b)*N+i]) * yi
			}
		}
		return s
	}
	const h = 1e-3
	for i, d := range l.D.Data {
		num := (loss(i, float64(d)+h) - loss(i, float64(d)-h)) / (2 * h)
		if got := float64(l.D.Grad[i]); math.Abs(got-num) > 1e-4*math.Max(1, math.Abs(num)) {
			t.Errorf("dL/dd[%d] = %v, interpolated delay's finite difference %v", i, got, num)
		}
	}
}

// TestDelayConfigErrors checks the errors naming the layer and the field.
func TestDelayConfigErrors(t *testing.T) {
	cases := []struct {
		f    func()
		want string
	}{
		{func() { NewDelay("d", 3, DelayConfig{}) },
			`layers: delay "d": max_delay = 0: must be at least 1 (a delay layer of max_delay 0 is the identity)`},
		{func() { NewDelay("d", 3, DelayConfig{MaxDelay: -2}) },
			`layers: delay "d": max_delay = -2: must be at least 1 (a delay layer of max_delay 0 is the identity)`},
		{func() { NewDelay("d", 3, DelayConfig{MaxDelay: 4, Init: -1}) }, `layers: delay "d": init = -1: must be in [0, max_delay = 4]`},
		{func() { NewDelay("d", 3, DelayConfig{MaxDelay: 4, Init: 5}) }, `layers: delay "d": init = 5: must be in [0, max_delay = 4]`},
		{func() { NewDelay("d", 3, DelayConfig{MaxDelay: 4, Init: float32(math.NaN())}) }, `layers: delay "d": init = NaN: must be in [0, max_delay = 4]`},
		{func() { NewDelay("d", 0, DelayConfig{MaxDelay: 4}) }, `layers: delay "d": n = 0: must be positive`},
		{func() {
			tp := autograd.NewTape()
			NewDelay("d", 1, DelayConfig{MaxDelay: 4}).Forward(tp, tp.New(4, 1, 1))
		}, `layers: delay "d": max_delay = 4: must be less than the number of time steps (4): a longer delay shifts the whole sequence out`},
	}
	for _, c := range cases {
		if err := configPanic(t, c.f); err == nil || err.Error() != c.want {
			t.Errorf("panic %v\nwant  %s", err, c.want)
		}
	}
}

// TestDelayConstantInput: a Delay at the front of a network fed an input
// constant over time sees the repeated sequence, so its first D steps are
// zeros.
func TestDelayConstantInput(t *testing.T) {
	l := NewDelay("delay", 2, DelayConfig{MaxDelay: 2, Init: 2})
	net := NewSequential(l, NewLIF("lif", 2, LIFConfig{Beta: 0.5}))
	tp := autograd.NewTape()
	tr := net.Forward(tp, tp.Constant([]float32{3, 4}, 1, 2), 4)
	if want := []float32{0, 0, 0, 0, 3, 4, 3, 4}; !slices.Equal(tr.Layers[0].Out.Data, want) {
		t.Fatalf("delayed constant input %v, want %v", tr.Layers[0].Out.Data, want)
	}
}
