package layers_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/layers"
	"github.com/spikegrad/spikegrad/model"
)

// A network of two Linear layers, a hidden LIF layer and a leaky-integrator
// read-out, run on a batch of two inputs presented for 5 time steps. The
// trace holds every layer's output; the parameters are named after their
// layers.
func Example() {
	rng := rand.New(rand.NewPCG(0, 1))
	net := layers.NewSequential(
		layers.NewLinear("fc1", 4, 8, layers.LinearConfig{RNG: rng}),
		layers.NewLIF("lif1", 8, layers.LIFConfig{Beta: 0.9}),
		layers.NewLinear("fc2", 8, 3, layers.LinearConfig{RNG: rng}),
		layers.NewLI("out", 3, layers.LIConfig{Beta: 0.9}),
	)
	tape := autograd.NewTape()
	x := tape.Constant([]float32{1, 0, 1, 0, 0, 1, 0, 1}, 2, 4) // [B, F], the same at every step
	tr := net.Forward(tape, x, 5)
	for _, lt := range tr.Layers {
		fmt.Println(lt.Name, lt.Out.Shape(), "neuron:", lt.Neuron)
	}
	for _, p := range net.Params() {
		fmt.Println(p.Name, p.Shape())
	}
	// Output:
	// fc1 [2 8] neuron: false
	// lif1 [5 2 8] neuron: true
	// fc2 [5 2 3] neuron: false
	// out [5 2 3] neuron: true
	// fc1.weight [4 8]
	// fc1.bias [8]
	// lif1.beta [1]
	// lif1.threshold [1]
	// fc2.weight [8 3]
	// fc2.bias [3]
	// out.beta [1]
}

// Step is the neuron's definition, one time step at a time with the state
// carried by the caller; Run is the same dynamics over a whole sequence in
// one fused scan. With Beta 0.5 and the default threshold 1 and subtractive
// reset, a constant input of 0.6 fires at the third step (0.6, 0.9, 1.05)
// and one of 1.2 at the first and the third (1.2, 0.8, 1.6); the reset
// follows at the next step.
func ExampleLIF_Step() {
	lif := layers.NewLIF("lif", 2, layers.LIFConfig{Beta: 0.5})
	tape := autograd.NewTape()
	in := []float32{0.6, 1.2, 0.6, 1.2, 0.6, 1.2, 0, 0} // [T=4, B=1, N=2]
	var s layers.LIFState                               // the zero state: at rest
	for t := range 4 {
		var spk *autograd.Var
		spk, s = lif.Step(tape, tape.Constant(in[2*t:2*t+2], 1, 2), s)
		fmt.Printf("t=%d spikes %v membrane %.3f\n", t, spk.Data, s.Mem.Data)
	}
	_, _, next := lif.Run(tape, tape.Constant(in, 4, 1, 2), layers.LIFState{})
	fmt.Printf("Run: membrane %.3f\n", next.Mem.Data)
	// Output:
	// t=0 spikes [0 1] membrane [0.600 1.200]
	// t=1 spikes [0 0] membrane [0.900 0.800]
	// t=2 spikes [1 1] membrane [1.050 1.600]
	// t=3 spikes [0 0] membrane [-0.475 -0.200]
	// Run: membrane [-0.475 -0.200]
}

// Build makes a network again from its model, the form in which model.Save
// stores it; layers.Sequential.Model describes a network as one.
func ExampleBuild() {
	net := layers.NewSequential(
		layers.NewLinear("fc1", 784, 100, layers.LinearConfig{}),
		layers.NewSynaptic("syn1", 100, layers.SynapticConfig{Alpha: 0.9, LIFConfig: layers.LIFConfig{Beta: 0.8}}),
		layers.NewLinear("fc2", 100, 10, layers.LinearConfig{NoBias: true}),
		layers.NewLI("out", 10, layers.LIConfig{Beta: 0.95}),
	)
	m := net.Model()
	again, err := layers.Build(m, rand.New(rand.NewPCG(0, 1)))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, l := range again.Layers {
		fmt.Printf("%s %T\n", l.Name(), l)
	}
	// A model from a file may hold a value that no layer accepts:
	m.Layers[1] = model.NewLayer("syn1", model.Synaptic{LIF: model.LIF{N: 100, Beta: 1.5, Threshold: 1,
		Reset: model.ResetSubtract, Surrogate: model.Surrogate{Name: "fast_sigmoid"}}, Alpha: 0.9})
	_, err = layers.Build(m, nil)
	fmt.Println(err)
	// Output:
	// fc1 *layers.Linear
	// syn1 *layers.Synaptic
	// fc2 *layers.Linear
	// out *layers.LI
	// model: layer 1 "syn1" (synaptic): beta = 1.5: must be in [0, 1]
}

// A BatchNorm layer over 2 channels of 2 values each, in training (batch
// statistics, the running ones updated once per Forward) and in inference
// (the running statistics). Its running statistics are frozen Params,
// saved with the weights. By hand (PyTorch's rule, momentum 0.1): channel
// 1 has μ = 20, σ² = 100 (unbiased 133.3), so the running mean becomes
// 0.1·20 = 2 and the running variance 0.9 + 0.1·133.3 = 14.233; in
// inference 10 maps to (10 − 2)/√14.233 = 2.120.
func ExampleNewBatchNorm() {
	bn := layers.NewBatchNorm("bn", 2, 4, layers.BatchNormConfig{})
	tape := autograd.NewTape()
	// [T = 2, B = 1, F = 4]: channel 0 holds 1, 2, 3, 4; channel 1 holds 10, 10, 30, 30.
	x := tape.Constant([]float32{1, 2, 10, 10, 3, 4, 30, 30}, 2, 1, 4)
	bn.SetTraining(rand.New(rand.NewPCG(0, 1))) // train.Fit does this for each training step
	fmt.Printf("training:  %.3f\n", bn.Forward(tape, x).Data)
	fmt.Printf("running mean %.3f, variance %.3f\n", bn.Mean.Data, bn.Var.Data)
	bn.SetTraining(nil)
	fmt.Printf("inference: %.3f\n", bn.Forward(tape, x).Data)
	for _, p := range bn.Params() {
		fmt.Println(p.Name, p.Shape(), "frozen:", p.Frozen)
	}
	// Output:
	// training:  [-1.342 -0.447 -1.000 -1.000 0.447 1.342 1.000 1.000]
	// running mean [0.250 2.000], variance [1.067 14.233]
	// inference: [0.726 1.694 2.120 2.120 2.663 3.631 7.422 7.422]
	// bn.weight [2] frozen: false
	// bn.bias [2] frozen: false
	// bn.running_mean [2] frozen: true
	// bn.running_var [2] frozen: true
}
