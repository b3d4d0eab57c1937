package train

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/spikegrad/spikegrad/rundir"
	"github.com/spikegrad/spikegrad/safetensors"
)

// v1Runs are run directories written by an earlier version in the model
// format spikegrad.sequential/v1 (../model/testdata/README.md says how).
var v1Runs = []string{"../model/testdata/v1-lif", "../model/testdata/v1-synaptic"}

func readConfig(t *testing.T, dir string) Config {
	t.Helper()
	cfg := DefaultConfig()
	path := filepath.Join(dir, rundir.ConfigFile)
	if err := cfg.ReadYAML(readFile(t, path), path); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// lastTest returns the test metric name of the last epoch in a run's
// metrics.jsonl.
func lastTest(t *testing.T, dir, name string) float64 {
	t.Helper()
	ms, err := rundir.ReadMetrics(filepath.Join(dir, rundir.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	v, ok := 0.0, false
	for _, m := range ms {
		if m.Split == rundir.SplitTest && m.Name == name {
			v, ok = m.Value, true
		}
	}
	if !ok {
		t.Fatalf("%s: no test %s", dir, name)
	}
	return v
}

// TestLoadV1Model loads the final model of runs of the earlier model
// format: LoadModel builds the network that the run's config describes,
// with the weights of the run's weights file, and evaluating it gives the
// test accuracy and loss that the run recorded.
func TestLoadV1Model(t *testing.T) {
	for _, dir := range v1Runs {
		cfg, net, err := LoadModel(dir)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		want, err := BuildNetwork(cfg.Model, cfg.Data.RandmanUnits, cfg.Data.RandmanClasses, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(net.Model(), want.Model()) {
			t.Errorf("%s: model\n%+v\nwant the config's\n%+v", dir, net.Model(), want.Model())
		}
		f, err := safetensors.Load(filepath.Join(dir, rundir.ModelWeights))
		if err != nil {
			t.Fatal(err)
		}
		ps := net.Params()
		if len(f.Infos) != len(ps) {
			t.Errorf("%s: %d parameters, %d tensors in the weights file", dir, len(ps), len(f.Infos))
		}
		for _, p := range ps {
			w, err := f.Float32(p.Name)
			if err != nil || !reflect.DeepEqual(w, p.Data) {
				t.Errorf("%s: %s differs from the weights file (%v)", dir, p.Name, err)
			}
		}
		ev, err := EvaluateRun(context.Background(), dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		if acc, loss := lastTest(t, dir, "accuracy"), lastTest(t, dir, "loss"); ev.Accuracy != acc || ev.Loss != loss {
			t.Errorf("%s: test accuracy %v, loss %v; the run recorded %v, %v", dir, ev.Accuracy, ev.Loss, acc, loss)
		}
	}
}

// TestResumeV1 resumes a run of the earlier model format from the
// checkpoint of its first epoch for a second one. The checkpoint's
// architecture is in the earlier format, which describes the same network;
// and since the same seed gives the same weights and steps, the result is
// the one of an uninterrupted two-epoch run.
func TestResumeV1(t *testing.T) {
	src := "../model/testdata/v1-synaptic"
	cfg := readConfig(t, src)
	cfg.Train.Epochs = 2
	dir := t.TempDir()
	for _, f := range []string{rundir.ConfigFile, rundir.MetricsFile, rundir.LastCheckpoint} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), readFile(t, filepath.Join(src, f)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res := runIn(t, cfg, dir, Options{Resume: true})
	ref := t.TempDir()
	want := runIn(t, cfg, ref, Options{})
	if res.Epochs != 2 || res.TestAccuracy != want.TestAccuracy || res.TestLoss != want.TestLoss {
		t.Errorf("resumed: %+v, want %+v", res, want)
	}
	if !bytes.Equal(readFile(t, filepath.Join(ref, rundir.ModelWeights)), readFile(t, filepath.Join(dir, rundir.ModelWeights))) {
		t.Error("the resumed run's final weights differ from an uninterrupted run's")
	}
}
