package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/layers"
	"github.com/spikegrad/spikegrad/optim"
	"github.com/spikegrad/spikegrad/rundir"
	"github.com/spikegrad/spikegrad/surrogate"
)

// built returns the data, the network, the optimizer and the objective of
// cfg.
func built(t *testing.T, cfg Config) (*DataSplits, Network, optim.Optimizer, Objective) {
	t.Helper()
	data, err := LoadData(context.Background(), cfg.Data, cfg.Seed, nil)
	if err != nil {
		t.Fatal(err)
	}
	net, o, obj, err := build(&cfg, data)
	if err != nil {
		t.Fatal(err)
	}
	return data, net, o, obj
}

// fitConfig runs Fit on what cfg builds, with the options Run would give
// it for the run directory dir, then extra.
func fitConfig(t *testing.T, cfg Config, dir string, extra ...FitOption) (*Result, error) {
	t.Helper()
	data, net, o, obj := built(t, cfg)
	nb := batchesPerEpoch(data.Train.Len(), cfg.Train.BatchSize, cfg.Train.DropLast)
	opts := append(fitOptions(&cfg, Options{RunDir: dir, Now: fixedClock()}, nb), extra...)
	return Fit(context.Background(), net, data, o, obj, opts...)
}

// handNet is a network assembled by hand rather than from a config, and not
// a layers.Sequential: Linear → Synaptic → Linear → LIF → LI, with its own
// Forward over a sequence [T, B, F].
type handNet struct {
	fc1 *layers.Linear
	syn *layers.Synaptic
	fc2 *layers.Linear
	lif *layers.LIF
	out *layers.LI
}

// newHandNet builds a 20-16-10 handNet with weights from seed.
func newHandNet(seed uint64) *handNet {
	rng := rand.New(rand.NewPCG(seed, 1))
	lc := layers.LIFConfig{Beta: 0.9, Surrogate: surrogate.FastSigmoid{Slope: 25}} // threshold 1
	return &handNet{
		fc1: layers.NewLinear("fc1", 20, 16, layers.LinearConfig{RNG: rng}),
		syn: layers.NewSynaptic("syn1", 16, layers.SynapticConfig{LIFConfig: lc, Alpha: 0.8}),
		fc2: layers.NewLinear("fc2", 16, 10, layers.LinearConfig{RNG: rng}),
		lif: layers.NewLIF("lif2", 10, lc),
		out: layers.NewLI("out", 10, layers.LIConfig{Beta: 0.9}),
	}
}

func (n *handNet) Params() []*autograd.Param {
	var ps []*autograd.Param
	for _, l := range []layers.Layer{n.fc1, n.syn, n.fc2, n.lif, n.out} {
		ps = append(ps, l.Params()...)
	}
	return ps
}

func (n *handNet) Forward(t *autograd.Tape, x *autograd.Var, steps int) *layers.Trace {
	tr := &layers.Trace{}
	h := n.fc1.Forward(t, x)
	tr.Layers = append(tr.Layers, layers.LayerTrace{Name: "fc1", Out: h})
	s, m := n.syn.Scan(t, h)
	tr.Layers = append(tr.Layers, layers.LayerTrace{Name: "syn1", Neuron: true, Out: s, Mem: m})
	h = n.fc2.Forward(t, s)
	tr.Layers = append(tr.Layers, layers.LayerTrace{Name: "fc2", Out: h})
	s, m = n.lif.Scan(t, h)
	tr.Layers = append(tr.Layers, layers.LayerTrace{Name: "lif2", Neuron: true, Out: s, Mem: m})
	o, m := n.out.Scan(t, s)
	tr.Layers = append(tr.Layers, layers.LayerTrace{Name: "out", Neuron: true, Out: o, Mem: m})
	tr.Out = o
	return tr
}

// TestFitUserNetwork trains a network built by hand with Fit, interrupts
// it inside the first epoch and stops it inside the second, resumes it
// each time with a network, optimizer and objective built anew, and
// compares the weights, the metrics and the checkpoints with an
// uninterrupted run bit for bit.
func TestFitUserNetwork(t *testing.T) {
	data, err := LoadData(context.Background(), tinyConfig().Data, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	fit := func(ctx context.Context, dir string, extra ...FitOption) (*Result, error) {
		net := newHandNet(7)
		opt, err := optim.NewAdam(net.Params(), optim.AdamConfig{LR: 2e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
		if err != nil {
			t.Fatal(err)
		}
		obj := Classification{Criterion: LossMaxMembraneCE, Prediction: PredictMembraneMax}
		opts := append([]FitOption{WithRunDir(dir), Epochs(2), BatchSize(32), LogEvery(3), CheckpointEvery(4),
			WithSchedule(optim.CosineAnnealingLR{Base: 2e-3, TMax: 2 * tinyBatches}), WithClock(fixedClock())}, extra...)
		return Fit(ctx, net, data, opt, obj, opts...)
	}
	ref, dir := t.TempDir(), t.TempDir()
	want, err := fit(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if want.Steps != 2*tinyBatches || want.Epochs != 2 || !(want.TestAccuracy > 0) {
		t.Fatalf("result %+v", want)
	}
	// Every 4 steps and at each epoch's end: the last checkpoint is of the end.
	if n := loopOf(t, filepath.Join(ref, rundir.LastCheckpoint)).Step; n != 2*tinyBatches {
		t.Errorf("last checkpoint of step %d", n)
	}

	_, err = fit(&cancelAfter{Context: context.Background(), n: 6}, dir)
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("interrupted: %v", err)
	}
	if res, err := fit(context.Background(), dir, Resume(), MaxSteps(tinyBatches+5)); err != nil || res.Stopped != "max steps" {
		t.Fatalf("resumed and stopped: %+v, %v", res, err)
	}
	got, err := fit(context.Background(), dir, Resume())
	if err != nil {
		t.Fatal(err)
	}
	if got.TestAccuracy != want.TestAccuracy || got.TestLoss != want.TestLoss || got.Steps != want.Steps {
		t.Errorf("resumed: %+v, want %+v", got, want)
	}
	sameMetrics(t, valueMetrics(t, ref), valueMetrics(t, dir))
	if !bytes.Equal(readFile(t, filepath.Join(ref, rundir.ModelWeights)), readFile(t, filepath.Join(dir, rundir.ModelWeights))) {
		t.Error("final weights differ")
	}
	sameCheckpoints(t, filepath.Join(ref, rundir.LastCheckpoint), filepath.Join(dir, rundir.LastCheckpoint))
	sameCheckpoints(t, filepath.Join(ref, rundir.BestCheckpoint), filepath.Join(dir, rundir.BestCheckpoint))
	// The firing rates of both spiking layers are recorded; the network
	// cannot describe itself, so its model is the weights alone.
	names := map[string]bool{}
	for _, m := range valueMetrics(t, ref) {
		names[m.Split+"/"+m.Name] = true
	}
	if !names["test/rate/syn1"] || !names["test/rate/lif2"] || names["test/rate/out"] {
		t.Errorf("metrics %v: want the rates of syn1 and lif2 only", names)
	}
	if _, err := os.Stat(filepath.Join(ref, rundir.ModelArch)); err == nil {
		t.Errorf("%s written for a network that cannot describe itself", rundir.ModelArch)
	}

	// Another BatchSize is refused, naming the option.
	before := snapshot(t, dir)
	_, err = fit(context.Background(), dir, Resume(), BatchSize(16), Epochs(3))
	var re *ResumeError
	if !errors.As(err, &re) || !re.Options || !slices.Equal(re.Changes, []KeyChange{{"BatchSize", "32", "16"}}) ||
		!strings.Contains(err.Error(), "BatchSize: 32 -> 16") {
		t.Errorf("resume with another batch size: %v", err)
	}
	sameSnapshot(t, before, snapshot(t, dir))
}

// TestFitArguments: Fit refuses what it cannot train, naming it.
// handFit returns tinyConfig's data, a handNet, Adam over its parameters
// and an objective for it: Fit's arguments for the tests of its errors.
func handFit(t *testing.T) (*DataSplits, *handNet, optim.Optimizer, Objective) {
	t.Helper()
	data, err := LoadData(context.Background(), tinyConfig().Data, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	net := newHandNet(1)
	opt, err := optim.NewAdam(net.Params(), optim.DefaultAdam())
	if err != nil {
		t.Fatal(err)
	}
	return data, net, opt, Classification{Criterion: LossMaxMembraneCE, Prediction: PredictMembraneMax}
}

func TestFitArguments(t *testing.T) {
	data, net, opt, obj := handFit(t)
	half, err := optim.NewAdam(net.Params()[:2], optim.DefaultAdam())
	if err != nil {
		t.Fatal(err)
	}
	dup := newHandNet(1)
	dup.fc2 = layers.NewLinear("fc1", 16, 10, layers.LinearConfig{RNG: rand.New(rand.NewPCG(1, 1))})
	for _, tc := range []struct {
		name string
		fit  func() error
		want string
	}{
		{"no objective", func() error { _, err := Fit(context.Background(), net, data, opt, nil); return err }, "objective is nil"},
		{"no data", func() error { _, err := Fit(context.Background(), net, nil, opt, obj); return err }, "training and a test set"},
		{"part of the params", func() error { _, err := Fit(context.Background(), net, data, half, obj); return err }, "updates 2 of the network's 10"}, // fc1, fc2: weight, bias; syn1: beta, alpha, threshold; lif2: beta, threshold; out: beta
		{"names twice", func() error { _, err := Fit(context.Background(), dup, data, opt, obj); return err }, `two parameters of the network are named "fc1.weight"`},
		{"bad options", func() error {
			_, err := Fit(context.Background(), net, data, opt, obj, Epochs(0), BatchSize(-1), Resume())
			return err
		}, "Epochs(0): must be >= 1\ntrain: Fit: BatchSize(-1): must be >= 1\ntrain: Fit: Resume needs the run directory"},
		{"schedule and plateau", func() error {
			_, err := Fit(context.Background(), net, data, opt, obj, WithSchedule(optim.Constant(1)), WithPlateau(optim.DefaultPlateau(), MonitorTestLoss))
			return err
		}, "choose one"},
		{"plateau mode", func() error {
			_, err := Fit(context.Background(), net, data, opt, obj, WithPlateau(optim.DefaultPlateau(), MonitorTestAccuracy))
			return err
		}, "test_accuracy improves in mode max, the config has mode min"},
	} {
		if err := tc.fit(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestFitOtherArchitecture: Fit resumes a Describer's run only with the
// same architecture.
func TestFitOtherArchitecture(t *testing.T) {
	cfg := tinyConfig()
	data, err := LoadData(context.Background(), cfg.Data, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	fit := func(hidden int, extra ...FitOption) error {
		cfg.Model.Hidden = []int{hidden}
		net, o, obj, err := build(&cfg, data)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Fit(context.Background(), net, data, o, obj, append([]FitOption{WithRunDir(dir), BatchSize(32), MaxSteps(3)}, extra...)...)
		return err
	}
	if err := fit(16); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	err = fit(17, Resume())
	if err == nil || !strings.Contains(err.Error(), "another architecture") || !strings.Contains(err.Error(), rundir.LastCheckpoint) {
		t.Errorf("resume with hidden [17] of a [16] run: %v", err)
	}
	sameSnapshot(t, before, snapshot(t, dir))
}

// TestResumeBeforeFirstCheckpoint: a run stopped before its first
// checkpoint (here: diverged at its second step, with metrics logged)
// starts over in its directory on resume and ends as an uninterrupted run;
// the temporary files of an interrupted write and a torn metrics line are
// cleared away. A folder that is not a run is refused.
func TestResumeBeforeFirstCheckpoint(t *testing.T) {
	cfg := tinyConfig()
	ref := t.TempDir()
	runIn(t, cfg, ref, Options{})

	dir := failedRun(t, cfg)
	for _, f := range []string{"checkpoints/.last.safetensors.tmp123", "." + rundir.MetricsFile + ".tmp9"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("half"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var log bytes.Buffer
	if _, err := runWith(cfg, dir, Options{Resume: true, Log: &log}); err != nil {
		t.Fatal(err)
	}
	sameMetrics(t, valueMetrics(t, ref), valueMetrics(t, dir))
	if !bytes.Equal(readFile(t, filepath.Join(ref, rundir.ModelWeights)), readFile(t, filepath.Join(dir, rundir.ModelWeights))) {
		t.Error("final weights differ")
	}
	if !bytes.Equal(readFile(t, filepath.Join(dir, rundir.ConfigFile)), cfg.YAML()) {
		t.Error("config.yaml is not the config of the run started over")
	}
	for name := range snapshot(t, dir) {
		if strings.Contains(name, ".tmp") {
			t.Errorf("temporary file %s left", name)
		}
	}

	// Not a run: a folder with other files, and no folder.
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "notes.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runWith(cfg, other, Options{Resume: true}); err == nil || !strings.Contains(err.Error(), "notes.txt") {
		t.Errorf("resume in a folder with notes.txt: %v", err)
	}
	if _, err := runWith(cfg, filepath.Join(other, "none"), Options{Resume: true}); err == nil || !strings.Contains(err.Error(), "no run there") {
		t.Errorf("resume of no folder: %v", err)
	}
}

// copyDir copies the files of the folder src into the new folder dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestResumeVersion1 resumes testdata/v1run, a run of tinyConfig that the
// earlier layout of checkpoints saved at step 13 (written by the spikegrad
// command of that version, with --max-steps 13): it ends as an
// uninterrupted run. A changed config is refused by name, as it is for a
// checkpoint of version 2, and a config.yaml that is not the one the
// checkpoint recorded is refused.
func TestResumeVersion1(t *testing.T) {
	cfg := tinyConfig()
	ref := t.TempDir()
	runIn(t, cfg, ref, Options{})
	dir := filepath.Join(t.TempDir(), "run")
	copyDir(t, "testdata/v1run", dir)
	if v := func() string {
		ck, err := LoadCheckpoint(filepath.Join(dir, rundir.LastCheckpoint))
		if err != nil {
			t.Fatal(err)
		}
		return ck.Meta[MetaVersion]
	}(); v != "1" {
		t.Fatalf("the fixture's checkpoint is of version %s", v)
	}
	before := snapshot(t, dir)
	bad := cfg
	bad.Train.BatchSize = 16
	var re *ResumeError
	if _, err := runWith(bad, dir, Options{Resume: true}); !errors.As(err, &re) || !slices.Equal(re.Changes, []KeyChange{{"train.batch_size", "32", "16"}}) {
		t.Errorf("resume of a version-1 run with batches of 16: %v", err)
	}
	sameSnapshot(t, before, snapshot(t, dir))

	res := runIn(t, cfg, dir, Options{Resume: true})
	if res.Steps != 2*tinyBatches {
		t.Fatalf("result %+v", res)
	}
	sameMetrics(t, valueMetrics(t, ref), valueMetrics(t, dir))
	if !bytes.Equal(readFile(t, filepath.Join(ref, rundir.ModelWeights)), readFile(t, filepath.Join(dir, rundir.ModelWeights))) {
		t.Error("final weights differ")
	}
	sameCheckpoints(t, filepath.Join(ref, rundir.LastCheckpoint), filepath.Join(dir, rundir.LastCheckpoint))

	dir = filepath.Join(t.TempDir(), "run")
	copyDir(t, "testdata/v1run", dir)
	if err := os.WriteFile(filepath.Join(dir, rundir.ConfigFile), cfg.YAML(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runWith(cfg, dir, Options{Resume: true}); err == nil || !strings.Contains(err.Error(), "is not the config that") {
		t.Errorf("resume of a version-1 run whose config.yaml was replaced: %v", err)
	}
}

// TestLoopStateRoundTrip fills every field of the loop state, including
// the plateau scheduler's, with a distinct value, and reads it back; a
// field missing from the JSON or one it does not know is an error naming
// it.
func TestLoopStateRoundTrip(t *testing.T) {
	var st loopState
	st.Plateau = &plateauState{}
	n := 0
	var fill func(v reflect.Value)
	fill = func(v reflect.Value) {
		for i := range v.NumField() {
			f := v.Field(i)
			n++
			switch f.Kind() {
			case reflect.Int:
				f.SetInt(int64(n))
			case reflect.Float64:
				f.SetFloat(float64(n) / 3) // not a short decimal
			case reflect.Slice:
				f.SetBytes([]byte{byte(n), 0, 255})
			case reflect.Pointer:
				fill(f.Elem())
			default:
				t.Fatalf("field %s of kind %v: extend the test", v.Type().Field(i).Name, f.Kind())
			}
		}
	}
	fill(reflect.ValueOf(&st).Elem())
	st.Plateau.Best = jsonFloat(math.Inf(-1)) // before the first epoch of mode max
	st.TestLoss = jsonFloat(math.NaN())
	js, err := st.marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := unmarshalLoop(js)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(float64(back.TestLoss)) {
		t.Errorf("test loss %v, want NaN", back.TestLoss)
	}
	back.TestLoss, st.TestLoss = 0, 0
	if !reflect.DeepEqual(*back, st) || !reflect.DeepEqual(*back.Plateau, *st.Plateau) {
		t.Errorf("read back\n%+v\nwant\n%+v", *back, st)
	}

	var m map[string]any
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "epoch_step")
	m["extra"] = 1
	b, _ := json.Marshal(m)
	if _, err := unmarshalLoop(string(b)); err == nil || !strings.Contains(err.Error(), "epoch_step") {
		t.Errorf("without epoch_step: %v", err)
	}
	m["epoch_step"] = 1
	b, _ = json.Marshal(m)
	if _, err := unmarshalLoop(string(b)); err == nil || !strings.Contains(err.Error(), "extra") {
		t.Errorf("with an unknown field: %v", err)
	}
}

// lrRecorder records the learning rate of every optimizer step.
type lrRecorder struct {
	optim.Optimizer
	lrs []float64
}

func (r *lrRecorder) Step() {
	r.lrs = append(r.lrs, r.LR())
	r.Optimizer.Step()
}

// TestConfigSchedule: the schedule a config describes is the optim value
// written out by hand, and Fit sets the optimizer to its rate at every step
// of a run.
func TestConfigSchedule(t *testing.T) {
	const lr = 0.002
	total := 2 * tinyBatches // tinyConfig: 2 epochs of 10 steps
	for _, tc := range []struct {
		sets map[string]string
		want optim.Schedule
	}{
		{map[string]string{"train.schedule": "constant"}, optim.Constant(lr)},
		{map[string]string{"train.schedule": "step", "train.step_size": "3", "train.gamma": "0.5"},
			optim.StepLR{Base: lr, StepSize: 3, Gamma: 0.5}},
		{map[string]string{"train.schedule": "cosine"}, optim.CosineAnnealingLR{Base: lr, TMax: total}},
		{map[string]string{"train.schedule": "cosine", "train.warmup": "4"},
			optim.LinearWarmup{StartFactor: 0.25, Steps: 4, Then: optim.CosineAnnealingLR{Base: lr, TMax: total - 4}}},
		{map[string]string{"train.schedule": "step", "train.step_size": "2", "train.gamma": "0.1", "train.warmup": "5"},
			optim.LinearWarmup{StartFactor: 0.2, Steps: 5, Then: optim.StepLR{Base: lr, StepSize: 2, Gamma: 0.1}}},
	} {
		cfg := tinyConfig()
		for k, v := range tc.sets {
			if err := cfg.Set(k, v); err != nil {
				t.Fatal(err)
			}
		}
		s := cfg.Train.LRSchedule(tinyBatches)
		for step := range total {
			if got, want := s.LR(step), tc.want.LR(step); math.Float64bits(got) != math.Float64bits(want) {
				t.Errorf("%v: step %d: lr %v, want %v", tc.sets, step, got, want)
			}
		}
		data, net, o, obj := built(t, cfg)
		rec := &lrRecorder{Optimizer: o}
		if _, err := Fit(context.Background(), net, data, rec, obj, fitOptions(&cfg, Options{RunDir: t.TempDir()}, tinyBatches)...); err != nil {
			t.Fatal(err)
		}
		if len(rec.lrs) != total {
			t.Fatalf("%d steps recorded, want %d", len(rec.lrs), total)
		}
		for step, got := range rec.lrs {
			if want := tc.want.LR(step); math.Float64bits(got) != math.Float64bits(want) {
				t.Errorf("%v: the run's step %d: lr %v, want %v", tc.sets, step, got, want)
			}
		}
	}
	// optim's warm-up rises from lr/warmup at step 0 to lr at step warmup:
	// 0.1·(1/4 + 3/4·t/4) = 0.025, 0.04375, 0.0625, 0.08125, then 0.1.
	l := DefaultConfig().Train
	l.LR, l.Warmup = 0.1, 4
	for step, want := range []float64{0.025, 0.04375, 0.0625, 0.08125, 0.1, 0.1} {
		if got := l.LRSchedule(10).LR(step); math.Abs(got-want) > 1e-15 {
			t.Errorf("warm-up 4 of 0.1: step %d: %v, want %v", step, got, want)
		}
	}
	if l.Schedule = "plateau"; l.LRSchedule(10) != nil {
		t.Error("plateau: a per-step schedule")
	}
}

// TestPlateau: train.schedule plateau reduces the rate after an epoch
// without a better test loss. The first epoch improves on +Inf; the second
// lowers the loss (2.86 to 2.75, TestRunDeterministic), but not by the
// relative threshold of a half, so with patience 0 the third epoch runs at
// half the rate; the resumed run agrees.
func TestPlateau(t *testing.T) {
	cfg := tinyConfig()
	cfg.Train.Epochs = 3
	for k, v := range map[string]string{"train.schedule": "plateau", "train.plateau_patience": "0",
		"train.plateau_factor": "0.5", "train.plateau_threshold": "0.5"} {
		if err := cfg.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	pc, m, ok := cfg.Train.Plateau()
	want := optim.PlateauConfig{Mode: optim.Min, Factor: 0.5, Patience: optim.Zero, Threshold: 0.5, Cooldown: optim.Zero, MinLR: optim.Zero}
	if !ok || m != MonitorTestLoss || pc != want {
		t.Errorf("Plateau() = %+v, %v, %v; want %+v on the test loss", pc, m, ok, want)
	}
	ref, dir := t.TempDir(), t.TempDir()
	runIn(t, cfg, ref, Options{})
	var lrs []float64
	for _, r := range valueMetrics(t, ref) {
		if r.Name == "lr" {
			lrs = append(lrs, r.Value)
		}
	}
	if !slices.Equal(lrs, []float64{2e-3, 2e-3, 1e-3}) {
		t.Errorf("learning rates %v, want 2e-3, 2e-3, 1e-3", lrs)
	}
	runIn(t, cfg, dir, Options{MaxSteps: 2*tinyBatches + 3})
	runIn(t, cfg, dir, Options{Resume: true})
	sameMetrics(t, valueMetrics(t, ref), valueMetrics(t, dir))
	sameCheckpoints(t, filepath.Join(ref, rundir.LastCheckpoint), filepath.Join(dir, rundir.LastCheckpoint))
}

// TestThreadLease: overlapping runs share the kernels' thread count: the
// largest asked for while they overlap, the setting from before when the
// last ends.
func TestThreadLease(t *testing.T) {
	before := autograd.Threads()
	a := useThreads(3)
	b := useThreads(1)
	if n := autograd.Threads(); n != 3 {
		t.Errorf("runs asking 3 and 1: %d threads", n)
	}
	a()
	if n := autograd.Threads(); n != 1 {
		t.Errorf("the run asking 1 alone: %d threads", n)
	}
	useThreads(0)() // asks nothing
	b()
	if n := autograd.Threads(); n != before {
		t.Errorf("after both: %d threads, want %d as before", n, before)
	}
}

// TestEvaluateOptions: Evaluate refuses a missing objective, and a static
// dataset without its number of steps.
func TestEvaluateOptions(t *testing.T) {
	data, net, _, obj := built(t, tinyConfig())
	if _, err := Evaluate(net, data.Test, EvalOptions{}); err == nil || !strings.Contains(err.Error(), "Objective is nil") {
		t.Errorf("no objective: %v", err)
	}
	a, err := Evaluate(net, data.Test, EvalOptions{Objective: obj})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Evaluate(net, data.Test, EvalOptions{Objective: obj, BatchSize: 7, Tape: autograd.NewTape()})
	if err != nil {
		t.Fatal(err)
	}
	// The batches' mean losses are float32: other batches change the sum
	// by a few float32 roundings (6e-8 relative each).
	if a.Samples != 80 || a.Accuracy != b.Accuracy || math.Abs(a.Loss-b.Loss) > 1e-6*math.Abs(a.Loss) {
		t.Errorf("batches of 128 and of 7: %+v, %+v", a, b)
	}
	static := &synthetic{n: 4, steps: 1, features: 20, classes: 10}
	if _, err := Evaluate(net, static, EvalOptions{Objective: obj}); err == nil || !strings.Contains(err.Error(), "EvalOptions.Steps") {
		t.Errorf("a static set without steps: %v", err)
	}
}

// TestFitStepAllocs: once the first steps have sized the tape's arena and
// pools and the kernels' buffers, a training step of the tutorial network
// (forward pass and its Trace, loss, backward pass, clipping, the learning
// rate of a schedule, Adam, the checks and the predictions) allocates nothing.
func TestFitStepAllocs(t *testing.T) {
	for _, threads := range []int{1, 2} {
		t.Run(fmt.Sprintf("threads=%d", threads), func(t *testing.T) {
			defer autograd.SetThreads(autograd.SetThreads(threads))
			cfg := tutorialConfig()
			cfg.Train.ClipGradNorm = 1
			cfg.Train.Schedule, cfg.Train.Warmup = "cosine", 2
			f, b := warmTutorial(t, cfg)
			f.sched = cfg.Train.LRSchedule(4)
			const steps = 20
			var ms runtime.MemStats
			var allocs, bytes uint64
			for i := range steps {
				runtime.ReadMemStats(&ms)
				n0, b0 := ms.Mallocs, ms.TotalAlloc
				f.opt.SetLR(f.sched.LR(i))
				if _, _, err := f.trainStep(b); err != nil {
					t.Fatal(err)
				}
				runtime.ReadMemStats(&ms)
				allocs, bytes = allocs+ms.Mallocs-n0, bytes+ms.TotalAlloc-b0
			}
			// runtime.MemStats counts the whole process, and the Go runtime
			// allocates now and then outside this module's code: its
			// background goroutines (the scavenger's timers, 32 bytes), and
			// with helper goroutines a goroutine that blocks (the kernels'
			// WaitGroup, the helpers' channel) on one processor and wakes on
			// another takes a wait record (a sudog, 112 bytes) from the first
			// processor's cache and returns it to the second's, so that a
			// cache runs empty at times; the scheduler also starts another
			// thread at times (a few KiB). Measured on 2 cores over 60 runs
			// of this test: with 1 thread no allocation in 20 steps in 57
			// runs, one (32 to 80 bytes) in 3; with 2 threads 0 to 7
			// allocations and at most 5.6 KB; and 25 allocations (7.4 KB) in
			// 1000 steps, fewer as the caches fill. So the bound is testing.AllocsPerRun's (fewer than
			// one per step on average: an allocation of the step itself, made
			// at every step, fails it) and 1 KiB per step (a kernel buffer
			// allocated again, tens of KB to MB, fails it).
			if allocs >= steps || bytes > 1024*steps {
				t.Errorf("%d allocations (%d bytes) in %d steps, want fewer than one per step and at most 1 KiB per step", allocs, bytes, steps)
			}
			t.Logf("%d allocations, %d bytes in %d steps", allocs, bytes, steps)
		})
	}
}
