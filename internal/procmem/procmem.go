package procmem

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// Available returns the memory available to new processes in bytes
// (MemAvailable of /proc/meminfo), or 0 where it is unknown.
func Available() int64 { return field("/proc/meminfo", "MemAvailable:") }

// PeakRSS returns this process's peak resident set size in bytes (VmHWM of
// /proc/self/status), or 0 where it is unknown.
func PeakRSS() int64 { return field("/proc/self/status", "VmHWM:") }

// field returns, in bytes, the "<key> <n> kB" line of a /proc file, or 0
// where the file or the line is missing.
func field(path, key string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err == nil {
				return kb * 1024
			}
		}
	}
	return 0
}
