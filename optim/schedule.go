package optim

import (
	"fmt"
	"math"
)

// Schedule gives the learning rate as a closed-form function of a count t:
// epochs or optimizer steps, whichever the caller advances it by. t starts at
// 0, where a schedule returns its base rate. A Schedule holds no state, so a
// resumed run needs only t. Apply it before each step (or epoch):
//
//	opt.SetLR(sched.LR(t))
//
// LR panics with a *HyperparamError if t < 0 or if the schedule's fields
// are out of range (see its Validate).
type Schedule interface {
	LR(t int) float64
}

// Constant is the schedule that always returns its value.
type Constant float64

// LR returns c.
func (c Constant) LR(t int) float64 {
	if err := checkT("Constant", t); err != nil {
		panic(err)
	}
	if err := c.Validate(); err != nil {
		panic(err)
	}
	return float64(c)
}

// Validate refuses a negative, infinite or NaN rate.
func (c Constant) Validate() error { return checkLR("Constant", "lr", float64(c)) }

// StepLR decays the rate by Gamma every StepSize counts, as PyTorch's
// torch.optim.lr_scheduler.StepLR:
//
//	lr(t) = Base · Gamma^⌊t / StepSize⌋
type StepLR struct {
	Base     float64 // the rate at t = 0, finite and >= 0
	StepSize int     // counts between decays, > 0
	Gamma    float64 // factor per decay, finite and >= 0. Zero field: PyTorch's 0.1 (gamma=0.1); Zero for 0
}

// LR returns Base·Gamma^⌊t/StepSize⌋.
func (s StepLR) LR(t int) float64 {
	if err := checkT("StepLR", t); err != nil {
		panic(err)
	}
	if err := s.Validate(); err != nil {
		panic(err)
	}
	return s.Base * math.Pow(s.gamma(), float64(t/s.StepSize))
}

// gamma is Gamma with its default filled in.
func (s StepLR) gamma() float64 { return orDefault(s.Gamma, 0.1) }

// Validate returns a *HyperparamError naming the first field out of range.
func (s StepLR) Validate() error {
	if err := checkLR("StepLR", "Base", s.Base); err != nil {
		return err
	}
	if s.StepSize <= 0 {
		return &HyperparamError{Op: "StepLR", Field: "StepSize", Value: float64(s.StepSize), Want: "> 0"}
	}
	return checkNonNeg("StepLR", "Gamma", s.gamma())
}

// CosineAnnealingLR follows half a cosine from Base down to EtaMin over TMax
// counts, in the closed form of PyTorch's
// torch.optim.lr_scheduler.CosineAnnealingLR (SGDR without restarts,
// Loshchilov and Hutter, 2017):
//
//	lr(t) = EtaMin + (Base − EtaMin)·(1 + cos(π·t/TMax))/2
//
// so lr(0) = Base, lr(TMax/2) = (Base + EtaMin)/2 and lr(TMax) = EtaMin.
// Past TMax the closed form goes on (the rate rises again towards Base at
// 2·TMax), as PyTorch's does: set TMax to the length of the run.
type CosineAnnealingLR struct {
	Base   float64 // the rate at t = 0, finite and >= 0
	EtaMin float64 // the rate at t = TMax, finite and >= 0 (PyTorch's default 0)
	TMax   int     // counts from Base to EtaMin, > 0
}

// LR returns the cosine-annealed rate at t.
func (s CosineAnnealingLR) LR(t int) float64 {
	if err := checkT("CosineAnnealingLR", t); err != nil {
		panic(err)
	}
	if err := s.Validate(); err != nil {
		panic(err)
	}
	return s.EtaMin + (s.Base-s.EtaMin)*(1+math.Cos(math.Pi*float64(t)/float64(s.TMax)))/2
}

// Validate returns a *HyperparamError naming the first field out of range.
func (s CosineAnnealingLR) Validate() error {
	if err := checkLR("CosineAnnealingLR", "Base", s.Base); err != nil {
		return err
	}
	if err := checkLR("CosineAnnealingLR", "EtaMin", s.EtaMin); err != nil {
		return err
	}
	if s.TMax <= 0 {
		return &HyperparamError{Op: "CosineAnnealingLR", Field: "TMax", Value: float64(s.TMax), Want: "> 0"}
	}
	return nil
}

// LinearWarmup raises the rate linearly from StartFactor times the target
// to the target over Steps counts, then hands over to Then, whose count
// restarts at 0. The target is Then.LR(0). This is PyTorch's
// LinearLR(start_factor, end_factor=1, total_iters=Steps) followed by Then
// in SequentialLR(milestones=[Steps]):
//
//	lr(t) = Then.LR(0)·(StartFactor + (1 − StartFactor)·t/Steps)   for t < Steps
//	lr(t) = Then.LR(t − Steps)                                        for t ≥ Steps
//
// Unlike PyTorch's LinearLR, StartFactor may be 0 (warm-up from a rate of 0).
type LinearWarmup struct {
	StartFactor float64  // fraction of the target at t = 0, in [0, 1]
	Steps       int      // counts of the warm-up, >= 0
	Then        Schedule // the schedule after the warm-up; use Constant(lr) for a fixed rate
}

// LR returns the warmed-up rate at t.
func (s LinearWarmup) LR(t int) float64 {
	if err := checkT("LinearWarmup", t); err != nil {
		panic(err)
	}
	if err := s.Validate(); err != nil {
		panic(err)
	}
	if t >= s.Steps {
		return s.Then.LR(t - s.Steps)
	}
	return s.Then.LR(0) * (s.StartFactor + (1-s.StartFactor)*float64(t)/float64(s.Steps))
}

// Validate returns a *HyperparamError naming the first field out of range;
// a nil Then is reported as the field Then with value 0.
func (s LinearWarmup) Validate() error {
	if !(s.StartFactor >= 0 && s.StartFactor <= 1) {
		return &HyperparamError{Op: "LinearWarmup", Field: "StartFactor", Value: s.StartFactor, Want: "in [0, 1]"}
	}
	if s.Steps < 0 {
		return &HyperparamError{Op: "LinearWarmup", Field: "Steps", Value: float64(s.Steps), Want: ">= 0"}
	}
	if s.Then == nil {
		return &HyperparamError{Op: "LinearWarmup", Field: "Then", Value: 0, Want: "a Schedule, not nil"}
	}
	return nil
}

// checkT refuses a negative count.
func checkT(op string, t int) error {
	if t < 0 {
		return &HyperparamError{Op: op + ".LR", Field: "t", Value: float64(t), Want: ">= 0"}
	}
	return nil
}

// String describes the schedule, for logs.
func (c Constant) String() string { return fmt.Sprintf("Constant(%g)", float64(c)) }

// String describes the schedule, for logs.
func (s StepLR) String() string {
	return fmt.Sprintf("StepLR(base %g, step size %d, gamma %g)", s.Base, s.StepSize, s.gamma())
}

// String describes the schedule, for logs.
func (s CosineAnnealingLR) String() string {
	return fmt.Sprintf("CosineAnnealingLR(base %g, eta min %g, T max %d)", s.Base, s.EtaMin, s.TMax)
}

// String describes the schedule, for logs.
func (s LinearWarmup) String() string {
	return fmt.Sprintf("LinearWarmup(start factor %g over %d, then %v)", s.StartFactor, s.Steps, s.Then)
}
