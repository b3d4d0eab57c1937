package train

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/rundir"
)

// readLayersConfig reads the YAML text y over the defaults, as the file
// name file.
func readLayersConfig(t *testing.T, y, file string) (Config, error) {
	t.Helper()
	c := DefaultConfig()
	if err := c.ReadYAML([]byte(y), file); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// testLosses returns the test loss of each epoch of the run in dir.
func testLosses(t *testing.T, dir string) []float64 {
	t.Helper()
	ms, err := rundir.ReadMetrics(filepath.Join(dir, rundir.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	var loss []float64
	for _, m := range ms {
		if m.Split == rundir.SplitTest && m.Name == "loss" {
			loss = append(loss, m.Value)
		}
	}
	return loss
}

// runLayers trains c with Run in a new run directory and returns it, the
// result and the test loss of each epoch.
func runLayers(t *testing.T, c Config) (string, *Result, []float64) {
	t.Helper()
	run := filepath.Join(t.TempDir(), "run")
	res, err := Run(context.Background(), c, Options{RunDir: run, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	loss := testLosses(t, run)
	t.Logf("test loss per epoch %v, accuracy %v", loss, res.TestAccuracy)
	return run, res, loss
}

// convLayersYAML is TestConvNetMNIST's network (1×28×28 → conv 3×3 at
// stride 2, padding 1 → 8×14×14 → sum pool 2×2 → 8×7×7 → 10) and recipe,
// written as model.layers.
const convLayersYAML = `
seed: 0
data:
  dataset: mnist
  steps: 8
  train_limit: 256
  test_limit: 128
model:
  readout: li
  layers:
    - {kind: conv2d, name: conv1, in: 1, out: 8, h: 28, w: 28, kernel: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: 1, bias: true, init: pytorch}
    - {kind: lif, name: lif1, n: 1568, beta: 0.9, threshold: 1, reset: subtract, surrogate: {name: fast_sigmoid, params: {slope: 25}}}
    - {kind: sumpool2d, name: pool1, c: 8, h: 14, w: 14, kernel: [2, 2], stride: [2, 2]}
    - {kind: flatten, name: flat, in: 392}
    - {kind: linear, name: fc, in: 392, out: 10, bias: true, init: pytorch}
    - {kind: li, name: out, n: 10, beta: 0.9}
train:
  epochs: 3
  batch_size: 32
  lr: 2.0e-3
  loss: max_membrane_ce
  predict: membrane_max
`

// TestLayersConvMNIST trains the conv net of model.layers with Run on 256
// MNIST images: the test loss falls every epoch, the run's model.json holds
// the listed layers, and EvaluateRun (spikegrad eval) loads the run and
// measures the run's final test accuracy and loss again.
func TestLayersConvMNIST(t *testing.T) {
	run, _ := trainLayersMNIST(t, convLayersYAML, "conv.yaml")
	md, _, err := model.Load(filepath.Join(run, rundir.ModelDir))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, l := range md.Layers {
		kinds = append(kinds, l.Kind+":"+l.Name)
	}
	want := []string{"conv2d:conv1", "lif:lif1", "sumpool2d:pool1", "flatten:flat", "linear:fc", "li:out"}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("model.json layers %v, want %v", kinds, want)
	}
}

// trainLayersMNIST trains the config y (on MNIST, 3 epochs, 128 test
// images) with Run, checks that the test loss falls every epoch and that
// EvaluateRun (spikegrad eval) loads the run and measures its final test
// accuracy and loss again exactly, and returns the run directory and the
// result.
func trainLayersMNIST(t *testing.T, y, file string) (string, *Result) {
	t.Helper()
	dir := mnistDir(t)
	c, err := readLayersConfig(t, y, file)
	if err != nil {
		t.Fatal(err)
	}
	c.Data.Dir = dir
	run, res, loss := runLayers(t, c)
	if len(loss) != 3 || !(loss[1] < loss[0] && loss[2] < loss[1]) {
		t.Fatalf("test loss per epoch %v: want 3 epochs, each lower than the last", loss)
	}
	ev, err := EvaluateRun(context.Background(), run, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Samples != 128 || ev.Accuracy != res.TestAccuracy || ev.Loss != res.TestLoss {
		t.Errorf("eval: %d samples, accuracy %v, loss %v; the run ended with accuracy %v, loss %v on 128 (data.test_limit)",
			ev.Samples, ev.Accuracy, ev.Loss, res.TestAccuracy, res.TestLoss)
	}
	return run, res
}

// rlifMNISTYAML is a recurrent network on rate-coded MNIST images (spikes
// drawn per pixel and step with the pixel's intensity as probability).
const rlifMNISTYAML = `
seed: 0
data:
  dataset: mnist
  encoding: rate
  steps: 8
  train_limit: 256
  test_limit: 128
model:
  readout: li
  layers:
    - {kind: linear, name: fc1, in: 784, out: 64, bias: true, init: pytorch}
    - {kind: rlif, name: rec1, n: 64, beta: 0.9, threshold: 1, reset: subtract, one_to_one: false, surrogate: {name: fast_sigmoid, params: {slope: 25}}}
    - {kind: linear, name: fc2, in: 64, out: 10, bias: true, init: pytorch}
    - {kind: li, name: out, n: 10, beta: 0.9}
train:
  epochs: 3
  batch_size: 32
  lr: 2.0e-3
  loss: max_membrane_ce
  predict: membrane_max
`

// TestLayersRecurrentMNIST trains Linear → RLIF → Linear → LI from
// model.layers on 256 rate-coded MNIST images: the test loss falls every
// epoch and spikegrad eval measures the run's result again exactly.
func TestLayersRecurrentMNIST(t *testing.T) {
	trainLayersMNIST(t, rlifMNISTYAML, "rlif-mnist.yaml")
}

// rlifLayersYAML is a recurrent network on the default Randman data (100
// units, 10 classes: DefaultConfig's).
const rlifLayersYAML = `
model:
  layers:
    - {kind: linear, name: fc1, in: 100, out: 64, bias: true, init: pytorch}
    - {kind: rlif, name: rec1, n: 64, beta: 0.95, threshold: 1, reset: subtract, surrogate: {name: fast_sigmoid, params: {slope: 25}}}
    - {kind: dropout, name: drop1, p: 0.1}
    - {kind: linear, name: fc2, in: 64, out: 10, bias: true, init: pytorch}
    - {kind: li, name: out, n: 10, beta: 0.95}
train:
  epochs: 3
`

// TestLayersRecurrentRandman trains Linear → RLIF → Dropout → Linear → LI from
// model.layers on Randman: the test loss of the last epoch is below the
// first's, and the config read back from the run's config.yaml shows no
// change of model.layers (as --resume compares it), while a changed layer
// does.
func TestLayersRecurrentRandman(t *testing.T) {
	c, err := readLayersConfig(t, rlifLayersYAML, "rlif.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, _, loss := runLayers(t, c)
	if len(loss) != 3 || !(loss[2] < loss[0]) {
		t.Fatalf("test loss per epoch %v: want 3 epochs, the last lower than the first", loss)
	}
	back := DefaultConfig()
	if err := back.ReadYAML(c.YAML(), "config.yaml"); err != nil {
		t.Fatal(err)
	}
	if ch := configChanges(&c, &back); len(ch) != 0 {
		t.Errorf("config read back from its YAML: changes %v, want none", ch)
	}
	back.Model.Layers[1].Config["beta"] = 0.9 // rec1
	ch := configChanges(&c, &back)
	if len(ch) != 1 || ch[0].Key != "model.layers" {
		t.Errorf("changed rec1.beta: changes %v, want model.layers", ch)
	}
}

// TestLayersErrors checks the errors of model.layers: each names the file
// and line, the list index, the layer and the field.
func TestLayersErrors(t *testing.T) {
	head := "model:\n  layers:\n"
	lif := "    - {kind: lif, name: h, n: 8, beta: 0.9, threshold: 1, reset: subtract, surrogate: {name: fast_sigmoid, params: {slope: 25}}}\n"
	fc1 := "    - {kind: linear, name: fc1, in: 100, out: 8, bias: true, init: pytorch}\n"
	fc2 := "    - {kind: linear, name: fc2, in: 8, out: 10, bias: true, init: pytorch}\n"
	out := "    - {kind: li, name: out, n: 10, beta: 0.9}\n"
	for _, tc := range []struct {
		name, yaml string
		line       int
		want       []string
	}{
		{"unknown kind", head + fc1 + "    - {kind: lfi, name: h, n: 8}\n" + fc2 + out, 4,
			[]string{"model.layers[1]", `"h"`, "kind", `"lfi"`, "unknown layer kind"}},
		{"bad field", head + fc1 + "    - kind: lif\n      name: h\n      n: 8\n      betta: 0.9\n" + fc2 + out, 7,
			[]string{"model.layers[1]", `"h"`, "betta", "unknown field"}},
		{"bad value", head + fc1 + strings.Replace(lif, "beta: 0.9", "beta: 1.5", 1) + fc2 + out, 4,
			[]string{"model.layers[1]", `"h"`, "beta", "1.5"}},
		{"wrong type", head + strings.Replace(fc1, "in: 100", "in: many", 1) + lif + fc2 + out, 3,
			[]string{"model.layers[0]", `"fc1"`, "in"}},
		{"no name", head + "    - {kind: li, n: 10}\n", 3, []string{"model.layers[0]", "name", "is missing"}},
		{"sizes do not chain", head + fc1 + strings.Replace(lif, "n: 8", "n: 9", 1) + fc2 + out, 0,
			[]string{"model.layers[1]", `"h"`, "takes 9 values", `"fc1"`, "gives 8"}},
		{"shapes do not chain", head +
			"    - {kind: conv2d, name: c, in: 1, out: 4, h: 10, w: 10, kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1, init: pytorch}\n" +
			"    - {kind: maxpool2d, name: p, c: 8, h: 10, w: 5, kernel: [2, 2], stride: [2, 2]}\n", 0,
			[]string{"model.layers[1]", `"p"`, "takes 8×10×5", `"c"`, "gives 4×10×10"}},
		{"delay longer than the sequence", head + fc1 + "    - {kind: delay, name: d, n: 8, max_delay: 5000}\n" + lif + fc2 + out, 0,
			[]string{"model.layers[1]", `"d"`, "max_delay = 5000", "less than the number of time steps"}},
		{"layers and hidden", "model:\n  hidden: [64]\n  layers:\n" + fc1 + lif + fc2 + out, 0,
			[]string{"model.layers", "model.hidden is set"}},
		{"layers and from", "model:\n  from: runs/x\n  layers:\n" + fc1 + lif + fc2 + out, 0,
			[]string{"model.layers", "model.from", "runs/x", "keep one"}},
		{"readout", head + fc1 + lif + fc2 + strings.Replace(out, "{kind: li, name: out, n: 10, beta: 0.9}", "{kind: lif, name: out, n: 10, beta: 0.9, threshold: 1, reset: subtract, surrogate: {name: fast_sigmoid, params: {slope: 25}}}", 1), 0,
			[]string{"model.readout", `"li"`, "last layer", `"lif"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readLayersConfig(t, tc.yaml, "net.yaml")
			if err == nil {
				t.Fatal("no error")
			}
			ce := configErr(t, err)
			if ce.Line != tc.line {
				t.Errorf("line %d, want %d: %v", ce.Line, tc.line, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestLayersData checks that the first layer must take the data's
// features and the last give its classes, in one error naming both, and
// that model.layers set as a flag is decoded as strictly as in a file.
func TestLayersData(t *testing.T) {
	c, err := readLayersConfig(t, strings.Replace(rlifLayersYAML, "in: 100", "in: 99", 1), "rlif.yaml")
	if err == nil {
		_, err = Run(context.Background(), c, Options{RunDir: filepath.Join(t.TempDir(), "run"), Log: io.Discard})
	}
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"model.layers", "take 99 inputs and give 10 outputs", "100 features and 10 classes"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	d := DefaultConfig()
	if err := d.Set("model.layers", "[{kind: li, name: out, n: 10, betta: 0.9}]"); err == nil ||
		!strings.Contains(err.Error(), `model.layers[0] (layer "out", li).betta: unknown field`) {
		t.Errorf("Set(model.layers) with an unknown field: %v, want an error naming model.layers[0], out and betta", err)
	}
}

// TestExampleConvConfig checks that examples/fashion-mnist-conv.yaml
// describes a network from Fashion-MNIST's 784 pixels to its 10 classes
// over the 2 time steps its header comment states.
func TestExampleConvConfig(t *testing.T) {
	const f = "../examples/fashion-mnist-conv.yaml"
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	c, err := readLayersConfig(t, string(b), f)
	if err != nil {
		t.Fatal(err)
	}
	in, out, err := chainSizes(layersModel(c.Model.Layers))
	if err != nil || in != 28*28 || out != 10 || c.Data.Steps != 2 {
		t.Errorf("layers take %d and give %d (%v), %d steps; want 784 → 10, 2 steps", in, out, err, c.Data.Steps)
	}
}

// TestExampleSHDConfig checks that examples/shd-recurrent.yaml describes the
// recurrent network of the Spiking Heidelberg Digits' shape on data of that
// shape: 700 inputs, an all-to-all rlif layer of 256, 20 outputs, 100 steps,
// 20 classes, batches of 64 (layers' BenchmarkSHDShape).
func TestExampleSHDConfig(t *testing.T) {
	const f = "../examples/shd-recurrent.yaml"
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	c, err := readLayersConfig(t, string(b), f)
	if err != nil {
		t.Fatal(err)
	}
	in, out, err := chainSizes(layersModel(c.Model.Layers))
	if err != nil || in != 700 || out != 20 {
		t.Errorf("layers take %d and give %d (%v); want 700 → 20", in, out, err)
	}
	d := c.Data
	if d.Dataset != "randman" || d.RandmanUnits != 700 || d.RandmanSteps != 100 || d.RandmanClasses != 20 || c.Train.BatchSize != 64 {
		t.Errorf("data %+v, batch %d; want randman of 700 units, 100 steps, 20 classes, batches of 64", d, c.Train.BatchSize)
	}
	var rec []string
	for _, l := range c.Model.Layers {
		if l.Kind == "rlif" {
			rec = append(rec, l.Name)
			if l.Config["n"] != 256 || l.Config["one_to_one"] == true {
				t.Errorf("rlif layer %q: %v, want 256 neurons, all to all", l.Name, l.Config)
			}
		}
	}
	if len(rec) != 1 {
		t.Errorf("rlif layers %v, want one", rec)
	}
}
