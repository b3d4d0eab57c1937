// Package train holds the training loop, its Objective (Classification
// composes a config's loss, activity regularisers and read-out from package
// loss), checkpoints and the configs that describe a run.
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
// The names of a run directory's files and its metrics.jsonl, written
// through a rundir.MetricsWriter, are package rundir'; weights and checkpoints
// are safetensors files (package safetensors), so that Python tools read
// them. A Checkpoint holds "model.<param>" and "optim.<param>.<buffer>" F32
// tensors and string metadata (Fit's loop state as one JSON value, a random
// source's state in hexadecimal); SaveCheckpoint, LoadCheckpoint, Restore
// (all-or-nothing) and RestoreOptimizer make a resumed run continue
// bit-identically. Before a checkpoint is saved, every metrics record of its
// step is written and synced, so that a resumed run's rundir.TruncateMetrics
// leaves the metrics where the checkpoint is. Every file of the run
// directory is replaced atomically, and every reader reports a bad file
// with an error naming the file.
package train
