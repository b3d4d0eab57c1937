package train

import (
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/optim"
)

// TestNewOptimizerTakesZeros checks that a config's 0 reaches the optimizer
// as 0, where optim's own zero field would mean PyTorch's default: an adamw
// run with weight_decay 0 (DefaultConfig's) has no decay, and beta1 0 is
// β₁ = 0.
func TestNewOptimizerTakesZeros(t *testing.T) {
	params := []*autograd.Param{autograd.NewParam("w", []float32{1, 2}, 2)}
	l := DefaultConfig().Train
	l.Optimizer, l.Beta1, l.WeightDecay = "adamw", 0, 0
	o, err := NewOptimizer(l, params)
	if err != nil {
		t.Fatal(err)
	}
	want := optim.AdamConfig{LR: l.LR, Beta1: 0, Beta2: l.Beta2, Eps: l.Eps, WeightDecay: 0, Decoupled: true}
	if got := o.(*optim.Adam).Config(); got != want {
		t.Errorf("adamw: %+v, want %+v", got, want)
	}
	if a := o.State().Algorithm; a != "AdamW" {
		t.Errorf("adamw: algorithm %q, want AdamW (the name in checkpoints)", a)
	}
	l.Optimizer, l.Momentum = "sgd", 0.5
	o, err = NewOptimizer(l, params)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := o.(*optim.SGD).Config(), (optim.SGDConfig{LR: l.LR, Momentum: 0.5}); got != want {
		t.Errorf("sgd: %+v, want %+v", got, want)
	}
}
