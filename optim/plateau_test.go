package optim_test

import (
	"errors"
	"math"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/optim"
)

// sgdAt returns an SGD optimizer with learning rate lr over a dummy Param.
func sgdAt(lr float64) *optim.SGD {
	return must(optim.NewSGD([]*autograd.Param{param("w", 0)}, optim.SGDConfig{LR: lr}))
}

// TestPlateauSequences feeds metric sequences and compares the learning rate
// after each epoch with a hand trace of PyTorch's rules (the
// ReduceLROnPlateau doc comment). All start at lr 1 with Factor 0.5 unless
// said otherwise; the rates are powers of two, so the comparison is exact.
func TestPlateauSequences(t *testing.T) {
	nan := math.NaN()
	base := optim.PlateauConfig{Factor: 0.5, Patience: optim.Zero, Threshold: optim.Zero, Eps: 1e-8}
	with := func(edit func(c *optim.PlateauConfig)) optim.PlateauConfig {
		c := base
		edit(&c)
		return c
	}
	cases := []struct {
		name    string
		cfg     optim.PlateauConfig
		metrics []float64
		lrs     []float64
	}{
		// Patience 2, threshold 0: 10 (best), 9 (best), 9 (bad 1), 9 (bad 2), 9 (bad 3 > 2:
		// halve, bad 0), 8 (best), 8, 8 (bad 1, 2), 8 (bad 3: halve), 8 (bad 1).
		{"patience", with(func(c *optim.PlateauConfig) { c.Patience = 2 }),
			[]float64{10, 9, 9, 9, 9, 8, 8, 8, 8, 8},
			[]float64{1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25}},
		// Patience 1, cooldown 2, constant metric: e1 best; e2 bad 1; e3 bad 2 > 1: halve,
		// cooldown 2; e4, e5 bad epochs erased by the cooldown (2 → 1 → 0); e6 bad 1;
		// e7 bad 2: halve; e8, e9 cooldown; e10 bad 1; e11 halve. Period 1 + 1 + 2 = 4.
		{"cooldown", with(func(c *optim.PlateauConfig) { c.Patience, c.Cooldown = 1, 2 }),
			[]float64{5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5},
			[]float64{1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.125}},
		// Relative threshold 0.1, patience 0: e1 best 10; e2 9.5 ≥ 10·0.9 = 9: halve;
		// e3 8.9 < 9: best; e4 8.5 ≥ 8.9·0.9 = 8.01: halve.
		{"rel threshold", with(func(c *optim.PlateauConfig) { c.Threshold = 0.1 }),
			[]float64{10, 9.5, 8.9, 8.5}, []float64{1, 0.5, 0.5, 0.25}},
		// Absolute threshold 0.4, patience 0: 9.5 < 10 − 0.4 = 9.6: best; 8.9 < 9.1: best;
		// 8.5 ≥ 8.9 − 0.4 = 8.5: halve.
		{"abs threshold", with(func(c *optim.PlateauConfig) { c.Threshold, c.ThresholdMode = 0.4, optim.AbsThreshold }),
			[]float64{10, 9.5, 8.9, 8.5}, []float64{1, 1, 1, 0.5}},
		// Max, relative threshold 0.1, patience 0: 0.5 best; 0.54 ≤ 0.5·1.1 = 0.55: halve;
		// 0.56 > 0.55: best; 0.7 > 0.616: best.
		{"max", with(func(c *optim.PlateauConfig) { c.Mode, c.Threshold = optim.Max, 0.1 }),
			[]float64{0.5, 0.54, 0.56, 0.7}, []float64{1, 0.5, 0.5, 0.5}},
		// Max, absolute threshold 0.05: 0.5; 0.56 > 0.55: best; 0.6 ≤ 0.61: halve.
		{"max abs", with(func(c *optim.PlateauConfig) {
			c.Mode, c.Threshold, c.ThresholdMode = optim.Max, 0.05, optim.AbsThreshold
		}),
			[]float64{0.5, 0.56, 0.6}, []float64{1, 1, 0.5}},
		// A NaN metric is never better: with patience 0 it halves at once, and the best stays 1.
		{"NaN", base, []float64{1, nan, 0.5}, []float64{1, 0.5, 0.5}},
		// Factor 0.25, MinLR 0.125, patience 0: 1 → 0.25 → max(0.0625, 0.125) = 0.125 → stays.
		{"min lr", with(func(c *optim.PlateauConfig) { c.Factor, c.MinLR = 0.25, 0.125 }),
			[]float64{3, 3, 3, 3}, []float64{1, 0.25, 0.125, 0.125}},
		// Eps 0.3: a reduction of 0.5 is made (1 → 0.5), then 0.5 → 0.25 is a change of 0.25 ≤ Eps: skipped.
		{"eps", with(func(c *optim.PlateauConfig) { c.Eps = 0.3 }),
			[]float64{3, 3, 3, 3}, []float64{1, 0.5, 0.5, 0.5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt := sgdAt(1)
			r := must(optim.NewReduceLROnPlateau(opt, c.cfg))
			for i, m := range c.metrics {
				before := opt.LR()
				reduced := r.Step(m)
				if got := opt.LR(); got != c.lrs[i] || reduced != (got != before) {
					t.Errorf("epoch %d (metric %v): lr %v (reduced %v), want %v", i+1, m, got, reduced, c.lrs[i])
				}
			}
			if got := r.State().Epochs; got != len(c.metrics) {
				t.Errorf("Epochs = %d, want %d", got, len(c.metrics))
			}
		})
	}
}

// TestPlateauState stops the "cooldown" sequence of TestPlateauSequences in
// the middle of a cooldown, restores the state into a new scheduler over an
// optimizer at the saved rate, and checks that the rest matches.
func TestPlateauState(t *testing.T) {
	cfg := optim.PlateauConfig{Factor: 0.5, Patience: 1, Threshold: optim.Zero, Cooldown: 2, Eps: 1e-8}
	lrs := []float64{1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.125}
	opt := sgdAt(1)
	r := must(optim.NewReduceLROnPlateau(opt, cfg))
	if b := r.State().Best; !math.IsInf(b, 1) {
		t.Errorf("initial Best %v, want +Inf for Min", b)
	}
	for range 4 {
		r.Step(5)
	}
	st := r.State()
	if st != (optim.PlateauState{Best: 5, BadEpochs: 0, CooldownLeft: 1, Epochs: 4}) {
		t.Errorf("state after 4 epochs %+v, want Best 5, CooldownLeft 1, Epochs 4", st)
	}
	opt2 := sgdAt(opt.LR())
	r2 := must(optim.NewReduceLROnPlateau(opt2, cfg))
	if err := r2.SetState(st); err != nil {
		t.Fatal(err)
	}
	for i := 4; i < len(lrs); i++ {
		r2.Step(5)
		if opt2.LR() != lrs[i] {
			t.Errorf("epoch %d after restore: lr %v, want %v", i+1, opt2.LR(), lrs[i])
		}
	}
	for _, bad := range []optim.PlateauState{{Best: math.NaN()}, {Best: 1, BadEpochs: -1}} {
		if err := r2.SetState(bad); !errors.Is(err, optim.ErrInvalid) {
			t.Errorf("SetState(%+v) = %v, want an error wrapping ErrInvalid", bad, err)
		}
	}
	if m := must(optim.NewReduceLROnPlateau(opt, optim.PlateauConfig{Mode: optim.Max, Factor: 0.1})); !math.IsInf(m.State().Best, -1) {
		t.Errorf("initial Best for Max %v, want -Inf", m.State().Best)
	}
}

// TestPlateauConfig checks the defaults and the validation.
func TestPlateauConfig(t *testing.T) {
	want := optim.PlateauConfig{Mode: optim.Min, Factor: 0.1, Patience: 10, Threshold: 1e-4, ThresholdMode: optim.RelThreshold, Eps: 1e-8}
	if got := optim.DefaultPlateau(); got != want {
		t.Errorf("DefaultPlateau() = %+v, want %+v", got, want)
	}
	if s := optim.Max.String() + optim.Min.String() + optim.AbsThreshold.String() + optim.RelThreshold.String(); s != "maxminabsrel" {
		t.Errorf("String forms %q", s)
	}
	cases := []struct {
		field string
		edit  func(c *optim.PlateauConfig)
	}{
		{"Mode", func(c *optim.PlateauConfig) { c.Mode = 2 }},
		{"Factor", func(c *optim.PlateauConfig) { c.Factor = 1 }},
		{"Factor", func(c *optim.PlateauConfig) { c.Factor = math.NaN() }},
		{"Patience", func(c *optim.PlateauConfig) { c.Patience = -1 }},
		{"Threshold", func(c *optim.PlateauConfig) { c.Threshold = -1e-4 }},
		{"ThresholdMode", func(c *optim.PlateauConfig) { c.ThresholdMode = 7 }},
		{"Cooldown", func(c *optim.PlateauConfig) { c.Cooldown = -3 }},
		{"MinLR", func(c *optim.PlateauConfig) { c.MinLR = math.Inf(1) }},
		{"Eps", func(c *optim.PlateauConfig) { c.Eps = -1 }},
	}
	for _, c := range cases {
		cfg := optim.DefaultPlateau()
		c.edit(&cfg)
		_, err := optim.NewReduceLROnPlateau(sgdAt(1), cfg)
		var he *optim.HyperparamError
		if !errors.As(err, &he) || he.Field != c.field || he.Op != "NewReduceLROnPlateau" {
			t.Errorf("%s: err = %v, want a *HyperparamError for the field", c.field, err)
		}
		if err := cfg.Validate(); !errors.As(err, &he) || he.Field != c.field {
			t.Errorf("%s: Validate() = %v", c.field, err)
		}
	}
}
