// Package layers holds the building blocks of spiking networks: Linear,
// Conv2d and Conv1d, the pools MaxPool2d, AvgPool2d and SumPool2d, Flatten,
// Dropout (with its mask held over time; see Sequential.SetTraining),
// BatchNorm (batch normalisation through time: shared statistics, BNTT's
// per-step ones, tdBN; running statistics for inference),
// the neuron models LIF, Synaptic and LI and their recurrent forms RLIF and
// RSynaptic, IF, the adaptive neurons ALIF, AdLIF and its recurrent form
// RadLIF, the parametric PLIF, the spike response model SRM with SLAYER's kernels, the
// learnable axonal Delay, initialisers and Sequential, and
// Build, which makes a network from a saved model (package model).
//
// # Building a network
//
// Constructors take the layer's name, its sizes and a config struct whose
// zero fields mean the documented defaults; they return the layer:
//
//	rng := rand.New(rand.NewPCG(0, 1))
//	net := layers.NewSequential(
//		layers.NewLinear("fc1", 784, 1000, layers.LinearConfig{RNG: rng}),
//		layers.NewLIF("lif1", 1000, layers.LIFConfig{Beta: 0.95}),
//		layers.NewLinear("fc2", 1000, 10, layers.LinearConfig{RNG: rng}),
//		layers.NewLIF("lif2", 10, layers.LIFConfig{Beta: 0.95}),
//	)
//
// LinearConfig{} is PyTorch's nn.Linear (a bias, PyTorch's initialisation);
// LIFConfig's zero Threshold is 1, its nil Surrogate the fast sigmoid, its
// zero Reset ResetSubtract. The decay factors Beta and Alpha have no
// default: zero is a valid decay (no memory). A size below 1 or a value
// outside its domain is a programmer error: the constructor panics with a
// *ConfigError that names the layer and the field.
//
// Every layer has a Spec, its model.Layer, and Sequential.Model describes
// the whole network. Build makes the network again from a model.Model and
// returns errors instead of panicking, since a model comes from a file.
// Each layer type registers its model kind in its own file, so that a new
// layer is one file here plus its payload type in package model.
//
// # Execution
//
// Feed-forward layers run over the whole sequence [T, B, N] at once; neuron
// layers scan their state over T in one fused kernel (Scan, Run). For an
// input constant over time, Sequential.Forward computes the layers before
// the first neuron layer once and LIF.ScanConst takes the constant input
// without repeating it.
//
// A batch of variable-length sequences is padded with zeros at the end of
// each shorter one. Per-step layers and causal scans keep the padding out of
// the valid steps, so Forward needs no mask; only BatchNorm's training
// statistics must leave the padding out: Sequential.SetLengths gives it the
// lengths (mode per_step refuses them), and Trace.Lengths carries them to
// the losses.
//
// # Images
//
// A sequence is always [T, B, F]. A convolution or pooling layer takes the
// number of channels and the image size from its config (C, H, W) and reads
// the feature axis as C·H·W values, channel-major: feature c·H·W + y·W + x,
// which is PyTorch's NCHW image flattened. Its output is laid out the same
// way, so layers chain, and a Linear layer after them (with a Flatten to
// mark the change of layout, which moves nothing) sees PyTorch's
// nn.Flatten order. Neuron layers after a convolution have one neuron per
// output value, Out·OH·OW. A convolution runs over all T·B frames at once:
// im2col, then one SGEMM per group.
//
// A spiking conv net for 28×28 images:
//
//	net := layers.NewSequential(
//		layers.NewConv2d("conv1", 1, 28, 28, 8, [2]int{3, 3}, layers.Conv2dConfig{Padding: [2]int{1, 1}}),
//		layers.NewLIF("lif1", 8*28*28, layers.LIFConfig{Beta: 0.9}),
//		layers.NewSumPool2d("pool1", 8, 28, 28, [2]int{2, 2}, layers.Pool2dConfig{}),
//		layers.NewFlatten("flat", 8*14*14),
//		layers.NewLinear("fc", 8*14*14, 10, layers.LinearConfig{}),
//		layers.NewLI("out", 10, layers.LIConfig{Beta: 0.9}),
//	)
//
// # Neuron models
//
// Each model is a layer type, a config and a state: LIF, LIFConfig,
// LIFState; Synaptic, SynapticConfig, SynapticState; LI, LIConfig, LIState.
// Every one satisfies Stateful: Step is one time step, the model's
// definition written with tape ops; Run is the fused multi-step scan from a
// given state to the state after the last step; the zero state value is
// the resting state. Layers hold no state: the caller owns it. The doc
// comment of each type states its update equations, reset rule and source.
//
// # Recurrent layers
//
// RLIF and RSynaptic feed each neuron's spikes of one step back into the
// input current of the next, through a recurrent weight: a matrix V [N, N]
// (all to all, the default) or one weight per neuron (OneToOne). Their
// input is the already projected current, so a recurrent network is a
// Linear (one product over the whole sequence) followed by the recurrent
// layer, which steps only the recurrence:
//
//	net := layers.NewSequential(
//		layers.NewLinear("fc1", 700, 256, layers.LinearConfig{RNG: rng}),
//		layers.NewRLIF("rec", 256, layers.LIFConfig{Beta: 0.95}, layers.RecurrentConfig{RNG: rng}),
//		layers.NewLinear("fc2", 256, 20, layers.LinearConfig{RNG: rng}),
//		layers.NewLI("out", 20, layers.LIConfig{Beta: 0.9}),
//	)
//
// Their state types are LIFState and SynapticState: the last spikes the
// state holds are what the next step feeds back. Run is one fused scan over
// the whole sequence (one tape entry): only the recurrent product and the
// neuron update are stepped, the product event-driven while the spikes are
// sparse, and the recurrent weight's gradient is one product over the
// sequence after the backward time loop.
//
// # Adaptive neurons
//
// ALIF (LSNN) raises its threshold after each spike; AdLIF and RadLIF
// (Bittar and Garner 2022, their code sparch) subtract an adaptation
// current w driven by the membrane and the spikes, with their parameters
// per neuron, clamped to ranges and trained, and the boxcar surrogate by
// default; PLIF learns its time constant. ALIF, AdLIF and PLIF run as one
// fused scan, RadLIF as one fused recurrent scan as the recurrent layers
// above. A network for SHD's 700 inputs and 20 classes:
//
//	net := layers.NewSequential(
//		layers.NewLinear("fc1", 700, 128, layers.LinearConfig{NoBias: true, RNG: rng}),
//		layers.NewRadLIF("rec1", 128, layers.AdLIFConfig{RNG: rng}),
//		layers.NewLinear("fc2", 128, 20, layers.LinearConfig{NoBias: true, RNG: rng}),
//		layers.NewLI("out", 20, layers.LIConfig{Beta: 0.9}),
//	)
//
// # Temporal kernels and delays
//
// SRM neurons (Shrestha and Orchard 2018's SLAYER) filter their input with
// a PSP kernel and their own spikes with a refractory kernel, both
// truncated alpha kernels spanning many steps: Scan computes the PSP of the
// whole sequence as one causal convolution (banded Toeplitz SGEMMs over all
// B·N neurons) and steps only the refractory response. Their state,
// SRMState, holds the kernels' histories. Delay shifts each feature by a
// learnable whole number of steps (lava-dl's axonal delay), with a gradient
// for the delay from the output's temporal difference; its state,
// DelayState, holds the last MaxDelay inputs. A delay acts per feature, so
// delays per synapse are a Linear that fans each input out, the Delay, and
// a Linear that mixes the delayed copies:
//
//	net := layers.NewSequential(
//		layers.NewLinear("fan", 2, 16, layers.LinearConfig{RNG: rng}),
//		layers.NewDelay("delay", 16, layers.DelayConfig{MaxDelay: 8}),
//		layers.NewLinear("mix", 16, 2, layers.LinearConfig{RNG: rng}),
//		layers.NewSRM("out", 2, layers.SRMConfig{Threshold: 1}),
//	)
//
// # Memory over time: windows, checkpointing, truncation
//
// Backpropagation through time keeps every step of every layer on the
// tape, so a step's memory grows with T. Sequential.ForwardWindows runs
// the sequence in windows of K steps instead, each neuron layer's state
// carried from one window to the next through its Stateful Run (layers
// without state, such as Linear, run on one window at a time). With
// Windows.Checkpoint the forward pass keeps only the states at the window
// boundaries and the network's output; the backward pass recomputes each
// window from its state on a second tape, last window first, and gets the
// same gradients as the windows kept on the tape, bit for bit, for one
// more forward pass; with K = ⌈√T⌉ the memory grows as √T. With
// Windows.Truncate the state is detached between windows (truncated BPTT,
// an approximation: no gradient crosses a window boundary). Delay carries
// its DelayState between windows like a neuron; BatchNorm, whose
// statistics span the sequence, does not run in windows, and CheckWindows
// names it.
//
//	tr := net.ForwardWindows(tape, x, 0, layers.Windows{K: 10, Checkpoint: true})
//	tape.Backward(loss.MembraneCE(tape, tr.Mem(), labels))
//
// # Examples
//
// Example runs a small network and lists its trace and parameters,
// ExampleLIF_Step steps a LIF layer by hand and compares the result with
// Run, and ExampleBuild makes a network again from its model.
package layers
