//go:build linux

package kernels

import (
	"syscall"
	"time"
)

// threadCPU returns the CPU time (user + system) the calling OS thread has
// used so far, and true. A benchmark locked to its thread that runs its work
// on that thread (one thread: the pure-Go SGEMM on the caller, OpenBLAS on
// the caller) measures with it the work alone: neither the time spent
// waiting for a core nor other threads of the process (OpenBLAS keeps its
// threads once started) count.
func threadCPU() (time.Duration, bool) {
	const rusageThread = 1 // RUSAGE_THREAD, linux/resource.h
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
