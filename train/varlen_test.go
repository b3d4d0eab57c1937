package train

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/datasets"
	"github.com/spikegrad/spikegrad/layers"
	"github.com/spikegrad/spikegrad/optim"
	"github.com/spikegrad/spikegrad/surrogate"
)

// varlenNets builds the networks of the padding tests, each over 8 input
// features (the conv net reads them as 2 channels of 4) and 3 classes,
// with a spiking output for the count losses: a feed-forward LIF net, an
// all-to-all recurrent LIF, a current-based (Synaptic), an adaptive (ALIF)
// and a convolutional one. Thresholds of 0.5 make the random spike inputs
// drive spikes in every layer.
func varlenNets() map[string]func() *layers.Sequential {
	lc := layers.LIFConfig{Beta: 0.9, Threshold: 0.5, Surrogate: surrogate.FastSigmoid{Slope: 5}}
	rng := func() *rand.Rand { return rand.New(rand.NewPCG(3, 4)) }
	head := func(r *rand.Rand, in int) []layers.Layer {
		return []layers.Layer{layers.NewLinear("fc2", in, 3, layers.LinearConfig{RNG: r}), layers.NewLIF("out", 3, lc)}
	}
	mk := func(hidden func(r *rand.Rand) []layers.Layer, in int) func() *layers.Sequential {
		return func() *layers.Sequential {
			r := rng()
			return layers.NewSequential(append(hidden(r), head(r, in)...)...)
		}
	}
	fc := func(r *rand.Rand) layers.Layer { return layers.NewLinear("fc1", 8, 6, layers.LinearConfig{RNG: r}) }
	return map[string]func() *layers.Sequential{
		"lif": mk(func(r *rand.Rand) []layers.Layer { return []layers.Layer{fc(r), layers.NewLIF("hid", 6, lc)} }, 6),
		"rlif": mk(func(r *rand.Rand) []layers.Layer {
			return []layers.Layer{fc(r), layers.NewRLIF("hid", 6, lc, layers.RecurrentConfig{RNG: r})}
		}, 6),
		"synaptic": mk(func(r *rand.Rand) []layers.Layer {
			return []layers.Layer{fc(r), layers.NewSynaptic("hid", 6, layers.SynapticConfig{LIFConfig: lc, Alpha: 0.8})}
		}, 6),
		"alif": mk(func(r *rand.Rand) []layers.Layer {
			return []layers.Layer{fc(r), layers.NewALIF("hid", 6, layers.ALIFConfig{LIFConfig: lc, Rho: 0.9, Adapt: 0.2})}
		}, 6),
		"conv": mk(func(r *rand.Rand) []layers.Layer {
			return []layers.Layer{layers.NewConv1d("conv", 2, 4, 3, 2, layers.Conv1dConfig{RNG: r}), layers.NewLIF("hid", 9, lc)}
		}, 9),
	}
}

// varlenObjectives is every loss kind, the last two with the rate
// regularisers on the hidden layer added.
func varlenObjectives() map[string]Classification {
	return map[string]Classification{
		"membrane_ce":     {Criterion: LossMembraneCE},
		"count_ce":        {Criterion: LossCountCE},
		"max_membrane_ce": {Criterion: LossMaxMembraneCE, Prediction: PredictMembraneMax},
		"count_mse":       {Criterion: LossCountMSE, CorrectRate: 0.8, IncorrectRate: 0.2},
		"ce+rate_l1":      {Criterion: LossMembraneCE, RateL1: 0.3},
		"ce+rate_bounds":  {Criterion: LossMembraneCE, RateMin: 0.4, RateMax: 0.05, BoundCost: 2},
	}
}

// varlenSamples returns 3 random spike sequences of 8 features, of 3, 7
// and 5 steps (spike probability 0.3), and their labels.
func varlenSamples(t *testing.T) *datasets.Sequences {
	rng := rand.New(rand.NewPCG(21, 0))
	var x [][]float32
	for _, L := range []int{3, 7, 5} {
		s := make([]float32, L*8)
		for i := range s {
			if rng.Float64() < 0.3 {
				s[i] = 1
			}
		}
		x = append(x, s)
	}
	ds, err := datasets.NewSequences(x, []int{2, 0, 1}, 8)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// padTo returns a batch of the samples idx of ds padded to steps steps,
// with Lengths set (also when no sample is shorter: the masked path).
func padTo(t *testing.T, ds *datasets.Sequences, idx []int, steps int) *datasets.Batch {
	b := datasets.NewBatch(steps, len(idx), ds.Features)
	if err := ds.Fill(b, idx); err != nil {
		t.Fatal(err)
	}
	for _, i := range idx {
		b.Lengths = append(b.Lengths, ds.SampleSteps(i))
	}
	copy(b.Index, idx)
	return b
}

// lossGrads runs a training step's forward and backward pass of net on b
// without an optimizer and returns the loss and a copy of every
// parameter's gradient (then zeroed).
func lossGrads(t *testing.T, net *layers.Sequential, obj Objective, b *datasets.Batch) (float32, [][]float32) {
	t.Helper()
	tape := autograd.NewTape()
	if err := usePadding(net, obj, b); err != nil {
		t.Fatal(err)
	}
	defer clearLengths(net)
	var l *autograd.Var
	if err := catch(func() {
		tr := net.Forward(tape, batchInput(tape, b, markCheck), 0)
		withLengths(tr, b)
		l = obj.Loss(tape, tr, b.Labels[:b.Size])
	}); err != nil {
		t.Fatal(err)
	}
	tape.Backward(l)
	var g [][]float32
	for _, p := range net.Params() {
		g = append(g, slices.Clone(p.Grad))
		clear(p.Grad)
	}
	return l.Item(), g
}

// TestPaddingChangesNoGradient is the claim of variable-length batching:
// for each network and each loss kind,
//
//  1. a sample alone at its own length (B = 1, Lengths set) and the same
//     sample padded with 4 steps give the same loss and every parameter's
//     gradient bit for bit: each layer maps a step on its own or scans
//     causally, the padding's gradient is exactly 0, and the weight
//     gradients' sums over rows only gain exact zero terms at their end;
//  2. the batch of the 3 samples padded to 7 steps and to 11 give the same
//     loss and gradients bit for bit, for the same reasons (but for the
//     conv layer's weight gradient, within 1e-6: see below);
//  3. the batch's loss and gradients are the batch mean (the loss's
//     normalisation) of each sample's alone, within 2e-6 of the largest
//     gradient of the parameter (float32 sums over at most 21 rows
//     regrouped: n·2⁻²⁴ ≈ 1.3e-6 of the summed magnitudes), for every loss
//     but the rate bounds, whose rates pool the batch by definition.
func TestPaddingChangesNoGradient(t *testing.T) {
	ds := varlenSamples(t)
	for netName, mk := range varlenNets() {
		for objName, obj := range varlenObjectives() {
			name := netName + "/" + objName
			net := mk()
			// 1. alone vs padded
			alone := make([][][]float32, 3)
			aloneLoss := make([]float32, 3)
			for i := range 3 {
				L := ds.SampleSteps(i)
				aloneLoss[i], alone[i] = lossGrads(t, net, obj, padTo(t, ds, []int{i}, L))
				l, g := lossGrads(t, net, obj, padTo(t, ds, []int{i}, L+4))
				if l != aloneLoss[i] || !equalGrads(g, alone[i]) {
					t.Errorf("%s: sample %d padded from %d to %d steps: loss %v, alone %v; gradients bit-identical: %v",
						name, i, L, L+4, l, aloneLoss[i], equalGrads(g, alone[i]))
				}
			}
			// 2. more padding
			l7, g7 := lossGrads(t, net, obj, padTo(t, ds, []int{0, 1, 2}, 7))
			l11, g11 := lossGrads(t, net, obj, padTo(t, ds, []int{0, 1, 2}, 11))
			// The conv layer's weight gradient is one SGEMM over
			// K = T·B·positions (convBack), whose blocking of K follows K:
			// its sums regroup, within 1e-6 of the largest gradient
			// (float32, K = 99 to 297 terms: K·2⁻²⁴ ≤ 2e-5 of the summed
			// magnitudes at worst; measured 1.5e-7).
			same := l7 == l11 && equalGrads(g7, g11)
			if netName == "conv" {
				same = l7 == l11 && relDiff(g7, g11) <= 1e-6
			}
			if !same {
				t.Errorf("%s: batch padded to 7 and 11 steps: loss %v and %v; gradients bit-identical: %v (largest difference %g of the largest gradient)", name, l7, l11, equalGrads(g7, g11), relDiff(g7, g11))
			}
			// The padding, if counted, would change the loss: the
			// comparisons above have teeth.
			if netName == "lif" && objName == "membrane_ce" {
				b := padTo(t, ds, []int{0, 1, 2}, 11)
				b.Lengths = nil
				if l, _ := lossGrads(t, net, obj, b); l == l11 {
					t.Errorf("%s: the padding counted gives the loss %v of the padding left out", name, l)
				}
			}
			// 3. the batch mean of the samples alone
			if objName == "ce+rate_bounds" {
				continue
			}
			want := float32((float64(aloneLoss[0]) + float64(aloneLoss[1]) + float64(aloneLoss[2])) / 3)
			if math.Abs(float64(l7-want)) > 2e-6*math.Abs(float64(want)) {
				t.Errorf("%s: batch loss %v, want the mean of the samples' own, %v", name, l7, want)
			}
			for p, param := range net.Params() {
				scale := 0.0
				for _, v := range g7[p] {
					scale = max(scale, math.Abs(float64(v)))
				}
				for j, v := range g7[p] {
					m := (float64(alone[0][p][j]) + float64(alone[1][p][j]) + float64(alone[2][p][j])) / 3
					if math.Abs(float64(v)-m) > 2e-6*scale {
						t.Errorf("%s: %s[%d]: batch gradient %v, want the mean of the samples' own, %v", name, param.Name, j, v, m)
						break
					}
				}
				if scale == 0 && p == 0 {
					t.Errorf("%s: %s has no gradient at all: the test checks nothing", name, param.Name)
				}
			}
		}
	}
}

// relDiff returns the largest difference between two sets of gradients,
// each relative to the largest magnitude of its parameter's gradient.
func relDiff(a, b [][]float32) float64 {
	d := 0.0
	for i := range a {
		scale, m := 0.0, 0.0
		for j := range a[i] {
			scale = max(scale, math.Abs(float64(a[i][j])))
			m = max(m, math.Abs(float64(a[i][j]-b[i][j])))
		}
		if m > 0 {
			d = max(d, m/scale)
		}
	}
	return d
}

func equalGrads(a, b [][]float32) bool {
	return slices.EqualFunc(a, b, func(x, y []float32) bool { return slices.Equal(x, y) })
}

// TestPaddingDropout: Dropout draws one mask per sample and feature, held
// over time, so the same batch padded to 7 and to 11 steps, with the same
// random source, trains with the same masks and gives the same gradients.
func TestPaddingDropout(t *testing.T) {
	ds := varlenSamples(t)
	lc := layers.LIFConfig{Beta: 0.9, Threshold: 0.5}
	net := layers.NewSequential(layers.NewLinear("fc1", 8, 6, layers.LinearConfig{}), layers.NewDropout("drop", 0.5),
		layers.NewLIF("hid", 6, lc), layers.NewLinear("fc2", 6, 3, layers.LinearConfig{}), layers.NewLIF("out", 3, lc))
	obj := Classification{Criterion: LossCountCE, RateL1: 0.1}
	run := func(steps int) (float32, [][]float32) {
		net.SetTraining(rand.New(rand.NewPCG(1, 2)))
		defer net.SetTraining(nil)
		return lossGrads(t, net, obj, padTo(t, ds, []int{0, 1, 2}, steps))
	}
	l7, g7 := run(7)
	l11, g11 := run(11)
	if l7 != l11 || !equalGrads(g7, g11) {
		t.Errorf("with Dropout: padded to 7 and 11 steps: loss %v and %v; gradients bit-identical: %v", l7, l11, equalGrads(g7, g11))
	}
}

// wrapped is an Objective that is not a LengthsReader.
type wrapped struct{ c Classification }

func (w wrapped) Loss(t *autograd.Tape, tr *layers.Trace, labels []int) *autograd.Var {
	return w.c.Loss(t, tr, labels)
}
func (w wrapped) Predict(tr *layers.Trace, dst []int) { w.c.Predict(tr, dst) }

// TestPaddingRefused: what would let the padding reach valid steps is
// refused with an error naming it.
func TestPaddingRefused(t *testing.T) {
	ds := varlenSamples(t)
	b := padTo(t, ds, []int{0, 1, 2}, 7)
	lc := layers.LIFConfig{Beta: 0.9}
	bn := func(mode layers.BNMode) *layers.Sequential {
		return layers.NewSequential(layers.NewLinear("fc1", 8, 6, layers.LinearConfig{}),
			layers.NewBatchNorm("bn1", 6, 6, layers.BatchNormConfig{Mode: mode, Steps: 7}), layers.NewLIF("hid", 6, lc))
	}
	for _, c := range []struct {
		name string
		net  Network
		obj  Objective
		want string
	}{
		{"batchnorm per step", bn(layers.BNPerStep), Classification{}, `batchnorm "bn1": mode = "per_step": keeps statistics per time step`},
		{"objective", varlenNets()["lif"](), wrapped{}, "needs an objective that counts only the valid steps (a LengthsReader); train.wrapped is not one"},
		{"network", newHandNet(1), Classification{}, "needs a network that takes the lengths (a SetLengths method, as layers.Sequential); *train.handNet has none"},
	} {
		err := usePadding(c.net, c.obj, b)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", c.name, err, c.want)
		}
	}
	// A batch without padding needs nothing.
	full := padTo(t, ds, []int{0}, 3)
	full.Lengths = nil
	if err := usePadding(newHandNet(1), wrapped{}, full); err != nil {
		t.Errorf("a batch without padding: %v", err)
	}
}

// TestPaddingBatchNorm: BatchNorm in training takes its statistics over
// the valid steps only, so the same batch padded to 7 and to 11 steps
// trains with the same loss and gradients, bit for bit (the sums skip the
// padded frames and keep the order of the others), and the running
// statistics move the same way.
func TestPaddingBatchNorm(t *testing.T) {
	ds := varlenSamples(t)
	lc := layers.LIFConfig{Beta: 0.9, Threshold: 0.5}
	for _, mode := range []layers.BNMode{layers.BNShared, layers.BNTD} {
		net := layers.NewSequential(layers.NewLinear("fc1", 8, 6, layers.LinearConfig{}),
			layers.NewBatchNorm("bn1", 2, 6, layers.BatchNormConfig{Mode: mode}), layers.NewLIF("hid", 6, lc),
			layers.NewLinear("fc2", 6, 3, layers.LinearConfig{}), layers.NewLIF("out", 3, lc))
		bn := net.Layers[1].(*layers.BatchNorm)
		run := func(steps int) (float32, [][]float32, []float32) {
			mean := slices.Clone(bn.Mean.Data)
			net.SetTraining(rand.New(rand.NewPCG(1, 2)))
			defer net.SetTraining(nil)
			l, g := lossGrads(t, net, Classification{Criterion: LossMembraneCE, RateL1: 0.1}, padTo(t, ds, []int{0, 1, 2}, steps))
			moved := slices.Clone(bn.Mean.Data)
			copy(bn.Mean.Data, mean)
			return l, g, moved
		}
		l7, g7, m7 := run(7)
		l11, g11, m11 := run(11)
		if l7 != l11 || !equalGrads(g7, g11) || !slices.Equal(m7, m11) {
			t.Errorf("%s: padded to 7 and 11 steps: loss %v and %v; gradients bit-identical: %v; running means %v and %v",
				mode, l7, l11, equalGrads(g7, g11), m7, m11)
		}
	}
}

// TestEvaluateVarLen evaluates a network on variable-length sequences in
// padded batches of 3 and alone (batches of 1, no padding): the same
// predictions, the same mean loss and firing rates within 1e-6 relative
// (float64 sums of the same float32 terms, batch means regrouped).
func TestEvaluateVarLen(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	var x [][]float32
	var labels []int
	for i := range 12 {
		L := 2 + (5*i)%9
		s := make([]float32, L*8)
		for j := range s {
			if rng.Float64() < 0.3 {
				s[j] = 1
			}
		}
		x, labels = append(x, s), append(labels, i%3)
	}
	ds, err := datasets.NewSequences(x, labels, 8)
	if err != nil {
		t.Fatal(err)
	}
	net := varlenNets()["rlif"]()
	obj := Classification{Criterion: LossCountCE}
	batched, err := Evaluate(net, ds, EvalOptions{BatchSize: 3, Objective: obj})
	if err != nil {
		t.Fatal(err)
	}
	alone, err := Evaluate(net, ds, EvalOptions{BatchSize: 1, Objective: obj})
	if err != nil {
		t.Fatal(err)
	}
	if batched.Accuracy != alone.Accuracy || fmt.Sprint(batched.Confusion) != fmt.Sprint(alone.Confusion) {
		t.Errorf("accuracy %v batched, %v alone; confusion %v and %v", batched.Accuracy, alone.Accuracy, batched.Confusion, alone.Confusion)
	}
	if math.Abs(batched.Loss-alone.Loss) > 1e-6*math.Abs(alone.Loss) {
		t.Errorf("loss %v batched, %v alone", batched.Loss, alone.Loss)
	}
	for i, r := range batched.Rates {
		if a := alone.Rates[i]; math.Abs(r.Rate-a.Rate) > 1e-9 {
			t.Errorf("layer %s: rate %v batched, %v alone", r.Layer, r.Rate, a.Rate)
		}
	}
	if len(batched.Rates) != 2 || batched.Rates[0].Rate == 0 {
		t.Errorf("rates %+v: want the hidden layer's not 0 (else they check nothing)", batched.Rates)
	}
}

// TestFitVarLen trains on sequences of their own lengths, bucketed, for
// two epochs: the loop passes the lengths through (a BatchNorm per step
// is refused naming the layer, which shows that the check runs in Fit).
func TestFitVarLen(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	mk := func(n int) *datasets.Sequences {
		var x [][]float32
		var labels []int
		for i := range n {
			L := 3 + rng.IntN(8)
			s := make([]float32, L*8)
			for j := range s {
				if rng.Float64() < 0.1+0.1*float64(i%3) { // the class sets the rate
					s[j] = 1
				}
			}
			x, labels = append(x, s), append(labels, i%3)
		}
		ds, err := datasets.NewSequences(x, labels, 8)
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
	data := &DataSplits{Train: mk(48), Test: mk(12), Classes: 3, Features: 8}
	net := varlenNets()["lif"]()
	adam := func(n *layers.Sequential) optim.Optimizer {
		o, err := optim.NewAdam(n.Params(), optim.AdamConfig{LR: 0.01})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	res, err := Fit(context.Background(), net, data, adam(net), Classification{Criterion: LossCountCE},
		Epochs(2), BatchSize(8), BucketByLength(3), WithRunDir(t.TempDir()), WithLog(io.Discard, ProgressOff))
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 12 {
		t.Errorf("%d steps, want 2 epochs of 48/8", res.Steps)
	}
	lc := layers.LIFConfig{Beta: 0.9}
	bnNet := layers.NewSequential(layers.NewLinear("fc1", 8, 6, layers.LinearConfig{}),
		layers.NewBatchNorm("bn1", 6, 6, layers.BatchNormConfig{Mode: layers.BNPerStep, Steps: 10}), layers.NewLIF("hid", 6, lc),
		layers.NewLinear("fc2", 6, 3, layers.LinearConfig{}), layers.NewLIF("out", 3, lc))
	_, err = Fit(context.Background(), bnNet, data, adam(bnNet), Classification{},
		Epochs(1), BatchSize(8), WithRunDir(t.TempDir()), WithLog(io.Discard, ProgressOff))
	if err == nil || !strings.Contains(err.Error(), `train: step 0: a batch of variable-length sequences (padded to`) ||
		!strings.Contains(err.Error(), `batchnorm "bn1": mode = "per_step"`) {
		t.Errorf("BatchNorm per step: err = %v", err)
	}
}
