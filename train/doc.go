// Package train holds the training loop, its Objective (Classification
// composes a config's loss, activity regularisers and read-out from package
// loss), metrics, checkpoints and run directories.
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
