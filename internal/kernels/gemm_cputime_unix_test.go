//go:build unix

package kernels

import (
	"time"

	"github.com/spikegrad/spikegrad/internal/procmem"
)

// processCPU returns the CPU time (user + system) the process has used so
// far, and true (procmem.CPUTime).
func processCPU() (time.Duration, bool) { return procmem.CPUTime() }
