// Package train holds the training loop, its Objective (Classification
// composes a config's loss, activity regularisers and read-out from package
// loss), checkpoints and the configs that describe a run.
//
// # Files of a run directory
//
// The names of a run directory's files and its metrics.jsonl, written
// through a runs.MetricsWriter, are package runs'; weights and checkpoints
// are safetensors files (package safetensors), so that Python tools read
// them. A Checkpoint holds "model.<param>" and "optim.<param>.<buffer>" F32
// tensors and string metadata, in which counters and random state travel as
// decimal or hexadecimal strings; SaveCheckpoint, LoadCheckpoint, Restore
// (all-or-nothing) and RestoreOptimizer make a resumed run continue
// bit-identically. Before a checkpoint is saved, every metrics record of its
// step is written and synced, so that a resumed run's runs.TruncateMetrics
// leaves the metrics where the checkpoint is. Every file of the run
// directory is replaced atomically, and every reader reports a bad file
// with an error naming the file.
package train
