package optim_test

import (
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/optim"
)

// TestZeroFieldsAreDefaults checks that a zero field of each config means
// PyTorch's default (the values of torch/optim/adam.py, adamw.py, sgd.py and
// lr_scheduler.py, as DefaultAdam, DefaultAdamW, DefaultSGD and
// DefaultPlateau hold them), that Zero means 0, and that a set field is
// kept.
func TestZeroFieldsAreDefaults(t *testing.T) {
	ps := func() []*autograd.Param { return []*autograd.Param{param("w", 1, 2)} }
	adams := []struct {
		name string
		got  *optim.Adam
		want optim.AdamConfig
	}{
		{"AdamConfig{}", must(optim.NewAdam(ps(), optim.AdamConfig{})), optim.DefaultAdam()},
		// The README's example: lr 5e-4 with PyTorch's betas and eps.
		{"AdamConfig{LR: 5e-4}", must(optim.NewAdam(ps(), optim.AdamConfig{LR: 5e-4})),
			optim.AdamConfig{LR: 5e-4, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}},
		{"NewAdamW, AdamConfig{}", must(optim.NewAdamW(ps(), optim.AdamConfig{})), optim.DefaultAdamW()},
		{"AdamConfig{Decoupled: true}", must(optim.NewAdam(ps(), optim.AdamConfig{Decoupled: true})), optim.DefaultAdamW()},
		{"Zero betas and decay", must(optim.NewAdamW(ps(), optim.AdamConfig{Beta1: optim.Zero, Beta2: optim.Zero, WeightDecay: optim.Zero})),
			optim.AdamConfig{LR: 1e-3, Eps: 1e-8, Decoupled: true}},
		{"set fields", must(optim.NewAdam(ps(), optim.AdamConfig{LR: 0.5, Beta1: 0.5, Beta2: 0.75, Eps: 0.25, WeightDecay: 0.125, AMSGrad: true})),
			optim.AdamConfig{LR: 0.5, Beta1: 0.5, Beta2: 0.75, Eps: 0.25, WeightDecay: 0.125, AMSGrad: true}},
	}
	for _, tc := range adams {
		if got := tc.got.Config(); got != tc.want {
			t.Errorf("%s: in effect %+v, want %+v", tc.name, got, tc.want)
		}
	}
	sgds := []struct {
		name      string
		cfg, want optim.SGDConfig
	}{
		{"SGDConfig{}", optim.SGDConfig{}, optim.DefaultSGD()},
		{"SGDConfig{Momentum: 0.9}", optim.SGDConfig{Momentum: 0.9}, optim.SGDConfig{LR: 1e-3, Momentum: 0.9}},
		{"Zero fields", optim.SGDConfig{LR: optim.Zero, Momentum: optim.Zero, Dampening: optim.Zero, WeightDecay: optim.Zero}, optim.SGDConfig{}},
	}
	for _, tc := range sgds {
		if got := must(optim.NewSGD(ps(), tc.cfg)).Config(); got != tc.want {
			t.Errorf("%s: in effect %+v, want %+v", tc.name, got, tc.want)
		}
	}
	plateaus := []struct {
		name      string
		cfg, want optim.PlateauConfig
	}{
		{"PlateauConfig{}", optim.PlateauConfig{}, optim.DefaultPlateau()},
		{"PlateauConfig{Mode: Max, Patience: 3}", optim.PlateauConfig{Mode: optim.Max, Patience: 3},
			optim.PlateauConfig{Mode: optim.Max, Factor: 0.1, Patience: 3, Threshold: 1e-4, Eps: 1e-8}},
		{"Zero fields", optim.PlateauConfig{Factor: optim.Zero, Patience: optim.Zero, Threshold: optim.Zero, Cooldown: optim.Zero,
			MinLR: optim.Zero, Eps: optim.Zero}, optim.PlateauConfig{}},
	}
	for _, tc := range plateaus {
		if got := must(optim.NewReduceLROnPlateau(sgdAt(1), tc.cfg)).Config(); got != tc.want {
			t.Errorf("%s: in effect %+v, want %+v", tc.name, got, tc.want)
		}
		if err := tc.cfg.Validate(); err != nil {
			t.Errorf("%s: Validate: %v", tc.name, err)
		}
	}
	// StepLR: a zero Gamma is PyTorch's 0.1, Zero is 0.
	if lr := (optim.StepLR{Base: 1, StepSize: 2}).LR(2); lr != 0.1 {
		t.Errorf("StepLR without Gamma: lr(2) = %v, want 0.1", lr)
	}
	if lr := (optim.StepLR{Base: 1, StepSize: 2, Gamma: optim.Zero}).LR(2); lr != 0 {
		t.Errorf("StepLR with Gamma Zero: lr(2) = %v, want 0", lr)
	}
	if optim.Exactly(0.0) != optim.Zero || optim.Exactly(0) != optim.Zero || optim.Exactly(0.5) != 0.5 || optim.Exactly(3) != 3 {
		t.Error("Exactly: 0 must give Zero and other values themselves")
	}
}

// TestZeroFieldsStep checks that the defaults are what Step uses, not only
// what Config reports: Adam from AdamConfig{LR: 5e-4} and from the explicit
// PyTorch values move the same Params bit for bit.
func TestZeroFieldsStep(t *testing.T) {
	short := []*autograd.Param{param("w", 1, -2, 0.5)}
	full := []*autograd.Param{param("w", 1, -2, 0.5)}
	a := must(optim.NewAdamW(short, optim.AdamConfig{LR: 5e-4}))
	b := must(optim.NewAdamW(full, optim.AdamConfig{LR: 5e-4, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}))
	for k := range 5 {
		g := float32(k) - 1.5
		setGrad(t, short[0], g, -g, 2*g)
		setGrad(t, full[0], g, -g, 2*g)
		a.Step()
		b.Step()
	}
	wantExact(t, "θ", short[0].Data, full[0].Data...)
}

// TestAdamWState checks that Adam and AdamW are one type whose state names
// the algorithm: a state of NewAdamW restores into NewAdam with Decoupled
// (checkpoints store "AdamW"), and not into a plain Adam.
func TestAdamWState(t *testing.T) {
	ps := func() []*autograd.Param { return []*autograd.Param{param("w", 1, 2)} }
	w := must(optim.NewAdamW(ps(), optim.AdamConfig{}))
	w.Step()
	st := w.State()
	if st.Algorithm != "AdamW" {
		t.Errorf("NewAdamW state: algorithm %q, want AdamW", st.Algorithm)
	}
	if err := must(optim.NewAdam(ps(), optim.AdamConfig{Decoupled: true})).SetState(st); err != nil {
		t.Errorf("AdamW state into NewAdam with Decoupled: %v", err)
	}
	if err := must(optim.NewAdam(ps(), optim.AdamConfig{})).SetState(st); err == nil {
		t.Error("AdamW state into a plain Adam: no error")
	}
	if a := must(optim.NewAdam(ps(), optim.AdamConfig{})).State().Algorithm; a != "Adam" {
		t.Errorf("NewAdam state: algorithm %q, want Adam", a)
	}
}
