package layers

import (
	"fmt"
	"math"
	"strings"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/internal/kernels"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/surrogate"
)

// ResetMode selects how a spike resets the membrane at the next time step.
// The zero value is ResetSubtract.
type ResetMode uint8

const (
	// ResetSubtract subtracts the threshold: mem[t] = beta·mem[t-1] + x[t] - S[t-1]·thr
	// (snnTorch's default, reset_mechanism="subtract").
	ResetSubtract ResetMode = iota
	// ResetZero clears the decayed membrane: mem[t] = beta·mem[t-1]·(1-S[t-1]) + x[t]
	// (snnTorch's reset_mechanism="zero").
	ResetZero
	// ResetNone never resets: mem[t] = beta·mem[t-1] + x[t].
	ResetNone
)

var resetNames = [...]string{model.ResetSubtract, model.ResetZero, model.ResetNone}

// String returns the name used in configs and model files: "subtract",
// "zero" or "none".
func (m ResetMode) String() string {
	if int(m) < len(resetNames) {
		return resetNames[m]
	}
	return fmt.Sprintf("ResetMode(%d)", uint8(m))
}

// ParseReset returns the ResetMode named "subtract", "zero" or "none".
func ParseReset(s string) (ResetMode, error) {
	for i, n := range resetNames {
		if n == s {
			return ResetMode(i), nil
		}
	}
	return 0, fmt.Errorf("unknown reset %q (allowed: %s)", s, strings.Join(resetNames[:], ", "))
}

// kernel returns the kernels' constant for m.
func (m ResetMode) kernel() kernels.ResetMode {
	switch m {
	case ResetZero:
		return kernels.ResetZero
	case ResetNone:
		return kernels.ResetNone
	}
	return kernels.ResetSubtract
}

// Clamping ranges of learnable neuron parameters. The forward pass uses the
// clamped value and the gradient reaches the parameter only where it lies
// inside the range (as autograd's Clamp): decay factors stay in [0, 1], as
// snnTorch clamps a learnable beta; thresholds stay non-negative.
const (
	decayMin, decayMax = 0, 1
	thrMin             = 0
)

var thrMax = float32(math.Inf(1))

// Neuron is a layer with membrane dynamics. Scan runs it over a whole
// sequence x [T, B, N] from its zero state and returns its output and its
// membrane potentials, both [T, B, N] (for a non-spiking read-out the output
// is the membrane). Sequential runs neuron layers through Scan.
type Neuron interface {
	Layer
	Scan(t *autograd.Tape, x *autograd.Var) (out, mem *autograd.Var)
}

// Spiking is a neuron layer whose output is spikes, emitted when the
// membrane exceeds a threshold: LIF and Synaptic. SpikeThreshold returns the
// threshold parameter, [1] or [N]; the forward pass uses it clamped to
// [0, ∞). Tools that show membranes against thresholds use it.
type Spiking interface {
	Neuron
	SpikeThreshold() *autograd.Param
}

// Stateful is the contract that every neuron model keeps, with S its state
// type (LIFState, SynapticState, LIState, ALIFState, AdLIFState): the state
// between time steps or sequences, a struct of [B, N] Vars that the caller
// owns. The zero S is the zero state (every nil field counts as zeros).
//
//   - Step advances the layer by one time step, x [B, N], and returns the
//     output [B, N] and the state after the step. It is the model's
//     definition, written with tape ops.
//   - StepSmooth is Step with the spike's step function replaced by the
//     surrogate's smooth function (surrogate.SmoothSpike), so that the whole
//     computation is differentiable and can be checked against finite
//     differences. A non-spiking model's StepSmooth is its Step.
//   - Run is the multi-step scan: it runs the layer over x [T, B, N] from
//     state s, returns the outputs and membrane potentials [T, B, N] and
//     always the state after the last step (s itself when T = 0), connected
//     to the graph (Detach it for truncated backpropagation through time).
//     LIF, Synaptic, LI, IF, ALIF, PLIF, AdLIF, RLIF, RSynaptic and RadLIF
//     record one tape entry whose forward and backward are fused kernels.
//     Run gives the same values as T calls of Step.
//
// Scan is Run from the zero state without the final state, which it does
// not compute.
type Stateful[S any] interface {
	Neuron
	Step(t *autograd.Tape, x *autograd.Var, s S) (out *autograd.Var, next S)
	StepSmooth(t *autograd.Tape, x *autograd.Var, s S) (out *autograd.Var, next S)
	Run(t *autograd.Tape, x *autograd.Var, s S) (out, mem *autograd.Var, next S)
}

var (
	_ Spiking                 = (*LIF)(nil)
	_ Spiking                 = (*Synaptic)(nil)
	_ Stateful[LIFState]      = (*LIF)(nil)
	_ Stateful[SynapticState] = (*Synaptic)(nil)
	_ Stateful[LIState]       = (*LI)(nil)
	_ Spiking                 = (*RLIF)(nil)
	_ Spiking                 = (*RSynaptic)(nil)
	_ Stateful[LIFState]      = (*RLIF)(nil)
	_ Stateful[SynapticState] = (*RSynaptic)(nil)
	_ Spiking                 = (*IF)(nil)
	_ Spiking                 = (*ALIF)(nil)
	_ Spiking                 = (*PLIF)(nil)
	_ Stateful[LIFState]      = (*IF)(nil)
	_ Stateful[ALIFState]     = (*ALIF)(nil)
	_ Stateful[LIFState]      = (*PLIF)(nil)
	_ Spiking                 = (*AdLIF)(nil)
	_ Stateful[AdLIFState]    = (*AdLIF)(nil)
	_ Spiking                 = (*RadLIF)(nil)
	_ Stateful[AdLIFState]    = (*RadLIF)(nil)
)

// newNeuronParam makes the Param of a neuron constant: shared ([1]) or one per
// neuron ([n]); frozen unless learn.
func newNeuronParam(name string, value float32, n int, learn, perNeuron bool) *autograd.Param {
	size := 1
	if perNeuron {
		size = n
	}
	p := autograd.NewParam(name, nil, size)
	for i := range p.Data {
		p.Data[i] = value
	}
	p.Frozen = !learn
	return p
}

// clamped returns p's values clamped to [lo, hi] in tape scratch memory.
func clamped(t *autograd.Tape, p *autograd.Param, lo, hi float32) []float32 {
	s := t.Scratch(len(p.Data))
	for i, v := range p.Data {
		s[i] = min(max(v, lo), hi)
	}
	return s
}

// addClamped adds the gradient g with respect to the clamped value of p into
// dst (p's gradient) wherever p lies inside [lo, hi].
func addClamped(dst, g []float32, p *autograd.Param, lo, hi float32) {
	for i, v := range p.Data {
		if lo <= v && v <= hi {
			dst[i] += g[i]
		}
	}
}

// addParamGrad adds g, the gradient with respect to the clamped value of p
// whose tape Var is v, into v's gradient; nothing when g is nil.
func addParamGrad(t *autograd.Tape, v *autograd.Var, g []float32, p *autograd.Param, lo, hi float32) {
	if g != nil {
		addClamped(t.GradOf(v), g, p, lo, hi)
	}
}

// stepParam returns p on the tape as a [n] Var clamped to [lo, hi], for the
// step-by-step definitions.
func stepParam(t *autograd.Tape, p *autograd.Param, n int, lo, hi float32) *autograd.Var {
	v := t.Clamp(t.Param(p), lo, hi)
	if p.Len() == n {
		return v
	}
	return t.Reshape(t.Repeat(v, n), n)
}

// surrogateGrads fills sg [T*B*N] with f.Grad(mem - thr[feature]).
func surrogateGrads(f surrogate.Func, sg, mem, thr []float32, n int) {
	if len(thr) == 1 {
		surrogate.GradShifted(f, sg, mem, thr[0])
		return
	}
	for off := 0; off < len(mem); off += n {
		row, m := sg[off:off+n], mem[off:off+n]
		for i, th := range thr[:n] {
			row[i] = m[i] - th
		}
		surrogate.GradInto(f, row, row)
	}
}

// seqDims returns T, B, N of a [T, B, N] sequence or panics with a ShapeError.
func seqDims(op string, x *autograd.Var, n int) (T, B int) {
	if x.Dims() != 3 || x.Dim(2) != n {
		panic(&autograd.ShapeError{Op: op, Shapes: [][]int{append([]int(nil), x.Shape()...)},
			Msg: fmt.Sprintf("input must be a sequence [T, B, %d]", n)})
	}
	return x.Dim(0), x.Dim(1)
}

// stepBatch returns B of a step's input x [B, n] or panics with a
// ShapeError.
func stepBatch(op string, x *autograd.Var, n int) int {
	if x.Dims() != 2 || x.Dim(1) != n {
		panic(&autograd.ShapeError{Op: op, Shapes: [][]int{append([]int(nil), x.Shape()...)},
			Msg: fmt.Sprintf("input must be [B, %d]", n)})
	}
	return x.Dim(0)
}

// checkState panics unless v is nil or [B, N].
func checkState(op, name string, v *autograd.Var, b, n int) {
	if v != nil && (v.Dims() != 2 || v.Dim(0) != b || v.Dim(1) != n) {
		panic(&autograd.ShapeError{Op: op, Shapes: [][]int{append([]int(nil), v.Shape()...)},
			Msg: fmt.Sprintf("state %s must be [%d, %d]", name, b, n)})
	}
}

func data(v *autograd.Var) []float32 {
	if v == nil {
		return nil
	}
	return v.Data
}

// gradBuf returns a buffer for the gradient of v that a kernel overwrites,
// and whether it must be added into v's gradient afterwards. When nothing
// has reached v's gradient yet, the kernel writes into it directly.
func gradBuf(t *autograd.Tape, v *autograd.Var, n int) (buf []float32, add bool) {
	if v != nil {
		if g, fresh := t.GradBuffer(v); fresh {
			return g, false
		}
	}
	return t.ScratchRaw(n), v != nil && v.RequiresGrad()
}

// gradScratch returns n zeroed floats of tape scratch for a kernel's
// gradient of v, or nil when v is nil or needs no gradient.
func gradScratch(t *autograd.Tape, v *autograd.Var, n int) []float32 {
	if v == nil || !v.RequiresGrad() {
		return nil
	}
	return t.Scratch(n)
}

// surrogateKernel returns how a scan kernel computes f's derivative: the
// built-in fast sigmoid's slope, or (slope 0) sg, whose GradInto calls f.
func surrogateKernel(f surrogate.Func, sg kernels.SurrogateGrad) (fastSigmoid float32, sgf kernels.SurrogateGrad) {
	if k, ok := surrogate.FastSigmoidSlope(f); ok {
		return k, nil
	}
	return 0, sg
}

// addGrad adds g into v's gradient if v needs one.
func addGrad(t *autograd.Tape, v *autograd.Var, g []float32) {
	if v == nil || g == nil {
		return
	}
	if dst := t.GradOf(v); dst != nil {
		kernels.Add(dst, g)
	}
}

// lastStep returns step T-1 of a [T, B, N] sequence as a [B, N] Var.
func lastStep(t *autograd.Tape, x *autograd.Var) *autograd.Var {
	T, b, n := x.Dim(0), x.Dim(1), x.Dim(2)
	return t.Reshape(t.Slice(x, 0, T-1, T), b, n)
}

// withState appends to in the given start-state Vars of a fused scan that
// are not nil, in order, and returns it: the inputs of the scan's tape
// entry after the sequence and the parameters, those a gradient can reach.
// in's spare capacity holds them (no allocation).
func withState(in []*autograd.Var, state ...*autograd.Var) []*autograd.Var {
	for _, v := range state {
		if v != nil {
			in = append(in, v)
		}
	}
	return in
}
