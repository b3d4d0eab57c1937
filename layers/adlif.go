package layers

import (
	"math/rand/v2"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/internal/kernels"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/surrogate"
)

// AdLIFConfig configures an adaptive LIF layer of Bittar and Garner 2022
// (AdLIF) or its recurrent form (RadLIF). A zero field means the documented
// default, which is that of their code (sparch).
type AdLIFConfig struct {
	// Threshold is the firing threshold, > 0; zero selects 1 (sparch's).
	Threshold float32
	// Surrogate is the spike's surrogate derivative; nil selects
	// surrogate.Boxcar{}, derivative 1 on |u - thr| < 0.5, sparch's
	// SpikeFunctionBoxcar.
	Surrogate surrogate.Func
	// ResetGrad lets the gradient flow through the last spikes S[t-1],
	// which enter the reset and the adaptation current. The default, false,
	// detaches them, as the other neurons' resets; sparch does not detach
	// them (ResetGrad true).
	ResetGrad bool
	// Alpha, Beta, A and B are the clamp ranges [lo, hi] of the four
	// per-neuron parameters; the forward pass clamps the parameters to
	// them and a new layer draws them uniformly from them. [0, 0] selects
	// sparch's range: alpha [e^-1/5, e^-1/25] (membrane time constants of
	// 5 to 25 steps), beta [e^-1/30, e^-1/120] (adaptation time constants
	// of 30 to 120 steps), a [-1, 1], b [0, 2] (model.AdLIFAlpha, ...).
	Alpha, Beta, A, B [2]float32
	// FixedDynamics freezes alpha, beta, a and b; by default they are
	// trained, as in sparch.
	FixedDynamics bool
	// LearnThreshold makes the threshold trainable, clamped to [0, ∞).
	LearnThreshold bool
	// PerNeuron gives every neuron its own threshold ([N] instead of [1]);
	// alpha, beta, a and b are always per neuron.
	PerNeuron bool
	// RNG is the random source of the initial alpha, beta, a, b (and of
	// RadLIF's recurrent weights); nil is a generator seeded from the
	// layer's name (as LinearConfig.RNG).
	RNG *rand.Rand
}

// withDefaults returns c with its zero fields replaced by their defaults.
func (c AdLIFConfig) withDefaults() AdLIFConfig {
	if c.Threshold == 0 {
		c.Threshold = 1
	}
	if c.Surrogate == nil {
		c.Surrogate = surrogate.Boxcar{}
	}
	c.Alpha, c.Beta, c.A, c.B = model.AdLIF{Alpha: c.Alpha, Beta: c.Beta, A: c.A, B: c.B}.Ranges()
	return c
}

func (c AdLIFConfig) spec(n int) model.AdLIF {
	name, params, ok := surrogate.Describe(c.Surrogate)
	if !ok {
		name = c.Surrogate.String()
	}
	return model.AdLIF{N: n, Threshold: c.Threshold, ResetGrad: c.ResetGrad, Surrogate: model.Surrogate{Name: name, Params: params},
		Alpha: c.Alpha, Beta: c.Beta, A: c.A, B: c.B, FixedDynamics: c.FixedDynamics,
		LearnThreshold: c.LearnThreshold, PerNeuron: c.PerNeuron}
}

// adlifConfig returns the Go config of the model config p of the layer
// name of the given kind.
func adlifConfig(kind, name string, p *model.AdLIF, rng *rand.Rand) (AdLIFConfig, error) {
	f, err := surrogate.New(p.Surrogate.Name, p.Surrogate.Params)
	if err != nil {
		return AdLIFConfig{}, surrogateError(kind, name, err)
	}
	return AdLIFConfig{Threshold: p.Threshold, Surrogate: f, ResetGrad: p.ResetGrad,
		Alpha: p.Alpha, Beta: p.Beta, A: p.A, B: p.B, FixedDynamics: p.FixedDynamics,
		LearnThreshold: p.LearnThreshold, PerNeuron: p.PerNeuron, RNG: rng}, nil
}

// adlifParams are the parameters of an AdLIF or RadLIF layer.
type adlifParams struct {
	Alpha     *autograd.Param // [N], "<name>.alpha": membrane decay
	Beta      *autograd.Param // [N], "<name>.beta": adaptation decay
	A         *autograd.Param // [N], "<name>.a": coupling of the membrane into w
	B         *autograd.Param // [N], "<name>.b": spike-triggered increase of w
	Threshold *autograd.Param // [1] or [N], "<name>.threshold"
}

// newAdLIFParams draws alpha, beta, a and b uniformly from their clamp
// ranges, in that order (sparch's nn.init.uniform_ calls), from rng.
func newAdLIFParams(name string, n int, c AdLIFConfig, rng *rand.Rand) adlifParams {
	p := adlifParams{Threshold: newNeuronParam(name+".threshold", c.Threshold, n, c.LearnThreshold, c.PerNeuron)}
	for _, q := range []struct {
		dst **autograd.Param
		sfx string
		r   [2]float32
	}{{&p.Alpha, ".alpha", c.Alpha}, {&p.Beta, ".beta", c.Beta}, {&p.A, ".a", c.A}, {&p.B, ".b", c.B}} {
		v := autograd.NewParam(name+q.sfx, nil, n)
		lo, hi := float64(q.r[0]), float64(q.r[1])
		for i := range v.Data {
			v.Data[i] = float32(lo + (hi-lo)*rng.Float64())
		}
		v.Frozen = c.FixedDynamics
		*q.dst = v
	}
	return p
}

// params lists them in the order of Params.
func (p *adlifParams) params() [5]*autograd.Param {
	return [5]*autograd.Param{p.Alpha, p.Beta, p.A, p.B, p.Threshold}
}

// AdLIF is a layer of adaptive leaky integrate-and-fire neurons, the adLIF
// of Bittar and Garner 2022 ("A surrogate gradient spiking baseline for
// speech command recognition", Frontiers in Neuroscience 16), as their code
// sparch (adLIFLayer) computes it. Each neuron has a membrane u and an
// adaptation current w, which the membrane (through a) and the spikes
// (through b) drive and which is subtracted from the input. For
// t = 0 .. T-1, per neuron:
//
//	w[t] = beta·w[t-1] + a·u[t-1] + b·S[t-1]
//	u[t] = alpha·(u[t-1] - thr·S[t-1]) + (1 - alpha)·(x[t] - w[t])
//	S[t] = H(u[t] - thr)
//
// from u[-1] = w[-1] = S[-1] = 0 or a given AdLIFState. The reset
// subtracts the threshold before the decay; sparch subtracts S[t-1] itself,
// which is the same at its threshold of 1. sparch draws the initial u, w
// and S at random for every batch; here they are zero unless the caller
// passes a state.
//
// alpha, beta, a and b are per-neuron parameters, clamped in the forward
// pass to their ranges (AdLIFConfig; sparch's by default), drawn uniformly
// from them, and trained unless FixedDynamics; the gradient reaches a
// parameter only where it lies inside its range. The spike's surrogate is
// sparch's boxcar by default. With ResetGrad false (the default) S[t-1]
// carries no gradient into the reset nor into w.
//
// These forward-Euler updates are not stable for every parameter in
// sparch's ranges: with a < 0, w feeds u back positively, and at alpha =
// 0.9, beta = 0.99, a = -1 the sub-threshold update of (u, w) has an
// eigenvalue of about 1.31, so u can grow without bound between spikes
// (Baronig et al. 2024, "Advancing spatio-temporal processing in spiking
// neural networks through adaptation", analyse this). A range A of [0, 1]
// keeps the coupling damping.
//
// The multi-step Scan and Run record one tape entry, the fused scan of
// kernels.AdLIFScan, which performs Step's float32 operations in Step's
// order: Step and Run give the same values bit for bit.
type AdLIF struct {
	name   string
	N      int
	Config AdLIFConfig
	adlifParams
}

// AdLIFState is the state of an AdLIF or RadLIF layer: the membranes u,
// the last spikes and the adaptation currents w, all [B, N]; nil fields
// are zero.
type AdLIFState struct {
	Mem, Spk, W *autograd.Var
}

// NewAdLIF returns an AdLIF layer of n neurons called name, configured by c:
//
//	h := layers.NewAdLIF("h", 256, layers.AdLIFConfig{})
//
// It panics with a *ConfigError for n below 1 or an invalid config value.
func NewAdLIF(name string, n int, c AdLIFConfig) *AdLIF { return must(newAdLIF(name, n, c)) }

func newAdLIF(name string, n int, c AdLIFConfig) (*AdLIF, error) {
	c = c.withDefaults()
	if err := surrogate.Validate(c.Surrogate); err != nil {
		return nil, surrogateError(model.KindAdLIF, name, err)
	}
	if err := check(name, c.spec(n)); err != nil {
		return nil, err
	}
	p := newAdLIFParams(name, n, c, source(c.RNG, name))
	c.RNG = nil
	return &AdLIF{name: name, N: n, Config: c, adlifParams: p}, nil
}

func init() {
	register(model.KindAdLIF, func(name string, p model.Payload, rng *rand.Rand) (Layer, error) {
		s := p.(*model.AdLIF)
		c, err := adlifConfig(model.KindAdLIF, name, s, rng)
		if err != nil {
			return nil, err
		}
		return newAdLIF(name, s.N, c)
	})
}

// Name returns the layer's name.
func (l *AdLIF) Name() string { return l.name }

// Params returns alpha, beta, a, b and the threshold.
func (l *AdLIF) Params() []*autograd.Param {
	p := l.params()
	return p[:]
}

// SpikeThreshold returns the Threshold parameter.
func (l *AdLIF) SpikeThreshold() *autograd.Param { return l.Threshold }

// Forward returns the spikes of Scan.
func (l *AdLIF) Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var {
	spk, _ := l.Scan(t, x)
	return spk
}

// Scan runs the layer over x [T, B, N] from the zero state and returns the
// spikes and membrane potentials u.
func (l *AdLIF) Scan(t *autograd.Tape, x *autograd.Var) (spk, mem *autograd.Var) {
	spk, mem, _ = l.Run(t, x, AdLIFState{})
	return spk, mem
}

// Run runs the layer over x [T, B, N] from state s and returns the spikes,
// the membranes u and the state after the last step (see Stateful). It
// panics with an *autograd.ShapeError for a wrong shape.
func (l *AdLIF) Run(t *autograd.Tape, x *autograd.Var, s AdLIFState) (spk, mem *autograd.Var, next AdLIFState) {
	const op = "AdLIF.Run"
	T, B := seqDims(op, x, l.N)
	return runAdLIF(t, op, &l.adlifParams, &l.Config, x, T, B, l.N, s, nil)
}

// runAdLIF records the fused scan of an AdLIF layer's dynamics over x
// [T, B, n] from s; with v (RadLIF's masked recurrent weight [n, n]) the
// recurrent scan of RadLIF.
func runAdLIF(t *autograd.Tape, op string, p *adlifParams, c *AdLIFConfig, x *autograd.Var, T, B, n int, s AdLIFState, v *autograd.Var) (spk, mem *autograd.Var, next AdLIFState) {
	checkState(op, "Mem", s.Mem, B, n)
	checkState(op, "Spk", s.Spk, B, n)
	checkState(op, "W", s.W, B, n)
	al, be, a, b := c.Alpha, c.Beta, c.A, c.B
	o := autograd.Pooled[adlifOp](t)
	*o = adlifOp{
		scan: kernels.RadLIFScan{AdLIFScan: kernels.AdLIFScan{T: T, B: B, N: n, ResetGrad: c.ResetGrad,
			Alpha: clamped(t, p.Alpha, al[0], al[1]), Beta: clamped(t, p.Beta, be[0], be[1]),
			A: clamped(t, p.A, a[0], a[1]), Bw: clamped(t, p.B, b[0], b[1]),
			Thr: clamped(t, p.Threshold, thrMin, thrMax)}},
		p: p, c: c, x: x, v: v, mem0: s.Mem, spk0: s.Spk, w0: s.W,
	}
	spk, mem = t.NewRaw(T, B, n), t.NewRaw(T, B, n)
	w := t.NewRaw(T, B, n)
	if v == nil {
		o.scan.AdLIFScan.Forward(x.Data, data(s.Mem), data(s.Spk), data(s.W), mem.Data, spk.Data, w.Data)
	} else {
		o.scan.V, o.scan.EventActivity = v.Data, t.EventActivity()
		o.cur = t.ScratchRaw(T * B * n)
		o.scan.Forward(x.Data, o.state(), o.cur, mem.Data, spk.Data, w.Data)
	}
	spk.SetBinary()
	o.spk, o.mem, o.w = spk, mem, w
	// Inputs: x, the five parameters, then V (RadLIF) and the given state.
	in := [10]*autograd.Var{x, t.Param(p.Alpha), t.Param(p.Beta), t.Param(p.A), t.Param(p.B), t.Param(p.Threshold)}
	t.RecordOutputs([]*autograd.Var{spk, mem, w}, o, withState(in[:6], v, s.Mem, s.Spk, s.W)...)
	if T == 0 {
		return spk, mem, s
	}
	return spk, mem, AdLIFState{Mem: lastStep(t, mem), Spk: lastStep(t, spk), W: lastStep(t, w)}
}

// adlifOp is the tape entry of a fused AdLIF or RadLIF scan.
type adlifOp struct {
	scan           kernels.RadLIFScan // AdLIF: only its AdLIFScan
	p              *adlifParams
	c              *AdLIFConfig
	x              *autograd.Var
	v              *autograd.Var // RadLIF's masked recurrent weight; nil for AdLIF
	cur            []float32     // RadLIF: x[t] + R[t], [T*B*N]
	mem0, spk0, w0 *autograd.Var
	spk, mem, w    *autograd.Var
}

// state is the RadLIF scan's initial state.
func (o *adlifOp) state() kernels.RadLIFState {
	return kernels.RadLIFState{Mem: data(o.mem0), Spk: data(o.spk0), W: data(o.w0),
		SpkBinary: o.spk0 != nil && o.spk0.Binary()}
}

func (o *adlifOp) Backward(t *autograd.Tape, _ *autograd.Var, in []*autograd.Var) {
	p, c := &o.scan, o.c
	n := p.T * p.B * p.N
	g := kernels.RadLIFGrad{AdLIFGrad: kernels.AdLIFGrad{DSpk: o.spk.Grad, DMem: o.mem.Grad, DW: o.w.Grad, SGFunc: o}}
	var addIn bool
	g.DIn, addIn = gradBuf(t, o.x, n)
	g.DMem0 = gradScratch(t, o.mem0, p.B*p.N)
	g.DSpk0 = gradScratch(t, o.spk0, p.B*p.N)
	g.DW0 = gradScratch(t, o.w0, p.B*p.N)
	dst := [5]*[]float32{&g.DAlpha, &g.DBeta, &g.DA, &g.DB, &g.DThr}
	for i, d := range dst {
		if in[1+i].RequiresGrad() {
			*d = t.Scratch(in[1+i].Len())
		}
	}
	if o.v == nil {
		p.AdLIFScan.Backward(o.x.Data, data(o.mem0), data(o.spk0), data(o.w0), o.mem.Data, o.spk.Data, o.w.Data, &g.AdLIFGrad)
	} else {
		g.DV = t.GradOf(o.v)
		p.Backward(o.cur, o.state(), o.mem.Data, o.spk.Data, o.w.Data, &g)
	}
	if addIn {
		addGrad(t, o.x, g.DIn)
	}
	addGrad(t, o.mem0, g.DMem0)
	addGrad(t, o.spk0, g.DSpk0)
	addGrad(t, o.w0, g.DW0)
	ranges := [5][2]float32{c.Alpha, c.Beta, c.A, c.B, {thrMin, thrMax}}
	for i, q := range o.p.params() {
		if d := *dst[i]; d != nil {
			addClamped(t.GradOf(in[1+i]), d, q, ranges[i][0], ranges[i][1])
		}
	}
}

// GradInto sets dst[i] to the surrogate derivative at x[i].
func (o *adlifOp) GradInto(dst, x []float32) { surrogate.GradInto(o.c.Surrogate, dst, x) }

// Step advances the layer by one time step (see Stateful).
func (l *AdLIF) Step(t *autograd.Tape, x *autograd.Var, s AdLIFState) (spk *autograd.Var, next AdLIFState) {
	return stepAdLIF(t, "AdLIF.Step", &l.adlifParams, &l.Config, l.N, x, s, surrogate.Spike)
}

// StepSmooth is Step with the surrogate's smooth function in place of the
// spike's step.
func (l *AdLIF) StepSmooth(t *autograd.Tape, x *autograd.Var, s AdLIFState) (spk *autograd.Var, next AdLIFState) {
	return stepAdLIF(t, "AdLIF.Step", &l.adlifParams, &l.Config, l.N, x, s, surrogate.SmoothSpike)
}

// stepAdLIF is the definition of one AdLIF step, written with tape ops.
func stepAdLIF(t *autograd.Tape, op string, p *adlifParams, c *AdLIFConfig, n int, x *autograd.Var, s AdLIFState, spike spikeFunc) (spk *autograd.Var, next AdLIFState) {
	B := stepBatch(op, x, n)
	checkState(op, "Mem", s.Mem, B, n)
	checkState(op, "Spk", s.Spk, B, n)
	checkState(op, "W", s.W, B, n)
	alpha := stepParam(t, p.Alpha, n, c.Alpha[0], c.Alpha[1])
	thr := stepParam(t, p.Threshold, n, thrMin, thrMax)
	r := s.Spk
	if r != nil && !c.ResetGrad {
		r = t.Detach(r)
	}
	// w[t] = beta·w[t-1] + a·u[t-1] + b·S[t-1]; nil while it is zero.
	var w *autograd.Var
	add := func(v *autograd.Var) {
		if w == nil {
			w = v
		} else {
			w = t.Add(w, v)
		}
	}
	if s.W != nil {
		add(t.MulBias(s.W, stepParam(t, p.Beta, n, c.Beta[0], c.Beta[1])))
	}
	if s.Mem != nil {
		add(t.MulBias(s.Mem, stepParam(t, p.A, n, c.A[0], c.A[1])))
	}
	if r != nil {
		add(t.MulBias(r, stepParam(t, p.B, n, c.B[0], c.B[1])))
	}
	// v = u[t-1] - thr·S[t-1]; nil while it is zero.
	v := s.Mem
	if r != nil {
		rt := t.MulBias(r, thr)
		if v == nil {
			v = t.Neg(rt)
		} else {
			v = t.Sub(v, rt)
		}
	}
	in := x
	if w != nil {
		in = t.Sub(x, w)
	}
	u := t.MulBias(in, t.AddScalar(t.Neg(alpha), 1))
	if v != nil {
		u = t.Add(t.MulBias(v, alpha), u)
	}
	spk = spike(t, t.AddBias(u, t.Neg(thr)), 0, c.Surrogate)
	return spk, AdLIFState{Mem: u, Spk: spk, W: w}
}

// Spec describes the layer for a model file: a model.AdLIF.
func (l *AdLIF) Spec() model.Layer { return model.NewLayer(l.name, l.Config.spec(l.N)) }
