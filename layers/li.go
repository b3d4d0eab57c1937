package layers

import (
	"fmt"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/internal/kernels"
)

// LI is a layer of non-spiking leaky integrators, the usual read-out of a
// spiking network (Norse's LICell; snnTorch's Leaky with no output spikes).
// For t = 0 .. T-1, per neuron:
//
//	mem[t] = beta·mem[t-1] + x[t]
//
// from mem[-1] = 0. Its output is the membrane potential.
type LI struct {
	name      string
	N         int
	BetaValue float32         // the configured decay factor
	Learn     bool            // Beta is trainable (clamped to [0, 1])
	Beta      *autograd.Param // [1] or [N], "<name>.beta"
}

// NewLI returns an LI layer of n neurons with decay factor beta in [0, 1],
// learnable if learn, shared or per neuron.
func NewLI(name string, n int, beta float32, learn, perNeuron bool) (*LI, error) {
	if n <= 0 {
		return nil, fmt.Errorf("layers: li %q: size must be positive, got %d", name, n)
	}
	if !(beta >= 0 && beta <= 1) {
		return nil, fmt.Errorf("layers: li %q: beta = %v: must be in [0, 1]", name, beta)
	}
	return &LI{name: name, N: n, BetaValue: beta, Learn: learn,
		Beta: newNeuronParam(name+".beta", beta, n, learn, perNeuron)}, nil
}

// Name returns the layer's name.
func (l *LI) Name() string { return l.name }

// Params returns the decay factor (Frozen unless learnable).
func (l *LI) Params() []*autograd.Param { return []*autograd.Param{l.Beta} }

// Forward returns the membrane potentials [T, B, N] for x [T, B, N].
func (l *LI) Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var {
	mem, _ := l.Run(t, x, nil, false)
	return mem
}

// Scan returns the membrane potentials twice: an LI layer's output is its
// membrane.
func (l *LI) Scan(t *autograd.Tape, x *autograd.Var) (out, mem *autograd.Var) {
	mem = l.Forward(t, x)
	return mem, mem
}

// Run runs the layer over x [T, B, N] from the membrane mem0 [B, N] (nil:
// zero) and returns the membrane potentials and, if next, the last one.
func (l *LI) Run(t *autograd.Tape, x, mem0 *autograd.Var, next bool) (mem, last *autograd.Var) {
	const op = "LI.Run"
	T, B := seqDims(op, x, l.N)
	checkState(op, "Mem", mem0, B, l.N)
	o := &liOp{scan: kernels.LIScan{T: T, B: B, N: l.N, Beta: clamped(t, l.Beta, decayMin, decayMax)},
		l: l, x: x, mem0: mem0}
	mem = t.NewRaw(T, B, l.N)
	o.scan.Forward(x.Data, data(mem0), mem.Data)
	o.mem = mem
	in := []*autograd.Var{x, t.Param(l.Beta)}
	if mem0 != nil {
		in = append(in, mem0)
	}
	t.RecordOutputs([]*autograd.Var{mem}, o, in...)
	if next && T > 0 {
		last = lastStep(t, mem)
	}
	return mem, last
}

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

// Step advances the membrane by one step: mem = beta·mem0 + x, x [B, N].
func (l *LI) Step(t *autograd.Tape, x, mem0 *autograd.Var) *autograd.Var {
	if mem0 == nil {
		return x
	}
	return t.Add(t.MulBias(mem0, stepParam(t, l.Beta, l.N, decayMin, decayMax)), x)
}

// Spec describes the layer for a model file.
func (l *LI) Spec() Spec {
	return Spec{Kind: KindLI, Name: l.name, Out: l.N, Beta: l.BetaValue, LearnBeta: l.Learn, PerNeuron: l.Beta.Len() > 1}
}
