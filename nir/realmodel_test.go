package nir

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/safetensors"
)

// TestTrainedModelRoundTrip exports the trained runs of model/testdata (an
// LIF network with an LI read-out, and a synaptic network with learned
// per-neuron alpha, beta and threshold and an LIF read-out), as model.Load
// reads their model directories, and checks that the reference nir.read
// loads the files (type checks on) and that Read and ToModel give back the
// same architecture and bit-identical tensors (learned values clamped as
// the forward pass clamps them).
func TestTrainedModelRoundTrip(t *testing.T) {
	for _, run := range []string{"v1-lif", "v1-synaptic"} {
		m, w, err := model.Load(filepath.Join("..", "model", "testdata", run, "model"))
		if err != nil {
			t.Fatal(err)
		}
		g, err := FromModel(m, w, 1e-3)
		clamped := 0
		if err != nil {
			t.Fatalf("%s: %v", run, err)
		}
		path := filepath.Join(t.TempDir(), run+".nir")
		if err := Write(path, g); err != nil {
			t.Fatal(err)
		}
		if out := runRef(t, "import sys, nir; g = nir.read(sys.argv[1]); print(len(g.nodes), len(g.edges))", path); out == "" {
			t.Fatalf("%s: no output from the reference", run)
		}
		back, err := Read(path)
		if err != nil {
			t.Fatal(err)
		}
		m2, w2, err := ToModel(back, 1e-3)
		if err != nil {
			t.Fatalf("%s: %v", run, err)
		}
		a, _ := model.Marshal(m)
		b, _ := model.Marshal(m2)
		if string(a) != string(b) {
			t.Errorf("%s: architecture differs:\n%s\nback:\n%s", run, a, b)
		}
		if len(w) != len(w2) {
			t.Fatalf("%s: %d tensors back, had %d", run, len(w2), len(w))
		}
		// The forward pass clamps learned decays to [0, 1] and thresholds
		// to [0, ∞); the export carries those values.
		for _, x := range w {
			if strings.HasSuffix(x.Name, ".alpha") || strings.HasSuffix(x.Name, ".beta") || strings.HasSuffix(x.Name, ".threshold") {
				for j, v := range x.Data {
					v = max(v, 0)
					if !strings.HasSuffix(x.Name, ".threshold") {
						v = min(v, 1)
					}
					if v != x.Data[j] {
						clamped++
					}
					x.Data[j] = v
				}
			}
		}
		t.Logf("%s: %d learned values outside their range, exported clamped", run, clamped)
		for i := range w {
			j := slices.IndexFunc(w2, func(x safetensors.Tensor) bool { return x.Name == w[i].Name })
			if j < 0 || !slices.Equal(w[i].Shape, w2[j].Shape) || !slices.Equal(w[i].Data, w2[j].Data) {
				t.Errorf("%s: tensor %s differs after the round trip", run, w[i].Name)
			}
		}
	}
}
