package optim

import (
	"math"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/internal/kernels"
)

// AdamConfig holds the hyperparameters of Adam, AdamW included. A zero field
// means PyTorch's default, that of torch.optim.Adam (torch/optim/adam.py) or,
// with Decoupled, of torch.optim.AdamW (torch/optim/adamw.py); write Zero for
// a field that is to be 0 itself. So AdamConfig{LR: 5e-4} is Adam with
// betas (0.9, 0.999) and eps 1e-8.
type AdamConfig struct {
	// LR is the learning rate γ, finite and >= 0. Zero field: 1e-3 (lr=1e-3).
	LR float64
	// Beta1 is the decay β₁ of the first-moment average, in [0, 1). Zero
	// field: 0.9 (betas=(0.9, 0.999)); Zero for no averaging.
	Beta1 float64
	// Beta2 is the decay β₂ of the second-moment average, in [0, 1). Zero
	// field: 0.999 (betas=(0.9, 0.999)).
	Beta2 float64
	// Eps is ε, added to the root of the second moment, finite and > 0. Zero
	// field: 1e-8 (eps=1e-8).
	Eps float64
	// WeightDecay is λ, finite and >= 0: coupled (an L2 term added to the
	// gradient), or decoupled (θ shrunk by γ·λ·θ) with Decoupled. Zero field:
	// 0 (Adam's weight_decay=0), or 0.01 with Decoupled (AdamW's
	// weight_decay=1e-2); Zero for an AdamW without decay.
	WeightDecay float64
	// Decoupled makes the weight decay decoupled: AdamW (Loshchilov and
	// Hutter, 2019; PyTorch's Adam(decoupled_weight_decay=True), which
	// torch.optim.AdamW is). NewAdamW sets it.
	Decoupled bool
	// AMSGrad divides by the running maximum of the second moment instead of
	// the second moment itself (Reddi et al., 2018, as in PyTorch;
	// amsgrad=False).
	AMSGrad bool
}

// DefaultAdam returns PyTorch's defaults of torch.optim.Adam, the meaning of
// the zero AdamConfig: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay
// 0, no AMSGrad.
func DefaultAdam() AdamConfig {
	return AdamConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

// DefaultAdamW returns PyTorch's defaults of torch.optim.AdamW, the meaning
// of AdamConfig{Decoupled: true}: those of Adam with decoupled weight decay
// 0.01.
func DefaultAdamW() AdamConfig {
	c := DefaultAdam()
	c.WeightDecay = 0.01
	c.Decoupled = true
	return c
}

// withDefaults returns c with its zero fields set to the defaults and its
// Zero fields set to 0.
func (c AdamConfig) withDefaults() AdamConfig {
	d := DefaultAdam()
	if c.Decoupled {
		d = DefaultAdamW()
	}
	c.LR = orDefault(c.LR, d.LR)
	c.Beta1 = orDefault(c.Beta1, d.Beta1)
	c.Beta2 = orDefault(c.Beta2, d.Beta2)
	c.Eps = orDefault(c.Eps, d.Eps)
	c.WeightDecay = orDefault(c.WeightDecay, d.WeightDecay)
	return c
}

// Validate returns a *HyperparamError naming the first field out of range,
// once the defaults are filled in: LR or WeightDecay negative, infinite or
// NaN; Beta1 or Beta2 outside [0, 1) or NaN; Eps not finite and > 0 (Zero
// included).
func (c AdamConfig) Validate() error { return c.withDefaults().validate("AdamConfig") }

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
// of PyTorch's torch.optim.Adam, and, with AdamConfig.Decoupled, AdamW. For
// each Param θ with gradient g at its update t (t = 1 first), learning rate
// γ and weight decay λ:
//
//	g  ← g + λ·θ                          if λ ≠ 0 and not Decoupled
//	θ  ← θ·(1 − γ·λ)                      if Decoupled
//	m  ← β₁·m + (1 − β₁)·g
//	v  ← β₂·v + (1 − β₂)·g²
//	v̂max ← max(v̂max, v)                  with AMSGrad; then v stands for v̂max below
//	θ  ← θ − (γ / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
//
// Coupled weight decay is an L2 term that passes through the moments. The
// decoupled decay of AdamW (Loshchilov and Hutter, 2019) shrinks θ before
// the Adam step, and λ never enters the moments; it is usually what a recipe
// that says "weight decay" with Adam means.
//
// ε is added after the square root of the bias-corrected second moment, as
// in PyTorch (Kingma and Ba add it to √v̂ too; some frameworks add it inside
// the root or before the correction, which differs while v is small). The
// scalars γ/(1 − β₁ᵗ), 1/√(1 − β₂ᵗ) and 1 − γ·λ are computed in float64
// once per Param and update, then rounded to float32; m, v and θ are float32
// and every operation on them rounds on its own. With ε negligible, the
// first update moves every element by exactly γ·sign(g). Buffers: "exp_avg"
// (m), "exp_avg_sq" (v) and, with AMSGrad, "max_exp_avg_sq".
type Adam struct {
	cfg AdamConfig // defaults filled in
	c   core
}

// NewAdam returns an Adam optimizer over params, AdamW if cfg.Decoupled.
// Errors are those of NewSGD, with cfg checked by AdamConfig.Validate.
func NewAdam(params []*autograd.Param, cfg AdamConfig) (*Adam, error) {
	return newAdam("NewAdam", params, cfg)
}

// NewAdamW returns an AdamW optimizer over params: NewAdam with
// cfg.Decoupled set, so that a zero WeightDecay means AdamW's 0.01.
func NewAdamW(params []*autograd.Param, cfg AdamConfig) (*Adam, error) {
	cfg.Decoupled = true
	return newAdam("NewAdamW", params, cfg)
}

func newAdam(ctor string, params []*autograd.Param, cfg AdamConfig) (*Adam, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(ctor); err != nil {
		return nil, err
	}
	names := []string{"exp_avg", "exp_avg_sq"}
	if cfg.AMSGrad {
		names = append(names, "max_exp_avg_sq")
	}
	alg := "Adam"
	if cfg.Decoupled {
		alg = "AdamW"
	}
	c, err := newCore(alg, ctor, params, cfg.LR, names...)
	if err != nil {
		return nil, err
	}
	return &Adam{cfg: cfg, c: c}, nil
}

// adamScalars are the float32 constants of one Param's update.
type adamScalars struct {
	b1, c1, b2, c2 float32 // β₁, 1 − β₁, β₂, 1 − β₂
	step           float32 // γ / (1 − β₁ᵗ)
	rbc2           float32 // 1 / √(1 − β₂ᵗ)
	eps            float32
	wd             float32 // coupled weight decay λ, 0 when decoupled
	shrink         float32 // 1 − γ·λ when decoupled (AdamW), else 1
}

// Step applies one update to every Param that is not Frozen.
func (a *Adam) Step() {
	cfg := a.cfg
	s := adamScalars{
		b1: float32(cfg.Beta1), c1: float32(1 - cfg.Beta1),
		b2: float32(cfg.Beta2), c2: float32(1 - cfg.Beta2),
		eps: float32(cfg.Eps), shrink: 1,
	}
	if cfg.Decoupled {
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

// ZeroGrad sets every Param's gradient to zero.
func (a *Adam) ZeroGrad() { a.c.zeroGrad() }

// LR is the current learning rate.
func (a *Adam) LR() float64 { return a.c.lr }

// SetLR sets the learning rate; it panics with a *HyperparamError if lr is
// negative, infinite or NaN. AdamW's decoupled decay γ·λ follows it.
func (a *Adam) SetLR(lr float64) { a.c.setLR(lr) }

// Params returns the optimizer's Params; do not modify the slice.
func (a *Adam) Params() []*autograd.Param { return a.c.params }

// Config returns the hyperparameters in effect: the defaults filled in, a
// field given as Zero as 0, LR the current learning rate. A constructor
// would read such a 0 as the default: to build the same optimizer again,
// keep the config it was built from.
func (a *Adam) Config() AdamConfig {
	cfg := a.cfg
	cfg.LR = a.c.lr
	return cfg
}

// State returns a copy of the state: Algorithm "Adam", or "AdamW" when
// Decoupled, the learning rate, each Param's step count, "exp_avg",
// "exp_avg_sq" and, with AMSGrad, "max_exp_avg_sq".
func (a *Adam) State() State { return a.c.state() }

// SetState restores a state exported by an Adam with the same Decoupled and
// AMSGrad settings over Params with the same names and lengths.
func (a *Adam) SetState(s State) error { return a.c.setState(s) }

// Interface checks.
var (
	_ Optimizer = (*SGD)(nil)
	_ Optimizer = (*Adam)(nil)
)
