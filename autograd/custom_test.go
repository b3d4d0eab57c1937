package autograd_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/autograd/gradcheck"
)

func cube(x float32) float32      { return x * x * x }
func cubeDeriv(x float32) float32 { return 3 * x * x }

// softsign is x / (1 + |x|), whose derivative is 1 / (1 + |x|)².
type softsign struct{}

func (softsign) Forward(y, x []float32) {
	for i, v := range x {
		y[i] = v / (1 + float32(math.Abs(float64(v))))
	}
}

func (softsign) Backward(dx, x, _, dy []float32) {
	for i, v := range x {
		d := 1 + float32(math.Abs(float64(v)))
		dx[i] += dy[i] / (d * d)
	}
}

func TestCustomNilDerivative(t *testing.T) {
	x := autograd.NewParam("x", []float32{1}, 1)
	tp := autograd.NewTape()
	defer func() {
		var te *autograd.TapeError
		err, _ := recover().(error)
		if !errors.As(err, &te) || te.Op != "Custom" {
			t.Errorf("recovered %v, want a *TapeError for Custom", err)
		}
	}()
	tp.Custom(tp.Param(x), cube, nil)
}

// TestGradcheckCatchesWrongDerivative shows that the checker fails: a Custom
// op whose derivative is off by a factor (2x² instead of 3x² for x³) must
// give a *gradcheck.Mismatch.
func TestGradcheckCatchesWrongDerivative(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	x := uniformParam(rng, "x", 0.5, 1, nil, 5) // |3x² - 2x²| = x² ≥ 0.25: far outside tolerance
	wrong := func(v float32) float32 { return 2 * v * v }
	err := gradcheck.Check(func(tp *autograd.Tape) *autograd.Var { return tp.Custom(tp.Param(x), cube, wrong) },
		[]*autograd.Param{x}, gradcheck.Options{})
	var m *gradcheck.Mismatch
	if !errors.As(err, &m) {
		t.Fatalf("Check returned %v, want a *gradcheck.Mismatch", err)
	}
	if m.Failed != 5 || m.Checked != 5 || m.Param != "x" {
		t.Errorf("mismatch %+v, want all 5 elements of x failed", m)
	}
}

// TestApplyAccumulates checks that CustomOp.Backward adds to a gradient that
// other uses of x have already written (Square's backward runs first here).
func TestApplyAccumulates(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	x := uniformParam(rng, "x", -2, 2, nil, 3, 4)
	check(t, func(tp *autograd.Tape) *autograd.Var {
		xv := tp.Param(x)
		return tp.Mul(tp.Apply(xv, softsign{}), tp.Square(xv))
	}, x)
}
