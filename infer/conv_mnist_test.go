package infer_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/datasets"
	"github.com/spikegrad/spikegrad/infer"
	"github.com/spikegrad/spikegrad/layers"
)

// TestConvEqualityMNIST trains a small conv net (conv 3×3 stride 2 →
// 8×14×14, LIF, max pool, conv 3×3 → 12×7×7, LIF, flatten, linear, LI) for
// 40 steps of 64 MNIST images over 6 steps with the image as input current,
// and runs the first 2000 test images through the training forward and the
// engine: every layer's output and membrane at every step must be equal bit
// for bit up to the flatten layer (the first convolution runs densely on the
// image, once; the second event by event on the max-pooled spikes, or
// densely above EventActivity, the same bits either way). The Linear
// read-out's currents may differ by float32 rounding where the two sides
// pick other summation paths (as in TestEqualityMNIST): they must lie
// within the rounding bound, and the predictions may differ only on
// near-ties.
func TestConvEqualityMNIST(t *testing.T) {
	dir := mnistDir(t)
	const T, B, N = 6, 250, 2000
	rng := rand.New(rand.NewPCG(0, 1))
	net := mnistConvNet(rng)
	trainImages(t, net, "mnist", dir, rng, 40, 64, T, 2e-3)
	ro := datasets.ResolveOptions{Dir: dir, Offline: true}
	tape := autograd.NewTape()
	test, err := datasets.Load("mnist", datasets.Test, ro, datasets.ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := infer.New(export(net, T, infer.Encoding{Name: infer.EncodingDirect}, infer.ReadoutMembraneSum))
	if err != nil {
		t.Fatal(err)
	}
	s := e.NewState(B)
	var tr infer.Trace
	batch := datasets.NewBatch(1, B, 784)
	idx := make([]int, B)
	pred := make([]int, B)
	correct, values, spikes, curDiff, predDiff := 0, 0, 0.0, 0, 0
	fc := net.Layers[6].(*layers.Linear)
	if fc.Name() != "fc" {
		t.Fatalf("layer 6 is %s, want fc", fc.Name())
	}
	for start := 0; start < N; start += B {
		for i := range idx {
			idx[i] = start + i
		}
		if err := test.Fill(batch, idx); err != nil {
			t.Fatal(err)
		}
		tape.Reset()
		ref := forwardRef(tape, net, batch.X, true, false, T, B, 784)
		if err := e.Forward(s, batch.X, T, true, false, pred, &tr); err != nil {
			t.Fatal(err)
		}
		for li, rl := range ref.Layers[:6] { // conv1 to flat: bit for bit
			out := tr.Layers[li].Out
			if n := len(rl.Out.Data); n*T == len(out) { // conv1 runs once on the constant image
				out = out[:n]
			}
			if !slices.Equal(rl.Out.Data, out) || rl.Mem != nil && !slices.Equal(rl.Mem.Data, tr.Layers[li].Mem) {
				t.Fatalf("test images %d to %d: layer %s differs", start, start+B-1, rl.Name)
			}
			values += len(out)
			if li == 1 || li == 4 {
				for _, v := range out {
					spikes += float64(v)
				}
			}
		}
		// fc may sum its 588 spike inputs in another order than the
		// training side (which picks its product's path from an estimate of
		// the activity, and for 10 outputs a dense product runs Sgemm's
		// 16-lane dot products): its currents must lie within the rounding
		// bound 2·γ_K·(Σ_k |h_k·W_kj| + |b_j|), K = 589 (see compare).
		h, cur := ref.Layers[5].Out.Data, ref.Layers[6].Out.Data
		for i, v := range cur {
			j, row := i%10, i/10
			S := math.Abs(float64(fc.Bias.Data[j]))
			for k := range 588 {
				S += math.Abs(float64(h[row*588+k]) * float64(fc.Weight.Data[k*10+j]))
			}
			if d := math.Abs(float64(v) - float64(tr.Layers[6].Out[i])); d > 2*gamma(589)*S {
				t.Fatalf("fc output %d: %v, engine %v: |difference| %.3g exceeds the rounding bound %.3g", i, v, tr.Layers[6].Out[i], d, 2*gamma(589)*S)
			}
			if v != tr.Layers[6].Out[i] {
				curDiff++
			}
		}
		// The read-out: the sum over steps of the li membrane, argmax; a
		// prediction may differ only between classes whose scores lie
		// within 1e-5 of each other (relative), far above the rounding.
		mem := ref.Layers[len(ref.Layers)-1].Mem.Data
		for b := range B {
			score := make([]float32, 10)
			best := 0
			for c := range 10 {
				for step := range T {
					score[c] += mem[(step*B+b)*10+c]
				}
				if score[c] > score[best] {
					best = c
				}
			}
			if best != pred[b] {
				predDiff++
				if gap := math.Abs(float64(score[best] - score[pred[b]])); gap > 1e-5*math.Abs(float64(score[best])) {
					t.Errorf("test image %d: training predicts %d, engine %d, with scores %v apart", start+b, best, pred[b], gap)
				}
			}
			if pred[b] == batch.Labels[b] {
				correct++
			}
		}
	}
	t.Logf("%d test images: conv1 to flat: %d values compared, all equal; %.1f spikes per image (lif1, lif2); "+
		"fc: %d of %d currents differ by rounding (within the bound); %d predictions differ; accuracy %.1f %%",
		N, values, spikes/N, curDiff, N*T*10, predDiff, 100*float64(correct)/N)
	if spikes == 0 {
		t.Fatal("no spikes: the comparison says little")
	}
}

// mnistConvNet is a small conv net on MNIST images: conv 3×3 stride 2 →
// 8×14×14, LIF, 2×2 max pool, conv 3×3 → 12×7×7, LIF, flatten, linear, LI.
func mnistConvNet(rng *rand.Rand) *layers.Sequential {
	lif := layers.LIFConfig{Beta: 0.9}
	return layers.NewSequential(
		layers.NewConv2d("conv1", 1, 28, 28, 8, [2]int{3, 3}, layers.Conv2dConfig{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, RNG: rng}),
		layers.NewLIF("lif1", 8*14*14, lif),
		layers.NewMaxPool2d("pool1", 8, 14, 14, [2]int{2, 2}, layers.Pool2dConfig{}),
		layers.NewConv2d("conv2", 8, 7, 7, 12, [2]int{3, 3}, layers.Conv2dConfig{Padding: [2]int{1, 1}, RNG: rng}),
		layers.NewLIF("lif2", 12*7*7, lif),
		layers.NewFlatten("flat", 588),
		layers.NewLinear("fc", 588, 10, layers.LinearConfig{RNG: rng}),
		layers.NewLI("out", 10, layers.LIConfig{Beta: 0.9}))
}
