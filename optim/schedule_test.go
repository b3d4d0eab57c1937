package optim_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/optim"
)

// TestSchedules compares each schedule with values worked out by hand from
// PyTorch's closed forms (written beside each case). math.Cos is accurate to
// an ulp, so 1e-15 covers the float64 rounding.
func TestSchedules(t *testing.T) {
	cos := optim.CosineAnnealingLR{Base: 1, EtaMin: 0.2, TMax: 8}
	cases := []struct {
		name  string
		s     optim.Schedule
		t     []int
		wants []float64
	}{
		{"Constant", optim.Constant(0.3), []int{0, 1, 1000}, []float64{0.3, 0.3, 0.3}},
		// 0.1·0.5^⌊t/3⌋: ⌊t/3⌋ = 0, 0, 0, 1, 1, 2, 3.
		{"StepLR", optim.StepLR{Base: 0.1, StepSize: 3, Gamma: 0.5},
			[]int{0, 1, 2, 3, 5, 6, 9}, []float64{0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.0125}},
		// 0.2 + 0.8·(1 + cos(πt/8))/2: t = 0 → 1; t = 2: cos(π/4) = √2/2 → 0.2 + 0.4·(1 + √2/2);
		// t = 4 = TMax/2 → (1 + 0.2)/2 = 0.6; t = 6: cos(3π/4) = −√2/2 → 0.2 + 0.4·(1 − √2/2);
		// t = 8 = TMax → 0.2; t = 12: cos(3π/2) = 0 → 0.6 (past TMax the cosine rises again);
		// t = 16: cos(2π) = 1 → 1.
		{"CosineAnnealingLR", cos, []int{0, 2, 4, 6, 8, 12, 16},
			[]float64{1, 0.2 + 0.4*(1+math.Sqrt2/2), 0.6, 0.2 + 0.4*(1-math.Sqrt2/2), 0.2, 0.6, 1}},
		// 2·(0.1 + 0.9·t/4) for t < 4: 0.2, 0.65, 1.1, 1.55; then 2.
		{"LinearWarmup", optim.LinearWarmup{StartFactor: 0.1, Steps: 4, Then: optim.Constant(2)},
			[]int{0, 1, 2, 3, 4, 100}, []float64{0.2, 0.65, 1.1, 1.55, 2, 2}},
		// From 0 over 2 counts to cos.LR(0) = 1: 0, 0.5; then cos.LR(t − 2): t = 2 → 1,
		// t = 6 → cos.LR(4) = 0.6, t = 10 → cos.LR(8) = 0.2.
		{"LinearWarmup then cosine", optim.LinearWarmup{StartFactor: 0, Steps: 2, Then: cos},
			[]int{0, 1, 2, 6, 10}, []float64{0, 0.5, 1, 0.6, 0.2}},
		// No warm-up: Then from t = 0.
		{"LinearWarmup of 0 steps", optim.LinearWarmup{StartFactor: 0.5, Then: optim.StepLR{Base: 1, StepSize: 1, Gamma: 0.5}},
			[]int{0, 1, 2}, []float64{1, 0.5, 0.25}},
	}
	for _, c := range cases {
		for i, tt := range c.t {
			if got := c.s.LR(tt); math.Abs(got-c.wants[i]) > 1e-15 {
				t.Errorf("%s (%v).LR(%d) = %.17g, want %.17g", c.name, c.s, tt, got, c.wants[i])
			}
		}
	}
}

// TestScheduleErrors checks Validate and the panics of LR.
func TestScheduleErrors(t *testing.T) {
	cases := []struct {
		s interface {
			optim.Schedule
			Validate() error
		}
		field string
	}{
		{optim.Constant(-1), "lr"},
		{optim.StepLR{Base: -0.1, StepSize: 1, Gamma: 0.1}, "Base"},
		{optim.StepLR{Base: 0.1, StepSize: 0, Gamma: 0.1}, "StepSize"},
		{optim.StepLR{Base: 0.1, StepSize: 1, Gamma: math.NaN()}, "Gamma"},
		{optim.CosineAnnealingLR{Base: 1, EtaMin: -1, TMax: 10}, "EtaMin"},
		{optim.CosineAnnealingLR{Base: 1, TMax: 0}, "TMax"},
		{optim.LinearWarmup{StartFactor: 1.5, Steps: 1, Then: optim.Constant(1)}, "StartFactor"},
		{optim.LinearWarmup{StartFactor: 0.5, Steps: -1, Then: optim.Constant(1)}, "Steps"},
		{optim.LinearWarmup{StartFactor: 0.5, Steps: 1}, "Then"},
	}
	for _, c := range cases {
		var he *optim.HyperparamError
		if err := c.s.Validate(); !errors.As(err, &he) || he.Field != c.field || !errors.Is(err, optim.ErrInvalid) {
			t.Errorf("%#v.Validate() = %v, want a *HyperparamError for %s", c.s, err, c.field)
		}
		func() {
			defer func() {
				if he, ok := recover().(*optim.HyperparamError); !ok || he.Field != c.field {
					t.Errorf("%#v.LR(0): recovered %v, want a *HyperparamError for %s", c.s, he, c.field)
				}
			}()
			c.s.LR(0)
		}()
	}
	defer func() {
		he, ok := recover().(*optim.HyperparamError)
		if !ok || he.Field != "t" || !strings.Contains(he.Error(), "StepLR.LR: t = -1") {
			t.Errorf("LR(-1): recovered %v, want a *HyperparamError for t", he)
		}
	}()
	optim.StepLR{Base: 1, StepSize: 1, Gamma: 0.1}.LR(-1)
}
