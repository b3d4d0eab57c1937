package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
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
