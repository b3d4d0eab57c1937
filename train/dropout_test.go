package train

import (
	"bytes"
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/spikegrad/spikegrad/layers"
	"github.com/spikegrad/spikegrad/optim"
	"github.com/spikegrad/spikegrad/rundir"
	"github.com/spikegrad/spikegrad/surrogate"
)

// TestFitDropoutResume trains a network with a Dropout layer, stops it in
// its second epoch, resumes it with everything built anew, and compares
// the final weights and checkpoints with an uninterrupted run bit for bit:
// the masks of a step depend on the seed and the step alone. A run whose
// Dropout has P = 0 ends with other weights (the masks act in training),
// and after Fit the layer is back in inference mode.
func TestFitDropoutResume(t *testing.T) {
	data, err := LoadData(context.Background(), tinyConfig().Data, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	var last *layers.Dropout
	fit := func(dir string, p float32, extra ...FitOption) *Result {
		t.Helper()
		rng := rand.New(rand.NewPCG(7, 1))
		lc := layers.LIFConfig{Beta: 0.9, Surrogate: surrogate.FastSigmoid{Slope: 25}}
		last = layers.NewDropout("drop", p)
		net := layers.NewSequential(
			layers.NewLinear("fc1", 20, 16, layers.LinearConfig{RNG: rng}),
			layers.NewLIF("lif1", 16, lc),
			last,
			layers.NewLinear("fc2", 16, 10, layers.LinearConfig{RNG: rng}),
			layers.NewLIF("lif2", 10, lc))
		opt, err := optim.NewAdam(net.Params(), optim.AdamConfig{LR: 2e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
		if err != nil {
			t.Fatal(err)
		}
		obj := Classification{Criterion: LossCountCE, Prediction: PredictSpikeCount}
		opts := append([]FitOption{WithRunDir(dir), Seed(5), Epochs(2), BatchSize(32), CheckpointEvery(4), WithClock(fixedClock())}, extra...)
		res, err := Fit(context.Background(), net, data, opt, obj, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	ref, dir, none := t.TempDir(), t.TempDir(), t.TempDir()
	want := fit(ref, 0.5)
	if last.Training() {
		t.Error("the Dropout layer is still in training mode after Fit")
	}
	if res := fit(dir, 0.5, MaxSteps(tinyBatches+3)); res.Stopped != "max steps" {
		t.Fatalf("stopped: %+v", res)
	}
	got := fit(dir, 0.5, Resume())
	if got.Steps != want.Steps || got.TestLoss != want.TestLoss || got.TestAccuracy != want.TestAccuracy {
		t.Errorf("resumed: %+v, want %+v", got, want)
	}
	weights := func(d string) []byte { return readFile(t, filepath.Join(d, rundir.ModelWeights)) }
	if !bytes.Equal(weights(ref), weights(dir)) {
		t.Error("final weights of the resumed run differ")
	}
	sameCheckpoints(t, filepath.Join(ref, rundir.LastCheckpoint), filepath.Join(dir, rundir.LastCheckpoint))
	fit(none, 0)
	if bytes.Equal(weights(ref), weights(none)) {
		t.Error("P = 0.5 and P = 0 trained the same weights: no mask acted in training")
	}
}
