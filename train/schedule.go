package train

import (
	"fmt"

	"github.com/spikegrad/spikegrad/optim"
)

// LRSchedule returns the learning-rate schedule of the loop config as an
// optim.Schedule of the optimizer step, for a run of stepsPerEpoch steps per
// epoch (train.epochs of them):
//
//   - constant: optim.Constant(lr);
//   - step: optim.StepLR{Base: lr, StepSize: step_size, Gamma: gamma};
//   - cosine: optim.CosineAnnealingLR from lr to 0 over the steps of the run
//     after the warm-up (at least 1);
//
// each inside optim.LinearWarmup{StartFactor: 1/warmup, Steps: warmup} when
// warmup > 0: the first step runs at lr/warmup and the rate reaches lr at
// step warmup, where the schedule after it starts its count at 0. With
// train.schedule plateau it returns nil: the rate starts at lr and
// ReduceLROnPlateau (Plateau) lowers it between epochs.
func (l LoopConfig) LRSchedule(stepsPerEpoch int) optim.Schedule {
	var s optim.Schedule
	switch l.Schedule {
	case "plateau":
		return nil
	case "step":
		s = optim.StepLR{Base: l.LR, StepSize: l.StepSize, Gamma: optim.Exactly(l.Gamma)}
	case "cosine":
		s = optim.CosineAnnealingLR{Base: l.LR, TMax: max(stepsPerEpoch*l.Epochs-l.Warmup, 1)}
	default:
		s = optim.Constant(l.LR)
	}
	if l.Warmup > 0 {
		s = optim.LinearWarmup{StartFactor: 1 / float64(l.Warmup), Steps: l.Warmup, Then: s}
	}
	return s
}

// Plateau returns the settings of ReduceLROnPlateau and the metric it
// watches when train.schedule is plateau, and ok false otherwise. The
// config's values are taken as they are, 0 included (optim.Exactly); the
// threshold is relative and the least reduction optim's default 1e-8, as
// PyTorch's; the mode follows the metric (Min for the test loss, Max for
// the test accuracy).
func (l LoopConfig) Plateau() (cfg optim.PlateauConfig, metric Monitor, ok bool) {
	if l.Schedule != "plateau" {
		return cfg, 0, false
	}
	cfg = optim.PlateauConfig{Factor: optim.Exactly(l.PlateauFactor), Patience: optim.Exactly(l.PlateauPatience),
		Threshold: optim.Exactly(l.PlateauThreshold), Cooldown: optim.Exactly(l.PlateauCooldown), MinLR: optim.Exactly(l.PlateauMinLR)}
	metric = MonitorTestLoss
	if l.PlateauMetric == "test_accuracy" {
		metric, cfg.Mode = MonitorTestAccuracy, optim.Max
	}
	return cfg, metric, true
}

// Monitor is the test metric that ReduceLROnPlateau watches (WithPlateau).
type Monitor uint8

const (
	MonitorTestLoss     Monitor = iota // the test loss; lower is better (optim.Min)
	MonitorTestAccuracy                // the test accuracy; higher is better (optim.Max)
)

// String returns the metric's config name: test_loss or test_accuracy.
func (m Monitor) String() string {
	switch m {
	case MonitorTestLoss:
		return "test_loss"
	case MonitorTestAccuracy:
		return "test_accuracy"
	}
	return fmt.Sprintf("Monitor(%d)", uint8(m))
}

// mode is the optim.PlateauMode under which the metric improves.
func (m Monitor) mode() optim.PlateauMode {
	if m == MonitorTestAccuracy {
		return optim.Max
	}
	return optim.Min
}
