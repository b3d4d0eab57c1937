package spikegrad_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/datasets"
	"github.com/spikegrad/spikegrad/layers"
	"github.com/spikegrad/spikegrad/loss"
	"github.com/spikegrad/spikegrad/optim"
	"github.com/spikegrad/spikegrad/surrogate"
	"github.com/spikegrad/spikegrad/train"
)

// Example_tutorial is snnTorch's tutorial 5 written with the library: a
// 784-1000-10 network of leaky integrate-and-fire neurons trained for one
// epoch of MNIST with backpropagation through time. It needs the MNIST files
// (see datasets.Resolve); `spikegrad train --config examples/mnist-tutorial.yaml`
// runs the same recipe from a config.
func Example_tutorial() {
	const T = 25 // time steps
	rng := rand.New(rand.NewPCG(0, 1))
	lif := layers.LIFConfig{Beta: 0.95, Surrogate: surrogate.FastSigmoid{Slope: 25}} // threshold 1
	net := layers.NewSequential(
		layers.NewLinear("fc1", 784, 1000, layers.LinearConfig{RNG: rng}), // PyTorch's init, with a bias
		layers.NewLIF("lif1", 1000, lif),
		layers.NewLinear("fc2", 1000, 10, layers.LinearConfig{RNG: rng}),
		layers.NewLIF("lif2", 10, lif),
	)
	opt, _ := optim.NewAdam(net.Params(), optim.AdamConfig{LR: 5e-4, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})

	mnist, err := datasets.Load("mnist", datasets.Train, datasets.ResolveOptions{}, datasets.ImageOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	loader, _ := datasets.NewLoader(mnist, datasets.LoaderConfig{BatchSize: 128, Shuffle: true, DropLast: true}, rng)
	tape := autograd.NewTape()
	epoch := loader.Epoch(context.Background())
	defer epoch.Close()
	for epoch.Next() {
		b := epoch.Batch()
		tape.Reset()
		x := tape.Constant(b.X, b.Size, 784) // the image: input current at every step
		tr := net.Forward(tape, x, T)        // spikes tr.Out and membranes tr.Mem(): [T, B, 10]
		// Σ_t CrossEntropy(mem[t], y), snnTorch's tutorial loss.
		tape.Backward(loss.MembraneCE(tape, tr.Mem(), b.Labels[:b.Size]))
		opt.Step()
		opt.ZeroGrad()
	}

	test, err := datasets.Load("mnist", datasets.Test, datasets.ResolveOptions{}, datasets.ImageOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	obj := train.Classification{Criterion: train.LossMembraneCE, Prediction: train.PredictSpikeCount}
	ev, _ := train.Evaluate(net, test, train.EvalOptions{Steps: T, BatchSize: 500, Objective: obj})
	fmt.Printf("test accuracy %.1f%%\n", 100*ev.Accuracy)
}
