package surrogatetest_test

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/spikegrad/spikegrad/surrogate"
	"github.com/spikegrad/spikegrad/surrogate/surrogatetest"
)

// doubled claims FastSigmoid's Smooth but returns twice its derivative: the
// derivative check must catch it.
type doubled struct{ surrogate.FastSigmoid }

func (d doubled) Grad(x float32) float32 { return 2 * d.FastSigmoid.Grad(x) }
func (d doubled) String() string         { return "doubled" }

// misscaled claims Atan's Smooth but returns its derivative times 1.005: a
// gradient 0.5% too large, five times the tolerance at the peak.
type misscaled struct{ surrogate.Atan }

func (m misscaled) Grad(x float32) float32 { return 1.005 * m.Atan.Grad(x) }
func (m misscaled) String() string         { return "misscaled" }

// naiveSigmoid is the sigmoid surrogate in snnTorch's form, evaluated in
// float32: k e^(-kx) / (e^(-kx) + 1)², which gives Inf/Inf = NaN once e^(-kx)
// overflows (x < -3.55 for k = 25).
type naiveSigmoid struct{}

func (naiveSigmoid) Grad(x float32) float32 {
	e := float32(math.Exp(float64(-25 * x)))
	return 25 * e / ((e + 1) * (e + 1))
}
func (naiveSigmoid) Smooth(x float32) float32 { return surrogate.Sigmoid{}.Smooth(x) }
func (naiveSigmoid) String() string           { return "naiveSigmoid" }

// stepTriangle is snnTorch's "triangular" surrogate: threshold below 0 and
// -threshold from 0 on (threshold 1), with the Smooth it implies, -|x|. It is
// not a triangle and not non-negative.
type stepTriangle struct{}

func (stepTriangle) Grad(x float32) float32 {
	if x < 0 {
		return 1
	}
	return -1
}
func (stepTriangle) Smooth(x float32) float32 { return -float32(math.Abs(float64(x))) }
func (stepTriangle) String() string           { return "stepTriangle" }

// jumpy is FastSigmoid with a Smooth that jumps by 0.01 at x = 0.5 and
// declares a break there, where the derivative check does not look.
type jumpy struct{ surrogate.FastSigmoid }

func (j jumpy) Smooth(x float32) float32 {
	s := j.FastSigmoid.Smooth(x)
	if x > 0.5 {
		s += 0.01
	}
	return s
}
func (jumpy) String() string { return "jumpy" }

// shifted moves a surrogate's peak to x = d.
type shifted struct {
	f surrogate.Func
	d float32
}

func (s shifted) Grad(x float32) float32   { return s.f.Grad(x - s.d) }
func (s shifted) Smooth(x float32) float32 { return s.f.Smooth(x - s.d) }
func (s shifted) String() string           { return "shifted" }

// lyingSparse claims a cutoff below which its Gaussian gradient is not zero.
type lyingSparse struct{ surrogate.Gaussian }

func (lyingSparse) Cutoff() float32 { return -1 }
func (lyingSparse) String() string  { return "lyingSparse" }

// properties returns the properties that Check reports as failed, and fails
// the test if an error is not a *Failure.
func properties(t *testing.T, errs []error) map[surrogatetest.Property]*surrogatetest.Failure {
	t.Helper()
	m := map[surrogatetest.Property]*surrogatetest.Failure{}
	for _, err := range errs {
		var f *surrogatetest.Failure
		if !errors.As(err, &f) {
			t.Fatalf("error %v (%T) is not a *Failure", err, err)
		}
		m[f.Property] = f
	}
	return m
}

func TestCheckCatches(t *testing.T) {
	cases := []struct {
		name string
		c    surrogatetest.Case
		want []surrogatetest.Property // exactly these fail
	}{
		{"correct FastSigmoid", surrogatetest.Case{Func: surrogate.FastSigmoid{}, Peak: 1, Breaks: []float32{0}}, nil},
		{"peak away from 0", surrogatetest.Case{Func: shifted{surrogate.FastSigmoid{}, 0.3}, Peak: 1, PeakAt: 0.3,
			Breaks: []float32{0.3}}, nil},
		{"explicit width", surrogatetest.Case{Func: surrogate.Sigmoid{}, Peak: 6.25, Width: 0.05}, nil},
		// Grad is 2× the derivative of Smooth: off by 1 (= Peak) at x = 0.
		{"doubled gradient", surrogatetest.Case{Func: doubled{}, Peak: 2, Breaks: []float32{0}},
			[]surrogatetest.Property{surrogatetest.Derivative}},
		{"gradient 0.5% too large", surrogatetest.Case{Func: misscaled{}, Peak: 1.005},
			[]surrogatetest.Property{surrogatetest.Derivative}},
		// The kink of |x| at 0 left undeclared: the central difference at 0
		// averages Grad over [-h, h], about 1 - k h = 1 - 0.004, 4 times the
		// tolerance below the peak.
		{"undeclared kink", surrogatetest.Case{Func: surrogate.FastSigmoid{}, Peak: 1},
			[]surrogatetest.Property{surrogatetest.Derivative}},
		{"overflowing sigmoid", surrogatetest.Case{Func: naiveSigmoid{}, Peak: 6.25},
			[]surrogatetest.Property{surrogatetest.Finite}},
		// Grad -1 for x >= 0, Smooth -|x| decreasing there; Grad = 1 = Peak
		// below 0 and the peak is at -1.
		{"step 'triangle'", surrogatetest.Case{Func: stepTriangle{}, Peak: 1, PeakAt: -1, Width: 1, Breaks: []float32{0}},
			[]surrogatetest.Property{surrogatetest.NonNegative, surrogatetest.Monotone}},
		// A documented peak that is half the real one.
		{"wrong peak", surrogatetest.Case{Func: surrogate.Atan{}, Peak: 0.5},
			[]surrogatetest.Property{surrogatetest.PeakValue, surrogatetest.PeakBound}},
		// The peak placed where Grad is lower.
		{"wrong peak position", surrogatetest.Case{Func: surrogate.Atan{}, Peak: 0.5, PeakAt: 1 / math.Pi},
			[]surrogatetest.Property{surrogatetest.PeakBound}},
		{"jump at a break", surrogatetest.Case{Func: jumpy{}, Peak: 1, Breaks: []float32{0, 0.5}},
			[]surrogatetest.Property{surrogatetest.Continuous}},
		{"bad hyperparameter", surrogatetest.Case{Func: surrogate.Atan{Alpha: -1}, Peak: 1},
			[]surrogatetest.Property{surrogatetest.InvalidCase}},
		{"lying cutoff", surrogatetest.Case{Func: lyingSparse{}, Peak: 0.79788456},
			[]surrogatetest.Property{surrogatetest.SparseCutoff}},
		// MultiGaussian without Signed: negative tails, non-monotone Smooth.
		{"unsigned MultiGaussian", surrogatetest.Case{Func: surrogate.MultiGaussian{}, Peak: 0.43911164},
			[]surrogatetest.Property{surrogatetest.NonNegative, surrogatetest.Monotone}},
		{"nil Func", surrogatetest.Case{Peak: 1}, []surrogatetest.Property{surrogatetest.InvalidCase}},
		{"zero Peak", surrogatetest.Case{Func: surrogate.Atan{}}, []surrogatetest.Property{surrogatetest.InvalidCase}},
		{"NaN Width", surrogatetest.Case{Func: surrogate.Atan{}, Peak: 1, Width: float32(math.NaN())},
			[]surrogatetest.Property{surrogatetest.InvalidCase}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := properties(t, surrogatetest.Check(c.c))
			for _, p := range c.want {
				if got[p] == nil {
					t.Errorf("%v not reported; got %v", p, got)
				}
			}
			if len(got) != len(c.want) {
				t.Errorf("failed properties %v, want exactly %v", keys(got), c.want)
			}
		})
	}
}

func keys(m map[surrogatetest.Property]*surrogatetest.Failure) []string {
	var s []string
	for p, f := range m {
		s = append(s, fmt.Sprintf("%v (%v)", p, f))
	}
	return s
}

// TestDoubledWitness: the worst witness of the doubled gradient is where the
// gap is largest, at the peak: Grad 2 against a central difference of about 1.
func TestDoubledWitness(t *testing.T) {
	m := properties(t, surrogatetest.Check(surrogatetest.Case{Func: doubled{}, Peak: 2, Breaks: []float32{0}}))
	f := m[surrogatetest.Derivative]
	if f == nil {
		t.Fatal("no derivative failure")
	}
	// The nearest tested points to 0 are 2.5 steps away (0.0104/25 at most),
	// where Grad ≈ 2/(1+0.01)² ≈ 1.96 and the difference ≈ 0.98.
	if math.Abs(float64(f.X)) > 0.02 || f.Got < 1.9 || math.Abs(f.Want-f.Got/2) > 0.01 {
		t.Errorf("worst witness %+v", f)
	}
	if f.Failed == 0 || f.Tried < 1000 {
		t.Errorf("failed %d of %d", f.Failed, f.Tried)
	}
}

// fakeTB records Run's reports; it embeds testing.TB for the methods Run
// does not call.
type fakeTB struct {
	testing.TB
	errs []string
}

func (f *fakeTB) Helper()           {}
func (f *fakeTB) Error(args ...any) { f.errs = append(f.errs, fmt.Sprint(args...)) }

func TestRun(t *testing.T) {
	var good, bad fakeTB
	surrogatetest.Run(&good, surrogatetest.Case{Func: surrogate.Sigmoid{}, Peak: 6.25})
	surrogatetest.Run(&bad, surrogatetest.Case{Func: doubled{}, Peak: 2, Breaks: []float32{0}})
	if len(good.errs) != 0 {
		t.Errorf("Run on Sigmoid reported %q", good.errs)
	}
	if len(bad.errs) != 1 {
		t.Errorf("Run on a doubled gradient reported %q, want one error", bad.errs)
	}
}

func TestPropertyString(t *testing.T) {
	if s := surrogatetest.Derivative.String(); s != "derivative" {
		t.Errorf("Derivative.String() = %q", s)
	}
	if s := surrogatetest.Property(99).String(); s != "Property(99)" {
		t.Errorf("Property(99).String() = %q", s)
	}
}
