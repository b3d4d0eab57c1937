package layers

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/internal/kernels"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/surrogate"
)

// LIFConfig configures a leaky integrate-and-fire layer. A zero field means
// the documented default, except Beta, whose zero is a valid decay.
type LIFConfig struct {
	// Beta is the membrane decay factor per time step, exp(-Δt/τ_mem),
	// dimensionless, in [0, 1]. It has no default: zero is a neuron without
	// memory (mem[t] = x[t] minus the reset), and snnTorch's Leaky also
	// needs it given. snnTorch's tutorials use 0.95.
	Beta float32
	// Threshold is the firing threshold, in the units of the membrane
	// potential, > 0; zero selects 1 (snnTorch's default).
	Threshold float32
	// Reset is the reset rule; the zero value is ResetSubtract.
	Reset ResetMode
	// ResetGrad lets the gradient flow through the reset term. The default,
	// false, detaches the reset from the graph (snnTorch's reset_delay
	// default and Zenke and Vogels 2021's recommendation).
	ResetGrad bool
	// Surrogate is the spike's surrogate derivative; nil selects
	// surrogate.FastSigmoid{}, the fast sigmoid at its default slope (25).
	Surrogate surrogate.Func
	// LearnBeta and LearnThreshold make the decay factor and the threshold
	// trainable, clamped to [0, 1] and [0, ∞) in the forward pass.
	LearnBeta, LearnThreshold bool
	// PerNeuron gives every neuron its own decay factor and threshold ([N]
	// instead of one shared value [1]).
	PerNeuron bool
}

// withDefaults returns c with its zero fields replaced by their defaults.
func (c LIFConfig) withDefaults() LIFConfig {
	if c.Threshold == 0 {
		c.Threshold = 1
	}
	if c.Surrogate == nil {
		c.Surrogate = surrogate.FastSigmoid{}
	}
	return c
}

// spec returns the model config of n neurons configured by c (defaults
// filled in). A surrogate that is not a built-in is named by its String,
// which Build refuses.
func (c LIFConfig) spec(n int) model.LIF {
	name, params, ok := surrogate.Describe(c.Surrogate)
	if !ok {
		name = c.Surrogate.String()
	}
	return model.LIF{N: n, Beta: c.Beta, Threshold: c.Threshold, Reset: c.Reset.String(), ResetGrad: c.ResetGrad,
		Surrogate: model.Surrogate{Name: name, Params: params},
		LearnBeta: c.LearnBeta, LearnThreshold: c.LearnThreshold, PerNeuron: c.PerNeuron}
}

// checkSurrogate returns a *ConfigError for a surrogate whose
// hyperparameters are invalid (see surrogate.Validate).
func (c LIFConfig) checkSurrogate(kind, name string) error {
	if err := surrogate.Validate(c.Surrogate); err != nil {
		return surrogateError(kind, name, err)
	}
	return nil
}

// surrogateError is the *ConfigError of the layer name for err, an error of
// package surrogate.
func surrogateError(kind, name string, err error) error {
	return &ConfigError{Kind: kind, Layer: name, Field: "surrogate", Msg: strings.TrimPrefix(err.Error(), "surrogate: "), Err: err}
}

// lifConfig returns the Go config of the model config p of the layer name
// of the given kind, or a *ConfigError for an unknown surrogate or reset.
func lifConfig(kind, name string, p *model.LIF) (LIFConfig, error) {
	reset, err := ParseReset(p.Reset)
	if err != nil {
		return LIFConfig{}, &ConfigError{Kind: kind, Layer: name, Field: "reset", Value: p.Reset, Msg: err.Error()}
	}
	f, err := surrogate.New(p.Surrogate.Name, p.Surrogate.Params)
	if err != nil {
		return LIFConfig{}, surrogateError(kind, name, err)
	}
	return LIFConfig{Beta: p.Beta, Threshold: p.Threshold, Reset: reset, ResetGrad: p.ResetGrad, Surrogate: f,
		LearnBeta: p.LearnBeta, LearnThreshold: p.LearnThreshold, PerNeuron: p.PerNeuron}, nil
}

// LIF is a layer of leaky integrate-and-fire neurons, snnTorch's Leaky. Its
// input is the synaptic current x; for t = 0 .. T-1, per neuron:
//
//	mem[t] = beta·mem[t-1] + x[t] - S[t-1]·thr        ResetSubtract (the default)
//	mem[t] = beta·mem[t-1]·(1 - S[t-1]) + x[t]        ResetZero
//	mem[t] = beta·mem[t-1] + x[t]                     ResetNone
//	S[t]   = H(mem[t] - thr)                          (1 if mem[t] > thr, else 0)
//
// from mem[-1] = 0 and S[-1] = 0, or a given LIFState. The reset uses the
// previous step's spike, which is snnTorch's H(mem[t-1] - thr). In the
// backward pass H's derivative is the surrogate's Grad(mem[t] - thr), and the
// reset term carries no gradient unless ResetGrad.
//
// The multi-step Scan and Run record one tape entry whose forward and
// backward are the fused scans of the kernels; Step is the plain definition
// for one time step, built from tape ops, and the two agree (see Stateful).
type LIF struct {
	name      string
	N         int
	Config    LIFConfig
	Beta      *autograd.Param // [1] or [N], "<name>.beta"; Frozen unless LearnBeta
	Threshold *autograd.Param // [1] or [N], "<name>.threshold"; Frozen unless LearnThreshold
}

// LIFState is the state of a LIF layer between sequences or steps: the
// membrane potentials and the last spikes, both [B, N]. A nil field is
// zero; the zero LIFState is the resting state.
type LIFState struct {
	Mem, Spk *autograd.Var
}

// NewLIF returns a LIF layer of n neurons called name, configured by c:
//
//	lif1 := layers.NewLIF("lif1", 1000, layers.LIFConfig{Beta: 0.95})
//
// It panics with a *ConfigError for n below 1 or an invalid config value.
func NewLIF(name string, n int, c LIFConfig) *LIF {
	return must(newLIF(name, n, c))
}

func newLIF(name string, n int, c LIFConfig) (*LIF, error) {
	c = c.withDefaults()
	if err := c.checkSurrogate(model.KindLIF, name); err != nil {
		return nil, err
	}
	if err := check(name, c.spec(n)); err != nil {
		return nil, err
	}
	return &LIF{
		name: name, N: n, Config: c,
		Beta:      newNeuronParam(name+".beta", c.Beta, n, c.LearnBeta, c.PerNeuron),
		Threshold: newNeuronParam(name+".threshold", c.Threshold, n, c.LearnThreshold, c.PerNeuron),
	}, nil
}

func init() {
	register(model.KindLIF, func(name string, p model.Payload, _ *rand.Rand) (Layer, error) {
		s := p.(*model.LIF)
		c, err := lifConfig(model.KindLIF, name, s)
		if err != nil {
			return nil, err
		}
		return newLIF(name, s.N, c)
	})
}

// Name returns the layer's name.
func (l *LIF) Name() string { return l.name }

// Params returns the decay factor and the threshold (Frozen unless learnable).
func (l *LIF) Params() []*autograd.Param { return []*autograd.Param{l.Beta, l.Threshold} }

// SpikeThreshold returns the Threshold parameter.
func (l *LIF) SpikeThreshold() *autograd.Param { return l.Threshold }

// Forward returns the spikes of Scan.
func (l *LIF) Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var {
	spk, _ := l.Scan(t, x)
	return spk
}

// Scan runs the layer over x [T, B, N] from the zero state and returns the
// spikes and membrane potentials, both [T, B, N]: Run without the final
// state.
func (l *LIF) Scan(t *autograd.Tape, x *autograd.Var) (spk, mem *autograd.Var) {
	T, B := seqDims("LIF.Scan", x, l.N)
	spk, mem, _ = l.run(t, x, T, B, false, LIFState{}, false)
	return spk, mem
}

// Run runs the layer over x [T, B, N] from state s and returns the spikes,
// the membrane potentials and the state after the last step (see
// Stateful). It panics with an *autograd.ShapeError for a wrong shape.
func (l *LIF) Run(t *autograd.Tape, x *autograd.Var, s LIFState) (spk, mem *autograd.Var, next LIFState) {
	T, B := seqDims("LIF.Run", x, l.N)
	return l.run(t, x, T, B, false, s, true)
}

// ScanConst runs the layer from the zero state for steps time steps with the
// same input x [B, N] at every step, and returns the spikes and membranes
// [steps, B, N]. It equals Scan of x repeated over time, without making the
// repeated copy or summing its gradient over time.
func (l *LIF) ScanConst(t *autograd.Tape, x *autograd.Var, steps int) (spk, mem *autograd.Var) {
	if x.Dims() != 2 || x.Dim(1) != l.N || steps < 0 {
		panic(&autograd.ShapeError{Op: "LIF.ScanConst", Shapes: [][]int{append([]int(nil), x.Shape()...)},
			Msg: fmt.Sprintf("input must be [B, %d] and steps >= 0 (steps = %d)", l.N, steps)})
	}
	spk, mem, _ = l.run(t, x, steps, x.Dim(0), true, LIFState{}, false)
	return spk, mem
}

// run is the fused scan behind Scan, Run and ScanConst; with final set it
// returns the state after the last step.
func (l *LIF) run(t *autograd.Tape, x *autograd.Var, T, B int, constIn bool, s LIFState, final bool) (spk, mem *autograd.Var, next LIFState) {
	const op = "LIF.Run"
	checkState(op, "Mem", s.Mem, B, l.N)
	checkState(op, "Spk", s.Spk, B, l.N)
	c := &l.Config
	o := autograd.Pooled[lifOp](t)
	*o = lifOp{
		scan: kernels.LIFScan{T: T, B: B, N: l.N, Reset: c.Reset.kernel(), ResetGrad: c.ResetGrad, ConstIn: constIn,
			Beta: clamped(t, l.Beta, decayMin, decayMax), Thr: clamped(t, l.Threshold, thrMin, thrMax)},
		f: c.Surrogate, x: x, mem0: s.Mem, spk0: s.Spk, beta: l.Beta, thr: l.Threshold,
	}
	spk, mem = t.NewRaw(T, B, l.N), t.NewRaw(T, B, l.N)
	o.scan.Forward(x.Data, data(s.Mem), data(s.Spk), mem.Data, spk.Data)
	spk.SetBinary()
	o.spk, o.mem = spk, mem
	in := [5]*autograd.Var{x, t.Param(l.Beta), t.Param(l.Threshold), s.Mem, s.Spk}
	n := 3
	if s.Mem != nil {
		n++
	}
	if s.Spk != nil {
		in[n] = s.Spk
		n++
	}
	t.RecordOutputs([]*autograd.Var{spk, mem}, o, in[:n]...)
	switch {
	case final && T > 0:
		next = LIFState{Mem: lastStep(t, mem), Spk: lastStep(t, spk)}
	case final:
		next = s
	}
	return spk, mem, next
}

// lifOp is the tape entry of a fused LIF scan, taken from the tape's pool
// (autograd.Pooled).
type lifOp struct {
	scan       kernels.LIFScan
	f          surrogate.Func
	x          *autograd.Var
	mem0, spk0 *autograd.Var
	spk, mem   *autograd.Var
	beta, thr  *autograd.Param
}

func (o *lifOp) Backward(t *autograd.Tape, _ *autograd.Var, in []*autograd.Var) {
	p := &o.scan
	n := p.T * p.B * p.N
	if p.ConstIn {
		n = p.B * p.N
	}
	g := kernels.LIFGrad{DSpk: o.spk.Grad, DMem: o.mem.Grad}
	g.FastSigmoid, g.SGFunc = surrogateKernel(o.f, o)
	var addIn bool
	g.DIn, addIn = gradBuf(t, o.x, n)
	g.DMem0 = gradScratch(t, o.mem0, p.B*p.N)
	g.DSpk0 = gradScratch(t, o.spk0, p.B*p.N)
	betaV, thrV := in[1], in[2]
	g.DBeta, g.DThr = gradScratch(t, betaV, len(p.Beta)), gradScratch(t, thrV, len(p.Thr))
	p.Backward(data(o.mem0), data(o.spk0), o.mem.Data, o.spk.Data, &g)
	if addIn {
		addGrad(t, o.x, g.DIn)
	}
	addGrad(t, o.mem0, g.DMem0)
	addGrad(t, o.spk0, g.DSpk0)
	addParamGrad(t, betaV, g.DBeta, o.beta, decayMin, decayMax)
	addParamGrad(t, thrV, g.DThr, o.thr, thrMin, thrMax)
}

// GradInto sets dst[i] to the surrogate derivative at x[i]: the kernel's
// kernels.SurrogateGrad for a surrogate that is not the built-in fast
// sigmoid.
func (o *lifOp) GradInto(dst, x []float32) { surrogate.GradInto(o.f, dst, x) }

// Step advances the layer by one time step: x [B, N] is the input current,
// s the state before the step. It returns the spikes [B, N] and the new
// state. Step is the definition that the fused scan implements, written with
// tape ops.
func (l *LIF) Step(t *autograd.Tape, x *autograd.Var, s LIFState) (spk *autograd.Var, next LIFState) {
	return l.step(t, x, s, surrogate.Spike)
}

// StepSmooth is Step with the spike's step function replaced by the
// surrogate's smooth function (surrogate.SmoothSpike): the whole step is
// differentiable, for checks against finite differences.
func (l *LIF) StepSmooth(t *autograd.Tape, x *autograd.Var, s LIFState) (spk *autograd.Var, next LIFState) {
	return l.step(t, x, s, surrogate.SmoothSpike)
}

// spikeFunc is surrogate.Spike or surrogate.SmoothSpike.
type spikeFunc func(t *autograd.Tape, v *autograd.Var, threshold float32, f surrogate.Func) *autograd.Var

func (l *LIF) step(t *autograd.Tape, x *autograd.Var, s LIFState, spike spikeFunc) (spk *autograd.Var, next LIFState) {
	const op = "LIF.Step"
	B := stepBatch(op, x, l.N)
	checkState(op, "Mem", s.Mem, B, l.N)
	checkState(op, "Spk", s.Spk, B, l.N)
	c := &l.Config
	beta := stepParam(t, l.Beta, l.N, decayMin, decayMax)
	thr := stepParam(t, l.Threshold, l.N, thrMin, thrMax)
	mem := x
	if s.Mem != nil {
		decayed := t.MulBias(s.Mem, beta)
		r := s.Spk
		if r != nil && !c.ResetGrad {
			r = t.Detach(r)
		}
		switch {
		case r == nil || c.Reset == ResetNone:
			mem = t.Add(decayed, x)
		case c.Reset == ResetSubtract:
			mem = t.Sub(t.Add(decayed, x), t.MulBias(r, thr))
		default: // ResetZero
			mem = t.Add(t.Mul(decayed, t.AddScalar(t.Neg(r), 1)), x)
		}
	} else if s.Spk != nil && c.Reset == ResetSubtract {
		r := s.Spk
		if !c.ResetGrad {
			r = t.Detach(r)
		}
		mem = t.Sub(x, t.MulBias(r, thr))
	}
	spk = spike(t, t.AddBias(mem, t.Neg(thr)), 0, c.Surrogate)
	return spk, LIFState{Mem: mem, Spk: spk}
}

// Spec describes the layer for a model file: a model.LIF. A surrogate that
// is not a built-in of package surrogate is named by its String, which
// Build refuses.
func (l *LIF) Spec() model.Layer { return model.NewLayer(l.name, l.Config.spec(l.N)) }
