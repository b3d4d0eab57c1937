package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spikegrad/spikegrad/sweep"
)

const sweepUsage = `Usage: spikegrad sweep SWEEP.yaml [--dir DIR] [--backend local|slurm] [--no-wait] [--workers N]
       spikegrad sweep report DIR [--metric [train/|test/]NAME[:max|min]]
       spikegrad sweep run-trial DIR ID [--epochs E]

Runs a hyperparameter sweep: a base training config, the parameters to vary and a
search strategy (grid, random or halving), each trial in its own run directory
DIR/trials/<id> and its own worker process. Every trial's config is checked before
any trial starts. Running the same command again resumes the sweep: finished trials
are skipped, interrupted ones resume from their checkpoints. Ctrl-C interrupts the
workers, which save a checkpoint. At the end, the report is written.

Options of spikegrad sweep SWEEP.yaml:
  --dir DIR         the sweep directory (default: sweeps/<name>)
  --backend B       local (worker processes on this machine) or slurm (an sbatch job array)
  --no-wait         with slurm: submit the array and return without waiting for it
  --workers N       trials at once (default: resources.workers of the sweep file, 0: the cores)

spikegrad sweep report DIR writes DIR/report.csv, DIR/report.md (every trial with
its parameters, final and best metric, time and state, best first) and DIR/best.yaml
(the best trial's config: spikegrad train --config DIR/best.yaml).
  --metric M        rank by another metric, e.g. test/loss (goal: min for losses, else max)

spikegrad sweep run-trial DIR ID trains one trial (what the workers run).
  --epochs E        train up to E epochs (default: the last rung's)

The sweep file:
  name: lr-beta
  base_config: run.yaml                # or base: {train: {epochs: 1}, ...}
  metric: {name: accuracy, split: test, goal: max}
  strategy: {name: random, trials: 16, seed: 0}
      # grid | random (trials, seed) | halving (trials (0: the grid), seed,
      # min_epochs, max_epochs, eta: each rung keeps the best 1/eta)
  parameters:
    train.lr: {log_uniform: [1e-4, 1e-2]}
    model.beta: {values: [0.9, 0.95, 0.99]}
    train.batch_size: {range: [64, 256], step: 64}
    model.surrogate_params.slope: {uniform: [5, 50]}
  resources: {workers: 0, memory_mb: 0, trial_memory_mb: 0, threads_per_trial: 1,
              slurm: {partition: cpu, time: "01:00:00", cpus_per_task: 1, mem: 4G, extra: []}}
`

// flagArgs splits args into positional arguments and --key value pairs.
func flagArgs(cmd string, args []string, known map[string]bool, stdout io.Writer) (pos []string, flags map[string]string, err error) {
	flags = map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		key, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if key == "h" || key == "help" {
			fmt.Fprint(stdout, sweepUsage)
			return nil, nil, errUsageShown
		}
		if !known[key] {
			return nil, nil, &usageError{fmt.Sprintf("%s: unknown option --%s\n\n%s", cmd, key, sweepUsage)}
		}
		if !hasVal {
			if i+1 >= len(args) {
				return nil, nil, &usageError{fmt.Sprintf("%s: --%s needs a value", cmd, key)}
			}
			i++
			val = args[i]
		}
		flags[key] = val
	}
	return pos, flags, nil
}

func cmdSweep(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "report":
			return cmdSweepReport(ctx, args[1:], stdout, stderr)
		case "run-trial":
			return cmdRunTrial(ctx, args[1:], stdout, stderr)
		}
	}
	noWait := false
	var rest []string
	for _, a := range args {
		if a == "--no-wait" || a == "-no-wait" {
			noWait = true
			continue
		}
		rest = append(rest, a)
	}
	pos, flags, err := flagArgs("sweep", rest, map[string]bool{"dir": true, "backend": true, "workers": true}, stdout)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return &usageError{"sweep: usage: spikegrad sweep SWEEP.yaml [--dir DIR] [--backend local|slurm] [--workers N] (see --help)"}
	}
	workers := -1
	if w, ok := flags["workers"]; ok {
		n, err := strconv.Atoi(w)
		if err != nil || n < 0 {
			return &usageError{fmt.Sprintf("sweep: --workers %q: must be a whole number >= 0", w)}
		}
		workers = n
	}
	backend := flags["backend"]
	if backend == "" {
		backend = "local"
	}
	plan, err := sweep.ReadPlan(pos[0])
	if err != nil {
		return err
	}
	if workers >= 0 {
		plan.Spec.Resources.Workers = workers
	}
	dir := flags["dir"]
	if dir == "" {
		dir = filepath.Join("sweeps", plan.Spec.Name)
	}
	exec, err := newExecutor(backend, plan, stderr)
	if err != nil {
		return err
	}
	if noWait {
		se, ok := exec.(*sweep.Slurm)
		if !ok {
			return &usageError{"sweep: --no-wait applies to --backend slurm: local trials run in this process's workers"}
		}
		se.Detach = true
	}
	fmt.Fprintf(stderr, "sweep %s: %d trials (%s), directory %s\n", plan.Spec.Name, len(plan.Trials), plan.Spec.Strategy.Name, dir)
	runErr := sweep.Run(ctx, plan, dir, exec, stderr)
	if errors.Is(runErr, sweep.ErrDetached) {
		fmt.Fprintf(stderr, "submitted: 'spikegrad sweep report %s' shows the trials while the array runs; run this command again to follow them (and to go on with the next rung of successive halving)\n", dir)
		runErr = nil
	}
	if _, err := os.Stat(filepath.Join(dir, sweep.PlanFile)); err != nil {
		return runErr // the directory was not made: nothing to report
	}
	rep, err := sweepReport(ctx, dir, stderr)
	if err == nil {
		err = rep.Write()
	}
	if err != nil {
		return errors.Join(runErr, err)
	}
	printReportSummary(stdout, rep)
	return runErr
}

// newExecutor makes the executor of a backend.
func newExecutor(backend string, plan *sweep.Plan, stderr io.Writer) (sweep.Executor, error) {
	r := plan.Spec.Resources
	switch backend {
	case "local":
		return &sweep.Local{Workers: r.Workers, MemoryBudget: int64(r.MemoryMB) << 20,
			TrialMemory: int64(r.TrialMemoryMB) << 20, Threads: r.ThreadsPerTrial, Log: stderr}, nil
	case "slurm":
		return sweep.NewSlurm(r, stderr), nil
	}
	return nil, &usageError{fmt.Sprintf("sweep: --backend %q: must be local or slurm", backend)}
}

func printReportSummary(w io.Writer, rep *sweep.Report) {
	fmt.Fprintf(w, "report: %s, %s\n", filepath.Join(rep.Dir, sweep.ReportCSVFile), filepath.Join(rep.Dir, sweep.ReportMDFile))
	counts := map[string]int{}
	for _, r := range rep.Rows {
		counts[r.State]++
	}
	var cs []string
	for _, st := range []string{sweep.StateDone, sweep.StateStopped, sweep.StateRunning, sweep.StateInterrupted, sweep.StateFailed, sweep.StatePending} {
		if counts[st] > 0 {
			cs = append(cs, fmt.Sprintf("%d %s", counts[st], st))
		}
	}
	fmt.Fprintf(w, "trials: %s\n", strings.Join(cs, ", "))
	if _, row, ok := rep.BestConfig(); ok {
		var ps []string
		for _, q := range rep.Plan.Spec.Params {
			ps = append(ps, q.Key+"="+row.Trial.Params[q.Key])
		}
		fmt.Fprintf(w, "best: %s (%s): %s %.4g after %d epochs\nbest config: %s\n", row.Trial.ID, strings.Join(ps, ", "),
			rep.Metric, row.Final, row.Epochs, filepath.Join(rep.Dir, sweep.BestFile))
	}
}

// sweepReport reads a sweep directory's report and asks Slurm, where the
// trials ran on it, which of their tasks still live, so that a lost task
// shows as failed or interrupted rather than running for ever.
func sweepReport(ctx context.Context, dir string, stderr io.Writer) (*sweep.Report, error) {
	rep, err := sweep.ReadReport(dir)
	if err != nil {
		return nil, err
	}
	if ids := rep.SlurmUnsettled(); len(ids) > 0 {
		sts, err := sweep.NewSlurm(rep.Plan.Spec.Resources, stderr).CheckTrials(ctx, dir, ids)
		if err != nil {
			fmt.Fprintf(stderr, "spikegrad: sweep report: asking Slurm about %d trials: %v (their states are as their status files say)\n", len(ids), err)
		} else {
			rep.Update(sts)
		}
	}
	return rep, nil
}

func cmdSweepReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	pos, flags, err := flagArgs("sweep report", args, map[string]bool{"metric": true}, stdout)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return &usageError{"sweep report: usage: spikegrad sweep report DIR [--metric test/accuracy]"}
	}
	var metric *sweep.Metric
	if m, ok := flags["metric"]; ok {
		sm, err := sweep.ParseMetric(m)
		if err != nil {
			return &usageError{err.Error()}
		}
		metric = &sm
	}
	rep, err := sweepReport(ctx, pos[0], stderr)
	if err != nil {
		return err
	}
	if metric != nil {
		rep.SortBy(*metric)
	}
	if err := rep.Write(); err != nil {
		return err
	}
	if err := rep.WriteMarkdown(stdout); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	printReportSummary(stdout, rep)
	return nil
}

func cmdRunTrial(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	pos, flags, err := flagArgs("sweep run-trial", args, map[string]bool{"epochs": true}, stdout)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return &usageError{"sweep run-trial: usage: spikegrad sweep run-trial DIR ID [--epochs E]"}
	}
	epochs := 0
	if e, ok := flags["epochs"]; ok {
		if epochs, err = strconv.Atoi(e); err != nil || epochs < 1 {
			return &usageError{fmt.Sprintf("sweep run-trial: --epochs %q: must be a whole number >= 1", e)}
		}
	}
	return sweep.RunTrial(ctx, pos[0], pos[1], epochs, stderr)
}
