package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/spikegrad/spikegrad/autograd"
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
// Run records, per time step, the recurrent product and one fused LIF step
// (the LIF kernels with T = 1); it gives the same values, bit for bit, as T
// calls of Step, which is written with tape ops (see Stateful). The input's
// share of the work, the projection, is done before, in one product over
// the sequence; the recurrent product of a step is a [B, N]·[N, N] product
// whose left side is binary spikes (autograd's event-driven MatMul).
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
	lif := l.lif()
	if T == 0 {
		return lif.run(t, x, 0, B, false, s, true)
	}
	spks, mems := stepVars(t, T)
	for i := range T {
		cur := recurrentInput(t, seqStep(t, x, i), s.Spk, l.V, l.Recurrent.OneToOne)
		spks[i], mems[i], _ = lif.run(t, t.Reshape(cur, 1, B, l.N), 1, B, false, s, false)
		s = LIFState{Mem: t.Reshape(mems[i], B, l.N), Spk: t.Reshape(spks[i], B, l.N)}
	}
	return t.Concat(0, spks...), t.Concat(0, mems...), s
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
// defaults, Step and Run as for RLIF and Synaptic.
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
	lif := &LIF{name: l.name, N: l.N, Config: l.Config.LIFConfig, Beta: l.Beta, Threshold: l.Threshold}
	var alpha *autograd.Var
	spks, mems := stepVars(t, T)
	for i := range T {
		// The synaptic current is kept on the tape (one multiply-add per
		// step), so that its gradient flows from step to step; the membrane
		// update is one fused LIF step.
		syn := recurrentInput(t, seqStep(t, x, i), s.Spk, l.V, l.Recurrent.OneToOne)
		if s.Syn != nil {
			if alpha == nil {
				alpha = stepParam(t, l.Alpha, l.N, decayMin, decayMax)
			}
			syn = t.Add(t.MulBias(s.Syn, alpha), syn)
		}
		spks[i], mems[i], _ = lif.run(t, t.Reshape(syn, 1, B, l.N), 1, B, false, LIFState{Mem: s.Mem, Spk: s.Spk}, false)
		s = SynapticState{Syn: syn, Mem: t.Reshape(mems[i], B, l.N), Spk: t.Reshape(spks[i], B, l.N)}
	}
	return t.Concat(0, spks...), t.Concat(0, mems...), s
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

// seqStep returns step i of a [T, B, N] sequence as [B, N].
func seqStep(t *autograd.Tape, x *autograd.Var, i int) *autograd.Var {
	return t.Reshape(t.Slice(x, 0, i, i+1), x.Dim(1), x.Dim(2))
}
