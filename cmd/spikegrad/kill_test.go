package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spikegrad/spikegrad/rundir"
	"github.com/spikegrad/spikegrad/safetensors"
	"github.com/spikegrad/spikegrad/train"
)

// spikegrad starts the command as a process with args.
func spikegrad(args ...string) (*exec.Cmd, *bytes.Buffer) {
	c := exec.Command(os.Args[0], args...)
	c.Env = append(os.Environ(), "SPIKEGRAD_TEST_MAIN=1")
	var stderr bytes.Buffer
	c.Stderr = &stderr
	return c, &stderr
}

// TestKillResume kills `spikegrad train` with SIGKILL at random moments
// (while it loads its data, writes its config, trains, writes a checkpoint
// every step, writes its model and its plots) and resumes it with
// `spikegrad train --resume DIR` until it finishes; the run must end as an
// uninterrupted one, bit for bit: the final weights, every metric but the
// wall times, and the last and best checkpoints. A run killed before it
// wrote its config is started again with its first command line, as the
// error message says.
func TestKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills about 25 processes")
	}
	tmp := t.TempDir()
	cfgFile := writeFile(t, tmp, "run.yaml", tinyYAML)
	args := func(dir string) []string {
		return []string{"train", "--config", cfgFile, "--run-dir", dir, "--progress", "off", "--train.epochs", "3",
			"--train.checkpoint_every", "1", "--train.log_every", "3", "--model.hidden", "512"}
	}
	ref := filepath.Join(tmp, "ref")
	c, stderr := spikegrad(args(ref)...)
	t0 := time.Now()
	if err := c.Run(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, stderr)
	}
	whole := time.Since(t0) // the time of a run from start to end, plots included

	seed := uint64(time.Now().UnixNano())
	t.Logf("random kill times from seed %d; a whole run takes %v", seed, whole)
	rng := rand.New(rand.NewPCG(seed, 0))
	// Runs of 25 kills each, until 3 kills in all were while a checkpoint
	// was being written, at most 8. A random kill lands in a write about one
	// time in twelve; every fourth kill waits for a write (killInWrite).
	inWrite := 0
	for i := 0; i < 8 && inWrite < 3; i++ {
		dir := filepath.Join(tmp, fmt.Sprintf("killed%d", i))
		starts, kills, w, again := killAndResume(t, rng, whole, args(dir), dir)
		t.Logf("%s: %d starts, %d kills, %d of them while a checkpoint was being written, %d before the config was", dir, starts, kills, w, again)
		inWrite += w
		sameRun(t, ref, dir)
	}
	if inWrite < 3 {
		t.Errorf("only %d kills while a checkpoint was being written, want 3", inWrite)
	}
}

// killAndResume starts the command line first and kills it 25 times at
// random moments within a third of whole, resuming the run in dir each
// time, then lets it finish. It counts the starts, the kills, the kills
// that left a temporary checkpoint file (that interrupted its write), and
// the starts again with first of a run killed before it wrote its config.
func killAndResume(t *testing.T, rng *rand.Rand, whole time.Duration, first []string, dir string) (starts, kills, inWrite, again int) {
	t.Helper()
	next := first
	for done := false; !done; {
		if starts++; starts > 100 {
			t.Fatalf("not finished after %d starts", starts)
		}
		c, stderr := spikegrad(next...)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		var timer *time.Timer
		exited := make(chan struct{})
		switch {
		case kills >= 25: // let it finish
		case kills%4 == 3:
			// Every fourth kill waits for a checkpoint write to begin (its
			// temporary file to appear) and kills the process then, so
			// that writes are interrupted in every run, not by luck alone.
			go killInWrite(c, dir, exited)
		default:
			// Within a third of a whole run: a resumed run ends sooner.
			timer = time.AfterFunc(time.Duration(rng.Int64N(int64(whole/3))), func() { c.Process.Signal(syscall.SIGKILL) })
		}
		err := c.Wait()
		close(exited)
		if timer != nil {
			timer.Stop()
		}
		var ee *exec.ExitError
		switch {
		case err == nil:
			done = true
		case errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL:
			kills++
			if tmps, _ := filepath.Glob(filepath.Join(dir, rundir.CheckpointDir, ".*.tmp*")); len(tmps) > 0 {
				inWrite++
			}
			next = []string{"train", "--resume", dir, "--progress", "off"}
		case strings.Contains(stderr.String(), "start it again with the same --config"):
			next = first // killed before config.yaml was written
			again++
		default:
			t.Fatalf("spikegrad %s: %v\n%s", strings.Join(next, " "), err, stderr)
		}
	}
	return starts, kills, inWrite, again
}

// killInWrite polls dir's checkpoint folder for the temporary file of a
// checkpoint being written and kills c as soon as one is there, or returns
// when exited is closed. A checkpoint of the test's network (512 hidden
// units, Adam) is about 0.6 MB written and synced, which takes far longer
// than one poll.
func killInWrite(c *exec.Cmd, dir string, exited <-chan struct{}) {
	pattern := filepath.Join(dir, rundir.CheckpointDir, ".*.tmp*")
	for {
		select {
		case <-exited:
			return
		default:
		}
		if tmps, _ := filepath.Glob(pattern); len(tmps) > 0 {
			c.Process.Signal(syscall.SIGKILL)
			return
		}
		time.Sleep(20 * time.Microsecond)
	}
}

// sameRun compares the run in dir with the uninterrupted run in ref: the
// metrics but the wall times and throughputs, the final model, the config,
// and the last and best checkpoints but their wall times, bit for bit; and
// looks for temporary files left behind.
func sameRun(t *testing.T, ref, dir string) {
	t.Helper()
	a, r := testMetrics(t, ref), testMetrics(t, dir)
	if len(a) != len(r) {
		t.Fatalf("killed and resumed run: %d metrics, uninterrupted %d", len(r), len(a))
	}
	for i := range a {
		if a[i].Step != r[i].Step || a[i].Epoch != r[i].Epoch || a[i].Split != r[i].Split || a[i].Name != r[i].Name ||
			math.Float64bits(a[i].Value) != math.Float64bits(r[i].Value) {
			t.Errorf("metric %d: resumed %+v, uninterrupted %+v", i, r[i], a[i])
		}
	}
	for _, f := range []string{rundir.ModelWeights, rundir.ModelArch, rundir.ConfigFile} {
		if !bytes.Equal(readAll(t, filepath.Join(ref, f)), readAll(t, filepath.Join(dir, f))) {
			t.Errorf("%s differs", f)
		}
	}
	for _, f := range []string{rundir.LastCheckpoint, rundir.BestCheckpoint} {
		x, y := loadCheckpoint(t, filepath.Join(ref, f)), loadCheckpoint(t, filepath.Join(dir, f))
		if !slices.EqualFunc(x.Tensors, y.Tensors, func(a, b safetensors.Tensor) bool {
			return a.Name == b.Name && slices.Equal(a.Shape, b.Shape) && slices.EqualFunc(a.Data, b.Data, func(u, v float32) bool {
				return math.Float32bits(u) == math.Float32bits(v)
			})
		}) {
			t.Errorf("%s: the tensors differ", f)
		}
		x.Meta[train.MetaLoop], y.Meta[train.MetaLoop] = withoutWall(t, x.Meta[train.MetaLoop]), withoutWall(t, y.Meta[train.MetaLoop])
		if !maps.Equal(x.Meta, y.Meta) {
			t.Errorf("%s: metadata\n%v\nuninterrupted\n%v", f, y.Meta, x.Meta)
		}
	}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp") {
			t.Errorf("temporary file %s left", p)
		}
		return err
	})
}

// withoutWall removes the wall time from a checkpoint's loop state.
func withoutWall(t *testing.T, js string) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatalf("loop state %s: %v", js, err)
	}
	delete(m, "wall")
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readAll(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func loadCheckpoint(t *testing.T, path string) *train.Checkpoint {
	t.Helper()
	c, err := train.LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
