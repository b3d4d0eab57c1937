package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/sweep"
)

// TestMain lets the test binary serve as the sweep's worker: the local
// executor runs os.Executable() as `sweep run-trial DIR ID --epochs E`,
// which goes through run like the real command. With SPIKEGRAD_TEST_MAIN=1
// it is the command whatever its arguments (TestKillResume).
func TestMain(m *testing.M) {
	if os.Getenv("SPIKEGRAD_TEST_MAIN") == "1" || len(os.Args) >= 3 && os.Args[1] == "sweep" && os.Args[2] == "run-trial" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestSweepCommand(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "run.yaml", tinyYAML)
	sweepFile := writeFile(t, dir, "sweep.yaml", `name: cmd
base_config: run.yaml
strategy: {name: random, trials: 3, seed: 1}
parameters:
  train.lr: {log_uniform: [1e-3, 1e-2]}
  model.beta: {values: [0.9, 0.95]}
`)
	sd := filepath.Join(dir, "out")
	out, stderr, err := cmd(context.Background(), "sweep", sweepFile, "--dir", sd, "--workers", "2")
	if err != nil {
		t.Fatalf("sweep: %v\n%s", err, stderr)
	}
	for _, s := range []string{"trials: 3 done", "best: t000", "best config: " + filepath.Join(sd, sweep.BestFile)} {
		if !strings.Contains(out, s) {
			t.Errorf("sweep output does not say %q:\n%s", s, out)
		}
	}
	for _, f := range []string{sweep.SweepFile, sweep.PlanFile, sweep.ReportCSVFile, sweep.ReportMDFile, sweep.BestFile, "trials/t0002/status.json", "trials/t0002/log.txt"} {
		if _, err := os.Stat(filepath.Join(sd, f)); err != nil {
			t.Errorf("sweep directory: %v", err)
		}
	}
	// The best config is one that spikegrad train accepts, with the
	// trial's values and the base's 3 epochs.
	ta, err := parseTrain([]string{"--config", filepath.Join(sd, sweep.BestFile)}, os.Stdout)
	if err != nil {
		t.Fatalf("train --config best.yaml: %v", err)
	}
	if ta.config.Train.Epochs != 3 || ta.config.Train.LR < 1e-3 || ta.config.Train.LR > 1e-2 || ta.config.Data.RandmanSamples != 40 {
		t.Errorf("best.yaml: epochs %d, lr %g, randman_samples %d", ta.config.Train.Epochs, ta.config.Train.LR, ta.config.Data.RandmanSamples)
	}
	out, _, err = cmd(context.Background(), "sweep", "report", sd, "--metric", "test/loss")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "ranked by test/loss (min)") || !strings.Contains(out, "| 1 | t000") {
		t.Errorf("sweep report --metric test/loss:\n%s", out)
	}
	// A second run finds every trial done.
	_, stderr, err = cmd(context.Background(), "sweep", sweepFile, "--dir", sd)
	if err != nil || !strings.Contains(stderr, "3 trials to 3 epochs, 0 to run") {
		t.Errorf("second run: %v\n%s", err, stderr)
	}
}

func TestSweepCommandInterrupted(t *testing.T) {
	dir := t.TempDir()
	sweepFile := writeFile(t, dir, "sweep.yaml", "name: i\nbase: {}\nparameters:\n  train.lr: {values: [1e-3, 2e-3]}\n")
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Ctrl-C before any trial started
	sd := filepath.Join(dir, "out")
	out, _, err := cmd(ctx, "sweep", sweepFile, "--dir", sd)
	if !errors.Is(err, errInterrupted) || exitCode(err) != 130 {
		t.Fatalf("interrupted sweep: %v (exit %d)", err, exitCode(err))
	}
	if !strings.Contains(out, "trials: 2 pending") {
		t.Errorf("the report of an interrupted sweep does not list the pending trials:\n%s", out)
	}
}

func TestSweepCommandErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.yaml", "name: g\nbase: {}\nparameters:\n  train.lr: {values: [1e-3]}\n")
	bad := writeFile(t, dir, "bad.yaml", "name: b\nbase: {}\nparameters:\n  train.lr: {values: [-1]}\n")
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"sweep"}, 2, "usage: spikegrad sweep SWEEP.yaml"},
		{[]string{"sweep", good, "--backend", "pbs"}, 2, `--backend "pbs": must be local or slurm`},
		{[]string{"sweep", good, "--workers", "-1"}, 2, `--workers "-1"`},
		{[]string{"sweep", good, "--frobnicate", "1"}, 2, "unknown option --frobnicate"},
		{[]string{"sweep", good, "--no-wait"}, 2, "--no-wait applies to --backend slurm"},
		{[]string{"sweep", bad}, 1, `parameters.train.lr = "-1": must be > 0`},
		{[]string{"sweep", "report"}, 2, "usage: spikegrad sweep report DIR"},
		{[]string{"sweep", "report", dir}, 1, sweep.SweepFile},
		{[]string{"sweep", "report", dir, "--metric", "test/loss:lowest"}, 2, "want [train/|test/]name[:max|min]"},
		{[]string{"sweep", "run-trial", dir}, 2, "usage: spikegrad sweep run-trial DIR ID"},
		{[]string{"sweep", "run-trial", dir, "t0000", "--epochs", "0"}, 2, `--epochs "0"`},
	} {
		_, _, err := cmd(context.Background(), tc.args...)
		if err == nil {
			t.Errorf("%q: no error", tc.args)
			continue
		}
		if c := exitCode(err); c != tc.code || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: exit %d, error %q; want exit %d and %q", tc.args, c, err, tc.code, tc.msg)
		}
	}
	for _, args := range [][]string{{"sweep", "--help"}, {"sweep", "report", "-h"}, {"sweep", "run-trial", "--help"}} {
		out, _, err := cmd(context.Background(), args...)
		if exitCode(err) != 0 || !strings.Contains(out, "Usage: spikegrad sweep SWEEP.yaml") {
			t.Errorf("%v: exit %d, output %q", args, exitCode(err), out)
		}
	}
}
