package train

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/datasets"
	"github.com/spikegrad/spikegrad/internal/atomicfile"
	"github.com/spikegrad/spikegrad/layers"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/optim"
	"github.com/spikegrad/spikegrad/rundir"
	"github.com/spikegrad/spikegrad/safetensors"
)

// Network is what Fit trains: a set of parameters and a forward pass that
// runs a batch through the network and returns its trace (the output, and
// each layer's output and membrane). x is a sequence [T, B, F], or an input
// [B, F] constant over time to present at each of steps time steps.
// layers.Sequential is a Network; so is any type of the user's with these
// two methods. Parameter names must be unique: checkpoints store each under
// its name. A Network that also has a SetTraining(*rand.Rand) method (as
// layers.Sequential, for its Dropout and BatchNorm layers) is put in training mode for
// each training step, with a random source seeded from the run's seed and
// the step, and in inference mode (nil) otherwise.
type Network interface {
	Params() []*autograd.Param
	Forward(t *autograd.Tape, x *autograd.Var, steps int) *layers.Trace
}

// windowed is a Network that runs in windows of time steps
// (layers.Sequential): Fit needs it for WithBPTT's checkpointing and
// truncation.
type windowed interface {
	ForwardWindows(t *autograd.Tape, x *autograd.Var, steps int, w layers.Windows) *layers.Trace
}

// windowChecker is a windowed Network that can say beforehand whether its
// layers run in windows (layers.Sequential.CheckWindows).
type windowChecker interface {
	CheckWindows() error
}

// trainable is a Network with layers that behave differently in training
// (layers.Sequential, for its Dropout and BatchNorm layers): Fit puts it in training mode
// for each training step, and back in inference mode (nil) afterwards.
type trainable interface {
	SetTraining(rng *rand.Rand)
}

// Describer is a Network that can describe its architecture as a saved
// model (package model); layers.Sequential is one. Fit writes the final
// model of such a network with model.Save (model/model.json beside the
// weights), records the architecture in checkpoints and refuses to resume a
// checkpoint of another one. The final model of a Network without it is
// its weights alone.
type Describer interface {
	Model() *model.Model
}

// describe returns the architecture JSON of a Describer, or nil.
func describe(net Network) ([]byte, error) {
	if d, ok := net.(Describer); ok {
		return model.Marshal(d.Model())
	}
	return nil, nil
}

// Fit trains net on data.Train with the optimizer and the objective, and
// evaluates it on data.Test after every epoch, writing a run directory:
// metrics.jsonl (the training loss every LogEvery steps; per epoch the
// training accuracy, throughput and learning rate, the test loss, accuracy
// and each spiking layer's firing rate), checkpoints/last.safetensors (at
// each epoch's end, every CheckpointEvery steps, and when stopped) and
// checkpoints/best.safetensors (the epoch of the best test accuracy), both
// written atomically, and at the end model/ (the weights, and the
// architecture when net is a Describer). A run resumed from its last
// checkpoint (Resume) continues bit-identically to an uninterrupted one.
//
// opt must update net's parameters. Without options Fit trains 5 epochs in
// batches of 128, shuffled by the seed 0, at the optimizer's learning rate,
// in a new directory runs/run-<date>-<time>; the options below change that.
//
// Fit stops cleanly on ctx's cancellation after saving a checkpoint (the
// error wraps ErrInterrupted, and the Result is returned too), on a NaN or
// infinity in the loss, a layer or a parameter (*NonFiniteError naming it
// and the last good checkpoint, kept as it was), at MaxSteps, and by early
// stopping.
func Fit(ctx context.Context, net Network, data *DataSplits, opt optim.Optimizer, obj Objective, options ...FitOption) (*Result, error) {
	s := defaultSettings()
	for _, o := range options {
		o(&s)
	}
	f, err := newFitter(net, data, opt, obj, s)
	if err != nil {
		return nil, err
	}
	defer useThreads(s.threads)()
	if err := f.open(); err != nil {
		return nil, err
	}
	defer f.metrics.Close()
	res, err := f.loop(ctx)
	if res != nil {
		res.RunDir = f.dir
	}
	return res, err
}

// fitter is the state of one training run.
type fitter struct {
	s       fitSettings
	net     Network
	params  []*autograd.Param
	data    *DataSplits
	opt     optim.Optimizer
	obj     Objective
	tape    *autograd.Tape
	wnet    windowed // net, when it trains in windows (WithBPTT)
	sched   optim.Schedule
	plateau *optim.ReduceLROnPlateau

	dir      string
	arch     string // the architecture JSON, "" when net is no Describer
	settings string // what a resume compares: the config's YAML, or the options' JSON
	prog     *progress
	start    time.Time
	wall0    float64 // wall seconds of the run's earlier sessions
	metrics  *rundir.MetricsWriter
	shuffle  *rand.PCG // batch order and encoding noise
	dropSrc  *rand.PCG // dropout masks, re-seeded at each step
	drop     *rand.Rand
	st       loopState
	preds    []int
	rate     float64   // training samples per second of the last epoch
	mark     inputMark // how the training batches are marked
}

// newFitter checks Fit's arguments and options and prepares the loop.
func newFitter(net Network, data *DataSplits, opt optim.Optimizer, obj Objective, s fitSettings) (*fitter, error) {
	switch {
	case net == nil:
		return nil, errors.New("train: Fit: the network is nil")
	case data == nil || data.Train == nil || data.Test == nil:
		return nil, errors.New("train: Fit: the data needs a training and a test set")
	case opt == nil:
		return nil, errors.New("train: Fit: the optimizer is nil")
	case obj == nil:
		return nil, errors.New("train: Fit: the objective is nil")
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	f := &fitter{s: s, net: net, params: net.Params(), data: data, opt: opt, obj: obj, tape: autograd.NewTape(),
		sched: s.schedule, shuffle: rand.NewPCG(s.seed, streamShuffle), mark: inputMarkOf(data.Train)}
	f.st.Best = -1
	f.dropSrc = rand.NewPCG(0, 0)
	f.drop = rand.New(f.dropSrc)
	if err := checkParams(f.params, opt.Params()); err != nil {
		return nil, err
	}
	if s.bptt != BPTTFull {
		var ok bool
		if f.wnet, ok = net.(windowed); !ok {
			return nil, fmt.Errorf("train: Fit: WithBPTT(%v): the network (%T) has no ForwardWindows method to run in windows of time steps", s.bptt, net)
		}
		if c, ok := net.(windowChecker); ok {
			if err := c.CheckWindows(); err != nil {
				return nil, fmt.Errorf("train: Fit: WithBPTT(%v): %w", s.bptt, err)
			}
		}
	}
	if steps, _ := data.Train.Shape(); steps == 1 && data.Steps < 1 {
		return nil, fmt.Errorf("train: Fit: the training set is static (one step per sample): data.Steps must say how many steps to present it for, not %d", data.Steps)
	}
	if s.plateau != nil {
		var err error
		if f.plateau, err = optim.NewReduceLROnPlateau(opt, *s.plateau); err != nil {
			return nil, fmt.Errorf("train: Fit: WithPlateau: %w", err)
		}
	}
	return f, nil
}

// checkParams requires unique, named parameters, all of them updated by the
// optimizer.
func checkParams(params, optParams []*autograd.Param) error {
	seen := map[string]bool{}
	own := map[*autograd.Param]bool{}
	for i, p := range params {
		switch {
		case p == nil:
			return fmt.Errorf("train: Fit: parameter %d of the network is nil", i)
		case p.Name == "":
			return fmt.Errorf("train: Fit: parameter %d of the network has no name; checkpoints store parameters by name", i)
		case seen[p.Name]:
			return fmt.Errorf("train: Fit: two parameters of the network are named %q; checkpoints store parameters by name", p.Name)
		}
		seen[p.Name] = true
		own[p] = true
	}
	for _, p := range optParams {
		if !own[p] {
			return fmt.Errorf("train: Fit: the optimizer updates %q, which is not a parameter of the network", p.Name)
		}
	}
	if len(optParams) != len(params) {
		return fmt.Errorf("train: Fit: the optimizer updates %d of the network's %d parameters; give it all of them (freeze a parameter to keep it fixed)", len(optParams), len(params))
	}
	return nil
}

func (f *fitter) now() time.Time { return f.s.now() }

func (f *fitter) wall() float64 { return f.wall0 + f.now().Sub(f.start).Seconds() }

// open creates the run directory, or opens it and restores the last
// checkpoint when resuming.
func (f *fitter) open() error {
	f.start = f.now()
	f.prog = newProgress(f.s.log, f.s.progress)
	arch, err := describe(f.net)
	if err != nil {
		return err
	}
	f.arch = string(arch)
	if f.s.config != nil {
		f.settings = string(f.s.config.YAML())
	} else if f.settings, err = f.s.record(f.data); err != nil {
		return err
	}
	f.dir = f.s.runDir
	if f.s.resume {
		if f.dir == "" {
			return errors.New("train: resuming needs the run directory (WithRunDir)")
		}
		ck, err := LoadCheckpoint(filepath.Join(f.dir, rundir.LastCheckpoint))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			err = f.startOver()
		case err == nil:
			err = f.resumeFrom(ck)
		}
		if err != nil {
			return fmt.Errorf("train: resuming %s: %w", f.dir, err)
		}
	} else if err := f.create(); err != nil {
		return err
	}
	for _, d := range []string{rundir.CheckpointDir, rundir.ModelDir} {
		if err := os.MkdirAll(filepath.Join(f.dir, d), 0o755); err != nil {
			return fmt.Errorf("train: %w", err)
		}
	}
	f.metrics, err = rundir.OpenMetrics(filepath.Join(f.dir, rundir.MetricsFile))
	return err
}

// create makes a new run directory.
func (f *fitter) create() error {
	if f.dir == "" {
		f.dir = filepath.Join(f.s.out, f.s.name+"-"+f.start.Format("20060102-150405"))
	}
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	// A run without a checkpoint yet (still starting, or failed before its
	// first one) has left its config and metrics: a second run there would
	// mix its metrics into the first's.
	for _, name := range []string{rundir.LastCheckpoint, rundir.MetricsFile, rundir.ConfigFile} {
		if _, err := os.Stat(filepath.Join(f.dir, name)); err == nil {
			return fmt.Errorf("train: %s already holds a run (%s); resume it or choose another directory", f.dir, name)
		}
	}
	return f.begin()
}

// begin sets up step 0 of a run in f.dir: its config file and the state of
// the random source at the start of the first epoch.
func (f *fitter) begin() error {
	if f.s.config != nil {
		if err := writeConfig(filepath.Join(f.dir, rundir.ConfigFile), f.s.config); err != nil {
			return err
		}
	}
	var err error
	f.st.Shuffle, err = f.shuffle.MarshalBinary()
	return err
}

func writeConfig(path string, c *Config) error { return atomicfile.WriteBytes(path, c.YAML()) }

// checkpoint returns the run's checkpoint: the weights, the optimizer, the
// loop state, and the architecture and settings it was trained with.
func (f *fitter) checkpoint() (*Checkpoint, error) {
	ck := CheckpointFromParams(f.params)
	if f.arch != "" {
		ck.Meta[MetaArchitecture] = f.arch
	}
	if f.s.config != nil {
		ck.Meta[MetaConfig] = f.settings
	} else {
		ck.Meta[MetaSettings] = f.settings
	}
	f.st.Wall = jsonFloat(f.wall())
	f.st.Plateau = nil
	if f.plateau != nil {
		p := f.plateau.State()
		f.st.Plateau = &plateauState{Best: jsonFloat(p.Best), BadEpochs: p.BadEpochs, CooldownLeft: p.CooldownLeft, Epochs: p.Epochs}
	}
	js, err := f.st.marshal()
	if err != nil {
		return nil, err
	}
	ck.Meta[MetaLoop] = js
	if err := ck.SetOptimizer(f.opt); err != nil {
		return nil, err
	}
	return ck, nil
}

// save writes the run's checkpoint to each of the named files (rundir.LastCheckpoint,
// rundir.BestCheckpoint) in turn, after syncing the metrics it has logged.
func (f *fitter) save(names ...string) error {
	ck, err := f.checkpoint()
	if err != nil {
		return err
	}
	if err := f.metrics.Sync(); err != nil {
		return err
	}
	for _, name := range names {
		if err := SaveCheckpoint(filepath.Join(f.dir, name), ck); err != nil {
			return err
		}
	}
	return nil
}

// inputMark is how the loops mark the input batches of a dataset: binary
// (spikes, so that the first layer's product runs event-driven, see
// autograd.Tape.MatMul), not binary, or binary when a look at the batch's
// values finds only 0 and 1 (a dataset that does not declare its values).
type inputMark int

const (
	markDense  inputMark = iota // declared not binary
	markBinary                  // declared binary
	markCheck                   // undeclared: each batch's values decide
)

// inputMarkOf returns how the batches of ds are marked (datasets.BinaryInputs).
func inputMarkOf(ds datasets.Dataset) inputMark {
	switch binary, declared := datasets.BinaryInputs(ds); {
	case !declared:
		return markCheck
	case binary:
		return markBinary
	}
	return markDense
}

// batchInput wraps a batch's inputs on t: a sequence [T, B, F], or a static
// [B, F] (one step) that the network presents at every step. The input is
// marked binary as mk says.
func batchInput(t *autograd.Tape, b *datasets.Batch, mk inputMark) *autograd.Var {
	var v *autograd.Var
	if b.Steps == 1 {
		v = t.Constant(b.X, b.Size, b.Features)
	} else {
		v = t.Constant(b.X, b.Steps, b.Size, b.Features)
	}
	if mk == markBinary || mk == markCheck && datasets.AllBinary(v.Data) {
		v.SetBinary()
	}
	return v
}

func (f *fitter) loop(ctx context.Context) (*Result, error) {
	loader, err := datasets.NewLoader(f.data.Train, datasets.LoaderConfig{BatchSize: f.s.batchSize, Shuffle: true, DropLast: f.s.dropLast, Bucket: f.s.bucket}, rand.New(f.shuffle))
	if err != nil {
		return nil, err
	}
	nb := loader.NumBatches()
	if nb == 0 {
		return nil, fmt.Errorf("train: Fit: BatchSize(%d) with DropLast leaves no batch of the %d training samples", f.s.batchSize, f.data.Train.Len())
	}
	res := &Result{}
	for f.st.Epoch < f.s.epochs {
		stop, err := f.trainEpoch(ctx, loader, nb)
		if err != nil {
			return nil, f.nameCheckpoint(err)
		}
		if stop != "" && f.st.EpochStep < nb { // stopped inside the epoch, checkpoint saved
			res.Stopped = stop
			break
		}
		if err := f.endEpoch(); err != nil {
			return nil, f.nameCheckpoint(err)
		}
		if stop != "" && f.st.Epoch < f.s.epochs { // stopped at the epoch's end, saved by endEpoch
			res.Stopped = stop
			f.prog.line("%s after epoch %d, step %d: checkpoint saved in %s", stop, f.st.Epoch, f.st.Step, filepath.Join(f.dir, rundir.LastCheckpoint))
			break
		}
		if f.s.patience > 0 && f.st.SinceBest >= f.s.patience {
			res.Stopped = "early stopping"
			f.prog.line("early stopping: no better test accuracy for %d epochs", f.st.SinceBest)
			break
		}
	}
	if err := f.writeModel(); err != nil {
		return nil, err
	}
	res.Epochs, res.Steps = f.st.Epoch, f.st.Step
	res.TestAccuracy, res.TestLoss, res.BestAccuracy = float64(f.st.TestAccuracy), float64(f.st.TestLoss), float64(f.st.Best)
	res.SamplesPerSec = f.rate
	if res.Stopped == "interrupted" {
		return res, fmt.Errorf("train: %w at epoch %d, step %d; resume with the run directory %s", ErrInterrupted, f.st.Epoch+1, f.st.Step, f.dir)
	}
	return res, nil
}

// nameCheckpoint fills in the last good checkpoint of a *NonFiniteError.
func (f *fitter) nameCheckpoint(err error) error {
	var nf *NonFiniteError
	if errors.As(err, &nf) {
		p := filepath.Join(f.dir, rundir.LastCheckpoint)
		if _, serr := os.Stat(p); serr == nil {
			nf.Checkpoint = p
		}
	}
	return err
}

// trainEpoch runs the batches of the current epoch from f.st.EpochStep on.
// It returns a non-empty reason when the run must stop before the epoch's
// end.
func (f *fitter) trainEpoch(ctx context.Context, loader *datasets.Loader, nb int) (string, error) {
	st := &f.st
	if err := f.shuffle.UnmarshalBinary(st.Shuffle); err != nil {
		return "", err
	}
	ep := loader.Epoch(context.WithoutCancel(ctx))
	defer ep.Close()
	for i := 0; i < st.EpochStep; i++ { // batches done before a resume
		if !ep.Next() {
			return "", fmt.Errorf("train: resuming: epoch has fewer than %d batches: %v", st.EpochStep, ep.Err())
		}
	}
	t0 := f.now()
	samples := 0
	for ep.Next() {
		b := ep.Batch()
		if f.sched != nil {
			f.opt.SetLR(f.sched.LR(st.Step))
		}
		loss, nc, err := f.trainStep(b)
		if err != nil {
			return "", err
		}
		st.Step++
		st.EpochStep++
		samples += b.Size
		st.EpochLoss += jsonFloat(loss)
		st.LogLoss += jsonFloat(loss)
		st.LogSteps++
		st.EpochCorrect += nc
		st.EpochSeen += b.Size
		if st.Step%f.s.logEvery == 0 {
			if err := f.write(rundir.SplitTrain, "loss", float64(st.LogLoss)/float64(st.LogSteps)); err != nil {
				return "", err
			}
			st.LogLoss, st.LogSteps = 0, 0
		}
		el := f.now().Sub(t0)
		f.prog.update(st.Epoch+1, f.s.epochs, st.EpochStep, nb, float64(st.EpochLoss)/float64(st.EpochStep),
			float64(st.EpochCorrect)/float64(max(st.EpochSeen, 1)), float64(samples)/max(el.Seconds(), 1e-9), el, f.now())
		if st.EpochStep == nb { // the epoch's end saves a checkpoint
			continue
		}
		stop := ""
		if ctx.Err() != nil {
			stop = "interrupted"
		} else if f.s.maxSteps > 0 && st.Step >= f.s.maxSteps {
			stop = "max steps"
		}
		if stop != "" || f.s.checkpointEvery > 0 && st.Step%f.s.checkpointEvery == 0 {
			if err := f.save(rundir.LastCheckpoint); err != nil {
				return "", err
			}
		}
		if stop != "" {
			f.prog.line("%s at epoch %d, step %d: checkpoint saved in %s", stop, st.Epoch+1, st.Step, filepath.Join(f.dir, rundir.LastCheckpoint))
			return stop, nil
		}
	}
	if err := ep.Err(); err != nil {
		return "", err
	}
	el := f.now().Sub(t0).Seconds()
	f.rate = float64(samples) / max(el, 1e-9)
	for _, m := range []struct {
		name string
		v    float64
	}{{"accuracy", float64(st.EpochCorrect) / float64(max(st.EpochSeen, 1))}, {"samples_per_s", f.rate}, {"lr", f.opt.LR()}} {
		if err := f.write(rundir.SplitTrain, m.name, m.v); err != nil {
			return "", err
		}
	}
	if ctx.Err() != nil { // the caller ends the epoch, which saves a checkpoint
		return "interrupted", nil
	}
	if f.s.maxSteps > 0 && st.Step >= f.s.maxSteps {
		return "max steps", nil
	}
	return "", nil
}

// trainStep runs forward, backward and the optimizer on one batch, and
// returns the loss and the number of correct predictions.
func (f *fitter) trainStep(b *datasets.Batch) (float64, int, error) {
	t := f.tape
	t.Reset()
	var loss *autograd.Var
	var tr *layers.Trace
	labels := b.Labels[:b.Size]
	if tn, ok := f.net.(trainable); ok {
		// The step's random source is a function of the seed and the step
		// alone, so a resumed run draws the same masks with nothing more in
		// its checkpoint. Evaluation runs in inference mode.
		f.dropSrc.Seed(f.s.seed, streamDropout<<56|uint64(f.st.Step))
		tn.SetTraining(f.drop)
		defer tn.SetTraining(nil)
	}
	if err := usePadding(f.net, f.obj, b); err != nil {
		return 0, 0, fmt.Errorf("train: step %d: %w", f.st.Step, err)
	}
	defer clearLengths(f.net)
	if err := catch(func() {
		if f.wnet != nil {
			tr = f.wnet.ForwardWindows(t, batchInput(t, b, f.mark), f.data.Steps, f.windows(b))
		} else {
			tr = f.net.Forward(t, batchInput(t, b, f.mark), f.data.Steps)
		}
		withLengths(tr, b)
		loss = f.obj.Loss(t, tr, labels)
	}); err != nil {
		return 0, 0, fmt.Errorf("train: step %d: %w", f.st.Step, err)
	}
	lv := float64(loss.Item())
	if math.IsNaN(lv) || math.IsInf(lv, 0) {
		return 0, 0, &NonFiniteError{Step: f.st.Step, Where: "loss (" + firstNonFinite(tr) + ")"}
	}
	t.Backward(loss)
	if c := f.s.clip; c > 0 {
		optim.ClipGradNorm(f.params, c)
	}
	f.opt.Step()
	// A non-finite gradient reaches the weights through the update, so one
	// check of the weights after it finds both; the gradient then tells which.
	for _, p := range f.params {
		if !finite(p.Data) {
			where := p.Name + " (after the optimizer step)"
			if !finite(p.Grad) {
				where = p.Name + " (gradient)"
			}
			return 0, 0, &NonFiniteError{Step: f.st.Step, Where: where}
		}
	}
	f.opt.ZeroGrad()
	f.preds = growInts(f.preds, b.Size)
	f.obj.Predict(tr, f.preds)
	nc := 0
	for i, p := range f.preds {
		if p == labels[i] {
			nc++
		}
	}
	return lv, nc, nil
}

// windows returns the windows of a training step on the batch b
// (WithBPTT).
func (f *fitter) windows(b *datasets.Batch) layers.Windows {
	T := b.Steps
	if T == 1 {
		T = f.data.Steps
	}
	k := f.s.bpttWindow
	if k == 0 {
		k = int(math.Ceil(math.Sqrt(float64(T))))
	}
	keep := true
	if c, ok := f.obj.(Classification); ok {
		keep = c.readsHidden()
	}
	return layers.Windows{K: max(k, 1), Checkpoint: f.s.bptt == BPTTCheckpoint, Truncate: f.s.bptt == BPTTTruncated, KeepOutputs: keep}
}

// endEpoch evaluates on the test set, writes the epoch's metrics, lets the
// plateau scheduler see them and saves the checkpoints.
func (f *fitter) endEpoch() error {
	st := &f.st
	st.Epoch++
	st.EpochStep = 0
	st.EpochLoss, st.EpochCorrect, st.EpochSeen, st.LogLoss, st.LogSteps = 0, 0, 0, 0, 0
	var err error
	if st.Shuffle, err = f.shuffle.MarshalBinary(); err != nil {
		return err
	}
	ev, err := Evaluate(f.net, f.data.Test, EvalOptions{Steps: f.data.Steps, BatchSize: f.s.evalBatch(), Objective: f.obj, Tape: f.tape})
	if err != nil {
		return err
	}
	if math.IsNaN(ev.Loss) || math.IsInf(ev.Loss, 0) {
		return &NonFiniteError{Step: st.Step, Where: "the test loss"}
	}
	st.TestAccuracy, st.TestLoss = jsonFloat(ev.Accuracy), jsonFloat(ev.Loss)
	if err := f.write(rundir.SplitTest, "loss", ev.Loss); err != nil {
		return err
	}
	if err := f.write(rundir.SplitTest, "accuracy", ev.Accuracy); err != nil {
		return err
	}
	for _, lr := range ev.Rates {
		if err := f.write(rundir.SplitTest, "rate/"+lr.Layer, lr.Rate); err != nil {
			return err
		}
	}
	improved := ev.Accuracy > float64(st.Best)
	if improved {
		st.Best, st.SinceBest = jsonFloat(ev.Accuracy), 0
	} else {
		st.SinceBest++
	}
	f.prog.line("epoch %d/%d: test accuracy %.2f%%, test loss %.4f, %.0f samples/s (%s)",
		st.Epoch, f.s.epochs, 100*ev.Accuracy, ev.Loss, f.rate, fmtDuration(time.Duration(f.wall()*float64(time.Second))))
	if f.plateau != nil {
		m := ev.Loss
		if f.s.plateauMetric == MonitorTestAccuracy {
			m = ev.Accuracy
		}
		if f.plateau.Step(m) {
			f.prog.line("learning rate reduced to %g: no better %v for %d epochs", f.opt.LR(), f.s.plateauMetric, f.plateau.Config().Patience+1)
		}
	}
	// The best checkpoint first: a process killed between the two files
	// resumes from the last checkpoint before this epoch's end, runs the
	// rest of the epoch again and writes the same best checkpoint.
	if improved {
		return f.save(rundir.BestCheckpoint, rundir.LastCheckpoint)
	}
	return f.save(rundir.LastCheckpoint)
}

func (f *fitter) write(split, name string, v float64) error {
	return f.metrics.Write(rundir.Metric{Step: f.st.Step, Epoch: f.st.Epoch, Split: split, Name: name, Value: v, Wall: f.wall()})
}

// writeModel writes the final model: for a Describer the model directory
// of model.Save, otherwise the weights alone.
func (f *fitter) writeModel() error {
	ts := make([]safetensors.Tensor, len(f.params))
	for i, p := range f.params {
		ts[i] = safetensors.Tensor{Name: p.Name, Shape: p.Shape(), Data: p.Data}
	}
	if d, ok := f.net.(Describer); ok {
		return model.Save(filepath.Join(f.dir, rundir.ModelDir), d.Model(), ts)
	}
	return safetensors.Save(filepath.Join(f.dir, rundir.ModelWeights), ts, nil)
}

// firstNonFinite names the first layer of a trace whose output or membrane
// holds a NaN or an infinity.
func firstNonFinite(tr *layers.Trace) string {
	if tr == nil {
		return "unknown layer"
	}
	for _, lt := range tr.Layers {
		if lt.Mem != nil && !finite(lt.Mem.Data) {
			return "first in layer " + lt.Name + ", membrane"
		}
		if lt.Out != nil && !finite(lt.Out.Data) {
			return "first in layer " + lt.Name + ", output"
		}
	}
	return "the loss itself"
}

func finite(s []float32) bool {
	// NaN or ±Inf times 0 is NaN; eight sums run independently so the loop
	// is not bound by the latency of one chain of additions.
	var a [8]float32
	i := 0
	for ; i+8 <= len(s); i += 8 {
		c := s[i : i+8 : i+8]
		a[0] += c[0] * 0
		a[1] += c[1] * 0
		a[2] += c[2] * 0
		a[3] += c[3] * 0
		a[4] += c[4] * 0
		a[5] += c[5] * 0
		a[6] += c[6] * 0
		a[7] += c[7] * 0
	}
	for ; i < len(s); i++ {
		a[0] += s[i] * 0
	}
	return a[0]+a[1]+a[2]+a[3]+a[4]+a[5]+a[6]+a[7] == 0
}

func growInts(s []int, n int) []int {
	if cap(s) < n {
		return make([]int, n)
	}
	return s[:n]
}

func growFloats(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// catch turns a panic with an error value (a shape error inside the math)
// into an error.
func catch(f func()) (err error) {
	defer func() {
		if v := recover(); v != nil {
			if e, ok := v.(error); ok {
				err = e
				return
			}
			panic(v)
		}
	}()
	f()
	return nil
}
