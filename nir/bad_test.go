package nir

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/nir/internal/h5w"
)

// encodeUnchecked writes g as Write does but without validating it, to make
// the broken files a reader must refuse.
func encodeUnchecked(t *testing.T, g *Graph) []byte {
	t.Helper()
	root := h5w.NewGroup()
	root.Add("version", &h5w.Dataset{Class: h5w.String, Str: []string{"1.0.7"}})
	if err := putGraph(root.Group("node"), g, ""); err != nil {
		t.Fatal(err)
	}
	b, err := h5w.Encode(root)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func lifGraph() *Graph {
	return &Graph{Nodes: map[string]*Node{
		"in":  {Type: "Input", Params: map[string]*Array{"shape": I64([]int{1}, 2)}},
		"fc":  {Type: "Affine", Params: map[string]*Array{"weight": F32([]int{1, 2}, 1, 2), "bias": F32([]int{1}, 0)}},
		"lif": {Type: "LIF", Params: map[string]*Array{"tau": F64([]int{1}, 0.01), "r": F64([]int{1}, 1), "v_leak": F64([]int{1}, 0), "v_threshold": F64([]int{1}, 1)}},
		"out": {Type: "Output", Params: map[string]*Array{"shape": I64([]int{1}, 1)}},
	}, Edges: []Edge{{"in", "fc"}, {"fc", "lif"}, {"lif", "out"}}}
}

// TestReadBadInput checks that each broken file gets one *Error naming the
// file and, where one is at fault, the node and field.
func TestReadBadInput(t *testing.T) {
	dir := t.TempDir()
	good := encodeUnchecked(t, lifGraph())
	notNIR := h5w.NewGroup()
	notNIR.Group("data").Add("x", &h5w.Dataset{Class: h5w.Float32, Shape: []int{1}, F32: []float32{1}})
	notNIRBytes, _ := h5w.Encode(notNIR)
	for _, c := range []struct {
		name   string
		data   []byte
		change func(g *Graph)
		want   string
	}{
		{name: "empty file", data: []byte{}, want: "not a readable HDF5 file"},
		{name: "text file", data: []byte("weights = [1, 2]\n"), want: "not a readable HDF5 file"},
		{name: "truncated", data: good[:len(good)/2], want: ""},
		{name: "HDF5, not NIR", data: notNIRBytes, want: `not a NIR file: no group "node"`},
		{name: "missing edge target", change: func(g *Graph) { g.Edges[2].To = "readout" }, want: `.nir: edges[2]: lif -> readout: no node "readout"`},
		{name: "unknown node type", change: func(g *Graph) { g.Nodes["lif"].Type = "Izhikevich" }, want: `node lif: type: unknown node type "Izhikevich"`},
		{name: "wrong rank", change: func(g *Graph) { g.Nodes["fc"].Params["weight"] = F32([]int{2}, 1, 2) }, want: "node fc: weight: rank 1 (shape [2]), want rank 2"},
		{name: "mismatched shapes", change: func(g *Graph) { g.Nodes["lif"].Params["r"] = F64([]int{2}, 1, 1) }, want: "node lif: r: shape [2], but tau has shape [1]"},
		{name: "bias against weight", change: func(g *Graph) { g.Nodes["fc"].Params["bias"] = F32([]int{2}, 0, 0) }, want: "node fc: bias: shape [2], but weight has shape [1 2]"},
		{name: "missing parameter", change: func(g *Graph) { delete(g.Nodes["lif"].Params, "tau") }, want: "node lif: tau: missing"},
		{name: "string parameter", change: func(g *Graph) { g.Nodes["lif"].Params["tau"] = Str("fast") }, want: "node lif: tau: a string"},
		{name: "zero input size", change: func(g *Graph) { g.Nodes["in"].Params["shape"] = I64([]int{1}, 0) }, want: "node in: shape: [0]: sizes must be positive"},
		{name: "nested missing target", change: func(g *Graph) {
			g.Nodes["sub"] = &Node{Type: TypeGraph, Graph: &Graph{Nodes: map[string]*Node{"a": {Type: "Input", Params: map[string]*Array{"shape": I64([]int{1}, 1)}}}, Edges: []Edge{{"a", "b"}}}}
		}, want: `node sub: edges[0]: a -> b: no node "b"`},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".nir")
		data := c.data
		if c.change != nil {
			g := lifGraph()
			c.change(g)
			data = encodeUnchecked(t, g)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		g, err := Read(path)
		var e *Error
		if err == nil || g != nil || !errors.As(err, &e) || e.File != path || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Read = %v, %v; want an *Error naming the file and containing %q", c.name, g, err, c.want)
		}
	}
	if _, err := Read(filepath.Join(dir, "absent.nir")); err == nil || !strings.Contains(err.Error(), "absent.nir") {
		t.Errorf("absent file: err = %v", err)
	}
}

// TestWriteKeepsOldFile checks that a graph Write refuses leaves the file
// already at the path untouched.
func TestWriteKeepsOldFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.nir")
	if err := Write(path, lifGraph()); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	bad := lifGraph()
	bad.Edges = append(bad.Edges, Edge{"out", "nowhere"})
	err := Write(path, bad)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `no node "nowhere"`) {
		t.Errorf("Write of a broken graph: err = %v", err)
	}
	bad = lifGraph()
	bad.Nodes["fc"].Params["note"] = Str("é")
	if err := Write(path, bad); err == nil || !strings.Contains(err.Error(), "node fc: note") {
		t.Errorf("Write of a non-ASCII string: err = %v", err)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Error("a refused Write changed the file")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("%d files in the folder after refused writes, want 1", len(entries))
	}
}

// FuzzRead feeds Read mutations of real NIR files (the samples, when
// present, and a graph Write made): it must return a graph or an *Error,
// never panic, and a graph it returns must be valid.
func FuzzRead(f *testing.F) {
	seed, err := Encode(lifGraph())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	dir := filepath.Join(sharedData(), "nir-samples")
	for _, name := range []string{"01_lif__lif_norse.nir", "01_lif__lif_rockpool.nir", "03_rnn__extras__braille_noDelay_bias_zero_subgraph.nir"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			f.Add(b)
		}
	}
	tmp := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(tmp, "f.nir")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		g, err := Read(path)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if err := g.Validate(); err != nil {
			t.Fatalf("Read returned an invalid graph: %v", err)
		}
	})
}

// TestReadMutations reads 3000 copies of a graph Write made, each with one to
// four bytes overwritten at random (a fixed seed): each must give a graph or
// an *Error. Among them are dimensions and string sizes of gigabytes, which
// Read refuses before allocating (without that guard this test ran out of
// memory).
func TestReadMutations(t *testing.T) {
	seed, err := Encode(lifGraph())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	path := filepath.Join(t.TempDir(), "m.nir")
	errs := 0
	for i := 0; i < 3000; i++ {
		b := append([]byte(nil), seed...)
		for k := 0; k < 1+rng.IntN(4); k++ {
			b[rng.IntN(len(b))] = byte(rng.IntN(256))
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		g, err := Read(path)
		var e *Error
		switch {
		case err != nil && !errors.As(err, &e):
			t.Fatalf("mutation %d: error of type %T: %v", i, err, err)
		case err != nil:
			errs++
		case g.Validate() != nil:
			t.Fatalf("mutation %d: an invalid graph: %v", i, g.Validate())
		}
	}
	if errs == 0 {
		t.Error("no mutation was refused: the check is empty")
	}
	t.Logf("%d of 3000 mutations refused", errs)
}

// TestReadLinkCycle checks that a file whose group links form a cycle is
// refused (the HDF5 library would recurse without end): a file of Write's
// layout whose link "node" is patched to point at the root group, and,
// when h5py is present, an h5py file with a hard link from a group to its
// parent (legal HDF5).
func TestReadLinkCycle(t *testing.T) {
	dir := t.TempDir()
	b, err := Encode(lifGraph())
	if err != nil {
		t.Fatal(err)
	}
	root := b[36:44] // superblock v2: the root group's object header address
	name := []byte("\x04\x00node")
	i := bytes.LastIndex(b, name)
	if i < 0 {
		t.Fatal("no link \"node\" in the file")
	}
	copy(b[i+len(name):], root)
	path := filepath.Join(dir, "cycle.nir")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(path); err == nil || !strings.Contains(err.Error(), "deeper than 64") {
		t.Errorf("cycle in a compact group: err = %v", err)
	}
	py, env := refPython(t)
	h5 := filepath.Join(dir, "h5py-cycle.nir")
	cmd := exec.Command(py, "-c", `
import sys, h5py
f = h5py.File(sys.argv[1], "w")
g = f.create_group("node")
g.create_group("nodes")["loop"] = g
`, h5)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("h5py: %v\n%s", err, out)
	}
	if _, err := Read(h5); err == nil || !strings.Contains(err.Error(), "deeper than 64") {
		t.Errorf("cycle in an h5py file: err = %v", err)
	}
}
