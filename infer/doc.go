// Package infer runs trained networks for inference: an exported model
// format that carries everything needed to run a network on its own, and an
// event-driven engine that reproduces the training forward pass spike for
// spike while doing only the work that spikes cause, and counts that work.
//
// # The exported model
//
// A Model is a model.Model (the architecture of the training side,
// unchanged: the same layer kinds and configs as model.json) with its
// weights, plus what the training configuration adds to run it: the number
// of time steps, the input encoding and the read-out rule. Save writes it as
// one safetensors file (spikegrad uses the extension .sgi), atomically:
//
//	tensors      "<layer>.<param>", float32, as in a model directory:
//	             fc1.weight [In, Out], fc1.bias [Out], lif1.beta [1] or [N], ...
//	metadata     "format"    "spikegrad.infer/v1" (Format)
//	             "model"     the architecture, the JSON of model.json
//	             "steps"     time steps per sample, e.g. "25"
//	             "encoding"  {"name": "direct"} | {"name": "rate", "gain": 1}
//	                         | {"name": "latency", "latency": {"tau": 1, "threshold": 0.01,
//	                            "epsilon": 0, "linear": false, "normalize": true, "clip": true}}
//	                         | {"name": "spikes"} (the data is already spike sequences)
//	             "readout"   "spike_count", "membrane_sum" or "membrane_max":
//	                         the argmax over the last layer's neurons of Σ_t S[t],
//	                         Σ_t mem[t] or max_t mem[t], the first on ties
//	             "dataset"   what it was trained on, e.g. "mnist" (informative)
//
// Any safetensors reader opens the file; Python reads the metadata with
// safetensors.safe_open(...).metadata(). Load and Read check everything
// before returning: the safetensors layout, the format string (a file of
// another version is refused, not guessed at), every metadata key, the
// architecture (model.Unmarshal), that consecutive layers' sizes agree, that
// every parameter is present once with its shape and finite values and no
// other tensor is, and that the last layer is a neuron layer the read-out can
// use. Errors are *Error values naming the file and the field or tensor; a
// truncated or corrupt file is an error, never a panic (the reader is
// fuzzed: FuzzRead).
//
// `spikegrad export RUN_DIR [--out FILE]` writes the model of a training
// run; `spikegrad infer MODEL --data mnist` runs one.
//
// # The event model
//
// The engine advances all layers one time step at a time. Each layer keeps
// its state between steps (membrane, synaptic current, last spikes) and
// hands its output of the step to the next:
//
//   - A Linear layer whose input is spikes (the output of a LIF or Synaptic
//     layer, or a rate or latency encoded input) lists the inputs that
//     spiked and adds, for each, its weight row (weights are stored [In,
//     Out], so a row is contiguous): the work is the number of spikes times
//     the fan-out, counted as SynOps. When more than EventActivity of the
//     inputs are active, one dense product is faster on a CPU and is used
//     instead; the SynOps are still what is counted, since they are the
//     network's work, which event-driven hardware does.
//   - A Linear layer whose input is analog (direct encoding, or a
//     non-spiking li layer) runs a dense product, counted as MACs. An input
//     constant over time (the direct encoding of a static image) is
//     projected once, not at every step, as the training forward does.
//   - A convolution (conv2d, conv1d) whose input is spikes (values 0 or 1,
//     also after a max pool of spikes) works event by event: a spike at
//     (c, y, x) adds, at every kernel tap (u, v) that reaches an output
//     (i, j), the weights W[o, c, u, v] of the output channels o of its
//     group; the SynOps are the weights added, exactly. Above EventActivity
//     of active inputs, and for an analog input (the image of the direct
//     encoding, projected once as for a Linear layer), it runs the training
//     side's im2col and SGEMM, counted as MACs for an analog input. Its
//     DenseOps are Out·OH·OW·(In/Groups)·kH·kW per step.
//   - Pooling (maxpool2d, avgpool2d, sumpool2d) computes its windows as
//     package layers does; flatten and dropout (the identity at inference)
//     pass their input on; batchnorm applies its inference-mode affine map
//     per channel (and per step in mode per_step), y = (x − running_mean)·
//     γ·k/√(running_var + eps) + β in float64 rounded once, as
//     layers.BatchNorm does in inference mode. None of them counts work
//     (on hardware a batchnorm folds into the weights before it).
//   - Neuron layers (lif, synaptic, if, alif, plif, adlif, rlif, rsynaptic,
//     radlif, li) update every neuron at every step, with the equations of
//     package layers (layers.LIF, layers.ALIF, layers.PLIF, layers.AdLIF,
//     layers.RLIF, layers.RadLIF give them), counted as neuron updates. A
//     recurrent layer (rlif, rsynaptic, radlif) first adds to its input
//     current the product of its own spikes of the previous step with its
//     recurrent weight, event-driven as a Linear layer on spikes (SynOps:
//     spikes times the fan-out, N all to all, 1 one to one, N − 1 for
//     radlif, whose neurons have no synapse onto themselves: its weight's
//     diagonal is held at zero; the dense forward's products are N times
//     the fan-out). The fixed-point form (Quantize) has none of alif, plif,
//     adlif, rlif, rsynaptic, radlif, convolution, pooling, flatten, dropout
//     or batchnorm: it refuses them naming the layer and kind.
//
// Run runs a dataset in batches and returns the predictions and Stats (per
// layer and per sample: spikes, firing rate, SynOps, MACs, the MACs a dense
// forward would do, neuron updates). Step is the streaming form: one time
// step of one sample, its input as events (the indices that spiked) or as
// analog values, with the State kept by the caller, so that a network can
// run online on a live event stream; Predict reads the class at any time.
//
// # The equality guarantee
//
// The engine computes with the same float32 operations as the training
// forward pass (layers.Sequential.Forward): the neuron updates are the
// training side's scans (internal/kernels, whose forward is bit-identical to
// a plain loop), the event-driven sums add the weight rows in ascending input
// order as the training side's event-driven products do, and the dense
// products are the same SGEMM. An event-driven convolution adds, for each
// output, its weights in ascending (channel, tap) order, in the K blocks of
// the SGEMM (kernels.SgemmKBlock), which is the order in which the training
// side's SGEMM sums the binary columns of im2col (zeros add nothing), so it
// has the training forward's bits too (TestConvExact; in the default build,
// not with OpenBLAS, whose order is its own). Neuron parameters are clamped as in training
// (decay factors to [0, 1], thresholds to [0, ∞)). Where both take the same
// path the spikes and membranes are bit-identical; the test over the 10000
// MNIST test images of the trained tutorial network (TestEqualityMNIST)
// found every spike of every layer at every step equal. Where the two sum a
// current in another order (a dense product of another shape, or one side
// event-driven and the other dense), the currents may differ by float32
// rounding, at most 2·γ_K·Σ_k |x_k·W_kj| for K terms (γ_K = K·u/(1-K·u),
// u = 2^-24), carried through the membrane's decay; a spike can then flip
// only when the membrane lies within that bound of the threshold, and the
// test reports every such flip with its margin and fails on any other
// difference. The engine's results do not depend on the number of threads.
//
// # What a run measured
//
// Stats holds what an inference run over a dataset measured, per sample:
// per layer the output spikes and firing rate, the synaptic operations
// (SynOps: one spike delivered over one synapse), the multiply-accumulates
// done densely for analog inputs (MACs), the products a dense forward of the
// layer would do (DenseOps) and the neuron state updates. Totals sums them;
// DoneFraction is (SynOps + MACs) / DenseOps, the share of the dense
// network's work the event-driven run actually did.
//
// # Fixed point
//
// Quantize turns a Model into a FixedModel with integer weights (8 bits by
// default, one scale per layer or per output channel), an integer membrane and
// synaptic current (24 bits, saturating) and integer decay constants (12 bits:
// beta ≈ d/4096): the widths of Intel's Loihi (Davies et al., IEEE Micro 2018).
// FixedModel.Run runs it with integer arithmetic only inside the time loop and
// reports its accuracy and work as Engine.Run does, so that the accuracy a chip
// of those widths would reach stands beside the float one
// (`spikegrad infer MODEL --fixed`). Quantize's documentation gives the
// scales, the equations, the rounding and what differs from Loihi.
//
// # Energy
//
// A Profile gives the energy of one synaptic operation, one neuron update,
// one MAC and (optionally) one output spike on a piece of hardware, each a
// Figure in picojoules — a range where its source gives one — with the kind
// of evidence (measured, simulated, datasheet, estimate, derived, overview,
// included) and the source, to the table or page. Stats.Energy charges
//
//	event profiles: SynOps·synop + MACs·mac + NeuronUpdates·neuron + Spikes·spike
//	dense profiles: DenseOps·mac + NeuronUpdates·neuron
//
// per sample, so that an event-driven chip is charged for what the run did
// and a GPU or a dense accelerator for a dense forward of the same network.
// Only operations are counted: leakage, memory traffic and I/O are not,
// unless a figure includes them (the overview ranges are such all-in
// figures, and their neuron update is "included", 0 pJ).
//
// The built-in profiles (profiles.yaml, embedded; BuiltinProfiles) are Intel
// Loihi (Davies et al., IEEE Micro 2018, Table 2), Loihi 2, SpiNNaker 2
// (Yan et al. 2019, prototype chip), SynSense Speck, BrainChip Akida, IBM
// NorthPole, 32-bit float arithmetic at 45 nm (Horowitz, ISSCC 2014),
// event-driven and dense, and an NVIDIA A100 (datasheet peak rates at
// maximum power, dense). Users add their own in a file of the same schema
// (ReadProfiles, LoadProfiles): a profile of a name already known replaces
// it, and LoadProfiles says which. A profile file with a missing,
// negative or non-finite figure, a range with low > high, an unknown or
// repeated key, or an unknown kind is refused with one error naming the
// file, line, profile and field.
//
// # Reports
//
// NewReport puts a run's Stats and its energy on each profile together;
// Report.Markdown writes it as Markdown to paste (accuracy, the per-layer
// table, energy per sample per profile with ranges, and every figure with
// its source), Report.WriteJSON as report.json (versioned, ReportVersion),
// which ReadReport reads back strictly and `spikegrad plot` draws, and
// Report.Save writes both into a directory, each file atomically.
package infer
