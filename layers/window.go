package layers

import (
	"fmt"
	"slices"

	"github.com/spikegrad/spikegrad/autograd"
)

// Windows configures Sequential.ForwardWindows: the sequence runs in
// windows of K time steps, every layer over one window before the next
// window starts, with each neuron layer's state (and a Delay's) carried
// from the end of one window to the start of the next (Stateful.Run).
//
// With both flags off the windows are recorded on the tape one after the
// other and the gradients are those of full backpropagation through time:
// bit for bit the gradients of Checkpoint with the same K.
//
//   - Checkpoint is gradient checkpointing over time: the forward pass
//     keeps, per window, only the state at its start and the network's
//     output (the last layer's output and the last neuron layer's membrane);
//     the backward pass recomputes each window from its stored state on a
//     second tape, from the last window to the first, and backpropagates
//     the output gradients and the gradient with respect to the window's
//     final state, which yields the parameters' gradients and the gradient
//     with respect to the window's initial state, handed to the window
//     before. The gradients are those of the same windows without
//     checkpointing, bit for bit (the same operations run in the same order),
//     at the cost of a second forward pass, and the working memory is that
//     of one window plus the states at the T/K boundaries: with
//     K = ⌈√T⌉ it grows as √T instead of T.
//   - Truncate is truncated backpropagation through time: the state is
//     carried forward but detached between windows, so no gradient crosses
//     a window boundary. What is dropped: every path from a step in one
//     window to a step in a later one, through the membranes, currents and
//     spikes the state carries; the gradient of a loss at step t reaches
//     the inputs and parameters only through steps of t's own window. With
//     K ≥ T it is full BPTT; with K = 1 each step's loss sees only that
//     step. On its own, truncation keeps every window on the tape and saves
//     no memory when the loss reads all steps; with Checkpoint as well it
//     has checkpointing's memory.
//
// KeepOutputs also keeps every neuron layer's output over all steps in the
// Trace, for a loss that reads hidden layers (the rate regularisers of
// package loss); that memory grows with T again, by one [T, B, N] per
// neuron layer.
//
// K below 1 makes ForwardWindows panic with a *ConfigError.
type Windows struct {
	K           int
	Checkpoint  bool
	Truncate    bool
	KeepOutputs bool
}

// frameWise marks the layers without state that map each time step of a
// sequence on its own (one frame of [T, B, F] at a time): ForwardWindows
// runs them on one window at a time. A layer that mixes time steps must not
// have it.
type frameWise interface{ frameWise() }

func (*Linear) frameWise()  {}
func (*Conv2d) frameWise()  {}
func (*Conv1d) frameWise()  {}
func (*pool2d) frameWise()  {}
func (*Flatten) frameWise() {}
func (*Dropout) frameWise() {}

// stateRunner runs a layer with state over a window x [K, B, N] from its
// state, given as the list of the state's Vars (nil or empty: the zero
// state), and returns the outputs, the membranes (nil for a layer without
// any, such as Delay) and the state after the window.
type stateRunner func(t *autograd.Tape, x *autograd.Var, s []*autograd.Var) (out, mem *autograd.Var, next []*autograd.Var)

// at returns s[i], or nil beyond s's end (the zero state).
func at(s []*autograd.Var, i int) *autograd.Var {
	if i < len(s) {
		return s[i]
	}
	return nil
}

// runnerOf returns the stateRunner of a neuron layer whose state is one of
// this package's state types, or of a Delay, or nil.
func runnerOf(l Layer) stateRunner {
	switch n := l.(type) {
	case *Delay:
		return func(t *autograd.Tape, x *autograd.Var, s []*autograd.Var) (out, mem *autograd.Var, next []*autograd.Var) {
			out, ns := n.Run(t, x, DelayState{Buf: at(s, 0), Out: at(s, 1)})
			return out, nil, []*autograd.Var{ns.Buf, ns.Out}
		}
	case Stateful[LIFState]:
		return adapt(n, func(s []*autograd.Var) LIFState { return LIFState{Mem: at(s, 0), Spk: at(s, 1)} },
			func(s LIFState) []*autograd.Var { return []*autograd.Var{s.Mem, s.Spk} })
	case Stateful[SynapticState]:
		return adapt(n, func(s []*autograd.Var) SynapticState {
			return SynapticState{Syn: at(s, 0), Mem: at(s, 1), Spk: at(s, 2)}
		}, func(s SynapticState) []*autograd.Var { return []*autograd.Var{s.Syn, s.Mem, s.Spk} })
	case Stateful[LIState]:
		return adapt(n, func(s []*autograd.Var) LIState { return LIState{Mem: at(s, 0)} },
			func(s LIState) []*autograd.Var { return []*autograd.Var{s.Mem} })
	case Stateful[ALIFState]:
		return adapt(n, func(s []*autograd.Var) ALIFState { return ALIFState{Mem: at(s, 0), Spk: at(s, 1), A: at(s, 2)} },
			func(s ALIFState) []*autograd.Var { return []*autograd.Var{s.Mem, s.Spk, s.A} })
	case Stateful[AdLIFState]:
		return adapt(n, func(s []*autograd.Var) AdLIFState { return AdLIFState{Mem: at(s, 0), Spk: at(s, 1), W: at(s, 2)} },
			func(s AdLIFState) []*autograd.Var { return []*autograd.Var{s.Mem, s.Spk, s.W} })
	case Stateful[SRMState]:
		return adapt(n, func(s []*autograd.Var) SRMState { return SRMState{In: at(s, 0), Spk: at(s, 1), Mem: at(s, 2)} },
			func(s SRMState) []*autograd.Var { return []*autograd.Var{s.In, s.Spk, s.Mem} })
	}
	return nil
}

func adapt[S any](l Stateful[S], from func([]*autograd.Var) S, to func(S) []*autograd.Var) stateRunner {
	return func(t *autograd.Tape, x *autograd.Var, s []*autograd.Var) (out, mem *autograd.Var, next []*autograd.Var) {
		out, mem, ns := l.Run(t, x, from(s))
		return out, mem, to(ns)
	}
}

// windowLayer is one layer of a network run in windows: run is set for a
// layer with state.
type windowLayer struct {
	l      Layer
	run    stateRunner
	neuron bool
}

// CheckWindows returns nil if ForwardWindows can run the network, or a
// *ConfigError naming the first layer it cannot run: a neuron layer whose
// state is not one of LIFState, SynapticState, LIState, ALIFState,
// AdLIFState or SRMState (it cannot be carried between windows), or a
// layer that is not known to map each time step on its own (Linear,
// Conv2d, Conv1d, the pools, Flatten and Dropout are; Delay carries its
// DelayState; BatchNorm, whose statistics span the sequence, is not).
func (s *Sequential) CheckWindows() error {
	_, err := s.windowPlan()
	return err
}

func (s *Sequential) windowPlan() ([]windowLayer, error) {
	plan := make([]windowLayer, len(s.Layers))
	for i, l := range s.Layers {
		_, neuron := l.(Neuron)
		_, frame := l.(frameWise)
		plan[i] = windowLayer{l: l, run: runnerOf(l), neuron: neuron}
		switch {
		case plan[i].run != nil, frame && !neuron:
		case neuron:
			return nil, &ConfigError{Kind: kindOf(l), Layer: l.Name(), Msg: fmt.Sprintf(
				"cannot run in windows of time steps: %T keeps no layers.Stateful contract of LIFState, SynapticState, LIState, ALIFState, AdLIFState or SRMState, so its state cannot be carried between windows", l)}
		default:
			return nil, &ConfigError{Kind: kindOf(l), Layer: l.Name(), Msg: fmt.Sprintf(
				"cannot run in windows of time steps: %T is not known to map each time step on its own", l)}
		}
	}
	return plan, nil
}

// kindOf returns the model kind of l, for messages.
func kindOf(l Layer) (kind string) {
	defer func() {
		if recover() != nil {
			kind = fmt.Sprintf("%T", l)
		}
	}()
	return l.Spec().Kind
}

// windowRun is the state of one ForwardWindows call: what the windows and
// the backward passes of checkpointed windows share. It comes from the
// tape's pool.
type windowRun struct {
	main     *autograd.Tape
	inner    *autograd.Tape // recomputes checkpointed windows; kept across steps
	plan     []windowLayer
	first    int  // the first layer run per window (the layers before it ran once, on a constant input)
	constant bool // the windows' input is constant over time, [B, F]
	states   [][]*autograd.Var
	masks    [][]float32 // the held masks of Dropout layers in training, drawn in the first window
	params   []*autograd.Param
	leaves   []*autograd.Param // reused wrappers of the main tape's Vars on the inner tape
	outs     []*autograd.Var
	mems     []*autograd.Var
	keep     bool              // keep every neuron layer's output
	louts    []*autograd.Var   // one window's neuron layer outputs
	kept     [][]*autograd.Var // per layer, the outputs of every window
}

// ForwardWindows runs the network as Forward does, over x [T, B, F] or a
// constant input [B, F] presented for steps time steps, but in windows of
// w.K steps with each neuron layer's state carried between windows (see
// Windows for checkpointing and truncation). For a constant input the
// layers before the first neuron layer run once, as in Forward.
//
// The Trace holds the network's output Out [T, B, N] and the membranes of
// the last neuron layer (Mem); the other layers' entries have their names
// but no Vars (a checkpointed forward pass keeps nothing else), except
// that with w.KeepOutputs every neuron layer's entry has its Out. A Dropout
// layer in training mode draws one mask per sequence, held over all
// windows. It panics with a *ConfigError for a network that CheckWindows
// refuses or K below 1, and with an *autograd.ShapeError for shapes that do
// not fit.
func (s *Sequential) ForwardWindows(t *autograd.Tape, x *autograd.Var, steps int, w Windows) *Trace {
	if w.K < 1 {
		panic(&ConfigError{Kind: "sequential", Field: "window", Value: w.K, Msg: "must be at least 1 time step"})
	}
	plan, err := s.windowPlan()
	if err != nil {
		panic(err)
	}
	constant := x.Dims() == 2
	switch {
	case constant && steps <= 0:
		panic(&autograd.ShapeError{Op: "Sequential.ForwardWindows", Shapes: [][]int{append([]int(nil), x.Shape()...)},
			Msg: fmt.Sprintf("a constant input [B, F] needs steps > 0, got %d", steps)})
	case !constant && x.Dims() != 3:
		panic(&autograd.ShapeError{Op: "Sequential.ForwardWindows", Shapes: [][]int{append([]int(nil), x.Shape()...)},
			Msg: "input must be a sequence [T, B, F] or a constant input [B, F]"})
	case !slices.ContainsFunc(plan, func(p windowLayer) bool { return p.run != nil }):
		return s.Forward(t, x, steps) // nothing carries state: the windows would change nothing
	}
	T := steps
	if !constant {
		T = x.Dim(0)
	}
	ws := autograd.Pooled[windowRun](t)
	ws.main, ws.plan, ws.first, ws.constant = t, plan, 0, constant
	if ws.inner == nil {
		ws.inner = autograd.NewTape()
	}
	a := t.SetEventActivity(0)
	t.SetEventActivity(a)
	ws.inner.SetEventActivity(a)
	ws.states = resize(ws.states, len(plan))
	ws.masks = resize(ws.masks, len(plan))
	ws.params = append(ws.params[:0], s.Params()...)
	ws.outs, ws.mems = ws.outs[:0], ws.mems[:0]
	ws.keep = w.KeepOutputs
	ws.louts = resize(ws.louts, len(plan))
	ws.kept = resize(ws.kept, len(plan))

	h := x
	if constant {
		for plan[ws.first].run == nil {
			h = plan[ws.first].l.Forward(t, h)
			ws.first++
		}
	}
	for start := 0; start < T; start += w.K {
		n := min(w.K, T-start)
		xw := h
		if !constant {
			xw = timeSlice(t, x, start, n)
		}
		var out, mem *autograd.Var
		if w.Checkpoint {
			out, mem = ws.checkpointed(xw, n, w.Truncate)
		} else {
			out, mem = ws.window(t, xw, n, ws.states, ws.louts)
			if w.Truncate {
				for _, st := range ws.states {
					for j, v := range st {
						if v != nil {
							st[j] = t.Detach(v)
						}
					}
				}
			}
		}
		ws.outs, ws.mems = append(ws.outs, out), append(ws.mems, mem)
		if ws.keep {
			for i, v := range ws.louts {
				if v != nil {
					ws.kept[i] = append(ws.kept[i], v)
				}
			}
		}
	}

	tr := autograd.Pooled[Trace](t)
	tr.Out, tr.Layers, tr.Lengths = concatTime(t, ws.outs), tr.Layers[:0], nil
	var mem *autograd.Var
	if ws.mems[0] != nil {
		mem = tr.Out
		if !slices.Equal(ws.mems, ws.outs) {
			mem = concatTime(t, ws.mems)
		}
	}
	lastNeuron := -1
	for i, p := range plan {
		if p.neuron {
			lastNeuron = i
		}
		tr.Layers = append(tr.Layers, LayerTrace{Name: p.l.Name(), Neuron: p.neuron})
	}
	for i, k := range ws.kept {
		if len(k) > 0 {
			tr.Layers[i].Out = concatTime(t, k)
		}
	}
	tr.Layers[len(plan)-1].Out = tr.Out
	if lastNeuron >= 0 {
		tr.Layers[lastNeuron].Mem = mem
	}
	return tr
}

// resize returns s with n nil entries.
func resize[E any](s []E, n int) []E {
	s = slices.Grow(s[:0], n)[:n]
	clear(s)
	return s
}

// timeSlice returns steps [start, start+n) of x [T, B, F]: a Var that
// shares x's values when x needs no gradient, else a recorded slice.
func timeSlice(t *autograd.Tape, x *autograd.Var, start, n int) *autograd.Var {
	if x.RequiresGrad() {
		return t.Slice(x, 0, start, start+n)
	}
	m := x.Dim(1) * x.Dim(2)
	v := t.Constant(x.Data[start*m:(start+n)*m], n, x.Dim(1), x.Dim(2))
	if x.Binary() {
		v.SetBinary()
	}
	return v
}

// concatTime joins the windows' [K, B, N] Vars along time.
func concatTime(t *autograd.Tape, vs []*autograd.Var) *autograd.Var {
	if len(vs) == 1 {
		return vs[0]
	}
	return t.Concat(0, vs...)
}

// window runs the layers from ws.first over one window xw of n steps on
// the tape tp, from the states in states (which it replaces by the states
// after the window), and returns the last layer's output and the last
// neuron layer's membranes. With ws.keep it sets louts[i] to the output of
// each neuron layer i but the last layer.
func (ws *windowRun) window(tp *autograd.Tape, xw *autograd.Var, n int, states [][]*autograd.Var, louts []*autograd.Var) (out, mem *autograd.Var) {
	h, constant := xw, ws.constant
	for i := ws.first; i < len(ws.plan); i++ {
		p := ws.plan[i]
		switch d, isDrop := p.l.(*Dropout); {
		case p.run != nil:
			if constant {
				h, constant = tp.Repeat(h, n), false
			}
			var m *autograd.Var
			h, m, states[i] = p.run(tp, h, states[i])
			if p.neuron {
				mem = m
				if ws.keep && i < len(ws.plan)-1 {
					louts[i] = h
				}
			}
		case isDrop && d.Training() && d.P > 0:
			f := h.Dim(-2) * h.Dim(-1)
			if ws.masks[i] == nil { // one mask per sequence, in the main tape's memory
				ws.masks[i] = ws.main.ScratchRaw(f)
				d.draw(ws.masks[i])
			}
			m := tp.ScratchRaw(len(h.Data))
			copy(m, ws.masks[i])
			h = tp.Mask(h, repeatMask(m, f))
		default:
			h = p.l.Forward(tp, h)
		}
	}
	return h, mem
}

// windowOp is the tape entry of one checkpointed window.
type windowOp struct {
	ws       *windowRun
	x        *autograd.Var     // the window's input on the main tape
	n        int               // its steps
	s0       [][]*autograd.Var // the states at its start, on the main tape
	truncate bool
	out, mem *autograd.Var     // the outputs on the main tape (mem is nil, or out when they are one Var)
	next     [][]*autograd.Var // the states after it, on the main tape
	louts    []*autograd.Var   // with ws.keep, the neuron layers' outputs on the main tape
}

// checkpointed runs one window on the inner tape without recording it,
// copies its outputs and the states after it to the main tape, and records
// the window as one op whose backward pass recomputes it.
func (ws *windowRun) checkpointed(xw *autograd.Var, n int, truncate bool) (out, mem *autograd.Var) {
	t, in := ws.main, ws.inner
	in.Reset()
	in.SetGrad(false)
	o := autograd.Pooled[windowOp](t)
	*o = windowOp{ws: ws, x: xw, n: n, truncate: truncate, s0: copyStates(o.s0, ws.states), next: o.next,
		louts: resize(o.louts, len(ws.plan))}
	inner := map[*autograd.Var]*autograd.Var{} // inner input → main Var
	ix := wrap(in, xw)
	inner[ix] = xw
	states := make([][]*autograd.Var, len(ws.states))
	for i, st := range ws.states {
		for _, v := range st {
			var iv *autograd.Var
			if v != nil {
				iv = wrap(in, v)
				inner[iv] = v
			}
			states[i] = append(states[i], iv)
		}
	}
	ilouts := make([]*autograd.Var, len(ws.plan))
	ro, rm := ws.window(in, ix, n, states, ilouts)
	outs := []*autograd.Var{copyVar(t, ro)}
	o.out = outs[0]
	if rm == ro {
		o.mem = o.out
	} else if rm != nil {
		o.mem = copyVar(t, rm)
		outs = append(outs, o.mem)
	}
	copied := map[*autograd.Var]*autograd.Var{ro: o.out, rm: o.mem}
	for i, v := range ilouts {
		if v == nil {
			continue
		}
		mv, ok := copied[v]
		if !ok {
			mv = copyVar(t, v)
			copied[v] = mv
			outs = append(outs, mv)
		}
		o.louts[i] = mv
	}
	o.next = resize(o.next, len(states))
	for i, st := range states {
		for _, v := range st {
			mv, ok := inner[v]
			if !ok {
				if mv, ok = copied[v]; !ok && v != nil {
					mv = copyVar(t, v)
					copied[v] = mv
					outs = append(outs, mv)
				}
			}
			o.next[i] = append(o.next[i], mv)
		}
	}
	ins := make([]*autograd.Var, 0, 1+len(ws.params)+2*len(states))
	ins = append(ins, xw)
	if !truncate {
		for _, st := range o.s0 {
			for _, v := range st {
				if v != nil {
					ins = append(ins, v)
				}
			}
		}
	}
	for _, p := range ws.params {
		ins = append(ins, t.Param(p))
	}
	t.RecordOutputs(outs, o, ins...)
	copyStates(ws.states, o.next)
	copy(ws.louts, o.louts)
	return o.out, o.mem
}

// copyStates copies the lists of src into dst (reusing its slices) and
// returns it.
func copyStates(dst, src [][]*autograd.Var) [][]*autograd.Var {
	dst = resize(dst, len(src))
	for i, st := range src {
		dst[i] = append(dst[i][:0], st...)
	}
	return dst
}

// wrap returns a Var of the inner tape that shares v's values and needs no
// gradient.
func wrap(in *autograd.Tape, v *autograd.Var) *autograd.Var {
	w := in.Constant(v.Data, v.Shape()...)
	if v.Binary() {
		w.SetBinary()
	}
	return w
}

// copyVar copies v to a new Var of the tape t.
func copyVar(t *autograd.Tape, v *autograd.Var) *autograd.Var {
	c := t.NewRaw(v.Shape()...)
	copy(c.Data, v.Data)
	if v.Binary() {
		c.SetBinary()
	}
	return c
}

// leaf returns a Var of the inner tape that stands for v, a Var of the main
// tape: one that needs a gradient and accumulates it straight into v's
// gradient, as an op on the main tape would, or a constant when v needs
// none. slot numbers the wrappers, which are reused across windows.
func (ws *windowRun) leaf(slot int, v *autograd.Var) *autograd.Var {
	if !v.RequiresGrad() {
		return wrap(ws.inner, v)
	}
	for len(ws.leaves) <= slot {
		ws.leaves = append(ws.leaves, nil)
	}
	p := ws.leaves[slot]
	if p == nil || !slices.Equal(p.Shape(), v.Shape()) {
		p = autograd.NewParam("window input", v.Data, v.Shape()...)
		ws.leaves[slot] = p
	}
	p.Data, p.Grad = v.Data, ws.main.GradOf(v)
	w := ws.inner.Param(p)
	if v.Binary() {
		w.SetBinary()
	}
	return w
}

// Backward recomputes the window on the inner tape from its stored input
// and state, seeds the gradients that reached its outputs and final state,
// and runs the inner backward pass: the parameters' gradients accumulate in
// their Params, the input's and the initial state's in the main tape's
// Vars.
func (o *windowOp) Backward(t *autograd.Tape, _ *autograd.Var, _ []*autograd.Var) {
	ws, in := o.ws, o.ws.inner
	in.Reset()
	in.SetGrad(true)
	slot := 0
	ix := ws.leaf(slot, o.x)
	states := make([][]*autograd.Var, len(o.s0))
	for i, st := range o.s0 {
		for _, v := range st {
			var iv *autograd.Var
			switch {
			case v == nil:
			case o.truncate:
				iv = wrap(in, v)
			default:
				slot++
				iv = ws.leaf(slot, v)
			}
			states[i] = append(states[i], iv)
		}
	}
	ilouts := make([]*autograd.Var, len(ws.plan))
	ro, rm := ws.window(in, ix, o.n, states, ilouts)
	type seed struct{ r, m *autograd.Var }
	seeds := []seed{{ro, o.out}}
	if rm != nil && rm != ro {
		seeds = append(seeds, seed{rm, o.mem})
	}
	// A state that the window passes through unchanged is one of its
	// inputs: its gradient is already where the window before reads it.
	done := map[*autograd.Var]bool{o.out: true, o.mem: true, o.x: true}
	for _, st := range o.s0 {
		for _, v := range st {
			done[v] = true
		}
	}
	for i, st := range states {
		for j, v := range st {
			if m := o.next[i][j]; m != nil && !done[m] {
				done[m] = true
				seeds = append(seeds, seed{v, m})
			}
		}
	}
	for i, v := range ilouts {
		if m := o.louts[i]; m != nil && !done[m] {
			done[m] = true
			seeds = append(seeds, seed{v, m})
		}
	}
	var first *seed
	for k := range seeds {
		sd := &seeds[k]
		if sd.m.Grad == nil || !sd.r.RequiresGrad() {
			continue
		}
		if first == nil {
			first = sd
			continue
		}
		addGrad(in, sd.r, sd.m.Grad)
	}
	if first != nil {
		in.BackwardFrom(first.r, first.m.Grad)
	}
}
