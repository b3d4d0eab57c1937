package layers

import (
	"math"
	"math/rand/v2"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/internal/kernels"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/surrogate"
)

// PLIFConfig configures a parametric LIF layer, whose membrane time constant
// is learned. A zero field means the documented default.
type PLIFConfig struct {
	// Tau is the initial membrane time constant in time steps, > 1; zero
	// selects 2, SpikingJelly's init_tau.
	Tau float32
	// Threshold is the firing threshold, > 0; zero selects 1.
	Threshold float32
	// Reset is the reset rule; the zero value is ResetSubtract.
	// SpikingJelly's default is its hard reset to v_reset = 0, ResetZero.
	Reset ResetMode
	// ResetGrad lets the gradient flow through the reset (see LIFConfig).
	ResetGrad bool
	// Surrogate is the spike's surrogate derivative; nil selects
	// surrogate.FastSigmoid{}.
	Surrogate surrogate.Func
	// FixedTau freezes the time constant (a LIF in SpikingJelly's form);
	// by default it is trained.
	FixedTau bool
	// LearnThreshold makes the threshold trainable, clamped to [0, ∞).
	LearnThreshold bool
	// PerNeuron gives every neuron its own time constant and threshold
	// ([N] instead of one per layer, [1]).
	PerNeuron bool
}

// withDefaults returns c with its zero fields replaced by their defaults
// (LIFConfig's for the threshold and the surrogate).
func (c PLIFConfig) withDefaults() PLIFConfig {
	if c.Tau == 0 {
		c.Tau = 2
	}
	l := LIFConfig{Threshold: c.Threshold, Surrogate: c.Surrogate}.withDefaults()
	c.Threshold, c.Surrogate = l.Threshold, l.Surrogate
	return c
}

func (c PLIFConfig) spec(n int) model.PLIF {
	l := LIFConfig{Threshold: c.Threshold, Reset: c.Reset, Surrogate: c.Surrogate}.spec(n)
	return model.PLIF{N: n, Tau: c.Tau, Threshold: c.Threshold, Reset: l.Reset, ResetGrad: c.ResetGrad, Surrogate: l.Surrogate,
		FixedTau: c.FixedTau, LearnThreshold: c.LearnThreshold, PerNeuron: c.PerNeuron}
}

// PLIF is a layer of parametric leaky integrate-and-fire neurons (Fang et
// al. 2021, "Incorporating learnable membrane time constant to enhance
// learning of spiking neural networks"), SpikingJelly's ParametricLIFNode
// with decay_input=True and v_reset = 0. The decay is k = sigmoid(w) = 1/τ
// with w a trained parameter, so that τ stays above 1; w starts at
// -ln(Tau - 1), which gives k = 1/Tau. For t = 0 .. T-1, per neuron:
//
//	v[t-1] = mem[t-1] - S[t-1]·thr                   ResetSubtract (the default)
//	v[t-1] = mem[t-1]·(1 - S[t-1])                   ResetZero (SpikingJelly's default)
//	v[t-1] = mem[t-1]                                ResetNone
//	mem[t] = v[t-1] + k·(x[t] - v[t-1])
//	S[t]   = H(mem[t] - thr)
//
// from the zero state or a given LIFState (whose Mem is mem, the potential
// before the reset). This is SpikingJelly's charge v += (x - (v - v_reset))/τ
// with v_reset = 0. Against LIF's mem[t] = beta·mem[t-1] + x[t], the decay
// is beta = 1 - k and the input is scaled by k, and the subtractive reset is
// decayed with the membrane: mem[t] = (1-k)·(mem[t-1] - S[t-1]·thr) + k·x[t].
//
// The gradient reaches w through the sigmoid: ∂mem[t]/∂w = (x[t] - v[t-1])·
// k·(1 - k), plus what flows through v[t-1]. The multi-step Scan and Run
// record one tape entry, the fused scan of kernels.PLIFScan, which performs
// Step's float32 operations in Step's order (k computed as autograd's
// Sigmoid): Step and Run give the same values bit for bit.
type PLIF struct {
	name      string
	N         int
	Config    PLIFConfig
	W         *autograd.Param // [1] or [N], "<name>.w": k = sigmoid(w); Frozen if FixedTau
	Threshold *autograd.Param // [1] or [N], "<name>.threshold"
}

// NewPLIF returns a PLIF layer of n neurons called name, configured by c:
//
//	plif := layers.NewPLIF("plif", 128, layers.PLIFConfig{Reset: layers.ResetZero})
//
// It panics with a *ConfigError for n below 1 or an invalid config value.
func NewPLIF(name string, n int, c PLIFConfig) *PLIF { return must(newPLIF(name, n, c)) }

func newPLIF(name string, n int, c PLIFConfig) (*PLIF, error) {
	c = c.withDefaults()
	if err := surrogate.Validate(c.Surrogate); err != nil {
		return nil, surrogateError(model.KindPLIF, name, err)
	}
	if err := check(name, c.spec(n)); err != nil {
		return nil, err
	}
	w := float32(-math.Log(float64(c.Tau) - 1))
	return &PLIF{name: name, N: n, Config: c,
		W:         newNeuronParam(name+".w", w, n, !c.FixedTau, c.PerNeuron),
		Threshold: newNeuronParam(name+".threshold", c.Threshold, n, c.LearnThreshold, c.PerNeuron)}, nil
}

func init() {
	register(model.KindPLIF, func(name string, p model.Payload, _ *rand.Rand) (Layer, error) {
		s := p.(*model.PLIF)
		lc, err := lifConfig(model.KindPLIF, name, &model.LIF{Reset: s.Reset, Surrogate: s.Surrogate})
		if err != nil {
			return nil, err
		}
		return newPLIF(name, s.N, PLIFConfig{Tau: s.Tau, Threshold: s.Threshold, Reset: lc.Reset, ResetGrad: s.ResetGrad,
			Surrogate: lc.Surrogate, FixedTau: s.FixedTau, LearnThreshold: s.LearnThreshold, PerNeuron: s.PerNeuron})
	})
}

// Name returns the layer's name.
func (l *PLIF) Name() string { return l.name }

// Params returns w and the threshold.
func (l *PLIF) Params() []*autograd.Param { return []*autograd.Param{l.W, l.Threshold} }

// SpikeThreshold returns the Threshold parameter.
func (l *PLIF) SpikeThreshold() *autograd.Param { return l.Threshold }

// Tau returns the current time constants 1/sigmoid(w), one per value of W.
func (l *PLIF) Tau() []float32 {
	tau := make([]float32, len(l.W.Data))
	for i, w := range l.W.Data {
		tau[i] = float32(1 + math.Exp(-float64(w)))
	}
	return tau
}

// Forward returns the spikes of Scan.
func (l *PLIF) Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var {
	spk, _ := l.Scan(t, x)
	return spk
}

// Scan runs the layer over x [T, B, N] from the zero state and returns the
// spikes and membrane potentials.
func (l *PLIF) Scan(t *autograd.Tape, x *autograd.Var) (spk, mem *autograd.Var) {
	spk, mem, _ = l.Run(t, x, LIFState{})
	return spk, mem
}

// Run runs the layer over x [T, B, N] from state s (see Stateful). It
// panics with an *autograd.ShapeError for a wrong shape.
func (l *PLIF) Run(t *autograd.Tape, x *autograd.Var, s LIFState) (spk, mem *autograd.Var, next LIFState) {
	const op = "PLIF.Run"
	T, B := seqDims(op, x, l.N)
	checkState(op, "Mem", s.Mem, B, l.N)
	checkState(op, "Spk", s.Spk, B, l.N)
	c := &l.Config
	k := t.Scratch(len(l.W.Data))
	for i, w := range l.W.Data {
		k[i] = sigmoid(w)
	}
	o := autograd.Pooled[plifOp](t)
	*o = plifOp{
		scan: kernels.PLIFScan{T: T, B: B, N: l.N, Reset: c.Reset.kernel(), ResetGrad: c.ResetGrad,
			K: k, Thr: clamped(t, l.Threshold, thrMin, thrMax)},
		l: l, x: x, mem0: s.Mem, spk0: s.Spk,
	}
	spk, mem = t.NewRaw(T, B, l.N), t.NewRaw(T, B, l.N)
	o.scan.Forward(x.Data, data(s.Mem), data(s.Spk), mem.Data, spk.Data)
	spk.SetBinary()
	o.spk, o.mem = spk, mem
	in := [5]*autograd.Var{x, t.Param(l.W), t.Param(l.Threshold)}
	t.RecordOutputs([]*autograd.Var{spk, mem}, o, withState(in[:3], s.Mem, s.Spk)...)
	if T == 0 {
		return spk, mem, s
	}
	return spk, mem, LIFState{Mem: lastStep(t, mem), Spk: lastStep(t, spk)}
}

// sigmoid is 1/(1 + e^-w) computed as autograd's Sigmoid computes it, so
// that Run's decay has Step's bits.
func sigmoid(w float32) float32 {
	if w >= 0 {
		return float32(1 / (1 + math.Exp(-float64(w))))
	}
	e := math.Exp(float64(w))
	return float32(e / (1 + e))
}

// plifOp is the tape entry of a fused PLIF scan.
type plifOp struct {
	scan       kernels.PLIFScan
	l          *PLIF
	x          *autograd.Var
	mem0, spk0 *autograd.Var
	spk, mem   *autograd.Var
}

func (o *plifOp) Backward(t *autograd.Tape, _ *autograd.Var, in []*autograd.Var) {
	p, l := &o.scan, o.l
	n := p.T * p.B * p.N
	g := kernels.PLIFGrad{DSpk: o.spk.Grad, DMem: o.mem.Grad, SGFunc: o}
	var addIn bool
	g.DIn, addIn = gradBuf(t, o.x, n)
	g.DMem0 = gradScratch(t, o.mem0, p.B*p.N)
	g.DSpk0 = gradScratch(t, o.spk0, p.B*p.N)
	if in[1].RequiresGrad() {
		g.DK = t.Scratch(len(p.K))
	}
	if in[2].RequiresGrad() {
		g.DThr = t.Scratch(len(p.Thr))
	}
	p.Backward(o.x.Data, data(o.mem0), data(o.spk0), o.mem.Data, o.spk.Data, &g)
	if addIn {
		addGrad(t, o.x, g.DIn)
	}
	addGrad(t, o.mem0, g.DMem0)
	addGrad(t, o.spk0, g.DSpk0)
	if g.DK != nil {
		// dk/dw = k·(1 - k), as autograd's Sigmoid.
		dw := t.GradOf(in[1])
		for i, k := range p.K {
			dw[i] += g.DK[i] * k * (1 - k)
		}
	}
	if g.DThr != nil {
		addClamped(t.GradOf(in[2]), g.DThr, l.Threshold, thrMin, thrMax)
	}
}

// GradInto sets dst[i] to the surrogate derivative at x[i].
func (o *plifOp) GradInto(dst, x []float32) { surrogate.GradInto(o.l.Config.Surrogate, dst, x) }

// Step advances the layer by one time step (see Stateful).
func (l *PLIF) Step(t *autograd.Tape, x *autograd.Var, s LIFState) (spk *autograd.Var, next LIFState) {
	return l.step(t, x, s, surrogate.Spike)
}

// StepSmooth is Step with the surrogate's smooth function in place of the
// spike's step.
func (l *PLIF) StepSmooth(t *autograd.Tape, x *autograd.Var, s LIFState) (spk *autograd.Var, next LIFState) {
	return l.step(t, x, s, surrogate.SmoothSpike)
}

func (l *PLIF) step(t *autograd.Tape, x *autograd.Var, s LIFState, spike spikeFunc) (spk *autograd.Var, next LIFState) {
	const op = "PLIF.Step"
	B := stepBatch(op, x, l.N)
	checkState(op, "Mem", s.Mem, B, l.N)
	checkState(op, "Spk", s.Spk, B, l.N)
	c := &l.Config
	k := t.Sigmoid(t.Param(l.W))
	if l.W.Len() != l.N {
		k = t.Reshape(t.Repeat(k, l.N), l.N)
	}
	thr := stepParam(t, l.Threshold, l.N, thrMin, thrMax)
	r := s.Spk
	if r != nil && !c.ResetGrad {
		r = t.Detach(r)
	}
	v := s.Mem // nil while zero
	switch {
	case r == nil || c.Reset == ResetNone:
	case c.Reset == ResetSubtract && v == nil:
		v = t.Neg(t.MulBias(r, thr))
	case c.Reset == ResetSubtract:
		v = t.Sub(v, t.MulBias(r, thr))
	case v != nil: // ResetZero
		v = t.Mul(v, t.AddScalar(t.Neg(r), 1))
	}
	var mem *autograd.Var
	if v == nil {
		mem = t.MulBias(x, k)
	} else {
		mem = t.Add(v, t.MulBias(t.Sub(x, v), k))
	}
	spk = spike(t, t.AddBias(mem, t.Neg(thr)), 0, c.Surrogate)
	return spk, LIFState{Mem: mem, Spk: spk}
}

// Spec describes the layer for a model file: a model.PLIF.
func (l *PLIF) Spec() model.Layer { return model.NewLayer(l.name, l.Config.spec(l.N)) }
