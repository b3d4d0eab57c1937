package optim_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/optim"
)

// TestConvergeQuadratic minimises f(x) = ‖Ax − b‖² for a random 8×4 matrix
// A (entries N(0, 1/8)) and b = A·x*, so that the minimum f = 0 is at x*.
// The gradient 2·Aᵀ(Ax − b) is computed by hand in float64 and handed to the
// optimizer in float32. Every optimizer must bring x within 1e-5 of x*
// (|x*ᵢ| ~ 1): float32 resolves x to about 6e-8 and the condition number of
// AᵀA (about 30 here) can magnify the rounding of the gradient near the
// minimum to a few 1e-6; the measured distances are 1e-7 to 5e-7. For SGD, γ = 0.1 is below 2/L with L = 2·λmax(AᵀA) ≈ 6
// for such a matrix; Adam runs a cosine schedule down to 0 so that its
// final oscillation (of order γ) dies out.
func TestConvergeQuadratic(t *testing.T) {
	const rows, cols, steps = 8, 4, 1000
	rng := rand.New(rand.NewPCG(11, 12))
	a := make([]float64, rows*cols)
	for i := range a {
		a[i] = rng.NormFloat64() / math.Sqrt(rows)
	}
	xs := make([]float64, cols)
	for i := range xs {
		xs[i] = rng.NormFloat64()
	}
	b := make([]float64, rows)
	for r := range rows {
		for c := range cols {
			b[r] += a[r*cols+c] * xs[c]
		}
	}
	grad := func(x, g []float32) (f float64) {
		res := make([]float64, rows)
		for r := range rows {
			res[r] = -b[r]
			for c := range cols {
				res[r] += a[r*cols+c] * float64(x[c])
			}
			f += res[r] * res[r]
		}
		for c := range cols {
			s := 0.0
			for r := range rows {
				s += a[r*cols+c] * res[r]
			}
			g[c] = float32(2 * s)
		}
		return f
	}
	cosine := optim.CosineAnnealingLR{Base: 0.05, TMax: steps}
	cases := []struct {
		name  string
		make  func(ps []*autograd.Param) optim.Optimizer
		sched optim.Schedule
	}{
		{"SGD", func(ps []*autograd.Param) optim.Optimizer {
			return must(optim.NewSGD(ps, optim.SGDConfig{LR: 0.1}))
		}, nil},
		{"SGD momentum", func(ps []*autograd.Param) optim.Optimizer {
			return must(optim.NewSGD(ps, optim.SGDConfig{LR: 0.02, Momentum: 0.9}))
		}, nil},
		{"SGD Nesterov", func(ps []*autograd.Param) optim.Optimizer {
			return must(optim.NewSGD(ps, optim.SGDConfig{LR: 0.02, Momentum: 0.9, Nesterov: true}))
		}, nil},
		{"Adam", func(ps []*autograd.Param) optim.Optimizer {
			return must(optim.NewAdam(ps, optim.DefaultAdam()))
		}, cosine},
		{"Adam AMSGrad", func(ps []*autograd.Param) optim.Optimizer {
			c := optim.DefaultAdam()
			c.AMSGrad = true
			return must(optim.NewAdam(ps, c))
		}, cosine},
		{"AdamW without decay", func(ps []*autograd.Param) optim.Optimizer {
			c := optim.DefaultAdamW()
			c.WeightDecay = optim.Zero
			return must(optim.NewAdamW(ps, c))
		}, cosine},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := autograd.NewParam("x", nil, cols)
			o := c.make([]*autograd.Param{x})
			f0 := grad(x.Data, x.Grad)
			for step := range steps {
				if c.sched != nil {
					o.SetLR(c.sched.LR(step))
				}
				grad(x.Data, x.Grad)
				o.Step()
			}
			f := grad(x.Data, x.Grad)
			dist := 0.0
			for i := range xs {
				dist = max(dist, math.Abs(float64(x.Data[i])-xs[i]))
			}
			if dist > 1e-5 {
				t.Errorf("after %d steps max|x − x*| = %.3g (f %.3g → %.3g), want ≤ 1e-5", steps, dist, f0, f)
			}
			t.Logf("f %.3g → %.3g, max|x − x*| = %.3g", f0, f, dist)
		})
	}
}

// TestInvalidHyperparams checks that every constructor refuses values out of
// range with a *HyperparamError that names the field and the value.
func TestInvalidHyperparams(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	ps := func() []*autograd.Param { return []*autograd.Param{param("w", 1)} }
	type bad struct {
		field string
		value float64
		err   error
	}
	var cases []bad
	sgd := func(field string, value float64, c optim.SGDConfig) {
		_, err := optim.NewSGD(ps(), c)
		cases = append(cases, bad{field, value, err})
		cases = append(cases, bad{field, value, c.Validate()})
	}
	sgd("LR", -1, optim.SGDConfig{LR: -1})
	sgd("LR", nan, optim.SGDConfig{LR: nan})
	sgd("LR", inf, optim.SGDConfig{LR: inf})
	sgd("Momentum", -0.5, optim.SGDConfig{LR: 1, Momentum: -0.5})
	sgd("Dampening", nan, optim.SGDConfig{LR: 1, Momentum: 0.9, Dampening: nan})
	sgd("WeightDecay", -1e-4, optim.SGDConfig{LR: 1, WeightDecay: -1e-4})
	sgd("Momentum", 0, optim.SGDConfig{LR: 1, Nesterov: true})
	sgd("Dampening", 0.1, optim.SGDConfig{LR: 1, Momentum: 0.9, Dampening: 0.1, Nesterov: true})
	adam := func(field string, value float64, edit func(c *optim.AdamConfig)) {
		c := optim.DefaultAdam()
		edit(&c)
		_, err := optim.NewAdam(ps(), c)
		cases = append(cases, bad{field, value, err})
		_, err = optim.NewAdamW(ps(), c)
		cases = append(cases, bad{field, value, err})
		cases = append(cases, bad{field, value, c.Validate()})
	}
	adam("LR", -1e-3, func(c *optim.AdamConfig) { c.LR = -1e-3 })
	adam("LR", nan, func(c *optim.AdamConfig) { c.LR = nan })
	adam("Beta1", 1, func(c *optim.AdamConfig) { c.Beta1 = 1 })
	adam("Beta1", -0.1, func(c *optim.AdamConfig) { c.Beta1 = -0.1 })
	adam("Beta2", 1.5, func(c *optim.AdamConfig) { c.Beta2 = 1.5 })
	adam("Beta2", nan, func(c *optim.AdamConfig) { c.Beta2 = nan })
	adam("Eps", 0, func(c *optim.AdamConfig) { c.Eps = optim.Zero })
	adam("Eps", -1e-8, func(c *optim.AdamConfig) { c.Eps = -1e-8 })
	adam("Eps", inf, func(c *optim.AdamConfig) { c.Eps = inf })
	adam("WeightDecay", -0.01, func(c *optim.AdamConfig) { c.WeightDecay = -0.01 })
	adam("WeightDecay", nan, func(c *optim.AdamConfig) { c.WeightDecay = nan })
	for _, c := range cases {
		var he *optim.HyperparamError
		if !errors.As(c.err, &he) || !errors.Is(c.err, optim.ErrInvalid) {
			t.Errorf("%s = %v: err = %v, want a *HyperparamError wrapping ErrInvalid", c.field, c.value, c.err)
			continue
		}
		sameValue := he.Value == c.value || math.IsNaN(he.Value) && math.IsNaN(c.value)
		if he.Field != c.field || !sameValue || !strings.Contains(he.Error(), c.field+" = ") {
			t.Errorf("%s = %v: got %q (field %s, value %v)", c.field, c.value, he, he.Field, he.Value)
		}
	}
	for _, f := range []func(){
		func() { must(optim.NewSGD(ps(), optim.DefaultSGD())).SetLR(-1) },
		func() { must(optim.NewAdam(ps(), optim.DefaultAdam())).SetLR(nan) },
		func() { must(optim.NewAdamW(ps(), optim.DefaultAdamW())).SetLR(inf) },
	} {
		func() {
			defer func() {
				if he, ok := recover().(*optim.HyperparamError); !ok || he.Field != "lr" {
					t.Errorf("SetLR of a bad value: recovered %v, want a *HyperparamError for lr", he)
				}
			}()
			f()
		}()
	}
}
