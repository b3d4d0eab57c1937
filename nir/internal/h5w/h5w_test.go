package h5w

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// RefPython returns the python3 that imports h5py, or skips t (fails it when
// SPIKEGRAD_REQUIRE_NIR_REF is set, as in CI).
func refPython(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(p); err == nil {
			if exec.Command(path, "-c", "import h5py, numpy").Run() == nil {
				return path
			}
		}
	}
	if os.Getenv("SPIKEGRAD_REQUIRE_NIR_REF") != "" {
		t.Fatal("python3 with h5py and numpy not found (SPIKEGRAD_REQUIRE_NIR_REF is set); install python3-h5py python3-numpy")
	}
	t.Skip("python3 with h5py and numpy not found: the libhdf5 check is skipped (set SPIKEGRAD_REQUIRE_NIR_REF=1 to require it)")
	return ""
}

// TestH5pyReads writes a file with every class, rank 0 to 3, an empty array,
// nested groups and a long name, and checks with h5py (libhdf5, which
// verifies every checksum) that each dataset reads back with its dtype,
// shape and values.
func TestH5pyReads(t *testing.T) {
	py := refPython(t)
	root := NewGroup()
	root.Add("version", &Dataset{Class: String, Str: []string{"1.0"}})
	g := root.Group("node").Group(strings.Repeat("n", 300))
	g.Add("f32", &Dataset{Class: Float32, Shape: []int{2, 3}, F32: []float32{1, 2, 3, 4, 5, -0.5}})
	g.Add("f64", &Dataset{Class: Float64, Shape: []int{}, F64: []float64{0.0025}})
	g.Add("i64", &Dataset{Class: Int64, Shape: []int{1, 2, 2}, I64: []int64{-1, 2, 1 << 40, 7}})
	g.Add("empty", &Dataset{Class: Float32, Shape: []int{0}})
	g.Add("edges", &Dataset{Class: String, Shape: []int{2, 2}, Str: []string{"input", "lif", "lif", "output"}})
	root.Group("emptygroup")
	b, err := Encode(root)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "t.h5")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	script := `
import h5py, numpy as np, sys
f = h5py.File(sys.argv[1], "r")
assert f["version"][()] == b"1.0", f["version"][()]
g = f["node"]["n"*300]
def chk(name, dtype, shape, vals):
    d = g[name]
    assert d.dtype == np.dtype(dtype), (name, d.dtype)
    assert d.shape == shape, (name, d.shape)
    assert np.array_equal(d[()], np.array(vals, dtype=dtype).reshape(shape)), (name, d[()])
chk("f32", "<f4", (2, 3), [1, 2, 3, 4, 5, -0.5])
chk("f64", "<f8", (), 0.0025)
chk("i64", "<i8", (1, 2, 2), [-1, 2, 1 << 40, 7])
chk("empty", "<f4", (0,), [])
e = g["edges"][()]
assert e.dtype == np.dtype("S6") and [(a.decode(), b.decode()) for a, b in e] == [("input", "lif"), ("lif", "output")], e
assert list(f["emptygroup"].keys()) == []
assert sorted(f.keys()) == ["emptygroup", "node", "version"]
print("ok")
`
	out, err := exec.Command(py, "-c", script, path).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("h5py: %v\n%s", err, out)
	}
}

// TestLookup3 checks the checksum against the values of lookup3.c's own
// driver (driver5: hashlittle("", 0) = 0xdeadbeef, hashlittle("Four score
// and seven years ago", 0) = 0x17770551, with initval 1 = 0xcd628161).
func TestLookup3(t *testing.T) {
	for _, c := range []struct {
		s    string
		init uint32
		want uint32
	}{{"", 0, 0xdeadbeef}, {"Four score and seven years ago", 0, 0x17770551}, {"Four score and seven years ago", 1, 0xcd628161}} {
		if got := lookup3([]byte(c.s), c.init); got != c.want {
			t.Errorf("lookup3(%q, %d) = %#x, want %#x", c.s, c.init, got, c.want)
		}
	}
}

// TestEncodeErrors checks that a dataset whose data does not fill its shape
// and a non-ASCII string are errors naming the dataset.
func TestEncodeErrors(t *testing.T) {
	root := NewGroup()
	root.Group("a").Add("w", &Dataset{Class: Float32, Shape: []int{2, 2}, F32: []float32{1}})
	if _, err := Encode(root); err == nil || !strings.Contains(err.Error(), "/a/w") {
		t.Errorf("short data: err = %v, want one naming /a/w", err)
	}
	root = NewGroup()
	root.Add("s", &Dataset{Class: String, Str: []string{"é"}})
	if _, err := Encode(root); err == nil || !strings.Contains(err.Error(), "/s") {
		t.Errorf("non-ASCII: err = %v, want one naming /s", err)
	}
}
