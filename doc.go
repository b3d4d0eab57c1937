// Package spikegrad is a framework for training spiking neural networks on
// the CPU with surrogate gradients and backpropagation through time.
//
// The library lives in its sub-packages: autograd (the tape), surrogate (the
// spike's surrogate derivatives), layers (neurons and connections), optim
// (optimizers), datasets (real and synthetic data), train (the training
// loop and run directories), plots, infer and nir. The command is
// cmd/spikegrad. This root package holds only the tests that guard the
// architecture.
package spikegrad
