//go:build unix

package sweep

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"syscall"
)

// trialProcessAlive reports whether process pid exists on this host and,
// where /proc tells, is a `sweep run-trial` process (a recycled pid of
// another program is not the trial's).
func trialProcessAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	if pid == os.Getpid() {
		return true
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil {
		return bytes.Contains(b, []byte("run-trial\x00"))
	}
	return true
}

// childPeakRSS is the peak resident memory of a finished child process in
// bytes, or 0 where the system does not say.
func childPeakRSS(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil {
		return 0
	}
	switch runtime.GOOS {
	case "linux", "freebsd", "netbsd", "openbsd", "dragonfly":
		return ru.Maxrss * 1024 // kilobytes
	case "darwin", "ios":
		return ru.Maxrss // bytes
	}
	return 0
}
