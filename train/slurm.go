package train

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// SlurmDir is the folder of a sweep directory that holds the Slurm job
// arrays: array-<n>.sbatch (the batch script), array-<n>.trials (line i+1:
// "ID EPOCHS" of array task i), array-<n>.job (the job id) and
// array-<n>-<task>.out (a task's output before it reaches its trial's log).
const SlurmDir = "slurm"

// SlurmExecutor runs trials as the tasks of a Slurm job array: Execute
// writes slurm/array-<n>.sbatch into the sweep directory, submits it with
// sbatch, and records the array task of every trial in its status.json
// (pending, job "<jobid>_<task>"). Task i runs `spikegrad sweep run-trial
// DIR ID --epochs E` for the trial on line i+1 of slurm/array-<n>.trials, in
// the sweep directory, which must be on a file system that the compute
// nodes share; its output is appended to trials/<id>/log.txt.
//
// Execute then polls until every trial has an outcome. A trial's outcome
// is what its status.json says (done, failed, interrupted, stopped). A task
// that Slurm reports as ended (squeue -t all; there may be no accounting
// database, so sacct is not used), or no longer knows, while its trial's
// status still says pending or running has lost its worker: after Settle
// the trial is recorded as interrupted ("Slurm task J_i ended without a
// result (state CANCELLED)") when Slurm stopped it (cancelled, time limit,
// node failure, preemption) or when Slurm has forgotten the task, and as
// failed when its process ended by itself (state FAILED, COMPLETED or
// OUT_OF_MEMORY) — a crash, a kill -9 or the out-of-memory killer. So no
// trial is left without an outcome.
//
// When ctx is done, Execute cancels the array's pending tasks, sends SIGINT
// to the running ones (the trial saves a checkpoint and records itself
// interrupted), cancels whatever still runs after Grace, records the trials
// without an outcome as interrupted, and returns an error wrapping
// ctx.Err(). Running the sweep again resumes them.
//
// The Slurm commands (sbatch, squeue, scancel, scontrol) are found on PATH
// and run with Env added to the environment; sbatch passes its environment
// on to the tasks.
type SlurmExecutor struct {
	// Binary is the spikegrad command that the tasks run, as the compute
	// nodes see it (empty: this executable).
	Binary string
	// Env is added to the environment of the Slurm commands, and so of
	// the tasks (e.g. SLURM_CONF=/path/slurm.conf).
	Env []string
	// SlurmConfig holds the sbatch settings of each task: partition, time
	// limit, CPUs, memory and further #SBATCH lines.
	SlurmConfig
	// Threads is the kernel threads (GOMAXPROCS) of each trial, and its
	// --cpus-per-task when CPUsPerTask is 0 (0: 1).
	Threads int
	// MaxParallel limits the tasks that run at once (--array=...%N; 0: as
	// many as Slurm schedules).
	MaxParallel int
	// Detach makes Execute return as soon as the array is submitted and
	// the trials' statuses name their tasks, leaving the array to run; the
	// sweep directory's report follows it (see CheckSlurmTrials).
	Detach bool
	// Poll is the interval between two looks at the tasks (0: 10 s).
	Poll time.Duration
	// Grace is how long interrupted trials may take to save a checkpoint
	// before they are cancelled (0: one minute).
	Grace time.Duration
	// Settle is how long a task that Slurm reports as ended may keep an
	// unfinished status before it is recorded as failed or interrupted
	// (0: 5 s): the trial's last write, made on the compute node just
	// before its process ended, may take a moment to show on a shared file
	// system. Negative: no wait.
	Settle time.Duration
	// Log receives a line per submitted array and per finished trial; nil
	// discards.
	Log io.Writer
}

// NewSlurmExecutor returns the executor of a sweep file's resources: the
// sbatch settings of resources.slurm, threads_per_trial as GOMAXPROCS (and
// the CPUs per task unless slurm.cpus_per_task is set), and workers as the
// limit of tasks at once.
func NewSlurmExecutor(r SweepResources, log io.Writer) *SlurmExecutor {
	return &SlurmExecutor{SlurmConfig: r.Slurm, Threads: r.ThreadsPerTrial, MaxParallel: r.Workers, Log: log}
}

var (
	// Slurm's time formats: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S.
	slurmTimeRE = regexp.MustCompile(`^(?:(\d+)-(\d+)(?::(\d+)(?::(\d+))?)?|(\d+)(?::(\d+)(?::(\d+))?)?)$`)
	slurmMemRE  = regexp.MustCompile(`^\d+[KMGT]?$`)
	trialIDRE   = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]*$`)
)

// slurmTimeLimit parses a Slurm time limit; ok is false for a malformed one.
// "infinite" and "unlimited" are no limit (0).
func slurmTimeLimit(s string) (d time.Duration, ok bool) {
	if l := strings.ToLower(s); l == "infinite" || l == "unlimited" {
		return 0, true
	}
	m := slurmTimeRE.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	n := func(i int) time.Duration {
		v, _ := strconv.Atoi(m[i])
		return time.Duration(v)
	}
	if m[1] != "" { // D-H[:M[:S]]
		return n(1)*24*time.Hour + n(2)*time.Hour + n(3)*time.Minute + n(4)*time.Second, true
	}
	switch {
	case m[7] != "": // H:M:S
		return n(5)*time.Hour + n(6)*time.Minute + n(7)*time.Second, true
	case m[6] != "": // M:S
		return n(5)*time.Minute + n(6)*time.Second, true
	}
	return n(5) * time.Minute, true // M
}

// Validate checks the settings before anything is submitted: the time limit
// and memory in Slurm's formats, CPUs not negative, and every extra option
// a single line that starts with "-".
func (c SlurmConfig) Validate() error {
	if _, ok := slurmTimeLimit(c.Time); c.Time != "" && !ok {
		return fmt.Errorf("sweep: resources.slurm.time %q: want minutes, M:S, H:M:S, D-H, D-H:M or D-H:M:S", c.Time)
	}
	if c.Mem != "" && !slurmMemRE.MatchString(c.Mem) {
		return fmt.Errorf("sweep: resources.slurm.mem %q: want a size in MiB or with a unit K, M, G or T, e.g. 4G", c.Mem)
	}
	if c.CPUsPerTask < 0 {
		return fmt.Errorf("sweep: resources.slurm.cpus_per_task %d: must be >= 0", c.CPUsPerTask)
	}
	if strings.ContainsAny(c.Partition, " \t\r\n\"'") {
		return fmt.Errorf("sweep: resources.slurm.partition %q: must be a single word", c.Partition)
	}
	for _, x := range c.Extra {
		if !strings.HasPrefix(x, "-") || strings.ContainsAny(x, "\r\n") {
			return fmt.Errorf("sweep: resources.slurm.extra %q: each entry is one sbatch option on one line, e.g. --account=abc", x)
		}
	}
	return nil
}

// shellQuote quotes s for bash.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// sbatchScript is the batch script of a job array of k trials whose list is
// slurm/<name>.trials; dir is the absolute sweep directory.
func (e *SlurmExecutor) sbatchScript(dir, name string, k int) string {
	threads := max(e.Threads, 1)
	cpus := e.CPUsPerTask
	if cpus == 0 {
		cpus = threads
	}
	array := fmt.Sprintf("0-%d", k-1)
	if e.MaxParallel > 0 {
		array += fmt.Sprintf("%%%d", e.MaxParallel)
	}
	jobName := "spikegrad-" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, filepath.Base(dir))
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("#!/bin/bash")
	w("# spikegrad sweep: Slurm job array %s of the sweep directory %s.", name, dir)
	w("# Task i runs the trial on line i+1 of %s/%s.trials (\"ID EPOCHS\").", SlurmDir, name)
	w("#SBATCH --job-name=%s", jobName)
	w("#SBATCH --array=%s", array)
	w("#SBATCH --chdir=\"%s\"", dir)
	w("#SBATCH --output=%s/%s-%%a.out", SlurmDir, name)
	// A task that Slurm would requeue (node failure) is recorded as
	// interrupted instead; running the sweep again resumes it.
	w("#SBATCH --no-requeue")
	w("#SBATCH --ntasks=1")
	w("#SBATCH --cpus-per-task=%d", cpus)
	if e.Partition != "" {
		w("#SBATCH --partition=%s", e.Partition)
	}
	if e.Time != "" {
		w("#SBATCH --time=%s", e.Time)
		// Two minutes before the time limit the trial gets SIGINT, saves
		// a checkpoint and records itself interrupted (Slurm sends the
		// signal up to a minute early; short limits get none).
		if d, _ := slurmTimeLimit(e.Time); d >= 10*time.Minute {
			w("#SBATCH --signal=B:INT@120")
		}
	}
	if e.Mem != "" {
		w("#SBATCH --mem=%s", e.Mem)
	}
	for _, x := range e.Extra {
		w("#SBATCH %s", x)
	}
	w("")
	w("set -u")
	w("line=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" %s)", shellQuote(SlurmDir+"/"+name+".trials"))
	w("read -r id epochs <<<\"$line\"")
	w("if [ -z \"${id:-}\" ]; then")
	w("  echo \"spikegrad: no trial for task $SLURM_ARRAY_TASK_ID in %s/%s.trials\" >&2", SlurmDir, name)
	w("  exit 2")
	w("fi")
	w("mkdir -p \"%s/$id\"", TrialsDir)
	w("exec >>\"%s/$id/%s\" 2>&1", TrialsDir, TrialLogFile)
	w("export GOMAXPROCS=%d", threads)
	w("echo \"--- $(date -u +%%Y-%%m-%%dT%%H:%%M:%%SZ): Slurm task ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} on $(hostname): spikegrad sweep run-trial %s $id --epochs $epochs (GOMAXPROCS=$GOMAXPROCS)\"", dir)
	w("# exec: the trial is the batch step's process and receives Slurm's signals itself.")
	w("exec %s sweep run-trial %s \"$id\" --epochs \"$epochs\"", shellQuote(e.binary()), shellQuote(dir))
	return b.String()
}

func (e *SlurmExecutor) binary() string {
	if e.Binary != "" {
		return e.Binary
	}
	if p, err := os.Executable(); err == nil {
		return p
	}
	return "spikegrad"
}

func (e *SlurmExecutor) logf(format string, a ...any) {
	if e.Log != nil {
		fmt.Fprintf(e.Log, "slurm: "+format+"\n", a...)
	}
}

// slurmCmd runs a Slurm command with Env and a timeout of one minute (Slurm
// retries an unreachable controller for MessageTimeout, 10 s by default)
// and returns its standard output.
func (e *SlurmExecutor) slurmCmd(ctx context.Context, dir string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), e.Env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), &SlurmError{Cmd: name + " " + strings.Join(args, " "), Stderr: strings.TrimSpace(stderr.String()), Err: err}
	}
	return string(out), nil
}

// SlurmError is a Slurm command that failed.
type SlurmError struct {
	Cmd    string // the command line
	Stderr string // what it printed on standard error
	Err    error  // the exit status, or why it could not run
}

// Error returns the command, its error and its message.
func (e *SlurmError) Error() string {
	if e.Stderr == "" {
		return fmt.Sprintf("sweep: %s: %v", e.Cmd, e.Err)
	}
	return fmt.Sprintf("sweep: %s: %v: %s", e.Cmd, e.Err, e.Stderr)
}

// Unwrap returns the underlying error.
func (e *SlurmError) Unwrap() error { return e.Err }

// Execute submits the jobs as one job array and, unless Detach, waits until
// every trial has an outcome or ctx is done.
func (e *SlurmExecutor) Execute(ctx context.Context, dir string, jobs []TrialJob) error {
	if len(jobs) == 0 {
		return nil
	}
	if err := e.SlurmConfig.Validate(); err != nil {
		return err
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	if strings.ContainsAny(dir, "\"\r\n") {
		return fmt.Errorf("sweep: the sweep directory %q holds a quote or a line break, which #SBATCH lines cannot carry", dir)
	}
	var list strings.Builder
	for _, j := range jobs {
		if !trialIDRE.MatchString(j.ID) {
			return fmt.Errorf("sweep: trial id %q: a Slurm array needs ids of letters, digits, '.', '_' and '-'", j.ID)
		}
		if j.Epochs < 1 {
			return fmt.Errorf("sweep: trial %s: %d epochs: must be >= 1", j.ID, j.Epochs)
		}
		fmt.Fprintf(&list, "%s %d\n", j.ID, j.Epochs)
	}
	name, script, err := e.writeArray(dir, list.String(), len(jobs))
	if err != nil {
		return err
	}
	// The array is submitted held, so that no task can start (and write
	// its running status) before its pending status names its task. The
	// submission is not cut short by ctx (a job submitted but not known
	// here would stay held for ever); an interruption during it is handled
	// by the wait below.
	sub := context.WithoutCancel(ctx)
	out, err := e.slurmCmd(sub, dir, "sbatch", "--parsable", "--hold", script)
	if err != nil {
		return err
	}
	job, cluster, _ := strings.Cut(strings.TrimSpace(out), ";")
	if _, err := strconv.Atoi(job); err != nil {
		return fmt.Errorf("sweep: sbatch --parsable %s printed %q, not a job id", script, out)
	}
	a := &slurmArray{e: e, dir: dir, job: job, cluster: cluster, jobs: jobs}
	if err := a.start(sub, name); err != nil {
		// Nothing of the array may run: the statuses do not name it.
		a.scancel(sub)
		return err
	}
	e.logf("submitted job array %s (%d trials): %s", job, len(jobs), script)
	if e.Detach {
		return nil
	}
	return a.wait(ctx)
}

// writeArray writes slurm/array-<n>.trials and slurm/array-<n>.sbatch for
// the first unused n and returns "array-<n>" and the script's path.
func (e *SlurmExecutor) writeArray(dir, list string, k int) (name, script string, err error) {
	sd := filepath.Join(dir, SlurmDir)
	if err := os.MkdirAll(sd, 0o755); err != nil {
		return "", "", fmt.Errorf("sweep: %w", err)
	}
	for n := 0; ; n++ {
		name = fmt.Sprintf("array-%d", n)
		script = filepath.Join(sd, name+".sbatch")
		// O_EXCL claims the number even against another sweep process.
		f, err := os.OpenFile(script, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", "", fmt.Errorf("sweep: %w", err)
		}
		f.Close()
		break
	}
	if err := writeBytesAtomic(filepath.Join(sd, name+".trials"), []byte(list)); err != nil {
		return "", "", err
	}
	if err := writeBytesAtomic(script, []byte(e.sbatchScript(dir, name, k))); err != nil {
		return "", "", err
	}
	return name, script, os.Chmod(script, 0o755)
}

// slurmArray is a submitted job array.
type slurmArray struct {
	e       *SlurmExecutor
	dir     string
	job     string // the array's job id
	cluster string // the cluster sbatch named, if any
	jobs    []TrialJob
}

func (a *slurmArray) task(i int) string { return a.job + "_" + strconv.Itoa(i) }

// args adds the cluster option to a Slurm command's arguments.
func (a *slurmArray) args(args ...string) []string {
	if a.cluster != "" {
		args = append([]string{"--clusters=" + a.cluster}, args...)
	}
	return args
}

// start records the job, marks every trial pending under its task and
// releases the held array.
func (a *slurmArray) start(ctx context.Context, name string) error {
	if err := writeBytesAtomic(filepath.Join(a.dir, SlurmDir, name+".job"), []byte(a.job+"\n")); err != nil {
		return err
	}
	for i, j := range a.jobs {
		st, err := ReadTrialStatus(a.dir, j.ID)
		if err != nil {
			st = TrialStatus{} // a broken status is replaced
		}
		st = TrialStatus{State: StatePending, Epochs: st.Epochs, Job: a.task(i)}
		if err := WriteTrialStatus(a.dir, j.ID, st); err != nil {
			return err
		}
	}
	_, err := a.e.slurmCmd(ctx, a.dir, "scontrol", a.args("release", a.job)...)
	return err
}

// scancel cancels the whole array (SIGTERM, then SIGKILL after Slurm's
// KillWait).
func (a *slurmArray) scancel(ctx context.Context) error {
	_, err := a.e.slurmCmd(ctx, a.dir, "scancel", a.args(a.job)...)
	return err
}

// wait polls the tasks until every trial has an outcome.
func (a *slurmArray) wait(ctx context.Context) error {
	poll := a.e.Poll
	if poll <= 0 {
		poll = 10 * time.Second
	}
	p := newArrayPoll(a)
	for {
		if p.step(ctx) {
			return nil
		}
		select {
		case <-ctx.Done():
			return a.interrupt(ctx, p, poll)
		case <-time.After(poll):
		}
	}
}

// interrupt stops the array after ctx is done: pending tasks are
// cancelled, running ones get SIGINT and, after Grace, are cancelled.
func (a *slurmArray) interrupt(ctx context.Context, p *arrayPoll, poll time.Duration) error {
	bg := context.WithoutCancel(ctx)
	grace := a.e.Grace
	if grace <= 0 {
		grace = time.Minute
	}
	poll = min(poll, time.Second)
	p.interruptedAt = time.Now()
	a.e.logf("interrupted: cancelling the pending tasks of job %s and sending SIGINT to its running ones", a.job)
	if _, err := a.e.slurmCmd(bg, a.dir, "scancel", a.args("--state=PENDING", a.job)...); err != nil {
		a.e.logf("%v", err)
	}
	// --batch: the signal goes to the batch step, which is the trial's
	// process (the script execs it).
	if _, err := a.e.slurmCmd(bg, a.dir, "scancel", a.args("--signal=INT", "--batch", a.job)...); err != nil {
		a.e.logf("%v", err)
	}
	if p.until(bg, grace, poll) {
		return fmt.Errorf("sweep: Slurm job %s stopped: %w", a.job, ctx.Err())
	}
	a.e.logf("cancelling job %s: trials still running %v after SIGINT", a.job, grace)
	if err := a.scancel(bg); err != nil {
		a.e.logf("%v", err)
	}
	if !p.until(bg, grace, poll) {
		// Slurm did not report the tasks as ended: record them anyway, so
		// that the sweep can be resumed.
		p.forceInterrupted()
	}
	return fmt.Errorf("sweep: Slurm job %s cancelled: %w", a.job, ctx.Err())
}

// arrayPoll follows the tasks of an array until each trial has an outcome.
type arrayPoll struct {
	a     *slurmArray
	done  []bool
	ended []time.Time // when Slurm was first seen to report the task ended
	state []string    // Slurm's last word on the task
	// interruptedAt is when the sweep was interrupted (zero: it was not);
	// a task seen ended after it is interrupted, whatever its state.
	interruptedAt time.Time
	lastErr       string // the last squeue error, logged once
}

func newArrayPoll(a *slurmArray) *arrayPoll {
	k := len(a.jobs)
	return &arrayPoll{a: a, done: make([]bool, k), ended: make([]time.Time, k), state: make([]string, k)}
}

// until steps every poll until all trials have an outcome (true) or limit
// has passed.
func (p *arrayPoll) until(ctx context.Context, limit, poll time.Duration) bool {
	deadline := time.Now().Add(limit)
	for {
		if p.step(ctx) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(poll)
	}
}

// step looks at Slurm's tasks, then at the trials' statuses (in this order:
// a task that Slurm reports as ended has made its last write before), and
// records an outcome for trials whose task ended without one. It reports
// whether every trial has an outcome.
func (p *arrayPoll) step(ctx context.Context) bool {
	a := p.a
	tasks, qerr := a.e.squeue(ctx, a.dir, a.job, a.cluster, len(a.jobs))
	if qerr != nil && qerr.Error() != p.lastErr {
		a.e.logf("%v (asking again at each poll)", qerr)
	}
	p.lastErr = ""
	if qerr != nil {
		p.lastErr = qerr.Error()
	}
	settle := a.e.Settle
	if settle == 0 {
		settle = 5 * time.Second
	}
	now := time.Now()
	all := true
	for i, j := range a.jobs {
		if p.done[i] {
			continue
		}
		st, err := ReadTrialStatus(a.dir, j.ID)
		if err == nil && st.final() {
			p.done[i] = true
			a.e.logTrial(j.ID, st)
			continue
		}
		all = false
		if qerr != nil {
			continue
		}
		state := tasks[i]
		p.state[i] = state
		if slurmActive(state) {
			p.ended[i] = time.Time{}
			continue
		}
		if p.ended[i].IsZero() {
			p.ended[i] = now
		}
		if now.Sub(p.ended[i]) < settle {
			continue
		}
		interrupted := !p.interruptedAt.IsZero() && !p.ended[i].Before(p.interruptedAt)
		if err := p.record(i, st, err, interrupted); err != nil {
			a.e.logf("%v", err)
			continue
		}
		p.done[i] = true
	}
	return all
}

// record writes the outcome of trial i, whose task ended without one.
func (p *arrayPoll) record(i int, st TrialStatus, readErr error, interrupted bool) error {
	a := p.a
	j := a.jobs[i]
	state := p.state[i]
	if state == "" {
		state = "unknown to Slurm"
	}
	if readErr != nil {
		st = TrialStatus{}
	}
	st.Job = a.task(i)
	st.Finished = time.Now().UTC()
	st.Error = fmt.Sprintf("Slurm task %s ended without a result (state %s)", a.task(i), state)
	if interrupted || slurmStopped(p.state[i]) {
		st.State = StateInterrupted
		if interrupted {
			st.Error += " after the sweep was interrupted"
		}
	} else {
		st.State = StateFailed
	}
	if readErr != nil {
		st.Error += "; its status could not be read: " + readErr.Error()
	}
	if last := lastLine(filepath.Join(trialDir(a.dir, j.ID), TrialLogFile)); last != "" && st.State == StateFailed {
		st.Error += "; its log ends: " + last
	}
	if n, ok := completedEpochs(trialDir(a.dir, j.ID)); ok {
		st.Epochs = n
	}
	if err := WriteTrialStatus(a.dir, j.ID, st); err != nil {
		return err
	}
	a.e.logTrial(j.ID, st)
	return nil
}

// forceInterrupted records every trial without an outcome as interrupted.
func (p *arrayPoll) forceInterrupted() {
	for i, j := range p.a.jobs {
		if p.done[i] {
			continue
		}
		st, err := ReadTrialStatus(p.a.dir, j.ID)
		if err == nil && st.final() {
			continue
		}
		if p.state[i] == "" {
			p.state[i] = "unknown"
		}
		p.state[i] += ", still not ended after scancel"
		if err := p.record(i, st, err, true); err != nil {
			p.a.e.logf("%v", err)
		}
	}
}

func (e *SlurmExecutor) logTrial(id string, st TrialStatus) {
	msg := st.State
	if st.Error != "" {
		msg += ": " + st.Error
	}
	e.logf("%s: %s (%d epochs, %s)", id, msg, st.Epochs, st.Job)
}

// slurmEnded lists the states of a task that has ended (squeue's %T).
var slurmEnded = map[string]bool{
	"COMPLETED": true, "FAILED": true, "OUT_OF_MEMORY": true, // the process ended by itself
	"CANCELLED": true, "TIMEOUT": true, "NODE_FAIL": true, "PREEMPTED": true, "BOOT_FAIL": true, "DEADLINE": true, // Slurm ended it
}

// slurmActive reports whether a task in this state (squeue's %T) may still
// run or write its status; "" is a task Slurm does not know (any more).
func slurmActive(state string) bool { return state != "" && !slurmEnded[state] }

// slurmStopped reports whether Slurm ended the task (or forgot it) rather
// than the task's process ending by itself: the trial is interrupted and
// can resume.
func slurmStopped(state string) bool {
	switch state {
	case "COMPLETED", "FAILED", "OUT_OF_MEMORY":
		return false
	}
	return true
}

// squeue returns the state of each of the k tasks of job array job
// (squeue's %T, "" for a task Slurm does not know).
func (e *SlurmExecutor) squeue(ctx context.Context, dir, job, cluster string, k int) ([]string, error) {
	args := []string{"-h", "-r", "-j", job, "-t", "all", "-o", "%K|%T"}
	if cluster != "" {
		args = append([]string{"--clusters=" + cluster}, args...)
	}
	out, err := e.slurmCmd(ctx, dir, "squeue", args...)
	var se *SlurmError
	if errors.As(err, &se) && strings.Contains(se.Stderr, "Invalid job id") {
		// The whole array is gone: ended more than MinJobAge ago.
		return make([]string, k), nil
	}
	if err != nil {
		return nil, err
	}
	return parseSqueueTasks(out, k)
}

// parseSqueueTasks reads squeue's "%K|%T" lines of one job array (one task
// per line with -r) into the state of each of k tasks. %K is a task id, a
// list of ranges ("2,4-6%2", pending tasks without -r), or N/A for the
// array's own record once its remaining pending tasks were cancelled: its
// state holds for the tasks not listed on their own.
func parseSqueueTasks(out string, k int) ([]string, error) {
	states := make([]string, k)
	rest := ""
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "CLUSTER:") {
			continue
		}
		ids, state, ok := strings.Cut(line, "|")
		if !ok || state == "" {
			return nil, fmt.Errorf("sweep: squeue printed %q; want TASKS|STATE", line)
		}
		state = strings.Fields(state)[0] // "CANCELLED by 0" in some versions
		if ids == "N/A" {
			rest = state
			continue
		}
		ids, _, _ = strings.Cut(ids, "%")
		for _, r := range strings.Split(ids, ",") {
			lo, hi, isRange := strings.Cut(r, "-")
			if !isRange {
				hi = lo
			}
			l, err1 := strconv.Atoi(lo)
			h, err2 := strconv.Atoi(hi)
			if err1 != nil || err2 != nil || l > h {
				return nil, fmt.Errorf("sweep: squeue printed task ids %q; want numbers and ranges", ids)
			}
			for t := max(l, 0); t <= min(h, k-1); t++ {
				states[t] = state
			}
		}
	}
	if rest != "" {
		for i := range states {
			if states[i] == "" {
				states[i] = rest
			}
		}
	}
	return states, nil
}

// CheckSlurmTrials looks at the trials among ids whose status.json says
// pending or running under a Slurm task (its Job) and returns, for those
// whose task Slurm reports as ended or no longer knows, the status they
// stand at: interrupted or failed as Execute would record it. It writes
// nothing; a report shows these in place of the files' states, so that a
// lost task is never a trial that runs forever. It asks squeue once per
// array job.
func (e *SlurmExecutor) CheckSlurmTrials(ctx context.Context, dir string, ids []string) (map[string]TrialStatus, error) {
	type ref struct {
		id   string
		task int
		st   TrialStatus
	}
	byJob := map[string][]ref{}
	var order []string
	for _, id := range ids {
		st, err := ReadTrialStatus(dir, id)
		if err != nil || st.final() || st.Job == "" {
			continue
		}
		job, task, ok := strings.Cut(st.Job, "_")
		t, err := strconv.Atoi(task)
		if !ok || err != nil {
			continue
		}
		if byJob[job] == nil {
			order = append(order, job)
		}
		byJob[job] = append(byJob[job], ref{id, t, st})
	}
	out := map[string]TrialStatus{}
	for _, job := range order {
		refs := byJob[job]
		k := 0
		for _, r := range refs {
			k = max(k, r.task+1)
		}
		states, err := e.squeue(ctx, dir, job, "", k)
		if err != nil {
			return nil, err
		}
		for _, r := range refs {
			state := states[r.task]
			if slurmActive(state) {
				continue
			}
			st := r.st
			if state == "" {
				state = "unknown to Slurm"
			}
			st.Error = fmt.Sprintf("Slurm task %s ended without a result (state %s)", st.Job, state)
			st.State = StateFailed
			if slurmStopped(states[r.task]) {
				st.State = StateInterrupted
			}
			out[r.id] = st
		}
	}
	return out, nil
}
