package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spikegrad/spikegrad/rundir"
	"github.com/spikegrad/spikegrad/train"
)

// localExecutor runs the trials as processes of this test binary (see
// TestMain), two at a time with one thread each.
func localExecutor() *Local {
	return &Local{Binary: os.Args[0], Workers: 2, Threads: 1, Grace: 30 * time.Second}
}

func TestSweepLocalFailingTrial(t *testing.T) {
	// An Adam step moves each weight by about lr: with lr 1e39, beyond
	// float32's largest value (3.4e38), the first step makes the weights
	// infinite and the trial stops on a non-finite value.
	p := planOf(t, "name: nan\n"+tinySweepBase+"parameters:\n  train.lr: {values: [2e-3, 1e39, 3e-3]}\n")
	dir := filepath.Join(t.TempDir(), "s")
	if err := Run(context.Background(), p, dir, localExecutor(), nil); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"t0000", "t0002"} {
		st, err := ReadStatus(dir, id)
		if err != nil || st.State != StateDone || st.Epochs != 2 {
			t.Errorf("%s: %+v, %v; want done after 2 epochs", id, st, err)
		}
	}
	st, err := ReadStatus(dir, "t0001")
	if err != nil || st.State != StateFailed || !strings.Contains(st.Error, "non-finite values") {
		t.Errorf("t0001: %+v, %v; want failed with a non-finite value", st, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, TrialsDir, "t0001", TrialLogFile)); err != nil || !strings.Contains(string(b), "non-finite") {
		t.Errorf("t0001's log.txt does not hold the error: %q, %v", b, err)
	}
	// A trial of the sweep is the run that spikegrad train makes of its
	// config: bit-identical metrics.
	cfg, err := p.Spec.TrialConfig(p.Trials[2], 0)
	if err != nil {
		t.Fatal(err)
	}
	sameRun(t, filepath.Join(dir, TrialsDir, "t0002"), trainRef(t, cfg), false)
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
	go func() { done <- Run(ctx, p, dir, localExecutor(), nil) }()
	epochsDone := func(id string) int {
		n, _ := completedEpochs(filepath.Join(dir, TrialsDir, id))
		return n
	}
	running := func(id string) Status {
		st, _ := ReadStatus(dir, id)
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
	if !errors.Is(err, train.ErrInterrupted) {
		t.Fatalf("RunSweep after cancel: %v, want ErrInterrupted", err)
	}
	if st := running("t0000"); !strings.Contains(st.Error, "signal: killed") || !strings.Contains(st.Error, "without recording an outcome") {
		t.Errorf("killed worker: %+v", st)
	}
	st := running("t0001")
	if st.State != StateInterrupted || st.Epochs >= 150 {
		t.Fatalf("interrupted worker: %+v", st)
	}
	if _, err := os.Stat(filepath.Join(dir, TrialsDir, "t0001", rundir.LastCheckpoint)); err != nil {
		t.Fatalf("the interrupted trial has no checkpoint: %v", err)
	}
	rep, err := ReadReport(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 2 {
		t.Fatalf("report has %d rows, want 2", len(rep.Rows))
	}
	// Running the sweep again resumes t0001 and leaves the failed t0000.
	if err := Run(context.Background(), p, dir, localExecutor(), nil); err != nil {
		t.Fatal(err)
	}
	if st := running("t0001"); st.State != StateDone || st.Epochs != 150 {
		t.Errorf("resumed trial: %+v", st)
	}
	if st := running("t0000"); st.State != StateFailed {
		t.Errorf("killed trial after the rerun: %+v", st)
	}
	// The resumed trial is bit-identical to an uninterrupted run.
	cfg, err := p.Spec.TrialConfig(p.Trials[1], 0)
	if err != nil {
		t.Fatal(err)
	}
	sameRun(t, filepath.Join(dir, TrialsDir, "t0001"), trainRef(t, cfg), true)
}

// trainRef trains cfg as spikegrad train does, in a new directory: the run
// that a trial of the config must equal.
func trainRef(t *testing.T, cfg train.Config) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := train.Run(context.Background(), cfg, train.Options{RunDir: dir, Progress: train.ProgressOff}); err != nil {
		t.Fatalf("train.Run: %v", err)
	}
	return dir
}

// sameRun fails unless the run directories a and b hold the same metrics
// records with bit-identical values (wall times and throughput aside) and,
// with checkpoint, last checkpoints with bit-identical tensors and the same
// metadata (the wall time aside).
func sameRun(t *testing.T, a, b string, checkpoint bool) {
	t.Helper()
	values := func(dir string) []string {
		ms, err := rundir.ReadMetrics(filepath.Join(dir, rundir.MetricsFile))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ms {
			if m.Name != "samples_per_s" {
				out = append(out, fmt.Sprintf("%d %d %s %s %x", m.Step, m.Epoch, m.Split, m.Name, math.Float64bits(m.Value)))
			}
		}
		return out
	}
	if va, vb := values(a), values(b); !slices.Equal(va, vb) {
		t.Fatalf("metrics differ:\n%s: %v\n%s: %v", a, va, b, vb)
	}
	if !checkpoint {
		return
	}
	ca, err := train.LoadCheckpoint(filepath.Join(a, rundir.LastCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	cb, err := train.LoadCheckpoint(filepath.Join(b, rundir.LastCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	if len(ca.Tensors) != len(cb.Tensors) {
		t.Fatalf("checkpoints of %d and %d tensors", len(ca.Tensors), len(cb.Tensors))
	}
	for i, x := range ca.Tensors {
		y := cb.Tensors[i]
		same := x.Name == y.Name && slices.Equal(x.Shape, y.Shape) && len(x.Data) == len(y.Data)
		for j := 0; same && j < len(x.Data); j++ {
			same = math.Float32bits(x.Data[j]) == math.Float32bits(y.Data[j])
		}
		if !same {
			t.Fatalf("checkpoint tensor %d: %s %v vs %s %v, or other values", i, x.Name, x.Shape, y.Name, y.Shape)
		}
	}
	for _, c := range []*train.Checkpoint{ca, cb} { // but for the wall time in the loop state
		var loop map[string]json.RawMessage
		if err := json.Unmarshal([]byte(c.Meta[train.MetaLoop]), &loop); err != nil {
			t.Fatal(err)
		}
		delete(loop, "wall")
		b, _ := json.Marshal(loop)
		c.Meta[train.MetaLoop] = string(b)
	}
	if !maps.Equal(ca.Meta, cb.Meta) {
		t.Errorf("checkpoint metadata differs:\n%v\n%v", ca.Meta, cb.Meta)
	}
}
