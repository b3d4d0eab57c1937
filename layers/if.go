package layers

import (
	"math/rand/v2"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/surrogate"
)

// IFConfig configures an integrate-and-fire layer: LIFConfig without the
// decay. A zero field means the documented default.
type IFConfig struct {
	// Threshold is the firing threshold, > 0; zero selects 1 (SpikingJelly's
	// v_threshold default).
	Threshold float32
	// Reset is the reset rule; the zero value is ResetSubtract
	// (SpikingJelly's v_reset=None, its "soft" reset). ResetZero is
	// SpikingJelly's default hard reset to v_reset = 0.
	Reset ResetMode
	// ResetGrad lets the gradient flow through the reset term (see
	// LIFConfig.ResetGrad); the default detaches it, as SpikingJelly's
	// detach_reset=True.
	ResetGrad bool
	// Surrogate is the spike's surrogate derivative; nil selects
	// surrogate.FastSigmoid{}.
	Surrogate surrogate.Func
	// LearnThreshold makes the threshold trainable, clamped to [0, ∞).
	LearnThreshold bool
	// PerNeuron gives every neuron its own threshold ([N] instead of [1]).
	PerNeuron bool
}

// lif returns the LIF config of c: decay 1.
func (c IFConfig) lif() LIFConfig {
	return LIFConfig{Beta: 1, Threshold: c.Threshold, Reset: c.Reset, ResetGrad: c.ResetGrad, Surrogate: c.Surrogate,
		LearnThreshold: c.LearnThreshold, PerNeuron: c.PerNeuron}.withDefaults()
}

func (c IFConfig) spec(n int) model.IF {
	l := c.lif().spec(n)
	return model.IF{N: n, Threshold: l.Threshold, Reset: l.Reset, ResetGrad: l.ResetGrad, Surrogate: l.Surrogate,
		LearnThreshold: l.LearnThreshold, PerNeuron: l.PerNeuron}
}

// IF is a layer of integrate-and-fire neurons without leak: SpikingJelly's
// IFNode and NIR's IF (with r = 1, v_leak = 0). For t = 0 .. T-1, per
// neuron:
//
//	mem[t] = mem[t-1] + x[t] - S[t-1]·thr             ResetSubtract (the default)
//	mem[t] = mem[t-1]·(1 - S[t-1]) + x[t]             ResetZero
//	mem[t] = mem[t-1] + x[t]                          ResetNone
//	S[t]   = H(mem[t] - thr)
//
// from the zero state or a given LIFState: it is LIF with beta fixed at 1,
// and runs on LIF's fused scan. SpikingJelly applies the reset within the
// step, to the value it carries to the next; here mem[t] is the potential
// before the reset and the reset enters the next step, which gives the same
// spikes. SpikingJelly's heaviside fires at mem = thr, this one above it.
// Gradients, Step, Run and Scan as for LIF (see Stateful).
type IF struct {
	name      string
	N         int
	Config    IFConfig
	Threshold *autograd.Param // [1] or [N], "<name>.threshold"; Frozen unless LearnThreshold
	lif       *LIF
}

// NewIF returns an IF layer of n neurons called name, configured by c. It
// panics with a *ConfigError for n below 1 or an invalid config value.
func NewIF(name string, n int, c IFConfig) *IF { return must(newIF(name, n, c)) }

func newIF(name string, n int, c IFConfig) (*IF, error) {
	lc := c.lif()
	c.Threshold, c.Surrogate = lc.Threshold, lc.Surrogate
	if err := lc.checkSurrogate(model.KindIF, name); err != nil {
		return nil, err
	}
	if err := check(name, c.spec(n)); err != nil {
		return nil, err
	}
	thr := newNeuronParam(name+".threshold", c.Threshold, n, c.LearnThreshold, c.PerNeuron)
	return &IF{name: name, N: n, Config: c, Threshold: thr,
		lif: &LIF{name: name, N: n, Config: lc, Beta: newNeuronParam(name+".beta", 1, n, false, false), Threshold: thr}}, nil
}

func init() {
	register(model.KindIF, func(name string, p model.Payload, _ *rand.Rand) (Layer, error) {
		s := p.(*model.IF)
		lc, err := lifConfig(model.KindIF, name, &model.LIF{Reset: s.Reset, Surrogate: s.Surrogate})
		if err != nil {
			return nil, err
		}
		return newIF(name, s.N, IFConfig{Threshold: s.Threshold, Reset: lc.Reset, ResetGrad: s.ResetGrad,
			Surrogate: lc.Surrogate, LearnThreshold: s.LearnThreshold, PerNeuron: s.PerNeuron})
	})
}

// Name returns the layer's name.
func (l *IF) Name() string { return l.name }

// Params returns the threshold (Frozen unless learnable).
func (l *IF) Params() []*autograd.Param { return []*autograd.Param{l.Threshold} }

// SpikeThreshold returns the Threshold parameter.
func (l *IF) SpikeThreshold() *autograd.Param { return l.Threshold }

// Forward returns the spikes of Scan.
func (l *IF) Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var { return l.lif.Forward(t, x) }

// Scan runs the layer over x [T, B, N] from the zero state and returns the
// spikes and membrane potentials.
func (l *IF) Scan(t *autograd.Tape, x *autograd.Var) (spk, mem *autograd.Var) {
	return l.lif.Scan(t, x)
}

// Run runs the layer over x [T, B, N] from state s (see Stateful).
func (l *IF) Run(t *autograd.Tape, x *autograd.Var, s LIFState) (spk, mem *autograd.Var, next LIFState) {
	return l.lif.Run(t, x, s)
}

// Step advances the layer by one time step (see Stateful).
func (l *IF) Step(t *autograd.Tape, x *autograd.Var, s LIFState) (spk *autograd.Var, next LIFState) {
	return l.lif.Step(t, x, s)
}

// StepSmooth is Step with the surrogate's smooth function in place of the
// spike's step.
func (l *IF) StepSmooth(t *autograd.Tape, x *autograd.Var, s LIFState) (spk *autograd.Var, next LIFState) {
	return l.lif.StepSmooth(t, x, s)
}

// Spec describes the layer for a model file: a model.IF.
func (l *IF) Spec() model.Layer { return model.NewLayer(l.name, l.Config.spec(l.N)) }
