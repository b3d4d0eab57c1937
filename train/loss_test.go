package train

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/autograd/gradcheck"
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

func TestLossHandValues(t *testing.T) {
	ln1pexp := func(x float64) float64 { return math.Log1p(math.Exp(x)) }
	for _, tc := range []struct {
		obj  LossObjective
		want float64
	}{
		// Σ_t CE(mem[t], 0) = -log softmax(1, 0)_0 - log softmax(0, 2)_0
		//                   = log(1 + e^-1) + log(1 + e^2) = 0.31326 + 2.12693
		{LossObjective{Loss: LossMembraneCE}, ln1pexp(-1) + ln1pexp(2)},
		// CE of the counts (2, 1): log(1 + e^(1-2))
		{LossObjective{Loss: LossCountCE}, ln1pexp(-1)},
		// CE of the maximum over time (1, 2): log(1 + e^(2-1))
		{LossObjective{Loss: LossMaxMembraneCE}, ln1pexp(1)},
		// counts (2, 1) against targets 0.8·2 = 1.6 and 0.2·2 = 0.4:
		// ((2-1.6)² + (1-0.4)²) / 2 = (0.16 + 0.36) / 2 = 0.26
		{LossObjective{Loss: LossCountMSE, CorrectRate: 0.8, IncorrectRate: 0.2}, 0.26},
		// + 0.1 · mean hidden rate (1+0)/2 = 0.05; the output layer is not
		// regularised
		{LossObjective{Loss: LossCountCE, RateL1: 0.1}, ln1pexp(-1) + 0.05},
		// rates (1, 0) below min 0.25: relu(0.25 - r)² = (0, 0.0625), mean
		// 0.03125, times weight 2
		{LossObjective{Loss: LossCountCE, RateMin: 0.25, BoundCost: 2}, ln1pexp(-1) + 0.0625},
		// above max 0.75: relu(r - 0.75)² = (0.0625, 0), mean 0.03125
		{LossObjective{Loss: LossCountCE, RateMax: 0.75, BoundCost: 1}, ln1pexp(-1) + 0.03125},
		// both bounds and L1
		{LossObjective{Loss: LossCountCE, RateL1: 0.1, RateMin: 0.25, RateMax: 0.75, BoundCost: 1}, ln1pexp(-1) + 0.05 + 0.0625},
		// bounds with weight 0 are off
		{LossObjective{Loss: LossCountCE, RateMin: 0.25, RateMax: 0.75}, ln1pexp(-1)},
	} {
		tape := autograd.NewTape()
		got := float64(tc.obj.Compute(tape, handTrace(tape), []int{0}).Item())
		// float32 arithmetic on values of order 1: a few ulps of 2.4.
		if math.Abs(got-tc.want) > 1e-6 {
			t.Errorf("%v %+v: loss %.9g, want %.9g", tc.obj.Loss, tc.obj, got, tc.want)
		}
	}
}

// TestLossMembraneCESumsOverTime checks the snnTorch objective on a batch
// of two: Σ_t mean_b CE(mem[t, b], y_b).
func TestLossMembraneCESumsOverTime(t *testing.T) {
	tape := autograd.NewTape()
	// T=2, B=2, C=2; sample 0 label 0, sample 1 label 1.
	mem := tape.Constant([]float32{
		1, 0, 0, 0, // t0: b0 (1, 0), b1 (0, 0)
		0, 2, 3, 1, // t1: b0 (0, 2), b1 (3, 1)
	}, 2, 2, 2)
	tr := &layers.Trace{Out: mem, Layers: []layers.LayerTrace{{Name: "out", Neuron: true, Out: mem, Mem: mem}}}
	o := LossObjective{Loss: LossMembraneCE}
	got := float64(o.Compute(tape, tr, []int{0, 1}).Item())
	l := func(x float64) float64 { return math.Log1p(math.Exp(x)) } // CE of two logits = log(1 + e^(other - own))
	want := (l(-1)+l(0))/2 + (l(2)+l(2))/2
	if math.Abs(got-want) > 1e-6 {
		t.Errorf("loss %.9g, want %.9g", got, want)
	}
}

// TestLossGradients checks each loss and regulariser against central
// differences on smooth values: a hidden layer's output and the output
// layer's spikes and membrane are Params, as a network with the surrogate's
// smooth function in place of the step would produce them.
func TestLossGradients(t *testing.T) {
	const T, B, C, N = 3, 2, 3, 4
	rng := rand.New(rand.NewPCG(7, 0))
	// Values distinct by at least 0.1 (ten steps of 1e-2), so that neither
	// the maximum over time nor the ReLU of a bound changes its argument
	// within a finite difference.
	spaced := func(name string, n int, scale, off float32, shape ...int) *autograd.Param {
		v := make([]float32, n)
		for i, k := range rng.Perm(n) {
			v[i] = off + scale*float32(k)
		}
		return autograd.NewParam(name, v, shape...)
	}
	hid := spaced("hidden", T*B*N, 0.1, -0.15, T, B, N) // hidden "rates" from -0.15 to 2.15
	out := spaced("out", T*B*C, 0.1, -0.4, T, B, C)
	mem := spaced("mem", T*B*C, 0.1, -0.8, T, B, C)
	labels := []int{2, 0}
	// Per-neuron rates of hid are means of 6 values; the bounds sit between
	// them, at least 0.04 from each (checked below).
	rates := make([]float64, N)
	for i, v := range hid.Data {
		rates[i%N] += float64(v) / (T * B)
	}
	for _, bound := range []float64{0.2, 1.6} {
		for _, r := range rates {
			if math.Abs(r-bound) < 0.04 {
				t.Fatalf("rate %v too close to the bound %v", r, bound)
			}
		}
	}
	for _, obj := range []LossObjective{
		{Loss: LossMembraneCE},
		{Loss: LossCountCE},
		{Loss: LossMaxMembraneCE},
		{Loss: LossCountMSE, CorrectRate: 0.8, IncorrectRate: 0.2},
		{Loss: LossCountCE, RateL1: 0.5},
		{Loss: LossCountCE, RateMin: 1.6, BoundCost: 3},
		{Loss: LossCountCE, RateMax: 0.2, BoundCost: 3},
		{Loss: LossMembraneCE, RateL1: 0.1, RateMin: 1.6, RateMax: 0.2, BoundCost: 1},
	} {
		f := func(tape *autograd.Tape) *autograd.Var {
			h, o, m := tape.Param(hid), tape.Param(out), tape.Param(mem)
			tr := &layers.Trace{Out: o, Layers: []layers.LayerTrace{
				{Name: "lif1", Neuron: true, Out: h, Mem: h},
				{Name: "out", Neuron: true, Out: o, Mem: m},
			}}
			return obj.Compute(tape, tr, labels)
		}
		if err := gradcheck.Check(f, []*autograd.Param{hid, out, mem}, gradcheck.Options{}); err != nil {
			t.Errorf("%v %+v: %v", obj.Loss, obj, err)
		}
		// The gradient reaches what the loss depends on, and only that.
		nz := func(p *autograd.Param) bool {
			return slices.ContainsFunc(p.Grad, func(g float32) bool { return g != 0 })
		}
		count := obj.Loss == LossCountCE || obj.Loss == LossCountMSE
		reg := obj.RateL1 > 0 || obj.BoundCost > 0
		if nz(out) != count || nz(mem) == count || nz(hid) != reg {
			t.Errorf("%v %+v: gradients reach out %v, mem %v, hidden %v", obj.Loss, obj, nz(out), nz(mem), nz(hid))
		}
	}
}

func TestPredictClasses(t *testing.T) {
	// T=2, B=4, C=3.
	out := []float32{
		1, 0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 0, // t0
		0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, // t1
	}
	// counts: b0 (1, 0, 2) → 2; b1 (0, 0, 0) → 0 (all tied); b2 (1, 1, 1) → 0 (tie);
	// b3 (1, 1, 0) → 0 (tie between 0 and 1: the first)
	mem := []float32{
		0.5, 0.9, -1, 2, 2, 1, -1, -2, -3, 0, 0.2, 0.2, // t0
		0.6, 0.1, 0.1, 0, 0, 3, -1, -2, -0.5, 0, 0.2, 0.1, // t1
	}
	// membrane sums: b0 (1.1, 1.0, -0.9) → 0; b1 (2, 2, 4) → 2;
	//   b2 (-2, -4, -3.5) → 0; b3 (0, 0.4, 0.3) → 1
	// membrane max:  b0 (0.6, 0.9, 0.1) → 1; b1 (2, 2, 3) → 2;
	//   b2 (-1, -2, -0.5) → 2; b3 (0, 0.2, 0.2) → 1 (tie: the first)
	tape := autograd.NewTape()
	o, m := tape.Constant(out, 2, 4, 3), tape.Constant(mem, 2, 4, 3)
	tr := &layers.Trace{Out: o, Layers: []layers.LayerTrace{{Name: "out", Neuron: true, Out: o, Mem: m}}}
	for _, tc := range []struct {
		p    Predict
		want []int
	}{
		{PredictSpikeCount, []int{2, 0, 0, 0}},
		{PredictMembraneSum, []int{0, 2, 0, 1}},
		{PredictMembraneMax, []int{1, 2, 2, 1}},
	} {
		dst := make([]int, 4)
		scores := make([]float32, 4*3)
		tc.p.Classes(tr, dst, scores)
		if !slices.Equal(dst, tc.want) {
			t.Errorf("%v: %v, want %v", tc.p, dst, tc.want)
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
