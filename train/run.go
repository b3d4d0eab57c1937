package train

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/datasets"
	"github.com/spikegrad/spikegrad/internal/atomicfile"
	"github.com/spikegrad/spikegrad/layers"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/optim"
	"github.com/spikegrad/spikegrad/runs"
	"github.com/spikegrad/spikegrad/safetensors"
)

// ErrInterrupted is returned (wrapped) by Run when its context was cancelled:
// the run saved a checkpoint to resume from and stopped cleanly.
var ErrInterrupted = errors.New("training interrupted")

// NonFiniteError reports a NaN or infinity in a forward pass, a loss or a
// gradient. The run stops without saving the broken state: the last good
// checkpoint stays as it was.
type NonFiniteError struct {
	Step  int
	Where string // "loss", or the layer or parameter, e.g. "lif1 (membrane)" or "fc1.weight (gradient)"
	// Checkpoint is the last good checkpoint, kept as it was, or "" when the
	// run had saved none yet.
	Checkpoint string
}

// Error returns the message of the NonFiniteError.
func (e *NonFiniteError) Error() string {
	kept := "no checkpoint had been saved yet"
	if e.Checkpoint != "" {
		kept = "the last good checkpoint is kept: " + e.Checkpoint
	}
	return fmt.Sprintf("train: step %d: non-finite values (NaN or Inf) in %s; %s", e.Step, e.Where, kept)
}

// Options are the parts of a run that are not in its config.
type Options struct {
	// RunDir is the run directory. Empty: <cfg.Out>/<cfg.Name>-<time>, made
	// anew. With Resume, the existing run directory to continue.
	RunDir string
	// Resume continues the run in RunDir from its last checkpoint; the
	// result is bit-identical to an uninterrupted run.
	Resume bool
	// Log receives progress and messages (usually stderr); nil discards.
	Log io.Writer
	// Progress selects the progress display on Log.
	Progress ProgressMode
	// Now is the clock (nil: time.Now); tests fix it.
	Now func() time.Time
	// MaxSteps stops the run after this many optimizer steps in total (0:
	// no limit), saving a checkpoint as on interruption. For tests and
	// benchmarks.
	MaxSteps int
}

// Result summarises a finished run.
type Result struct {
	RunDir        string
	Epochs        int     // completed epochs
	Steps         int     // optimizer steps
	TestAccuracy  float64 // after the last epoch
	TestLoss      float64
	BestAccuracy  float64 // best test accuracy over epochs
	SamplesPerSec float64 // training throughput of the last epoch
	Stopped       string  // "", "early stopping", "interrupted", "max steps"
}

// NetworkModel describes the network of the model config for inputs of the
// given features and classes:
//
//	fc1 → lif1 → fc2 → lif2 … → fcN → out
//
// with Linear layers named fc1, fc2, … and neuron layers lif1 (or syn1), …;
// the read-out is a LIF or LI layer named out.
func NetworkModel(m ModelConfig, features, classes int) *model.Model {
	lif := model.LIF{Beta: float32(m.Beta), Threshold: float32(m.Threshold), Reset: m.Reset, ResetGrad: m.ResetGrad,
		Surrogate: model.Surrogate{Name: m.Surrogate, Params: m.SurrogateParams},
		LearnBeta: m.LearnBeta, LearnThreshold: m.LearnThreshold, PerNeuron: m.PerNeuron}
	md := &model.Model{Format: model.Format}
	in := features
	sizes := append(append([]int(nil), m.Hidden...), classes)
	for i, n := range sizes {
		md.Layers = append(md.Layers, model.NewLayer(fmt.Sprintf("fc%d", i+1), model.Linear{In: in, Out: n, Bias: m.Bias, Init: m.Init}))
		lif.N = n
		var nl model.Layer
		switch last := i == len(sizes)-1; {
		case last && m.Readout == "li":
			nl = model.NewLayer("out", model.LI{N: n, Beta: float32(m.Beta), LearnBeta: m.LearnBeta, PerNeuron: m.PerNeuron})
		case last:
			nl = model.NewLayer("out", lif)
		case m.Neuron == "synaptic":
			nl = model.NewLayer(fmt.Sprintf("syn%d", i+1), model.Synaptic{LIF: lif, Alpha: float32(m.Alpha), LearnAlpha: m.LearnBeta})
		default:
			nl = model.NewLayer(fmt.Sprintf("lif%d", i+1), lif)
		}
		md.Layers = append(md.Layers, nl)
		in = n
	}
	return md
}

// Network builds the network of the model config (see NetworkModel) with
// initial weights from rng.
func Network(m ModelConfig, features, classes int, rng *rand.Rand) (*layers.Sequential, error) {
	return layers.Build(NetworkModel(m, features, classes), rng)
}

// NewOptimizer makes the optimizer that the loop config names. The config's
// values are taken as they are, 0 included (optim.Exactly): its defaults are
// DefaultConfig's, not optim's.
func NewOptimizer(l LoopConfig, params []*autograd.Param) (optim.Optimizer, error) {
	x := optim.Exactly[float64]
	switch l.Optimizer {
	case "adam", "adamw":
		return optim.NewAdam(params, optim.AdamConfig{LR: x(l.LR), Beta1: x(l.Beta1), Beta2: x(l.Beta2), Eps: x(l.Eps),
			WeightDecay: x(l.WeightDecay), Decoupled: l.Optimizer == "adamw"})
	case "sgd":
		return optim.NewSGD(params, optim.SGDConfig{LR: x(l.LR), Momentum: x(l.Momentum), Nesterov: l.Nesterov, WeightDecay: x(l.WeightDecay)})
	}
	return nil, &ConfigError{Key: "train.optimizer", Value: l.Optimizer, Msg: "must be adam, adamw or sgd"}
}

// lrAt is the learning rate of step s (0-based) under the loop's schedule.
func lrAt(l LoopConfig, s, total int) float64 {
	lr := l.LR
	switch l.Schedule {
	case "step":
		lr *= math.Pow(l.Gamma, float64(s/l.StepSize))
	case "cosine": // CosineAnnealingLR with T_max = total steps, eta_min = 0
		lr *= 0.5 * (1 + math.Cos(math.Pi*float64(min(s, total))/float64(max(total, 1))))
	}
	if l.Warmup > 0 && s < l.Warmup { // linear from 1/warmup of the rate
		lr *= float64(s+1) / float64(l.Warmup)
	}
	return lr
}

// run is the state of one training run.
type run struct {
	cfg     Config
	opt     Options
	dir     string
	log     io.Writer
	prog    *progress
	now     func() time.Time
	start   time.Time
	wall0   float64 // wall seconds of earlier sessions of the run
	data    *DataSplits
	net     *layers.Sequential
	params  []*autograd.Param
	opt_    optim.Optimizer
	obj     Objective
	metrics *runs.MetricsWriter
	tape    *autograd.Tape

	shuffleSrc *rand.PCG // batch order and encoding noise
	epochRNG   []byte    // shuffleSrc's state at the start of the current epoch

	step, epoch int
	skip        int // batches of the current epoch already done (resume)
	// Sums over the batches of the current epoch so far, and over the steps
	// since the last logged training loss: in the checkpoint, so that a run
	// resumed inside an epoch logs what an uninterrupted run logs.
	epLoss, logSum          float64
	epCorrect, epSeen, logN int
	best                    float64
	sinceBest               int
	preds                   []int
	lastTestAcc             float64
	lastTestLoss            float64
	lastTrainRate           float64
}

func (r *run) wall() float64 { return r.wall0 + r.now().Sub(r.start).Seconds() }

// Run trains the network that cfg describes, writing the run directory, and
// returns its result. It stops cleanly on ctx's cancellation after saving a
// checkpoint (the error wraps ErrInterrupted), on a non-finite value
// (*NonFiniteError, the last good checkpoint kept), and on early stopping.
func Run(ctx context.Context, cfg Config, opt Options) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &run{cfg: cfg, opt: opt, log: opt.Log, now: opt.Now, best: -1}
	if r.log == nil {
		r.log = io.Discard
	}
	if r.now == nil {
		r.now = time.Now
	}
	r.start = r.now()
	r.prog = newProgress(r.log, opt.Progress)
	if cfg.Train.Threads > 0 {
		defer autograd.SetThreads(autograd.SetThreads(cfg.Train.Threads))
	}
	var err error
	if r.data, err = LoadData(ctx, cfg.Data, cfg.Seed, r.log); err != nil {
		return nil, err
	}
	if n := r.data.Train.Len(); cfg.Train.DropLast && n < cfg.Train.BatchSize {
		return nil, &ConfigError{Key: "train.batch_size", Value: strconv.Itoa(cfg.Train.BatchSize),
			Msg: fmt.Sprintf("with train.drop_last leaves no batch of the %d training samples", n)}
	}
	if err := r.build(rand.New(rand.NewPCG(cfg.Seed, streamInit))); err != nil {
		return nil, err
	}
	r.shuffleSrc = rand.NewPCG(cfg.Seed, streamShuffle)
	if err := r.openDir(); err != nil {
		return nil, err
	}
	defer r.metrics.Close()
	res, err := r.loop(ctx)
	if res != nil {
		res.RunDir = r.dir
	}
	return res, err
}

// build makes the network for r.data (initial weights from rng), its
// optimizer, the objective and the tape.
func (r *run) build(rng *rand.Rand) error {
	var err error
	if r.net, err = Network(r.cfg.Model, r.data.Features, r.data.Classes, rng); err != nil {
		return err
	}
	r.params = r.net.Params()
	if r.opt_, err = NewOptimizer(r.cfg.Train, r.params); err != nil {
		return err
	}
	if err := r.setupObjective(); err != nil {
		return err
	}
	r.tape = autograd.NewTape()
	return nil
}

func (r *run) setupObjective() error {
	obj, err := r.cfg.Train.Objective()
	r.obj = obj
	return err
}

// openDir creates the run directory, or opens it and restores the last
// checkpoint when resuming.
func (r *run) openDir() error {
	arch, err := model.Marshal(r.net.Model())
	if err != nil {
		return err
	}
	r.dir = r.opt.RunDir
	if r.opt.Resume {
		if r.dir == "" {
			return errors.New("train: resume needs the run directory")
		}
		ck, err := LoadCheckpoint(filepath.Join(r.dir, runs.LastCheckpoint))
		if err != nil {
			return fmt.Errorf("train: resuming %s: %w", r.dir, err)
		}
		if got := canonicalArchitecture(ck.Meta[MetaArchitecture]); got != string(arch) {
			return fmt.Errorf("train: resuming %s: the checkpoint %s holds another architecture than the config describes:\ncheckpoint: %s\nconfig:     %s",
				r.dir, ck.Path, compactJSON(got), compactJSON(string(arch)))
		}
		if err := r.restore(ck); err != nil {
			return fmt.Errorf("train: resuming %s: %w", r.dir, err)
		}
		if err := runs.TruncateMetrics(filepath.Join(r.dir, runs.MetricsFile), r.step); err != nil {
			return err
		}
		// A resume may change the config (more epochs): config.yaml stays
		// the config the run uses.
		cfgPath := filepath.Join(r.dir, runs.ConfigFile)
		if old, err := os.ReadFile(cfgPath); err != nil || !bytes.Equal(old, r.cfg.YAML()) {
			if err := atomicfile.WriteBytes(cfgPath, r.cfg.YAML()); err != nil {
				return err
			}
			r.prog.line("%s updated to the config of the resumed run", cfgPath)
		}
		r.prog.line("resuming %s at epoch %d, step %d", r.dir, r.epoch+1, r.step)
	} else {
		if r.dir == "" {
			r.dir = filepath.Join(r.cfg.Out, runs.DirName(r.cfg.Name, r.start))
		}
		if err := os.MkdirAll(r.dir, 0o755); err != nil {
			return fmt.Errorf("train: %w", err)
		}
		// A run without a checkpoint yet (still starting, or failed before
		// its first one) has left its config and metrics: a second run
		// there would mix its metrics into the first's.
		for _, f := range []string{runs.LastCheckpoint, runs.MetricsFile, runs.ConfigFile} {
			if _, err := os.Stat(filepath.Join(r.dir, f)); err == nil {
				return fmt.Errorf("train: %s already holds a run (%s); resume it or choose another directory", r.dir, f)
			}
		}
		if err := atomicfile.WriteBytes(filepath.Join(r.dir, runs.ConfigFile), r.cfg.YAML()); err != nil {
			return err
		}
		r.epochRNG, _ = r.shuffleSrc.MarshalBinary()
	}
	for _, d := range []string{runs.CheckpointDir, runs.ModelDir} {
		if err := os.MkdirAll(filepath.Join(r.dir, d), 0o755); err != nil {
			return fmt.Errorf("train: %w", err)
		}
	}
	r.metrics, err = runs.OpenMetrics(filepath.Join(r.dir, runs.MetricsFile))
	return err
}

// canonicalArchitecture returns the architecture JSON of a checkpoint as
// model.Marshal writes the network it describes, so that a checkpoint of an
// earlier model format (or one that omits a default) compares equal to the
// same network. A text that does not build is returned as it is.
func canonicalArchitecture(s string) string {
	m, err := model.Unmarshal([]byte(s))
	if err != nil {
		return s
	}
	net, err := layers.Build(m, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return s
	}
	b, err := model.Marshal(net.Model())
	if err != nil {
		return s
	}
	return string(b)
}

func compactJSON(s string) string {
	var b []byte
	for _, c := range []byte(s) {
		if c != '\n' && c != ' ' {
			b = append(b, c)
		}
	}
	return string(b)
}

// Checkpoint metadata keys of the loop's own progress.
const (
	metaEpochStep = "epoch_step" // batches of the current epoch already done
	metaBest      = "best_accuracy"
	metaSinceBest = "epochs_since_best"
	metaEpLoss    = "epoch_loss_sum" // training loss summed over the epoch's batches so far
	metaEpCorrect = "epoch_correct"  // correct training predictions of the epoch so far
	metaEpSeen    = "epoch_seen"     // training samples of the epoch so far
	metaLogSum    = "log_loss_sum"   // training loss summed since the last logged loss
	metaLogN      = "log_steps"      // steps since the last logged loss
	metaTestAcc   = "test_accuracy"  // test accuracy of the last completed epoch
	metaTestLoss  = "test_loss"      // test loss of the last completed epoch (may be NaN)
	rngShuffle    = "shuffle"        // the shuffle source at the start of the current epoch
)

func (r *run) checkpoint() (*Checkpoint, error) {
	ck := CheckpointFromParams(r.params)
	arch, err := model.Marshal(r.net.Model())
	if err != nil {
		return nil, err
	}
	ck.Meta[MetaArchitecture] = string(arch)
	ck.Meta[MetaConfigHash] = r.cfg.Hash()
	ck.Meta[MetaEpoch] = strconv.Itoa(r.epoch)
	ck.Meta[MetaStep] = strconv.Itoa(r.step)
	ck.Meta[MetaWall] = strconv.FormatFloat(r.wall(), 'g', -1, 64)
	ck.Meta[metaEpochStep] = strconv.Itoa(r.skip)
	ck.Meta[metaBest] = strconv.FormatFloat(r.best, 'g', -1, 64)
	ck.Meta[metaSinceBest] = strconv.Itoa(r.sinceBest)
	ck.Meta[metaEpLoss] = strconv.FormatFloat(r.epLoss, 'g', -1, 64)
	ck.Meta[metaEpCorrect] = strconv.Itoa(r.epCorrect)
	ck.Meta[metaEpSeen] = strconv.Itoa(r.epSeen)
	ck.Meta[metaLogSum] = strconv.FormatFloat(r.logSum, 'g', -1, 64)
	ck.Meta[metaLogN] = strconv.Itoa(r.logN)
	ck.Meta[metaTestAcc] = strconv.FormatFloat(r.lastTestAcc, 'g', -1, 64)
	ck.Meta[metaTestLoss] = strconv.FormatFloat(r.lastTestLoss, 'g', -1, 64)
	if err := ck.SetOptimizer(r.opt_); err != nil {
		return nil, err
	}
	ck.Meta[MetaRNGPrefix+rngShuffle] = fmt.Sprintf("%x", r.epochRNG)
	return ck, nil
}

func (r *run) save(name string) error {
	ck, err := r.checkpoint()
	if err != nil {
		return err
	}
	if err := r.metrics.Sync(); err != nil {
		return err
	}
	return SaveCheckpoint(filepath.Join(r.dir, name), ck)
}

func (r *run) restore(ck *Checkpoint) error {
	if err := ck.Restore(r.params); err != nil {
		return err
	}
	if err := ck.RestoreOptimizer(r.opt_); err != nil {
		return err
	}
	if err := ck.RestoreRNG(rngShuffle, r.shuffleSrc); err != nil {
		return err
	}
	r.epochRNG, _ = r.shuffleSrc.MarshalBinary()
	ints := map[string]*int{MetaEpoch: &r.epoch, MetaStep: &r.step, metaEpochStep: &r.skip, metaSinceBest: &r.sinceBest,
		metaEpCorrect: &r.epCorrect, metaEpSeen: &r.epSeen, metaLogN: &r.logN}
	for k, p := range ints {
		v, err := ck.MetaInt(k)
		if err != nil {
			return err
		}
		*p = int(v)
	}
	var err error
	if r.wall0, err = ck.MetaFloat(MetaWall); err != nil {
		return err
	}
	if r.best, err = ck.MetaFloat(metaBest); err != nil {
		return err
	}
	if r.epLoss, err = ck.MetaFloat(metaEpLoss); err != nil {
		return err
	}
	if r.logSum, err = ck.MetaFloat(metaLogSum); err != nil {
		return err
	}
	if r.lastTestAcc, err = ck.MetaFloat(metaTestAcc); err != nil {
		return err
	}
	if r.lastTestLoss, err = strconv.ParseFloat(ck.Meta[metaTestLoss], 64); err != nil {
		return fmt.Errorf("train: %s: metadata %q = %q is not a number", ck.where(), metaTestLoss, ck.Meta[metaTestLoss])
	}
	return nil
}

// input makes the tape's input Var for a batch: a sequence [T, B, F], or a
// static [B, F] presented at every step.
func (r *run) input(b *datasets.Batch) *autograd.Var { return batchInput(r.tape, b) }

// batchInput wraps a batch's inputs on t: a sequence [T, B, F], or a static
// [B, F] (one step) that the network presents at every step.
func batchInput(t *autograd.Tape, b *datasets.Batch) *autograd.Var {
	if b.Steps == 1 {
		return t.Constant(b.X, b.Size, b.Features)
	}
	return t.Constant(b.X, b.Steps, b.Size, b.Features)
}

func (r *run) loop(ctx context.Context) (*Result, error) {
	l := r.cfg.Train
	loader, err := datasets.NewLoader(r.data.Train, datasets.LoaderConfig{BatchSize: l.BatchSize, Shuffle: true, DropLast: l.DropLast}, rand.New(r.shuffleSrc))
	if err != nil {
		return nil, err
	}
	nb := loader.NumBatches()
	total := nb * l.Epochs
	res := &Result{}
	for r.epoch < l.Epochs {
		stop, err := r.trainEpoch(ctx, loader, nb, total)
		if err != nil {
			return nil, r.nameCheckpoint(err)
		}
		if stop != "" && r.skip < nb { // stopped inside the epoch, checkpoint saved
			res.Stopped = stop
			break
		}
		if err := r.endEpoch(ctx); err != nil {
			return nil, r.nameCheckpoint(err)
		}
		if stop != "" && r.epoch < l.Epochs { // stopped at the epoch's end, saved by endEpoch
			res.Stopped = stop
			r.prog.line("%s after epoch %d, step %d: checkpoint saved in %s", stop, r.epoch, r.step, filepath.Join(r.dir, runs.LastCheckpoint))
			break
		}
		if l.Patience > 0 && r.sinceBest >= l.Patience {
			res.Stopped = "early stopping"
			r.prog.line("early stopping: no better test accuracy for %d epochs", r.sinceBest)
			break
		}
	}
	if err := r.writeModel(); err != nil {
		return nil, err
	}
	res.Epochs, res.Steps = r.epoch, r.step
	res.TestAccuracy, res.TestLoss, res.BestAccuracy = r.lastTestAcc, r.lastTestLoss, r.best
	res.SamplesPerSec = r.lastTrainRate
	if res.Stopped == "interrupted" {
		return res, fmt.Errorf("train: %w at epoch %d, step %d; resume with the run directory %s", ErrInterrupted, r.epoch+1, r.step, r.dir)
	}
	return res, nil
}

// nameCheckpoint fills in the last good checkpoint of a *NonFiniteError.
func (r *run) nameCheckpoint(err error) error {
	var nf *NonFiniteError
	if errors.As(err, &nf) {
		p := filepath.Join(r.dir, runs.LastCheckpoint)
		if _, serr := os.Stat(p); serr == nil {
			nf.Checkpoint = p
		}
	}
	return err
}

// trainEpoch runs the batches of one epoch from r.skip on. It returns a
// non-empty reason when the run must stop before the epoch's end.
func (r *run) trainEpoch(ctx context.Context, loader *datasets.Loader, nb, total int) (string, error) {
	l := r.cfg.Train
	if err := r.shuffleSrc.UnmarshalBinary(r.epochRNG); err != nil {
		return "", err
	}
	ep := loader.Epoch(context.WithoutCancel(ctx))
	defer ep.Close()
	for i := 0; i < r.skip; i++ { // batches done before a resume
		if !ep.Next() {
			return "", fmt.Errorf("train: resuming: epoch has fewer than %d batches: %v", r.skip, ep.Err())
		}
	}
	t0 := r.now()
	samples := 0
	for ep.Next() {
		b := ep.Batch()
		r.opt_.SetLR(lrAt(l, r.step, total))
		loss, nc, err := r.trainStep(b)
		if err != nil {
			return "", err
		}
		r.step++
		r.skip++
		samples += b.Size
		r.epLoss += loss
		r.logSum += loss
		r.logN++
		r.epCorrect += nc
		r.epSeen += b.Size
		if r.step%l.LogEvery == 0 {
			if err := r.write(runs.SplitTrain, "loss", r.logSum/float64(r.logN)); err != nil {
				return "", err
			}
			r.logSum, r.logN = 0, 0
		}
		el := r.now().Sub(t0)
		r.prog.update(r.epoch+1, l.Epochs, r.skip, nb, r.epLoss/float64(r.skip), float64(r.epCorrect)/float64(max(r.epSeen, 1)),
			float64(samples)/max(el.Seconds(), 1e-9), el, r.now())
		stop := ""
		if ctx.Err() != nil {
			stop = "interrupted"
		} else if r.opt.MaxSteps > 0 && r.step >= r.opt.MaxSteps {
			stop = "max steps"
		}
		if stop != "" && r.skip < nb {
			if err := r.save(runs.LastCheckpoint); err != nil {
				return "", err
			}
			r.prog.line("%s at epoch %d, step %d: checkpoint saved in %s", stop, r.epoch+1, r.step, filepath.Join(r.dir, runs.LastCheckpoint))
			return stop, nil
		}
	}
	if err := ep.Err(); err != nil {
		return "", err
	}
	el := r.now().Sub(t0).Seconds()
	r.lastTrainRate = float64(samples) / max(el, 1e-9)
	if err := r.write(runs.SplitTrain, "accuracy", float64(r.epCorrect)/float64(max(r.epSeen, 1))); err != nil {
		return "", err
	}
	if err := r.write(runs.SplitTrain, "samples_per_s", r.lastTrainRate); err != nil {
		return "", err
	}
	if err := r.write(runs.SplitTrain, "lr", r.opt_.LR()); err != nil {
		return "", err
	}
	if ctx.Err() != nil { // the caller ends the epoch, which saves a checkpoint
		return "interrupted", nil
	}
	if r.opt.MaxSteps > 0 && r.step >= r.opt.MaxSteps {
		return "max steps", nil
	}
	return "", nil
}

// trainStep runs forward, backward and the optimizer on one batch, and
// returns the loss and the number of correct predictions.
func (r *run) trainStep(b *datasets.Batch) (float64, int, error) {
	t := r.tape
	t.Reset()
	var loss *autograd.Var
	var tr *layers.Trace
	if err := catch(func() {
		tr = r.net.Forward(t, r.input(b), r.data.Steps)
		loss = r.obj.Loss(t, tr, b.Labels[:b.Size])
	}); err != nil {
		return 0, 0, fmt.Errorf("train: step %d: %w", r.step, err)
	}
	lv := float64(loss.Item())
	if math.IsNaN(lv) || math.IsInf(lv, 0) {
		return 0, 0, &NonFiniteError{Step: r.step, Where: "loss (" + firstNonFinite(tr) + ")"}
	}
	t.Backward(loss)
	if c := r.cfg.Train.ClipGradNorm; c > 0 {
		optim.ClipGradNorm(r.params, c)
	}
	r.opt_.Step()
	// A non-finite gradient reaches the weights through the update, so one
	// check of the weights after it finds both; the gradient then tells which.
	for _, p := range r.params {
		if !finite(p.Data) {
			where := p.Name + " (after the optimizer step)"
			if !finite(p.Grad) {
				where = p.Name + " (gradient)"
			}
			return 0, 0, &NonFiniteError{Step: r.step, Where: where}
		}
	}
	r.opt_.ZeroGrad()
	r.preds = growInts(r.preds, b.Size)
	r.obj.Predict(tr, r.preds)
	nc := 0
	for i, p := range r.preds {
		if p == b.Labels[i] {
			nc++
		}
	}
	return lv, nc, nil
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
		if !finite(lt.Out.Data) {
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

// endEpoch evaluates on the test set, writes the epoch's metrics and saves
// the checkpoints.
func (r *run) endEpoch(ctx context.Context) error {
	r.epoch++
	r.skip = 0
	r.epLoss, r.epCorrect, r.epSeen, r.logSum, r.logN = 0, 0, 0, 0, 0
	r.epochRNG, _ = r.shuffleSrc.MarshalBinary()
	ev, err := Evaluate(r.net, r.data.Test, r.data.Steps, r.obj, r.cfg.Train.evalBatch(), r.tape)
	if err != nil {
		return err
	}
	if math.IsNaN(ev.Loss) || math.IsInf(ev.Loss, 0) {
		return &NonFiniteError{Step: r.step, Where: "the test loss"}
	}
	r.lastTestAcc, r.lastTestLoss = ev.Accuracy, ev.Loss
	for _, m := range []struct {
		name string
		v    float64
	}{{"loss", ev.Loss}, {"accuracy", ev.Accuracy}} {
		if err := r.write(runs.SplitTest, m.name, m.v); err != nil {
			return err
		}
	}
	for _, lr := range ev.Rates {
		if err := r.write(runs.SplitTest, "rate/"+lr.Layer, lr.Rate); err != nil {
			return err
		}
	}
	improved := ev.Accuracy > r.best
	if improved {
		r.best, r.sinceBest = ev.Accuracy, 0
	} else {
		r.sinceBest++
	}
	r.prog.line("epoch %d/%d: test accuracy %.2f%%, test loss %.4f, %.0f samples/s (%s)",
		r.epoch, r.cfg.Train.Epochs, 100*ev.Accuracy, ev.Loss, r.lastTrainRate, fmtDuration(time.Duration(r.wall()*float64(time.Second))))
	if err := r.save(runs.LastCheckpoint); err != nil {
		return err
	}
	if improved {
		if err := r.save(runs.BestCheckpoint); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) write(split, name string, v float64) error {
	return r.metrics.Write(runs.Metric{Step: r.step, Epoch: r.epoch, Split: split, Name: name, Value: v, Wall: r.wall()})
}

// writeModel writes the final model: the weights as safetensors and the
// architecture as JSON.
func (r *run) writeModel() error {
	ts := make([]safetensors.Tensor, len(r.params))
	for i, p := range r.params {
		ts[i] = safetensors.Tensor{Name: p.Name, Shape: p.Shape(), Data: p.Data}
	}
	return model.Save(filepath.Join(r.dir, runs.ModelDir), r.net.Model(), ts)
}
