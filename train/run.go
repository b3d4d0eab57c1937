package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/layers"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/optim"
)

// ErrInterrupted is returned (wrapped) by Fit and Run when their context was cancelled:
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
	// result is bit-identical to an uninterrupted run. A run stopped before
	// its first checkpoint starts over from step 0 in RunDir.
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
// the read-out is a LIF or LI layer named out. With model.layers, it is
// the model those layers list (BuildNetwork checks that its sizes fit the
// data).
func NetworkModel(m ModelConfig, features, classes int) *model.Model {
	if len(m.Layers) > 0 {
		return layersModel(m.Layers)
	}
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

// BuildNetwork builds the network of the model config (see NetworkModel)
// with initial weights from rng.
func BuildNetwork(m ModelConfig, features, classes int, rng *rand.Rand) (*layers.Sequential, error) {
	if len(m.Layers) > 0 {
		return networkLayers(m, features, classes, rng)
	}
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

// Run trains the network that cfg describes, writing the run directory, and
// returns its result: it builds the data, the network (initial weights from
// cfg.Seed), the optimizer, the objective and the learning-rate schedule
// from the config, then calls Fit. The run directory's config.yaml is the
// resolved config; checkpoints record it, and a resume (opt.Resume) with a
// config that differs in a key other than those of ResumableKeys is
// refused with a *ResumeError naming the keys, their old and new values.
// Errors and stops are Fit's.
func Run(ctx context.Context, cfg Config, opt Options) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.Data.absDirs(); err != nil {
		return nil, err
	}
	data, err := LoadData(ctx, cfg.Data, cfg.Seed, opt.Log)
	if err != nil {
		return nil, err
	}
	l := cfg.Train
	nb := batchesPerEpoch(data.Train.Len(), l.BatchSize, l.DropLast)
	if nb == 0 {
		return nil, &ConfigError{Key: "train.batch_size", Value: strconv.Itoa(l.BatchSize),
			Msg: fmt.Sprintf("with train.drop_last leaves no batch of the %d training samples", data.Train.Len())}
	}
	net, optimizer, obj, err := build(&cfg, data)
	if err != nil {
		return nil, err
	}
	return Fit(ctx, net, data, optimizer, obj, fitOptions(&cfg, opt, nb)...)
}

// fitOptions are the options of Fit that cfg and opt describe, for a run of
// nb batches per epoch.
func fitOptions(cfg *Config, opt Options, nb int) []FitOption {
	l := cfg.Train
	options := []FitOption{withConfig(cfg), Seed(cfg.Seed), Epochs(l.Epochs), BatchSize(l.BatchSize),
		EvalBatchSize(l.evalBatch()), LogEvery(l.LogEvery), ClipGradNorm(l.ClipGradNorm), EarlyStopping(l.Patience),
		CheckpointEvery(l.CheckpointEvery), Threads(l.Threads), WithLog(opt.Log, opt.Progress), WithClock(opt.Now),
		MaxSteps(opt.MaxSteps), WithRunName(cfg.Out, cfg.Name)}
	if opt.RunDir != "" {
		options = append(options, WithRunDir(opt.RunDir))
	}
	if opt.Resume {
		options = append(options, Resume())
	}
	if cfg.Data.Bucket > 1 {
		options = append(options, BucketByLength(cfg.Data.Bucket))
	}
	if l.DropLast {
		options = append(options, DropLast())
	}
	if s := l.LRSchedule(nb); s != nil {
		options = append(options, WithSchedule(s))
	}
	if pc, m, ok := l.Plateau(); ok {
		options = append(options, WithPlateau(pc, m))
	}
	if mode, err := ParseBPTT(l.BPTT); err == nil && mode != BPTTFull { // Validate checked the name
		options = append(options, WithBPTT(mode, l.BPTTWindow))
	}
	return options
}

// batchesPerEpoch is the number of batches of n samples.
func batchesPerEpoch(n, batch int, dropLast bool) int {
	if dropLast {
		return n / batch
	}
	return (n + batch - 1) / batch
}

// build makes the network that cfg describes for data (initial weights
// from cfg.Seed, or model.from's), its optimizer and the objective.
func build(cfg *Config, data *DataSplits) (*layers.Sequential, optim.Optimizer, Objective, error) {
	var net *layers.Sequential
	var err error
	if cfg.Model.From != "" {
		net, err = networkFrom(cfg.Model, data.Features, data.Classes)
	} else {
		net, err = BuildNetwork(cfg.Model, data.Features, data.Classes, rand.New(rand.NewPCG(cfg.Seed, streamInit)))
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if cfg.Train.BPTT != "full" {
		if err := net.CheckWindows(); err != nil {
			return nil, nil, nil, &ConfigError{Key: "train.bptt", Value: strconv.Quote(cfg.Train.BPTT), Msg: err.Error()}
		}
	}
	o, err := NewOptimizer(cfg.Train, net.Params())
	if err != nil {
		return nil, nil, nil, err
	}
	obj, err := cfg.Train.Objective()
	if err != nil {
		return nil, nil, nil, err
	}
	return net, o, obj, nil
}
