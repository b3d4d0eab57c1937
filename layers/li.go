package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/internal/kernels"
	"github.com/spikegrad/spikegrad/model"
)

// LIConfig configures a leaky-integrator read-out.
type LIConfig struct {
	// Beta is the membrane decay factor per time step, in [0, 1]. As in
	// LIFConfig it has no default: zero is an integrator without memory,
	// whose output is its input.
	Beta float32
	// LearnBeta makes Beta trainable, clamped to [0, 1].
	LearnBeta bool
	// PerNeuron gives every neuron its own decay factor ([N] instead of [1]).
	PerNeuron bool
}

func (c LIConfig) spec(n int) model.LI {
	return model.LI{N: n, Beta: c.Beta, LearnBeta: c.LearnBeta, PerNeuron: c.PerNeuron}
}

// LI is a layer of non-spiking leaky integrators, the usual read-out of a
// spiking network (Norse's LICell; snnTorch's Leaky with no output spikes).
// For t = 0 .. T-1, per neuron:
//
//	mem[t] = beta·mem[t-1] + x[t]
//
// from mem[-1] = 0 or a given LIState. Its output is the membrane potential.
// Step, Run and Scan as for LIF (see Stateful).
type LI struct {
	name   string
	N      int
	Config LIConfig
	Beta   *autograd.Param // [1] or [N], "<name>.beta"; Frozen unless LearnBeta
}

// LIState is the state of an LI layer: the membrane potentials [B, N]; nil
// is zero, and the zero LIState is the resting state.
type LIState struct {
	Mem *autograd.Var
}

// NewLI returns an LI layer of n neurons called name, configured by c:
//
//	out := layers.NewLI("out", 10, layers.LIConfig{Beta: 0.95})
//
// It panics with a *ConfigError for n below 1 or Beta outside [0, 1].
func NewLI(name string, n int, c LIConfig) *LI {
	return must(newLI(name, n, c))
}

func newLI(name string, n int, c LIConfig) (*LI, error) {
	if err := check(name, c.spec(n)); err != nil {
		return nil, err
	}
	return &LI{name: name, N: n, Config: c, Beta: newNeuronParam(name+".beta", c.Beta, n, c.LearnBeta, c.PerNeuron)}, nil
}

func init() {
	register(model.KindLI, func(name string, p model.Payload, _ *rand.Rand) (Layer, error) {
		s := p.(*model.LI)
		return newLI(name, s.N, LIConfig{Beta: s.Beta, LearnBeta: s.LearnBeta, PerNeuron: s.PerNeuron})
	})
}

// Name returns the layer's name.
func (l *LI) Name() string { return l.name }

// Params returns the decay factor (Frozen unless learnable).
func (l *LI) Params() []*autograd.Param { return []*autograd.Param{l.Beta} }

// Forward returns the membrane potentials [T, B, N] for x [T, B, N].
func (l *LI) Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var {
	mem, _ := l.Scan(t, x)
	return mem
}

// Scan runs the layer over x [T, B, N] from the zero state and returns the
// membrane potentials twice: an LI layer's output is its membrane.
func (l *LI) Scan(t *autograd.Tape, x *autograd.Var) (out, mem *autograd.Var) {
	mem, _ = l.run(t, x, LIState{}, false)
	return mem, mem
}

// Run runs the layer over x [T, B, N] from state s and returns the membrane
// potentials as output and membrane, and the state after the last step (see
// Stateful). It panics with an *autograd.ShapeError for a wrong shape.
func (l *LI) Run(t *autograd.Tape, x *autograd.Var, s LIState) (out, mem *autograd.Var, next LIState) {
	mem, next = l.run(t, x, s, true)
	return mem, mem, next
}

// run is the fused scan behind Scan and Run; with final set it returns the
// state after the last step.
func (l *LI) run(t *autograd.Tape, x *autograd.Var, s LIState, final bool) (mem *autograd.Var, next LIState) {
	const op = "LI.Run"
	T, B := seqDims(op, x, l.N)
	checkState(op, "Mem", s.Mem, B, l.N)
	o := autograd.Pooled[liOp](t)
	*o = liOp{scan: kernels.LIScan{T: T, B: B, N: l.N, Beta: clamped(t, l.Beta, decayMin, decayMax)},
		l: l, x: x, mem0: s.Mem}
	mem = t.NewRaw(T, B, l.N)
	o.scan.Forward(x.Data, data(s.Mem), mem.Data)
	o.mem = mem
	in := []*autograd.Var{x, t.Param(l.Beta)}
	if s.Mem != nil {
		in = append(in, s.Mem)
	}
	t.RecordOutputs([]*autograd.Var{mem}, o, in...)
	switch {
	case final && T > 0:
		next = LIState{Mem: lastStep(t, mem)}
	case final:
		next = s
	}
	return mem, next
}

// liOp is the tape entry of a fused LI scan, taken from the tape's pool
// (autograd.Pooled).
type liOp struct {
	scan         kernels.LIScan
	l            *LI
	x, mem0, mem *autograd.Var
}

func (o *liOp) Backward(t *autograd.Tape, _ *autograd.Var, in []*autograd.Var) {
	p := &o.scan
	n := p.T * p.B * p.N
	g := kernels.LIGrad{DMem: o.mem.Grad}
	var addIn bool
	g.DIn, addIn = gradBuf(t, o.x, n)
	if o.mem0 != nil && o.mem0.RequiresGrad() {
		g.DMem0 = t.Scratch(p.B * p.N)
	}
	if in[1].RequiresGrad() {
		g.DBeta = t.Scratch(len(p.Beta))
	}
	p.Backward(data(o.mem0), o.mem.Data, &g)
	if addIn {
		addGrad(t, o.x, g.DIn)
	}
	addGrad(t, o.mem0, g.DMem0)
	if g.DBeta != nil {
		addClamped(t.GradOf(in[1]), g.DBeta, o.l.Beta, decayMin, decayMax)
	}
}

// Step advances the membrane by one step: mem = beta·s.Mem + x for x
// [B, N]. It returns the membrane as output and as the new state.
func (l *LI) Step(t *autograd.Tape, x *autograd.Var, s LIState) (out *autograd.Var, next LIState) {
	const op = "LI.Step"
	if x.Dims() != 2 || x.Dim(1) != l.N {
		panic(&autograd.ShapeError{Op: op, Shapes: [][]int{append([]int(nil), x.Shape()...)},
			Msg: fmt.Sprintf("input must be [B, %d]", l.N)})
	}
	checkState(op, "Mem", s.Mem, x.Dim(0), l.N)
	mem := x
	if s.Mem != nil {
		mem = t.Add(t.MulBias(s.Mem, stepParam(t, l.Beta, l.N, decayMin, decayMax)), x)
	}
	return mem, LIState{Mem: mem}
}

// StepSmooth is Step: an LI layer has no spike to smooth.
func (l *LI) StepSmooth(t *autograd.Tape, x *autograd.Var, s LIState) (out *autograd.Var, next LIState) {
	return l.Step(t, x, s)
}

// Spec describes the layer for a model file: a model.LI.
func (l *LI) Spec() model.Layer { return model.NewLayer(l.name, l.Config.spec(l.N)) }
