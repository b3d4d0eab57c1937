package autograd

import (
	"fmt"

	"github.com/spikegrad/spikegrad/internal/kernels"
)

// MaxDims is the largest number of dimensions a tensor may have.
const MaxDims = 6

// Var is a tensor value on one Tape: float32, row-major. Data holds the values;
// Grad holds the gradient of the last Backward with respect to them, or is nil
// when no gradient reached this Var (or none was asked for). A Var, its Data
// and its Grad belong to the tape's arena and must not be used after the
// tape's Reset: copy what you want to keep.
type Var struct {
	Data []float32
	Grad []float32

	shape  [MaxDims]int
	ndim   int
	tape   *Tape
	param  *Param // non-nil when this Var stands for a Param on the tape
	needs  bool   // a gradient is wanted for this Var
	binary bool   // every value is 0 or 1 (spikes)
}

// Shape returns the Var's dimensions. The slice aliases the Var: do not modify it.
func (v *Var) Shape() []int { return v.shape[:v.ndim] }

// Dims is the number of dimensions.
func (v *Var) Dims() int { return v.ndim }

// Dim returns the size of dimension i; negative i counts from the end.
func (v *Var) Dim(i int) int {
	if i < 0 {
		i += v.ndim
	}
	return v.shape[i]
}

// Len is the number of elements.
func (v *Var) Len() int { return len(v.Data) }

// RequiresGrad reports whether a gradient will be computed for this Var.
func (v *Var) RequiresGrad() bool { return v.needs }

// SetBinary declares that every value of v is 0 or 1, as spikes are. A
// matrix product whose left operand is binary may then run event-driven,
// touching only the weight rows of the active inputs (see MatMul). Spike ops
// mark their outputs; an op's output is not binary unless marked.
func (v *Var) SetBinary() { v.binary = true }

// Binary reports whether v was declared binary with SetBinary.
func (v *Var) Binary() bool { return v.binary }

// Tape returns the tape that owns the Var.
func (v *Var) Tape() *Tape { return v.tape }

// Item returns the value of a one-element Var. It panics with a *ShapeError
// for any other size.
func (v *Var) Item() float32 {
	if len(v.Data) != 1 {
		panic(shapeErr("Item", "Var has more than one element", v))
	}
	return v.Data[0]
}

// String describes the Var by its shape, as in "Var[2 3]".
func (v *Var) String() string {
	return fmt.Sprintf("Var%v", v.Shape())
}

// Param is a trainable tensor that lives across tapes: a weight or a bias.
// Its gradient accumulates over every Backward until ZeroGrad (usually called
// by the optimizer). Use it in a computation with Tape.Param.
type Param struct {
	Name string    // a path such as "fc1.weight", used in checkpoints and messages
	Data []float32 // the values, row-major
	Grad []float32 // the accumulated gradient, same length as Data
	// Frozen excludes the Param from gradient computation: on a tape it behaves
	// as a constant, and optimizers skip it.
	Frozen bool

	shape [MaxDims]int
	ndim  int
}

// NewParam makes a Param of the given shape whose values are data (not copied;
// nil allocates zeros). It panics with a *ShapeError if len(data) does not
// match the shape.
func NewParam(name string, data []float32, shape ...int) *Param {
	p := &Param{Name: name}
	n := setShape(&p.shape, &p.ndim, "NewParam", shape)
	if data == nil {
		data = make([]float32, n)
	}
	if len(data) != n {
		panic(&ShapeError{Op: "NewParam", Shapes: [][]int{append([]int(nil), shape...)},
			Msg: fmt.Sprintf("%s: %d values for %d elements", name, len(data), n)})
	}
	p.Data = data
	p.Grad = make([]float32, n)
	return p
}

// Shape returns the Param's dimensions. Do not modify the slice.
func (p *Param) Shape() []int { return p.shape[:p.ndim] }

// Len is the number of elements.
func (p *Param) Len() int { return len(p.Data) }

// ZeroGrad sets the accumulated gradient to zero.
func (p *Param) ZeroGrad() { clear(p.Grad) }

func setShape(dst *[MaxDims]int, nd *int, op string, shape []int) int {
	if len(shape) > MaxDims {
		panic(&ShapeError{Op: op, Shapes: [][]int{append([]int(nil), shape...)},
			Msg: fmt.Sprintf("more than %d dimensions", MaxDims)})
	}
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(&ShapeError{Op: op, Shapes: [][]int{append([]int(nil), shape...)}, Msg: "negative dimension"})
		}
		n *= d
	}
	*dst = [MaxDims]int{}
	copy(dst[:], shape)
	*nd = len(shape)
	return n
}

// Backwarder is the backward pass of an op recorded with Tape.Record. Backward
// reads out.Grad (never nil when it is called) and adds the gradient with
// respect to each input into in[i].Grad, obtained with Tape.GradOf (which
// returns nil for inputs that need no gradient).
type Backwarder interface {
	Backward(t *Tape, out *Var, in []*Var)
}

// record is one entry of the tape: the output, its inputs and what its
// backward needs. Built-in ops use fn with the small fixed fields; ops defined
// outside the package use bw.
type record struct {
	fn    func(t *Tape, r *record)
	bw    Backwarder
	out   *Var
	in    [3]*Var
	lo    int // inputs beyond in[]: t.ptrs[lo:hi]
	hi    int
	olo   int // outputs beyond out: t.ptrs[olo:ohi]
	ohi   int
	i     [4]int
	f     [2]float32
	saved []float32 // a buffer the forward kept for the backward
	idx   []int     // integer operands (gather indices, labels); not copied
	aux   any       // a function or value the backward needs
}

// Tape records operations for reverse-mode differentiation. The zero value is
// not usable: call NewTape. A Tape is not safe for concurrent use.
type Tape struct {
	mem    arena
	vars   []*Var // pool of Var structs, reused after Reset
	nvars  int
	recs   []record
	ptrs   []*Var // variadic inputs of records
	noGrad int
	done   bool // Backward has run since the last Reset

	spikes   []*kernels.SpikeRows // event lists of binary operands, reused after Reset
	nspikes  int
	maxDense float64 // activity below which binary products run event-driven

	pools []pool // values handed out by Pooled, one pool per type
}

// NewTape returns an empty tape.
func NewTape() *Tape { return &Tape{maxDense: DefaultEventActivity} }

// DefaultEventActivity is the activity (fraction of ones) of a binary left
// operand below which MatMul runs event-driven. Measured on the layer shapes
// of a 784-1000-10 network (docs/benchmarks.md, "Event-driven kernels"), the
// event-driven product beats the dense one below about this activity.
const DefaultEventActivity = 0.15

// SetEventActivity sets the activity below which products with a binary left
// operand run event-driven (0 disables them) and returns the previous value.
func (t *Tape) SetEventActivity(a float64) float64 {
	old := t.maxDense
	t.maxDense = a
	return old
}

// EventActivity returns the activity below which products with a binary
// left operand run event-driven (SetEventActivity): for ops outside the
// package that run such products themselves and must choose as MatMul does.
func (t *Tape) EventActivity() float64 { return t.maxDense }

// Reset forgets every Var and record of the tape and keeps their memory for
// reuse, and with it the values handed out by Pooled. Params are not
// affected.
func (t *Tape) Reset() {
	for i := range t.recs {
		t.recs[i] = record{}
	}
	t.recs = t.recs[:0]
	clear(t.ptrs)
	t.ptrs = t.ptrs[:0]
	for _, v := range t.vars[:t.nvars] {
		*v = Var{}
	}
	t.nvars = 0
	t.nspikes = 0
	for i := range t.pools {
		t.pools[i].n = 0
	}
	t.done = false
	t.mem.reset()
}

// Records is the number of operations recorded since the last Reset.
func (t *Tape) Records() int { return len(t.recs) }

// ArenaBytes reports the bytes the tape's arena holds and the most it has had
// in use at once: a measure of a step's working memory.
func (t *Tape) ArenaBytes() (held, peak int) {
	return 4 * t.mem.capacity(), 4 * t.mem.peak
}

// SetGrad turns gradient recording on or off and returns the previous
// setting. With recording off (no-grad mode, for inference) ops compute their
// values but record nothing and their results need no gradient.
func (t *Tape) SetGrad(enabled bool) (was bool) {
	was = t.noGrad == 0
	if enabled {
		t.noGrad = 0
	} else {
		t.noGrad = 1
	}
	return was
}

// NoGrad runs fn with gradient recording off, then restores the previous
// setting.
func (t *Tape) NoGrad(fn func()) {
	was := t.SetGrad(false)
	defer t.SetGrad(was)
	fn()
}

// GradEnabled reports whether ops are being recorded.
func (t *Tape) GradEnabled() bool { return t.noGrad == 0 }

// newVar takes a Var from the pool with the given shape and data.
func (t *Tape) newVar(data []float32, shape []int) *Var {
	if t.nvars == len(t.vars) {
		t.vars = append(t.vars, new(Var))
	}
	v := t.vars[t.nvars]
	t.nvars++
	v.tape = t
	setShape(&v.shape, &v.ndim, "Var", shape)
	v.Data = data
	return v
}

// New returns a Var of the given shape filled with zeros, needing no
// gradient. Ops defined outside the package use it for their outputs.
func (t *Tape) New(shape ...int) *Var {
	v := t.newVar(nil, shape) // validates the shape
	v.Data = t.mem.zeroed(numel(shape))
	return v
}

// Scratch returns n zeroed floats from the tape's arena, valid until Reset:
// working memory for ops defined outside the package.
func (t *Tape) Scratch(n int) []float32 { return t.mem.zeroed(n) }

// ScratchRaw is Scratch without the zeroing: the contents are undefined and
// the caller must write every element before reading it.
func (t *Tape) ScratchRaw(n int) []float32 { return t.mem.raw(n) }

// NewRaw is New without the zeroing, for an op that writes every element of
// its output: the contents are undefined until then.
func (t *Tape) NewRaw(shape ...int) *Var {
	v := t.newVar(nil, shape) // validates the shape
	v.Data = t.mem.raw(numel(shape))
	return v
}

// Constant returns a Var that wraps data (not copied) with the given shape
// and needs no gradient. It panics with a *ShapeError if the sizes differ.
func (t *Tape) Constant(data []float32, shape ...int) *Var {
	if n := numel(shape); n != len(data) {
		panic(&ShapeError{Op: "Constant", Shapes: [][]int{append([]int(nil), shape...)},
			Msg: fmt.Sprintf("%d values for %d elements", len(data), n)})
	}
	return t.newVar(data, shape)
}

// Input is Constant with a copy of data in the tape's arena.
func (t *Tape) Input(data []float32, shape ...int) *Var {
	v := t.Constant(data, shape...)
	v.Data = t.mem.raw(len(data))
	copy(v.Data, data)
	return v
}

// Param returns a Var that stands for p on this tape. Its Data is p.Data and
// its gradient accumulates into p.Grad. Unless p is Frozen or recording is
// off, it needs a gradient.
func (t *Tape) Param(p *Param) *Var {
	v := t.newVar(p.Data, p.Shape())
	v.param = p
	if !p.Frozen && t.noGrad == 0 {
		v.needs = true
		v.Grad = p.Grad
	}
	return v
}

// Detach returns a Var with the same values as x (shared, not copied) that
// needs no gradient: gradients stop there.
func (t *Tape) Detach(x *Var) *Var {
	t.check("Detach", x)
	v := t.newVar(x.Data, x.Shape())
	v.binary = x.binary
	return v
}

// GradOf returns v's gradient buffer, allocating a zeroed one on first use,
// or nil when v needs no gradient. Backwarders add into it.
func (t *Tape) GradOf(v *Var) []float32 {
	if !v.needs {
		return nil
	}
	if v.Grad == nil {
		v.Grad = t.mem.zeroed(len(v.Data))
	}
	return v.Grad
}

// GradBuffer returns v's gradient buffer for a backward that overwrites it
// rather than adding to it. When nothing has reached v's gradient yet, it
// allocates the buffer without zeroing it and returns fresh = true: the
// caller must then write every element. Otherwise it returns the existing
// buffer and fresh = false, and the caller must add into it. It returns nil
// when v needs no gradient.
func (t *Tape) GradBuffer(v *Var) (g []float32, fresh bool) {
	if !v.needs {
		return nil, false
	}
	if v.Grad == nil {
		v.Grad = t.mem.raw(len(v.Data))
		return v.Grad, true
	}
	return v.Grad, false
}

// Record appends an op defined outside the package: out (made with New) was
// computed from in, and bw will propagate out's gradient into them. If no
// input needs a gradient, or recording is off, nothing is recorded and out
// needs no gradient.
func (t *Tape) Record(out *Var, bw Backwarder, in ...*Var) {
	t.check("Record", out)
	for _, x := range in {
		t.check("Record", x)
	}
	if !t.wants(in...) {
		return
	}
	r := t.push(out)
	r.bw = bw
	r.lo = len(t.ptrs)
	t.ptrs = append(t.ptrs, in...)
	r.hi = len(t.ptrs)
}

// RecordOutputs is Record for an op with several outputs, such as a neuron
// scan that yields spikes and membrane potentials. The backward runs when any
// output received a gradient; it is called with out = outs[0], whose Grad may
// then be nil, and the Backwarder reads the other outputs' Grad itself (nil
// for those no gradient reached).
func (t *Tape) RecordOutputs(outs []*Var, bw Backwarder, in ...*Var) {
	if len(outs) == 0 {
		panic(&TapeError{Op: "RecordOutputs", Msg: "no outputs"})
	}
	for _, o := range outs {
		t.check("RecordOutputs", o)
	}
	for _, x := range in {
		t.check("RecordOutputs", x)
	}
	if !t.wants(in...) {
		return
	}
	r := t.push(outs[0])
	r.bw = bw
	r.lo = len(t.ptrs)
	t.ptrs = append(t.ptrs, in...)
	r.hi = len(t.ptrs)
	r.olo = r.hi
	t.ptrs = append(t.ptrs, outs[1:]...)
	r.ohi = len(t.ptrs)
	for _, o := range outs[1:] {
		o.needs = true
	}
}

// check panics if v belongs to another tape.
func (t *Tape) check(op string, v *Var) {
	if v == nil {
		panic(&TapeError{Op: op, Msg: "nil Var"})
	}
	if v.tape != t {
		panic(&TapeError{Op: op, Msg: fmt.Sprintf("%v belongs to another tape", v)})
	}
}

// wants reports whether an op on these inputs must be recorded.
func (t *Tape) wants(in ...*Var) bool {
	if t.noGrad != 0 {
		return false
	}
	for _, x := range in {
		if x.needs {
			return true
		}
	}
	return false
}

// push appends a record for out and marks out as needing a gradient.
func (t *Tape) push(out *Var) *record {
	out.needs = true
	t.recs = append(t.recs, record{out: out})
	return &t.recs[len(t.recs)-1]
}

// Backward computes the gradient of loss, a one-element Var, with respect to
// every Var and Param that it depends on and that needs a gradient, adding
// into their Grad. It panics with a *ShapeError if loss has more than one
// element (use BackwardFrom with a seed for that). The backward pass runs once
// per recording: a second call before Reset panics with a *TapeError.
func (t *Tape) Backward(loss *Var) {
	t.check("Backward", loss)
	if len(loss.Data) != 1 {
		panic(shapeErr("Backward", "loss must have one element; use BackwardFrom with a seed", loss))
	}
	if g := t.GradOf(loss); g != nil {
		g[0] += 1
	}
	t.run()
}

// BackwardFrom runs the backward pass from out with the given seed gradient
// (same length as out.Data), adding it into out.Grad first.
func (t *Tape) BackwardFrom(out *Var, seed []float32) {
	t.check("BackwardFrom", out)
	if len(seed) != len(out.Data) {
		panic(&ShapeError{Op: "BackwardFrom", Shapes: [][]int{append([]int(nil), out.Shape()...), {len(seed)}},
			Msg: "seed length differs from the Var's size"})
	}
	if g := t.GradOf(out); g != nil {
		addTo(g, seed)
	}
	t.run()
}

func (t *Tape) run() {
	if t.done {
		panic(&TapeError{Op: "Backward", Msg: "the backward pass already ran on this tape; Reset it and record the computation again"})
	}
	t.done = true
	for i := len(t.recs) - 1; i >= 0; i-- {
		r := &t.recs[i]
		if r.out.Grad == nil && !anyGrad(t.ptrs[r.olo:r.ohi]) {
			continue
		}
		if r.bw != nil {
			r.bw.Backward(t, r.out, t.ptrs[r.lo:r.hi])
		} else {
			r.fn(t, r)
		}
	}
}

func anyGrad(vs []*Var) bool {
	for _, v := range vs {
		if v.Grad != nil {
			return true
		}
	}
	return false
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// addTo adds src into dst element-wise.
func addTo(dst, src []float32) { kernels.Add(dst, src) }
