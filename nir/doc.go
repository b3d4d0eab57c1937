// Package nir reads and writes NIR graphs (the Neuromorphic Intermediate
// Representation, https://neuroir.org, version 1.0) and converts them to and
// from spikegrad models, so that a network trained here runs on neuromorphic
// hardware and simulators that import NIR (Loihi 2 through Lava, SpiNNaker2,
// Speck and Xylo through Sinabs and Rockpool, Norse, snnTorch, ...), and a
// network from there runs here.
//
// # Graphs
//
// A NIR graph is a set of named nodes and the edges between them. A node
// has a type (Input, Output, Affine, Linear, LIF, CubaLIF, LI, ...) and
// parameters, n-dimensional arrays; a node of type NIRGraph holds a nested
// graph, whose nodes an edge names as "outer.inner". Graph, Node, Array and
// Edge hold a graph in memory; Graph.Validate checks it: every node of a
// known type (NodeTypes) with its parameters, each of its rank; a neuron's
// parameters of one shape; an Affine's bias as long as its weight has rows;
// every edge between nodes that exist. Errors are *Error and name the file,
// the node ("a.b" inside the nested graph a) and the parameter or edge:
//
//	nir: braille.nir: node lif1: tau_syn: shape [38], but tau_mem has shape [40] (a neuron's parameters share one shape)
//
// # Files
//
// Read loads a NIR file (HDF5) and validates it; Write validates a graph and
// writes it atomically (a refused graph leaves the file at the path as it
// was). Reading uses github.com/scigolib/hdf5 (pure Go); it reads the files
// of NIR's own Python writer (variable-length strings, gzip-compressed
// parameters). Writing uses the package's own HDF5 writer (nir/internal/h5w:
// superblock version 2, compact groups, contiguous datasets, fixed-length
// strings), because that library's writer produces files libhdf5 rejects.
// Every file Write produces loads with the reference implementation's
// nir.read, type checks on (the package's tests check it when python3 with
// h5py is present, and CI requires it).
//
// A corrupt file is an error, never a crash: before the HDF5 library opens
// a file, Read walks its group links (symbol-table and compact groups) and
// refuses links nested deeper than 64 levels (a cycle, on which the library
// would recurse without end) and local or global heaps that claim more bytes
// than the file has; a dataset larger than its file could decompress to is
// refused before it is allocated.
//
// # From continuous to discrete time
//
// NIR's neurons are continuous-time; spikegrad's are discrete, one update
// per time step. The conversion needs the time step dt, in seconds, given
// explicitly (FromModel, ToModel: dt ≤ 0 is an error). NIR's LIF is
//
//	tau·dv/dt = (v_leak − v) + r·I,   spike when v > v_threshold, then v = v_reset
//
// and spikegrad's lif (layers.LIF) is
//
//	mem[t] = beta·mem[t−1] + x[t],    S[t] = mem[t] > threshold,
//
// where x[t] is the output of the linear layer before it. Integrating NIR's
// equation over one step with forward Euler, I held at its value at step t:
//
//	v[t] = v[t−1] + dt/tau·(v_leak − v[t−1] + r·I[t])
//	     = (1 − dt/tau)·v[t−1] + (r·dt/tau)·I[t] + (dt/tau)·v_leak
//
// so beta = 1 − dt/tau, and the input gain r·dt/tau and the constant
// dt/tau·v_leak go into the weights and bias of the Affine/Linear before the
// neuron (x[t] = gain·(W·s + b) + dt/tau·v_leak). The threshold is
// v_threshold. NIR resets to v_reset, at once; spikegrad's reset "zero"
// (mem[t] = beta·mem[t−1]·(1 − S[t−1]) + x[t]) applies the reset of a spike
// at the next step, which gives the same spikes and, after a spike, the
// same membrane as resetting at once, so a NIR neuron with v_reset = 0
// becomes a lif with reset "zero"; another v_reset is an error.
//
// The current-based CubaLIF,
//
//	tau_syn·dI/dt = −I + w_in·x,   tau_mem·dv/dt = (v_leak − v) + r·I,
//
// becomes spikegrad's synaptic layer (syn[t] = alpha·syn[t−1] + x[t],
// mem[t] = beta·mem[t−1] + syn[t]) with alpha = 1 − dt/tau_syn,
// beta = 1 − dt/tau_mem and the gain r·w_in·dt²/(tau_mem·tau_syn) folded
// into the weights before it (syn is the current scaled by r·dt/tau_mem);
// its v_leak must be 0. LI (the same without spikes) becomes li; IF
// (dv/dt = r·I) becomes lif with beta = 1 and gain r·dt; I becomes li with
// beta = 1 and gain r·dt. A time constant below dt (a negative decay) is an
// error naming the node and field.
//
// The other way, FromModel writes beta as tau = dt/(1 − beta), r = tau/dt
// (so r·dt/tau = 1: no gain), v_leak = 0, v_reset = 0, v_threshold =
// threshold; a synaptic layer also as tau_syn = dt/(1 − alpha), w_in =
// tau_syn/dt. These are snnTorch's export conventions, and Norse's and
// Sinabs' amount to the same forward-Euler step; Rockpool and the NIR
// paper's exact reference instead decay by exp(−dt/tau) and take the input
// over the step as r·(1 − exp(−dt/tau)). The difference is first order in
// dt/tau, and reading a graph with the other convention than it was written
// with is how the same graph reaches different accuracies on different
// platforms. A decay factor of 1 (no leak) is written as tau = 2^53·dt
// (r = 2^53), for which 1 − dt/tau rounds to 1 and the gain is exactly 1.
// Learned parameters are written as the forward pass uses them: decay
// factors clamped to [0, 1], thresholds to [0, ∞). Neuron parameters are
// written as float64 arrays of shape [N].
//
// # Exact round trip
//
// A model written by FromModel and Write, read by Read and converted by
// ToModel with the same dt, comes back bit for bit: the same model.json and
// the same tensors (a learned decay or threshold outside its range comes
// back clamped, the value the forward pass used). Weights are float32 in both; 1 − dt/(dt/(1 − beta)) in
// float64 rounds back to the float32 beta for every beta in [2^-28, 1) and
// for 0 (a decay below 2^-28 comes back within 2^-54 of itself); the gain
// r·dt/tau rounds to exactly 1 in float32 and is not applied. What NIR has
// no field for (the reset rule, which may be "subtract", the surrogate
// gradient, the learnable and per-neuron flags, the initialisation) travels
// in each node's metadata, MetaKind and MetaConfig (the layer's config as
// JSON), which other tools ignore; a node without it gets reset "zero"
// and the fast sigmoid surrogate. Other frameworks run a "subtract" layer
// with NIR's reset to v_reset = 0: the same until the first spike.
//
// # Graphs spikegrad runs
//
// ToModel takes a chain Input → node → ... → Output of Affine, Linear,
// Conv2d, Conv1d, SumPool2d, AvgPool2d, Flatten, LIF, IF, LI, I and CubaLIF
// nodes. The input may have any shape ([n], or [C, H, W] for a
// convolution); spikegrad holds every value flat and channel-major, NIR's
// C order, so a Flatten of any axes is the identity on the values. A
// neuron node's parameters have the shape of the node before (Sinabs
// writes [C, H, W] after a convolution). The input gain of a neuron after a
// convolution folds into the convolution's weights and bias when it is the
// same at every position of a channel. A recurrence — a LIF or CubaLIF node
// whose output also feeds a Linear or Affine node that feeds back only into
// it — is one rlif or rsynaptic layer, named as the neuron node without
// its suffix ".lif" when the weight node is "<name>.w_rec" (snnTorch's
// names); its weight is V = gain·W_recᵀ and an Affine's bias is added to the
// bias of the layer before (it is added at every step). A nested graph is
// inlined first (one Input and one Output inside). A node of any other type
// (Scale, Threshold, CubaLI, Delay), any other cycle, and a grouped or
// string padding the model cannot hold are errors naming the node. Read and
// Write handle every node type and nested graphs.
//
// FromModel writes conv2d and conv1d layers as Conv2d and Conv1d nodes
// (weight [out, in, kernel...] as stored, stride, padding, dilation, groups,
// input_shape; a zero bias for a layer without one, whose metadata says so),
// sumpool2d and avgpool2d as SumPool2d and AvgPool2d, flatten as Flatten
// (start_dim 0, end_dim -1, input_type the shape before), the neurons after
// a convolution with parameters of its output shape, and rlif and rsynaptic
// as the cycle "<name>.lif" (LIF or CubaLIF) → "<name>.w_rec" (Linear, Vᵀ;
// a one-to-one v as the diagonal matrix, as snnTorch writes it) →
// "<name>.lif". Dropout layers (the identity at inference) have no node.
// It refuses maxpool2d (NIR 1.0 has no max pooling), batchnorm (NIR has no
// normalisation node, and folding it into the weights before would change
// the forward pass by rounding) and grouped convolutions (the reference
// reader takes a convolution's input channels from its weight, In/groups,
// so their files fail its type check) and the adaptive neurons alif, adlif
// and radlif (NIR 1.0 has no adaptive neuron, and its LIF node, whose
// threshold is a fixed parameter and whose output is spikes only, cannot
// carry a rising threshold or a current driven by the membrane), each
// naming the layer.
//
// # On the command line
//
//	spikegrad export RUN_DIR --format nir --dt 1e-3      a run's model as a NIR file
//	spikegrad import FILE.nir --dt 1e-3 --steps 25 --encoding rate --dataset mnist
//	                                                     a NIR file as an inference model (.sgi)
//	spikegrad infer FILE.sgi                             run it on the dataset's test set
//	spikegrad train --model.from FILE.nir --model.dt 1e-3 ...
//	                                                     fine-tune it (package train)
//
// # Examples
//
// Example exports a two-layer network with dt = 1 ms, reads the file back
// and converts it to a model again.
//
// # The LIF comparison
//
// The NIR paper ran one LIF neuron from Norse's 01_lif__lif_norse.nir
// (tau 2.5 ms, r 1, v_threshold 0.1) on 34 input spikes with dt = 0.1 ms on
// every platform. Converted by ToModel and run with spikegrad's discrete
// update, it fires at the four steps of the exact solution (460, 510, 710,
// 760), its voltage within 4.8e-8 of Norse's and within 0.0062 (RMS
// 0.00093) of the exact solution, as Norse's; the test TestLIFComparison
// checks it.
package nir
