package surrogate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// builtin is the name of a built-in surrogate in configs and model files,
// its hyperparameter names in the order of its fields, and how to build it
// from values in that order and read the values (defaults filled in) back.
// read reports whether f is of the surrogate's type; when it is not, the
// values it returns are those of the zero value and are not used.
type builtin struct {
	name   string
	params []string
	make   func(p []float32) Func
	read   func(f Func) ([]float32, bool)
}

// builtins lists every built-in surrogate under its name.
var builtins = []builtin{
	{"fast_sigmoid", []string{"slope"},
		func(p []float32) Func { return FastSigmoid{Slope: p[0]} },
		func(f Func) ([]float32, bool) {
			s, ok := f.(FastSigmoid)
			return []float32{s.slope()}, ok
		}},
	{"sparse_fast_sigmoid", []string{"slope", "b"},
		func(p []float32) Func { return SparseFastSigmoid{Slope: p[0], B: p[1]} },
		func(f Func) ([]float32, bool) {
			s, ok := f.(SparseFastSigmoid)
			k, b := s.params()
			return []float32{k, b}, ok
		}},
	{"slayer", []string{"tau_rho", "scale_rho", "theta"},
		func(p []float32) Func { return SLAYER{TauRho: p[0], ScaleRho: p[1], Theta: p[2]} },
		func(f Func) ([]float32, bool) {
			s, ok := f.(SLAYER)
			t, sc, th := s.resolved()
			return []float32{t, sc, th}, ok
		}},
	{"atan", []string{"alpha"},
		func(p []float32) Func { return Atan{Alpha: p[0]} },
		func(f Func) ([]float32, bool) {
			s, ok := f.(Atan)
			return []float32{s.alpha()}, ok
		}},
	{"sigmoid", []string{"slope"},
		func(p []float32) Func { return Sigmoid{Slope: p[0]} },
		func(f Func) ([]float32, bool) {
			s, ok := f.(Sigmoid)
			return []float32{s.slope()}, ok
		}},
	{"triangle", []string{"half_width", "height"},
		func(p []float32) Func { return Triangle{HalfWidth: p[0], Height: p[1]} },
		func(f Func) ([]float32, bool) {
			s, ok := f.(Triangle)
			a, h := s.params()
			return []float32{a, h}, ok
		}},
	{"boxcar", []string{"half_width", "height"},
		func(p []float32) Func { return Boxcar{HalfWidth: p[0], Height: p[1]} },
		func(f Func) ([]float32, bool) {
			s, ok := f.(Boxcar)
			a, h := s.params()
			return []float32{a, h}, ok
		}},
	{"straight_through", nil,
		func([]float32) Func { return StraightThrough{} },
		func(f Func) ([]float32, bool) {
			_, ok := f.(StraightThrough)
			return nil, ok
		}},
	{"gaussian", []string{"sigma"},
		func(p []float32) Func { return Gaussian{Sigma: p[0]} },
		func(f Func) ([]float32, bool) {
			s, ok := f.(Gaussian)
			return []float32{float32(s.sigma())}, ok
		}},
	{"multi_gaussian", []string{"sigma", "h", "s", "gamma"},
		func(p []float32) Func { return MultiGaussian{Sigma: p[0], H: p[1], S: p[2], Gamma: p[3]} },
		func(f Func) ([]float32, bool) {
			s, ok := f.(MultiGaussian)
			p := s.params()
			return []float32{float32(p.sigma), float32(p.h), float32(p.s), float32(p.gamma)}, ok
		}},
}

func lookup(name string) (*builtin, bool) {
	for i := range builtins {
		if builtins[i].name == name {
			return &builtins[i], true
		}
	}
	return nil, false
}

// Names lists the names of the built-in surrogates, as configs and model
// files write them: fast_sigmoid, sparse_fast_sigmoid, slayer, atan,
// sigmoid, triangle, boxcar, straight_through, gaussian, multi_gaussian.
func Names() []string {
	ns := make([]string, len(builtins))
	for i, b := range builtins {
		ns[i] = b.name
	}
	return ns
}

// ParamNames lists the hyperparameter names of the built-in surrogate called
// name, in snake case as configs write them (FastSigmoid's Slope is
// "slope", SLAYER's TauRho is "tau_rho"), and whether the name is known.
func ParamNames(name string) ([]string, bool) {
	b, ok := lookup(name)
	if !ok {
		return nil, false
	}
	return slices.Clone(b.params), true
}

// New returns the built-in surrogate called name (see Names) with the given
// hyperparameters (see ParamNames); an omitted hyperparameter, like a zero
// one, takes the surrogate's documented default. New("fast_sigmoid",
// map[string]float64{"slope": 25}) is FastSigmoid{Slope: 25}.
//
// It returns an error for an unknown name or hyperparameter, listing what is
// allowed, and the *ParamError of Validate for a value outside the
// hyperparameter's domain.
func New(name string, params map[string]float64) (Func, error) {
	b, ok := lookup(name)
	if !ok {
		return nil, fmt.Errorf("surrogate: unknown surrogate %q (allowed: %s)", name, strings.Join(Names(), ", "))
	}
	p := make([]float32, len(b.params))
	for k, v := range params {
		i := slices.Index(b.params, k)
		if i < 0 {
			allowed := "none"
			if len(b.params) > 0 {
				allowed = strings.Join(b.params, ", ")
			}
			return nil, fmt.Errorf("surrogate: %s: unknown parameter %q (allowed: %s)", name, k, allowed)
		}
		p[i] = float32(v)
	}
	f := b.make(p)
	if err := Validate(f); err != nil {
		return nil, err
	}
	return f, nil
}

// Describe returns the name and hyperparameters of a built-in surrogate, the
// inverse of New: every hyperparameter is given, defaults filled in (the
// zero FastSigmoid{} is "fast_sigmoid" with slope 25), each the shortest
// decimal that reads back to the same float32. ok is false for a Func that
// is not a built-in. Describe panics with a *ParamError if f's
// hyperparameters are invalid (see Validate).
func Describe(f Func) (name string, params map[string]float64, ok bool) {
	for _, b := range builtins {
		vs, ok := b.read(f)
		if !ok {
			continue
		}
		params = make(map[string]float64, len(vs))
		for i, v := range vs {
			params[b.params[i]], _ = strconv.ParseFloat(strconv.FormatFloat(float64(v), 'g', -1, 32), 64)
		}
		return b.name, params, true
	}
	return "", nil, false
}

// FastSigmoidSlope reports whether f is a FastSigmoid and returns its slope
// k with the default resolved. Fused neuron kernels use it to compute the
// fast sigmoid's gradient in their own vectorised loop instead of calling
// f.Grad.
func FastSigmoidSlope(f Func) (slope float32, ok bool) {
	fs, ok := f.(FastSigmoid)
	if !ok {
		return 0, false
	}
	return fs.slope(), true
}
