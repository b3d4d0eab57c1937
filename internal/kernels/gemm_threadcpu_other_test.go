//go:build !linux

package kernels

import "time"

// threadCPU is not available here; benchmarks then omit their thread
// CPU-time metric.
func threadCPU() (time.Duration, bool) { return 0, false }
