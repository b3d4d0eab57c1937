package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/rundir"
	"github.com/spikegrad/spikegrad/train"
)

// tinyYAML is a run of a few tenths of a second: Randman with 10 classes of
// 40 samples, 20 units and 20 steps, a 20-16-10 network, batches of 32
// (10 per epoch). Its 3 epochs are overridden by flags in the tests.
const tinyYAML = `# a small run for the tests
data:
  randman_samples: 40
  randman_units: 20
  randman_steps: 20
model:
  hidden: [16]
train:
  epochs: 3
  batch_size: 32
  eval_batch_size: 80
`

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// cmd runs the command line args and returns its output and error.
func cmd(ctx context.Context, args ...string) (stdout, stderr string, err error) {
	var o, e bytes.Buffer
	err = run(ctx, args, &o, &e)
	return o.String(), e.String(), err
}

func TestTrainHelpListsEveryKey(t *testing.T) {
	out, _, err := cmd(context.Background(), "train", "--help")
	if !errors.Is(err, errUsageShown) || exitCode(err) != 0 {
		t.Fatalf("train --help: %v (exit %d)", err, exitCode(err))
	}
	c := train.DefaultConfig()
	for _, o := range c.Options() {
		if !strings.Contains(out, "--"+o.Key+" ") {
			t.Errorf("train --help does not list --%s", o.Key)
		}
	}
	for _, f := range []string{"--config", "--run-dir", "--resume", "--progress", "--max-steps"} {
		if !strings.Contains(out, f) {
			t.Errorf("train --help does not list %s", f)
		}
	}
	for _, args := range [][]string{{"--help"}, {"help"}, {"eval", "--help"}, {"plot", "-h"}} {
		if out, _, err := cmd(context.Background(), args...); exitCode(err) != 0 || !strings.Contains(out, "Usage") {
			t.Errorf("%v: exit %d, output %q", args, exitCode(err), out)
		}
	}
}

func TestCommandErrors(t *testing.T) {
	dir := t.TempDir()
	unknownKey := writeFile(t, dir, "unknown.yaml", "train:\n  epochs: 2\n  learning_rate: 0.1\n")
	badValue := writeFile(t, dir, "bad.yaml", "model:\n  beta: 2\n")
	empty := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		msg  []string // substrings of the error
	}{
		{[]string{"frobnicate"}, 2, []string{`unknown command "frobnicate"`}},
		{[]string{"train", "stray"}, 2, []string{`unexpected argument "stray"`}},
		{[]string{"train", "--train.epochz", "3"}, 2, []string{"train.epochz", "unknown option", "epochs"}},
		{[]string{"train", "--train.epochs", "three"}, 2, []string{"train.epochs", `"three"`, "whole number"}},
		{[]string{"train", "--train.epochs=0"}, 2, []string{"train.epochs = 0", "must be >= 1"}},
		{[]string{"train", "--model.beta", "1.5"}, 2, []string{"model.beta = 1.5", "must be in [0, 1]"}},
		{[]string{"train", "--train.epochs"}, 2, []string{"--train.epochs needs a value"}},
		{[]string{"train", "--progress", "fancy"}, 2, []string{"fancy", "auto, bar, lines, off"}},
		{[]string{"train", "--max-steps", "-1"}, 2, []string{"--max-steps", "-1"}},
		{[]string{"train", "--resume"}, 2, []string{"--resume needs the run directory"}},
		{[]string{"eval"}, 2, []string{"spikegrad eval RUN_DIR"}},
		{[]string{"plot", "a", "b"}, 2, []string{"spikegrad plot RUN_DIR"}},
		{[]string{"train", "--config", unknownKey}, 1, []string{unknownKey + ":3", "train.learning_rate", "unknown key", "lr"}},
		{[]string{"train", "--config", badValue}, 1, []string{"model.beta = 2", "must be in [0, 1]"}},
		{[]string{"train", "--config", filepath.Join(dir, "missing.yaml")}, 1, []string{"missing.yaml"}},
		{[]string{"train", "--resume", empty}, 1, []string{filepath.Join(empty, rundir.ConfigFile)}},
		{[]string{"eval", empty}, 1, []string{filepath.Join(empty, rundir.ConfigFile)}},
		{[]string{"plot", empty}, 1, []string{rundir.MetricsFile}},
	} {
		_, _, err := cmd(context.Background(), tc.args...)
		if err == nil {
			t.Errorf("%q: no error", tc.args)
			continue
		}
		if c := exitCode(err); c != tc.code {
			t.Errorf("%q: exit %d, want %d (error %v)", tc.args, c, tc.code, err)
		}
		for _, s := range tc.msg {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%q: error %q does not say %q", tc.args, err, s)
			}
		}
	}
	// Nothing was written into the folders the failing commands named.
	if ents, _ := os.ReadDir(empty); len(ents) != 0 {
		t.Errorf("a failed command wrote into %s: %v", empty, ents)
	}
}

// testMetrics reads a run's metrics without the wall-clock ones.
func testMetrics(t *testing.T, dir string) []rundir.Metric {
	t.Helper()
	ms, err := rundir.ReadMetrics(filepath.Join(dir, rundir.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	var out []rundir.Metric
	for _, m := range ms {
		if m.Name != "samples_per_s" {
			m.Wall = 0
			out = append(out, m)
		}
	}
	return out
}

func TestTrainEvalPlotResume(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	cfgFile := writeFile(t, tmp, "run.yaml", tinyYAML)
	ref := filepath.Join(tmp, "ref")
	// Flags override the file, whatever their order.
	out, stderr, err := cmd(ctx, "train", "--train.epochs", "2", "--config", cfgFile, "--run-dir", ref, "--progress=lines", "--model.bias", "--seed", "3")
	if err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "run directory: "+ref) || !strings.Contains(out, "epochs 2, steps 20") {
		t.Errorf("train output:\n%s", out)
	}
	if !strings.Contains(stderr, "epoch 2/2") || !strings.Contains(stderr, "plots: ") {
		t.Errorf("train log:\n%s", stderr)
	}
	c := train.DefaultConfig()
	b, err := os.ReadFile(filepath.Join(ref, rundir.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ReadYAML(b, rundir.ConfigFile); err != nil {
		t.Fatal(err)
	}
	if c.Train.Epochs != 2 || c.Seed != 3 || c.Data.RandmanSamples != 40 || len(c.Model.Hidden) != 1 || c.Model.Hidden[0] != 16 {
		t.Errorf("resolved config:\n%s", b)
	}
	// docs/design.md's run directory, plots included.
	for _, f := range []string{rundir.ConfigFile, rundir.MetricsFile, rundir.LastCheckpoint, rundir.BestCheckpoint, rundir.ModelWeights, rundir.ModelArch} {
		if _, err := os.Stat(filepath.Join(ref, f)); err != nil {
			t.Error(err)
		}
	}
	for _, ext := range []string{"png", "svg"} {
		if m, _ := filepath.Glob(filepath.Join(ref, "plots", "*."+ext)); len(m) == 0 {
			t.Errorf("no plots/*.%s", ext)
		}
	}

	// eval prints the accuracy of the run's last epoch.
	out, _, err = cmd(ctx, "eval", ref)
	if err != nil {
		t.Fatal(err)
	}
	var acc float64
	for _, m := range testMetrics(t, ref) {
		if m.Split == rundir.SplitTest && m.Name == "accuracy" {
			acc = m.Value
		}
	}
	if want := fmt.Sprintf("samples 80\naccuracy %.2f%%\n", 100*acc); !strings.HasPrefix(out, want) || !strings.Contains(out, "rate/lif1 ") {
		t.Errorf("eval output:\n%s\nwant it to start with\n%s", out, want)
	}

	// plot draws the curves again and lists them.
	out, _, err = cmd(ctx, "plot", ref)
	if err != nil || !strings.Contains(out, filepath.Join(ref, "plots")) {
		t.Errorf("plot: %v\n%s", err, out)
	}

	// A run stopped after 4 steps and resumed ends as the uninterrupted one.
	dir := filepath.Join(tmp, "resumed")
	out, stderr, err = cmd(ctx, "train", "--config", cfgFile, "--train.epochs", "2", "--seed", "3", "--model.bias=true",
		"--run-dir", dir, "--progress", "off", "--max-steps", "4")
	if err != nil || !strings.Contains(out, "stopped: max steps") {
		t.Fatalf("train --max-steps 4: %v\n%s%s", err, out, stderr)
	}
	if _, _, err := cmd(ctx, "train", "--resume", dir, "--progress", "off"); err != nil {
		t.Fatalf("train --resume: %v", err)
	}
	a, r := testMetrics(t, ref), testMetrics(t, dir)
	if len(a) != len(r) {
		t.Fatalf("resumed run: %d metrics, uninterrupted %d", len(r), len(a))
	}
	for i := range a {
		if a[i].Step != r[i].Step || a[i].Name != r[i].Name || math.Float64bits(a[i].Value) != math.Float64bits(r[i].Value) {
			t.Errorf("metric %d: resumed %+v, uninterrupted %+v", i, r[i], a[i])
		}
	}
	w1, _ := os.ReadFile(filepath.Join(ref, rundir.ModelWeights))
	w2, _ := os.ReadFile(filepath.Join(dir, rundir.ModelWeights))
	if len(w1) == 0 || !bytes.Equal(w1, w2) {
		t.Error("resumed run: final weights differ")
	}
}

func TestTrainInterrupted(t *testing.T) {
	tmp := t.TempDir()
	cfgFile := writeFile(t, tmp, "run.yaml", tinyYAML)
	dir := filepath.Join(tmp, "run")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, stderr, err := cmd(ctx, "train", "--config", cfgFile, "--run-dir", dir, "--progress", "lines")
	if !errors.Is(err, train.ErrInterrupted) || exitCode(err) != 130 {
		t.Fatalf("train with a cancelled context: %v (exit %d)", err, exitCode(err))
	}
	if !strings.Contains(stderr, "checkpoint saved") {
		t.Errorf("log:\n%s", stderr)
	}
	if _, err := train.LoadCheckpoint(filepath.Join(dir, rundir.LastCheckpoint)); err != nil {
		t.Errorf("no checkpoint after an interruption: %v", err)
	}
}

// snapshot returns every file under dir with its bytes.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		m[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestBadInputs: each bad input gets one message that names it, exit code
// 1, and leaves the run directory as it was.
func TestBadInputs(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	cfgFile := writeFile(t, tmp, "run.yaml", tinyYAML)
	dir := filepath.Join(tmp, "run")
	if _, _, err := cmd(ctx, "train", "--config", cfgFile, "--run-dir", dir, "--progress", "off", "--max-steps", "3"); err != nil {
		t.Fatal(err)
	}
	ck := filepath.Join(dir, rundir.LastCheckpoint)
	emptyData := t.TempDir()
	t.Setenv("SPIKEGRAD_DATA", "")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	for _, tc := range []struct {
		name    string
		prepare func()
		args    []string
		msg     []string
	}{
		{"another architecture", nil, []string{"train", "--resume", dir, "--model.hidden", "17"}, []string{ck, "model.hidden: 16 -> 17"}},
		{"missing dataset", nil, []string{"train", "--config", cfgFile, "--run-dir", filepath.Join(tmp, "mnist"),
			"--data.dataset", "mnist", "--data.dir", emptyData}, []string{"mnist not found", emptyData, "data.download"}},
		{"bad config.yaml", func() {
			writeFile(t, tmp, "bad.yaml", "model:\n  hidden: sixteen\n")
		}, []string{"train", "--resume", dir, "--config", filepath.Join(tmp, "bad.yaml")}, []string{"bad.yaml:2", "model.hidden", "must be a list"}},
		{"truncated checkpoint", func() {
			b, err := os.ReadFile(ck)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(ck, b[:100], 0o644); err != nil {
				t.Fatal(err)
			}
		}, []string{"train", "--resume", dir}, []string{ck, "truncated"}},
	} {
		if tc.prepare != nil {
			tc.prepare()
		}
		before := snapshot(t, dir)
		_, _, err := cmd(ctx, tc.args...)
		if err == nil || exitCode(err) != 1 {
			t.Errorf("%s: %v (exit %d), want an error with exit 1", tc.name, err, exitCode(err))
			continue
		}
		for _, s := range tc.msg {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: error %q does not say %q", tc.name, err, s)
			}
		}
		after := snapshot(t, dir)
		if len(after) != len(before) {
			t.Errorf("%s: %d files in the run directory before, %d after", tc.name, len(before), len(after))
		}
		for p, b := range before {
			if after[p] != b {
				t.Errorf("%s: %s changed", tc.name, p)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(tmp, "mnist")); err == nil {
		t.Error("a run without its dataset left a run directory")
	}
}
