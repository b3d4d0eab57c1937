package train

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spikegrad/spikegrad/runs"
)

// localExecutor runs the trials as processes of this test binary (see
// TestMain), two at a time with one thread each.
func localExecutor() *LocalExecutor {
	return &LocalExecutor{Binary: os.Args[0], Workers: 2, Threads: 1, Grace: 30 * time.Second}
}

func TestSweepLocalFailingTrial(t *testing.T) {
	// An Adam step moves each weight by about lr: with lr 1e39, beyond
	// float32's largest value (3.4e38), the first step makes the weights
	// infinite and the trial stops on a non-finite value.
	p := planOf(t, "name: nan\n"+tinySweepBase+"parameters:\n  train.lr: {values: [2e-3, 1e39, 3e-3]}\n")
	dir := filepath.Join(t.TempDir(), "s")
	if err := RunSweep(context.Background(), p, dir, localExecutor(), nil); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"t0000", "t0002"} {
		st, err := ReadTrialStatus(dir, id)
		if err != nil || st.State != StateDone || st.Epochs != 2 {
			t.Errorf("%s: %+v, %v; want done after 2 epochs", id, st, err)
		}
	}
	st, err := ReadTrialStatus(dir, "t0001")
	if err != nil || st.State != StateFailed || !strings.Contains(st.Error, "non-finite values") {
		t.Errorf("t0001: %+v, %v; want failed with a non-finite value", st, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, TrialsDir, "t0001", TrialLogFile)); err != nil || !strings.Contains(string(b), "non-finite") {
		t.Errorf("t0001's log.txt does not hold the error: %q, %v", b, err)
	}
	// A trial of the sweep is the run that spikegrad train makes of its
	// config: bit-identical metrics.
	cfg, err := p.Sweep.TrialConfig(p.Trials[2], 0)
	if err != nil {
		t.Fatal(err)
	}
	ref := t.TempDir()
	runIn(t, cfg, ref, Options{})
	sameMetrics(t, valueMetrics(t, filepath.Join(dir, TrialsDir, "t0002")), valueMetrics(t, ref))
}

// waitFor polls cond every 10 ms for up to a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestSweepLocalKillInterruptResume(t *testing.T) {
	// 150 epochs of about 10 ms each (measured: 40 epochs in 0.4 s): long
	// enough to kill and interrupt the workers in the middle of their
	// trials.
	p := planOf(t, "name: crash\n"+strings.Replace(tinySweepBase, "epochs: 2", "epochs: 150", 1)+
		"parameters:\n  train.lr: {values: [1e-3, 2e-3]}\n")
	dir := filepath.Join(t.TempDir(), "s")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- RunSweep(ctx, p, dir, localExecutor(), nil) }()
	epochsDone := func(id string) int {
		n, _ := completedEpochs(filepath.Join(dir, TrialsDir, id))
		return n
	}
	running := func(id string) TrialStatus {
		st, _ := ReadTrialStatus(dir, id)
		return st
	}
	waitFor(t, "both trials to complete an epoch", func() bool {
		return running("t0000").State == StateRunning && running("t0001").State == StateRunning && epochsDone("t0000") >= 1 && epochsDone("t0001") >= 1
	})
	// A worker killed from outside (the out-of-memory killer, say).
	if err := syscall.Kill(running("t0000").PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the killed trial to be recorded", func() bool { return running("t0000").State == StateFailed })
	// Ctrl-C on the sweep.
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		t.Fatal("RunSweep did not return after the interrupt")
	}
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("RunSweep after cancel: %v, want ErrInterrupted", err)
	}
	if st := running("t0000"); !strings.Contains(st.Error, "signal: killed") || !strings.Contains(st.Error, "without recording an outcome") {
		t.Errorf("killed worker: %+v", st)
	}
	st := running("t0001")
	if st.State != StateInterrupted || st.Epochs >= 150 {
		t.Fatalf("interrupted worker: %+v", st)
	}
	if _, err := os.Stat(filepath.Join(dir, TrialsDir, "t0001", runs.LastCheckpoint)); err != nil {
		t.Fatalf("the interrupted trial has no checkpoint: %v", err)
	}
	rep, err := SweepReport(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 2 {
		t.Fatalf("report has %d rows, want 2", len(rep.Rows))
	}
	// Running the sweep again resumes t0001 and leaves the failed t0000.
	if err := RunSweep(context.Background(), p, dir, localExecutor(), nil); err != nil {
		t.Fatal(err)
	}
	if st := running("t0001"); st.State != StateDone || st.Epochs != 150 {
		t.Errorf("resumed trial: %+v", st)
	}
	if st := running("t0000"); st.State != StateFailed {
		t.Errorf("killed trial after the rerun: %+v", st)
	}
	// The resumed trial is bit-identical to an uninterrupted run.
	cfg, err := p.Sweep.TrialConfig(p.Trials[1], 0)
	if err != nil {
		t.Fatal(err)
	}
	ref := t.TempDir()
	runIn(t, cfg, ref, Options{})
	sameMetrics(t, valueMetrics(t, filepath.Join(dir, TrialsDir, "t0001")), valueMetrics(t, ref))
	sameCheckpoints(t, filepath.Join(dir, TrialsDir, "t0001", runs.LastCheckpoint), filepath.Join(ref, runs.LastCheckpoint))
}
