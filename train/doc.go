// Package train holds the training loop, losses, activity regularisers,
// metrics, checkpoints and run directories.
package train
