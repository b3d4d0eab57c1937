//go:build linux && amd64 && !purego

package kernels

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestAMDFamily checks the CPU family read by CPUID against the kernel's
// /proc/cpuinfo ("vendor_id" and "cpu family" of the first processor): the
// family for AMD, 0 for other vendors.
func TestAMDFamily(t *testing.T) {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		t.Skipf("no /proc/cpuinfo: %v", err)
	}
	defer f.Close()
	vendor, family := "", -1
	sc := bufio.NewScanner(f)
	for sc.Scan() && (vendor == "" || family < 0) {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "vendor_id":
			vendor = strings.TrimSpace(v)
		case "cpu family":
			if family, err = strconv.Atoi(strings.TrimSpace(v)); err != nil {
				t.Fatalf("/proc/cpuinfo: cpu family %q: %v", v, err)
			}
		}
	}
	if vendor == "" || family < 0 {
		t.Skip("/proc/cpuinfo names no vendor or family")
	}
	want := 0
	if vendor == "AuthenticAMD" {
		want = family
	}
	if got := amdFamily(); got != want {
		t.Fatalf("amdFamily() = %d, /proc/cpuinfo says vendor %s family %d", got, vendor, family)
	}
}
