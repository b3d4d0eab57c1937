package autograd

import "github.com/spikegrad/spikegrad/internal/kernels"

// SetThreads sets how many threads the numeric kernels behind the ops may
// use (n < 1 means 1) and returns the previous setting. The default is
// GOMAXPROCS at start. Results are bit-identical for any setting: the kernels
// split their work by a fixed partition. The setting is the process's, not a
// tape's: tapes used concurrently share it, and the kernels run one parallel
// region at a time (a region started while another runs does its work on
// its own goroutine alone).
func SetThreads(n int) int { return kernels.SetThreads(n) }

// Threads returns the current thread setting.
func Threads() int { return kernels.Threads() }
