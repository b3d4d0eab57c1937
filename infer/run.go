package infer

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/spikegrad/spikegrad/datasets"
)

// RunOptions configures Run.
type RunOptions struct {
	// BatchSize is the number of samples run together; 0 means 256.
	BatchSize int
	// Limit runs only the first Limit samples; 0 runs all.
	Limit int
	// Seed seeds the random source of a rate encoding (a PCG with stream
	// 0); the same seed gives the same spikes.
	Seed uint64
}

// Run runs the engine over the samples of ds in order and returns the
// predicted class of each and the Stats of the run (accuracy against the
// dataset's labels, work per sample). A static dataset (one step per
// sample) is encoded as the model's Encoding says, over the model's Steps;
// a sequence dataset is run as it is, its values taken as spikes unless the
// encoding is direct. A dataset of sequences of their own lengths
// (datasets.IsVarLen) is run one sample at a time, each for its own steps,
// so that no padding is run or counted; Stats.Steps is then the longest
// sample's, and the per-sample counts are means over samples of their own
// lengths.
func (e *Engine) Run(ds datasets.Dataset, opt RunOptions) ([]int, *Stats, error) {
	total := make([]layerCount, len(e.layers))
	var s *State
	preds, correct, steps, err := eachBatch(e.m, e.in, ds, opt, func(x []float32, steps, B int, constant bool, preds []int) error {
		if s == nil || s.B != B {
			s = e.NewState(B)
		}
		if err := e.Forward(s, x, steps, constant, e.m.Encoding.Binary(), preds, nil); err != nil {
			return err
		}
		addCounts(total, s.count.layers)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	st := e.stats(total, len(preds), steps)
	if len(preds) > 0 {
		st.Accuracy = float64(correct) / float64(len(preds))
	}
	return preds, st, nil
}

// addCounts adds the counters c to total.
func addCounts(total, c []layerCount) {
	for i, c := range c {
		t := &total[i]
		t.spikes += c.spikes
		t.synOps += c.synOps
		t.macs += c.macs
		t.denseOps += c.denseOps
		t.updates += c.updates
	}
}

// eachBatch feeds the samples of ds in order, in batches, to run, as Run
// describes: a static dataset encoded as m's Encoding says over m's Steps
// (a direct encoding as one constant step), a sequence dataset as it is.
// run gets the batch x ([steps, B, in] time-major, or [B, in] when
// constant) and writes the B predictions; eachBatch returns them all, the
// number that match the labels, and the steps run.
func eachBatch(m *Model, in int, ds datasets.Dataset, opt RunOptions,
	run func(x []float32, steps, B int, constant bool, preds []int) error) (preds []int, correct, steps int, err error) {
	dsSteps, features := ds.Shape()
	if features != in {
		return nil, 0, 0, fmt.Errorf("infer: the dataset has %d features per step, the model takes %d", features, in)
	}
	if datasets.IsVarLen(ds) {
		return eachSample(m, ds.(datasets.VarLen), opt, run)
	}
	bs := opt.BatchSize
	if bs <= 0 {
		bs = 256
	}
	n := ds.Len()
	if opt.Limit > 0 && opt.Limit < n {
		n = opt.Limit
	}
	steps, constant := dsSteps, false
	enc := m.Encoding.Encoder()
	if dsSteps == 1 {
		steps = m.Steps
		switch m.Encoding.Name {
		case EncodingDirect:
			constant = true
		case EncodingSpikes:
			if steps != 1 {
				return nil, 0, 0, fmt.Errorf("infer: the model expects spike sequences of %d steps, the dataset has static samples", steps)
			}
		}
	} else {
		if dsSteps != m.Steps {
			return nil, 0, 0, fmt.Errorf("infer: the dataset's samples have %d steps, the model runs %d", dsSteps, m.Steps)
		}
		enc = nil
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0))
	batch := datasets.NewBatch(dsSteps, bs, features)
	batch.Rand = rng
	var encoded []float32
	preds = make([]int, n)
	idx := make([]int, 0, bs)
	for start := 0; start < n; start += bs {
		B := min(bs, n-start)
		idx = idx[:0]
		for i := range B {
			idx = append(idx, start+i)
		}
		batch.Resize(dsSteps, B, features)
		if err := ds.Fill(batch, idx); err != nil {
			return nil, 0, 0, fmt.Errorf("infer: %w", err)
		}
		x := batch.X[:dsSteps*B*features]
		if enc != nil {
			need := steps * B * features
			if cap(encoded) < need {
				encoded = make([]float32, need)
			}
			encoded = encoded[:need]
			enc.Encode(encoded, x, steps, B, features, rng)
			x = encoded
		}
		if m.Encoding.Name == EncodingSpikes {
			if err := checkBinary(x, B, features, start); err != nil {
				return nil, 0, 0, err
			}
		}
		if err := run(x, steps, B, constant, preds[start:start+B]); err != nil {
			return nil, 0, 0, err
		}
		for i, p := range preds[start : start+B] {
			if p == batch.Labels[i] {
				correct++
			}
		}
	}
	return preds, correct, steps, nil
}

// eachSample is eachBatch for a dataset of sequences of their own lengths:
// it runs each sample alone, for its own steps, so that no padding is run
// or counted. The steps it returns are the longest sample's.
func eachSample(m *Model, ds datasets.VarLen, opt RunOptions,
	run func(x []float32, steps, B int, constant bool, preds []int) error) (preds []int, correct, steps int, err error) {
	_, features := ds.Shape()
	n := ds.Len()
	if opt.Limit > 0 && opt.Limit < n {
		n = opt.Limit
	}
	batch := datasets.NewBatch(1, 1, features)
	batch.Rand = rand.New(rand.NewPCG(opt.Seed, 0))
	preds = make([]int, n)
	idx := []int{0}
	for i := range n {
		L := ds.SampleSteps(i)
		batch.Resize(L, 1, features)
		idx[0] = i
		if err := ds.Fill(batch, idx); err != nil {
			return nil, 0, 0, fmt.Errorf("infer: %w", err)
		}
		if m.Encoding.Name == EncodingSpikes {
			if err := checkBinary(batch.X, 1, features, i); err != nil {
				return nil, 0, 0, err
			}
		}
		if err := run(batch.X, L, 1, false, preds[i:i+1]); err != nil {
			return nil, 0, 0, err
		}
		if preds[i] == batch.Labels[0] {
			correct++
		}
		steps = max(steps, L)
	}
	return preds, correct, steps, nil
}

// checkBinary returns an error naming the sample, step and feature of the
// first value of the batch x [steps, B, features] that is not 0 or 1: the
// event-driven products take every nonzero value as one spike.
func checkBinary(x []float32, B, features, start int) error {
	for i, v := range x {
		if v != 0 && v != 1 {
			t, b, f := i/(B*features), i/features%B, i%features
			return fmt.Errorf("infer: sample %d, step %d, feature %d is %v: the model takes spikes (0 or 1)", start+b, t, f, v)
		}
	}
	return nil
}

// stats turns counters summed over samples into per-sample Stats.
func (e *Engine) stats(total []layerCount, samples, steps int) *Stats {
	st := &Stats{Samples: samples, Steps: steps}
	per := func(v float64) float64 {
		if samples == 0 {
			return 0
		}
		return v / float64(samples)
	}
	for i, l := range e.layers {
		c := total[i]
		ls := LayerStats{Layer: l.name, Kind: l.kind, Neurons: l.out, Spikes: per(c.spikes), SynOps: per(c.synOps),
			MACs: per(c.macs), DenseOps: per(c.denseOps), NeuronUpdates: per(c.updates)}
		if l.spiking && steps > 0 {
			ls.Rate = ls.Spikes / float64(l.out*steps)
		}
		st.Layers = append(st.Layers, ls)
	}
	return st
}

// Stats returns the work done on s since its Reset, per sample of s.
func (e *Engine) Stats(s *State) *Stats {
	return e.stats(s.count.layers, s.B, s.t)
}

// Input is one time step of input of one sample, for Step: either Events,
// the indices of the inputs that spiked (each at most once, in
// [0, Inputs)), or Analog, the value of every input (len Inputs).
type Input struct {
	Events []int
	Analog []float32
}

// Step advances the single sample of s (made by NewState(1)) by one time
// step with the input in and returns the last layer's output at that step
// (its spikes, or its membrane for an li read-out); the slice belongs to s
// and changes at the next Step. Events are delivered over the weight rows
// of the inputs that spiked; an analog input takes the dense product. The
// read-out score accumulates, so Predict gives the class after any number
// of steps; Reset starts a new sample.
func (e *Engine) Step(s *State, in Input) ([]float32, error) {
	if err := e.checkState("Step", s); err != nil {
		return nil, err
	}
	if s.B != 1 {
		return nil, fmt.Errorf("infer: Step: the state holds %d samples; streaming runs one (NewState(1))", s.B)
	}
	if len(s.x) != e.in {
		s.x = make([]float32, e.in)
	}
	switch {
	case in.Events != nil && in.Analog != nil:
		return nil, errors.New("infer: Step: give either events or analog input, not both")
	case in.Analog != nil:
		if len(in.Analog) != e.in {
			return nil, fmt.Errorf("infer: Step: %d analog values, the model takes %d", len(in.Analog), e.in)
		}
		for i, v := range in.Analog {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("infer: Step: input %d is %v: must be finite", i, v)
			}
		}
		// An input equal to the previous step's (a static image presented
		// as a current) keeps the projections of the layers before the
		// first neuron layer, as Forward does for a constant input: the
		// same values, without the dense products.
		same := s.t > 0 && s.lastAnalog != nil && slices.Equal(s.lastAnalog, in.Analog)
		if !same {
			for i := range s.layers {
				s.layers[i].constDone = false
			}
			s.lastAnalog = append(s.lastAnalog[:0], in.Analog...)
		}
		e.advance(s, in.Analog, false, true, nil, nil)
	default:
		s.lastAnalog = s.lastAnalog[:0]
		x := s.x
		clear(x)
		ev := &s.inEv
		ev.Rows, ev.Cols = 1, e.in
		ev.Idx = ev.Idx[:0]
		for _, k := range in.Events {
			if k < 0 || k >= e.in {
				return nil, fmt.Errorf("infer: Step: event for input %d: the model has inputs 0 to %d", k, e.in-1)
			}
			if x[k] != 0 {
				return nil, fmt.Errorf("infer: Step: input %d spikes twice in one step", k)
			}
			x[k] = 1
			ev.Idx = append(ev.Idx, int32(k))
		}
		slices.Sort(ev.Idx) // the training side's lists are ascending: the same sums
		ev.Ptr = append(ev.Ptr[:0], 0, int32(len(ev.Idx)))
		e.advance(s, x, true, false, ev, nil)
	}
	s.count.samples = 1
	return s.layers[len(e.layers)-1].out, nil
}
