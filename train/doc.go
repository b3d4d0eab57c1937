// Package train holds the training loop, losses, activity regularisers,
// metrics, checkpoints and run directories.
//
// # Files of a run directory
//
// Weights and checkpoints are safetensors files (package safetensors, so
// that Python tools read them); tensors are F32, and counters and random
// state travel as decimal or hexadecimal strings in the metadata. A
// Checkpoint holds "model.<param>" and
// "optim.<param>.<buffer>" tensors and string metadata; SaveCheckpoint,
// LoadCheckpoint, Restore (all-or-nothing) and RestoreOptimizer make a
// resumed run continue bit-identically. metrics.jsonl is written by a
// MetricsWriter, one JSON object per line as docs/design.md fixes it, with
// null for a value that is not finite; ReadMetrics ignores a torn last line
// and TruncateMetrics drops the records after a resumed checkpoint's step.
// Every file of the run directory is replaced atomically, and
// every reader reports a bad file with an error naming the file.
package train
