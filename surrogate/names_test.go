package surrogate_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/spikegrad/spikegrad/surrogate"
)

// TestNames checks that every name builds a surrogate that reads back as the
// same name with the documented defaults, and that New of what Describe
// returns is the same surrogate.
func TestNames(t *testing.T) {
	want := []string{"fast_sigmoid", "sparse_fast_sigmoid", "slayer", "atan", "sigmoid", "triangle", "boxcar",
		"straight_through", "gaussian", "multi_gaussian"}
	if got := surrogate.Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for _, name := range want {
		f, err := surrogate.New(name, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, params, ok := surrogate.Describe(f)
		if !ok || got != name {
			t.Errorf("%s reads back as %q, %v", name, got, ok)
		}
		names, _ := surrogate.ParamNames(name)
		if len(params) != len(names) {
			t.Errorf("%s: Describe gives %v, want every one of %v", name, params, names)
		}
		again, err := surrogate.New(got, params)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if again.String() != f.String() {
			t.Errorf("%s: New(Describe(f)) = %v, want %v", name, again, f)
		}
	}
}

// TestDescribeDefaults checks that Describe fills in the defaults of each
// surrogate's doc comment (the table of the package documentation) and
// gives float32 values as their shortest decimals (0.2, not 0.2000000029).
func TestDescribeDefaults(t *testing.T) {
	cases := []struct {
		f    surrogate.Func
		name string
		want map[string]float64
	}{
		{surrogate.FastSigmoid{}, "fast_sigmoid", map[string]float64{"slope": 25}},
		{surrogate.SparseFastSigmoid{}, "sparse_fast_sigmoid", map[string]float64{"slope": 100, "b": 0.2}},
		{surrogate.SLAYER{TauRho: 2}, "slayer", map[string]float64{"tau_rho": 2, "scale_rho": 1, "theta": 1}},
		{surrogate.Atan{Alpha: 3}, "atan", map[string]float64{"alpha": 3}},
		{surrogate.Boxcar{}, "boxcar", map[string]float64{"half_width": 0.5, "height": 1}},
		{surrogate.StraightThrough{}, "straight_through", map[string]float64{}},
		{surrogate.MultiGaussian{}, "multi_gaussian", map[string]float64{"sigma": 0.5, "h": 0.15, "s": 6, "gamma": 0.5}},
	}
	for _, c := range cases {
		name, params, ok := surrogate.Describe(c.f)
		if !ok || name != c.name || !reflect.DeepEqual(params, c.want) {
			t.Errorf("Describe(%v) = %q %v %v, want %q %v", c.f, name, params, ok, c.name, c.want)
		}
	}
	if _, _, ok := surrogate.Describe(scaled{surrogate.Atan{}}); ok {
		t.Error("a Func that is not a built-in was described")
	}
}

func TestNewErrors(t *testing.T) {
	cases := []struct {
		name   string
		params map[string]float64
		want   string
	}{
		{"fast", nil, `surrogate: unknown surrogate "fast" (allowed: fast_sigmoid, sparse_fast_sigmoid, slayer, atan, sigmoid, triangle, boxcar, straight_through, gaussian, multi_gaussian)`},
		{"fast_sigmoid", map[string]float64{"k": 1}, `surrogate: fast_sigmoid: unknown parameter "k" (allowed: slope)`},
		{"straight_through", map[string]float64{"k": 1}, `surrogate: straight_through: unknown parameter "k" (allowed: none)`},
		{"fast_sigmoid", map[string]float64{"slope": -1}, `surrogate: FastSigmoid: Slope = -1: must be positive and finite (0 selects the default)`},
	}
	for _, c := range cases {
		f, err := surrogate.New(c.name, c.params)
		if err == nil || err.Error() != c.want {
			t.Errorf("New(%q, %v) = %v, %v\nwant error %s", c.name, c.params, f, err, c.want)
		}
	}
	_, err := surrogate.New("sigmoid", map[string]float64{"slope": 1e300}) // +Inf as a float32
	var pe *surrogate.ParamError
	if !errors.As(err, &pe) || pe.Name != "Slope" {
		t.Errorf("slope 1e300: %v, want a *ParamError for Slope", err)
	}
	if _, ok := surrogate.ParamNames("nonsense"); ok {
		t.Error("ParamNames of an unknown name reports ok")
	}
}

func TestFastSigmoidSlope(t *testing.T) {
	for _, c := range []struct {
		f    surrogate.Func
		k    float32
		isFS bool
	}{
		{surrogate.FastSigmoid{}, 25, true}, // the documented default
		{surrogate.FastSigmoid{Slope: 5}, 5, true},
		{surrogate.Sigmoid{Slope: 5}, 0, false},
	} {
		if k, ok := surrogate.FastSigmoidSlope(c.f); k != c.k || ok != c.isFS {
			t.Errorf("FastSigmoidSlope(%v) = %v, %v; want %v, %v", c.f, k, ok, c.k, c.isFS)
		}
	}
}
