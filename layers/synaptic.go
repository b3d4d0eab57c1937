package layers

import (
	"math/rand/v2"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/internal/kernels"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/surrogate"
)

// SynapticConfig configures a current-based LIF layer: LIFConfig (with its
// defaults) plus the synaptic current's decay.
type SynapticConfig struct {
	LIFConfig
	// Alpha is the synaptic current's decay factor per time step,
	// exp(-Δt/τ_syn), dimensionless, in [0, 1]. Like Beta it has no default:
	// zero is a current without memory (syn[t] = x[t]).
	Alpha float32
	// LearnAlpha makes Alpha trainable, clamped to [0, 1].
	LearnAlpha bool
}

// spec returns the model config of n neurons configured by c.
func (c SynapticConfig) spec(n int) model.Synaptic {
	return model.Synaptic{LIF: c.LIFConfig.spec(n), Alpha: c.Alpha, LearnAlpha: c.LearnAlpha}
}

// Synaptic is a layer of current-based leaky integrate-and-fire neurons,
// snnTorch's Synaptic (a second-order LIF). For t = 0 .. T-1, per neuron:
//
//	syn[t] = alpha·syn[t-1] + x[t]
//	mem[t] = beta·mem[t-1] + syn[t] - S[t-1]·thr      ResetSubtract (the default)
//	mem[t] = beta·mem[t-1]·(1 - S[t-1]) + syn[t]      ResetZero
//	mem[t] = beta·mem[t-1] + syn[t]                   ResetNone
//	S[t]   = H(mem[t] - thr)
//
// from zero state or a given SynapticState; the synaptic current is never
// reset. Gradients as for LIF; Step, Run and Scan as for LIF (see Stateful).
type Synaptic struct {
	name      string
	N         int
	Config    SynapticConfig
	Alpha     *autograd.Param // [1] or [N], "<name>.alpha"
	Beta      *autograd.Param // [1] or [N], "<name>.beta"
	Threshold *autograd.Param // [1] or [N], "<name>.threshold"
}

// SynapticState is the state of a Synaptic layer: synaptic currents,
// membrane potentials and last spikes, all [B, N]; nil fields are zero, and
// the zero SynapticState is the resting state.
type SynapticState struct {
	Syn, Mem, Spk *autograd.Var
}

// NewSynaptic returns a Synaptic layer of n neurons called name, configured
// by c:
//
//	syn1 := layers.NewSynaptic("syn1", 1000, layers.SynapticConfig{Alpha: 0.9, LIFConfig: layers.LIFConfig{Beta: 0.8}})
//
// It panics with a *ConfigError for n below 1 or an invalid config value.
func NewSynaptic(name string, n int, c SynapticConfig) *Synaptic {
	return must(newSynaptic(name, n, c))
}

func newSynaptic(name string, n int, c SynapticConfig) (*Synaptic, error) {
	c.LIFConfig = c.LIFConfig.withDefaults()
	if err := c.checkSurrogate(model.KindSynaptic, name); err != nil {
		return nil, err
	}
	if err := check(name, c.spec(n)); err != nil {
		return nil, err
	}
	return &Synaptic{
		name: name, N: n, Config: c,
		Alpha:     newNeuronParam(name+".alpha", c.Alpha, n, c.LearnAlpha, c.PerNeuron),
		Beta:      newNeuronParam(name+".beta", c.Beta, n, c.LearnBeta, c.PerNeuron),
		Threshold: newNeuronParam(name+".threshold", c.Threshold, n, c.LearnThreshold, c.PerNeuron),
	}, nil
}

func init() {
	register(model.KindSynaptic, func(name string, p model.Payload, _ *rand.Rand) (Layer, error) {
		s := p.(*model.Synaptic)
		c, err := lifConfig(model.KindSynaptic, name, &s.LIF)
		if err != nil {
			return nil, err
		}
		return newSynaptic(name, s.N, SynapticConfig{LIFConfig: c, Alpha: s.Alpha, LearnAlpha: s.LearnAlpha})
	})
}

// Name returns the layer's name.
func (l *Synaptic) Name() string { return l.name }

// Params returns alpha, beta and the threshold (Frozen unless learnable).
func (l *Synaptic) Params() []*autograd.Param {
	return []*autograd.Param{l.Alpha, l.Beta, l.Threshold}
}

// SpikeThreshold returns the Threshold parameter.
func (l *Synaptic) SpikeThreshold() *autograd.Param { return l.Threshold }

// Forward returns the spikes of Scan.
func (l *Synaptic) Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var {
	spk, _ := l.Scan(t, x)
	return spk
}

// Scan runs the layer over x [T, B, N] from the zero state and returns the
// spikes and membrane potentials: Run without the final state.
func (l *Synaptic) Scan(t *autograd.Tape, x *autograd.Var) (spk, mem *autograd.Var) {
	spk, mem, _ = l.run(t, x, SynapticState{}, false)
	return spk, mem
}

// Run runs the layer over x [T, B, N] from state s and returns the spikes,
// the membrane potentials and the state after the last step (see
// Stateful). It panics with an *autograd.ShapeError for a wrong shape.
func (l *Synaptic) Run(t *autograd.Tape, x *autograd.Var, s SynapticState) (spk, mem *autograd.Var, next SynapticState) {
	return l.run(t, x, s, true)
}

// run is the fused scan behind Scan and Run; with final set it returns the
// state after the last step.
func (l *Synaptic) run(t *autograd.Tape, x *autograd.Var, s SynapticState, final bool) (spk, mem *autograd.Var, next SynapticState) {
	const op = "Synaptic.Run"
	T, B := seqDims(op, x, l.N)
	checkState(op, "Syn", s.Syn, B, l.N)
	checkState(op, "Mem", s.Mem, B, l.N)
	checkState(op, "Spk", s.Spk, B, l.N)
	c := &l.Config
	o := autograd.Pooled[synOp](t)
	*o = synOp{
		scan: kernels.SynapticScan{T: T, B: B, N: l.N, Reset: c.Reset.kernel(), ResetGrad: c.ResetGrad,
			Alpha: clamped(t, l.Alpha, decayMin, decayMax), Beta: clamped(t, l.Beta, decayMin, decayMax),
			Thr: clamped(t, l.Threshold, thrMin, thrMax)},
		l: l, x: x, s: s,
	}
	syn := t.NewRaw(T, B, l.N)
	spk, mem = t.NewRaw(T, B, l.N), t.NewRaw(T, B, l.N)
	o.scan.Forward(x.Data, data(s.Syn), data(s.Mem), data(s.Spk), syn.Data, mem.Data, spk.Data)
	spk.SetBinary()
	o.syn, o.spk, o.mem = syn, spk, mem
	in := []*autograd.Var{x, t.Param(l.Alpha), t.Param(l.Beta), t.Param(l.Threshold)}
	for _, v := range []*autograd.Var{s.Syn, s.Mem, s.Spk} {
		if v != nil {
			in = append(in, v)
		}
	}
	// The synaptic currents are an output too: the state Run returns holds
	// the last one, and a gradient reaching it must flow back through this
	// scan (Backward adds it).
	t.RecordOutputs([]*autograd.Var{spk, mem, syn}, o, in...)
	switch {
	case final && T > 0:
		next = SynapticState{Syn: lastStep(t, syn), Mem: lastStep(t, mem), Spk: lastStep(t, spk)}
	case final:
		next = s
	}
	return spk, mem, next
}

// synOp is the tape entry of a fused synaptic scan, taken from the tape's
// pool (autograd.Pooled). Its outputs are the spikes, the membranes and the
// synaptic currents; the currents are read only through the state Run
// returns (the last one), whose gradient Backward adds to the kernel's.
type synOp struct {
	scan          kernels.SynapticScan
	l             *Synaptic
	x             *autograd.Var
	s             SynapticState
	syn, spk, mem *autograd.Var
}

func (o *synOp) Backward(t *autograd.Tape, _ *autograd.Var, in []*autograd.Var) {
	p := &o.scan
	n := p.T * p.B * p.N
	sg := t.ScratchRaw(n)
	surrogateGrads(o.l.Config.Surrogate, sg, o.mem.Data, p.Thr, p.N)
	g := kernels.SynapticGrad{DSpk: o.spk.Grad, DMem: o.mem.Grad, SG: sg}
	var addIn bool
	g.DIn, addIn = gradBuf(t, o.x, n)
	st := p.B * p.N
	if o.s.Syn != nil && o.s.Syn.RequiresGrad() {
		g.DSyn0 = t.Scratch(st)
	}
	if o.s.Mem != nil && o.s.Mem.RequiresGrad() {
		g.DMem0 = t.Scratch(st)
	}
	if o.s.Spk != nil && o.s.Spk.RequiresGrad() {
		g.DSpk0 = t.Scratch(st)
	}
	alphaV, betaV, thrV := in[1], in[2], in[3]
	if alphaV.RequiresGrad() {
		g.DAlpha = t.Scratch(len(p.Alpha))
	}
	if betaV.RequiresGrad() {
		g.DBeta = t.Scratch(len(p.Beta))
	}
	if thrV.RequiresGrad() {
		g.DThr = t.Scratch(len(p.Thr))
	}
	p.Backward(data(o.s.Syn), data(o.s.Mem), data(o.s.Spk), o.syn.Data, o.mem.Data, o.spk.Data, &g)
	if o.syn.Grad != nil {
		o.addSynGrad(t, &g)
	}
	if addIn {
		addGrad(t, o.x, g.DIn)
	}
	addGrad(t, o.s.Syn, g.DSyn0)
	addGrad(t, o.s.Mem, g.DMem0)
	addGrad(t, o.s.Spk, g.DSpk0)
	if g.DAlpha != nil {
		addClamped(t.GradOf(alphaV), g.DAlpha, o.l.Alpha, decayMin, decayMax)
	}
	if g.DBeta != nil {
		addClamped(t.GradOf(betaV), g.DBeta, o.l.Beta, decayMin, decayMax)
	}
	if g.DThr != nil {
		addClamped(t.GradOf(thrV), g.DThr, o.l.Threshold, thrMin, thrMax)
	}
}

// addSynGrad adds to g the gradients that come from dL/dsyn[t] = D[t], the
// gradient that reached the synaptic currents themselves (through the
// returned state). The backward scan is linear in its incoming gradients,
// and a gradient on the currents never reaches the membrane's A[t] (the
// current feeds the membrane, not the other way), so its part is the
// current's own recurrence, with Q'[T] = 0:
//
//	Q'[t] = D[t] + alpha·Q'[t+1]
//	dL/dx[t] += Q'[t],  dL/dalpha += Q'[t]·syn[t-1],  dL/dsyn0 += alpha·Q'[0]
//
// with syn[-1] the initial state (zero if none).
func (o *synOp) addSynGrad(t *autograd.Tape, g *kernels.SynapticGrad) {
	p := &o.scan
	st, d := p.B*p.N, o.syn.Grad
	alpha := func(i int) float32 {
		if len(p.Alpha) == 1 {
			return p.Alpha[0]
		}
		return p.Alpha[i%p.N]
	}
	q := t.Scratch(st)
	for k := p.T - 1; k >= 0; k-- {
		dt := d[k*st : (k+1)*st]
		for i := range q {
			q[i] = dt[i] + alpha(i)*q[i]
		}
		if g.DIn != nil {
			dIn := g.DIn[k*st : (k+1)*st]
			for i, v := range q {
				dIn[i] += v
			}
		}
		if g.DAlpha != nil {
			var prev []float32
			switch {
			case k > 0:
				prev = o.syn.Data[(k-1)*st : k*st]
			case o.s.Syn != nil:
				prev = o.s.Syn.Data
			}
			for i, v := range prev {
				if len(g.DAlpha) == 1 {
					g.DAlpha[0] += q[i] * v
				} else {
					g.DAlpha[i%p.N] += q[i] * v
				}
			}
		}
	}
	if g.DSyn0 != nil {
		for i, v := range q {
			g.DSyn0[i] += alpha(i) * v
		}
	}
}

// Step advances the layer by one time step (the definition the fused scan
// implements; see Stateful).
func (l *Synaptic) Step(t *autograd.Tape, x *autograd.Var, s SynapticState) (spk *autograd.Var, next SynapticState) {
	return l.step(t, x, s, surrogate.Spike)
}

// StepSmooth is Step with the surrogate's smooth function in place of the
// spike's step (see LIF.StepSmooth).
func (l *Synaptic) StepSmooth(t *autograd.Tape, x *autograd.Var, s SynapticState) (spk *autograd.Var, next SynapticState) {
	return l.step(t, x, s, surrogate.SmoothSpike)
}

func (l *Synaptic) step(t *autograd.Tape, x *autograd.Var, s SynapticState, spike spikeFunc) (spk *autograd.Var, next SynapticState) {
	const op = "Synaptic.Step"
	B := stepBatch(op, x, l.N)
	checkState(op, "Syn", s.Syn, B, l.N)
	syn := x
	if s.Syn != nil {
		syn = t.Add(t.MulBias(s.Syn, stepParam(t, l.Alpha, l.N, decayMin, decayMax)), x)
	}
	lif := LIF{name: l.name, N: l.N, Config: l.Config.LIFConfig, Beta: l.Beta, Threshold: l.Threshold}
	spk, ls := lif.step(t, syn, LIFState{Mem: s.Mem, Spk: s.Spk}, spike)
	return spk, SynapticState{Syn: syn, Mem: ls.Mem, Spk: ls.Spk}
}

// Spec describes the layer for a model file: a model.Synaptic.
func (l *Synaptic) Spec() model.Layer { return model.NewLayer(l.name, l.Config.spec(l.N)) }
