//go:build linux

package kernels

import (
	"syscall"
	"time"
	"unsafe"
)

// threadCPU returns the CPU time the calling OS thread has used so far
// (clock_gettime of CLOCK_THREAD_CPUTIME_ID, to the nanosecond; getrusage's
// per-thread figure moves in scheduler ticks, too coarse for one call), and
// true. A benchmark locked to its thread that runs its work on that thread
// (one thread: the pure-Go SGEMM on the caller, OpenBLAS on the caller)
// measures with it the work alone: neither the time spent waiting for a core
// nor other threads of the process (OpenBLAS keeps its threads once started)
// count.
func threadCPU() (time.Duration, bool) {
	const clockThreadCPUTimeID = 3 // CLOCK_THREAD_CPUTIME_ID, linux/time.h
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
