package surrogate_test

import (
	"errors"
	"math"
	"testing"

	"github.com/spikegrad/spikegrad/surrogate"
	"github.com/spikegrad/spikegrad/surrogate/surrogatetest"
)

// conformance lists every built-in with the peak its doc comment states and
// the breaks of its Grad. The peaks are the doc formulas evaluated by hand.
var conformance = []struct {
	name string
	c    surrogatetest.Case
}{
	// Peak 1 at 0; |x| makes a kink at 0.
	{"FastSigmoid", surrogatetest.Case{Func: surrogate.FastSigmoid{}, Peak: 1, Breaks: []float32{0}}},
	{"FastSigmoid/slope=5", surrogatetest.Case{Func: surrogate.FastSigmoid{Slope: 5}, Peak: 1, Breaks: []float32{0}}},
	// Peak 1 at 0; kink at 0, jumps at ±B = ±0.2.
	{"SparseFastSigmoid", surrogatetest.Case{Func: surrogate.SparseFastSigmoid{}, Peak: 1,
		Breaks: []float32{-0.2, 0, 0.2}}},
	{"SparseFastSigmoid/k=25,B=1", surrogatetest.Case{Func: surrogate.SparseFastSigmoid{Slope: 25, B: 1}, Peak: 1,
		Breaks: []float32{-1, 0, 1}}},
	// Peak ScaleRho/(2 TauRho Theta): 1/(2·1·1) = 0.5; kink at 0.
	{"SLAYER", surrogatetest.Case{Func: surrogate.SLAYER{}, Peak: 0.5, Breaks: []float32{0}}},
	// 2/(2·0.5·10) = 0.2.
	{"SLAYER/theta=10", surrogatetest.Case{Func: surrogate.SLAYER{TauRho: 0.5, ScaleRho: 2, Theta: 10}, Peak: 0.2,
		Breaks: []float32{0}}},
	// Peak α/2 = 1.
	{"Atan", surrogatetest.Case{Func: surrogate.Atan{}, Peak: 1}},
	// Peak k/4 = 25/4 = 6.25.
	{"Sigmoid", surrogatetest.Case{Func: surrogate.Sigmoid{}, Peak: 6.25}},
	{"Sigmoid/slope=4", surrogatetest.Case{Func: surrogate.Sigmoid{Slope: 4}, Peak: 1}},
	// Peak Height = 1; kinks at 0 and ±HalfWidth.
	{"Triangle", surrogatetest.Case{Func: surrogate.Triangle{}, Peak: 1, Breaks: []float32{-1, 0, 1}}},
	{"Triangle/Bellec", surrogatetest.Case{Func: surrogate.Triangle{Height: 0.3}, Peak: 0.3, Breaks: []float32{-1, 0, 1}}},
	// Peak Height = 1; jumps at ±HalfWidth = ±0.5.
	{"Boxcar", surrogatetest.Case{Func: surrogate.Boxcar{}, Peak: 1, Breaks: []float32{-0.5, 0.5}}},
	{"Boxcar/wide", surrogatetest.Case{Func: surrogate.Boxcar{HalfWidth: 2, Height: 0.25}, Peak: 0.25,
		Breaks: []float32{-2, 2}}},
	// Grad is 1 everywhere.
	{"StraightThrough", surrogatetest.Case{Func: surrogate.StraightThrough{}, Peak: 1}},
	// Peak 1/(σ√(2π)) = 1/(0.5·2.5066283) = 0.79788456.
	{"Gaussian", surrogatetest.Case{Func: surrogate.Gaussian{}, Peak: 0.79788456}},
	// Peak γ[(1+h)/(σ√(2π)) - 2h/(sσ√(2π)) exp(-1/(2s²))] with σ = 0.5, h = 0.15,
	// s = 6, γ = 0.5: 0.5·[1.15·0.79788456 - 0.3·0.13298076·0.98620712] = 0.43911164.
	{"MultiGaussian", surrogatetest.Case{Func: surrogate.MultiGaussian{}, Peak: 0.43911164, Signed: true}},
}

func TestConformance(t *testing.T) {
	for _, c := range conformance {
		t.Run(c.name, func(t *testing.T) { surrogatetest.Run(t, c.c) })
	}
}

// TestFormulas checks every doc-comment formula at points where it can be
// evaluated by hand. Tolerance: 4e-7 relative (3 float32 ulps), the rounding
// of a few float32 operations; a wrong formula is off by far more.
func TestFormulas(t *testing.T) {
	const (
		ln2  = 0.6931471805599453
		ln3  = 1.0986122886681098
		invE = 0.36787944117144233 // e^-1
	)
	type pt struct {
		x, grad, smooth float64
	}
	cases := []struct {
		f   surrogate.Func
		pts []pt
	}{
		{surrogate.FastSigmoid{}, []pt{
			{0, 1, 0.04},        // 1/(1+0)²; 1/k = 1/25
			{0.04, 0.25, 0.06},  // 1/(1+25·0.04)² = 1/4; 0.04 + 0.04/(1+1)
			{-0.04, 0.25, 0.02}, // symmetric; 0.04 - 0.02
			{0.2, 1.0 / 36, 0.04 + 0.2/6},
			{-1e30, 1.0 / (25e30 * 25e30), 1 / (25 * (1 + 25e30))}, // tails: 1/(k|x|)², 1/(k(1+k|x|))
		}},
		{surrogate.FastSigmoid{Slope: 10}, []pt{{0.1, 0.25, 0.1 + 0.1/2}}},
		{surrogate.SparseFastSigmoid{}, []pt{
			{0, 1, 0.01 - 0.01/21}, // C(0) - C(-B) = 1/k - 1/(k(1+kB)), k = 100, B = 0.2
			{0.01, 0.25, 0.01 + 0.01/2 - 0.01/21},
			{0.19, 1.0 / 400, 0.02 - 1/(100*20.0) - 0.01/21}, // 1/(1+19)²
			{0.2, 0, 0.4 / 21},                               // |x| >= B: 0; Smooth = 2B/(1+kB)
			{-0.2, 0, 0},
			{-0.5, 0, 0},
			{3, 0, 0.4 / 21},
		}},
		{surrogate.SLAYER{}, []pt{
			{0, 0.5, 0.5},                 // 1/(2·1·1); ScaleRho/2
			{1, 0.5 * invE, 1 - 0.5*invE}, // e^-1 per TauRho·Theta
			{-1, 0.5 * invE, 0.5 * invE},  //
			{ln2, 0.25, 0.75},             // half maximum at ln 2·TauRho·Theta
		}},
		{surrogate.SLAYER{TauRho: 0.5, ScaleRho: 2, Theta: 2}, []pt{
			{0, 1, 1},           // 2/(2·0.5·2) = 1; ScaleRho/2
			{1, invE, 2 - invE}, // a = 1
		}},
		{surrogate.Atan{}, []pt{
			{0, 1, 0.5},
			{1 / math.Pi, 0.5, 0.75}, // π·2·x/2 = 1: (2/2)/(1+1); 1/2 + atan(1)/π
			{-1 / math.Pi, 0.5, 0.25},
		}},
		{surrogate.Atan{Alpha: 4}, []pt{{0, 2, 0.5}}},
		{surrogate.Sigmoid{}, []pt{
			{0, 6.25, 0.5},                     // k/4
			{ln3 / 25, 25 * 0.75 * 0.25, 0.75}, // s(ln 3) = 3/4
			{-ln3 / 25, 25 * 0.75 * 0.25, 0.25},
			// Where snnTorch's form overflows (its (e^(-kx) + 1)² is
			// (1e38)² = Inf): 25 e^-87.5/(1+e^-87.5)² = 2.4955877e-37. (Smooth
			// is e^-87.5 = 1e-38 there, a denormal with fewer significant bits
			// than the tolerance assumes: not checked.)
			{-3.5, 2.495587732642312e-37, math.NaN()},
		}},
		{surrogate.Triangle{}, []pt{
			{0, 1, 0.5},
			{0.5, 0.5, 0.875},      // 1 - 0.5; 1 - 0.5²/2
			{-0.25, 0.75, 0.28125}, // 1 - 0.25; 0.75²/2
			{1, 0, 1},
			{-1, 0, 0},
			{5, 0, 1},
		}},
		{surrogate.Triangle{HalfWidth: 2, Height: 0.3}, []pt{{1, 0.15, 0.6 - 0.3*1/4}}}, // h a - h(a-x)²/(2a)
		{surrogate.Boxcar{}, []pt{
			{0, 1, 0.5},
			{0.25, 1, 0.75},
			{0.49, 1, 0.99},
			{0.5, 0, 1}, // open interval: the edges have gradient 0
			{-0.5, 0, 0},
			{7, 0, 1},
		}},
		{surrogate.StraightThrough{}, []pt{{0, 1, 0.5}, {2, 1, 2.5}, {-1e6, 1, -999999.5}}},
		{surrogate.Gaussian{}, []pt{
			{0, 0.7978845608028654, 0.5},                   // 1/(0.5√(2π))
			{0.5, 0.48394144903828673, 0.8413447460685429}, // e^-1/2 of the peak; Φ(1)
		}},
		{surrogate.MultiGaussian{}, []pt{
			{0, 0.43911163665655056, 0.2125},         // the peak; γ[(1+h)/2 - h/2 - h/2] = 0.5·0.425
			{1.5, -0.012324155156654928, math.NaN()}, // a negative tail
			{50, 0, 0.425},                           // γ(1 - h)
		}},
	}
	for _, c := range cases {
		for _, p := range c.pts {
			x := float32(p.x)
			if g := c.f.Grad(x); !close32(g, p.grad, 4e-7) {
				t.Errorf("%v.Grad(%v) = %v, want %v", c.f, x, g, p.grad)
			}
			if math.IsNaN(p.smooth) {
				continue
			}
			if s := c.f.Smooth(x); !close32(s, p.smooth, 4e-7) {
				t.Errorf("%v.Smooth(%v) = %v, want %v", c.f, x, s, p.smooth)
			}
		}
	}
}

// close32 reports whether got is within rel of want, relative to |want|, or
// both are (near) zero: |got - want| <= rel·|want| + 1e-45.
func close32(got float32, want, rel float64) bool {
	return math.Abs(float64(got)-want) <= rel*math.Abs(want)+1e-45
}

// TestDefaults checks that a zero field means the documented default: the
// zero value and the explicit default give bit-identical results.
func TestDefaults(t *testing.T) {
	pairs := [][2]surrogate.Func{
		{surrogate.FastSigmoid{}, surrogate.FastSigmoid{Slope: 25}},
		{surrogate.SparseFastSigmoid{}, surrogate.SparseFastSigmoid{Slope: 100, B: 0.2}},
		{surrogate.SLAYER{}, surrogate.SLAYER{TauRho: 1, ScaleRho: 1, Theta: 1}},
		{surrogate.Atan{}, surrogate.Atan{Alpha: 2}},
		{surrogate.Sigmoid{}, surrogate.Sigmoid{Slope: 25}},
		{surrogate.Triangle{}, surrogate.Triangle{HalfWidth: 1, Height: 1}},
		{surrogate.Boxcar{}, surrogate.Boxcar{HalfWidth: 0.5, Height: 1}},
		{surrogate.Gaussian{}, surrogate.Gaussian{Sigma: 0.5}},
		{surrogate.MultiGaussian{}, surrogate.MultiGaussian{Sigma: 0.5, H: 0.15, S: 6, Gamma: 0.5}},
	}
	for _, p := range pairs {
		if p[0].String() != p[1].String() {
			t.Errorf("String: %q vs %q", p[0], p[1])
		}
		for i := -100; i <= 100; i++ {
			x := float32(i) / 37
			if a, b := p[0].Grad(x), p[1].Grad(x); a != b {
				t.Errorf("%v: Grad(%v) = %v with the zero value, %v with the explicit default", p[1], x, a, b)
				break
			}
			if a, b := p[0].Smooth(x), p[1].Smooth(x); a != b {
				t.Errorf("%v: Smooth(%v) = %v with the zero value, %v with the explicit default", p[1], x, a, b)
				break
			}
		}
	}
}

func TestString(t *testing.T) {
	cases := map[surrogate.Func]string{
		surrogate.FastSigmoid{}:           "FastSigmoid(slope=25)",
		surrogate.FastSigmoid{Slope: 2.5}: "FastSigmoid(slope=2.5)",
		surrogate.SparseFastSigmoid{}:     "SparseFastSigmoid(slope=100, B=0.2)",
		surrogate.SLAYER{Theta: 10}:       "SLAYER(tauRho=1, scaleRho=1, theta=10)",
		surrogate.Atan{}:                  "Atan(alpha=2)",
		surrogate.Sigmoid{}:               "Sigmoid(slope=25)",
		surrogate.Triangle{Height: 0.3}:   "Triangle(halfWidth=1, height=0.3)",
		surrogate.Boxcar{}:                "Boxcar(halfWidth=0.5, height=1)",
		surrogate.StraightThrough{}:       "StraightThrough",
		surrogate.Gaussian{}:              "Gaussian(sigma=0.5)",
		surrogate.MultiGaussian{}:         "MultiGaussian(sigma=0.5, h=0.15, s=6, gamma=0.5)",
		surrogate.FastSigmoid{Slope: float32(math.Float32frombits(1))}: "FastSigmoid(slope=1e-45)",
	}
	for f, want := range cases {
		if got := f.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}

// TestBadParams checks that a negative, NaN or infinite hyperparameter
// panics with a *ParamError naming it, and that Validate returns the same
// error.
func TestBadParams(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	cases := []struct {
		f    surrogate.Func
		name string
	}{
		{surrogate.FastSigmoid{Slope: -1}, "Slope"},
		{surrogate.SparseFastSigmoid{B: nan}, "B"},
		{surrogate.SLAYER{Theta: -2}, "Theta"},
		{surrogate.SLAYER{TauRho: 1e-30, Theta: 1e-30}, "peak"}, // 1/(2e-60) overflows float32
		{surrogate.Atan{Alpha: inf}, "Alpha"},
		{surrogate.Sigmoid{Slope: -inf}, "Slope"},
		{surrogate.Triangle{HalfWidth: -1}, "HalfWidth"},
		{surrogate.Boxcar{Height: nan}, "Height"},
		{surrogate.Gaussian{Sigma: 1e-45}, "peak"},
		{surrogate.MultiGaussian{S: -6}, "S"},
	}
	for _, c := range cases {
		err := surrogate.Validate(c.f)
		var pe *surrogate.ParamError
		if !errors.As(err, &pe) || pe.Name != c.name {
			t.Errorf("Validate(%v) = %v, want a *ParamError for %s", c.f, err, c.name)
		}
		func() {
			defer func() {
				r := recover()
				if pe, ok := r.(*surrogate.ParamError); !ok || pe.Name != c.name {
					t.Errorf("%v.Grad: recovered %v, want a *ParamError for %s", c.f, r, c.name)
				}
			}()
			c.f.Grad(0)
		}()
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("GradInto with %v did not panic", c.f)
				}
			}()
			surrogate.GradInto(c.f, make([]float32, 1), make([]float32, 1))
		}()
	}
	for _, c := range conformance {
		if err := surrogate.Validate(c.c.Func); err != nil {
			t.Errorf("Validate(%v) = %v", c.c.Func, err)
		}
	}
	if err := surrogate.Validate(nil); err == nil {
		t.Error("Validate(nil) = nil")
	}
}

// TestInfiniteInputs: beyond the finite inputs of the suite, the built-ins
// give the limits of their formulas at ±Inf, never NaN.
func TestInfiniteInputs(t *testing.T) {
	for _, c := range conformance {
		f := c.c.Func
		for _, x := range []float32{float32(math.Inf(1)), float32(math.Inf(-1))} {
			g := f.Grad(x)
			want := float32(0)
			if _, ok := f.(surrogate.StraightThrough); ok {
				want = 1
			}
			if g != want {
				t.Errorf("%v.Grad(%v) = %v, want %v", f, x, g, want)
			}
			if s := f.Smooth(x); math.IsNaN(float64(s)) {
				t.Errorf("%v.Smooth(%v) = NaN", f, x)
			}
		}
	}
}

// TestGradInto checks that the specialised loops give bit for bit what Grad
// gives, with and without a threshold shift.
func TestGradInto(t *testing.T) {
	x := make([]float32, 0, 2000)
	for i := -900; i <= 900; i++ {
		x = append(x, float32(i)/300)
	}
	x = append(x, 0, float32(math.Copysign(0, -1)), 1e-45, -1e-45, 1e6, -1e6, math.MaxFloat32, -math.MaxFloat32)
	dst := make([]float32, len(x))
	for _, c := range conformance {
		f := c.c.Func
		for _, thr := range []float32{0, 1, -0.75} {
			if thr == 0 {
				surrogate.GradInto(f, dst, x)
			} else {
				surrogate.GradShifted(f, dst, x, thr)
			}
			for i, xi := range x {
				if want := f.Grad(xi - thr); dst[i] != want && !(isNaN(dst[i]) && isNaN(want)) {
					t.Errorf("%v: GradShifted(x = %v, thr = %v) = %v, Grad = %v", f, xi, thr, dst[i], want)
					break
				}
			}
		}
	}
	// In place: dst is x itself.
	for _, c := range conformance {
		f := c.c.Func
		y := append([]float32(nil), x...)
		surrogate.GradShifted(f, y, y, 0.5)
		for i, xi := range x {
			if want := f.Grad(xi - 0.5); y[i] != want && !(isNaN(y[i]) && isNaN(want)) {
				t.Errorf("%v: in place GradShifted(x = %v) = %v, Grad = %v", f, xi, y[i], want)
				break
			}
		}
	}
	// A Func that is not a built-in goes through the generic loop.
	surrogate.GradInto(scaled{surrogate.Atan{}}, dst[:3], []float32{0, 1, -1})
	for i, xi := range []float32{0, 1, -1} {
		if want := 2 * (surrogate.Atan{}).Grad(xi); dst[i] != want {
			t.Errorf("generic loop: %v, want %v", dst[i], want)
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("GradInto with different lengths did not panic")
			}
		}()
		surrogate.GradInto(surrogate.FastSigmoid{}, dst[:2], x[:3])
	}()
}

func isNaN(x float32) bool { return x != x }

// scaled is a user-defined Func: twice another surrogate.
type scaled struct{ f surrogate.Func }

func (s scaled) Grad(x float32) float32   { return 2 * s.f.Grad(x) }
func (s scaled) Smooth(x float32) float32 { return 2 * s.f.Smooth(x) }
func (s scaled) String() string           { return "2·" + s.f.String() }

// TestGradIntoAllocs: the bulk loops allocate nothing.
func TestGradIntoAllocs(t *testing.T) {
	x := make([]float32, 256)
	dst := make([]float32, 256)
	for _, c := range conformance {
		f := c.c.Func
		if n := testing.AllocsPerRun(10, func() { surrogate.GradShifted(f, dst, x, 1) }); n != 0 {
			t.Errorf("%v: GradShifted allocates %v times", f, n)
		}
	}
}

// TestSparse checks which built-ins implement Sparse and their cutoffs.
func TestSparse(t *testing.T) {
	want := map[string]float32{
		"SparseFastSigmoid(slope=100, B=0.2)": -0.2,
		"Triangle(halfWidth=1, height=1)":     -1,
		"Boxcar(halfWidth=0.5, height=1)":     -0.5,
	}
	for _, f := range []surrogate.Func{surrogate.FastSigmoid{}, surrogate.SparseFastSigmoid{}, surrogate.SLAYER{},
		surrogate.Atan{}, surrogate.Sigmoid{}, surrogate.Triangle{}, surrogate.Boxcar{}, surrogate.StraightThrough{},
		surrogate.Gaussian{}, surrogate.MultiGaussian{}} {
		sp, ok := f.(surrogate.Sparse)
		cut, wantOK := want[f.String()]
		if ok != wantOK {
			t.Errorf("%v implements Sparse: %v, want %v", f, ok, wantOK)
			continue
		}
		if ok && sp.Cutoff() != cut {
			t.Errorf("%v.Cutoff() = %v, want %v", f, sp.Cutoff(), cut)
		}
	}
}
