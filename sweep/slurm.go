package sweep

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

// Slurm runs trials as the tasks of a Slurm job array: Execute
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
// A trial that is already pending or running in a live task of an earlier
// array of the directory (submitted with Detach) for the same epochs is
// followed, not submitted again.
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
type Slurm struct {
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
	// Detach makes Execute return an error wrapping ErrDetached as soon as
	// the array is submitted and the trials' statuses name their tasks,
	// leaving the array to run; CheckTrials follows it, and running
	// the sweep again waits for its live tasks instead of submitting them
	// anew.
	Detach bool
	// Poll is the interval between two questions to Slurm about the tasks
	// (0: 10 s); the status files are read every second.
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

// NewSlurm returns the executor of a sweep file's resources: the
// sbatch settings of resources.slurm, threads_per_trial as GOMAXPROCS (and
// the CPUs per task unless slurm.cpus_per_task is set), and workers as the
// limit of tasks at once.
func NewSlurm(r Resources, log io.Writer) *Slurm {
	return &Slurm{SlurmConfig: r.Slurm, Threads: r.ThreadsPerTrial, MaxParallel: r.Workers, Log: log}
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
func (e *Slurm) sbatchScript(dir, name string, k int) string {
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

func (e *Slurm) binary() string {
	if e.Binary != "" {
		return e.Binary
	}
	if p, err := os.Executable(); err == nil {
		return p
	}
	return "spikegrad"
}

func (e *Slurm) logf(format string, a ...any) {
	if e.Log != nil {
		fmt.Fprintf(e.Log, "slurm: "+format+"\n", a...)
	}
}

// slurmCmd runs a Slurm command with Env and a timeout of one minute (Slurm
// retries an unreachable controller for MessageTimeout, 10 s by default)
// and returns its standard output.
func (e *Slurm) slurmCmd(ctx context.Context, dir string, name string, args ...string) (string, error) {
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

// ErrDetached is returned (wrapped) by Execute with Detach once the trials
// are submitted: they run on in Slurm, and their outcomes come later.
var ErrDetached = errors.New("the trials run on in Slurm (detached)")

// Execute runs the jobs and, unless Detach, waits until every trial has an
// outcome or ctx is done. A job whose trial is already pending or running
// in a live Slurm task for the same epochs (a detached earlier run of the
// sweep) is followed instead of submitted again; the others are submitted
// as one job array. With Detach it returns an error wrapping ErrDetached
// right after the submission.
func (e *Slurm) Execute(ctx context.Context, dir string, jobs []Job) error {
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
	for _, j := range jobs {
		if !trialIDRE.MatchString(j.ID) {
			return fmt.Errorf("sweep: trial id %q: a Slurm array needs ids of letters, digits, '.', '_' and '-'", j.ID)
		}
		if j.Epochs < 1 {
			return fmt.Errorf("sweep: trial %s: %d epochs: must be >= 1", j.ID, j.Epochs)
		}
	}
	tasks, fresh, err := e.adopt(ctx, dir, jobs)
	if err != nil {
		return err
	}
	if len(fresh) > 0 {
		// Not cut short by ctx: a job submitted but not known here would
		// stay held for ever. An interruption meanwhile is handled by the
		// wait below.
		sub, err := e.submit(context.WithoutCancel(ctx), dir, fresh)
		if err != nil {
			return err
		}
		tasks = append(tasks, sub...)
	}
	if e.Detach {
		return fmt.Errorf("sweep: %w; spikegrad sweep report %s follows them", ErrDetached, dir)
	}
	return e.wait(ctx, dir, tasks)
}

// slurmTask is a trial in a Slurm array task.
type slurmTask struct {
	id      string // the trial
	job     string // the array's job id
	cluster string // the cluster sbatch named, if any
	task    int    // the array task id
	own     bool   // the array was submitted by this Execute with only our trials
}

func (t slurmTask) name() string { return t.job + "_" + strconv.Itoa(t.task) }

// clusterArgs puts the cluster option, if any, before a Slurm command's
// arguments.
func clusterArgs(cluster string, args ...string) []string {
	if cluster != "" {
		return append([]string{"--clusters=" + cluster}, args...)
	}
	return args
}

// adopt splits the jobs into those whose trial is pending or running in a
// live Slurm task that was submitted for the same epochs (returned as
// tasks to follow) and the others.
func (e *Slurm) adopt(ctx context.Context, dir string, jobs []Job) (tasks []slurmTask, fresh []Job, err error) {
	arrays := map[string]*slurmArrayFile{} // by job id
	states := map[string][]string{}        // squeue's answer, by job id
	for _, j := range jobs {
		st, err := ReadStatus(dir, j.ID)
		job, task, ok := parseSlurmTask(st.Job)
		if err != nil || st.final() || !ok {
			fresh = append(fresh, j)
			continue
		}
		if _, seen := arrays[job]; !seen {
			arrays[job] = findSlurmArray(dir, job)
		}
		a := arrays[job]
		if a == nil || task >= len(a.trials) || a.trials[task] != (Job{ID: j.ID, Epochs: j.Epochs}) {
			fresh = append(fresh, j)
			continue
		}
		if _, seen := states[job]; !seen {
			s, err := e.squeue(ctx, dir, job, a.cluster, len(a.trials))
			if err != nil {
				return nil, nil, err
			}
			states[job] = s
		}
		if state := states[job][task]; slurmActive(state) {
			e.logf("%s: already in Slurm task %s_%d (%s); following it", j.ID, job, task, state)
			tasks = append(tasks, slurmTask{id: j.ID, job: job, cluster: a.cluster, task: task})
			continue
		}
		fresh = append(fresh, j)
	}
	return tasks, fresh, nil
}

// parseSlurmTask splits a status's job "J_i".
func parseSlurmTask(s string) (job string, task int, ok bool) {
	job, t, ok := strings.Cut(s, "_")
	if !ok {
		return "", 0, false
	}
	task, err := strconv.Atoi(t)
	if _, err2 := strconv.Atoi(job); err != nil || err2 != nil || task < 0 {
		return "", 0, false
	}
	return job, task, true
}

// slurmArrayFile is an array of slurm/: its job and its trial list.
type slurmArrayFile struct {
	cluster string
	trials  []Job // by task
}

// findSlurmArray returns the array of the sweep directory that was
// submitted as job, or nil.
func findSlurmArray(dir, job string) *slurmArrayFile {
	files, _ := filepath.Glob(filepath.Join(dir, SlurmDir, "array-*.job"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		id, cluster, _ := strings.Cut(strings.TrimSpace(string(b)), ";")
		if id != job {
			continue
		}
		list, err := os.ReadFile(strings.TrimSuffix(f, ".job") + ".trials")
		if err != nil {
			return nil
		}
		a := &slurmArrayFile{cluster: cluster}
		for _, line := range strings.Split(strings.TrimSpace(string(list)), "\n") {
			var j Job
			if _, err := fmt.Sscanf(line, "%s %d", &j.ID, &j.Epochs); err != nil {
				return nil
			}
			a.trials = append(a.trials, j)
		}
		return a
	}
	return nil
}

// submit writes and submits an array of the jobs, marks every trial
// pending under its task, and releases the array.
func (e *Slurm) submit(ctx context.Context, dir string, jobs []Job) ([]slurmTask, error) {
	var list strings.Builder
	for _, j := range jobs {
		fmt.Fprintf(&list, "%s %d\n", j.ID, j.Epochs)
	}
	name, script, err := e.writeArray(dir, list.String(), len(jobs))
	if err != nil {
		return nil, err
	}
	// The array is submitted held, so that no task can start (and write
	// its running status) before its pending status names its task.
	out, err := e.slurmCmd(ctx, dir, "sbatch", "--parsable", "--hold", script)
	if err != nil {
		return nil, err
	}
	parsable := strings.TrimSpace(out)
	job, cluster, _ := strings.Cut(parsable, ";")
	if _, err := strconv.Atoi(job); err != nil {
		return nil, fmt.Errorf("sweep: sbatch --parsable %s printed %q, not a job id", script, out)
	}
	tasks := make([]slurmTask, len(jobs))
	for i, j := range jobs {
		tasks[i] = slurmTask{id: j.ID, job: job, cluster: cluster, task: i, own: true}
	}
	err = writeBytesAtomic(filepath.Join(dir, SlurmDir, name+".job"), []byte(parsable+"\n"))
	for i := 0; err == nil && i < len(jobs); i++ {
		st, rerr := ReadStatus(dir, jobs[i].ID)
		if rerr != nil {
			st = Status{} // a broken status is replaced
		}
		err = WriteStatus(dir, jobs[i].ID, Status{State: StatePending, Epochs: st.Epochs, Job: tasks[i].name()})
	}
	if err == nil {
		_, err = e.slurmCmd(ctx, dir, "scontrol", clusterArgs(cluster, "release", job)...)
	}
	if err != nil {
		// Nothing of the array may run: the statuses do not all name it.
		e.slurmCmd(ctx, dir, "scancel", clusterArgs(cluster, job)...)
		return nil, err
	}
	e.logf("submitted job array %s (%d trials): %s", job, len(jobs), script)
	return tasks, nil
}

// writeArray writes slurm/array-<n>.trials and slurm/array-<n>.sbatch for
// the first unused n and returns "array-<n>" and the script's path.
func (e *Slurm) writeArray(dir, list string, k int) (name, script string, err error) {
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

// taskGroup is the tasks of one array job among those followed.
type taskGroup struct {
	job, cluster string
	k            int  // 1 + the largest task id
	own          bool // every task of the array is ours
	names        []string
}

// groups returns the tasks by array job, in order of first appearance.
func groups(tasks []slurmTask) []*taskGroup {
	var gs []*taskGroup
	by := map[string]*taskGroup{}
	for _, t := range tasks {
		g := by[t.job]
		if g == nil {
			g = &taskGroup{job: t.job, cluster: t.cluster, own: t.own}
			by[t.job] = g
			gs = append(gs, g)
		}
		g.k = max(g.k, t.task+1)
		g.own = g.own && t.own
		g.names = append(g.names, t.name())
	}
	return gs
}

// scancel runs scancel with args on every group's tasks: the whole array
// when it is ours, else the listed tasks.
func (e *Slurm) scancel(ctx context.Context, dir string, tasks []slurmTask, args ...string) {
	for _, g := range groups(tasks) {
		ids := g.names
		if g.own {
			ids = []string{g.job}
		}
		if _, err := e.slurmCmd(ctx, dir, "scancel", clusterArgs(g.cluster, append(args, ids...)...)...); err != nil {
			e.logf("%v", err)
		}
	}
}

// wait polls the tasks until every trial has an outcome.
func (e *Slurm) wait(ctx context.Context, dir string, tasks []slurmTask) error {
	poll := e.Poll
	if poll <= 0 {
		poll = 10 * time.Second
	}
	// The status files are read every second (or Poll, if shorter), so
	// that Execute returns soon after the last trial's outcome; Slurm is
	// asked every Poll.
	tick := min(poll, time.Second)
	p := &taskPoll{e: e, dir: dir, tasks: tasks, done: make([]bool, len(tasks)),
		ended: make([]time.Time, len(tasks)), state: make([]string, len(tasks))}
	var asked time.Time
	for {
		ask := time.Since(asked) >= poll
		if ask {
			asked = time.Now()
		}
		if p.step(ctx, ask) {
			return nil
		}
		select {
		case <-ctx.Done():
			return p.interrupt(ctx, poll)
		case <-time.After(tick):
		}
	}
}

// taskPoll follows Slurm tasks until each trial has an outcome.
type taskPoll struct {
	e     *Slurm
	dir   string
	tasks []slurmTask
	done  []bool
	ended []time.Time // when Slurm was first seen to report the task ended
	state []string    // Slurm's last word on the task
	// interruptedAt is when the sweep was interrupted (zero: it was not);
	// a task seen ended after it is interrupted, whatever its state.
	interruptedAt time.Time
	lastErr       string // the last squeue error, logged once
}

// interrupt stops the tasks after ctx is done: pending ones are cancelled,
// running ones get SIGINT and, after Grace, are cancelled.
func (p *taskPoll) interrupt(ctx context.Context, poll time.Duration) error {
	e := p.e
	bg := context.WithoutCancel(ctx)
	grace := e.Grace
	if grace <= 0 {
		grace = time.Minute
	}
	poll = min(poll, time.Second)
	p.interruptedAt = time.Now()
	var live []slurmTask
	for i, t := range p.tasks {
		if !p.done[i] {
			live = append(live, t)
		}
	}
	e.logf("interrupted: cancelling the pending tasks and sending SIGINT to the running ones")
	e.scancel(bg, p.dir, live, "--state=PENDING")
	// --batch: the signal goes to the batch step, which is the trial's
	// process (the script execs it).
	e.scancel(bg, p.dir, live, "--signal=INT", "--batch")
	if p.until(bg, grace, poll) {
		return fmt.Errorf("sweep: Slurm tasks stopped: %w", ctx.Err())
	}
	e.logf("cancelling the tasks: trials still running %v after SIGINT", grace)
	e.scancel(bg, p.dir, live)
	if !p.until(bg, grace, poll) {
		// Slurm did not report the tasks as ended: record them anyway, so
		// that the sweep can be resumed.
		p.forceInterrupted()
	}
	return fmt.Errorf("sweep: Slurm tasks cancelled: %w", ctx.Err())
}

// until steps every poll until all trials have an outcome (true) or limit
// has passed.
func (p *taskPoll) until(ctx context.Context, limit, poll time.Duration) bool {
	deadline := time.Now().Add(limit)
	for {
		if p.step(ctx, true) {
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
// records an outcome for trials whose task ended without one. Without ask
// it only reads the statuses. It reports whether every trial has an
// outcome.
func (p *taskPoll) step(ctx context.Context, ask bool) bool {
	e := p.e
	var pending []slurmTask
	for i, t := range p.tasks {
		if !p.done[i] && ask {
			pending = append(pending, t)
		}
	}
	states := map[string][]string{}
	var qerr error
	for _, g := range groups(pending) {
		s, err := e.squeue(ctx, p.dir, g.job, g.cluster, g.k)
		if err != nil {
			qerr = err
			break
		}
		states[g.job] = s
	}
	if qerr != nil && qerr.Error() != p.lastErr {
		e.logf("%v (asking again at each poll)", qerr)
	}
	if ask {
		p.lastErr = ""
		if qerr != nil {
			p.lastErr = qerr.Error()
		}
	}
	settle := e.Settle
	if settle == 0 {
		settle = 5 * time.Second
	}
	now := time.Now()
	all := true
	for i, t := range p.tasks {
		if p.done[i] {
			continue
		}
		st, err := ReadStatus(p.dir, t.id)
		if err == nil && st.final() {
			p.done[i] = true
			e.logTrial(t.id, st)
			continue
		}
		all = false
		if qerr != nil || !ask {
			continue
		}
		p.state[i] = states[t.job][t.task]
		if slurmActive(p.state[i]) {
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
			e.logf("%v", err)
			continue
		}
		p.done[i] = true
	}
	return all
}

// lostStatus is the status of a trial whose Slurm task ended in state
// (squeue's %T; "" when Slurm does not know it) without a result:
// interrupted if Slurm stopped the task or forgot it, or if the sweep was
// interrupted; failed if its process ended by itself.
func lostStatus(st Status, task, state string, interrupted bool) Status {
	word := state
	if word == "" {
		word = "unknown to Slurm"
	}
	st.Job = task
	st.Error = fmt.Sprintf("Slurm task %s ended without a result (state %s)", task, word)
	st.State = StateFailed
	if interrupted || slurmStopped(state) {
		st.State = StateInterrupted
	}
	if interrupted {
		st.Error += " after the sweep was interrupted"
	}
	return st
}

// record writes the outcome of trial i, whose task ended without one.
func (p *taskPoll) record(i int, st Status, readErr error, interrupted bool) error {
	t := p.tasks[i]
	if readErr != nil {
		st = Status{}
	}
	st = lostStatus(st, t.name(), p.state[i], interrupted)
	st.Finished = time.Now().UTC()
	if readErr != nil {
		st.Error += "; its status could not be read: " + readErr.Error()
	}
	td := trialDir(p.dir, t.id)
	if last := lastLine(filepath.Join(td, TrialLogFile)); last != "" && st.State == StateFailed {
		st.Error += "; its log ends: " + last
	}
	if n, ok := completedEpochs(td); ok {
		st.Epochs = n
	}
	if err := WriteStatus(p.dir, t.id, st); err != nil {
		return err
	}
	p.e.logTrial(t.id, st)
	return nil
}

// forceInterrupted records every trial without an outcome as interrupted.
func (p *taskPoll) forceInterrupted() {
	for i, t := range p.tasks {
		if p.done[i] {
			continue
		}
		st, err := ReadStatus(p.dir, t.id)
		if err == nil && st.final() {
			continue
		}
		if p.state[i] == "" {
			p.state[i] = "unknown"
		}
		p.state[i] += ", still not ended after scancel"
		if err := p.record(i, st, err, true); err != nil {
			p.e.logf("%v", err)
		}
	}
}

func (e *Slurm) logTrial(id string, st Status) {
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
func (e *Slurm) squeue(ctx context.Context, dir, job, cluster string, k int) ([]string, error) {
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

// CheckTrials asks Slurm about the trials among ids whose status.json
// says pending or running under a Slurm task (its job "J_i") and returns
// their statuses as they stand: as the file says while Slurm still has the
// task pending or running, and interrupted or failed, as Execute would
// record it, once Slurm reports the task ended or no longer knows it. It
// writes nothing. A report shows these in place of the files' states, so
// that a lost task is never a trial that runs for ever; a pending or
// running status returned is a live task. It asks squeue once per array
// job.
func (e *Slurm) CheckTrials(ctx context.Context, dir string, ids []string) (map[string]Status, error) {
	var tasks []slurmTask
	sts := map[string]Status{}
	for _, id := range ids {
		st, err := ReadStatus(dir, id)
		job, task, ok := parseSlurmTask(st.Job)
		if err != nil || st.final() || !ok {
			continue
		}
		cluster := ""
		if a := findSlurmArray(dir, job); a != nil {
			cluster = a.cluster
		}
		tasks = append(tasks, slurmTask{id: id, job: job, cluster: cluster, task: task})
		sts[id] = st
	}
	out := map[string]Status{}
	for _, g := range groups(tasks) {
		states, err := e.squeue(ctx, dir, g.job, g.cluster, g.k)
		if err != nil {
			return nil, err
		}
		for _, t := range tasks {
			if t.job != g.job {
				continue
			}
			st, state := sts[t.id], states[t.task]
			if !slurmActive(state) {
				st = lostStatus(st, t.name(), state, false)
			}
			out[t.id] = st
		}
	}
	return out, nil
}
