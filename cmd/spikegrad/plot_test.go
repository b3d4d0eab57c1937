package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/infer"
)

func TestPlotRun(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	cfgFile := writeFile(t, tmp, "run.yaml", tinyYAML)
	dir := filepath.Join(tmp, "run")
	if _, stderr, err := cmd(ctx, "train", "--config", cfgFile, "--train.epochs", "1", "--run-dir", dir, "--progress", "off"); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	}
	if err := os.RemoveAll(filepath.Join(dir, "plots")); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := cmd(ctx, "plot", "--sample", "5", "--format", "svg", dir)
	if err != nil {
		t.Fatalf("plot: %v\n%s", err, stderr)
	}
	var got []string
	for _, p := range strings.Fields(out) {
		got = append(got, filepath.Base(p))
	}
	// tinyYAML's network: fc1 → lif1 (16) → fc2 → out (LI read-out, 10).
	want := []string{"loss.svg", "accuracy.svg", "rates.svg", "samples_per_s.svg", "lr.svg",
		"raster_lif1.svg", "membrane_lif1.svg", "membrane_out.svg", "rate_histograms.svg",
		"weights_fc1.svg", "weights_fc2.svg", "confusion.svg"}
	if !slices.Equal(got, want) {
		t.Errorf("plot wrote %q, want %q", got, want)
	}
	ents, err := os.ReadDir(filepath.Join(dir, "plots"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != len(want) {
		t.Errorf("plots/ holds %d files, want %d", len(ents), len(want))
	}
	raster, err := os.ReadFile(filepath.Join(dir, "plots", "raster_lif1.svg"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raster), "test sample 5: class ") {
		t.Error("the raster does not name its test sample")
	}
	traces, err := os.ReadFile(filepath.Join(dir, "plots", "membrane_out.svg"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(traces), "(true") {
		t.Error("the read-out's traces do not say which neuron is the true class")
	}

	// Chosen neurons: those the layer has (lif1 has 16, out 10).
	out, _, err = cmd(ctx, "plot", "--neurons", "3,12", "--format=png", dir)
	if err != nil {
		t.Fatalf("plot --neurons 3,12: %v", err)
	}
	if !strings.Contains(out, "membrane_lif1.png") || strings.Contains(out, ".svg") {
		t.Errorf("plot --format png wrote:\n%s", out)
	}

	// A run without a final model gets its curves and a note.
	early := filepath.Join(tmp, "early")
	if err := os.MkdirAll(early, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, early, "metrics.jsonl", string(b))
	out, stderr, err = cmd(ctx, "plot", early)
	if err != nil || !strings.Contains(out, "loss.png") || strings.Contains(out, "raster") || !strings.Contains(stderr, "no final model") {
		t.Errorf("plot of a run without model: %v\nout:\n%s\nerr:\n%s", err, out, stderr)
	}
}

func TestPlotSweep(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "run.yaml", tinyYAML)
	sweep := writeFile(t, dir, "sweep.yaml", `name: plot
base_config: run.yaml
strategy: {name: random, trials: 3, seed: 1}
parameters:
  train.lr: {log_uniform: [1e-3, 1e-2]}
  model.beta: {values: [0.9, 0.95]}
`)
	sd := filepath.Join(dir, "out")
	if _, stderr, err := cmd(context.Background(), "sweep", sweep, "--dir", sd, "--workers", "2"); err != nil {
		t.Fatalf("sweep: %v\n%s", err, stderr)
	}
	out, stderr, err := cmd(context.Background(), "plot", "--format", "svg", sd)
	if err != nil {
		t.Fatalf("plot: %v\n%s", err, stderr)
	}
	var got []string
	for _, p := range strings.Fields(out) {
		got = append(got, filepath.Base(p))
	}
	want := []string{"trials_loss.svg", "trials_accuracy.svg", "sweep_scatter.svg", "sweep_parallel.svg"}
	if !slices.Equal(got, want) {
		t.Errorf("plot wrote %q, want %q", got, want)
	}
	// The sweep file samples train.lr log-uniformly: a log axis.
	b, err := os.ReadFile(filepath.Join(sd, "plots", "sweep_scatter.svg"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "train.lr (log scale)") {
		t.Error("the scatter's learning-rate axis is not logarithmic")
	}
	if _, _, err := cmd(context.Background(), "plot", "--sample", "2", sd); err == nil || exitCode(err) != 2 {
		t.Errorf("plot --sample on a sweep: %v, want a usage error", err)
	}
}

func TestPlotErrors(t *testing.T) {
	ctx := context.Background()
	sweep := t.TempDir()
	writeFile(t, sweep, "plan.json", "{}")
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"plot"}, 2, "spikegrad plot RUN_DIR"},
		{[]string{"plot", "--format", "gif", "x"}, 2, `--format "gif"`},
		{[]string{"plot", "--sample", "-1", "x"}, 2, `--sample "-1"`},
		{[]string{"plot", "--neurons", "1,x", "x"}, 2, `--neurons "1,x"`},
		{[]string{"plot", "--neurons", "0,1,2,3,4,5,6,7,8,9,10", "x"}, 2, "at most 10"},
		{[]string{"plot", "--colour", "red", "x"}, 2, "unknown option --colour"},
		{[]string{"plot", sweep}, 1, "sweep.yaml"},
	} {
		_, _, err := cmd(ctx, tc.args...)
		if err == nil || exitCode(err) != tc.code || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: error %v (exit %d), want exit %d saying %q", tc.args, err, exitCode(err), tc.code, tc.msg)
		}
	}
}

func TestPlotReport(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "report")
	// A hand-made run: fc1 (linear) → lif1 (64 neurons, 160 spikes per
	// sample at T = 25: rate 160 / (64·25) = 10 %) → fc2 → out (LI).
	st := &infer.Stats{Samples: 100, Steps: 25, Accuracy: 0.8, Layers: []infer.LayerStats{
		{Layer: "fc1", Kind: "linear", Neurons: 64, SynOps: 5000, DenseOps: 784 * 64 * 25},
		{Layer: "lif1", Kind: "lif", Neurons: 64, Spikes: 160, Rate: 0.1, NeuronUpdates: 64 * 25},
		{Layer: "fc2", Kind: "linear", Neurons: 10, SynOps: 1600, DenseOps: 64 * 10 * 25},
		{Layer: "out", Kind: "li", Neurons: 10, NeuronUpdates: 10 * 25},
	}}
	r, err := infer.NewReport("model", "test", st, infer.BuiltinProfiles())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Save(dir); err != nil {
		t.Fatal(err)
	}
	// The activity figure shows the spiking layer only.
	if in := reportData(r); len(in.Layers) != 1 || in.Layers[0].Layer != "lif1" || len(in.Energy) != len(r.Energy) {
		t.Errorf("report data: %+v", in)
	}
	out, stderr, err := cmd(ctx, "plot", dir)
	if err != nil {
		t.Fatalf("plot: %v\n%s", err, stderr)
	}
	var got []string
	for _, p := range strings.Fields(out) {
		got = append(got, filepath.Base(p))
	}
	want := []string{"activity.png", "activity.svg", "energy.png", "energy.svg"}
	if !slices.Equal(got, want) {
		t.Errorf("plot wrote %q, want %q", got, want)
	}
	for _, w := range want {
		if _, err := os.Stat(filepath.Join(dir, "plots", w)); err != nil {
			t.Error(err)
		}
	}
	// The report.json path itself, one format.
	out, _, err = cmd(ctx, "plot", "--format", "svg", filepath.Join(dir, "report.json"))
	if err != nil || !strings.Contains(out, filepath.Join(dir, "plots", "energy.svg")) || strings.Contains(out, ".png") {
		t.Errorf("plot report.json: %v\n%s", err, out)
	}
	// A corrupt report: one error naming the file, nothing written.
	bad := t.TempDir()
	writeFile(t, bad, "report.json", `{"version": 1, "stats": {"samples": -1}}`)
	_, _, err = cmd(ctx, "plot", bad)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(bad, "report.json")) {
		t.Errorf("corrupt report: %v", err)
	}
	if _, err := os.Stat(filepath.Join(bad, "plots")); !os.IsNotExist(err) {
		t.Errorf("a corrupt report left plots/: %v", err)
	}
	if _, _, err := cmd(ctx, "plot", "--sample", "3", dir); err == nil || !strings.Contains(err.Error(), "inference report") {
		t.Errorf("--sample on a report: %v", err)
	}
}
