// Package train holds the training loop, losses, activity regularisers,
// metrics, checkpoints and run directories.
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
// WithLog, Resume and others. Run does the same from a Config, read from
// YAML or flags: it builds the data, the network, the optimizer, the
// objective and the schedule (LoopConfig.LRSchedule, LoopConfig.Plateau)
// and calls Fit. Evaluate runs a network over a dataset with EvalOptions.
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
// # Files of a run directory
//
// Weights and checkpoints are safetensors files (Hugging Face's format, so
// that Python tools read them): WriteSafetensors, SaveSafetensors,
// ReadSafetensors and LoadSafetensors write and validate them; tensors are
// F32, and counters and random state travel as decimal or hexadecimal
// strings in the metadata. A Checkpoint holds "model.<param>" and
// "optim.<param>.<buffer>" tensors and string metadata; SaveCheckpoint,
// LoadCheckpoint, Restore (all-or-nothing) and RestoreOptimizer make a
// resumed run continue bit-identically. metrics.jsonl is written by a
// MetricsWriter, one JSON object per line as docs/design.md fixes it, with
// null for a value that is not finite; ReadMetrics ignores a torn last line
// and TruncateMetrics drops the records after a resumed checkpoint's step.
// Every file of the run directory is replaced through WriteFileAtomic, and
// every reader reports a bad file as a *FormatError naming the file.
package train
