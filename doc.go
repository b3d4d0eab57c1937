// Package spikegrad is a framework for training spiking neural networks on
// the CPU with surrogate gradients and backpropagation through time.
//
// The library lives in its sub-packages, each explained by its package
// documentation:
//
//   - autograd: the tape, its ops and their gradients;
//   - surrogate: the spike's surrogate derivatives and the Spike op;
//   - layers: connections, neuron models and Sequential, built in code or
//     from a saved model;
//   - loss: losses, activity regularisers and read-outs of tape values;
//   - optim: optimizers, learning-rate schedules, gradient clipping;
//   - datasets: real and synthetic datasets, spike encodings, batches;
//   - train: the training loop (Fit), checkpoints, evaluation and the
//     configs of a run (Run);
//   - sweep: hyperparameter sweeps on this machine or on Slurm;
//   - model: the saved model (architecture JSON and weights);
//   - safetensors: the tensor file format of weights and checkpoints;
//   - rundir: the run directory's files and its metrics.jsonl;
//   - plots: figures of runs, networks and sweeps;
//   - infer and nir: inference and NIR export, still without an API.
//
// The command is cmd/spikegrad. This root package holds the tests that guard
// the architecture (the import table of deps_test.go) and the tutorial
// example, Example_tutorial, which README.md shows as it is (a test checks
// that the two agree).
package spikegrad
