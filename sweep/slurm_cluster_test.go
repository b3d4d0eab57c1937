package sweep

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spikegrad/spikegrad/internal/slurmtest"
	"github.com/spikegrad/spikegrad/rundir"
)

// lockedBuffer is a bytes.Buffer that the sweep's goroutine writes while
// the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSlurmSweepOnCluster runs a three-trial sweep as a Slurm job array of
// the real spikegrad command on a real single-node cluster, reporting on the
// directory while the array runs: every report has all three trials, and at
// the end all are done with their Slurm task recorded.
func TestSlurmSweepOnCluster(t *testing.T) {
	c := slurmtest.Start(t)
	bin := buildSpikegrad(t)
	plan := slurmPlan(t, "on-slurm", slurmSweepBase)
	dir := filepath.Join(t.TempDir(), "sweep")
	log := &lockedBuffer{}
	e := &Slurm{Binary: bin, Env: c.Env(), Poll: 200 * time.Millisecond, Settle: 500 * time.Millisecond, Log: log}
	// Three trials of two sub-second epochs on a cluster that starts a
	// task about 1 s after the one before ends: 2 minutes is ample.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, plan, dir, e, log) }()
	var sweepErr error
	reports, unfinished := 0, 0
	for running := true; running; {
		select {
		case sweepErr = <-done:
			running = false
		case <-time.After(100 * time.Millisecond):
		}
		if _, err := os.Stat(filepath.Join(dir, SweepFile)); err != nil {
			continue // sweep.yaml is written last: the directory is not complete yet
		}
		rep, err := ReadReport(dir)
		if err != nil {
			t.Fatalf("report while the array runs: %v", err)
		}
		reports++
		if len(rep.Rows) != 3 {
			t.Fatalf("report while the array runs has %d trials, want 3", len(rep.Rows))
		}
		for _, r := range rep.Rows {
			switch r.State {
			case StatePending, StateRunning:
				unfinished++
			case StateDone:
			default:
				t.Errorf("report while the array runs: %s is %s (%s)", r.Trial.ID, r.State, r.Error)
			}
		}
	}
	t.Logf("sweep of 3 trials on Slurm: %v, %d reports while it ran", time.Since(start).Round(time.Millisecond), reports)
	if sweepErr != nil {
		t.Fatalf("RunSweep: %v\nlog:\n%s\n%s", sweepErr, log, c.Logs())
	}
	if unfinished == 0 {
		t.Error("no report saw a pending or running trial")
	}
	job := jobOf(t, dir, "t0000")
	if b, err := os.ReadFile(filepath.Join(dir, SlurmDir, "array-0.job")); err != nil || string(b) != job+"\n" {
		t.Errorf("slurm/array-0.job: %q, %v; want %q", b, err, job+"\n")
	}
	for i, id := range []string{"t0000", "t0001", "t0002"} {
		st, err := ReadStatus(dir, id)
		task := job + "_" + strconv.Itoa(i)
		if err != nil || st.State != StateDone || st.Epochs != 2 || st.Job != task {
			t.Errorf("%s: %+v, %v; want done after 2 epochs in Slurm task %s", id, st, err, task)
		}
		tl, _ := os.ReadFile(filepath.Join(dir, TrialsDir, id, TrialLogFile))
		if !strings.Contains(string(tl), "Slurm task "+task+" on "+c.Node) {
			t.Errorf("%s: log.txt does not name Slurm task %s:\n%s", id, task, tl)
		}
	}
	rep, err := ReadReport(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Rows {
		if r.State != StateDone {
			t.Errorf("final report: %s is %s", r.Trial.ID, r.State)
		}
	}
	waitTasksEnded(t, e, dir, job, 3)
}

// TestSlurmLostTasks stops the tasks of a running array in four ways and
// checks that each trial gets an outcome, none is left pending or running:
// a worker killed with SIGKILL is failed (Slurm: FAILED), a task cancelled
// while pending is interrupted (Slurm forgets it), a running task cancelled with
// scancel saves a checkpoint and records itself interrupted, and on Ctrl-C
// (ctx) the running trial does the same, after which Execute returns. The
// trials run in this test binary, which serves as spikegrad's run-trial
// (TestMain).
func TestSlurmLostTasks(t *testing.T) {
	c := slurmtest.Start(t)
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	plan := slurmPlan(t, "lost", slurmSweepBase)
	dir := filepath.Join(t.TempDir(), "sweep")
	if _, err := prepareSweepDir(plan, dir); err != nil {
		t.Fatal(err)
	}
	log := &lockedBuffer{}
	// At most two tasks at once: t0003 stays pending while two run.
	e := &Slurm{Binary: bin, Env: c.Env(), MaxParallel: 2, Poll: 200 * time.Millisecond, Settle: 500 * time.Millisecond,
		Grace: 20 * time.Second, Log: log}
	// 10000 epochs: the trials run until they are stopped.
	jobs := []Job{{"t0000", 10000}, {"t0001", 10000}, {"t0002", 10000}, {"t0003", 10000}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.Execute(ctx, dir, jobs) }()
	running := func(st Status) bool { return st.State == StateRunning }
	final := func(st Status) bool { return st.final() }
	scancel := func(task string) {
		t.Helper()
		if out, err := c.Command(context.Background(), "scancel", task).CombinedOutput(); err != nil {
			t.Fatalf("scancel %s: %v: %s", task, err, out)
		}
	}

	st := waitStatus(t, dir, "t0000", time.Minute, running)
	job, _, _ := strings.Cut(st.Job, "_")
	// t0003 never starts.
	scancel(job + "_3")
	waitStatus(t, dir, "t0003", time.Minute, final)
	// t0000's worker is killed: its process ends without a result.
	if err := syscall.Kill(st.PID, syscall.SIGKILL); err != nil {
		t.Fatalf("kill %d: %v", st.PID, err)
	}
	waitStatus(t, dir, "t0000", time.Minute, final)
	// t0001 is cancelled while it runs.
	waitStatus(t, dir, "t0001", time.Minute, running)
	scancel(job + "_1")
	waitStatus(t, dir, "t0001", time.Minute, final)
	// t0002 starts in a freed slot; Ctrl-C once it runs.
	waitStatus(t, dir, "t0002", time.Minute, running)
	stopAt := time.Now()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Execute after Ctrl-C: %v, want context.Canceled", err)
		}
	case <-time.After(time.Minute):
		t.Fatalf("Execute did not return a minute after Ctrl-C\nlog:\n%s", log)
	}
	t.Logf("Execute returned %v after Ctrl-C", time.Since(stopAt).Round(time.Millisecond))

	for _, w := range []struct{ id, state, err string }{
		{"t0000", StateFailed, "Slurm task " + job + "_0 ended without a result (state FAILED)"},
		{"t0001", StateInterrupted, ""}, // recorded by the trial itself on SIGTERM, after its checkpoint
		{"t0002", StateInterrupted, ""}, // the same on SIGINT
		// Slurm 22.05 drops a pending array task cancelled on its own from
		// the array's record at once: squeue and scontrol no longer know it.
		{"t0003", StateInterrupted, "Slurm task " + job + "_3 ended without a result (state unknown to Slurm)"},
	} {
		st, err := ReadStatus(dir, w.id)
		if err != nil || st.State != w.state || !strings.HasPrefix(st.Error, w.err) || (w.err == "") != (st.Error == "") {
			t.Errorf("%s: %+v, %v; want %s with error %q", w.id, st, err, w.state, w.err)
		}
	}
	for _, id := range []string{"t0001", "t0002"} {
		if _, err := os.Stat(filepath.Join(dir, TrialsDir, id, rundir.LastCheckpoint)); err != nil {
			t.Errorf("%s saved no checkpoint when it was stopped: %v", id, err)
		}
	}
	waitTasksEnded(t, e, dir, job, 4)
	if t.Failed() {
		t.Logf("executor log:\n%s", log)
	}
}

// TestSlurmDetached submits an array with Detach: Execute returns at once
// (ErrDetached) with every trial pending under its task, and
// CheckTrials reports them live. A second Execute of the same jobs
// follows the live tasks instead of submitting them again. Once the array
// is cancelled before any task could start, CheckTrials reports the
// trials interrupted instead of pending for ever, and a third Execute
// submits them anew; there the spikegrad command is missing, and each trial
// is failed with the shell's complaint from its log.
func TestSlurmDetached(t *testing.T) {
	c := slurmtest.Start(t)
	plan := slurmPlan(t, "detached", slurmSweepBase)
	dir := filepath.Join(t.TempDir(), "sweep")
	if _, err := prepareSweepDir(plan, dir); err != nil {
		t.Fatal(err)
	}
	// --begin an hour from now: the tasks stay pending.
	e := &Slurm{Binary: "/nonexistent/spikegrad", Env: c.Env(), Detach: true,
		SlurmConfig: SlurmConfig{Extra: []string{"--begin=now+3600"}}}
	jobs := []Job{{"t0000", 2}, {"t0001", 2}, {"t0002", 2}}
	if err := e.Execute(context.Background(), dir, jobs); !errors.Is(err, ErrDetached) {
		t.Fatalf("detached Execute: %v, want ErrDetached", err)
	}
	job := jobOf(t, dir, "t0000")
	ids := []string{"t0000", "t0001", "t0002"}
	for i, id := range ids {
		st, err := ReadStatus(dir, id)
		if err != nil || st.State != StatePending || st.Job != job+"_"+strconv.Itoa(i) {
			t.Errorf("%s after a detached submission: %+v, %v; want pending in task %s_%d", id, st, err, job, i)
		}
	}
	got, err := e.CheckTrials(context.Background(), dir, ids)
	if err != nil || len(got) != 3 || got["t0000"].State != StatePending {
		t.Errorf("CheckSlurmTrials of pending tasks: %v, %v; want all three pending", got, err)
	}
	// The same jobs again: followed, not submitted.
	if err := e.Execute(context.Background(), dir, jobs); !errors.Is(err, ErrDetached) {
		t.Fatalf("second detached Execute: %v, want ErrDetached", err)
	}
	if _, err := os.Stat(filepath.Join(dir, SlurmDir, "array-1.sbatch")); err == nil {
		t.Error("the second Execute submitted the live trials again (slurm/array-1.sbatch)")
	}

	if out, err := c.Command(context.Background(), "scancel", job).CombinedOutput(); err != nil {
		t.Fatalf("scancel: %v: %s", err, out)
	}
	ended := func() bool {
		got, err = e.CheckTrials(context.Background(), dir, ids)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range got {
			if !st.final() {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(30 * time.Second); !ended() && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	for i, id := range ids {
		want := "Slurm task " + job + "_" + strconv.Itoa(i) + " ended without a result (state CANCELLED)"
		if st := got[id]; st.State != StateInterrupted || st.Error != want {
			t.Errorf("%s after scancel: %+v; want interrupted: %s", id, st, want)
		}
	}

	// Submitted anew, without --begin and without a spikegrad to run.
	e2 := &Slurm{Binary: "/nonexistent/spikegrad", Env: c.Env(), Poll: 200 * time.Millisecond, Settle: 500 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e2.Execute(ctx, dir, jobs); err != nil {
		t.Fatal(err)
	}
	job2 := jobOf(t, dir, "t0000")
	for i, id := range ids {
		st, err := ReadStatus(dir, id)
		want := "Slurm task " + job2 + "_" + strconv.Itoa(i) + " ended without a result (state FAILED); its log ends: "
		if err != nil || st.State != StateFailed || !strings.HasPrefix(st.Error, want) || !strings.Contains(st.Error, "/nonexistent/spikegrad") {
			t.Errorf("%s without a spikegrad command: %+v, %v; want failed: %s... /nonexistent/spikegrad ...", id, st, err, want)
		}
	}
}
