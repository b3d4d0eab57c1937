package layers

import (
	"fmt"
	"math"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/internal/kernels"
	"github.com/spikegrad/spikegrad/surrogate"
)

// LIFConfig configures a leaky integrate-and-fire layer.
type LIFConfig struct {
	// Beta is the membrane decay factor per time step, exp(-Δt/τ_mem),
	// dimensionless, in [0, 1]. snnTorch's tutorials use 0.95.
	Beta float32
	// Threshold is the firing threshold, in the units of the membrane
	// potential (1 in snnTorch's defaults), > 0.
	Threshold float32
	// Reset is the reset rule; the zero value is ResetSubtract.
	Reset ResetMode
	// ResetGrad lets the gradient flow through the reset term. The default,
	// false, detaches the reset from the graph (snnTorch's reset_delay
	// default and Zenke and Vogels 2021's recommendation).
	ResetGrad bool
	// Surrogate is the spike's surrogate derivative; nil selects
	// surrogate.FastSigmoid{Slope: 25}.
	Surrogate surrogate.Func
	// LearnBeta and LearnThreshold make the decay factor and the threshold
	// trainable, clamped to [0, 1] and [0, ∞) in the forward pass.
	LearnBeta, LearnThreshold bool
	// PerNeuron gives every neuron its own decay factor and threshold ([N]
	// instead of one shared value [1]).
	PerNeuron bool
}

// validate checks the config and fills the surrogate default.
func (c *LIFConfig) validate(kind, name string) error {
	if c.Surrogate == nil {
		c.Surrogate = surrogate.FastSigmoid{Slope: 25}
	}
	if !(c.Beta >= 0 && c.Beta <= 1) {
		return fmt.Errorf("layers: %s %q: beta = %v: must be in [0, 1]", kind, name, c.Beta)
	}
	if !(c.Threshold > 0) || math.IsInf(float64(c.Threshold), 0) {
		return fmt.Errorf("layers: %s %q: threshold = %v: must be positive and finite", kind, name, c.Threshold)
	}
	if c.Reset > ResetNone {
		return fmt.Errorf("layers: %s %q: unknown reset mode %v", kind, name, c.Reset)
	}
	return nil
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
// for one time step, built from tape ops, and the two agree.
type LIF struct {
	name      string
	N         int
	Config    LIFConfig
	Beta      *autograd.Param // [1] or [N], "<name>.beta"; Frozen unless LearnBeta
	Threshold *autograd.Param // [1] or [N], "<name>.threshold"; Frozen unless LearnThreshold
}

// LIFState is the state of a LIF layer between sequences or steps: the
// membrane potentials and the last spikes, both [B, N]. A nil field is zero.
type LIFState struct {
	Mem, Spk *autograd.Var
}

// NewLIF returns a LIF layer of n neurons. It returns an error naming the
// layer for an invalid config.
func NewLIF(name string, n int, c LIFConfig) (*LIF, error) {
	if n <= 0 {
		return nil, fmt.Errorf("layers: lif %q: size must be positive, got %d", name, n)
	}
	if err := c.validate("lif", name); err != nil {
		return nil, err
	}
	return &LIF{
		name: name, N: n, Config: c,
		Beta:      newNeuronParam(name+".beta", c.Beta, n, c.LearnBeta, c.PerNeuron),
		Threshold: newNeuronParam(name+".threshold", c.Threshold, n, c.LearnThreshold, c.PerNeuron),
	}, nil
}

// Name returns the layer's name.
func (l *LIF) Name() string { return l.name }

// Params returns the decay factor and the threshold (Frozen unless learnable).
func (l *LIF) Params() []*autograd.Param { return []*autograd.Param{l.Beta, l.Threshold} }

// Forward returns the spikes of Scan.
func (l *LIF) Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var {
	spk, _ := l.Scan(t, x)
	return spk
}

// Scan runs the layer over x [T, B, N] from the zero state and returns the
// spikes and membrane potentials, both [T, B, N].
func (l *LIF) Scan(t *autograd.Tape, x *autograd.Var) (spk, mem *autograd.Var) {
	spk, mem, _ = l.Run(t, x, LIFState{}, false)
	return spk, mem
}

// Run runs the layer over x [T, B, N] from state s and returns the spikes,
// the membrane potentials and, if next is set, the state after the last step
// (connected to the graph: Detach it for truncated backpropagation through
// time). It panics with an *autograd.ShapeError for a wrong shape.
func (l *LIF) Run(t *autograd.Tape, x *autograd.Var, s LIFState, next bool) (spk, mem *autograd.Var, out LIFState) {
	T, B := seqDims("LIF.Run", x, l.N)
	return l.run(t, x, T, B, false, s, next)
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

func (l *LIF) run(t *autograd.Tape, x *autograd.Var, T, B int, constIn bool, s LIFState, next bool) (spk, mem *autograd.Var, out LIFState) {
	const op = "LIF.Run"
	checkState(op, "Mem", s.Mem, B, l.N)
	checkState(op, "Spk", s.Spk, B, l.N)
	c := &l.Config
	o := &lifOp{
		scan: kernels.LIFScan{T: T, B: B, N: l.N, Reset: c.Reset, ResetGrad: c.ResetGrad, ConstIn: constIn,
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
	if next && T > 0 {
		out = LIFState{Mem: lastStep(t, mem), Spk: lastStep(t, spk)}
	}
	return spk, mem, out
}

// lifOp is the tape entry of a fused LIF scan.
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
	if fs, ok := o.f.(surrogate.FastSigmoid); ok {
		g.FastSigmoid = fs.Slope
		if g.FastSigmoid == 0 {
			g.FastSigmoid = 25 // FastSigmoid's documented default
		}
	} else {
		f := o.f
		g.SGFunc = func(dst, x []float32) { surrogate.GradInto(f, dst, x) }
	}
	var addIn bool
	g.DIn, addIn = gradBuf(t, o.x, n)
	if o.mem0 != nil && o.mem0.RequiresGrad() {
		g.DMem0 = t.Scratch(p.B * p.N)
	}
	if o.spk0 != nil && o.spk0.RequiresGrad() {
		g.DSpk0 = t.Scratch(p.B * p.N)
	}
	betaV, thrV := in[1], in[2]
	if betaV.RequiresGrad() {
		g.DBeta = t.Scratch(len(p.Beta))
	}
	if thrV.RequiresGrad() {
		g.DThr = t.Scratch(len(p.Thr))
	}
	p.Backward(data(o.mem0), data(o.spk0), o.mem.Data, o.spk.Data, &g)
	if addIn {
		addGrad(t, o.x, g.DIn)
	}
	addGrad(t, o.mem0, g.DMem0)
	addGrad(t, o.spk0, g.DSpk0)
	if g.DBeta != nil {
		addClamped(t.GradOf(betaV), g.DBeta, o.beta, decayMin, decayMax)
	}
	if g.DThr != nil {
		addClamped(t.GradOf(thrV), g.DThr, o.thr, thrMin, thrMax)
	}
}

// Step advances the layer by one time step: x [B, N] is the input current,
// s the state before the step. It returns the spikes [B, N] and the new
// state. Step is the definition that the fused scan implements, written with
// tape ops; with smooth set, the spike's step function is replaced by the
// surrogate's smooth function (surrogate.SmoothSpike) so that the whole
// computation is differentiable and can be checked against finite
// differences.
func (l *LIF) Step(t *autograd.Tape, x *autograd.Var, s LIFState, smooth bool) (spk *autograd.Var, next LIFState) {
	const op = "LIF.Step"
	if x.Dims() != 2 || x.Dim(1) != l.N {
		panic(&autograd.ShapeError{Op: op, Shapes: [][]int{append([]int(nil), x.Shape()...)},
			Msg: fmt.Sprintf("input must be [B, %d]", l.N)})
	}
	B := x.Dim(0)
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
	v := t.AddBias(mem, t.Neg(thr))
	if smooth {
		spk = surrogate.SmoothSpike(t, v, 0, c.Surrogate)
	} else {
		spk = surrogate.Spike(t, v, 0, c.Surrogate)
	}
	return spk, LIFState{Mem: mem, Spk: spk}
}

// Spec describes the layer for a model file.
func (l *LIF) Spec() Spec {
	c := &l.Config
	return Spec{Kind: KindLIF, Name: l.name, Out: l.N, Beta: c.Beta, Threshold: c.Threshold,
		Reset: c.Reset.String(), ResetGrad: c.ResetGrad, Surrogate: SurrogateSpecOf(c.Surrogate),
		LearnBeta: c.LearnBeta, LearnThreshold: c.LearnThreshold, PerNeuron: c.PerNeuron}
}
