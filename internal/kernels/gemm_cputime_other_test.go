//go:build !unix

package kernels

import "time"

// processCPU is not available here; benchmarks then omit their CPU-time
// metric.
func processCPU() (time.Duration, bool) { return 0, false }
