package optim

import "github.com/spikegrad/spikegrad/autograd"

// SGDConfig holds the hyperparameters of SGD. A zero field means PyTorch's
// default, that of torch.optim.SGD (torch/optim/sgd.py): SGDConfig{} is plain
// SGD at learning rate 1e-3, and SGDConfig{LR: 0.1, Momentum: 0.9} is
// momentum SGD.
type SGDConfig struct {
	LR          float64 // learning rate, finite and >= 0. Zero field: 1e-3 (lr=1e-3)
	Momentum    float64 // momentum factor μ, finite and >= 0. Zero field: 0, none (momentum=0)
	Dampening   float64 // dampening τ of the gradient added to the momentum buffer, finite and >= 0. Zero field: 0 (dampening=0)
	WeightDecay float64 // coupled (L2) weight decay λ, finite and >= 0. Zero field: 0 (weight_decay=0)
	Nesterov    bool    // Nesterov momentum; needs Momentum > 0 and Dampening = 0 (nesterov=False)
}

// DefaultSGD returns PyTorch's defaults of torch.optim.SGD, the meaning of
// the zero SGDConfig: lr 1e-3, no momentum, no dampening, no weight decay,
// no Nesterov.
func DefaultSGD() SGDConfig { return SGDConfig{LR: 1e-3} }

// withDefaults returns c with its zero fields set to the defaults and its
// Zero fields set to 0.
func (c SGDConfig) withDefaults() SGDConfig {
	d := DefaultSGD()
	c.LR = orDefault(c.LR, d.LR)
	c.Momentum = orDefault(c.Momentum, d.Momentum)
	c.Dampening = orDefault(c.Dampening, d.Dampening)
	c.WeightDecay = orDefault(c.WeightDecay, d.WeightDecay)
	return c
}

// Validate returns a *HyperparamError naming the first field out of range,
// once the defaults are filled in: a negative, infinite or NaN LR, Momentum,
// Dampening or WeightDecay, or Nesterov without Momentum > 0 and Dampening
// = 0 (as PyTorch refuses it).
func (c SGDConfig) Validate() error { return c.withDefaults().validate("SGDConfig") }

func (c SGDConfig) validate(op string) error {
	if err := checkLR(op, "LR", c.LR); err != nil {
		return err
	}
	if err := checkNonNeg(op, "Momentum", c.Momentum); err != nil {
		return err
	}
	if err := checkNonNeg(op, "Dampening", c.Dampening); err != nil {
		return err
	}
	if err := checkNonNeg(op, "WeightDecay", c.WeightDecay); err != nil {
		return err
	}
	if c.Nesterov && c.Momentum <= 0 {
		return &HyperparamError{Op: op, Field: "Momentum", Value: c.Momentum, Want: "> 0 with Nesterov"}
	}
	if c.Nesterov && c.Dampening != 0 {
		return &HyperparamError{Op: op, Field: "Dampening", Value: c.Dampening, Want: "0 with Nesterov"}
	}
	return nil
}

// SGD is stochastic gradient descent with optional momentum, dampening,
// Nesterov momentum and coupled weight decay, with the update equations of
// PyTorch's torch.optim.SGD. For each Param θ with gradient g at update t
// (t = 1 for the Param's first update), learning rate γ, momentum μ,
// dampening τ and weight decay λ:
//
//	g ← g + λ·θ                       if λ ≠ 0
//	b ← g                             if μ ≠ 0 and t = 1
//	b ← μ·b + (1 − τ)·g               if μ ≠ 0 and t > 1
//	g ← g + μ·b                       if μ ≠ 0 and Nesterov
//	g ← b                             if μ ≠ 0 and not Nesterov
//	θ ← θ − γ·g
//
// Every operation is a float32 operation rounded on its own (no fused
// multiply-add). The Param's Grad is read, never modified. The momentum
// buffer b is exported as "momentum_buffer".
type SGD struct {
	cfg SGDConfig
	c   core
}

// NewSGD returns an SGD optimizer over params. It returns a
// *HyperparamError if cfg is out of range (see SGDConfig.Validate) and a
// *ParamError if params is empty, holds nil, the same Param twice, two
// Params with the same Name, or a Param whose Grad and Data lengths differ.
func NewSGD(params []*autograd.Param, cfg SGDConfig) (*SGD, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate("NewSGD"); err != nil {
		return nil, err
	}
	var names []string
	if cfg.Momentum != 0 {
		names = []string{"momentum_buffer"}
	}
	c, err := newCore("SGD", "NewSGD", params, cfg.LR, names...)
	if err != nil {
		return nil, err
	}
	return &SGD{cfg: cfg, c: c}, nil
}

// Step applies one update to every Param that is not Frozen.
func (o *SGD) Step() {
	lr := float32(o.c.lr)
	wd := float32(o.cfg.WeightDecay)
	mu := float32(o.cfg.Momentum)
	keep := float32(1 - o.cfg.Dampening)
	for i, p := range o.c.params {
		if p.Frozen {
			continue
		}
		data, grad := o.c.operands(i)
		switch {
		case mu == 0:
			sgdPlain(data, grad, lr, wd)
		case o.c.steps[i] == 0:
			sgdMomentum(data, grad, o.c.bufs[0][i], lr, wd, mu, keep, o.cfg.Nesterov, true)
		default:
			sgdMomentum(data, grad, o.c.bufs[0][i], lr, wd, mu, keep, o.cfg.Nesterov, false)
		}
		o.c.steps[i]++
	}
}

// sgdPlain is θ ← θ − γ·(g + λ·θ).
func sgdPlain(p, g []float32, lr, wd float32) {
	g = g[:len(p)]
	if wd == 0 {
		for i, d := range g {
			p[i] -= float32(lr * d)
		}
		return
	}
	for i, d := range g {
		d += float32(wd * p[i])
		p[i] -= float32(lr * d)
	}
}

// sgdMomentum is the momentum update; first selects b ← g.
func sgdMomentum(p, g, b []float32, lr, wd, mu, keep float32, nesterov, first bool) {
	g = g[:len(p)]
	b = b[:len(p)]
	for i, d := range g {
		if wd != 0 {
			d += float32(wd * p[i])
		}
		var m float32
		if first {
			m = d
		} else {
			m = float32(mu*b[i]) + float32(keep*d)
		}
		b[i] = m
		if nesterov {
			d += float32(mu * m)
		} else {
			d = m
		}
		p[i] -= float32(lr * d)
	}
}

// ZeroGrad sets every Param's gradient to zero.
func (o *SGD) ZeroGrad() { o.c.zeroGrad() }

// LR is the current learning rate.
func (o *SGD) LR() float64 { return o.c.lr }

// SetLR sets the learning rate; it panics with a *HyperparamError if lr is
// negative, infinite or NaN.
func (o *SGD) SetLR(lr float64) { o.c.setLR(lr) }

// Params returns the optimizer's Params; do not modify the slice.
func (o *SGD) Params() []*autograd.Param { return o.c.params }

// Config returns the hyperparameters in effect: the defaults filled in, LR
// the current learning rate.
func (o *SGD) Config() SGDConfig {
	cfg := o.cfg
	cfg.LR = o.c.lr
	return cfg
}

// State returns a copy of the state: Algorithm "SGD", the learning rate, each
// Param's step count and, with momentum, its "momentum_buffer".
func (o *SGD) State() State { return o.c.state() }

// SetState restores a state exported by an SGD with the same Momentum
// setting (zero or not) over Params with the same names and lengths.
func (o *SGD) SetState(s State) error { return o.c.setState(s) }
