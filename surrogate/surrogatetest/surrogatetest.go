package surrogatetest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/spikegrad/spikegrad/surrogate"
)

// Case describes the surrogate under test and what its documentation
// promises.
type Case struct {
	// Func is the surrogate under test.
	Func surrogate.Func
	// Peak is the documented maximum of Grad, a positive finite number.
	Peak float32
	// PeakAt is an x where Grad takes the value Peak.
	PeakAt float32
	// Width is the scale of x over which Grad changes, in the units of x:
	// the test points and the finite-difference step are multiples of it.
	// Zero selects the half width at half maximum, measured: the smaller
	// distance from PeakAt at which Grad falls to Peak/2 on either side (1 if
	// it never does, as for StraightThrough). Set it when Grad varies on a
	// much finer scale than that (a narrow spike on a broad base).
	Width float32
	// Breaks lists the x where Grad or its first derivative is discontinuous
	// (a kink such as |x| at 0, the ends of a triangle, the edges of a box).
	// The derivative check skips points within two steps of them, where a
	// central difference averages over the break.
	Breaks []float32
	// Signed marks a surrogate whose Grad is negative somewhere by design
	// (surrogate.MultiGaussian): the checks that Grad is non-negative and
	// that Smooth is non-decreasing are skipped.
	Signed bool
}

// Property is one promise that Check tests.
type Property int

const (
	// InvalidCase: the Case itself is unusable (nil Func, a Peak that is not
	// positive and finite, a bad Width).
	InvalidCase Property = iota
	// Derivative: Grad equals the central difference of Smooth.
	Derivative
	// Finite: Grad and Smooth are finite at every finite x.
	Finite
	// NonNegative: Grad >= 0 at every finite x (unless Case.Signed).
	NonNegative
	// PeakValue: Grad(PeakAt) equals Peak.
	PeakValue
	// PeakBound: Grad never exceeds Peak.
	PeakBound
	// Monotone: Smooth is non-decreasing (unless Case.Signed).
	Monotone
	// SparseCutoff: for a surrogate.Sparse, Grad is exactly 0 at and below
	// Cutoff().
	SparseCutoff
	// Continuous: Smooth has no jump at the breaks, where the derivative
	// check does not look.
	Continuous
)

var propertyNames = [...]string{"invalid case", "derivative", "finite", "non-negative",
	"peak value", "peak bound", "monotone", "sparse cutoff", "continuous"}

// String returns the name of the Property, as used in messages and configs.
func (p Property) String() string {
	if p >= 0 && int(p) < len(propertyNames) {
		return propertyNames[p]
	}
	return fmt.Sprintf("Property(%d)", int(p))
}

// Failure reports a property that a surrogate violates: the worst input
// found, what was computed there and what was expected, and how many of the
// inputs tried fail.
type Failure struct {
	Func     string   // the surrogate's String()
	Property Property // the promise broken
	X        float32  // the worst input
	Got      float64  // the value computed at X
	Want     float64  // the value expected (or the bound)
	Tol      float64  // the tolerance allowed at X
	Failed   int      // inputs that fail
	Tried    int      // inputs tried
	Msg      string   // what was computed, in words
}

// Error returns the message of the Failure.
func (f *Failure) Error() string {
	if f.Property == InvalidCase {
		return fmt.Sprintf("surrogatetest: %s: invalid case: %s", f.Func, f.Msg)
	}
	return fmt.Sprintf("surrogatetest: %s: %s: %s at x = %g: got %.9g, want %.9g (tolerance %.3g); %d of %d inputs fail",
		f.Func, f.Property, f.Msg, f.X, f.Got, f.Want, f.Tol, f.Failed, f.Tried)
}

// Run checks c with Check and reports every failure with t.Error.
func Run(t testing.TB, c Case) {
	t.Helper()
	for _, err := range Check(c) {
		t.Error(err)
	}
}

// Tolerances. Peak-relative constants are fractions of Case.Peak.
const (
	// stepFraction: the finite-difference step h is Width/100.
	stepFraction = 0.01
	// truncTol bounds the truncation error of the central difference,
	// h²/6 · |Grad''|. For a surrogate whose curvature is at most C·Peak/Width²
	// (Width the half width at half maximum) it is C·Peak·(0.01)²/6 ≈
	// 1.7e-5·C·Peak. For the built-ins C <= 2: FastSigmoid 6k²·(0.414/k)² =
	// 1.03, Atan 2c²·(1/c)² = 2, Sigmoid (k²/2)·(1.763/k)² = 1.55, Gaussian
	// (1/σ²)·(1.177σ)² = 1.39, SLAYER (1/a²)·(a ln 2)² = 0.48; the piecewise
	// ones (Triangle, Boxcar, StraightThrough) have a Smooth of degree <= 2,
	// whose central difference is exact. So 1e-3 is a margin of 30 over the
	// largest truncation error, and still exposes a Grad that is off by more
	// than 0.1% of the peak (the tests catch one that is 0.5% too large).
	truncTol = 1e-3
	// smoothUlps: each Smooth value may be off by this many float32 ulps of
	// itself; their difference divided by the step gives the rounding part
	// of the tolerance, computed at every point.
	smoothUlps = 4
	// gradUlps: Grad may be off by this many float32 ulps of itself.
	gradUlps = 4
	// peakRel: Grad(PeakAt) must equal Peak within this relative error, and
	// nothing may exceed Peak by more. A float32 Grad from a closed formula is
	// within a few ulps (about 1e-6 relative) of the documented value.
	peakRel = 1e-5
)

// Check tests the surrogate of c against its promises and returns one
// *Failure per property violated (nil when all hold):
//
//   - Derivative: at about 1,400 points spread over PeakAt ± 20 Width, a few
//     far out to ± 1000 Width, and around each break, Grad(x) equals
//     (Smooth(x+h) - Smooth(x-h)) / 2h with h = Width/100, within
//     1e-3·Peak (the truncation error, h²/6·|Grad”|, is about 1.7e-5·Peak for
//     curvature up to Peak/Width²) plus the rounding of the difference
//     (4 float32 ulps of each Smooth value, divided by 2h) and 4 ulps of Grad.
//     Points within 2h of a break are skipped.
//   - Finite and NonNegative: Grad and Smooth are finite, and Grad >= 0, at
//     0, ±the smallest denormal, ±the smallest normal, ±1e-30 ... ±1e30,
//     ±1e6, ±MaxFloat32, across PeakAt ± 100 Width, and at 4,096 random bit
//     patterns covering every float32 exponent.
//   - PeakValue: |Grad(PeakAt) - Peak| <= 1e-5·Peak.
//   - PeakBound: Grad(x) <= Peak·(1 + 1e-5) on a grid of step Width/64 over
//     PeakAt ± 20 Width and at the random points.
//   - Monotone: Smooth is non-decreasing over the sorted points of the grid,
//     the breaks' neighbourhoods and the extremes, within 4 ulps.
//   - SparseCutoff: for a surrogate.Sparse, Grad(x) == 0 exactly at Cutoff(),
//     just below it, at random points below it and down to -MaxFloat32.
//   - Continuous: at each break b, |Smooth(b+δ) - Smooth(b-δ)| <= 2δ·M with
//     δ = h/4 and M the largest of Peak and |Grad| at b and b±δ (the most
//     a continuous Smooth can rise with such a slope), plus 4 ulps of each
//     value.
//
// A Func whose hyperparameters fail surrogate.Validate gives one InvalidCase
// failure.
//
// The random points come from a fixed seed: Check is deterministic.
func Check(c Case) []error {
	name := "<nil>"
	if c.Func != nil {
		name = c.Func.String()
	}
	invalid := func(msg string) []error {
		return []error{&Failure{Func: name, Property: InvalidCase, Msg: msg}}
	}
	switch {
	case c.Func == nil:
		return invalid("Func is nil")
	case !(c.Peak > 0) || c.Peak > math.MaxFloat32:
		return invalid(fmt.Sprintf("Peak = %v: must be positive and finite", c.Peak))
	case !finite(c.PeakAt):
		return invalid(fmt.Sprintf("PeakAt = %v: must be finite", c.PeakAt))
	case !(c.Width >= 0) || c.Width > 1e30:
		return invalid(fmt.Sprintf("Width = %v: must be 0 (measure it) or positive, at most 1e30", c.Width))
	}
	for _, b := range c.Breaks {
		if !finite(b) {
			return invalid(fmt.Sprintf("break %v: must be finite", b))
		}
	}
	if err := surrogate.Validate(c.Func); err != nil {
		return invalid(err.Error())
	}
	w := float64(c.Width)
	if w == 0 {
		w = measureWidth(c)
	}
	k := &checker{c: c, name: name, w: w, h: w * stepFraction, peak: float64(c.Peak),
		rng: rand.New(rand.NewPCG(0x5eed, 0x5ca1ab1e))}
	var errs []error
	for _, f := range []*Failure{k.derivative(), k.finite(), k.nonNegative(), k.peakValue(), k.peakBound(),
		k.monotone(), k.sparse(), k.continuous()} {
		if f != nil {
			errs = append(errs, f)
		}
	}
	return errs
}

// checker holds one Check's state.
type checker struct {
	c          Case
	name       string
	w, h, peak float64
	rng        *rand.Rand
}

// worst tracks the worst violation of one property.
type worst struct {
	f      *Failure
	excess float64
	failed int
	tried  int
}

// note records one input; bad says it fails and excess how badly (NaN counts
// as the worst).
func (w *worst) note(bad bool, excess float64, f Failure) {
	w.tried++
	if !bad {
		return
	}
	w.failed++
	if math.IsNaN(excess) {
		excess = math.Inf(1)
	}
	if w.f == nil || excess > w.excess {
		w.excess = excess
		ff := f
		w.f = &ff
	}
}

func (w *worst) result() *Failure {
	if w.f == nil {
		return nil
	}
	w.f.Failed, w.f.Tried = w.failed, w.tried
	return w.f
}

func (k *checker) fail(p Property, x float32, got, want, tol float64, msg string) Failure {
	return Failure{Func: k.name, Property: p, X: x, Got: got, Want: want, Tol: tol, Msg: msg}
}

func finite(x float32) bool { return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0) }

// ulp is the spacing of float32 values at |v|.
func ulp(v float32) float64 {
	a := float32(math.Abs(float64(v)))
	if math.IsInf(float64(a), 0) || math.IsNaN(float64(a)) {
		return math.Inf(1)
	}
	if a == math.MaxFloat32 {
		return 0x1p104
	}
	return float64(math.Nextafter32(a, float32(math.Inf(1)))) - float64(a)
}

// at returns the float32 nearest to PeakAt + u·Width.
func (k *checker) at(u float64) float32 { return float32(float64(k.c.PeakAt) + u*k.w) }

// grid returns PeakAt + i·Width/per for i in [-n·per, n·per].
func (k *checker) grid(n, per int) []float32 {
	xs := make([]float32, 0, 2*n*per+1)
	for i := -n * per; i <= n*per; i++ {
		xs = append(xs, k.at(float64(i)/float64(per)))
	}
	return xs
}

// nearBreaks returns points on both sides of every break at distances from
// 2.5 steps to one Width.
func (k *checker) nearBreaks() []float32 {
	var xs []float32
	for _, b := range k.c.Breaks {
		for _, d := range []float64{2.5 * k.h, 4 * k.h, 10 * k.h, k.w / 4, k.w} {
			xs = append(xs, float32(float64(b)-d), float32(float64(b)+d))
		}
	}
	return xs
}

// extremes are inputs at the edges of the float32 range.
func extremes() []float32 {
	pos := []float32{math.SmallestNonzeroFloat32, 0x1p-126, 1e-30, 1e-10, 1e-3, 1, 1e3, 1e6, 1e10, 1e30, math.MaxFloat32}
	xs := []float32{0, float32(math.Copysign(0, -1))}
	for _, p := range pos {
		xs = append(xs, p, -p)
	}
	return xs
}

// randomBits returns n finite float32 values with uniformly random bit
// patterns: every exponent, both signs, denormals included.
func (k *checker) randomBits(n int) []float32 {
	xs := make([]float32, 0, n)
	for len(xs) < n {
		x := math.Float32frombits(k.rng.Uint32())
		if finite(x) {
			xs = append(xs, x)
		}
	}
	return xs
}

// randomUniform returns n points uniform in PeakAt ± r·Width.
func (k *checker) randomUniform(n int, r float64) []float32 {
	xs := make([]float32, n)
	for i := range xs {
		xs[i] = k.at((2*k.rng.Float64() - 1) * r)
	}
	return xs
}

func (k *checker) nearBreak(x float32, dist float64) bool {
	for _, b := range k.c.Breaks {
		if math.Abs(float64(x)-float64(b)) < dist {
			return true
		}
	}
	return false
}

func (k *checker) derivative() *Failure {
	f := k.c.Func
	xs := k.grid(20, 16)
	for _, u := range []float64{30, 50, 100, 1000} {
		xs = append(xs, k.at(u), k.at(-u))
	}
	xs = append(xs, k.nearBreaks()...)
	xs = append(xs, k.randomUniform(512, 30)...)
	var w worst
	for _, x := range xs {
		if k.nearBreak(x, 2*k.h) {
			continue
		}
		xp, xm := float32(float64(x)+k.h), float32(float64(x)-k.h)
		step := float64(xp) - float64(xm) // the step actually taken, exact in float64
		if !(step > 0) {
			continue
		}
		sp, sm := f.Smooth(xp), f.Smooth(xm)
		g := f.Grad(x)
		if !finite(g) || !finite(sp) || !finite(sm) {
			continue // reported by the Finite property
		}
		num := (float64(sp) - float64(sm)) / step
		tol := truncTol*k.peak + smoothUlps*(ulp(sp)+ulp(sm))/step + gradUlps*ulp(g)
		diff := math.Abs(float64(g) - num)
		w.note(!(diff <= tol), diff/tol, k.fail(Derivative, x, float64(g), num, tol,
			"Grad differs from the central difference of Smooth"))
	}
	return w.result()
}

// allPoints is every input of the finiteness checks.
func (k *checker) allPoints() []float32 {
	xs := extremes()
	xs = append(xs, k.c.PeakAt)
	xs = append(xs, k.c.Breaks...)
	xs = append(xs, k.nearBreaks()...)
	xs = append(xs, k.grid(100, 4)...)
	xs = append(xs, k.randomBits(4096)...)
	return xs
}

func (k *checker) finite() *Failure {
	f := k.c.Func
	var w worst
	for _, x := range k.allPoints() {
		g, s := f.Grad(x), f.Smooth(x)
		switch {
		case !finite(g):
			w.note(true, math.Inf(1), k.fail(Finite, x, float64(g), 0, 0, "Grad is not finite"))
		case !finite(s):
			w.note(true, math.Inf(1), k.fail(Finite, x, float64(s), 0, 0, "Smooth is not finite"))
		default:
			w.note(false, 0, Failure{})
		}
	}
	return w.result()
}

func (k *checker) nonNegative() *Failure {
	if k.c.Signed {
		return nil
	}
	f := k.c.Func
	var w worst
	for _, x := range k.allPoints() {
		g := f.Grad(x)
		if math.IsNaN(float64(g)) {
			continue // reported by the Finite property
		}
		w.note(g < 0, -float64(g), k.fail(NonNegative, x, float64(g), 0, 0, "Grad is negative"))
	}
	return w.result()
}

func (k *checker) peakValue() *Failure {
	g := k.c.Func.Grad(k.c.PeakAt)
	tol := peakRel * k.peak
	diff := math.Abs(float64(g) - k.peak)
	var w worst
	w.note(!(diff <= tol), diff/tol, k.fail(PeakValue, k.c.PeakAt, float64(g), k.peak, tol,
		"Grad at PeakAt differs from Peak"))
	return w.result()
}

func (k *checker) peakBound() *Failure {
	f := k.c.Func
	xs := k.grid(20, 64)
	xs = append(xs, k.nearBreaks()...)
	xs = append(xs, k.randomUniform(4096, 100)...)
	xs = append(xs, k.randomBits(1024)...)
	tol := peakRel * k.peak
	var w worst
	for _, x := range xs {
		g := float64(f.Grad(x))
		if math.IsNaN(g) {
			continue // reported by the Finite property
		}
		w.note(g > k.peak+tol, (g-k.peak)/tol, k.fail(PeakBound, x, g, k.peak, tol, "Grad exceeds Peak"))
	}
	return w.result()
}

func (k *checker) monotone() *Failure {
	if k.c.Signed {
		return nil
	}
	f := k.c.Func
	xs := k.grid(20, 64)
	xs = append(xs, k.nearBreaks()...)
	xs = append(xs, k.c.Breaks...)
	xs = append(xs, extremes()...)
	xs = append(xs, k.at(100), k.at(-100), k.at(1000), k.at(-1000))
	slices.Sort(xs)
	xs = slices.Compact(xs)
	var w worst
	prevX, prev := xs[0], f.Smooth(xs[0])
	for _, x := range xs[1:] {
		s := f.Smooth(x)
		tol := smoothUlps * math.Max(ulp(s), ulp(prev))
		drop := float64(prev) - float64(s)
		w.note(drop > tol, drop/tol, k.fail(Monotone, x, float64(s), float64(prev), tol,
			fmt.Sprintf("Smooth decreases from x = %g", prevX)))
		prevX, prev = x, s
	}
	return w.result()
}

func (k *checker) sparse() *Failure {
	sp, ok := k.c.Func.(surrogate.Sparse)
	if !ok {
		return nil
	}
	cut := sp.Cutoff()
	var w worst
	if !finite(cut) {
		w.note(true, math.Inf(1), k.fail(SparseCutoff, cut, float64(cut), 0, 0, "Cutoff is not finite"))
		return w.result()
	}
	xs := []float32{cut, math.Nextafter32(cut, float32(math.Inf(-1))), -math.MaxFloat32, -1e30}
	for i := 1; i <= 64; i++ {
		xs = append(xs, float32(float64(cut)-float64(i)*k.h))
	}
	for _, d := range []float64{1, 10, 100, 1e6} {
		xs = append(xs, float32(float64(cut)-d*k.w))
	}
	for range 1024 {
		xs = append(xs, float32(float64(cut)-k.rng.Float64()*100*k.w))
	}
	for _, x := range xs {
		if x > cut {
			continue
		}
		g := sp.Grad(x)
		w.note(g != 0, math.Abs(float64(g)), k.fail(SparseCutoff, x, float64(g), 0, 0,
			fmt.Sprintf("Grad is not zero at or below Cutoff() = %g", cut)))
	}
	return w.result()
}

func (k *checker) continuous() *Failure {
	f := k.c.Func
	d := k.h / 4
	var w worst
	for _, b := range k.c.Breaks {
		xp, xm := float32(float64(b)+d), float32(float64(b)-d)
		sp, sm := f.Smooth(xp), f.Smooth(xm)
		m := k.peak
		for _, x := range []float32{xm, b, xp} {
			m = math.Max(m, math.Abs(float64(f.Grad(x))))
		}
		bound := (float64(xp)-float64(xm))*m + smoothUlps*(ulp(sp)+ulp(sm))
		jump := math.Abs(float64(sp) - float64(sm))
		w.note(!(jump <= bound), jump/bound, k.fail(Continuous, b, float64(sp)-float64(sm), 0, bound,
			"Smooth jumps across the break"))
	}
	return w.result()
}

// measureWidth returns the half width at half maximum: the smaller distance
// from PeakAt at which Grad falls to Peak/2 on either side, or 1 if it does
// not within 1e30.
func measureWidth(c Case) float64 {
	half := float64(c.Peak) / 2
	g := func(d float64) float64 { return float64(c.Func.Grad(float32(float64(c.PeakAt) + d))) }
	best := math.Inf(1)
	for _, side := range []float64{1, -1} {
		lo, hi := 0.0, 0x1p-40
		for hi < 1e30 && !(g(side*hi) <= half) {
			lo, hi = hi, hi*2
		}
		if hi >= 1e30 {
			continue
		}
		for range 60 {
			mid := (lo + hi) / 2
			if g(side*mid) <= half {
				hi = mid
			} else {
				lo = mid
			}
		}
		best = math.Min(best, hi)
	}
	if math.IsInf(best, 1) || best == 0 {
		return 1
	}
	return best
}
