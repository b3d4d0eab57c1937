package infer

import (
	"fmt"
	"math"

	"github.com/spikegrad/spikegrad/internal/kernels"
	"github.com/spikegrad/spikegrad/model"
)

// EventActivity is the input activity (fraction of ones) below which a
// Linear layer with a binary input adds the weight rows of its active
// inputs; at or above it the layer runs one dense product, which is faster
// on a CPU at such activity. It is the training engine's threshold
// (autograd.DefaultEventActivity, measured on the layer shapes of a
// 784-1000-10 network), so that both pick the same path for the same
// activity. The choice changes the CPU's work, not the network's: the
// SynOps of a binary input are counted either way (Stats).
const EventActivity = 0.15

// Engine runs an exported Model. It holds the model's parameters in the
// form the kernels take (neuron parameters clamped as the training forward
// clamps them) and no per-sample state: a Forward or Run keeps its state in
// a State, so one Engine serves many goroutines, each with its own State.
type Engine struct {
	m           *Model
	layers      []*layer
	in, classes int
	firstNeuron int // index of the first neuron layer
	readout     string
}

// layerOp is what a layer that is not a neuron layer computes.
type layerOp int

const (
	opLinear    layerOp = iota
	opConv              // conv2d, conv1d
	opPool              // maxpool2d, avgpool2d, sumpool2d
	opIdentity          // flatten; dropout, the identity at inference
	opBatchNorm         // batchnorm with its running statistics
)

// layer is one layer of an Engine.
type layer struct {
	name, kind      string
	neuron, spiking bool
	op              layerOp // when not a neuron layer
	in, out         int
	dense           int       // products of a dense forward per sample and step
	w, b            []float32 // Linear: [in, out] input-major, [out] or nil
	conv            *convLayer
	pool            *poolLayer
	bn              *bnLayer
	rec             []float32 // rlif, rsynaptic, radlif: the recurrent weight, [N, N] or [N] (oneToOne)
	oneToOne        bool
	noSelf          bool // radlif: the diagonal of rec is held at zero, no neuron has a synapse onto itself
	// countsPrev: the layer lists its binary input's events and counts the
	// spikes of the spiking layer before it from the list.
	countsPrev       bool
	reset            kernels.ResetMode
	alpha, beta, thr []float32 // neurons: [1] or [out], clamped
	rho, adapt       []float32 // alif: the adaptation's decay and weight, [1] or [out], clamped
	k                []float32 // plif: the decay sigmoid(w), [1] or [out]
	ad               *adlifParams
}

// New returns the engine of m, after Validate.
func New(m *Model) (*Engine, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	byName := map[string][]float32{}
	for _, t := range m.Weights {
		byName[t.Name] = t.Data
	}
	clamp := func(p []float32, lo, hi float32) []float32 {
		c := make([]float32, len(p))
		for i, v := range p {
			c[i] = min(max(v, lo), hi)
		}
		return c
	}
	inf := float32(math.Inf(1))
	e := &Engine{m: m, in: m.Inputs(), classes: m.Classes(), firstNeuron: -1, readout: m.Readout}
	for i, ml := range m.Arch.Layers {
		p, _ := ml.Payload() // Validate decoded it
		l := &layer{name: ml.Name, kind: ml.Kind}
		lif := func(c *model.LIF) {
			l.neuron, l.spiking, l.in, l.out = true, true, c.N, c.N
			l.reset = resetMode(c.Reset)
			l.beta = clamp(byName[ml.Name+".beta"], 0, 1)
			l.thr = clamp(byName[ml.Name+".threshold"], 0, inf)
		}
		adlif := func(c *model.AdLIF) {
			l.neuron, l.spiking, l.in, l.out = true, true, c.N, c.N
			l.thr = clamp(byName[ml.Name+".threshold"], 0, inf)
			al, be, a, b := c.Ranges()
			l.ad = &adlifParams{alpha: clamp(byName[ml.Name+".alpha"], al[0], al[1]), beta: clamp(byName[ml.Name+".beta"], be[0], be[1]),
				a: clamp(byName[ml.Name+".a"], a[0], a[1]), b: clamp(byName[ml.Name+".b"], b[0], b[1])}
		}
		switch c := p.(type) {
		case *model.Linear:
			l.in, l.out, l.w = c.In, c.Out, byName[ml.Name+".weight"]
			if c.Bias {
				l.b = byName[ml.Name+".bias"]
			}
			l.dense = c.In * c.Out
		case *model.Conv2d, *model.Conv1d:
			var g kernels.ConvGeom
			if c2, ok := c.(*model.Conv2d); ok {
				g = conv2dGeom(c2)
			} else {
				g = conv1dGeom(c.(*model.Conv1d))
			}
			var b []float32
			if c2, ok := c.(*model.Conv2d); ok && c2.Bias || !ok && c.(*model.Conv1d).Bias {
				b = byName[ml.Name+".bias"]
			}
			l.op, l.conv = opConv, newConv(g, byName[ml.Name+".weight"], b)
			l.in, l.out, l.dense = g.In*g.H*g.W, g.Out*g.OH*g.OW, l.conv.dense()
		case *model.Pool2d:
			oh, ow := c.OutSize()
			l.op, l.pool = opPool, &poolLayer{s: *c, oh: oh, ow: ow}
			l.in, l.out = c.C*c.H*c.W, c.C*oh*ow
		case *model.Flatten:
			l.op, l.in, l.out = opIdentity, c.In, c.In
		case *model.BatchNorm:
			var beta []float32
			if c.Mode != model.BNPerStep {
				beta = byName[ml.Name+".bias"]
			}
			l.op, l.in, l.out = opBatchNorm, c.N, c.N
			l.bn = newBN(c, byName[ml.Name+".weight"], beta, byName[ml.Name+".running_mean"], byName[ml.Name+".running_var"])
		case *model.Dropout:
			l.op = opIdentity // its size is the previous layer's (below)
		case *model.RLIF:
			lif(&c.LIF)
			l.rec, l.oneToOne = byName[ml.Name+".recurrent"], c.OneToOne
		case *model.RSynaptic:
			lif(&c.LIF)
			l.alpha = clamp(byName[ml.Name+".alpha"], 0, 1)
			l.rec, l.oneToOne = byName[ml.Name+".recurrent"], c.OneToOne
		case *model.LIF:
			lif(c)
		case *model.Synaptic:
			lif(&c.LIF)
			l.alpha = clamp(byName[ml.Name+".alpha"], 0, 1)
		case *model.ALIF:
			lif(&c.LIF)
			l.rho = clamp(byName[ml.Name+".rho"], 0, 1)
			l.adapt = clamp(byName[ml.Name+".adapt"], 0, inf)
		case *model.PLIF:
			l.neuron, l.spiking, l.in, l.out = true, true, c.N, c.N
			l.reset = resetMode(c.Reset)
			l.thr = clamp(byName[ml.Name+".threshold"], 0, inf)
			for _, w := range byName[ml.Name+".w"] {
				l.k = append(l.k, sigmoid(w))
			}
		case *model.AdLIF:
			adlif(c)
		case *model.RadLIF:
			adlif(&c.AdLIF)
			l.rec, l.noSelf = radlifRecurrent(byName[ml.Name+".recurrent"], c.N), true
		case *model.IF: // a LIF layer whose decay is 1
			l.neuron, l.spiking, l.in, l.out = true, true, c.N, c.N
			l.reset = resetMode(c.Reset)
			l.beta = []float32{1}
			l.thr = clamp(byName[ml.Name+".threshold"], 0, inf)
		case *model.LI:
			l.neuron, l.in, l.out = true, c.N, c.N
			l.beta = clamp(byName[ml.Name+".beta"], 0, 1)
		}
		if ml.Kind == model.KindDropout {
			l.in, l.out = e.in, e.in
			if i > 0 {
				l.in, l.out = e.layers[i-1].out, e.layers[i-1].out
			}
		}
		if l.neuron && e.firstNeuron < 0 {
			e.firstNeuron = i
		}
		if !l.neuron && (l.op == opLinear || l.op == opConv) && i > 0 && e.layers[i-1].spiking {
			l.countsPrev = true
		}
		e.layers = append(e.layers, l)
	}
	return e, nil
}

func resetMode(s string) kernels.ResetMode {
	switch s {
	case model.ResetZero:
		return kernels.ResetZero
	case model.ResetNone:
		return kernels.ResetNone
	}
	return kernels.ResetSubtract
}

// Model returns the model the engine runs.
func (e *Engine) Model() *Model { return e.m }

// Inputs returns the number of input features per time step.
func (e *Engine) Inputs() int { return e.in }

// Classes returns the number of outputs of the last layer.
func (e *Engine) Classes() int { return e.classes }

// State is the state of a batch of samples between time steps: every
// neuron layer's membrane (and synaptic current, and last spikes), the
// read-out scores and the work counters. The caller owns it; NewState makes
// one and Reset returns it to the resting state.
type State struct {
	B      int // samples
	t      int // steps done since the last Reset
	layers []layerState
	ev     kernels.SpikeRows // event lists of the current layer's binary input
	inEv   kernels.SpikeRows // the streaming input's events
	x      []float32         // the streaming input of one step, [B*in]
	// lastAnalog is the streaming analog input of the last step; empty
	// after events or a Reset.
	lastAnalog []float32
	score      []float32 // read-out scores, [B*classes]
	count      counters
}

// layerState is one layer's part of a State. Neuron state is double
// buffered: step t reads cur and writes next, then they swap.
type layerState struct {
	out              []float32 // the output of the last step, [B*out]
	mem, syn, spk    []float32 // after the last step
	memN, synN, spkN []float32 // scratch for the next step
	cur, rec         []float32 // recurrent layers: the input current and recurrent current of a step
	scratch          []float32 // conv layers: convLayer.scratch
	constDone        bool      // a layer on a constant input has computed its output
}

// counters are the work done since the last Reset, summed over samples.
type counters struct {
	samples int
	layers  []layerCount
}

type layerCount struct {
	spikes, synOps, macs, denseOps, updates float64
}

// NewState returns the resting state of a batch of b samples.
func (e *Engine) NewState(b int) *State {
	s := &State{B: b, layers: make([]layerState, len(e.layers)), score: make([]float32, b*e.classes)}
	s.count.layers = make([]layerCount, len(e.layers))
	for i, l := range e.layers {
		ls := &s.layers[i]
		n := b * l.out
		if l.neuron {
			ls.mem, ls.memN = make([]float32, n), make([]float32, n)
			if l.spiking {
				ls.spk, ls.spkN = make([]float32, n), make([]float32, n)
			}
			if l.alpha != nil || l.rho != nil || l.ad != nil { // syn holds an alif layer's adaptation, an adlif layer's w
				ls.syn, ls.synN = make([]float32, n), make([]float32, n)
			}
			if l.rec != nil {
				ls.cur, ls.rec = make([]float32, n), make([]float32, n)
			}
		} else if l.op != opIdentity {
			ls.out = make([]float32, n)
		}
		if l.conv != nil {
			ls.scratch = make([]float32, l.conv.scratch(b))
		}
	}
	s.Reset(e)
	return s
}

// Reset returns s to the resting state: zero membranes, currents and
// spikes, no steps done, zero counters.
func (s *State) Reset(e *Engine) {
	s.t = 0
	s.lastAnalog = s.lastAnalog[:0]
	for i := range s.layers {
		ls := &s.layers[i]
		clear(ls.mem)
		clear(ls.syn)
		clear(ls.spk)
		ls.constDone = false
		if e.layers[i].neuron {
			ls.out = ls.spk
			if !e.layers[i].spiking {
				ls.out = ls.mem
			}
		}
	}
	e.resetScore(s)
	s.count.samples = 0
	clear(s.count.layers)
}

func (e *Engine) resetScore(s *State) {
	v := float32(0)
	if e.readout == ReadoutMembraneMax {
		v = float32(math.Inf(-1))
	}
	for i := range s.score {
		s.score[i] = v
	}
}

// Steps returns the number of time steps s has advanced since its Reset.
func (s *State) Steps() int { return s.t }

// advance runs one time step of the B samples of s on the input x [B*in]
// (binary: every value is 0 or 1). With constant set, x is the same at
// every step: the layers before the first neuron layer run on the first
// step only and keep their output, as the training forward does. in, when
// not nil, is the event list of x (it is then not rebuilt). tr, when not
// nil, records the step.
//
// Two properties of a layer's input are followed: hBin, that it is marked
// binary as the training side marks it (spikes and what reshapes them),
// which decides a Linear layer's path as it decides autograd's MatMul's;
// and h01, that its values are 0 or 1 (also after a max pool of spikes),
// which lets a convolution run event-driven with the same bits.
func (e *Engine) advance(s *State, x []float32, binary, constant bool, in *kernels.SpikeRows, tr *Trace) {
	B := s.B
	h, hBin, h01 := x, binary, binary
	// once: the layer runs on a constant input before the first neuron
	// layer, once for all steps. A per_step batchnorm normalises each step
	// its own way, so from it on the layers run at every step (the
	// training forward repeats the input over time before it).
	once := constant
	for i, l := range e.layers {
		if l.bn != nil && l.bn.steps > 0 {
			once = false
		}
		ls, c := &s.layers[i], &s.count.layers[i]
		if !l.neuron {
			if l.op == opIdentity {
				ls.out = h // flatten, dropout: the values pass on, and so do their events
				tr.record(i, s.t, ls.out, nil, B, l.out)
				continue
			}
			if !(once && ls.constDone) {
				switch l.op {
				case opLinear:
					e.linear(s, i, ls, c, h, hBin, in)
				case opConv:
					e.convolve(s, i, ls, c, h, h01, in)
				case opPool:
					l.pool.run(ls.out, h, B)
				case opBatchNorm:
					l.bn.run(ls.out, h, B, s.t)
				}
				if once && i < e.firstNeuron {
					ls.constDone = true
					c.denseOps += float64(B * l.dense) // the dense forward projects a constant input once
				}
			}
			if !(once && i < e.firstNeuron) {
				c.denseOps += float64(B * l.dense)
			}
			in = nil
			h01 = l.op == opPool && l.pool.s.Op == model.KindMaxPool2d && h01
			h, hBin = ls.out, false
			tr.record(i, s.t, ls.out, nil, B, l.out)
			continue
		}
		n := B * l.out
		if l.rec != nil {
			first := s.t == 0
			c.synOps += float64(recurrentInput(l, s, h[:n], ls.spk, ls.cur, ls.rec, first))
			if !first { // the first step has no previous spikes, and no product
				c.denseOps += float64(B * l.synapses())
			}
			h = ls.cur
			if l.alpha != nil {
				synapticInput(l, ls.syn, ls.cur, ls.synN, first)
				ls.syn, ls.synN = ls.synN, ls.syn
				h = ls.syn
			}
		}
		switch {
		case l.ad != nil: // adlif, radlif
			adlifStep(l, h[:n], ls.mem, ls.syn, ls.spk, ls.memN, ls.synN, ls.spkN)
			ls.syn, ls.synN = ls.synN, ls.syn
		case l.rec != nil:
			sc := kernels.LIFScan{T: 1, B: B, N: l.out, Beta: l.beta, Thr: l.thr, Reset: l.reset}
			sc.Forward(h[:n], ls.mem, ls.spk, ls.memN, ls.spkN)
		case l.rho != nil:
			alifStep(l, h[:n], ls.syn, ls.mem, ls.spk, ls.synN, ls.memN, ls.spkN)
			ls.syn, ls.synN = ls.synN, ls.syn
		case l.k != nil:
			plifStep(l, h[:n], ls.mem, ls.spk, ls.memN, ls.spkN)
		case l.alpha != nil:
			sc := kernels.SynapticScan{T: 1, B: B, N: l.out, Alpha: l.alpha, Beta: l.beta, Thr: l.thr, Reset: l.reset}
			sc.Forward(h[:n], ls.syn, ls.mem, ls.spk, ls.synN, ls.memN, ls.spkN)
			ls.syn, ls.synN = ls.synN, ls.syn
		case l.spiking:
			sc := kernels.LIFScan{T: 1, B: B, N: l.out, Beta: l.beta, Thr: l.thr, Reset: l.reset}
			sc.Forward(h[:n], ls.mem, ls.spk, ls.memN, ls.spkN)
		default:
			sc := kernels.LIScan{T: 1, B: B, N: l.out, Beta: l.beta}
			sc.Forward(h[:n], ls.mem, ls.memN)
		}
		ls.mem, ls.memN = ls.memN, ls.mem
		ls.out = ls.mem
		if l.spiking {
			ls.spk, ls.spkN = ls.spkN, ls.spk
			ls.out = ls.spk
			// The spikes are counted where the next layer lists them.
			if i+1 >= len(e.layers) || !e.layers[i+1].countsPrev {
				c.spikes += sum(ls.spk)
			}
		}
		c.updates += float64(n)
		tr.record(i, s.t, ls.out, ls.mem, B, l.out)
		h, hBin, h01, in = ls.out, l.spiking, l.spiking, nil
	}
	e.addScore(s)
	s.t++
}

// linear runs a Linear layer on h [B*l.in] into ls.out [B*l.out]: on the
// rows of the active inputs when h is binary and sparse enough, densely
// otherwise; then the bias.
func (e *Engine) linear(s *State, i int, ls *layerState, c *layerCount, h []float32, binary bool, in *kernels.SpikeRows) {
	l := e.layers[i]
	B, out := s.B, ls.out
	dense := !binary
	if binary {
		ev, nnz := e.events(s, i, h, in)
		// The network's work is the spikes delivered, whichever way the
		// CPU computes their sum.
		c.synOps += float64(nnz * l.out)
		if float64(nnz) < EventActivity*float64(B*l.in) {
			kernels.SpikeMatMul(l.out, 1, ev, l.w, l.out, 0, out, l.out)
		} else {
			dense = true
		}
	} else {
		c.macs += float64(B * l.in * l.out)
	}
	if dense {
		kernels.Sgemm(false, false, B, l.out, l.in, 1, h, l.in, l.w, l.out, 0, out, l.out)
	}
	if l.b != nil {
		for b := range B {
			kernels.Add(out[b*l.out:(b+1)*l.out], l.b)
		}
	}
}

// events returns the event list of layer i's binary input h (in, when not
// nil, is that list) and its number of events, and counts the events as
// the spikes of the spiking layer before i when there is one.
func (e *Engine) events(s *State, i int, h []float32, in *kernels.SpikeRows) (*kernels.SpikeRows, int) {
	l := e.layers[i]
	ev := in
	if ev == nil {
		s.ev.FromDense(h, s.B, l.in)
		ev = &s.ev
	}
	nnz := ev.NNZ()
	if l.countsPrev {
		s.count.layers[i-1].spikes += float64(nnz)
	}
	return ev, nnz
}

// convolve runs a convolution layer on h [B*l.in] into ls.out: event-driven
// (convLayer.events) when every value of h is 0 or 1 and fewer than
// EventActivity of them are ones, densely otherwise (the training side's
// im2col and SGEMM). Both give the training forward's bits.
func (e *Engine) convolve(s *State, i int, ls *layerState, c *layerCount, h []float32, h01 bool, in *kernels.SpikeRows) {
	l := e.layers[i]
	B := s.B
	if !h01 {
		c.macs += float64(B * l.dense)
		l.conv.denseRun(ls.out, h, B, ls.scratch)
		return
	}
	ev, nnz := e.events(s, i, h, in)
	if float64(nnz) < EventActivity*float64(B*l.in) {
		c.synOps += float64(l.conv.events(ls.out, ev, B, ls.scratch))
		return
	}
	// Dense: the SynOps are still those of the events, counted as the
	// event-driven sum counts them, without doing it.
	c.synOps += float64(l.conv.synOps(ev))
	l.conv.denseRun(ls.out, h, B, ls.scratch)
}

func sum(x []float32) float64 {
	var s float32
	for _, v := range x {
		s += v
	}
	return float64(s)
}

// addScore adds the last layer's output of the step to the read-out scores,
// in float32 in time order, as the training read-out accumulates them.
func (e *Engine) addScore(s *State) {
	ls := &s.layers[len(e.layers)-1]
	src := ls.mem
	if e.readout == ReadoutSpikeCount {
		src = ls.spk
	}
	switch e.readout {
	case ReadoutMembraneMax:
		for i, v := range src[:len(s.score)] {
			s.score[i] = max(s.score[i], v)
		}
	default:
		for i, v := range src[:len(s.score)] {
			s.score[i] += v
		}
	}
}

// Predict writes the predicted class of each sample of s to dst (len B):
// the argmax of its read-out score over the steps done, the first on ties.
func (e *Engine) Predict(s *State, dst []int) {
	C := e.classes
	for b := range s.B {
		best, bestScore := 0, float32(0)
		for c, v := range s.score[b*C : (b+1)*C] {
			if c == 0 || v > bestScore {
				best, bestScore = c, v
			}
		}
		dst[b] = best
	}
}

// Forward runs the B samples of x from the resting state and writes their
// predicted classes to dst (len B; nil to skip). x is either a sequence
// [steps, B, Inputs] or, with constant set, one static input [B, Inputs]
// presented at each of steps steps (direct encoding). binary declares that
// every value of x is 0 or 1 (spikes), which enables the event-driven
// products; it is the caller's promise, not checked. tr, when not nil,
// records every layer's output and membrane at every step.
func (e *Engine) Forward(s *State, x []float32, steps int, constant, binary bool, dst []int, tr *Trace) error {
	if err := e.checkState("Forward", s); err != nil {
		return err
	}
	B := s.B
	if dst != nil && len(dst) != B {
		return fmt.Errorf("infer: Forward: %d entries for the classes of %d samples", len(dst), B)
	}
	if constant && len(x) != B*e.in || !constant && len(x) != steps*B*e.in {
		return fmt.Errorf("infer: Forward: %d input values for %d steps of %d samples of %d features (constant = %v)",
			len(x), steps, B, e.in, constant)
	}
	if steps <= 0 {
		return fmt.Errorf("infer: Forward: steps = %d: must be > 0", steps)
	}
	s.Reset(e)
	tr.reset(e, steps, B)
	for t := range steps {
		xt := x
		if !constant {
			xt = x[t*B*e.in : (t+1)*B*e.in]
		}
		e.advance(s, xt, binary, constant, nil, tr)
	}
	s.count.samples = B
	if dst != nil {
		e.Predict(s, dst)
	}
	return nil
}

// checkState returns an error unless s was made by e.NewState.
func (e *Engine) checkState(op string, s *State) error {
	if s == nil || len(s.layers) != len(e.layers) || len(s.score) != s.B*e.classes {
		return fmt.Errorf("infer: %s: the state was not made by this engine's NewState", op)
	}
	for i, l := range e.layers {
		ls := &s.layers[i]
		if n := s.B * l.out; l.op != opIdentity && len(ls.out) != n && len(ls.mem) != n {
			return fmt.Errorf("infer: %s: the state was not made by this engine's NewState (layer %q)", op, l.name)
		}
	}
	return nil
}

// Trace is what Forward records when given one: per layer, its output
// and (neuron layers) membrane at every step, [steps, B, N] time-major as
// the training side's traces are.
type Trace struct {
	Layers []LayerTrace
}

// LayerTrace is one layer's part of a Trace.
type LayerTrace struct {
	Name string
	Out  []float32 // [steps*B*N]: spikes, membrane (li) or current (linear)
	Mem  []float32 // [steps*B*N]; nil for a Linear
}

func (tr *Trace) reset(e *Engine, steps, B int) {
	if tr == nil {
		return
	}
	tr.Layers = tr.Layers[:0]
	for _, l := range e.layers {
		lt := LayerTrace{Name: l.name, Out: make([]float32, steps*B*l.out)}
		if l.neuron {
			lt.Mem = make([]float32, steps*B*l.out)
		}
		tr.Layers = append(tr.Layers, lt)
	}
}

func (tr *Trace) record(i, t int, out, mem []float32, B, n int) {
	if tr == nil {
		return
	}
	lt := &tr.Layers[i]
	copy(lt.Out[t*B*n:(t+1)*B*n], out)
	if mem != nil {
		copy(lt.Mem[t*B*n:(t+1)*B*n], mem)
	}
}
