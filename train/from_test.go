package train

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/nir"
	"github.com/spikegrad/spikegrad/rundir"
	"github.com/spikegrad/spikegrad/safetensors"
)

// fromConfig is tinyConfig starting from the model from (with dt for a
// NIR file): the architecture keys at their defaults.
func fromConfig(from string, dt float64) Config {
	c := tinyConfig()
	c.Model.Hidden = DefaultConfig().Model.Hidden
	c.Model.From, c.Model.DT = from, dt
	return c
}

// trainedGraph trains tinyConfig's run in dir (at most maxSteps steps, 0:
// all) and returns its final model, weights and NIR graph with dt = 1e-3 s,
// as spikegrad export --format nir --dt 1e-3 writes it.
func trainedGraph(t *testing.T, dir string, maxSteps int) (*model.Model, []safetensors.Tensor, *nir.Graph) {
	t.Helper()
	runIn(t, tinyConfig(), dir, Options{MaxSteps: maxSteps})
	m, ws, err := model.Load(filepath.Join(dir, rundir.ModelDir))
	if err != nil {
		t.Fatal(err)
	}
	g, err := nir.FromModel(m, ws, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	return m, ws, g
}

// TestModelFrom trains tinyConfig's run, writes its model as a NIR file
// (time step 1e-3 s, as `spikegrad export --format nir --dt 1e-3` does),
// and requires a run with model.from naming the NIR file, the model
// directory or the run directory to build the same network with the same
// weights bit for bit, and to train from them.
func TestModelFrom(t *testing.T) {
	tmp := t.TempDir()
	src := filepath.Join(tmp, "src")
	m, ws, g := trainedGraph(t, src, 0)
	nirFile := filepath.Join(src, "model.nir")
	if err := nir.Write(nirFile, g); err != nil {
		t.Fatal(err)
	}
	want, _ := model.Marshal(m)
	for _, c := range []struct {
		from string
		dt   float64
	}{{nirFile, 1e-3}, {filepath.Join(src, rundir.ModelDir), 0}, {src, 0}} {
		cfg := fromConfig(c.from, c.dt)
		if err := cfg.Validate(); err != nil {
			t.Fatalf("%s: %v", c.from, err)
		}
		data, err := LoadData(context.Background(), cfg.Data, cfg.Seed, nil)
		if err != nil {
			t.Fatal(err)
		}
		net, _, _, err := build(&cfg, data)
		if err != nil {
			t.Fatalf("%s: %v", c.from, err)
		}
		if got, _ := model.Marshal(net.Model()); string(got) != string(want) {
			t.Errorf("%s: model\n%s\nwant\n%s", c.from, got, want)
		}
		params := net.Params()
		if len(params) != len(ws) {
			t.Fatalf("%s: %d parameters, the model has %d tensors", c.from, len(params), len(ws))
		}
		byName := map[string][]float32{}
		for _, w := range ws {
			byName[w.Name] = w.Data
		}
		for _, p := range params {
			if w, ok := byName[p.Name]; !ok || !bitsEqual(p.Data, w) {
				t.Errorf("%s: parameter %s differs from the model's tensor (present: %v)", c.from, p.Name, ok)
			}
		}
	}

	// Fine-tuning from the NIR file trains: one epoch of tinyBatches steps
	// that change the weights.
	cfg := fromConfig(nirFile, 1e-3)
	cfg.Train.Epochs = 1
	dst := filepath.Join(tmp, "dst")
	res := runIn(t, cfg, dst, Options{})
	if res.Steps != tinyBatches {
		t.Errorf("fine-tuning: %d steps, want %d", res.Steps, tinyBatches)
	}
	_, tuned, err := model.Load(filepath.Join(dst, rundir.ModelDir))
	if err != nil {
		t.Fatal(err)
	}
	changed := 0
	for _, a := range tuned {
		for _, b := range ws {
			if a.Name == b.Name && !bitsEqual(a.Data, b.Data) {
				changed++
			}
		}
	}
	if changed == 0 {
		t.Errorf("fine-tuning left every tensor as it was")
	}
	// A resume compares model.from as any model key.
	other := fromConfig(filepath.Join(src, rundir.ModelDir), 0)
	other.Train.Epochs = 2
	_, err = runWith(other, dst, Options{Resume: true})
	var re *ResumeError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "model.from") || !strings.Contains(err.Error(), "model.dt") {
		t.Errorf("resume with another model.from: %v, want a *ResumeError naming model.from and model.dt", err)
	}
}

// TestModelFromErrors: every bad model.from is one error naming the key,
// the file and what is wrong.
func TestModelFromErrors(t *testing.T) {
	tmp := t.TempDir()
	src := filepath.Join(tmp, "src")
	runIn(t, tinyConfig(), src, Options{MaxSteps: 1})
	modelDir := filepath.Join(src, rundir.ModelDir)
	if _, err := os.Stat(filepath.Join(modelDir, model.ArchFile)); err != nil {
		t.Fatalf("the stopped run has no final model: %v", err)
	}
	missing := filepath.Join(tmp, "none.nir")
	hidden := fromConfig(modelDir, 0)
	hidden.Model.Hidden, hidden.Model.Beta = []int{16}, 0.9
	units := fromConfig(modelDir, 0)
	units.Data.RandmanUnits = 21
	lifOut := fromConfig(modelDir, 0)
	lifOut.Model.Readout, lifOut.Train.Predict, lifOut.Train.Loss = "lif", "spike_count", "count_ce"
	cases := []struct {
		name  string
		cfg   Config
		wants []string
	}{
		{"architecture keys set", hidden, []string{"model.from", "model.hidden, model.beta are set"}},
		{"dt 0 with a NIR file", fromConfig(filepath.Join(src, "model.nir"), 0), []string{"model.dt", "must be > 0"}},
		{"negative dt", fromConfig(filepath.Join(src, "model.nir"), -1e-3), []string{"model.dt", "-0.001", "> 0"}},
		{"NaN dt", fromConfig(filepath.Join(src, "model.nir"), math.NaN()), []string{"model.dt", "NaN"}},
		{"dt with a directory", fromConfig(modelDir, 1e-3), []string{"model.dt", "is for a .nir model.from"}},
		{"dt without model.from", fromConfig("", 1e-3), []string{"model.dt", "only with a .nir model.from"}},
		{"missing NIR file", fromConfig(missing, 1e-3), []string{"model.from", missing}},
		{"missing directory", fromConfig(filepath.Join(tmp, "nothing"), 0), []string{"model.from", filepath.Join(tmp, "nothing", model.ArchFile)}},
		{"sizes", units, []string{"model.from", "20 inputs and 10 outputs", "21 features and 10 classes"}},
		{"read-out", lifOut, []string{"model.readout", `layer out is "li"`}},
	}
	for _, c := range cases {
		_, err := runWith(c.cfg, filepath.Join(tmp, "run-"+strings.ReplaceAll(c.name, " ", "-")), Options{})
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v\nwant it to name %q", c.name, err, w)
			}
		}
	}
}

// TestModelFromUnsupportedNode: a NIR graph with a node spikegrad has no
// layer for (a Threshold node put between lif1 and fc2 of an exported
// model) is refused naming the file, the node and its type.
func TestModelFromUnsupportedNode(t *testing.T) {
	tmp := t.TempDir()
	_, _, g := trainedGraph(t, filepath.Join(tmp, "src"), 1)
	thr := make([]float32, 16) // lif1 has 16 neurons (tinyConfig)
	g.Nodes["thr"] = &nir.Node{Type: "Threshold", Params: map[string]*nir.Array{"threshold": nir.F32([]int{16}, thr...)}}
	found := false
	for i, e := range g.Edges {
		if e.From == "lif1" && e.To == "fc2" {
			g.Edges[i].To = "thr"
			g.Edges = append(g.Edges, nir.Edge{From: "thr", To: "fc2"})
			found = true
			break
		}
	}
	if !found {
		t.Fatalf("no edge lif1 -> fc2 in %v", g.Edges)
	}
	file := filepath.Join(tmp, "threshold.nir")
	if err := nir.Write(file, g); err != nil {
		t.Fatal(err)
	}
	_, err := runWith(fromConfig(file, 1e-3), filepath.Join(tmp, "run"), Options{})
	if err == nil || !strings.Contains(err.Error(), "Threshold") || !strings.Contains(err.Error(), "thr") || !strings.Contains(err.Error(), file) {
		t.Errorf("model.from %s: %v, want an error naming the file, the node thr and its type Threshold", file, err)
	}
	t.Log(err)
}
