package layers

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/model"
)

// DelayConfig configures a learnable axonal delay layer.
type DelayConfig struct {
	// MaxDelay is the largest delay, in time steps, >= 1. It has no
	// default: a max delay of 0 is the identity. The delays are clamped to
	// [0, MaxDelay], and the sequences the layer runs on must be longer
	// than MaxDelay steps.
	MaxDelay int
	// Init is the initial delay of every feature, in time steps, in [0,
	// MaxDelay]; zero is no delay. lava-dl draws its initial delays from
	// U[0, 1), which its truncation to whole steps makes 0 everywhere: the
	// same forward pass as Init 0.
	Init float32
	// Fixed freezes the delays; by default they are trained.
	Fixed bool
}

func (c DelayConfig) spec(n int) model.Delay {
	return model.Delay{N: n, MaxDelay: c.MaxDelay, Init: c.Init, Fixed: c.Fixed}
}

// Delay delays each feature of its input by a learnable number of time
// steps, the axonal delay of lava-dl's slayer (lava.lib.dl.slayer.axon.Delay,
// after Shrestha and Orchard 2018). Each feature i has a delay parameter
// d[i], clamped to [0, MaxDelay] and truncated to whole steps,
// D[i] = ⌊d[i]⌋ (lava-dl's int()), and for t = 0 .. T-1:
//
//	y[t, b, i] = x[t - D[i], b, i]     (zero for t < D[i], or the state's inputs)
//
// The gradient reaching x is the reverse shift, dx[t] = dy[t + D[i]]. The
// gradient reaching d is lava-dl's: the output's backward difference
// against the incoming gradient,
//
//	dL/dd[i] = Σ_{t,b} dy[t, b, i] · (y[t-1, b, i] - y[t, b, i])     y[-1] = 0 (or the state's last output)
//
// which is the exact derivative, with respect to d, of the delay that
// interpolates linearly between whole steps, y(t) = (1-f)·x[t-D] +
// f·x[t-D-1] with f = d - D, at any d with the same ⌊d⌋. It reaches d only
// where d lies inside [0, MaxDelay].
//
// Forward runs the whole sequence in one pass (Run from a state); Step is
// one time step with the last MaxDelay inputs as its state, and the two
// give the same values bit for bit.
type Delay struct {
	name   string
	N      int
	Config DelayConfig
	D      *autograd.Param // [N], "<name>.delay", in time steps; Frozen if Fixed
}

// DelayState is the state of a Delay layer between steps or sequences:
// Buf [MaxDelay, B, N] holds the last MaxDelay inputs, oldest first, and
// Out [B, N] the last output (the y[-1] of the delay's gradient). A nil
// field is zeros; the zero DelayState is a layer that has seen only zeros.
type DelayState struct {
	Buf, Out *autograd.Var
}

// NewDelay returns a Delay layer of n features called name, configured by
// c:
//
//	delay := layers.NewDelay("delay", 128, layers.DelayConfig{MaxDelay: 20})
//
// It panics with a *ConfigError for n below 1 or an invalid config value.
func NewDelay(name string, n int, c DelayConfig) *Delay { return must(newDelay(name, n, c)) }

func newDelay(name string, n int, c DelayConfig) (*Delay, error) {
	if err := check(name, c.spec(n)); err != nil {
		return nil, err
	}
	d := autograd.NewParam(name+".delay", nil, n)
	for i := range d.Data {
		d.Data[i] = c.Init
	}
	d.Frozen = c.Fixed
	return &Delay{name: name, N: n, Config: c, D: d}, nil
}

func init() {
	register(model.KindDelay, func(name string, p model.Payload, _ *rand.Rand) (Layer, error) {
		s := p.(*model.Delay)
		return newDelay(name, s.N, DelayConfig{MaxDelay: s.MaxDelay, Init: s.Init, Fixed: s.Fixed})
	})
}

// Name returns the layer's name.
func (l *Delay) Name() string { return l.name }

// Params returns the delays.
func (l *Delay) Params() []*autograd.Param { return []*autograd.Param{l.D} }

// Spec describes the layer for a model file: a model.Delay.
func (l *Delay) Spec() model.Layer { return model.NewLayer(l.name, l.Config.spec(l.N)) }

// needsSteps marks Delay as a layer that needs the time axis: Sequential
// repeats a constant input over time before it.
func (l *Delay) needsSteps() bool { return true }

// stepsCheck validates a Delay config for sequences of T steps.
type stepsCheck struct {
	model.Delay
	T int
}

func (c stepsCheck) Validate() error { return c.Delay.CheckSteps(c.T) }

// Steps returns the whole-step delays D[i] = ⌊clamp(d[i], 0, MaxDelay)⌋
// that the forward pass uses.
func (l *Delay) Steps() []int {
	s := make([]int, l.N)
	for i, d := range l.D.Data {
		s[i] = l.steps(d)
	}
	return s
}

func (l *Delay) steps(d float32) int {
	d = min(max(d, 0), float32(l.Config.MaxDelay))
	if math.IsNaN(float64(d)) {
		return 0
	}
	return int(d)
}

// Forward delays x [T, B, N] from the zero state. It panics with a
// *ConfigError naming max_delay if T is not longer than MaxDelay, and with
// an *autograd.ShapeError for a wrong shape.
func (l *Delay) Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var {
	y, _ := l.run(t, x, DelayState{}, false)
	return y
}

// Run delays x [T, B, N] from state s and returns the output [T, B, N] and
// the state after the last step (s when T = 0), connected to the graph.
// Unlike Forward, it takes sequences of any length, since the state
// carries the inputs of earlier ones.
func (l *Delay) Run(t *autograd.Tape, x *autograd.Var, s DelayState) (y *autograd.Var, next DelayState) {
	return l.run(t, x, s, true)
}

func (l *Delay) run(t *autograd.Tape, x *autograd.Var, s DelayState, final bool) (*autograd.Var, DelayState) {
	const op = "Delay.Run"
	T, B := seqDims(op, x, l.N)
	M, N := l.Config.MaxDelay, l.N
	if !final {
		if err := check(l.name, stepsCheck{l.Config.spec(N), T}); err != nil {
			panic(err)
		}
	}
	l.checkState(op, s, B)
	o := autograd.Pooled[delayOp](t)
	*o = delayOp{l: l, T: T, B: B, x: x, buf: s.Buf, prev: data(s.Out), dv: t.Param(l.D)}
	o.steps = o.steps[:0]
	for _, d := range l.D.Data {
		o.steps = append(o.steps, l.steps(d))
	}
	y := t.NewRaw(T, B, N)
	BN := B * N
	xd, yd := x.Data, y.Data
	var bd []float32
	if s.Buf != nil {
		bd = s.Buf.Data
	}
	// Sample by sample, through a copy of the sample's inputs with its
	// history in front, [M+T, N]: the rows of x lie B·N floats apart, a
	// power of two in typical shapes, and a gather straight from them
	// thrashes the cache sets.
	seq := t.ScratchRaw((M + T) * N)
	for b := range B {
		for j := range M {
			if bd != nil {
				copy(seq[j*N:(j+1)*N], bd[j*BN+b*N:])
			} else {
				clear(seq[j*N : (j+1)*N])
			}
		}
		for tt := range T {
			copy(seq[(M+tt)*N:(M+tt+1)*N], xd[tt*BN+b*N:])
		}
		for tt := range T {
			row := yd[tt*BN+b*N : tt*BN+b*N+N]
			for i, D := range o.steps {
				row[i] = seq[(M+tt-D)*N+i]
			}
		}
	}
	if x.Binary() && s.Buf == nil {
		y.SetBinary()
	}
	o.y = y
	in := []*autograd.Var{x, o.dv}
	if s.Buf != nil {
		in = append(in, s.Buf)
	}
	t.Record(y, o, in...)
	if !final {
		return y, DelayState{}
	}
	if T == 0 {
		return y, s
	}
	var nb *autograd.Var
	if T >= M {
		nb = t.Slice(x, 0, T-M, T)
	} else {
		old := s.Buf
		if old == nil {
			old = t.New(M, B, N)
		}
		nb = t.Concat(0, t.Slice(old, 0, T, M), x)
	}
	return y, DelayState{Buf: nb, Out: lastStep(t, y)}
}

func (l *Delay) checkState(op string, s DelayState, B int) {
	if v := s.Buf; v != nil && (v.Dims() != 3 || v.Dim(0) != l.Config.MaxDelay || v.Dim(1) != B || v.Dim(2) != l.N) {
		panic(&autograd.ShapeError{Op: op, Shapes: [][]int{append([]int(nil), v.Shape()...)},
			Msg: fmt.Sprintf("state Buf must be [%d, %d, %d]", l.Config.MaxDelay, B, l.N)})
	}
	checkState(op, "Out", s.Out, B, l.N)
}

// delayOp is the tape entry of a delay over a sequence, taken from the
// tape's pool.
type delayOp struct {
	l     *Delay
	T, B  int
	steps []int
	x     *autograd.Var
	buf   *autograd.Var
	prev  []float32 // the last output before the sequence, [B, N], nil for zeros
	dv    *autograd.Var
	y     *autograd.Var
}

func (o *delayOp) Backward(t *autograd.Tape, _ *autograd.Var, _ []*autograd.Var) {
	g := o.y.Grad
	if g == nil {
		return
	}
	T, B, N, M := o.T, o.B, o.l.N, o.l.Config.MaxDelay
	BN := B * N
	var dx []float32
	fresh := false // dx is the gradient buffer that nothing has reached yet: written, not added to
	if o.x.RequiresGrad() {
		dx, fresh = t.GradBuffer(o.x)
	}
	var dbuf []float32
	if o.buf != nil {
		dbuf = t.GradOf(o.buf)
	}
	if dx != nil || dbuf != nil {
		// Sample by sample, through a copy of the sample's gradients with M
		// rows of zeros on either side, [M+T+M, N] (see run).
		seq := t.ScratchRaw((2*M + T) * N)
		clear(seq[:M*N])
		clear(seq[(M+T)*N:])
		for b := range B {
			for tt := range T {
				copy(seq[(M+tt)*N:(M+tt+1)*N], g[tt*BN+b*N:])
			}
			if dx != nil {
				for tt := range T {
					row := dx[tt*BN+b*N : tt*BN+b*N+N]
					if fresh {
						for i, D := range o.steps {
							row[i] = seq[(M+tt+D)*N+i]
						}
						continue
					}
					for i, D := range o.steps {
						row[i] += seq[(M+tt+D)*N+i]
					}
				}
			}
			if dbuf != nil { // row j of the state is step j-M
				for j := range M {
					row := dbuf[j*BN+b*N : j*BN+b*N+N]
					for i, D := range o.steps {
						row[i] += seq[(j+D)*N+i]
					}
				}
			}
		}
	}
	if dd := t.GradOf(o.dv); dd != nil && T > 0 {
		acc := t.Scratch(N)
		y := o.y.Data
		for b := range B { // step 0: y[-1] is the state's last output, or zeros
			gr, cur := g[b*N:b*N+N], y[b*N:b*N+N]
			if o.prev != nil {
				prev := o.prev[b*N : b*N+N]
				for i := range acc {
					acc[i] += gr[i] * (prev[i] - cur[i])
				}
			} else {
				for i := range acc {
					acc[i] += gr[i] * (0 - cur[i])
				}
			}
		}
		for off := BN; off < T*BN; off += N {
			gr, cur, prev := g[off:off+N], y[off:off+N], y[off-BN:off-BN+N]
			for i := range acc {
				acc[i] += gr[i] * (prev[i] - cur[i])
			}
		}
		addClamped(dd, acc, o.l.D, 0, float32(M))
	}
}

// Step advances the layer by one time step: x [B, N] is the input, s the
// state before the step. It returns the output [B, N], the input of
// ⌊d[i]⌋ steps ago for each feature i, and the state after the step.
func (l *Delay) Step(t *autograd.Tape, x *autograd.Var, s DelayState) (y *autograd.Var, next DelayState) {
	const op = "Delay.Step"
	B := stepBatch(op, x, l.N)
	l.checkState(op, s, B)
	M, N := l.Config.MaxDelay, l.N
	buf := s.Buf
	if buf == nil {
		buf = t.New(M, B, N)
	}
	full := t.Concat(0, buf, t.Reshape(x, 1, B, N)) // row M - D holds the input of D steps ago
	o := autograd.Pooled[delayStepOp](t)
	*o = delayStepOp{l: l, B: B, full: full, prev: data(s.Out), dv: t.Param(l.D)}
	o.steps = o.steps[:0]
	y = t.NewRaw(B, N)
	for i, d := range l.D.Data {
		D := l.steps(d)
		o.steps = append(o.steps, D)
		for b := range B {
			y.Data[b*N+i] = full.Data[((M-D)*B+b)*N+i]
		}
	}
	o.y = y
	t.Record(y, o, full, o.dv)
	return y, DelayState{Buf: t.Slice(full, 0, 1, M+1), Out: y}
}

// delayStepOp is the tape entry of one Step.
type delayStepOp struct {
	l     *Delay
	B     int
	steps []int
	full  *autograd.Var
	prev  []float32
	dv    *autograd.Var
	y     *autograd.Var
}

func (o *delayStepOp) Backward(t *autograd.Tape, _ *autograd.Var, _ []*autograd.Var) {
	g := o.y.Grad
	if g == nil {
		return
	}
	N, M := o.l.N, o.l.Config.MaxDelay
	if df := t.GradOf(o.full); df != nil {
		for i, D := range o.steps {
			for b := range o.B {
				df[((M-D)*o.B+b)*N+i] += g[b*N+i]
			}
		}
	}
	if dd := t.GradOf(o.dv); dd != nil {
		acc := t.Scratch(N)
		for b := range o.B {
			for i := range acc {
				p := float32(0)
				if o.prev != nil {
					p = o.prev[b*N+i]
				}
				acc[i] += g[b*N+i] * (p - o.y.Data[b*N+i])
			}
		}
		addClamped(dd, acc, o.l.D, 0, float32(M))
	}
}
