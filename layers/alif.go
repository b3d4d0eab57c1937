package layers

import (
	"math/rand/v2"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/internal/kernels"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/surrogate"
)

// ALIFConfig configures an adaptive-threshold LIF layer: LIFConfig (with its
// defaults; its Threshold is the baseline threshold b0) plus the
// adaptation. Like Beta, Rho and Adapt have no default: zero is a valid
// value (Adapt = 0 is a LIF layer). NorseLSNN returns Norse's values.
type ALIFConfig struct {
	LIFConfig
	// Rho is the adaptation's decay factor per time step, exp(-Δt/τ_adapt),
	// in [0, 1].
	Rho float32
	// Adapt is the threshold's increase per unit of adaptation, beta_a in
	// thr = b0 + beta_a·a, >= 0 and finite.
	Adapt float32
	// LearnRho and LearnAdapt make Rho and Adapt trainable, clamped to
	// [0, 1] and [0, ∞).
	LearnRho, LearnAdapt bool
}

// NorseLSNN returns the ALIF config of Norse's LSNNParameters defaults
// (norse.torch.functional.lsnn) at Norse's default step dt = 1 ms, as the
// per-step factors of Norse's Euler steps: tau_mem_inv = 1/10 ms gives
// Beta = 1 - dt/τ_mem = 0.9; tau_adapt_inv = 1/800 (per second, as Norse
// writes it) gives Rho = 1 - dt/τ_adapt = 1 - 1e-3/800 = 0.99999875; beta =
// 1.8 is Adapt; v_th = 1 the baseline threshold; v_reset = 0 is ResetZero.
// Norse's LSNN also filters its input through a synaptic current (tau_syn
// 5 ms), which this layer leaves to the layer before it.
func NorseLSNN() ALIFConfig {
	return ALIFConfig{LIFConfig: LIFConfig{Beta: 0.9, Threshold: 1, Reset: ResetZero}, Rho: 0.99999875, Adapt: 1.8}
}

func (c ALIFConfig) spec(n int) model.ALIF {
	return model.ALIF{LIF: c.LIFConfig.spec(n), Rho: c.Rho, Adapt: c.Adapt, LearnRho: c.LearnRho, LearnAdapt: c.LearnAdapt}
}

// ALIF is a layer of LIF neurons with an adaptive threshold, the LSNN neuron
// of Bellec et al. 2018 ("Long short-term memory and learning-to-learn in
// networks of spiking neurons"), Norse's LSNN. Every spike raises the
// neuron's threshold, which relaxes back to its baseline b0 with the factor
// rho per step. For t = 0 .. T-1, per neuron:
//
//	a[t]   = rho·a[t-1] + S[t-1]
//	thr[t] = b0 + beta_a·a[t]
//	mem[t] = beta·mem[t-1] + x[t] - S[t-1]·thr[t]      ResetSubtract (the default)
//	mem[t] = beta·mem[t-1]·(1 - S[t-1]) + x[t]         ResetZero
//	mem[t] = beta·mem[t-1] + x[t]                      ResetNone
//	S[t]   = H(mem[t] - thr[t])
//
// from a[-1] = mem[-1] = S[-1] = 0 or a given ALIFState. The reset by
// subtraction removes the threshold as it stands at step t, as Bellec et
// al.'s code (LSNN-official, ALIF) does. Bellec et al. scale the spike's
// increment of a by (1 - rho); Norse (and this layer) do not, so their beta_a
// is this Adapt divided by (1 - rho).
//
// Gradients: H's derivative is the surrogate's Grad(mem[t] - thr[t]), which
// reaches the membrane, b0, and through a[t] rho and beta_a. The last spikes
// S[t-1] enter the reset and the adaptation; unless ResetGrad both carry no
// gradient (Norse's lsnn_step detaches z in both).
//
// The multi-step Scan and Run record one tape entry, the fused scan of
// kernels.ALIFScan, which performs Step's float32 operations in Step's order:
// Step and Run give the same values bit for bit.
type ALIF struct {
	name      string
	N         int
	Config    ALIFConfig
	Beta      *autograd.Param // [1] or [N], "<name>.beta"
	Threshold *autograd.Param // [1] or [N], "<name>.threshold": the baseline b0
	Rho       *autograd.Param // [1] or [N], "<name>.rho"
	Adapt     *autograd.Param // [1] or [N], "<name>.adapt": beta_a
}

// ALIFState is the state of an ALIF layer: membrane potentials, last
// spikes and the adaptation a, all [B, N]; nil fields are zero.
type ALIFState struct {
	Mem, Spk, A *autograd.Var
}

// NewALIF returns an ALIF layer of n neurons called name, configured by c:
//
//	alif := layers.NewALIF("alif", 256, layers.NorseLSNN())
//
// It panics with a *ConfigError for n below 1 or an invalid config value.
func NewALIF(name string, n int, c ALIFConfig) *ALIF { return must(newALIF(name, n, c)) }

func newALIF(name string, n int, c ALIFConfig) (*ALIF, error) {
	c.LIFConfig = c.LIFConfig.withDefaults()
	if err := c.checkSurrogate(model.KindALIF, name); err != nil {
		return nil, err
	}
	if err := check(name, c.spec(n)); err != nil {
		return nil, err
	}
	return &ALIF{
		name: name, N: n, Config: c,
		Beta:      newNeuronParam(name+".beta", c.Beta, n, c.LearnBeta, c.PerNeuron),
		Threshold: newNeuronParam(name+".threshold", c.Threshold, n, c.LearnThreshold, c.PerNeuron),
		Rho:       newNeuronParam(name+".rho", c.Rho, n, c.LearnRho, c.PerNeuron),
		Adapt:     newNeuronParam(name+".adapt", c.Adapt, n, c.LearnAdapt, c.PerNeuron),
	}, nil
}

func init() {
	register(model.KindALIF, func(name string, p model.Payload, _ *rand.Rand) (Layer, error) {
		s := p.(*model.ALIF)
		c, err := lifConfig(model.KindALIF, name, &s.LIF)
		if err != nil {
			return nil, err
		}
		return newALIF(name, s.N, ALIFConfig{LIFConfig: c, Rho: s.Rho, Adapt: s.Adapt, LearnRho: s.LearnRho, LearnAdapt: s.LearnAdapt})
	})
}

// Name returns the layer's name.
func (l *ALIF) Name() string { return l.name }

// Params returns beta, the baseline threshold, rho and beta_a (Frozen unless
// learnable).
func (l *ALIF) Params() []*autograd.Param {
	return []*autograd.Param{l.Beta, l.Threshold, l.Rho, l.Adapt}
}

// SpikeThreshold returns the baseline threshold b0.
func (l *ALIF) SpikeThreshold() *autograd.Param { return l.Threshold }

// Forward returns the spikes of Scan.
func (l *ALIF) Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var {
	spk, _ := l.Scan(t, x)
	return spk
}

// Scan runs the layer over x [T, B, N] from the zero state and returns the
// spikes and membrane potentials.
func (l *ALIF) Scan(t *autograd.Tape, x *autograd.Var) (spk, mem *autograd.Var) {
	spk, mem, _ = l.Run(t, x, ALIFState{})
	return spk, mem
}

// Run runs the layer over x [T, B, N] from state s and returns the spikes,
// the membrane potentials and the state after the last step (see
// Stateful). It panics with an *autograd.ShapeError for a wrong shape.
func (l *ALIF) Run(t *autograd.Tape, x *autograd.Var, s ALIFState) (spk, mem *autograd.Var, next ALIFState) {
	const op = "ALIF.Run"
	T, B := seqDims(op, x, l.N)
	checkState(op, "Mem", s.Mem, B, l.N)
	checkState(op, "Spk", s.Spk, B, l.N)
	checkState(op, "A", s.A, B, l.N)
	c := &l.Config
	o := autograd.Pooled[alifOp](t)
	*o = alifOp{
		scan: kernels.ALIFScan{T: T, B: B, N: l.N, Reset: c.Reset.kernel(), ResetGrad: c.ResetGrad,
			Beta: clamped(t, l.Beta, decayMin, decayMax), Thr: clamped(t, l.Threshold, thrMin, thrMax),
			Rho: clamped(t, l.Rho, decayMin, decayMax), Adapt: clamped(t, l.Adapt, thrMin, thrMax)},
		l: l, x: x, mem0: s.Mem, spk0: s.Spk, a0: s.A,
	}
	spk, mem = t.NewRaw(T, B, l.N), t.NewRaw(T, B, l.N)
	a := t.NewRaw(T, B, l.N)
	o.scan.Forward(x.Data, data(s.Mem), data(s.Spk), data(s.A), mem.Data, spk.Data, a.Data)
	spk.SetBinary()
	o.spk, o.mem, o.a = spk, mem, a
	in := [8]*autograd.Var{x, t.Param(l.Beta), t.Param(l.Threshold), t.Param(l.Rho), t.Param(l.Adapt)}
	t.RecordOutputs([]*autograd.Var{spk, mem, a}, o, withState(in[:5], s.Mem, s.Spk, s.A)...)
	if T == 0 {
		return spk, mem, s
	}
	return spk, mem, ALIFState{Mem: lastStep(t, mem), Spk: lastStep(t, spk), A: lastStep(t, a)}
}

// alifOp is the tape entry of a fused ALIF scan.
type alifOp struct {
	scan           kernels.ALIFScan
	l              *ALIF
	x              *autograd.Var
	mem0, spk0, a0 *autograd.Var
	spk, mem, a    *autograd.Var
}

func (o *alifOp) Backward(t *autograd.Tape, _ *autograd.Var, in []*autograd.Var) {
	p, l := &o.scan, o.l
	n := p.T * p.B * p.N
	g := kernels.ALIFGrad{DSpk: o.spk.Grad, DMem: o.mem.Grad, DA: o.a.Grad, SGFunc: o}
	var addIn bool
	g.DIn, addIn = gradBuf(t, o.x, n)
	g.DMem0 = gradScratch(t, o.mem0, p.B*p.N)
	g.DSpk0 = gradScratch(t, o.spk0, p.B*p.N)
	g.DA0 = gradScratch(t, o.a0, p.B*p.N)
	if in[1].RequiresGrad() {
		g.DBeta = t.Scratch(len(p.Beta))
	}
	if in[2].RequiresGrad() {
		g.DThr = t.Scratch(len(p.Thr))
	}
	if in[3].RequiresGrad() {
		g.DRho = t.Scratch(len(p.Rho))
	}
	if in[4].RequiresGrad() {
		g.DAdapt = t.Scratch(len(p.Adapt))
	}
	p.Backward(data(o.mem0), data(o.spk0), data(o.a0), o.mem.Data, o.spk.Data, o.a.Data, &g)
	if addIn {
		addGrad(t, o.x, g.DIn)
	}
	addGrad(t, o.mem0, g.DMem0)
	addGrad(t, o.spk0, g.DSpk0)
	addGrad(t, o.a0, g.DA0)
	if g.DBeta != nil {
		addClamped(t.GradOf(in[1]), g.DBeta, l.Beta, decayMin, decayMax)
	}
	if g.DThr != nil {
		addClamped(t.GradOf(in[2]), g.DThr, l.Threshold, thrMin, thrMax)
	}
	if g.DRho != nil {
		addClamped(t.GradOf(in[3]), g.DRho, l.Rho, decayMin, decayMax)
	}
	if g.DAdapt != nil {
		addClamped(t.GradOf(in[4]), g.DAdapt, l.Adapt, thrMin, thrMax)
	}
}

// GradInto sets dst[i] to the surrogate derivative at x[i].
func (o *alifOp) GradInto(dst, x []float32) { surrogate.GradInto(o.l.Config.Surrogate, dst, x) }

// Step advances the layer by one time step (see Stateful).
func (l *ALIF) Step(t *autograd.Tape, x *autograd.Var, s ALIFState) (spk *autograd.Var, next ALIFState) {
	return l.step(t, x, s, surrogate.Spike)
}

// StepSmooth is Step with the surrogate's smooth function in place of the
// spike's step.
func (l *ALIF) StepSmooth(t *autograd.Tape, x *autograd.Var, s ALIFState) (spk *autograd.Var, next ALIFState) {
	return l.step(t, x, s, surrogate.SmoothSpike)
}

func (l *ALIF) step(t *autograd.Tape, x *autograd.Var, s ALIFState, spike spikeFunc) (spk *autograd.Var, next ALIFState) {
	const op = "ALIF.Step"
	B := stepBatch(op, x, l.N)
	checkState(op, "Mem", s.Mem, B, l.N)
	checkState(op, "Spk", s.Spk, B, l.N)
	checkState(op, "A", s.A, B, l.N)
	c := &l.Config
	b0 := stepParam(t, l.Threshold, l.N, thrMin, thrMax)
	r := s.Spk
	if r != nil && !c.ResetGrad {
		r = t.Detach(r)
	}
	// a[t] = rho·a[t-1] + S[t-1]; nil while it is zero.
	a := r
	if s.A != nil {
		a = t.MulBias(s.A, stepParam(t, l.Rho, l.N, decayMin, decayMax))
		if r != nil {
			a = t.Add(a, r)
		}
	}
	var thr *autograd.Var // thr[t] [B, N], or nil for b0
	if a != nil {
		thr = t.AddBias(t.MulBias(a, stepParam(t, l.Adapt, l.N, thrMin, thrMax)), b0)
	}
	mem := x
	if s.Mem != nil {
		mem = t.MulBias(s.Mem, stepParam(t, l.Beta, l.N, decayMin, decayMax))
		if r != nil && c.Reset == ResetZero {
			mem = t.Mul(mem, t.AddScalar(t.Neg(r), 1))
		}
		mem = t.Add(mem, x)
	}
	if r != nil && c.Reset == ResetSubtract {
		mem = t.Sub(mem, t.Mul(r, thr))
	}
	if thr == nil {
		spk = spike(t, t.AddBias(mem, t.Neg(b0)), 0, c.Surrogate)
	} else {
		spk = spike(t, t.Sub(mem, thr), 0, c.Surrogate)
	}
	return spk, ALIFState{Mem: mem, Spk: spk, A: a}
}

// Spec describes the layer for a model file: a model.ALIF.
func (l *ALIF) Spec() model.Layer { return model.NewLayer(l.name, l.Config.spec(l.N)) }
