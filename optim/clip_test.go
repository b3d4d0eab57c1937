package optim_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/optim"
)

// TestClipGradNorm checks the norm and the scaling on gradients whose norm
// is known by hand: (3) and (4) in two Params have the global norm 5.
func TestClipGradNorm(t *testing.T) {
	mk := func() []*autograd.Param {
		a, b, f := param("a", 0), param("b", 0, 0), param("frozen", 0)
		setGrad(t, a, 3)
		setGrad(t, b, 0, 4)
		setGrad(t, f, 100) // Frozen: neither counted nor scaled
		f.Frozen = true
		return []*autograd.Param{a, b, f}
	}
	// maxNorm 1: c = 1/(5 + 1e-6) = 0.2·(1 − 2e-7), so g = (0.6, 0.8)·(1 − 2e-7) up
	// to two float32 roundings (relative 1.2e-7 each).
	ps := mk()
	if total := optim.ClipGradNorm(ps, 1); total != 5 {
		t.Errorf("norm %v, want 5 (√(9 + 16))", total)
	}
	wantClose(t, "a", ps[0].Grad, []float64{0.6 * (1 - 2e-7)}, 0.6*2.4e-7)
	wantClose(t, "b", ps[1].Grad, []float64{0, 0.8 * (1 - 2e-7)}, 0.8*2.4e-7)
	wantExact(t, "frozen", ps[2].Grad, 100)

	// maxNorm 10 > 5: untouched.
	ps = mk()
	if total := optim.ClipGradNorm(ps, 10); total != 5 {
		t.Errorf("norm %v, want 5", total)
	}
	wantExact(t, "a", ps[0].Grad, 3)
	wantExact(t, "b", ps[1].Grad, 0, 4)

	// maxNorm 5 = the norm: as in PyTorch, c = 5/(5 + 1e-6) < 1 still scales by
	// 1 − 2e-7, which rounds 4 to 4·(1 − 2⁻²³)... within one ulp of the input.
	ps = mk()
	optim.ClipGradNorm(ps, 5)
	wantClose(t, "b at maxNorm = norm", ps[1].Grad, []float64{0, 4}, 4*2.4e-7)

	// maxNorm 0 zeroes the gradients; +Inf only measures.
	ps = mk()
	optim.ClipGradNorm(ps, 0)
	wantExact(t, "b at maxNorm 0", ps[1].Grad, 0, 0)
	ps = mk()
	if total := optim.ClipGradNorm(ps, math.Inf(1)); total != 5 {
		t.Errorf("norm %v, want 5", total)
	}
	wantExact(t, "b at maxNorm +Inf", ps[1].Grad, 0, 4)

	// Zero gradients: norm 0, nothing divided by zero.
	z := param("z", 0, 0)
	if total := optim.ClipGradNorm([]*autograd.Param{z}, 1); total != 0 {
		t.Errorf("norm of zeros %v", total)
	}
	wantExact(t, "z", z.Grad, 0, 0)
}

// TestClipGradNormNonFinite checks that a NaN or infinite gradient makes the
// norm NaN or +Inf and leaves every gradient as it was.
func TestClipGradNormNonFinite(t *testing.T) {
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
		a, b := param("a", 0, 0), param("b", 0)
		setGrad(t, a, 3, bad)
		setGrad(t, b, 4)
		total := optim.ClipGradNorm([]*autograd.Param{a, b}, 1)
		if math.IsNaN(float64(bad)) != math.IsNaN(total) || !math.IsNaN(total) && !math.IsInf(total, 1) {
			t.Errorf("grad %v: norm %v, want NaN for NaN and +Inf for ±Inf", bad, total)
		}
		if a.Grad[0] != 3 || b.Grad[0] != 4 {
			t.Errorf("grad %v: gradients changed to %v, %v", bad, a.Grad, b.Grad)
		}
	}
}

// TestClipGradNormRandom checks the norm of 1000 random values against a
// plain float64 sum (the four partial sums reorder the additions: relative
// difference ≲ 1000·1.1e-16) and the norm after clipping against maxNorm
// (the scale is rounded to float32 and each product once: relative 1.2e-7,
// plus the 1e-6/total of the formula).
func TestClipGradNormRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	ps := []*autograd.Param{randParam(rng, "a", 999), randParam(rng, "b", 1)}
	for _, p := range ps {
		copy(p.Grad, p.Data)
	}
	want := 0.0
	for _, p := range ps {
		for _, g := range p.Grad {
			want += float64(g) * float64(g)
		}
	}
	want = math.Sqrt(want)
	total := optim.ClipGradNorm(ps, 2)
	if math.Abs(total-want) > 1e-13*want {
		t.Errorf("norm %.17g, float64 sum %.17g", total, want)
	}
	after := 0.0
	for _, p := range ps {
		for _, g := range p.Grad {
			after += float64(g) * float64(g)
		}
	}
	after = math.Sqrt(after)
	if exp := 2 * total / (total + 1e-6); math.Abs(after-exp) > 2.4e-7*exp {
		t.Errorf("norm after clipping %.9g, want %.9g", after, exp)
	}
}

// TestClipGradValue checks the clamping, NaN propagation, Frozen Params and
// the panic on a negative clip.
func TestClipGradValue(t *testing.T) {
	nan := float32(math.NaN())
	a, f := param("a", 0, 0, 0, 0, 0), param("frozen", 0)
	setGrad(t, a, -2, 0.5, 3, nan, -0.75)
	setGrad(t, f, 9)
	f.Frozen = true
	optim.ClipGradValue([]*autograd.Param{a, f}, 1)
	wantExact(t, "a", []float32{a.Grad[0], a.Grad[1], a.Grad[2], a.Grad[4]}, -1, 0.5, 1, -0.75)
	if !math.IsNaN(float64(a.Grad[3])) {
		t.Errorf("NaN clamped to %v", a.Grad[3])
	}
	wantExact(t, "frozen", f.Grad, 9)
	for _, bad := range []float64{-1, math.NaN()} {
		func() {
			defer func() {
				if he, ok := recover().(*optim.HyperparamError); !ok || he.Field != "clip" {
					t.Errorf("ClipGradValue(%v): recovered %v", bad, he)
				}
			}()
			optim.ClipGradValue([]*autograd.Param{a}, bad)
		}()
	}
	defer func() {
		if he, ok := recover().(*optim.HyperparamError); !ok || he.Field != "maxNorm" {
			t.Errorf("ClipGradNorm(-1): recovered %v", he)
		}
	}()
	optim.ClipGradNorm([]*autograd.Param{a}, -1)
}
