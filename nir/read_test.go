package nir

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// dumpScript prints, for each file, whether the reference nir.read loads it
// (with type checks, else without) and every dataset below "node" as h5py
// reads it: path, dtype kind, shape and values (strings decoded).
const dumpScript = `
import sys, json, h5py, numpy as np, nir
out = {}
for fn in sys.argv[1:]:
    res = {"read": "", "data": {}}
    for tc in (True, False):
        try:
            nir.read(fn, type_check=tc); res["read"] = "typed" if tc else "untyped"; break
        except Exception as e:
            res["error"] = repr(e)
    def walk(g, p):
        for k, v in g.items():
            if isinstance(v, h5py.Group):
                walk(v, p + k + "/")
            else:
                a = v[()]
                arr = np.asarray(a)
                if arr.dtype.kind in "SOU":
                    vals = [x.decode() if isinstance(x, bytes) else str(x) for x in arr.reshape(-1)]
                    kind = "s"
                else:
                    vals = [float(x) for x in arr.reshape(-1)]
                    kind = arr.dtype.kind + str(arr.dtype.itemsize)
                res["data"][p + k] = {"kind": kind, "shape": list(arr.shape), "vals": vals}
    walk(h5py.File(fn, "r")["node"], "")
    out[fn] = res
print(json.dumps(out))
`

type refDump map[string]struct {
	Read  string `json:"read"`
	Error string `json:"error"`
	Data  map[string]struct {
		Kind  string `json:"kind"`
		Shape []int  `json:"shape"`
		Vals  []any  `json:"vals"`
	} `json:"data"`
}

// flatten lists g's datasets under the paths h5py gives them.
func flatten(g *Graph, prefix string, out map[string]*Array) {
	e := &Array{DType: String, Shape: []int{len(g.Edges), 2}}
	for _, ed := range g.Edges {
		e.Str = append(e.Str, ed.From, ed.To)
	}
	out[prefix+"edges"] = e
	out[prefix+"type"] = Str(TypeGraph)
	for k, a := range g.Metadata {
		out[prefix+"metadata/"+k] = a
	}
	for name, n := range g.Nodes {
		p := prefix + "nodes/" + name + "/"
		if n.Graph != nil {
			flatten(n.Graph, p, out)
			continue
		}
		out[p+"type"] = Str(n.Type)
		for k, a := range n.Params {
			out[p+k] = a
		}
		for k, a := range n.Metadata {
			out[p+"metadata/"+k] = a
		}
	}
}

// compareDump fails t unless g holds exactly the datasets of the dump: the
// same paths, element types, shapes and values (bit for bit, as float64).
func compareDump(t *testing.T, file string, g *Graph, data map[string]struct {
	Kind  string `json:"kind"`
	Shape []int  `json:"shape"`
	Vals  []any  `json:"vals"`
}) {
	t.Helper()
	ours := map[string]*Array{}
	flatten(g, "", ours)
	for path, ref := range data {
		a := ours[path]
		if a == nil {
			t.Errorf("%s: %s: missing in the graph read", file, path)
			continue
		}
		delete(ours, path)
		kind := map[DType]string{Float32: "f4", Float64: "f8", Int64: "i8", String: "s"}[a.DType]
		if kind != ref.Kind || !slices.Equal(a.Shape, ref.Shape) && !(len(a.Shape) == 0 && len(ref.Shape) == 0) {
			t.Errorf("%s: %s: %s %v, reference %s %v", file, path, kind, a.Shape, ref.Kind, ref.Shape)
			continue
		}
		for i, v := range ref.Vals {
			switch v := v.(type) {
			case string:
				if a.Str[i] != v {
					t.Errorf("%s: %s[%d] = %q, reference %q", file, path, i, a.Str[i], v)
				}
			case float64:
				if a.Data[i] != v {
					t.Errorf("%s: %s[%d] = %v, reference %v", file, path, i, a.Data[i], v)
				}
			}
		}
	}
	for path := range ours {
		t.Errorf("%s: %s: in the graph read, not in the file", file, path)
	}
}

func refDumpOf(t *testing.T, files ...string) refDump {
	var d refDump
	if err := json.Unmarshal([]byte(runRef(t, dumpScript, files...)), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestReadSamples reads every NIR file of the samples and checks it against
// the reference: a file the reference nir.read loads (with or without type
// checks) reads here with exactly h5py's datasets; the two files the
// reference fails on (an edge names the node "lif" that the nested graph
// calls "lif1") are refused with an error naming that edge.
func TestReadSamples(t *testing.T) {
	dir := samples(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.nir"))
	if len(files) != 8 {
		t.Fatalf("%d NIR samples in %s, the README lists 8", len(files), dir)
	}
	ref := refDumpOf(t, files...)
	readable := 0
	for _, f := range files {
		r := ref[f]
		g, err := Read(f)
		if r.Read == "" {
			var e *Error
			if err == nil || !errors.As(err, &e) || !strings.Contains(err.Error(), `no node "lif"`) || e.File != f {
				t.Errorf("%s: the reference fails (%s); Read: %v, want an error naming the edge target \"lif\"", f, r.Error, err)
			}
			continue
		}
		readable++
		if err != nil {
			t.Errorf("%s: the reference reads it (%s); Read: %v", f, r.Read, err)
			continue
		}
		compareDump(t, filepath.Base(f), g, r.Data)
	}
	if readable != 6 {
		t.Errorf("the reference read %d files, the README says 6", readable)
	}
}

// TestRoundTripSamples writes every readable sample with Write and checks
// that the reference reads the copy (with type checks when it read the
// original so) with the same datasets, and that Read gives the same graph.
func TestRoundTripSamples(t *testing.T) {
	dir := samples(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.nir"))
	out := t.TempDir()
	var copies []string
	graphs := map[string]*Graph{}
	for _, f := range files {
		g, err := Read(f)
		if err != nil {
			continue
		}
		c := filepath.Join(out, filepath.Base(f))
		if err := Write(c, g); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		back, err := Read(c)
		if err != nil {
			t.Fatalf("%s: reading the copy: %v", f, err)
		}
		g.Version = back.Version
		a, b := map[string]*Array{}, map[string]*Array{}
		flatten(g, "", a)
		flatten(back, "", b)
		if !equalArrays(a, b) {
			t.Errorf("%s: the copy reads back different", f)
		}
		copies = append(copies, c)
		graphs[c] = g
	}
	ref := refDumpOf(t, copies...)
	orig := refDumpOf(t, files...)
	for _, c := range copies {
		r := ref[c]
		want := orig[filepath.Join(dir, filepath.Base(c))].Read
		if r.Read != want {
			t.Errorf("%s: the reference reads the copy %q (%s), the original %q", filepath.Base(c), r.Read, r.Error, want)
		}
		compareDump(t, filepath.Base(c), graphs[c], r.Data)
	}
}

func equalArrays(a, b map[string]*Array) bool {
	if len(a) != len(b) {
		return false
	}
	for k, x := range a {
		y := b[k]
		if y == nil || x.DType != y.DType || !slices.Equal(x.Shape, y.Shape) || !slices.Equal(x.Str, y.Str) || !slices.Equal(x.Data, y.Data) {
			return false
		}
	}
	return true
}
