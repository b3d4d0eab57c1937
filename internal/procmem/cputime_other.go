//go:build !unix

package procmem

import "time"

// CPUTime reports false: the process's CPU time is unknown here.
func CPUTime() (time.Duration, bool) { return 0, false }
