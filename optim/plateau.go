package optim

import (
	"fmt"
	"math"
)

// PlateauMode says whether ReduceLROnPlateau watches a metric to minimise
// (a loss) or to maximise (an accuracy).
type PlateauMode int

const (
	// Min: a lower metric is better (PyTorch's mode="min", the default).
	Min PlateauMode = iota
	// Max: a higher metric is better (mode="max").
	Max
)

// String returns "min" or "max".
func (m PlateauMode) String() string {
	switch m {
	case Min:
		return "min"
	case Max:
		return "max"
	}
	return fmt.Sprintf("PlateauMode(%d)", int(m))
}

// ThresholdMode says how ReduceLROnPlateau measures an improvement.
type ThresholdMode int

const (
	// RelThreshold: a metric improves on the best by more than Threshold·|best|
	// (PyTorch's threshold_mode="rel", the default).
	RelThreshold ThresholdMode = iota
	// AbsThreshold: a metric improves on the best by more than Threshold
	// (threshold_mode="abs").
	AbsThreshold
)

// String returns "rel" or "abs".
func (m ThresholdMode) String() string {
	switch m {
	case RelThreshold:
		return "rel"
	case AbsThreshold:
		return "abs"
	}
	return fmt.Sprintf("ThresholdMode(%d)", int(m))
}

// PlateauConfig holds the settings of ReduceLROnPlateau. A zero field means
// PyTorch's default, that of torch.optim.lr_scheduler.ReduceLROnPlateau
// (torch/optim/lr_scheduler.py); write Zero for a field that is to be 0
// itself: PlateauConfig{} is PyTorch's scheduler, PlateauConfig{Patience:
// Zero} reduces at the first epoch without improvement.
type PlateauConfig struct {
	Mode          PlateauMode   // Min or Max. Zero field: Min (mode="min")
	Factor        float64       // the rate is multiplied by Factor on a plateau, in [0, 1). Zero field: 0.1 (factor=0.1)
	Patience      int           // bad epochs tolerated before a reduction, >= 0. Zero field: 10 (patience=10)
	Threshold     float64       // least improvement that counts, finite and >= 0. Zero field: 1e-4 (threshold=1e-4)
	ThresholdMode ThresholdMode // RelThreshold or AbsThreshold. Zero field: RelThreshold (threshold_mode="rel")
	Cooldown      int           // epochs after a reduction during which bad epochs are not counted, >= 0. Zero field: 0 (cooldown=0)
	MinLR         float64       // the rate never goes below MinLR, finite and >= 0. Zero field: 0 (min_lr=0)
	Eps           float64       // a reduction smaller than Eps is skipped, finite and >= 0. Zero field: 1e-8 (eps=1e-8)
}

// DefaultPlateau returns the defaults of PyTorch's
// torch.optim.lr_scheduler.ReduceLROnPlateau, the meaning of the zero
// PlateauConfig: mode min, factor 0.1, patience 10, threshold 1e-4
// relative, cooldown 0, min_lr 0, eps 1e-8.
func DefaultPlateau() PlateauConfig {
	return PlateauConfig{Factor: 0.1, Patience: 10, Threshold: 1e-4, Eps: 1e-8}
}

// withDefaults returns c with its zero fields set to the defaults and its
// Zero fields set to 0.
func (c PlateauConfig) withDefaults() PlateauConfig {
	d := DefaultPlateau()
	c.Factor = orDefault(c.Factor, d.Factor)
	c.Patience = orDefault(c.Patience, d.Patience)
	c.Threshold = orDefault(c.Threshold, d.Threshold)
	c.Cooldown = orDefault(c.Cooldown, d.Cooldown)
	c.MinLR = orDefault(c.MinLR, d.MinLR)
	c.Eps = orDefault(c.Eps, d.Eps)
	return c
}

// Validate returns a *HyperparamError naming the first field out of range,
// once the defaults are filled in.
func (c PlateauConfig) Validate() error { return c.withDefaults().validate("PlateauConfig") }

func (c PlateauConfig) validate(op string) error {
	if c.Mode != Min && c.Mode != Max {
		return &HyperparamError{Op: op, Field: "Mode", Value: float64(c.Mode), Want: "Min or Max"}
	}
	if err := checkUnit(op, "Factor", c.Factor); err != nil {
		return err
	}
	if c.Patience < 0 {
		return &HyperparamError{Op: op, Field: "Patience", Value: float64(c.Patience), Want: ">= 0"}
	}
	if err := checkNonNeg(op, "Threshold", c.Threshold); err != nil {
		return err
	}
	if c.ThresholdMode != RelThreshold && c.ThresholdMode != AbsThreshold {
		return &HyperparamError{Op: op, Field: "ThresholdMode", Value: float64(c.ThresholdMode), Want: "RelThreshold or AbsThreshold"}
	}
	if c.Cooldown < 0 {
		return &HyperparamError{Op: op, Field: "Cooldown", Value: float64(c.Cooldown), Want: ">= 0"}
	}
	if err := checkLR(op, "MinLR", c.MinLR); err != nil {
		return err
	}
	return checkNonNeg(op, "Eps", c.Eps)
}

// PlateauState is the mutable state of ReduceLROnPlateau, for checkpoints.
type PlateauState struct {
	// Best is the best metric so far: +Inf (Min) or −Inf (Max) before the
	// first Step. Encode it with strconv.FormatFloat, not encoding/json,
	// which refuses infinities.
	Best         float64
	BadEpochs    int // consecutive epochs without improvement (PyTorch's num_bad_epochs)
	CooldownLeft int // epochs of cooldown left (cooldown_counter)
	Epochs       int // Step calls so far (last_epoch)
}

// ReduceLROnPlateau lowers an optimizer's learning rate when a metric has
// stopped improving, with the semantics of PyTorch's
// torch.optim.lr_scheduler.ReduceLROnPlateau. Each Step(metric), once per
// epoch:
//
//	if metric is better than Best:  Best ← metric; BadEpochs ← 0
//	else:                           BadEpochs ← BadEpochs + 1
//	if CooldownLeft > 0:            CooldownLeft ← CooldownLeft − 1; BadEpochs ← 0
//	if BadEpochs > Patience:
//	    new ← max(lr·Factor, MinLR); if lr − new > Eps: lr ← new
//	    CooldownLeft ← Cooldown; BadEpochs ← 0
//
// where "better" is, for Min: metric < Best·(1 − Threshold) (RelThreshold) or
// metric < Best − Threshold (AbsThreshold); for Max: metric > Best·(1 + Threshold)
// (RelThreshold) or metric > Best + Threshold (AbsThreshold). So with Patience p the rate
// drops at the (p+1)-th consecutive epoch without improvement. A NaN metric
// is never better: it counts as a bad epoch, as in PyTorch.
type ReduceLROnPlateau struct {
	opt Optimizer
	cfg PlateauConfig
	st  PlateauState
}

// NewReduceLROnPlateau returns a ReduceLROnPlateau acting on opt. It returns
// a *HyperparamError if cfg is out of range.
func NewReduceLROnPlateau(opt Optimizer, cfg PlateauConfig) (*ReduceLROnPlateau, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate("NewReduceLROnPlateau"); err != nil {
		return nil, err
	}
	r := &ReduceLROnPlateau{opt: opt, cfg: cfg}
	r.st.Best = math.Inf(1)
	if cfg.Mode == Max {
		r.st.Best = math.Inf(-1)
	}
	return r, nil
}

// Step records one epoch's metric and reduces the optimizer's learning rate
// if the metric has not improved for more than Patience epochs. It reports
// whether the rate changed.
func (r *ReduceLROnPlateau) Step(metric float64) (reduced bool) {
	r.st.Epochs++
	if r.better(metric) {
		r.st.Best = metric
		r.st.BadEpochs = 0
	} else {
		r.st.BadEpochs++
	}
	if r.st.CooldownLeft > 0 {
		r.st.CooldownLeft--
		r.st.BadEpochs = 0
	}
	if r.st.BadEpochs > r.cfg.Patience {
		old := r.opt.LR()
		if lr := max(old*r.cfg.Factor, r.cfg.MinLR); old-lr > r.cfg.Eps {
			r.opt.SetLR(lr)
			reduced = true
		}
		r.st.CooldownLeft = r.cfg.Cooldown
		r.st.BadEpochs = 0
	}
	return reduced
}

func (r *ReduceLROnPlateau) better(a float64) bool {
	best, th := r.st.Best, r.cfg.Threshold
	switch {
	case r.cfg.Mode == Min && r.cfg.ThresholdMode == RelThreshold:
		return a < best*(1-th)
	case r.cfg.Mode == Min:
		return a < best-th
	case r.cfg.ThresholdMode == RelThreshold:
		return a > best*(th+1)
	default:
		return a > best+th
	}
}

// Config returns the settings in effect: the defaults filled in.
func (r *ReduceLROnPlateau) Config() PlateauConfig { return r.cfg }

// State returns the state for a checkpoint. The learning rate itself is
// part of the optimizer's State.
func (r *ReduceLROnPlateau) State() PlateauState { return r.st }

// SetState restores a state from State. It returns a *ParamError for
// negative counters or a Best that is NaN.
func (r *ReduceLROnPlateau) SetState(s PlateauState) error {
	const op = "ReduceLROnPlateau.SetState"
	switch {
	case math.IsNaN(s.Best):
		return &ParamError{Op: op, Msg: "Best is NaN"}
	case s.BadEpochs < 0 || s.CooldownLeft < 0 || s.Epochs < 0:
		return &ParamError{Op: op, Msg: fmt.Sprintf("negative counter in %+v", s)}
	}
	r.st = s
	return nil
}
