package train

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spikegrad/spikegrad/datasets"
	"github.com/spikegrad/spikegrad/rundir"
	"github.com/spikegrad/spikegrad/safetensors"
)

// tinyConfig is a run that takes well under a second: Randman with 10
// classes of 40 samples (320 for training after the 20% test split, so 10
// batches of 32 per epoch), 20 units, 20 steps, a 20-16-10 network.
// log_every 3 does not divide the 10 batches of an epoch, so that a resume
// in the middle of a logging window is covered.
func tinyConfig() Config {
	c := DefaultConfig()
	c.Data.RandmanSamples = 40
	c.Data.RandmanUnits = 20
	c.Data.RandmanSteps = 20
	c.Model.Hidden = []int{16}
	c.Train.BatchSize = 32
	c.Train.Epochs = 2
	c.Train.LogEvery = 3
	c.Train.EvalBatchSize = 64
	return c
}

// tinyBatches is the number of training batches per epoch of tinyConfig:
// 10 classes · 40 samples · (1 - 0.2) / 32.
const tinyBatches = 10

// fixedClock is a clock that advances by one millisecond per call, so that
// wall times and throughputs are finite and positive but independent of the
// machine's load.
func fixedClock() func() time.Time {
	t := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return func() time.Time {
		t = t.Add(time.Millisecond)
		return t
	}
}

// runIn runs cfg in dir and fails the test on an error.
func runIn(t *testing.T, cfg Config, dir string, opt Options) *Result {
	t.Helper()
	res, err := runWith(cfg, dir, opt)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

func runWith(cfg Config, dir string, opt Options) (*Result, error) {
	return runCtx(context.Background(), cfg, dir, opt)
}

func runCtx(ctx context.Context, cfg Config, dir string, opt Options) (*Result, error) {
	opt.RunDir = dir
	if opt.Now == nil {
		opt.Now = fixedClock()
	}
	opt.Progress = ProgressOff
	return Run(ctx, cfg, opt)
}

// comparable metrics: everything but the wall-clock ones.
func valueMetrics(t *testing.T, dir string) []rundir.Metric {
	t.Helper()
	ms, err := rundir.ReadMetrics(filepath.Join(dir, rundir.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	var out []rundir.Metric
	for _, m := range ms {
		if m.Name == "samples_per_s" {
			continue
		}
		m.Wall = 0
		out = append(out, m)
	}
	return out
}

// sameMetrics fails unless a and b hold the same records with bit-identical
// values (wall times and throughput excluded).
func sameMetrics(t *testing.T, a, b []rundir.Metric) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("metrics: %d records vs %d\n%v\n%v", len(a), len(b), a, b)
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Step != y.Step || x.Epoch != y.Epoch || x.Split != y.Split || x.Name != y.Name ||
			math.Float64bits(x.Value) != math.Float64bits(y.Value) {
			t.Fatalf("metrics record %d differs:\n%+v\n%+v", i, x, y)
		}
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameCheckpoints fails unless the checkpoints hold bit-identical tensors
// and the same metadata apart from the wall time.
func sameCheckpoints(t *testing.T, pa, pb string) {
	t.Helper()
	a, err := LoadCheckpoint(pa)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadCheckpoint(pb)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Tensors) != len(b.Tensors) {
		t.Fatalf("%s has %d tensors, %s %d", pa, len(a.Tensors), pb, len(b.Tensors))
	}
	for i := range a.Tensors {
		x, y := a.Tensors[i], b.Tensors[i]
		if x.Name != y.Name || !slices.Equal(x.Shape, y.Shape) || !bitsEqual(x.Data, y.Data) {
			t.Fatalf("tensor %d: %s %v vs %s %v, or other values", i, x.Name, x.Shape, y.Name, y.Shape)
		}
	}
	for k, v := range a.Meta {
		w := b.Meta[k]
		if k == MetaLoop { // the same but for the wall time
			v, w = withoutWall(t, v), withoutWall(t, w)
		}
		if w != v {
			t.Errorf("checkpoint metadata %q: %q vs %q", k, v, w)
		}
	}
	if len(a.Meta) != len(b.Meta) {
		t.Errorf("checkpoint metadata: %d keys vs %d", len(a.Meta), len(b.Meta))
	}
}

// withoutWall returns the loop state's JSON with the wall time zeroed.
func withoutWall(t *testing.T, js string) string {
	t.Helper()
	st, err := unmarshalLoop(js)
	if err != nil {
		t.Fatalf("loop state %s: %v", js, err)
	}
	st.Wall = 0
	out, err := st.marshal()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// loopOf returns the loop state of the checkpoint at path.
func loopOf(t *testing.T, path string) *loopState {
	t.Helper()
	ck, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := unmarshalLoop(ck.Meta[MetaLoop])
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func bitsEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// snapshot returns every file of dir (relative path → bytes).
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		m[rel], err = os.ReadFile(p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameSnapshot(t *testing.T, before, after map[string][]byte) {
	t.Helper()
	for k, v := range before {
		w, ok := after[k]
		if !ok {
			t.Errorf("%s was removed", k)
		} else if !bytes.Equal(v, w) {
			t.Errorf("%s was modified", k)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			t.Errorf("%s was created", k)
		}
	}
}

func TestRunDeterministic(t *testing.T) {
	cfg := tinyConfig()
	a, b := t.TempDir(), t.TempDir()
	ra := runIn(t, cfg, a, Options{})
	rb := runIn(t, cfg, b, Options{})
	ma, mb := valueMetrics(t, a), valueMetrics(t, b)
	sameMetrics(t, ma, mb)
	losses := 0
	for _, m := range ma {
		if m.Name == "loss" {
			losses++
		}
	}
	// 20 steps logged every 3: 6 training losses, and 2 test losses.
	if losses != 8 {
		t.Errorf("%d loss records, want 8", losses)
	}
	if !bytes.Equal(readFile(t, filepath.Join(a, rundir.ModelWeights)), readFile(t, filepath.Join(b, rundir.ModelWeights))) {
		t.Error("final weights differ")
	}
	sameCheckpoints(t, filepath.Join(a, rundir.LastCheckpoint), filepath.Join(b, rundir.LastCheckpoint))
	if ra.TestAccuracy != rb.TestAccuracy || ra.Steps != 2*tinyBatches || ra.Epochs != 2 {
		t.Errorf("results %+v and %+v", ra, rb)
	}
	// Training lowers the test loss (measured: 2.86 after the first epoch,
	// 2.75 after the second).
	var testLoss []float64
	for _, m := range ma {
		if m.Split == rundir.SplitTest && m.Name == "loss" {
			testLoss = append(testLoss, m.Value)
		}
	}
	if len(testLoss) != 2 || !(testLoss[1] < testLoss[0]) {
		t.Errorf("test losses %v, want 2, decreasing", testLoss)
	}
}

func TestRunDirectoryFiles(t *testing.T) {
	dir := t.TempDir()
	res := runIn(t, tinyConfig(), dir, Options{})
	if res.RunDir != dir {
		t.Errorf("RunDir %q, want %q", res.RunDir, dir)
	}
	// docs/design.md's table, without plots/ (written by the command, which
	// may import plots).
	for _, f := range []string{rundir.ConfigFile, rundir.MetricsFile, rundir.LastCheckpoint, rundir.BestCheckpoint, rundir.ModelWeights, rundir.ModelArch} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v (size %v)", f, err, st)
		}
	}
	// No temporary files are left behind.
	for name := range snapshot(t, dir) {
		if strings.Contains(name, ".tmp") {
			t.Errorf("temporary file %s left in the run directory", name)
		}
	}
	// The resolved config reads back to the config of the run.
	got := DefaultConfig()
	if err := got.ReadYAML(readFile(t, filepath.Join(dir, rundir.ConfigFile)), rundir.ConfigFile); err != nil {
		t.Fatal(err)
	}
	want := tinyConfig()
	if got.Hash() != want.Hash() {
		t.Errorf("config.yaml:\n%s\nwant:\n%s", got.YAML(), want.YAML())
	}
	// Each epoch has test loss, accuracy and the hidden layer's rate, and
	// the training loss, accuracy, throughput and learning rate.
	wantN := map[string]int{"train/loss": 6, "train/accuracy": 2, "train/samples_per_s": 2, "train/lr": 2,
		"test/loss": 2, "test/accuracy": 2, "test/rate/lif1": 2}
	have := map[string]int{}
	ms, err := rundir.ReadMetrics(filepath.Join(dir, rundir.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		have[m.Split+"/"+m.Name]++
		if m.Name == "rate/lif1" && !(m.Value > 0 && m.Value < 1) {
			t.Errorf("rate/lif1 = %v, want in (0, 1)", m.Value)
		}
		if m.Split == rundir.SplitTest && m.Step != m.Epoch*tinyBatches {
			t.Errorf("test record %+v: step should be epoch·%d", m, tinyBatches)
		}
	}
	for k, n := range wantN {
		if have[k] != n {
			t.Errorf("%d records of %s, want %d", have[k], k, n)
		}
	}
	if len(have) != len(wantN) {
		t.Errorf("metrics %v, want %v", have, wantN)
	}
	if res.SamplesPerSec <= 0 {
		t.Errorf("samples/s %v", res.SamplesPerSec)
	}
}

// TestResume stops a run after some steps (inside the first epoch, inside
// the second, and at the epoch boundary), resumes it in the same directory,
// and compares everything with an uninterrupted run.
func TestResume(t *testing.T) {
	cfg := tinyConfig()
	ref := t.TempDir()
	want := runIn(t, cfg, ref, Options{})
	for _, stop := range []int{4, tinyBatches, tinyBatches + 7} {
		dir := t.TempDir()
		res := runIn(t, cfg, dir, Options{MaxSteps: stop})
		if res.Stopped != "max steps" || res.Steps != stop {
			t.Fatalf("stop at %d: result %+v", stop, res)
		}
		if n := loopOf(t, filepath.Join(dir, rundir.LastCheckpoint)).Step; n != stop {
			t.Fatalf("stop at %d: checkpoint of step %d", stop, n)
		}
		res = runIn(t, cfg, dir, Options{Resume: true})
		if res.Stopped != "" || res.Steps != 2*tinyBatches || res.Epochs != 2 ||
			res.TestAccuracy != want.TestAccuracy || res.TestLoss != want.TestLoss || res.BestAccuracy != want.BestAccuracy {
			t.Fatalf("resumed at %d: result %+v, want %+v", stop, res, want)
		}
		sameMetrics(t, valueMetrics(t, ref), valueMetrics(t, dir))
		if !bytes.Equal(readFile(t, filepath.Join(ref, rundir.ModelWeights)), readFile(t, filepath.Join(dir, rundir.ModelWeights))) {
			t.Errorf("resumed at %d: final weights differ", stop)
		}
		// Wall times continue across the resume.
		ms, err := rundir.ReadMetrics(filepath.Join(dir, rundir.MetricsFile))
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(ms); i++ {
			if ms[i].Wall < ms[i-1].Wall {
				t.Errorf("resumed at %d: wall time goes back from %v to %v at record %d", stop, ms[i-1].Wall, ms[i].Wall, i)
			}
		}
		sameCheckpoints(t, filepath.Join(ref, rundir.LastCheckpoint), filepath.Join(dir, rundir.LastCheckpoint))
		sameCheckpoints(t, filepath.Join(ref, rundir.BestCheckpoint), filepath.Join(dir, rundir.BestCheckpoint))
	}
	// Resuming a finished run trains no more, reports its results, and
	// leaves its files as they were.
	before := snapshot(t, ref)
	res := runIn(t, cfg, ref, Options{Resume: true})
	if res.Steps != want.Steps || res.TestAccuracy != want.TestAccuracy || res.TestLoss != want.TestLoss {
		t.Errorf("resuming a finished run: %+v, want %+v", res, want)
	}
	sameSnapshot(t, before, snapshot(t, ref))
}

// cancelAfter is a context whose Err reports a cancellation from its n-th
// call on: the loop asks once after each step, so it stops after step n.
type cancelAfter struct {
	context.Context
	n int
}

func (c *cancelAfter) Err() error {
	c.n--
	if c.n <= 0 {
		return context.Canceled
	}
	return nil
}

func TestInterrupt(t *testing.T) {
	cfg := tinyConfig()
	ref := t.TempDir()
	runIn(t, cfg, ref, Options{})
	for _, tc := range []struct {
		name string
		ctx  func() context.Context
		step int // the step of the checkpoint
	}{
		{"mid-epoch", func() context.Context { return &cancelAfter{Context: context.Background(), n: 5} }, 5},
		{"last batch", func() context.Context { return &cancelAfter{Context: context.Background(), n: tinyBatches} }, tinyBatches},
		// A context cancelled before the start: the loop looks after the
		// first step.
		{"before start", func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			res, err := runCtx(tc.ctx(), cfg, dir, Options{})
			if !errors.Is(err, ErrInterrupted) {
				t.Fatalf("Run: %v, want ErrInterrupted", err)
			}
			if res == nil || res.Stopped != "interrupted" {
				t.Fatalf("result %+v", res)
			}
			if !strings.Contains(err.Error(), dir) {
				t.Errorf("error %q does not name the run directory", err)
			}
			if n := loopOf(t, filepath.Join(dir, rundir.LastCheckpoint)).Step; n != tc.step {
				t.Errorf("checkpoint of step %d, want %d", n, tc.step)
			}
			runIn(t, cfg, dir, Options{Resume: true})
			sameMetrics(t, valueMetrics(t, ref), valueMetrics(t, dir))
			if !bytes.Equal(readFile(t, filepath.Join(ref, rundir.ModelWeights)), readFile(t, filepath.Join(dir, rundir.ModelWeights))) {
				t.Error("final weights differ from an uninterrupted run")
			}
		})
	}
}

// divergeAt is the learning rate lr until step at, and 1e37 from then on.
// Adam moves every weight by about the learning rate: weights of 1e37
// summed over 20 inputs and 20 steps overflow float32 (max 3.4e38).
type divergeAt struct {
	at int
	lr float64
}

func (d divergeAt) LR(t int) float64 {
	if t >= d.at {
		return 1e37
	}
	return d.lr
}

// TestNonFinite diverges a run in its second epoch and checks that the
// error names where, and that the checkpoint of the first epoch is kept
// byte for byte.
func TestNonFinite(t *testing.T) {
	cfg := tinyConfig()
	dir := t.TempDir()
	sched := WithSchedule(divergeAt{at: tinyBatches, lr: cfg.Train.LR})
	if _, err := fitConfig(t, cfg, dir, MaxSteps(tinyBatches), sched); err != nil {
		t.Fatal(err)
	}
	good := snapshot(t, dir)
	_, err := fitConfig(t, cfg, dir, Resume(), sched)
	var nf *NonFiniteError
	if !errors.As(err, &nf) {
		t.Fatalf("Fit: %v, want a *NonFiniteError", err)
	}
	if nf.Step < tinyBatches || !strings.ContainsAny(nf.Where, "0123456789") && !strings.Contains(nf.Where, "out") {
		t.Errorf("error %q: want a step >= %d and a layer or parameter", err, tinyBatches)
	}
	if want := filepath.Join(dir, rundir.LastCheckpoint); nf.Checkpoint != want || !strings.Contains(err.Error(), want) {
		t.Errorf("error %q names checkpoint %q, want %q", err, nf.Checkpoint, want)
	}
	for _, f := range []string{rundir.LastCheckpoint, rundir.BestCheckpoint} {
		if !bytes.Equal(good[f], readFile(t, filepath.Join(dir, f))) {
			t.Errorf("%s changed", f)
		}
	}
}

// TestNonFiniteFirstStep: a run that diverges before any checkpoint says so.
func TestNonFiniteFirstStep(t *testing.T) {
	cfg := tinyConfig()
	cfg.Train.LR = 1e37
	_, err := runWith(cfg, t.TempDir(), Options{})
	var nf *NonFiniteError
	if !errors.As(err, &nf) || nf.Checkpoint != "" || !strings.Contains(err.Error(), "no checkpoint had been saved yet") {
		t.Fatalf("Run: %v, want a *NonFiniteError saying no checkpoint was saved", err)
	}
}

// TestResumeChangedConfig: a resume with a config that differs in keys
// that change the computation is refused with every such key named, and
// leaves the run as it was; keys of ResumableKeys may change.
func TestResumeChangedConfig(t *testing.T) {
	cfg := tinyConfig()
	dir := t.TempDir()
	runIn(t, cfg, dir, Options{MaxSteps: 3})
	before := snapshot(t, dir)
	bad := cfg
	bad.Model.Hidden = []int{17}
	bad.Train.LR = 0.5
	bad.Train.Epochs = 7 // may change
	_, err := runWith(bad, dir, Options{Resume: true})
	var re *ResumeError
	if !errors.As(err, &re) {
		t.Fatalf("resume with other hidden sizes and lr: %v, want a *ResumeError", err)
	}
	want := []KeyChange{{"model.hidden", "16", "17"}, {"train.lr", "0.002", "0.5"}}
	if !slices.Equal(re.Changes, want) {
		t.Errorf("changes %v, want %v", re.Changes, want)
	}
	for _, s := range []string{dir, rundir.LastCheckpoint, "model.hidden: 16 -> 17", "train.lr: 0.002 -> 0.5", "train.epochs, train.patience"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("message %q does not say %q", err, s)
		}
	}
	sameSnapshot(t, before, snapshot(t, dir))

	// Every key differs from the run's in changedConfig: all but the
	// resumable ones are named, in file order.
	var keys []string
	for _, o := range cfg.Options() {
		if !slices.Contains(ResumableKeys(), o.Key) {
			keys = append(keys, o.Key)
		}
	}
	old, now := DefaultConfig(), changedConfig()
	var got []string
	for _, c := range configChanges(&old, &now) {
		got = append(got, c.Key)
	}
	if !slices.Equal(got, keys) {
		t.Errorf("changed keys %v, want %v", got, keys)
	}

	// The resumable keys may change: config.yaml then says the new values.
	ok := cfg
	ok.Name, ok.Out, ok.Data.Dir, ok.Data.Download = "other", "elsewhere", "/nowhere", true
	ok.Train.Patience, ok.Train.CheckpointEvery, ok.Train.LogEvery, ok.Train.EvalBatchSize, ok.Train.Threads = 5, 2, 4, 16, 1
	res, err := runWith(ok, dir, Options{Resume: true})
	if err != nil || res.Steps != 2*tinyBatches {
		t.Fatalf("resume with other resumable keys: %+v, %v", res, err)
	}
	if !bytes.Equal(readFile(t, filepath.Join(dir, rundir.ConfigFile)), ok.YAML()) {
		t.Errorf("config.yaml after the resume:\n%s", readFile(t, filepath.Join(dir, rundir.ConfigFile)))
	}
}

func TestResumeTruncatedCheckpoint(t *testing.T) {
	cfg := tinyConfig()
	dir := t.TempDir()
	runIn(t, cfg, dir, Options{MaxSteps: 3})
	path := filepath.Join(dir, rundir.LastCheckpoint)
	b := readFile(t, path)
	if err := os.WriteFile(path, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	_, err := runWith(cfg, dir, Options{Resume: true})
	if !errors.Is(err, safetensors.ErrTruncated) || !strings.Contains(err.Error(), path) {
		t.Errorf("resume from a truncated checkpoint: %v, want safetensors.ErrTruncated naming %s", err, path)
	}
	sameSnapshot(t, before, snapshot(t, dir))
}

// failedRun returns the directory of a run of cfg that diverged at its
// second step, before its first checkpoint, and logged its first loss.
func failedRun(t *testing.T, cfg Config) string {
	t.Helper()
	dir := t.TempDir()
	cfg.Train.LogEvery = 1
	cfg.Train.LR = 1e37
	if _, err := runWith(cfg, dir, Options{}); err == nil {
		t.Fatal("no error from a diverging run")
	}
	if len(valueMetrics(t, dir)) == 0 {
		t.Fatal("the failed run logged nothing: the case is not covered")
	}
	return dir
}

func TestRunRefusesExistingRun(t *testing.T) {
	cfg := tinyConfig()
	dir := t.TempDir()
	runIn(t, cfg, dir, Options{MaxSteps: 3})
	before := snapshot(t, dir)
	if _, err := runWith(cfg, dir, Options{}); err == nil || !strings.Contains(err.Error(), "already holds a run") {
		t.Errorf("a new run in a run directory: %v", err)
	}
	sameSnapshot(t, before, snapshot(t, dir))

	// A run that failed before its first checkpoint has metrics all the
	// same: a new run must not append to them.
	dir = failedRun(t, cfg)
	before = snapshot(t, dir)
	if _, err := runWith(cfg, dir, Options{}); err == nil || !strings.Contains(err.Error(), "already holds a run") {
		t.Errorf("a new run in the directory of a failed run: %v", err)
	}
	sameSnapshot(t, before, snapshot(t, dir))
	// An existing empty directory is fine.
	runIn(t, cfg, t.TempDir(), Options{MaxSteps: 1})
}

func TestEarlyStopping(t *testing.T) {
	cfg := tinyConfig()
	cfg.Train.Epochs = 10
	cfg.Train.Patience = 1
	cfg.Train.LR = 1e-9 // nothing is learnt: the second epoch is no better than the first
	res := runIn(t, cfg, t.TempDir(), Options{})
	if res.Stopped != "early stopping" || res.Epochs != 2 {
		t.Errorf("result %+v, want early stopping after 2 epochs", res)
	}
}

func TestEvaluateRun(t *testing.T) {
	dir := t.TempDir()
	res := runIn(t, tinyConfig(), dir, Options{})
	ev, err := EvaluateRun(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Accuracy != res.TestAccuracy || ev.Loss != res.TestLoss {
		t.Errorf("EvaluateRun: accuracy %v loss %v, the run's last epoch: %v %v", ev.Accuracy, ev.Loss, res.TestAccuracy, res.TestLoss)
	}
	// 400 samples, 20% held out.
	if ev.Samples != 80 || len(ev.Confusion) != 10 {
		t.Errorf("%d samples, %d confusion rows; want 80 and 10", ev.Samples, len(ev.Confusion))
	}
	n := 0
	for _, row := range ev.Confusion {
		for _, c := range row {
			n += c
		}
	}
	if n != ev.Samples {
		t.Errorf("confusion matrix counts %d samples, want %d", n, ev.Samples)
	}
	if _, err := EvaluateRun(context.Background(), t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), rundir.ConfigFile) {
		t.Errorf("EvaluateRun of an empty directory: %v", err)
	}
}

// isolateDataSearch points every place the dataset resolver looks at into
// the test's own folders.
func isolateDataSearch(t *testing.T) {
	t.Setenv(datasets.EnvData, "")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
}

func TestMissingDataset(t *testing.T) {
	isolateDataSearch(t)
	cfg := tinyConfig()
	cfg.Data.Dataset = "mnist"
	cfg.Data.Dir = t.TempDir()
	dir := filepath.Join(t.TempDir(), "run")
	_, err := runWith(cfg, dir, Options{})
	if !errors.Is(err, datasets.ErrNotFound) || !strings.Contains(err.Error(), cfg.Data.Dir) || !strings.Contains(err.Error(), "data.download") {
		t.Fatalf("Run with no MNIST: %v, want ErrNotFound naming %s and the data.download option", err, cfg.Data.Dir)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a failed run left %s: %v", dir, err)
	}
}

func TestCorruptDataset(t *testing.T) {
	isolateDataSearch(t)
	spec, err := datasets.Lookup("mnist")
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	// Four gzip files of an IDX header that claims 60000 images of 28x28
	// and holds none.
	for _, f := range spec.Files() {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte{0, 0, 8, 3, 0, 0, 0xea, 0x60, 0, 0, 0, 28, 0, 0, 0, 28})
		zw.Close()
		if err := os.WriteFile(filepath.Join(data, f.Name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := tinyConfig()
	cfg.Data.Dataset = "mnist"
	cfg.Data.Dir = data
	_, err = runWith(cfg, filepath.Join(t.TempDir(), "run"), Options{})
	if err == nil || !strings.Contains(err.Error(), spec.Files()[0].Name) {
		t.Fatalf("Run with a corrupt IDX file: %v, want an error naming %s", err, spec.Files()[0].Name)
	}
}

// mnistDir returns the shared MNIST folder, or skips the test when it is
// absent (fails, when SPIKEGRAD_REQUIRE_DATA=1 as in CI).
func mnistDir(t *testing.T) string {
	return sharedDataDir(t, "mnist", "train-images-idx3-ubyte.gz")
}

// sharedDataDir returns the absolute path of folder sub of the shared real
// data ($SPIKEGRAD_SHARED_DATA, as CI sets it, else ../shared/data beside
// the repository), or skips the test when its file probe is absent (fails,
// when SPIKEGRAD_REQUIRE_DATA=1 as in CI).
func sharedDataDir(t *testing.T, sub, probe string) string {
	t.Helper()
	root := os.Getenv("SPIKEGRAD_SHARED_DATA")
	if root == "" {
		root = "../../shared/data"
	}
	data, err := filepath.Abs(filepath.Join(root, sub))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(data, probe)); err != nil {
		msg := fmt.Sprintf("%s not found: %v", sub, err)
		if os.Getenv("SPIKEGRAD_REQUIRE_DATA") == "1" {
			t.Fatal(msg + "; SPIKEGRAD_REQUIRE_DATA=1 makes this a failure")
		}
		t.Skip(msg)
	}
	return data
}

// TestMNIST trains one epoch on the first 512 MNIST training images: the
// path from IDX files through a constant-input network.
func TestMNIST(t *testing.T) {
	data := mnistDir(t)
	cfg := DefaultConfig()
	cfg.Data.Dataset = "mnist"
	cfg.Data.Dir = data
	cfg.Data.Steps = 10
	cfg.Data.TrainLimit = 512
	cfg.Data.TestLimit = 256
	cfg.Model.Hidden = []int{32}
	cfg.Train.Epochs = 1
	cfg.Train.BatchSize = 64
	dir := t.TempDir()
	res := runIn(t, cfg, dir, Options{})
	// 8 steps of Adam at 2e-3 on 512 images lift a 784-32-10 network above
	// chance (0.1); measured: 0.418 on the first 256 test images.
	if res.Steps != 8 || res.TestAccuracy < 0.25 {
		t.Errorf("result %+v, want 8 steps and test accuracy >= 0.25", res)
	}
	ev, err := EvaluateRun(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Samples != 256 || ev.Accuracy != res.TestAccuracy {
		t.Errorf("EvaluateRun: %d samples, accuracy %v; want 256 and %v", ev.Samples, ev.Accuracy, res.TestAccuracy)
	}

	// Rate-encoded images draw their spikes from the run's random source:
	// a run resumed in its second epoch draws the same spikes. 128 images in
	// batches of 32: 4 steps per epoch.
	cfg.Data.Encoding = "rate"
	cfg.Data.Steps = 5
	cfg.Data.TrainLimit = 128
	cfg.Data.TestLimit = 64
	cfg.Train.BatchSize = 32
	cfg.Train.Epochs = 2
	cfg.Train.LogEvery = 1
	ref, dir := t.TempDir(), t.TempDir()
	runIn(t, cfg, ref, Options{})
	runIn(t, cfg, dir, Options{MaxSteps: 6})
	runIn(t, cfg, dir, Options{Resume: true})
	sameMetrics(t, valueMetrics(t, ref), valueMetrics(t, dir))
	sameCheckpoints(t, filepath.Join(ref, rundir.LastCheckpoint), filepath.Join(dir, rundir.LastCheckpoint))
}

// TestVariants trains a table of configs that together use every neuron,
// read-out, loss, prediction, regulariser, optimizer and schedule; each
// must resume bit-identically from the middle of its second epoch, and its
// final model must reload with the run's test accuracy.
func TestVariants(t *testing.T) {
	for _, tc := range []struct {
		name string
		sets map[string]string
	}{
		{"synaptic count_ce", map[string]string{"model.neuron": "synaptic", "model.readout": "lif", "train.loss": "count_ce",
			"train.predict": "spike_count", "model.learn_beta": "true", "model.learn_threshold": "true", "model.per_neuron": "true"}},
		{"membrane_ce zero reset", map[string]string{"train.loss": "membrane_ce", "train.predict": "membrane_sum",
			"model.reset": "zero", "model.reset_grad": "true", "model.init": "xavier_uniform", "model.bias": "false"}},
		{"count_mse regularised", map[string]string{"model.readout": "lif", "train.loss": "count_mse", "train.predict": "spike_count",
			"train.rate_l1": "0.1", "train.rate_min": "0.05", "train.rate_max": "0.5", "train.rate_bound_weight": "2",
			"model.threshold": "0.5", "model.hidden": "16,12"}},
		{"sgd cosine", map[string]string{"train.optimizer": "sgd", "train.lr": "0.05", "train.momentum": "0.9",
			"train.nesterov": "true", "train.schedule": "cosine", "train.warmup": "3", "train.clip_grad_norm": "1",
			"train.weight_decay": "1e-4", "model.init": "kaiming_normal"}},
		{"adamw step no hidden", map[string]string{"train.optimizer": "adamw", "train.schedule": "step", "train.step_size": "4",
			"train.gamma": "0.5", "train.weight_decay": "0.01", "model.hidden": "", "train.drop_last": "true", "train.batch_size": "48",
			"model.surrogate": "atan", "model.surrogate_params": "alpha=2"}},
		{"plateau on accuracy, checkpoints every 4 steps", map[string]string{"train.schedule": "plateau",
			"train.plateau_metric": "test_accuracy", "train.plateau_patience": "0", "train.plateau_threshold": "0.5",
			"train.plateau_cooldown": "1", "train.checkpoint_every": "4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyConfig()
			for k, v := range tc.sets {
				if err := cfg.Set(k, v); err != nil {
					t.Fatal(err)
				}
			}
			ref, dir := t.TempDir(), t.TempDir()
			res := runIn(t, cfg, ref, Options{})
			if res.Epochs != 2 {
				t.Fatalf("result %+v", res)
			}
			runIn(t, cfg, dir, Options{MaxSteps: res.Steps/2 + 3})
			runIn(t, cfg, dir, Options{Resume: true})
			sameMetrics(t, valueMetrics(t, ref), valueMetrics(t, dir))
			sameCheckpoints(t, filepath.Join(ref, rundir.LastCheckpoint), filepath.Join(dir, rundir.LastCheckpoint))
			ev, err := EvaluateRun(context.Background(), ref, nil)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Accuracy != res.TestAccuracy || ev.Loss != res.TestLoss {
				t.Errorf("EvaluateRun: accuracy %v loss %v; the run: %v %v", ev.Accuracy, ev.Loss, res.TestAccuracy, res.TestLoss)
			}
		})
	}
}

// TestThreadsDeterministic: the kernels partition their work independently
// of the number of threads, so a run gives the same numbers on 1 and 2.
func TestThreadsDeterministic(t *testing.T) {
	cfg := tinyConfig()
	cfg.Model.Hidden = []int{64}
	cfg.Train.Threads = 1
	a := t.TempDir()
	runIn(t, cfg, a, Options{})
	cfg.Train.Threads = 2
	b := t.TempDir()
	runIn(t, cfg, b, Options{})
	sameMetrics(t, valueMetrics(t, a), valueMetrics(t, b))
	if !bytes.Equal(readFile(t, filepath.Join(a, rundir.ModelWeights)), readFile(t, filepath.Join(b, rundir.ModelWeights))) {
		t.Error("final weights differ between 1 and 2 threads")
	}
}

// TestEmptySplit: a split that leaves no training or no test sample is a
// config error before anything is written.
func TestEmptySplit(t *testing.T) {
	for _, frac := range []float64{0.01, 0.99} {
		cfg := tinyConfig()
		cfg.Data.RandmanClasses = 2
		cfg.Data.RandmanSamples = 2 // 4 samples: 1% of them is none, 99% all
		cfg.Data.RandmanTestFrac = frac
		dir := filepath.Join(t.TempDir(), "run")
		_, err := runWith(cfg, dir, Options{})
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Key != "data.randman_test_frac" {
			t.Errorf("test fraction %v of 4 samples: %v, want a config error about data.randman_test_frac", frac, err)
		}
		if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a failed run left %s: %v", dir, err)
		}
	}
	// Batches larger than the training set, the last one dropped: no step.
	cfg := tinyConfig()
	cfg.Train.BatchSize = 321
	cfg.Train.DropLast = true
	_, err := runWith(cfg, filepath.Join(t.TempDir(), "run"), Options{})
	want := "config: train.batch_size = 321: with train.drop_last leaves no batch of the 320 training samples"
	if err == nil || err.Error() != want {
		t.Errorf("batch of 321 with drop_last: %v, want %s", err, want)
	}
}

// TestResumeMoreEpochs continues a finished 2-epoch run for a third epoch:
// with a constant learning rate it ends as a 3-epoch run, and config.yaml
// says 3 epochs.
func TestResumeMoreEpochs(t *testing.T) {
	cfg := tinyConfig()
	dir, ref := t.TempDir(), t.TempDir()
	runIn(t, cfg, dir, Options{})
	cfg.Train.Epochs = 3
	runIn(t, cfg, ref, Options{})
	res := runIn(t, cfg, dir, Options{Resume: true})
	if res.Epochs != 3 || res.Steps != 3*tinyBatches {
		t.Fatalf("result %+v", res)
	}
	sameMetrics(t, valueMetrics(t, ref), valueMetrics(t, dir))
	if !bytes.Equal(readFile(t, filepath.Join(ref, rundir.ConfigFile)), readFile(t, filepath.Join(dir, rundir.ConfigFile))) {
		t.Errorf("config.yaml after the resume:\n%s", readFile(t, filepath.Join(dir, rundir.ConfigFile)))
	}
}
