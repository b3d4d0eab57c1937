//go:build !unix

package sweep

import "os"

// trialProcessAlive reports whether process pid exists on this host.
func trialProcessAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}

// childPeakRSS is 0: the system does not report a child's peak memory here.
func childPeakRSS(ps *os.ProcessState) int64 { return 0 }
