package train

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/layers"
)

// handTrace is a trace of T=2 steps, B=1 sample, C=2 outputs, after a
// hidden layer of 2 neurons:
//
//	hidden spikes  t0: (1, 0)   t1: (1, 0)    rates (1, 0)
//	output spikes  t0: (1, 0)   t1: (1, 1)    counts (2, 1)
//	output membrane t0: (1, 0)  t1: (0, 2)
func handTrace(t *autograd.Tape) *layers.Trace {
	hid := t.Constant([]float32{1, 0, 1, 0}, 2, 1, 2)
	hmem := t.Constant([]float32{1.2, 0.3, 1.1, 0.4}, 2, 1, 2)
	out := t.Constant([]float32{1, 0, 1, 1}, 2, 1, 2)
	mem := t.Constant([]float32{1, 0, 0, 2}, 2, 1, 2)
	return &layers.Trace{Out: out, Layers: []layers.LayerTrace{
		{Name: "fc1", Out: hid}, // stands in for the hidden projection; not a neuron layer
		{Name: "lif1", Neuron: true, Out: hid, Mem: hmem},
		{Name: "fc2", Out: out},
		{Name: "out", Neuron: true, Out: out, Mem: mem},
	}}
}

// TestClassificationLoss checks that each Criterion reads the right tensor
// and that the regularisers reach the hidden neuron layers and not the
// output layer. The values of the loss functions are those of package loss.
func TestClassificationLoss(t *testing.T) {
	ln1pexp := func(x float64) float64 { return math.Log1p(math.Exp(x)) }
	for _, tc := range []struct {
		obj  Classification
		want float64
	}{
		// Σ_t CE(mem[t], 0) = -log softmax(1, 0)_0 - log softmax(0, 2)_0
		//                   = log(1 + e^-1) + log(1 + e^2) = 0.31326 + 2.12693
		{Classification{Criterion: LossMembraneCE}, ln1pexp(-1) + ln1pexp(2)},
		// CE of the counts (2, 1): log(1 + e^(1-2))
		{Classification{Criterion: LossCountCE}, ln1pexp(-1)},
		// CE of the maximum over time (1, 2): log(1 + e^(2-1))
		{Classification{Criterion: LossMaxMembraneCE}, ln1pexp(1)},
		// counts (2, 1) against targets 0.8·2 = 1.6 and 0.2·2 = 0.4:
		// ((2-1.6)² + (1-0.4)²) / 2 = (0.16 + 0.36) / 2 = 0.26
		{Classification{Criterion: LossCountMSE, CorrectRate: 0.8, IncorrectRate: 0.2}, 0.26},
		// + 0.1 · mean hidden rate (1+0)/2 = 0.05; the output layer is not
		// regularised
		{Classification{Criterion: LossCountCE, RateL1: 0.1}, ln1pexp(-1) + 0.05},
		// rates (1, 0) below min 0.25: relu(0.25 - r)² = (0, 0.0625), mean
		// 0.03125, times weight 2
		{Classification{Criterion: LossCountCE, RateMin: 0.25, BoundCost: 2}, ln1pexp(-1) + 0.0625},
		// above max 0.75: relu(r - 0.75)² = (0.0625, 0), mean 0.03125
		{Classification{Criterion: LossCountCE, RateMax: 0.75, BoundCost: 1}, ln1pexp(-1) + 0.03125},
		// both bounds and L1
		{Classification{Criterion: LossCountCE, RateL1: 0.1, RateMin: 0.25, RateMax: 0.75, BoundCost: 1}, ln1pexp(-1) + 0.05 + 0.0625},
		// bounds with weight 0 are off
		{Classification{Criterion: LossCountCE, RateMin: 0.25, RateMax: 0.75}, ln1pexp(-1)},
	} {
		tape := autograd.NewTape()
		got := float64(tc.obj.Loss(tape, handTrace(tape), []int{0}).Item())
		// float32 arithmetic on values of order 1: a few ulps of 2.4.
		if math.Abs(got-tc.want) > 1e-6 {
			t.Errorf("%+v: loss %.9g, want %.9g", tc.obj, got, tc.want)
		}
	}
}

// paramTrace is a trace of Params [T, B, ·] with random values: a hidden
// neuron layer and an output layer, with its spikes and membrane. trace
// puts them on a tape and fills tr with them, reusing its memory.
func paramTrace(rng *rand.Rand, T, B, C, N int) (hid, out, mem *autograd.Param, trace func(*autograd.Tape, *layers.Trace) *layers.Trace) {
	rnd := func(name string, n int) *autograd.Param {
		p := autograd.NewParam(name, nil, T, B, n)
		for i := range p.Data {
			p.Data[i] = float32(rng.Float64())
		}
		return p
	}
	hid, out, mem = rnd("hidden", N), rnd("out", C), rnd("mem", C)
	return hid, out, mem, func(tape *autograd.Tape, tr *layers.Trace) *layers.Trace {
		h, o, m := tape.Param(hid), tape.Param(out), tape.Param(mem)
		tr.Out = o
		tr.Layers = append(tr.Layers[:0],
			layers.LayerTrace{Name: "lif1", Neuron: true, Out: h, Mem: h},
			layers.LayerTrace{Name: "out", Neuron: true, Out: o, Mem: m})
		return tr
	}
}

// TestClassificationGradientReach checks that the gradient of each
// objective reaches what it depends on, and only that: the output spikes
// for the count losses, the membrane for the others, the hidden layer for
// the regularisers. The gradients themselves are checked in package loss.
func TestClassificationGradientReach(t *testing.T) {
	hid, out, mem, trace := paramTrace(rand.New(rand.NewPCG(7, 0)), 3, 2, 3, 4)
	for _, obj := range []Classification{
		{Criterion: LossMembraneCE},
		{Criterion: LossCountCE},
		{Criterion: LossMaxMembraneCE},
		{Criterion: LossCountMSE, CorrectRate: 0.8, IncorrectRate: 0.2},
		{Criterion: LossCountCE, RateL1: 0.5},
		{Criterion: LossCountCE, RateMin: 1.6, BoundCost: 3},
		{Criterion: LossCountCE, RateMax: 0.2, BoundCost: 3},
		{Criterion: LossMembraneCE, RateL1: 0.1, RateMin: 1.6, RateMax: 0.2, BoundCost: 1},
	} {
		for _, p := range []*autograd.Param{hid, out, mem} {
			p.ZeroGrad()
		}
		tape := autograd.NewTape()
		tape.Backward(obj.Loss(tape, trace(tape, &layers.Trace{}), []int{2, 0}))
		nz := func(p *autograd.Param) bool {
			return slices.ContainsFunc(p.Grad, func(g float32) bool { return g != 0 })
		}
		count := obj.Criterion == LossCountCE || obj.Criterion == LossCountMSE
		reg := obj.RateL1 > 0 || obj.BoundCost > 0
		if nz(out) != count || nz(mem) == count || nz(hid) != reg {
			t.Errorf("%+v: gradients reach out %v, mem %v, hidden %v", obj, nz(out), nz(mem), nz(hid))
		}
	}
}

// TestClassificationAllocs checks that the objective's loss, its backward
// and its prediction allocate nothing once the tape has run a step.
func TestClassificationAllocs(t *testing.T) {
	hid, out, mem, trace := paramTrace(rand.New(rand.NewPCG(8, 0)), 4, 8, 3, 5)
	labels := []int{0, 1, 2, 0, 1, 2, 0, 1}
	preds := make([]int, len(labels))
	tape := autograd.NewTape()
	tr := &layers.Trace{}
	for _, obj := range []Classification{
		{Criterion: LossMembraneCE, Prediction: PredictSpikeCount},
		{Criterion: LossCountMSE, CorrectRate: 0.8, IncorrectRate: 0.2, RateL1: 0.1, Prediction: PredictMembraneSum},
		{Criterion: LossMaxMembraneCE, RateMin: 0.2, RateMax: 0.8, BoundCost: 1, Prediction: PredictMembraneMax},
	} {
		var o Objective = obj
		step := func() {
			tape.Backward(o.Loss(tape, trace(tape, tr), labels))
			o.Predict(tr, preds)
			for _, p := range []*autograd.Param{hid, out, mem} {
				p.ZeroGrad()
			}
			tape.Reset()
		}
		step()
		if n := testing.AllocsPerRun(10, step); n != 0 {
			t.Errorf("%+v: %v allocations per step, want 0", obj, n)
		}
	}
}

// TestClassificationPredict checks that each Prediction reads the right
// tensor: the three read-outs give three classes on one trace.
func TestClassificationPredict(t *testing.T) {
	tape := autograd.NewTape()
	// T=2, B=1, C=3. Spike counts (1, 0, 0) → 0; membrane sums (0, 1, 2)
	// → 2; membrane maxima (0, 3, 2) → 1.
	out := tape.Constant([]float32{1, 0, 0, 0, 0, 0}, 2, 1, 3)
	mem := tape.Constant([]float32{0, 3, 0, 0, -2, 2}, 2, 1, 3)
	tr := &layers.Trace{Out: out, Layers: []layers.LayerTrace{{Name: "out", Neuron: true, Out: out, Mem: mem}}}
	for p, want := range map[Predict]int{PredictSpikeCount: 0, PredictMembraneSum: 2, PredictMembraneMax: 1} {
		dst := []int{-1}
		Classification{Prediction: p}.Predict(tr, dst)
		if dst[0] != want {
			t.Errorf("%v: class %d, want %d", p, dst[0], want)
		}
	}
}

func TestLoopConfigObjective(t *testing.T) {
	l := DefaultConfig().Train
	l.Loss, l.Predict = "count_mse", "membrane_sum"
	l.CorrectRate, l.IncorrectRate, l.RateL1, l.RateMin, l.RateMax, l.RateBoundWeight = 0.75, 0.25, 0.5, 0.125, 0.875, 2
	got, err := l.Objective()
	want := Classification{Criterion: LossCountMSE, CorrectRate: 0.75, IncorrectRate: 0.25, RateL1: 0.5,
		RateMin: 0.125, RateMax: 0.875, BoundCost: 2, Prediction: PredictMembraneSum}
	if err != nil || got != want {
		t.Errorf("Objective() = %+v, %v; want %+v", got, err, want)
	}
	for key, set := range map[string]func(*LoopConfig){
		"train.loss":    func(l *LoopConfig) { l.Loss = "hinge" },
		"train.predict": func(l *LoopConfig) { l.Predict = "vote" },
	} {
		l := DefaultConfig().Train
		set(&l)
		var ce *ConfigError
		if _, err := l.Objective(); !errors.As(err, &ce) || ce.Key != key {
			t.Errorf("%s: error %v, want a *ConfigError for the key", key, err)
		}
	}
}

func TestParseLossAndPredict(t *testing.T) {
	for _, l := range []Loss{LossMembraneCE, LossCountCE, LossMaxMembraneCE, LossCountMSE} {
		if got, err := ParseLoss(l.String()); err != nil || got != l {
			t.Errorf("ParseLoss(%q) = %v, %v", l.String(), got, err)
		}
	}
	for _, p := range []Predict{PredictSpikeCount, PredictMembraneSum, PredictMembraneMax} {
		if got, err := ParsePredict(p.String()); err != nil || got != p {
			t.Errorf("ParsePredict(%q) = %v, %v", p.String(), got, err)
		}
	}
	for _, m := range []ProgressMode{ProgressAuto, ProgressBar, ProgressLines, ProgressOff} {
		if got, err := ParseProgress(m.String()); err != nil || got != m {
			t.Errorf("ParseProgress(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := ParseLoss("hinge"); err == nil {
		t.Error("ParseLoss(hinge): no error")
	}
	if _, err := ParsePredict("vote"); err == nil {
		t.Error("ParsePredict(vote): no error")
	}
	if s := Loss(9).String(); s != "Loss(9)" {
		t.Errorf("Loss(9).String() = %q", s)
	}
	if s := Predict(9).String(); s != "Predict(9)" {
		t.Errorf("Predict(9).String() = %q", s)
	}
}
