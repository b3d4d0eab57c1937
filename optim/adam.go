package optim

import (
	"math"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/internal/kernels"
)

// AdamConfig holds the hyperparameters of Adam and AdamW. Fields are taken
// literally (a zero Beta1 means no first-moment averaging): start from
// DefaultAdam or DefaultAdamW.
type AdamConfig struct {
	LR    float64 // learning rate γ, finite and >= 0; default 1e-3
	Beta1 float64 // decay β₁ of the first-moment average, in [0, 1); default 0.9
	Beta2 float64 // decay β₂ of the second-moment average, in [0, 1); default 0.999
	Eps   float64 // ε added to the root of the second moment, finite and > 0; default 1e-8
	// WeightDecay λ, finite and >= 0: coupled (an L2 term added to the
	// gradient) in Adam, decoupled (θ shrunk by γ·λ·θ) in AdamW. Default 0
	// for Adam, 0.01 for AdamW.
	WeightDecay float64
	// AMSGrad divides by the running maximum of the second moment instead of
	// the second moment itself (Reddi et al., 2018, as in PyTorch).
	AMSGrad bool
}

// DefaultAdam returns PyTorch's defaults of torch.optim.Adam: lr 1e-3, betas
// (0.9, 0.999), eps 1e-8, weight decay 0, no AMSGrad.
func DefaultAdam() AdamConfig {
	return AdamConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

// DefaultAdamW returns PyTorch's defaults of torch.optim.AdamW: those of Adam
// with weight decay 0.01.
func DefaultAdamW() AdamConfig {
	c := DefaultAdam()
	c.WeightDecay = 0.01
	return c
}

// Validate returns a *HyperparamError naming the first field out of range:
// LR or WeightDecay negative, infinite or NaN; Beta1 or Beta2 outside [0, 1)
// or NaN; Eps not finite and > 0.
func (c AdamConfig) Validate() error { return c.validate("AdamConfig") }

func (c AdamConfig) validate(op string) error {
	if err := checkLR(op, "LR", c.LR); err != nil {
		return err
	}
	if err := checkUnit(op, "Beta1", c.Beta1); err != nil {
		return err
	}
	if err := checkUnit(op, "Beta2", c.Beta2); err != nil {
		return err
	}
	if !(c.Eps > 0) || math.IsInf(c.Eps, 1) {
		return &HyperparamError{Op: op, Field: "Eps", Value: c.Eps, Want: "finite and > 0"}
	}
	return checkNonNeg(op, "WeightDecay", c.WeightDecay)
}

// Adam is the Adam optimizer (Kingma and Ba, 2015) with the update equations
// of PyTorch's torch.optim.Adam, weight decay coupled as an L2 term. For each
// Param θ with gradient g at its update t (t = 1 first), learning rate γ:
//
//	g  ← g + λ·θ                          if λ ≠ 0
//	m  ← β₁·m + (1 − β₁)·g
//	v  ← β₂·v + (1 − β₂)·g²
//	v̂max ← max(v̂max, v)                  with AMSGrad; then v stands for v̂max below
//	θ  ← θ − (γ / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
//
// ε is added after the square root of the bias-corrected second moment, as
// in PyTorch (Kingma and Ba add it to √v̂ too; some frameworks add it inside
// the root or before the correction, which differs while v is small). The
// scalars γ/(1 − β₁ᵗ) and 1/√(1 − β₂ᵗ) are computed in float64 once per
// Param and update, then rounded to float32; m, v and θ are float32 and every
// operation on them rounds on its own. With ε negligible, the first update
// moves every element by exactly γ·sign(g). Buffers: "exp_avg" (m),
// "exp_avg_sq" (v) and, with AMSGrad, "max_exp_avg_sq".
type Adam struct {
	a adam
}

// AdamW is Adam with decoupled weight decay (Loshchilov and Hutter, 2019)
// with the update equations of PyTorch's torch.optim.AdamW: before the Adam
// step, each Param is shrunk by γ·λ·θ, and λ never enters the moments:
//
//	θ ← θ·(1 − γ·λ)         (1 − γ·λ computed in float64, rounded to float32)
//	then Adam's update with λ = 0.
//
// Its default weight decay is 0.01 (DefaultAdamW).
type AdamW struct {
	a adam
}

// adam implements both.
type adam struct {
	cfg       AdamConfig
	decoupled bool
	c         core
}

// NewAdam returns an Adam optimizer over params. Errors are those of NewSGD,
// with cfg checked by AdamConfig.Validate.
func NewAdam(params []*autograd.Param, cfg AdamConfig) (*Adam, error) {
	a, err := newAdam("Adam", "NewAdam", params, cfg)
	if err != nil {
		return nil, err
	}
	return &Adam{a: a}, nil
}

// NewAdamW returns an AdamW optimizer over params. Errors are those of
// NewSGD, with cfg checked by AdamConfig.Validate.
func NewAdamW(params []*autograd.Param, cfg AdamConfig) (*AdamW, error) {
	a, err := newAdam("AdamW", "NewAdamW", params, cfg)
	if err != nil {
		return nil, err
	}
	a.decoupled = true
	return &AdamW{a: a}, nil
}

func newAdam(alg, ctor string, params []*autograd.Param, cfg AdamConfig) (adam, error) {
	if err := cfg.validate(ctor); err != nil {
		return adam{}, err
	}
	names := []string{"exp_avg", "exp_avg_sq"}
	if cfg.AMSGrad {
		names = append(names, "max_exp_avg_sq")
	}
	c, err := newCore(alg, ctor, params, cfg.LR, names...)
	if err != nil {
		return adam{}, err
	}
	return adam{cfg: cfg, c: c}, nil
}

// adamScalars are the float32 constants of one Param's update.
type adamScalars struct {
	b1, c1, b2, c2 float32 // β₁, 1 − β₁, β₂, 1 − β₂
	step           float32 // γ / (1 − β₁ᵗ)
	rbc2           float32 // 1 / √(1 − β₂ᵗ)
	eps            float32
	wd             float32 // coupled weight decay λ, 0 for AdamW
	shrink         float32 // 1 − γ·λ for AdamW, 1 for Adam
}

func (a *adam) step() {
	cfg := a.cfg
	s := adamScalars{
		b1: float32(cfg.Beta1), c1: float32(1 - cfg.Beta1),
		b2: float32(cfg.Beta2), c2: float32(1 - cfg.Beta2),
		eps: float32(cfg.Eps), shrink: 1,
	}
	if a.decoupled {
		s.shrink = float32(1 - a.c.lr*cfg.WeightDecay)
	} else {
		s.wd = float32(cfg.WeightDecay)
	}
	for i, p := range a.c.params {
		if p.Frozen {
			continue
		}
		data, grad := a.c.operands(i)
		a.c.steps[i]++
		t := float64(a.c.steps[i])
		s.step = float32(a.c.lr / (1 - math.Pow(cfg.Beta1, t)))
		s.rbc2 = float32(1 / math.Sqrt(1-math.Pow(cfg.Beta2, t)))
		m, v := a.c.bufs[0][i], a.c.bufs[1][i]
		switch {
		case cfg.AMSGrad:
			adamAMSGrad(data, grad, m, v, a.c.bufs[2][i], &s)
		case s.wd == 0 && s.shrink == 1:
			adamPlain(data, grad, m, v, &s)
		default:
			adamDecay(data, grad, m, v, &s)
		}
	}
}

// adamPlain is Adam without weight decay or AMSGrad: the common case. It
// runs the vectorised loop of the kernels, which performs exactly the
// float32 operations of adamDecay with no decay, in the same order.
func adamPlain(p, g, m, v []float32, s *adamScalars) {
	kernels.FusedAdam(p, g, m, v, &kernels.AdamCoeffs{B1: s.b1, C1: s.c1, B2: s.b2, C2: s.c2,
		Step: s.step, RBC2: s.rbc2, Eps: s.eps})
}

// adamDecay is Adam with coupled (wd) or decoupled (shrink) weight decay.
func adamDecay(p, g, m, v []float32, s *adamScalars) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	b1, c1, b2, c2, step, rbc2, eps := s.b1, s.c1, s.b2, s.c2, s.step, s.rbc2, s.eps
	wd, shrink := s.wd, s.shrink
	for i, d := range g {
		x := p[i]
		d += float32(wd * x)
		x *= shrink
		mi := float32(b1*m[i]) + float32(c1*d)
		vi := float32(b2*v[i]) + float32(float32(c2*d)*d)
		m[i], v[i] = mi, vi
		den := float32(float32(math.Sqrt(float64(vi)))*rbc2) + eps
		p[i] = x - float32(step*mi/den)
	}
}

// adamAMSGrad is the AMSGrad variant, with either kind of weight decay.
func adamAMSGrad(p, g, m, v, vmax []float32, s *adamScalars) {
	g, m, v, vmax = g[:len(p)], m[:len(p)], v[:len(p)], vmax[:len(p)]
	b1, c1, b2, c2, step, rbc2, eps := s.b1, s.c1, s.b2, s.c2, s.step, s.rbc2, s.eps
	wd, shrink := s.wd, s.shrink
	for i, d := range g {
		x := p[i]
		d += float32(wd * x)
		x *= shrink
		mi := float32(b1*m[i]) + float32(c1*d)
		vi := float32(b2*v[i]) + float32(float32(c2*d)*d)
		m[i], v[i] = mi, vi
		vm := max(vmax[i], vi)
		vmax[i] = vm
		den := float32(float32(math.Sqrt(float64(vm)))*rbc2) + eps
		p[i] = x - float32(step*mi/den)
	}
}

// Step applies one update to every Param that is not Frozen.
func (o *Adam) Step() { o.a.step() }

// ZeroGrad sets every Param's gradient to zero.
func (o *Adam) ZeroGrad() { o.a.c.zeroGrad() }

// LR is the current learning rate.
func (o *Adam) LR() float64 { return o.a.c.lr }

// SetLR sets the learning rate; it panics with a *HyperparamError if lr is
// negative, infinite or NaN.
func (o *Adam) SetLR(lr float64) { o.a.c.setLR(lr) }

// Params returns the optimizer's Params; do not modify the slice.
func (o *Adam) Params() []*autograd.Param { return o.a.c.params }

// Config returns the hyperparameters, with LR the current learning rate.
func (o *Adam) Config() AdamConfig { return o.a.config() }

// State returns a copy of the state: Algorithm "Adam", the learning rate,
// each Param's step count, "exp_avg", "exp_avg_sq" and, with AMSGrad,
// "max_exp_avg_sq".
func (o *Adam) State() State { return o.a.c.state() }

// SetState restores a state exported by an Adam with the same AMSGrad
// setting over Params with the same names and lengths.
func (o *Adam) SetState(s State) error { return o.a.c.setState(s) }

// Step applies one update to every Param that is not Frozen.
func (o *AdamW) Step() { o.a.step() }

// ZeroGrad sets every Param's gradient to zero.
func (o *AdamW) ZeroGrad() { o.a.c.zeroGrad() }

// LR is the current learning rate.
func (o *AdamW) LR() float64 { return o.a.c.lr }

// SetLR sets the learning rate; it panics with a *HyperparamError if lr is
// negative, infinite or NaN. The decoupled decay γ·λ follows it.
func (o *AdamW) SetLR(lr float64) { o.a.c.setLR(lr) }

// Params returns the optimizer's Params; do not modify the slice.
func (o *AdamW) Params() []*autograd.Param { return o.a.c.params }

// Config returns the hyperparameters, with LR the current learning rate.
func (o *AdamW) Config() AdamConfig { return o.a.config() }

// State returns a copy of the state, as Adam's with Algorithm "AdamW".
func (o *AdamW) State() State { return o.a.c.state() }

// SetState restores a state exported by an AdamW with the same AMSGrad
// setting over Params with the same names and lengths.
func (o *AdamW) SetState(s State) error { return o.a.c.setState(s) }

func (a *adam) config() AdamConfig {
	cfg := a.cfg
	cfg.LR = a.c.lr
	return cfg
}

// Interface checks.
var (
	_ Optimizer = (*SGD)(nil)
	_ Optimizer = (*Adam)(nil)
	_ Optimizer = (*AdamW)(nil)
)
