//go:build unix

package procmem

import (
	"syscall"
	"time"
)

// CPUTime returns the CPU time (user + system, all threads) this process
// has used so far, and true. On a shared machine, work per CPU-second is
// steadier than work per wall-clock second: time spent waiting for a core
// does not count.
func CPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
