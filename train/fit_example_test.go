package train_test

import (
	"context"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/spikegrad/spikegrad/layers"
	"github.com/spikegrad/spikegrad/optim"
	"github.com/spikegrad/spikegrad/rundir"
	"github.com/spikegrad/spikegrad/surrogate"
	"github.com/spikegrad/spikegrad/train"
)

// ExampleFit trains a network built in code on a small Randman task (10
// classes of 40 sequences of 20 steps over 20 inputs) for two epochs in
// batches of 32, with a cosine learning-rate schedule and a checkpoint every
// 5 steps, then resumes the finished run for a third epoch.
func ExampleFit() {
	dir, err := os.MkdirTemp("", "fit")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	dc := train.DefaultConfig().Data
	dc.RandmanSamples, dc.RandmanUnits, dc.RandmanSteps = 40, 20, 20
	data, err := train.LoadData(context.Background(), dc, 0, nil)
	if err != nil {
		log.Fatal(err)
	}

	newRun := func() (train.Network, optim.Optimizer, train.Objective) {
		rng := rand.New(rand.NewPCG(0, 1))
		lif := layers.LIFConfig{Beta: 0.95, Surrogate: surrogate.FastSigmoid{Slope: 25}} // threshold 1
		net := layers.NewSequential(
			layers.NewLinear("fc1", data.Features, 32, layers.LinearConfig{RNG: rng}),
			layers.NewLIF("lif1", 32, lif),
			layers.NewLinear("fc2", 32, data.Classes, layers.LinearConfig{RNG: rng}),
			layers.NewLI("out", data.Classes, layers.LIConfig{Beta: 0.95}),
		)
		opt, _ := optim.NewAdam(net.Params(), optim.AdamConfig{LR: 2e-3}) // PyTorch's betas and eps
		obj := train.Classification{Criterion: train.LossMaxMembraneCE, Prediction: train.PredictMembraneMax}
		return net, opt, obj
	}
	net, opt, obj := newRun()
	res, err := train.Fit(context.Background(), net, data, opt, obj,
		train.WithRunDir(dir), train.Epochs(2), train.BatchSize(32), train.CheckpointEvery(5),
		train.WithSchedule(optim.CosineAnnealingLR{Base: 2e-3, TMax: 30}))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d epochs, %d steps\n", res.Epochs, res.Steps)

	// The same network, optimizer and options, built anew: one more epoch.
	net, opt, obj = newRun()
	res, err = train.Fit(context.Background(), net, data, opt, obj,
		train.WithRunDir(dir), train.Epochs(3), train.BatchSize(32), train.CheckpointEvery(5),
		train.WithSchedule(optim.CosineAnnealingLR{Base: 2e-3, TMax: 30}), train.Resume())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d epochs, %d steps\n", res.Epochs, res.Steps)
	for _, f := range []string{rundir.MetricsFile, rundir.LastCheckpoint, rundir.BestCheckpoint, rundir.ModelArch, rundir.ModelWeights} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			fmt.Println(f)
		}
	}
	// Output:
	// 2 epochs, 20 steps
	// 3 epochs, 30 steps
	// metrics.jsonl
	// checkpoints/last.safetensors
	// checkpoints/best.safetensors
	// model/model.json
	// model/weights.safetensors
}
