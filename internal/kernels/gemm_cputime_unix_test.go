//go:build unix

package kernels

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user + system) the process has used so
// far, and true. On a shared machine, work per CPU-second is steadier than
// work per wall-clock second, because time spent waiting for a core does not
// count.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
