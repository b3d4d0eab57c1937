package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/infer"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/nir"
	"github.com/spikegrad/spikegrad/rundir"
	"github.com/spikegrad/spikegrad/safetensors"
	"github.com/spikegrad/spikegrad/train"
)

// TestExportRandman trains tinyYAML's run, exports it, and requires the
// engine to give the accuracy of `spikegrad eval` on the run's test set
// (regenerated from the config), and export to keep an existing file unless
// --force.
func TestExportRandman(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	cfgFile := writeFile(t, tmp, "run.yaml", tinyYAML)
	dir := filepath.Join(tmp, "run")
	if _, stderr, err := cmd(ctx, "train", "--config", cfgFile, "--run-dir", dir, "--train.epochs", "2"); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	}
	out, _, err := cmd(ctx, "export", dir)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	path := filepath.Join(dir, "model.sgi")
	if strings.TrimSpace(out) != path {
		t.Errorf("export printed %q, want %q", out, path)
	}
	m, err := infer.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.Encoding.Name != infer.EncodingSpikes || m.Steps != 20 || m.Readout != "membrane_max" {
		t.Errorf("exported encoding %+v, steps %d, read-out %s; want spikes, 20 (randman_steps), membrane_max", m.Encoding, m.Steps, m.Readout)
	}
	if acc, ev := engineAndEval(t, ctx, m, dir); acc != ev {
		t.Errorf("engine: accuracy %v; spikegrad eval: %v", acc, ev)
	}
	// Again: the same bytes, left as they are.
	if out, _, err = cmd(ctx, "export", dir); err != nil || !strings.Contains(out, "up to date") {
		t.Errorf("second export: %q, %v", out, err)
	}
	// A different file is kept unless --force.
	other := writeFile(t, tmp, "other.sgi", "not a model")
	if _, _, err = cmd(ctx, "export", dir, "--out", other); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("export over a different file: %v, want a refusal naming --force", err)
	}
	if b, _ := os.ReadFile(other); string(b) != "not a model" {
		t.Error("export replaced a different file without --force")
	}
	if _, _, err = cmd(ctx, "export", dir, "--out", other, "--force"); err != nil {
		t.Errorf("export --force: %v", err)
	}
	b1, _ := os.ReadFile(other)
	b2, _ := os.ReadFile(path)
	if !bytes.Equal(b1, b2) {
		t.Error("export --force wrote other bytes than the first export")
	}
	// Errors name what is wrong.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"export", tmp}, "config.yaml"},
		{[]string{"export"}, "usage"},
		{[]string{"infer", cfgFile}, cfgFile},
		{[]string{"infer", path, "--data", "randman"}, "mnist"},
		{[]string{"infer", path, "--limit", "x"}, "--limit"},
	} {
		if _, _, err := cmd(ctx, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one naming %q", c.args, err, c.want)
		}
	}
}

// engineAndEval returns the accuracy of the inference model m on the test
// set of the run dir (regenerated from its config) and that of
// `spikegrad eval` of the run, and fails t if they ran other samples.
func engineAndEval(t *testing.T, ctx context.Context, m *infer.Model, dir string) (engine, eval float64) {
	t.Helper()
	cfg, _, err := train.LoadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	data, err := train.LoadData(ctx, cfg.Data, cfg.Seed, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := infer.New(m)
	if err != nil {
		t.Fatal(err)
	}
	_, st, err := e.Run(data.Test, infer.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := train.EvaluateRun(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Samples != ev.Samples {
		t.Errorf("engine: %d samples; spikegrad eval: %d", st.Samples, ev.Samples)
	}
	return st.Accuracy, ev.Accuracy
}

// TestInferMNIST trains the tutorial network on 640 MNIST images, exports
// it and runs `spikegrad infer` on 500 test images; it skips without the
// project's MNIST files (fails with SPIKEGRAD_REQUIRE_DATA=1).
func TestInferMNIST(t *testing.T) {
	data := mnistData(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "run")
	if _, stderr, err := cmd(ctx, "train", "--config", filepath.Join("..", "..", "examples", "mnist-tutorial.yaml"),
		"--run-dir", dir, "--data.dir", data, "--data.train_limit", "640", "--data.test_limit", "500"); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	}
	if _, _, err := cmd(ctx, "export", dir); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "report")
	out, _, err := cmd(ctx, "infer", filepath.Join(dir, "model.sgi"), "--data.dir", data, "--limit", "500", "--report", report)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"samples 500", "steps 25", "accuracy", "fc1", "lif1", "SynOps/sample", "dense operations per sample",
		"energy per sample", "loihi ", "gpu-a100 "} {
		if !strings.Contains(out, want) {
			t.Errorf("infer output lacks %q:\n%s", want, out)
		}
	}
	r, err := infer.ReadReport(report)
	if err != nil {
		t.Fatal(err)
	}
	if r.Stats.Samples != 500 || len(r.Stats.Layers) != 4 {
		t.Errorf("report: %d samples, %d layers; want 500 and 4", r.Stats.Samples, len(r.Stats.Layers))
	}
	if _, _, err := cmd(ctx, "plot", report); err != nil {
		t.Errorf("plot of the report: %v", err)
	}
	// A profile file with a negative figure stops the command before the
	// run, naming the file, the profile and the field.
	bad := writeFile(t, t.TempDir(), "bad.yaml", "version: 1\nprofiles:\n  - name: x\n    title: X\n    mode: dense\n"+
		"    neuron: {pj: -1, kind: measured, source: s}\n    mac: {pj: 1, kind: measured, source: s}\n")
	if _, _, err := cmd(ctx, "infer", filepath.Join(dir, "model.sgi"), "--data.dir", data, "--profiles", bad); err == nil ||
		!strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), `profile "x": neuron.pj`) {
		t.Errorf("bad profile file: %v", err)
	}
	// fc1 takes the image (analog): 784·1000 MACs per sample, once.
	if !strings.Contains(out, "784000") {
		t.Errorf("infer output lacks fc1's 784000 MACs per sample:\n%s", out)
	}
}

// TestExportNIR exports tinyYAML's trained run as a NIR graph and requires
// the graph, read back and converted with the same dt, to be the run's model:
// the same model.json and the same tensors bit for bit (nir.FromModel and
// nir.ToModel invert each other for parameters inside their ranges). A
// second export is "up to date"; --format nir without --dt, and a bad dt,
// are usage errors.
func TestExportNIR(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	cfgFile := writeFile(t, tmp, "run.yaml", tinyYAML)
	dir := filepath.Join(tmp, "run")
	if _, stderr, err := cmd(ctx, "train", "--config", cfgFile, "--run-dir", dir, "--train.epochs", "1"); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	}
	const dt = 1e-3 // seconds per step
	out, _, err := cmd(ctx, "export", dir, "--format", "nir", "--dt", "1e-3")
	if err != nil {
		t.Fatalf("export --format nir: %v", err)
	}
	path := filepath.Join(dir, "model.nir")
	if strings.TrimSpace(out) != path {
		t.Errorf("export printed %q, want %q", out, path)
	}
	g, err := nir.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	got, gotW, err := nir.ToModel(g, dt)
	if err != nil {
		t.Fatal(err)
	}
	want, wantW, err := model.Load(filepath.Join(dir, rundir.ModelDir))
	if err != nil {
		t.Fatal(err)
	}
	a, err := model.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	b, err := model.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("model from the NIR file:\n%s\nthe run's model:\n%s", a, b)
	}
	byName := map[string]safetensors.Tensor{}
	for _, w := range gotW {
		byName[w.Name] = w
	}
	for _, w := range wantW {
		g, ok := byName[w.Name]
		if !ok || !slices.Equal(g.Shape, w.Shape) || !slices.EqualFunc(g.Data, w.Data, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) }) {
			t.Errorf("tensor %s of the NIR file differs from the run's (present %v)", w.Name, ok)
		}
	}
	if len(gotW) != len(wantW) {
		t.Errorf("%d tensors from the NIR file, the run has %d", len(gotW), len(wantW))
	}
	if out, _, err := cmd(ctx, "export", dir, "--format", "nir", "--dt", "1e-3"); err != nil || !strings.Contains(out, "up to date") {
		t.Errorf("second export: %q, %v; want up to date", out, err)
	}
	for _, args := range [][]string{
		{"export", dir, "--format", "nir"},
		{"export", dir, "--format", "nir", "--dt", "0"},
		{"export", dir, "--format", "nir", "--dt", "-1e-3"},
		{"export", dir, "--dt", "1e-3"},
		{"export", dir, "--format", "onnx"},
	} {
		if _, _, err := cmd(ctx, args...); err == nil || !strings.Contains(err.Error(), "export: --") {
			t.Errorf("spikegrad %s: %v, want a usage error naming the option", strings.Join(args, " "), err)
		}
	}
}

// convYAML is a small spiking conv net on MNIST: a strided 3×3 convolution
// (1×28×28 → 8×14×14), LIF, 2×2 max pooling, a second convolution
// (8×7×7 → 12×7×7), LIF, flatten, dropout and a linear read-out into leaky
// integrators, over 6 steps with the image as input current.
const convYAML = `name: conv
seed: 0
data:
  dataset: mnist
  encoding: direct
  steps: 6
model:
  readout: li
  layers:
    - {kind: conv2d, name: conv1, in: 1, out: 8, h: 28, w: 28, kernel: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: 1, bias: true, init: pytorch}
    - {kind: lif, name: lif1, n: 1568, beta: 0.9, threshold: 1, reset: subtract, surrogate: {name: fast_sigmoid, params: {slope: 25}}}
    - {kind: maxpool2d, name: pool1, c: 8, h: 14, w: 14, kernel: [2, 2], stride: [2, 2]}
    - {kind: conv2d, name: conv2, in: 8, out: 12, h: 7, w: 7, kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1, bias: true, init: pytorch}
    - {kind: lif, name: lif2, n: 588, beta: 0.9, threshold: 1, reset: subtract, surrogate: {name: fast_sigmoid, params: {slope: 25}}}
    - {kind: flatten, name: flat, in: 588}
    - {kind: dropout, name: drop, p: 0.2}
    - {kind: linear, name: fc, in: 588, out: 10, bias: true, init: pytorch}
    - {kind: li, name: out, n: 10, beta: 0.9}
train:
  epochs: 1
  batch_size: 32
  optimizer: adam
  lr: 2.0e-3
  loss: max_membrane_ce
  predict: membrane_max
`

// TestInferConvMNIST trains convYAML on 512 MNIST images, exports it (the
// dropout layer stays in the model: the engine passes its input on) and
// runs `spikegrad infer` with a report on 500 test images: the engine's
// accuracy must be `spikegrad eval`'s, the convolutions must have worked
// event-driven on the spikes of lif1 (SynOps, no MACs) and the first one
// densely on the image (MACs). It skips without the project's MNIST files
// (fails with SPIKEGRAD_REQUIRE_DATA=1).
func TestInferConvMNIST(t *testing.T) {
	data := mnistData(t)
	ctx := context.Background()
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "run")
	if _, stderr, err := cmd(ctx, "train", "--config", writeFile(t, tmp, "conv.yaml", convYAML), "--run-dir", dir,
		"--data.dir", data, "--data.train_limit", "512", "--data.test_limit", "500"); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	}
	if _, _, err := cmd(ctx, "export", dir); err != nil {
		t.Fatal(err)
	}
	m, err := infer.Load(filepath.Join(dir, "model.sgi"))
	if err != nil {
		t.Fatal(err)
	}
	if acc, ev := engineAndEval(t, ctx, m, dir); acc != ev {
		t.Errorf("engine: accuracy %v; spikegrad eval: %v", acc, ev)
	}
	// NIR has no max pooling: the export names the layer and writes nothing.
	nirOut := filepath.Join(tmp, "conv.nir")
	if _, _, err := cmd(ctx, "export", dir, "--format", "nir", "--dt", "1e-3", "--out", nirOut); err == nil ||
		!strings.Contains(err.Error(), "node pool1") || !strings.Contains(err.Error(), "max pooling") {
		t.Errorf("NIR export of a net with max pooling: %v, want an error naming pool1", err)
	}
	if _, err := os.Stat(nirOut); err == nil {
		t.Errorf("a refused NIR export wrote %s", nirOut)
	}
	report := filepath.Join(dir, "report")
	out, _, err := cmd(ctx, "infer", filepath.Join(dir, "model.sgi"), "--data.dir", data, "--limit", "500", "--report", report)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("spikegrad infer:\n%s", out)
	r, err := infer.ReadReport(report)
	if err != nil {
		t.Fatal(err)
	}
	if r.Stats.Samples != 500 || len(r.Stats.Layers) != 9 {
		t.Fatalf("report: %d samples, %d layers; want 500 and 9", r.Stats.Samples, len(r.Stats.Layers))
	}
	conv1, lif1, conv2 := r.Stats.Layers[0], r.Stats.Layers[1], r.Stats.Layers[3]
	// conv1 takes the image once: 8·14·14 outputs of 9 products each.
	if conv1.MACs != 8*14*14*9 || conv1.SynOps != 0 {
		t.Errorf("conv1: %v MACs, %v SynOps; want 14112 and 0", conv1.MACs, conv1.SynOps)
	}
	if lif1.Spikes == 0 || conv2.SynOps == 0 || conv2.MACs != 0 || conv2.SynOps >= conv2.DenseOps {
		t.Errorf("conv2 on lif1's %v spikes: %v SynOps, %v MACs, %v dense; want event-driven work below the dense",
			lif1.Spikes, conv2.SynOps, conv2.MACs, conv2.DenseOps)
	}
}

// mnistData returns the folder of the project's MNIST files; it skips t
// without them (fails with SPIKEGRAD_REQUIRE_DATA=1).
func mnistData(t *testing.T) string {
	t.Helper()
	return sharedData(t, "MNIST", "mnist", "t10k-images-idx3-ubyte.gz")
}

// sharedData returns the folder ../shared/data/<folder> (or in
// $SPIKEGRAD_SHARED_DATA) when it holds file, and skips t otherwise (fails
// it with SPIKEGRAD_REQUIRE_DATA=1, as in CI); name is for messages.
func sharedData(t *testing.T, name, folder, file string) string {
	t.Helper()
	data := filepath.Join("..", "..", "..", "shared", "data", folder)
	if d := os.Getenv("SPIKEGRAD_SHARED_DATA"); d != "" {
		data = filepath.Join(d, folder)
	}
	if _, err := os.Stat(filepath.Join(data, file)); err != nil {
		if os.Getenv("SPIKEGRAD_REQUIRE_DATA") == "1" {
			t.Fatalf("%s not found: %v", name, err)
		}
		t.Skipf("%s not found: %v", name, err)
	}
	return data
}

// TestExportNMNISTFrames trains examples/nmnist-small.yaml on 64 samples of
// the N-MNIST subset for one epoch, exports it (the frames are the input
// spikes, 20 steps: data.frame_bins) and checks that the inference engine
// gives spikegrad eval's accuracy on the test set; a run whose frames have
// their own lengths (data.frame_window) is refused by export.
func TestExportNMNISTFrames(t *testing.T) {
	data := sharedData(t, "N-MNIST subset", "nmnist-small", "train1K.txt")
	ctx := context.Background()
	config := filepath.Join("..", "..", "examples", "nmnist-small.yaml")
	dir := filepath.Join(t.TempDir(), "run")
	if _, stderr, err := cmd(ctx, "train", "--config", config, "--run-dir", dir, "--data.dir", data,
		"--data.train_limit", "64", "--train.epochs", "1"); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	}
	if _, _, err := cmd(ctx, "export", dir); err != nil {
		t.Fatal(err)
	}
	m, err := infer.Load(filepath.Join(dir, "model.sgi"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Encoding.Name != infer.EncodingSpikes || m.Steps != 20 {
		t.Errorf("exported encoding %+v, steps %d; want spikes, 20 (data.frame_bins)", m.Encoding, m.Steps)
	}
	if acc, ev := engineAndEval(t, ctx, m, dir); acc != ev {
		t.Errorf("engine: accuracy %v; spikegrad eval: %v", acc, ev)
	}
	win := filepath.Join(t.TempDir(), "run")
	if _, stderr, err := cmd(ctx, "train", "--config", config, "--run-dir", win, "--data.dir", data,
		"--data.frame_bins", "0", "--data.frame_window", "20000", "--data.train_limit", "16", "--data.test_limit", "8",
		"--train.epochs", "1"); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	}
	if _, _, err := cmd(ctx, "export", win); err == nil || !strings.Contains(err.Error(), "data.frame_window") {
		t.Errorf("export of a run of frames by window: %v, want a refusal naming data.frame_window", err)
	}
}
