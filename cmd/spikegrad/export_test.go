package main

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/infer"
	"github.com/spikegrad/spikegrad/layers"
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
	data := filepath.Join("..", "..", "..", "shared", "data", "mnist")
	if d := os.Getenv("SPIKEGRAD_SHARED_DATA"); d != "" {
		data = filepath.Join(d, "mnist")
	}
	if _, err := os.Stat(filepath.Join(data, "t10k-images-idx3-ubyte.gz")); err != nil {
		if os.Getenv("SPIKEGRAD_REQUIRE_DATA") == "1" {
			t.Fatalf("MNIST not found: %v", err)
		}
		t.Skipf("MNIST not found: %v", err)
	}
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

// TestInferenceArchDropout: an exported model leaves out Dropout layers
// (the identity at inference, without parameters) and keeps every other
// layer in order; the result is a model the engine accepts.
func TestInferenceArchDropout(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	net := layers.NewSequential(
		layers.NewLinear("fc1", 4, 3, layers.LinearConfig{RNG: rng}),
		layers.NewDropout("drop", 0.5),
		layers.NewLIF("lif1", 3, layers.LIFConfig{Beta: 0.9}),
	)
	a := inferenceArch(net.Model())
	var kinds []string
	for _, l := range a.Layers {
		kinds = append(kinds, l.Name+":"+l.Kind)
	}
	if want := []string{"fc1:linear", "lif1:lif"}; !slices.Equal(kinds, want) {
		t.Fatalf("inference layers %v, want %v", kinds, want)
	}
	m := &infer.Model{Arch: a, Steps: 2, Readout: "spike_count", Encoding: infer.Encoding{Name: infer.EncodingDirect}}
	for _, p := range net.Params() {
		m.Weights = append(m.Weights, safetensors.Tensor{Name: p.Name, Shape: p.Shape(), Data: p.Data})
	}
	if _, err := infer.New(m); err != nil {
		t.Fatalf("the engine refuses the model without its dropout: %v", err)
	}
}
