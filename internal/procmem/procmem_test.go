package procmem

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

func TestField(t *testing.T) {
	p := filepath.Join(t.TempDir(), "meminfo")
	// The layout of /proc/meminfo (proc(5)): name, value padded, kB.
	text := "MemTotal:       16318412 kB\nMemFree:          123456 kB\nMemAvailable:    8000000 kB\nHugePages_Total:       0\n"
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key  string
		want int64
	}{
		{"MemAvailable:", 8000000 * 1024}, // 8000000 kB as written above
		{"MemTotal:", 16318412 * 1024},
		{"HugePages_Total:", 0 * 1024}, // no kB unit: the number is still read
		{"SwapTotal:", 0},              // missing line
	} {
		if got := field(p, tc.key); got != tc.want {
			t.Errorf("field(%q) = %d, want %d", tc.key, got, tc.want)
		}
	}
	if got := field(filepath.Join(t.TempDir(), "missing"), "MemAvailable:"); got != 0 {
		t.Errorf("missing file: %d, want 0", got)
	}
}

func TestLinux(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux's")
	}
	// A running process has resident pages, and a machine that runs
	// tests has some memory available.
	if PeakRSS() <= 0 {
		t.Errorf("PeakRSS() = %d, want > 0", PeakRSS())
	}
	if Available() <= 0 {
		t.Errorf("Available() = %d, want > 0", Available())
	}
}

// TestCPUTime: on Unix, the process's CPU time is known and grows while
// the test does busy work: by 10 ms within 10 s of wall time (generous: the
// machine may be shared; a clock that does not advance fails).
func TestCPUTime(t *testing.T) {
	c0, ok := CPUTime()
	if !ok {
		if runtime.GOOS == "windows" || runtime.GOOS == "plan9" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
			t.Skip("no process CPU time on", runtime.GOOS)
		}
		t.Fatal("CPUTime is unknown")
	}
	x := 0
	for start := time.Now(); time.Since(start) < 10*time.Second; {
		for range 1 << 16 {
			x++
		}
		if c, _ := CPUTime(); c-c0 >= 10*time.Millisecond {
			return
		}
	}
	c1, _ := CPUTime()
	t.Errorf("CPU time grew by %v during 10 s of busy work (%d iterations)", c1-c0, x)
}
