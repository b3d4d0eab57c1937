// Package sweep runs hyperparameter sweeps over training configs: it reads
// sweep files, plans their trials (grid, random search or successive
// halving), runs every trial as its own worker process on this machine
// (Local) or as the tasks of a Slurm job array (Slurm), and ranks the trials
// in a report. It is what `spikegrad sweep` does; each trial is a training
// run of package train, in a run directory of its own.
//
// # The sweep file
//
// A sweep file is YAML:
//
//	name: lr-beta
//	base: {train: {epochs: 2}}            # config keys as in spikegrad train; or
//	base_config: run.yaml                 # a config file, relative to the sweep file
//	metric: {name: accuracy, split: test, goal: max}
//	strategy: {name: random, trials: 16, seed: 0}
//	parameters:
//	  train.lr: {log_uniform: [1e-4, 1e-2]}
//	  model.beta: {values: [0.9, 0.95, 0.99]}
//	  model.surrogate_params.slope: {range: [5, 25], step: 10}
//	  train.batch_size: {range: [64, 256], step: 64}
//	  train.weight_decay: {uniform: [0, 1e-3]}
//	resources: {workers: 0, memory_mb: 0, trial_memory_mb: 0, threads_per_trial: 1,
//	            slurm: {partition: cpu, time: "01:00:00", cpus_per_task: 1, mem: 4G, extra: []}}
//
// A parameter is any config key that spikegrad train accepts (the keys of
// train.Config.Options), or one entry of a map-valued key such as
// model.surrogate_params.slope, which is merged into the base config's map.
// Its values are a list (values), whole or stepped numbers (range, with
// step), or a continuous interval (uniform, log_uniform) that random search
// and halving sample. Read parses a file strictly: every error is a
// *train.ConfigError naming the file, the line and the dotted key. Defaults:
// the metric is test accuracy (goal min for a name containing "loss", max
// otherwise), the strategy grid, one thread per trial.
//
// # Planning and running
//
//	plan, err := sweep.ReadPlan("sweep.yaml") // Read, then Spec.Plan
//	err = sweep.Run(ctx, plan, "sweeps/lr-beta", &sweep.Local{Log: os.Stderr}, os.Stderr)
//	rep, err := sweep.ReadReport("sweeps/lr-beta")
//	err = rep.Write() // report.csv, report.md, best.yaml
//
// A Plan lists every trial (t0000, t0001, ...) with its parameter values, in
// a stable order, and the epochs of each rung; every trial's config is built
// and validated before any trial starts. Run writes the sweep directory, or
// checks that an existing one comes from the same sweep file (only the
// resources may differ), and hands the trials to an Executor rung by rung.
// Successive halving ranks the trials of a rung by the metric, promotes the
// best 1/eta to the next rung, where they resume from their checkpoints, and
// marks the others stopped. A failed trial never stops the sweep and is not
// retried; an interrupted one resumes when the sweep runs again.
//
// # The sweep directory
//
//	sweep.yaml                  the sweep file with its resolved base config (SweepFile)
//	plan.json                   the trials, the fingerprint of the sweep, the rungs' members (PlanFile)
//	trials/<id>/                the trial's run directory, as spikegrad train writes it (TrialsDir)
//	trials/<id>/status.json     the trial's state, epochs, error, host, pid, Slurm task (StatusFile)
//	trials/<id>/log.txt         the output of the trial's worker processes (TrialLogFile)
//	slurm/array-<n>.*           the job arrays of the Slurm executor (SlurmDir)
//	report.csv, report.md       the ranked table (ReportCSVFile, ReportMDFile)
//	best.yaml                   the best trial's config for spikegrad train --config (BestFile)
//
// A trial runs as its own process, `spikegrad sweep run-trial DIR ID
// --epochs E`, which calls RunTrial: it trains the trial (resuming from its
// last checkpoint) and records the outcome in its status.json. The states
// are StatePending, StateRunning, StateDone, StateFailed, StateInterrupted
// and StateStopped; a running trial whose process (or Slurm task) is gone
// reads as interrupted or failed, so that no trial runs for ever in a
// report. Every file of the directory is replaced atomically.
package sweep
