// Package train trains spiking networks: the training loop (Fit), the
// objective it minimises, checkpoints that make a run resumable, evaluation,
// and the configs that describe a whole run (Config, Run).
//
// # Training
//
// Fit trains any Network (a set of parameters and a Forward that returns
// the batch's layers.Trace: a layers.Sequential, or a type of the user's)
// with an optim.Optimizer and an Objective (the loss of a trace and the
// predicted classes), evaluates it on the test set after each epoch, and
// writes a run directory. Functional options set the rest: Epochs,
// BatchSize, WithSchedule (an optim.Schedule per step) or WithPlateau
// (optim.ReduceLROnPlateau per epoch), EarlyStopping, CheckpointEvery,
// WithLog, Resume and others:
//
//	net := layers.NewSequential(fc1, lif1, fc2, out)
//	opt, _ := optim.NewAdam(net.Params(), optim.AdamConfig{LR: 2e-3})
//	obj := train.Classification{Criterion: train.LossMembraneCE}
//	res, err := train.Fit(ctx, net, data, opt, obj, train.Epochs(10), train.WithRunDir("runs/first"))
//
// ExampleFit trains and resumes such a run. Classification, the objective of
// a config, composes a loss, activity regularisers and a read-out from
// package loss; any type with the Objective methods may take its place.
// Evaluate runs a network over a dataset with EvalOptions.
//
// Fit, Evaluate, Probe and Bench mark an input batch binary (spikes) when its
// dataset declares binary inputs (datasets.BinaryInputs: Randman, rate and
// latency coding), or, for a dataset that declares nothing, when the batch
// holds only 0 and 1; the first layer's product then runs event-driven (see
// autograd.Tape.MatMul): the same forward values, and the weight gradient
// summed in another float32 order.
//
// # Sequences of their own lengths
//
// A training or test set of sequences of their own lengths (datasets.VarLen,
// such as datasets.Sequences) comes in batches padded to the longest sample
// of each batch (BucketByLength groups similar lengths). Fit, Evaluate and
// Probe pass each padded batch's lengths to the objective in
// layers.Trace.Lengths, and count firing rates over the valid steps only:
// the padding changes no loss, prediction, rate or gradient, and a padded
// batch's loss and gradients are the mean of its samples' own, alone at their
// lengths. A padded batch needs an objective that reads the lengths
// (LengthsReader; Classification is one) and a network that takes the
// lengths (layers.Sequential.SetLengths, which BatchNorm's training
// statistics read and which BatchNorm in mode per_step refuses); otherwise
// the step fails with an error naming what is missing.
//
// # A run from a config
//
// Config describes a run: its name, seed and output folder, and three
// sections, data (DataConfig), model (ModelConfig) and train (LoopConfig).
// DefaultConfig holds the defaults,
// Config.ReadYAML applies a YAML file over them and Config.Set one key
// given as a flag, Validate checks every value, and every error is a
// *ConfigError naming the key. Run builds the run from it and calls Fit:
// LoadData the datasets, BuildNetwork (NetworkModel) the network,
// NewOptimizer the optimizer, LoopConfig.Objective the objective and
// LoopConfig.LRSchedule or LoopConfig.Plateau the learning-rate schedule.
// DecodeYAML reads a config embedded in another file, as sweep files do.
//
// # Datasets of a config
//
// data.dataset names the data: randman (generated from the seed), mnist and
// fashion-mnist (images, given as input current or encoded as spikes),
// nmnist, dvsgesture and ncars (event cameras, below), fsdd, shd and ssc
// (audio). fsdd reads the WAV recordings of the Free
// Spoken Digit Dataset from data.dir (recordings 0-4 of each speaker and
// digit are the test set) and turns each into spikes: a mel or gammatone
// filterbank (data.audio_filterbank, audio_bands, audio_frame_ms,
// audio_hop_ms, audio_fmin, audio_fmax),
// log energies mapped to [0, 1] per recording, and a spike code
// (audio_encoding: crossing, delta or rate, with audio_threshold or gain),
// one step per frame, at most audio_steps; data.cache keeps each
// recording's features on disk (datasets.Cache) for later runs. shd and
// ssc read the Heidelberg spiking datasets' HDF5 files (found or
// downloaded as the image sets are) and bin their spikes into audio_steps
// steps of audio_dt seconds (audio_clip: 1 for any count). With
// data.audio_varlen each sample runs its own steps (a recording's frames,
// or up to its last spike) and batches are padded to their longest
// sample, with data.bucket grouping similar lengths. Every key is recorded
// in the run directory's config.yaml (data.dir and data.cache_dir made
// absolute), from which EvaluateRun (spikegrad eval) loads the same test
// set from any working directory.
//
// # Event-camera data
//
// With data.dataset nmnist, dvsgesture or ncars, LoadData reads the
// recordings in data.dir (datasets.NMNIST, DVSGesture, NCARS) and cuts each
// into frames [steps, channels·height·width], the input a linear or
// convolutional first layer reads: data.frame_bins frames of equal duration
// or, with data.frame_split events, of equal event counts (every sample the
// same steps), or frames of data.frame_window µs or of
// data.frame_events events (each sample its own number of steps, batched
// to the longest of each batch; data.bucket groups similar lengths), with
// data.polarities channels and, with data.binary, 1 where a pixel saw an
// event. data.denoise and data.downsample apply to every sample;
// data.flip_lr, data.time_jitter and data.crop_time augment the training
// samples anew at each epoch. data.cache keeps the frames on disk
// (datasets.Cache), so that later epochs and runs read them instead of the
// recordings. Run records data.dir absolute in the run directory, where
// EvaluateRun finds it again:
//
//	data:
//	  dataset: nmnist
//	  dir: ../shared/data/nmnist-small
//	  frame_bins: 20
//	  binary: true
//
// # Starting from a saved model
//
// The key model.from starts a run from a saved model instead of a network
// of the model section's keys: a model directory (RUN/model, model.json and
// weights.safetensors), a run directory (its final model), or a NIR file
// (.nir, written by spikegrad export --format nir or by another framework),
// converted by package nir with time steps model.dt seconds apart:
//
//	model:
//	  from: runs/mnist-2026-01-02-030405/model.nir
//	  dt: 1e-3
//
// The network's architecture and initial weights are the model's (LoadFrom
// reads it), so the keys that describe an architecture (model.hidden,
// model.neuron, model.beta, ..., model.init) must be left at their defaults:
// a value set beside model.from is an error naming the keys, rather than a
// setting silently ignored. model.readout stays: it must name the kind of
// the model's last layer (lif or li), as the losses and predictions it
// allows are checked against it. The model's inputs and outputs must be the
// data's features and classes (an error names both). model.dt is required
// with a .nir file and refused otherwise. A resume compares model.from and
// model.dt as any other key of the model section; the model itself is read
// only at the start, later the checkpoints hold the weights.
//
// # Resuming
//
// Fit saves checkpoints/last.safetensors at each epoch's end, every
// CheckpointEvery steps and when interrupted, and best.safetensors at the
// epoch of the best test accuracy, each atomically: a process killed at any
// moment leaves the previous file or the new one. A checkpoint holds the
// weights, the optimizer's state, the loop's counters, sums and random
// source as one JSON value (MetaLoop), the architecture of a Describer, and
// what the run was started with: Run's config (MetaConfig) or Fit's options
// that change the computation (MetaSettings). Resume continues from it
// bit-identically, refuses another architecture and a config that differs
// in a key other than those of ResumableKeys (a *ResumeError lists each key
// with its old and new value), and starts a run that was stopped before its
// first checkpoint over from step 0 in its directory.
//
// The kernels' thread count (Threads, train.threads) is one setting of the
// process: overlapping runs share it, using the largest count asked for.
//
// # A finished run
//
// LoadModel reads a run directory's config and final network, EvaluateRun
// evaluates it on its test set, and Probe records what it does with one
// test sample (spikes, membranes, weights, firing rates, the confusion
// matrix) as plain data for package plots. Bench times the training step
// and the inference of a config's network in this process.
//
// # Files of a run directory
//
// The names of a run directory's files and its metrics.jsonl, written
// through a rundir.MetricsWriter, are package rundir's; weights and
// checkpoints are safetensors files (package safetensors), so that Python
// tools read them. A Checkpoint holds "model.<param>" and
// "optim.<param>.<buffer>" F32 tensors and string metadata (Fit's loop
// state as one JSON value, a random source's state in hexadecimal);
// SaveCheckpoint, LoadCheckpoint, Restore (all-or-nothing) and
// RestoreOptimizer make a resumed run continue bit-identically
// (ExampleSaveCheckpoint). Before a checkpoint is saved, every metrics
// record of its step is written and synced, so that a resumed run's
// rundir.TruncateMetrics leaves the metrics where the checkpoint is. Every
// file of the run directory is replaced atomically, and every reader reports
// a bad file with an error naming the file.
package train
