// Package atomicfile replaces files so that a reader, or a program started
// again after a crash, sees either the old file or the complete new one,
// never a mix.
//
// Write streams the new content through a callback; WriteBytes writes a
// byte slice. Both write a temporary file in the target's folder, sync it
// to disk, rename it over the target and sync the folder, so that the
// rename itself survives a power loss. On any failure before the rename
// the old file is left untouched and no temporary file remains.
//
// Every file spikegrad writes into a run or sweep directory (configs,
// checkpoints, the final model, metrics rewrites, sweep plans, status files
// and reports) goes through this package.
package atomicfile
