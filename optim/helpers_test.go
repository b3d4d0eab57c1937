package optim_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
)

// param returns a one-dimensional Param holding a copy of vals.
func param(name string, vals ...float32) *autograd.Param {
	return autograd.NewParam(name, append([]float32(nil), vals...), len(vals))
}

// randParam returns a Param of n values drawn from N(0, 1).
func randParam(rng *rand.Rand, name string, n int) *autograd.Param {
	p := autograd.NewParam(name, nil, n)
	for i := range p.Data {
		p.Data[i] = float32(rng.NormFloat64())
	}
	return p
}

// cloneParam returns a Param with the same name, shape, values and gradient.
func cloneParam(p *autograd.Param) *autograd.Param {
	q := autograd.NewParam(p.Name, append([]float32(nil), p.Data...), p.Shape()...)
	copy(q.Grad, p.Grad)
	q.Frozen = p.Frozen
	return q
}

// setGrad copies g into p.Grad.
func setGrad(t *testing.T, p *autograd.Param, g ...float32) {
	t.Helper()
	if len(g) != len(p.Grad) {
		t.Fatalf("setGrad %s: %d values for %d elements", p.Name, len(g), len(p.Grad))
	}
	copy(p.Grad, g)
}

// wantExact fails unless got equals want element for element.
func wantExact(t *testing.T, what string, got []float32, want ...float32) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s[%d] = %v, want exactly %v", what, i, got[i], want[i])
		}
	}
}

// wantClose fails unless |got - want| <= tol for every element.
func wantClose(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= tol) {
			t.Errorf("%s[%d] = %.9g, want %.9g (|diff| %.3g > %.3g)", what, i, got[i], want[i], d, tol)
		}
	}
}

// must returns v, panicking on a non-nil error (a constructor refusing a
// configuration that a test means to be valid is a bug of the test).
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
