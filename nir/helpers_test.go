package nir

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sharedData returns the project's shared data folder ($SPIKEGRAD_SHARED_DATA
// or ../../shared/data beside the repository).
func sharedData() string {
	if d := os.Getenv("SPIKEGRAD_SHARED_DATA"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared", "data")
}

// samples returns the folder of NIR files written by other frameworks, or
// skips t (fails it under SPIKEGRAD_REQUIRE_DATA=1, as in CI).
func samples(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(sharedData(), "nir-samples")
	if _, err := os.Stat(filepath.Join(dir, "01_lif__lif_norse.nir")); err != nil {
		if os.Getenv("SPIKEGRAD_REQUIRE_DATA") == "1" {
			t.Fatalf("NIR samples not found in %s (SPIKEGRAD_REQUIRE_DATA=1): %v", dir, err)
		}
		t.Skipf("NIR samples not found in %s (set SPIKEGRAD_SHARED_DATA): %v", dir, err)
	}
	return dir
}

// refPython returns a python3 that imports h5py, numpy and the reference
// package nir (NIR 1.0.7, in the shared tools folder beside the data) with
// the environment that finds it; it skips t otherwise, and fails it under
// SPIKEGRAD_REQUIRE_NIR_REF=1 (as in CI).
func refPython(t testing.TB) (python string, env []string) {
	t.Helper()
	tools, _ := filepath.Abs(filepath.Join(sharedData(), "..", "tools", "nir-python"))
	env = append(os.Environ(), "PYTHONPATH="+tools)
	var why string
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(p)
		if err != nil {
			why = err.Error()
			continue
		}
		cmd := exec.Command(path, "-c", "import h5py, numpy, nir; assert nir.version == '1.0.7', nir.version")
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err == nil {
			return path, env
		}
		why = strings.TrimSpace(string(out))
	}
	msg := "the reference NIR reader (python3 with h5py, numpy and " + tools + ") is not available: " + why
	if os.Getenv("SPIKEGRAD_REQUIRE_NIR_REF") == "1" {
		t.Fatal(msg + " (SPIKEGRAD_REQUIRE_NIR_REF=1)")
	}
	t.Skip(msg + "; set SPIKEGRAD_REQUIRE_NIR_REF=1 to make this a failure")
	return "", nil
}

// runRef runs the Python script with args under the reference reader and
// returns its standard output, failing t on an error.
func runRef(t testing.TB, script string, args ...string) string {
	t.Helper()
	py, env := refPython(t)
	cmd := exec.Command(py, append([]string{"-c", script}, args...)...)
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("reference reader: %v\n%s", err, stderr.String())
	}
	return string(out)
}
