package autograd_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/autograd/gradcheck"
)

// gcStep is gradcheck's default finite-difference step. Inputs of ops with a
// kink (ReLU, Abs, Clamp, Max) are kept at least kinkGap from it, so that
// x ± step never crosses it and the central difference sees one linear piece.
const (
	gcStep  = 1e-2
	kinkGap = 3 * gcStep
)

// uniformParam returns a Param with values uniform in [lo, hi), resampling
// any value closer than kinkGap to one of kinks.
func uniformParam(rng *rand.Rand, name string, lo, hi float64, kinks []float32, shape ...int) *autograd.Param {
	p := autograd.NewParam(name, nil, shape...)
	for i := range p.Data {
	again:
		v := float32(lo + (hi-lo)*rng.Float64())
		for _, k := range kinks {
			if math.Abs(float64(v-k)) < kinkGap {
				goto again
			}
		}
		p.Data[i] = v
	}
	return p
}

// check runs gradcheck with the default options and fails the test on a
// mismatch.
func check(t *testing.T, f gradcheck.Func, ps ...*autograd.Param) {
	t.Helper()
	if err := gradcheck.Check(f, ps, gradcheck.Options{}); err != nil {
		t.Fatal(err)
	}
}

// wantShapeError runs fn and fails unless it panics with a *ShapeError for op.
func wantShapeError(t *testing.T, op string, fn func()) {
	t.Helper()
	defer func() {
		t.Helper()
		err, _ := recover().(error)
		var se *autograd.ShapeError
		if !errors.As(err, &se) || se.Op != op {
			t.Errorf("recovered %v, want a *ShapeError for %s", err, op)
		}
	}()
	fn()
}

// near reports whether got and want agree to rel relative error (or abs 1e-30
// for zeros).
func near(got, want, rel float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	if math.IsInf(want, 0) {
		return got == want
	}
	return math.Abs(got-want) <= rel*math.Abs(want)+1e-30
}

// wantData compares v.Data with want to relative error 1e-6: the references
// below are exact or rounded to 7 or more digits, and float32 holds about 7.2.
func wantData(t *testing.T, name string, got []float32, want ...float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values %v, want %d", name, len(got), got, len(want))
		return
	}
	for i := range want {
		if !near(float64(got[i]), want[i], 1e-6) {
			t.Errorf("%s = %v, want %v", name, got, want)
			return
		}
	}
}

func ones(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = 1
	}
	return s
}

func TestUnaryGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	type V = autograd.Var
	type T = autograd.Tape
	cases := []struct {
		name   string
		f      func(tp *T, x *V) *V
		lo, hi float64   // input range
		kinks  []float32 // points the inputs keep away from
	}{
		{"Scale", func(tp *T, x *V) *V { return tp.Scale(x, -1.5) }, -1, 1, nil},
		{"AddScalar", func(tp *T, x *V) *V { return tp.AddScalar(x, 0.25) }, -1, 1, nil},
		{"Neg", (*T).Neg, -1, 1, nil},
		{"Square", (*T).Square, -1, 1, nil},
		{"Exp", (*T).Exp, -2, 2, nil},
		{"Log", (*T).Log, 0.5, 2, nil}, // away from the pole at 0
		{"Tanh", (*T).Tanh, -2, 2, nil},
		{"Sigmoid", (*T).Sigmoid, -4, 4, nil},
		{"ReLU", (*T).ReLU, -1, 1, []float32{0}},
		{"Abs", (*T).Abs, -1, 1, []float32{0}},
		{"Clamp", func(tp *T, x *V) *V { return tp.Clamp(x, -0.5, 0.4) }, -1, 1, []float32{-0.5, 0.4}},
		{"Mask", func(tp *T, x *V) *V { return tp.Mask(x, fixedMask(x.Len())) }, -1, 1, nil},
		{"Custom", func(tp *T, x *V) *V { return tp.Custom(x, cube, cubeDeriv) }, -1, 1, nil},
		{"Apply", func(tp *T, x *V) *V { return tp.Apply(x, softsign{}) }, -2, 2, nil},
		{"Chain", func(tp *T, x *V) *V { return tp.Tanh(tp.Mul(tp.Sigmoid(x), tp.Exp(x))) }, -1, 1, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := uniformParam(rng, "x", c.lo, c.hi, c.kinks, 2, 3, 4)
			check(t, func(tp *autograd.Tape) *autograd.Var { return c.f(tp, tp.Param(x)) }, x)
		})
	}
}

// fixedMask is a deterministic dropout-style mask: every third element 0,
// the others 1.5 (= 1/(1-p) for p = 1/3).
func fixedMask(n int) []float32 {
	m := make([]float32, n)
	for i := range m {
		if i%3 != 0 {
			m[i] = 1.5
		}
	}
	return m
}

func TestBinaryGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	type V = autograd.Var
	type T = autograd.Tape
	cond := fixedMask(24)
	cases := []struct {
		name   string
		f      func(tp *T, a, b *V) *V
		bShape []int
		bLo    float64 // b's magnitude is uniform in [bLo, bLo+1), sign random
	}{
		{"Add", (*T).Add, []int{2, 3, 4}, 0},
		{"Sub", (*T).Sub, []int{2, 3, 4}, 0},
		{"Mul", (*T).Mul, []int{2, 3, 4}, 0},
		{"Div", (*T).Div, []int{2, 3, 4}, 0.5}, // |b| ≥ 0.5: away from the pole
		{"MulBias", (*T).MulBias, []int{4}, 0},
		{"Where", func(tp *T, a, b *V) *V { return tp.Where(cond, a, b) }, []int{2, 3, 4}, 0},
		{"MulSelf", func(tp *T, a, b *V) *V { return tp.Add(tp.Mul(a, a), tp.Div(a, tp.Exp(b))) }, []int{2, 3, 4}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := uniformParam(rng, "a", -1, 1, nil, 2, 3, 4)
			b := uniformParam(rng, "b", c.bLo, c.bLo+1, nil, c.bShape...)
			for i := range b.Data {
				if rng.IntN(2) == 0 {
					b.Data[i] = -b.Data[i]
				}
			}
			check(t, func(tp *autograd.Tape) *autograd.Var { return c.f(tp, tp.Param(a), tp.Param(b)) }, a, b)
		})
	}
}

func TestElementwiseValues(t *testing.T) {
	tp := autograd.NewTape()
	a := tp.Constant([]float32{1, 2, -3}, 3)
	b := tp.Constant([]float32{3, 5, 4}, 3)
	wantData(t, "Add", tp.Add(a, b).Data, 4, 7, 1)                          // 1+3, 2+5, -3+4
	wantData(t, "Sub", tp.Sub(a, b).Data, -2, -3, -7)                       // 1-3, 2-5, -3-4
	wantData(t, "Mul", tp.Mul(a, b).Data, 3, 10, -12)                       // 1·3, 2·5, -3·4
	wantData(t, "Div", tp.Div(a, b).Data, 1.0/3, 0.4, -0.75)                // 1/3, 2/5, -3/4
	wantData(t, "Scale", tp.Scale(a, -2).Data, -2, -4, 6)                   // -2·a
	wantData(t, "AddScalar", tp.AddScalar(a, 0.5).Data, 1.5, 2.5, -2.5)     // a + 0.5
	wantData(t, "Neg", tp.Neg(a).Data, -1, -2, 3)                           // -a
	wantData(t, "Square", tp.Square(a).Data, 1, 4, 9)                       // 1², 2², (-3)²
	wantData(t, "ReLU", tp.ReLU(a).Data, 1, 2, 0)                           // max(a, 0)
	wantData(t, "Abs", tp.Abs(a).Data, 1, 2, 3)                             // |a|
	wantData(t, "Clamp", tp.Clamp(a, -1, 1.5).Data, 1, 1.5, -1)             // 1 inside; 2 → 1.5; -3 → -1
	wantData(t, "Clamp lo>hi", tp.Clamp(a, 2, 1).Data, 1, 1, 1)             // torch.clamp: every element becomes hi
	wantData(t, "Mask", tp.Mask(a, []float32{0, 2, 1}).Data, 0, 4, -3)      // 1·0, 2·2, -3·1
	wantData(t, "Where", tp.Where([]float32{1, 0, 1}, a, b).Data, 1, 5, -3) // a[0], b[1], a[2]
	wantData(t, "Custom", tp.Custom(a, cube, cubeDeriv).Data, 1, 8, -27)    // a³
	wantData(t, "Apply", tp.Apply(a, softsign{}).Data, 0.5, 2.0/3, -0.75)   // x/(1+|x|)

	x := tp.Constant([]float32{0, 1, -1}, 3)
	wantData(t, "Exp", tp.Exp(x).Data, 1, math.E, 1/math.E)                                     // e⁰, e¹, e⁻¹
	wantData(t, "Tanh", tp.Tanh(x).Data, 0, 0.7615941559557649, -0.7615941559557649)            // tanh 1 = (e²-1)/(e²+1)
	wantData(t, "Sigmoid", tp.Sigmoid(x).Data, 0.5, 0.7310585786300049, 0.2689414213699951)     // 1/(1+e^∓1)
	wantData(t, "Log", tp.Log(tp.Constant([]float32{1, math.E, 0.5}, 3)).Data, 0, 1, -math.Ln2) // ln 1, ln e, ln ½

	m := tp.Constant([]float32{1, 2, 3, 4}, 2, 2)
	w := tp.Constant([]float32{10, 100}, 2)
	wantData(t, "MulBias", tp.MulBias(m, w).Data, 10, 200, 30, 400) // [1·10, 2·100; 3·10, 4·100]
}

// TestElementwiseBackwardValues checks hand-derived gradients at kinks and
// boundaries, where the convention matters and gradcheck cannot look.
func TestElementwiseBackwardValues(t *testing.T) {
	x := autograd.NewParam("x", []float32{-2, -1, 0, 0.5, 1, 3}, 6)
	tp := autograd.NewTape()
	xv := tp.Param(x)
	y := tp.Add(tp.Add(tp.ReLU(xv), tp.Abs(xv)), tp.Clamp(xv, -1, 1))
	tp.BackwardFrom(y, ones(6))
	// ReLU' = [0,0,0,1,1,1] (0 at 0); Abs' = [-1,-1,0,1,1,1] (sign, 0 at 0);
	// Clamp' = [0,1,1,1,1,0] (1 on the closed interval [-1, 1]).
	wantData(t, "grad", x.Grad, -1, 0, 1, 3, 3, 2)

	// MulBias: dw[j] = Σ_rows dy·x = [1+3, 2+4] with dy = 1; dx = w per row.
	xp := autograd.NewParam("x", []float32{1, 2, 3, 4}, 2, 2)
	wp := autograd.NewParam("w", []float32{10, 100}, 2)
	tp.Reset()
	tp.BackwardFrom(tp.MulBias(tp.Param(xp), tp.Param(wp)), ones(4))
	wantData(t, "MulBias dw", wp.Grad, 4, 6)
	wantData(t, "MulBias dx", xp.Grad, 10, 100, 10, 100)
}

// TestSigmoidExtremes checks that far-out inputs give exact limits and finite
// gradients, never NaN.
func TestSigmoidExtremes(t *testing.T) {
	x := autograd.NewParam("x", []float32{-1000, -100, 100, 1000}, 4)
	tp := autograd.NewTape()
	y := tp.Sigmoid(tp.Param(x))
	tp.BackwardFrom(y, ones(4))
	// σ(-100) = e⁻¹⁰⁰/(1+e⁻¹⁰⁰) ≈ 3.72e-44, a float32 subnormal; σ(100) rounds to 1.
	wantData(t, "Sigmoid", y.Data, 0, float64(float32(math.Exp(-100))), 1, 1)
	for i, g := range x.Grad {
		if math.IsNaN(float64(g)) || g < 0 || g > 1e-30 {
			t.Errorf("grad[%d] = %v, want a tiny non-negative number", i, g)
		}
	}
}

func TestElementwiseShapeErrors(t *testing.T) {
	tp := autograd.NewTape()
	a, b, v := tp.New(2, 3), tp.New(3, 2), tp.New(2)
	for _, c := range []struct {
		op string
		fn func()
	}{
		{"Add", func() { tp.Add(a, b) }},
		{"Sub", func() { tp.Sub(a, v) }},
		{"Mul", func() { tp.Mul(a, b) }},
		{"Div", func() { tp.Div(a, b) }},
		{"MulBias", func() { tp.MulBias(a, v) }},
		{"MulBias", func() { tp.MulBias(tp.New(), v) }},
		{"Mask", func() { tp.Mask(a, make([]float32, 5)) }},
		{"Where", func() { tp.Where(make([]float32, 6), a, b) }},
		{"Where", func() { tp.Where(make([]float32, 5), a, a) }},
	} {
		wantShapeError(t, c.op, c.fn)
	}
}

// TestDetach checks that gradients stop at Detach: for y = Σ detach(x)·x the
// gradient is x, not the 2x of Σ x·x.
func TestDetach(t *testing.T) {
	x := autograd.NewParam("x", []float32{1, -2, 3}, 3)
	tp := autograd.NewTape()
	xv := tp.Param(x)
	d := tp.Detach(xv)
	if d.RequiresGrad() {
		t.Fatal("Detach result requires a gradient")
	}
	y := tp.Mul(d, xv)
	tp.BackwardFrom(y, ones(3))
	wantData(t, "grad", x.Grad, 1, -2, 3)
	if d.Grad != nil {
		t.Errorf("the detached Var received a gradient %v", d.Grad)
	}
}

// TestNoGrad checks that in no-grad mode the ops compute their values but
// record nothing and need no gradient, and that recording resumes after.
func TestNoGrad(t *testing.T) {
	x := autograd.NewParam("x", []float32{1, -2, 3}, 3)
	tp := autograd.NewTape()
	var y *autograd.Var
	tp.NoGrad(func() {
		xv := tp.Param(x)
		y = tp.Custom(tp.Sigmoid(tp.Mul(xv, xv)), cube, nil) // nil df is fine: nothing is recorded
		y = tp.Apply(tp.Clamp(tp.Add(y, xv), -1, 1), softsign{})
	})
	if n := tp.Records(); n != 0 {
		t.Errorf("%d records in no-grad mode, want 0", n)
	}
	if y.RequiresGrad() {
		t.Error("a no-grad result requires a gradient")
	}
	if !tp.GradEnabled() {
		t.Fatal("recording not restored after NoGrad")
	}
	z := tp.Square(tp.Param(x))
	if tp.Records() != 1 || !z.RequiresGrad() {
		t.Errorf("after NoGrad: %d records, RequiresGrad %v; want 1, true", tp.Records(), z.RequiresGrad())
	}
}

// TestConstantsRecordNothing checks that ops on Vars needing no gradient are
// not recorded.
func TestConstantsRecordNothing(t *testing.T) {
	tp := autograd.NewTape()
	c := tp.Constant([]float32{1, 2}, 2)
	tp.Exp(tp.Add(c, c))
	if n := tp.Records(); n != 0 {
		t.Errorf("%d records for constants, want 0", n)
	}
}
