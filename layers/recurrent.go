package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/internal/kernels"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/surrogate"
)

// RecurrentConfig is the recurrence of a recurrent neuron layer (RLIF,
// RSynaptic).
type RecurrentConfig struct {
	// OneToOne selects the one-to-one recurrence: each neuron's last spike
	// reaches only itself, through its own weight v[j] (a recurrent weight
	// [N], initialised to 1, snnTorch's V = 1.0). The default, false, is
	// the all-to-all recurrence (snnTorch's all_to_all=True): a weight
	// matrix V [N, N], from the neuron of the row to the neuron of the
	// column, initialised as PyTorch's nn.Linear(N, N), uniform in
	// [-1/√N, 1/√N].
	OneToOne bool
	// RNG is the random source of the all-to-all weights; nil is a
	// generator seeded from the layer's name (as LinearConfig.RNG).
	RNG *rand.Rand
}

// newRecurrent returns the recurrent weight "<name>.recurrent" of n neurons.
// It is always trainable (snnTorch's learn_recurrent=True default).
func newRecurrent(name string, n int, c RecurrentConfig) *autograd.Param {
	if c.OneToOne {
		return newNeuronParam(name+".recurrent", 1, n, true, true)
	}
	p := autograd.NewParam(name+".recurrent", nil, n, n)
	InitPyTorch.fill(p.Data, nil, n, n, source(c.RNG, name))
	return p
}

// recurrentInput returns x + R(spk): the input current of one step, x
// [B, N], plus the recurrent current of the previous step's spikes spk
// [B, N] (nil: none), spk · V or spk ⊙ v.
func recurrentInput(t *autograd.Tape, x, spk *autograd.Var, v *autograd.Param, oneToOne bool) *autograd.Var {
	if spk == nil {
		return x
	}
	if oneToOne {
		return t.Add(x, t.MulBias(spk, t.Param(v)))
	}
	return t.Add(x, t.MatMul(spk, t.Param(v)))
}

// RLIF is a layer of recurrent leaky integrate-and-fire neurons, snnTorch's
// RLeaky: a LIF layer whose spikes of one step are fed back, through the
// recurrent weight V, into the membrane at the next. Its input is the
// already projected input current x [T, B, N] (put a Linear before it: the
// input projection of the whole sequence is one matrix product, and only
// the recurrence is stepped). For t = 0 .. T-1, per neuron j:
//
//	R[t]   = Σ_i S[t-1, i]·V[i, j]                          all to all (the default)
//	R[t]   = S[t-1, j]·v[j]                                 one to one
//	mem[t] = beta·mem[t-1] + x[t] + R[t] - S[t-1]·thr       ResetSubtract (the default)
//	mem[t] = beta·mem[t-1]·(1 - S[t-1]) + x[t] + R[t]       ResetZero
//	mem[t] = beta·mem[t-1] + x[t] + R[t]                    ResetNone
//	S[t]   = H(mem[t] - thr)
//
// from mem[-1] = 0 and S[-1] = 0, or a given LIFState. This is snnTorch's
// U[t+1] = βU[t] + I_in[t+1] + V(S_out[t]) − R·U_thr: the recurrent current
// is the previous step's spikes, added to the input current before the
// membrane update, and the reset is LIF's. snnTorch's all-to-all V is an
// nn.Linear with a bias; here the recurrence has none, since a constant
// added at every step is the bias of the Linear in front. The gradient flows
// through the fed-back spikes (by the surrogate) into V and into earlier
// steps; the reset term carries none unless ResetGrad. Defaults and
// parameters otherwise as LIF.
//
// Run records one tape entry for the whole sequence, whose forward and
// backward are a fused recurrent scan (the kernels' RecurrentScan): per
// time step the recurrent product, event-driven when the previous step's
// spikes are sparse (below the tape's event activity, as autograd's MatMul
// chooses), and one LIF step; in the backward pass, per step, the
// gradient of the previous step's spikes dS[t-1] += dR[t]·Vᵀ, and after
// the time loop the weight gradient dV = Σ_t S[t-1]ᵀ·dR[t] as one product
// over the whole sequence. It gives the same values, bit for bit, as T
// calls of Step, which is written with tape ops (see Stateful), and the
// same gradients up to float32 summation order. The input's share of the
// work, the projection, is done before, in one product over the sequence.
type RLIF struct {
	name      string
	N         int
	Config    LIFConfig
	Recurrent RecurrentConfig
	Beta      *autograd.Param // [1] or [N], "<name>.beta"; Frozen unless LearnBeta
	Threshold *autograd.Param // [1] or [N], "<name>.threshold"; Frozen unless LearnThreshold
	V         *autograd.Param // [N, N], or [N] if OneToOne, "<name>.recurrent"
}

// NewRLIF returns an RLIF layer of n neurons called name, configured by c
// and r:
//
//	rec := layers.NewRLIF("rec", 256, layers.LIFConfig{Beta: 0.95}, layers.RecurrentConfig{RNG: rng})
//
// It panics with a *ConfigError for n below 1 or an invalid config value.
func NewRLIF(name string, n int, c LIFConfig, r RecurrentConfig) *RLIF {
	return must(newRLIF(name, n, c, r))
}

func newRLIF(name string, n int, c LIFConfig, r RecurrentConfig) (*RLIF, error) {
	c = c.withDefaults()
	if err := c.checkSurrogate(model.KindRLIF, name); err != nil {
		return nil, err
	}
	if err := check(name, model.RLIF{LIF: c.spec(n), OneToOne: r.OneToOne}); err != nil {
		return nil, err
	}
	return &RLIF{
		name: name, N: n, Config: c, Recurrent: RecurrentConfig{OneToOne: r.OneToOne},
		Beta:      newNeuronParam(name+".beta", c.Beta, n, c.LearnBeta, c.PerNeuron),
		Threshold: newNeuronParam(name+".threshold", c.Threshold, n, c.LearnThreshold, c.PerNeuron),
		V:         newRecurrent(name, n, r),
	}, nil
}

func init() {
	register(model.KindRLIF, func(name string, p model.Payload, rng *rand.Rand) (Layer, error) {
		s := p.(*model.RLIF)
		c, err := lifConfig(model.KindRLIF, name, &s.LIF)
		if err != nil {
			return nil, err
		}
		return newRLIF(name, s.N, c, RecurrentConfig{OneToOne: s.OneToOne, RNG: rng})
	})
	register(model.KindRSynaptic, func(name string, p model.Payload, rng *rand.Rand) (Layer, error) {
		s := p.(*model.RSynaptic)
		c, err := lifConfig(model.KindRSynaptic, name, &s.LIF)
		if err != nil {
			return nil, err
		}
		return newRSynaptic(name, s.N, SynapticConfig{LIFConfig: c, Alpha: s.Alpha, LearnAlpha: s.LearnAlpha},
			RecurrentConfig{OneToOne: s.OneToOne, RNG: rng})
	})
}

// Name returns the layer's name.
func (l *RLIF) Name() string { return l.name }

// Params returns the decay factor, the threshold (Frozen unless learnable)
// and the recurrent weight.
func (l *RLIF) Params() []*autograd.Param { return []*autograd.Param{l.Beta, l.Threshold, l.V} }

// SpikeThreshold returns the Threshold parameter.
func (l *RLIF) SpikeThreshold() *autograd.Param { return l.Threshold }

// lif returns the LIF layer that l's membrane update is.
func (l *RLIF) lif() *LIF {
	return &LIF{name: l.name, N: l.N, Config: l.Config, Beta: l.Beta, Threshold: l.Threshold}
}

// Forward returns the spikes of Scan.
func (l *RLIF) Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var {
	spk, _ := l.Scan(t, x)
	return spk
}

// Scan runs the layer over x [T, B, N] from the zero state and returns the
// spikes and membrane potentials, both [T, B, N].
func (l *RLIF) Scan(t *autograd.Tape, x *autograd.Var) (spk, mem *autograd.Var) {
	spk, mem, _ = l.Run(t, x, LIFState{})
	return spk, mem
}

// Run runs the layer over x [T, B, N] from state s and returns the spikes,
// the membrane potentials and the state after the last step (see
// Stateful). It panics with an *autograd.ShapeError for a wrong shape.
func (l *RLIF) Run(t *autograd.Tape, x *autograd.Var, s LIFState) (spk, mem *autograd.Var, next LIFState) {
	const op = "RLIF.Run"
	T, B := seqDims(op, x, l.N)
	checkState(op, "Mem", s.Mem, B, l.N)
	checkState(op, "Spk", s.Spk, B, l.N)
	if T == 0 {
		return l.lif().run(t, x, 0, B, false, s, true)
	}
	r := recurrentRun{T: T, B: B, N: l.N, c: &l.Config, oneToOne: l.Recurrent.OneToOne,
		beta: l.Beta, thr: l.Threshold, v: l.V, x: x, mem0: s.Mem, spk0: s.Spk}
	spk, mem, _ = r.run(t)
	return spk, mem, LIFState{Mem: lastStep(t, mem), Spk: lastStep(t, spk)}
}

// Step advances the layer by one time step: x [B, N] is the input current,
// s the state before the step. It returns the spikes [B, N] and the new
// state.
func (l *RLIF) Step(t *autograd.Tape, x *autograd.Var, s LIFState) (spk *autograd.Var, next LIFState) {
	return l.step(t, x, s, surrogate.Spike)
}

// StepSmooth is Step with the surrogate's smooth function in place of the
// spike's step (see LIF.StepSmooth).
func (l *RLIF) StepSmooth(t *autograd.Tape, x *autograd.Var, s LIFState) (spk *autograd.Var, next LIFState) {
	return l.step(t, x, s, surrogate.SmoothSpike)
}

func (l *RLIF) step(t *autograd.Tape, x *autograd.Var, s LIFState, spike spikeFunc) (*autograd.Var, LIFState) {
	const op = "RLIF.Step"
	if x.Dims() != 2 || x.Dim(1) != l.N {
		panic(&autograd.ShapeError{Op: op, Shapes: [][]int{append([]int(nil), x.Shape()...)},
			Msg: fmt.Sprintf("input must be [B, %d]", l.N)})
	}
	checkState(op, "Spk", s.Spk, x.Dim(0), l.N)
	return l.lif().step(t, recurrentInput(t, x, s.Spk, l.V, l.Recurrent.OneToOne), s, spike)
}

// Spec describes the layer for a model file: a model.RLIF.
func (l *RLIF) Spec() model.Layer {
	return model.NewLayer(l.name, model.RLIF{LIF: l.Config.spec(l.N), OneToOne: l.Recurrent.OneToOne})
}

// RSynaptic is a layer of recurrent current-based LIF neurons, snnTorch's
// RSynaptic: a Synaptic layer whose spikes of one step are fed back,
// through the recurrent weight V, into the synaptic current at the next.
// Its input is the already projected input current x [T, B, N], as for
// RLIF. For t = 0 .. T-1, per neuron, with R[t] as for RLIF:
//
//	syn[t] = alpha·syn[t-1] + x[t] + R[t]
//	mem[t] = beta·mem[t-1] + syn[t] - S[t-1]·thr      ResetSubtract (the default)
//	mem[t] = beta·mem[t-1]·(1 - S[t-1]) + syn[t]      ResetZero
//	mem[t] = beta·mem[t-1] + syn[t]                   ResetNone
//	S[t]   = H(mem[t] - thr)
//
// snnTorch's I_syn[t+1] = αI_syn[t] + I_in[t+1] + V(S_out[t]). Gradients,
// defaults, Step and Run as for RLIF and Synaptic: Run is the same fused
// recurrent scan, with the synaptic current kept by the scan, and the
// current of the last step in the state it returns carries its gradient
// back through the scan.
type RSynaptic struct {
	name      string
	N         int
	Config    SynapticConfig
	Recurrent RecurrentConfig
	Alpha     *autograd.Param // [1] or [N], "<name>.alpha"
	Beta      *autograd.Param // [1] or [N], "<name>.beta"
	Threshold *autograd.Param // [1] or [N], "<name>.threshold"
	V         *autograd.Param // [N, N], or [N] if OneToOne, "<name>.recurrent"
}

// NewRSynaptic returns an RSynaptic layer of n neurons called name,
// configured by c and r. It panics with a *ConfigError for n below 1 or an
// invalid config value.
func NewRSynaptic(name string, n int, c SynapticConfig, r RecurrentConfig) *RSynaptic {
	return must(newRSynaptic(name, n, c, r))
}

func newRSynaptic(name string, n int, c SynapticConfig, r RecurrentConfig) (*RSynaptic, error) {
	c.LIFConfig = c.LIFConfig.withDefaults()
	if err := c.checkSurrogate(model.KindRSynaptic, name); err != nil {
		return nil, err
	}
	if err := check(name, model.RSynaptic{Synaptic: c.spec(n), OneToOne: r.OneToOne}); err != nil {
		return nil, err
	}
	return &RSynaptic{
		name: name, N: n, Config: c, Recurrent: RecurrentConfig{OneToOne: r.OneToOne},
		Alpha:     newNeuronParam(name+".alpha", c.Alpha, n, c.LearnAlpha, c.PerNeuron),
		Beta:      newNeuronParam(name+".beta", c.Beta, n, c.LearnBeta, c.PerNeuron),
		Threshold: newNeuronParam(name+".threshold", c.Threshold, n, c.LearnThreshold, c.PerNeuron),
		V:         newRecurrent(name, n, r),
	}, nil
}

// Name returns the layer's name.
func (l *RSynaptic) Name() string { return l.name }

// Params returns alpha, beta, the threshold (Frozen unless learnable) and
// the recurrent weight.
func (l *RSynaptic) Params() []*autograd.Param {
	return []*autograd.Param{l.Alpha, l.Beta, l.Threshold, l.V}
}

// SpikeThreshold returns the Threshold parameter.
func (l *RSynaptic) SpikeThreshold() *autograd.Param { return l.Threshold }

// syn returns the Synaptic layer that l's update is.
func (l *RSynaptic) syn() *Synaptic {
	return &Synaptic{name: l.name, N: l.N, Config: l.Config, Alpha: l.Alpha, Beta: l.Beta, Threshold: l.Threshold}
}

// Forward returns the spikes of Scan.
func (l *RSynaptic) Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var {
	spk, _ := l.Scan(t, x)
	return spk
}

// Scan runs the layer over x [T, B, N] from the zero state and returns the
// spikes and membrane potentials, both [T, B, N].
func (l *RSynaptic) Scan(t *autograd.Tape, x *autograd.Var) (spk, mem *autograd.Var) {
	spk, mem, _ = l.Run(t, x, SynapticState{})
	return spk, mem
}

// Run runs the layer over x [T, B, N] from state s and returns the spikes,
// the membrane potentials and the state after the last step (see
// Stateful). It panics with an *autograd.ShapeError for a wrong shape.
func (l *RSynaptic) Run(t *autograd.Tape, x *autograd.Var, s SynapticState) (spk, mem *autograd.Var, next SynapticState) {
	const op = "RSynaptic.Run"
	T, B := seqDims(op, x, l.N)
	checkState(op, "Spk", s.Spk, B, l.N)
	checkState(op, "Syn", s.Syn, B, l.N)
	checkState(op, "Mem", s.Mem, B, l.N)
	if T == 0 {
		return l.syn().run(t, x, s, true)
	}
	r := recurrentRun{T: T, B: B, N: l.N, c: &l.Config.LIFConfig, oneToOne: l.Recurrent.OneToOne,
		alpha: l.Alpha, beta: l.Beta, thr: l.Threshold, v: l.V, x: x, syn0: s.Syn, mem0: s.Mem, spk0: s.Spk}
	spk, mem, syn := r.run(t)
	return spk, mem, SynapticState{Syn: lastStep(t, syn), Mem: lastStep(t, mem), Spk: lastStep(t, spk)}
}

// Step advances the layer by one time step (see RLIF.Step).
func (l *RSynaptic) Step(t *autograd.Tape, x *autograd.Var, s SynapticState) (spk *autograd.Var, next SynapticState) {
	return l.step(t, x, s, surrogate.Spike)
}

// StepSmooth is Step with the surrogate's smooth function in place of the
// spike's step (see LIF.StepSmooth).
func (l *RSynaptic) StepSmooth(t *autograd.Tape, x *autograd.Var, s SynapticState) (spk *autograd.Var, next SynapticState) {
	return l.step(t, x, s, surrogate.SmoothSpike)
}

func (l *RSynaptic) step(t *autograd.Tape, x *autograd.Var, s SynapticState, spike spikeFunc) (*autograd.Var, SynapticState) {
	const op = "RSynaptic.Step"
	if x.Dims() != 2 || x.Dim(1) != l.N {
		panic(&autograd.ShapeError{Op: op, Shapes: [][]int{append([]int(nil), x.Shape()...)},
			Msg: fmt.Sprintf("input must be [B, %d]", l.N)})
	}
	checkState(op, "Spk", s.Spk, x.Dim(0), l.N)
	return l.syn().step(t, recurrentInput(t, x, s.Spk, l.V, l.Recurrent.OneToOne), s, spike)
}

// Spec describes the layer for a model file: a model.RSynaptic.
func (l *RSynaptic) Spec() model.Layer {
	return model.NewLayer(l.name, model.RSynaptic{Synaptic: l.Config.spec(l.N), OneToOne: l.Recurrent.OneToOne})
}

// recurrentRun is the fused multi-step path of RLIF (alpha nil) and
// RSynaptic: one tape entry whose forward and backward are the kernels'
// RecurrentScan over the whole sequence.
type recurrentRun struct {
	T, B, N          int
	c                *LIFConfig
	oneToOne         bool
	alpha, beta, thr *autograd.Param
	v                *autograd.Param
	x                *autograd.Var
	syn0, mem0, spk0 *autograd.Var
}

// run records the scan and returns the spikes, membranes and (RSynaptic)
// synaptic currents, [T, B, N].
func (r *recurrentRun) run(t *autograd.Tape) (spk, mem, syn *autograd.Var) {
	T, B, N, c := r.T, r.B, r.N, r.c
	o := autograd.Pooled[recurrentOp](t)
	*o = recurrentOp{
		scan: kernels.RecurrentScan{T: T, B: B, N: N, Reset: c.Reset.kernel(), ResetGrad: c.ResetGrad,
			Beta: clamped(t, r.beta, decayMin, decayMax), Thr: clamped(t, r.thr, thrMin, thrMax),
			V: r.v.Data, OneToOne: r.oneToOne, EventActivity: t.EventActivity()},
		f: c.Surrogate, r: *r,
	}
	spk, mem = t.NewRaw(T, B, N), t.NewRaw(T, B, N)
	var synData []float32
	if r.alpha != nil {
		o.scan.Alpha = clamped(t, r.alpha, decayMin, decayMax)
		syn = t.NewRaw(T, B, N)
		synData = syn.Data
	}
	o.scan.Forward(r.x.Data, o.state(), synData, mem.Data, spk.Data)
	spk.SetBinary()
	o.spk, o.mem, o.syn = spk, mem, syn
	// Inputs: x, beta, threshold, V, then alpha and the given state.
	in := [8]*autograd.Var{r.x, t.Param(r.beta), t.Param(r.thr), t.Param(r.v)}
	ins := withState(in[:4], r.syn0, r.mem0, r.spk0)
	if r.alpha != nil {
		o.alpha = t.Param(r.alpha)
		ins = append(ins, o.alpha)
	}
	outs := [3]*autograd.Var{spk, mem, syn}
	nout := 2
	if syn != nil {
		// The synaptic currents are an output: the state Run returns holds
		// the last one, and a gradient reaching it flows back through the
		// scan.
		nout = 3
	}
	t.RecordOutputs(outs[:nout], o, ins...)
	return spk, mem, syn
}

// recurrentOp is the tape entry of a recurrent scan, taken from the tape's
// pool (autograd.Pooled).
type recurrentOp struct {
	scan          kernels.RecurrentScan
	f             surrogate.Func
	r             recurrentRun
	alpha         *autograd.Var
	spk, mem, syn *autograd.Var
}

// state is the scan's initial state.
func (o *recurrentOp) state() kernels.RecurrentState {
	s := kernels.RecurrentState{Syn: data(o.r.syn0), Mem: data(o.r.mem0), Spk: data(o.r.spk0)}
	s.SpkBinary = o.r.spk0 != nil && o.r.spk0.Binary()
	return s
}

func (o *recurrentOp) Backward(t *autograd.Tape, _ *autograd.Var, in []*autograd.Var) {
	p, r := &o.scan, &o.r
	n := p.T * p.B * p.N
	st := p.B * p.N
	g := kernels.RecurrentGrad{DSpk: o.spk.Grad, DMem: o.mem.Grad}
	if o.syn != nil {
		g.DSyn = o.syn.Grad
	}
	g.FastSigmoid, g.SGFunc = surrogateKernel(o.f, o)
	var addIn bool
	g.DIn, addIn = gradBuf(t, r.x, n)
	g.DSyn0, g.DMem0, g.DSpk0 = gradScratch(t, r.syn0, st), gradScratch(t, r.mem0, st), gradScratch(t, r.spk0, st)
	betaV, thrV, vV := in[1], in[2], in[3]
	g.DBeta, g.DThr = gradScratch(t, betaV, len(p.Beta)), gradScratch(t, thrV, len(p.Thr))
	g.DAlpha = gradScratch(t, o.alpha, len(p.Alpha))
	g.DV = t.GradOf(vV)
	p.Backward(o.state(), data(o.syn), o.mem.Data, o.spk.Data, &g)
	if addIn {
		addGrad(t, r.x, g.DIn)
	}
	addGrad(t, r.syn0, g.DSyn0)
	addGrad(t, r.mem0, g.DMem0)
	addGrad(t, r.spk0, g.DSpk0)
	addParamGrad(t, betaV, g.DBeta, r.beta, decayMin, decayMax)
	addParamGrad(t, thrV, g.DThr, r.thr, thrMin, thrMax)
	addParamGrad(t, o.alpha, g.DAlpha, r.alpha, decayMin, decayMax)
}

// GradInto sets dst[i] to the surrogate derivative at x[i], for a surrogate
// that is not the built-in fast sigmoid (kernels.SurrogateGrad).
func (o *recurrentOp) GradInto(dst, x []float32) { surrogate.GradInto(o.f, dst, x) }
