package train

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/datasets"
	"github.com/spikegrad/spikegrad/internal/procmem"
)

// BenchOptions configures Bench.
type BenchOptions struct {
	Steps  int // timed training steps (default 50)
	Warmup int // untimed steps first (default 5)
	// Synthetic replaces the config's dataset with uniform random inputs
	// of the same shape (images in [0, 1], or spikes at 5 % for sequences)
	// and random labels, so a benchmark needs no download.
	Synthetic bool
	// InferSamples is how many samples the inference measurement runs
	// (default: the test set, or 10000 synthetic samples).
	InferSamples int
	Log          io.Writer
}

// BenchResult holds the measured figures of Bench.
type BenchResult struct {
	Threads                      int
	Batch, Steps, Features       int // batch size, time steps T, input features
	StepMedian, StepMin, StepP90 time.Duration
	TrainSamplesPerSec           float64 // batch / median step
	InferSamples                 int
	InferSamplesPerSec           float64
	PeakRSS                      int64 // bytes, the process's high-water mark (Linux), 0 if unknown
	// TrainPeakRSS is PeakRSS read after the training steps, before the
	// inference measurement: the memory of training.
	TrainPeakRSS int64
}

// Bench measures training steps (forward, backward, optimizer) and
// inference of the network that cfg describes, on cfg's data or synthetic
// data of the same shape. It runs in this process: PeakRSS is the process's
// high-water mark so far.
func Bench(ctx context.Context, cfg Config, opt BenchOptions) (*BenchResult, error) {
	if opt.Steps <= 0 {
		opt.Steps = 50
	}
	if opt.Warmup < 0 {
		opt.Warmup = 0
	} else if opt.Warmup == 0 {
		opt.Warmup = 5
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	defer useThreads(cfg.Train.Threads)()
	var data *DataSplits
	var err error
	if opt.Synthetic {
		data, err = syntheticData(cfg, opt.InferSamples)
	} else {
		data, err = LoadData(ctx, cfg.Data, cfg.Seed, opt.Log)
	}
	if err != nil {
		return nil, err
	}
	f, err := benchFitter(&cfg, data)
	if err != nil {
		return nil, err
	}
	loader, err := datasets.NewLoader(data.Train, datasets.LoaderConfig{BatchSize: cfg.Train.BatchSize, Shuffle: true, DropLast: true},
		rand.New(rand.NewPCG(cfg.Seed, streamShuffle)))
	if err != nil {
		return nil, err
	}
	if loader.NumBatches() == 0 {
		return nil, fmt.Errorf("train: bench: fewer samples than one batch of %d", cfg.Train.BatchSize)
	}
	res := &BenchResult{Threads: autograd.Threads(), Batch: cfg.Train.BatchSize, Steps: data.Steps, Features: data.Features}
	times := make([]time.Duration, 0, opt.Steps)
	ep := loader.Epoch(ctx)
	for i := 0; i < opt.Warmup+opt.Steps; i++ {
		if !ep.Next() {
			ep.Close()
			ep = loader.Epoch(ctx)
			if !ep.Next() {
				return nil, fmt.Errorf("train: bench: %v", ep.Err())
			}
		}
		t0 := time.Now()
		if _, _, err := f.trainStep(ep.Batch()); err != nil {
			ep.Close()
			return nil, err
		}
		if i >= opt.Warmup {
			times = append(times, time.Since(t0))
		}
		if ctx.Err() != nil {
			break
		}
	}
	ep.Close()
	if len(times) == 0 {
		return nil, ctx.Err()
	}
	res.TrainPeakRSS = procmem.PeakRSS()
	slices.Sort(times)
	res.StepMin, res.StepMedian, res.StepP90 = times[0], times[len(times)/2], times[len(times)*9/10]
	res.TrainSamplesPerSec = float64(res.Batch) / res.StepMedian.Seconds()

	test := data.Test
	if opt.InferSamples > 0 && opt.InferSamples < test.Len() {
		test = limit(test, opt.InferSamples)
	}
	t0 := time.Now()
	ev, err := Evaluate(f.net, test, EvalOptions{Steps: data.Steps, BatchSize: cfg.Train.evalBatch(), Objective: f.obj, Tape: f.tape})
	if err != nil {
		return nil, err
	}
	res.InferSamples = ev.Samples
	res.InferSamplesPerSec = float64(ev.Samples) / time.Since(t0).Seconds()
	res.PeakRSS = procmem.PeakRSS()
	return res, nil
}

// benchFitter builds the network, optimizer and objective of cfg for data
// and the loop that trains them, without a run directory: for measuring
// training steps.
func benchFitter(cfg *Config, data *DataSplits) (*fitter, error) {
	net, o, obj, err := build(cfg, data)
	if err != nil {
		return nil, err
	}
	s := defaultSettings()
	ClipGradNorm(cfg.Train.ClipGradNorm)(&s)
	if mode, err := ParseBPTT(cfg.Train.BPTT); err == nil { // Validate checked the name
		WithBPTT(mode, cfg.Train.BPTTWindow)(&s)
	}
	return newFitter(net, data, o, obj, s)
}

// synthetic is a dataset of random inputs and labels.
type synthetic struct {
	n, steps, features, classes int
	x                           []float32 // [n, steps*features]
	labels                      []int
}

func (s *synthetic) Len() int                     { return s.n }
func (s *synthetic) Shape() (steps, features int) { return s.steps, s.features }
func (s *synthetic) Fill(b *datasets.Batch, idx []int) error {
	b.Resize(s.steps, len(idx), s.features)
	sf := s.steps * s.features
	for r, i := range idx {
		src := s.x[i*sf : (i+1)*sf]
		for t := 0; t < s.steps; t++ { // time-major batch: [T, B, F]
			copy(b.X[(t*len(idx)+r)*s.features:(t*len(idx)+r+1)*s.features], src[t*s.features:(t+1)*s.features])
		}
		b.Labels[r] = s.labels[i]
		b.Index[r] = i
	}
	return nil
}

// syntheticData makes random data of the shape cfg's dataset has.
func syntheticData(cfg Config, inferSamples int) (*DataSplits, error) {
	d := &DataSplits{Classes: 10, Steps: cfg.Data.Steps}
	steps, features, rate := 1, 784, 0.0
	switch {
	case cfg.Data.Dataset == "randman":
		steps, features, rate = cfg.Data.RandmanSteps, cfg.Data.RandmanUnits, 0.05
		d.Classes, d.Steps = cfg.Data.RandmanClasses, cfg.Data.RandmanSteps
	case cfg.Data.Encoding != "direct":
		steps, rate = cfg.Data.Steps, 0.05
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, streamData))
	mk := func(n int) *synthetic {
		s := &synthetic{n: n, steps: steps, features: features, classes: d.Classes,
			x: make([]float32, n*steps*features), labels: make([]int, n)}
		for i := range s.x {
			if rate > 0 {
				if rng.Float64() < rate {
					s.x[i] = 1
				}
			} else {
				s.x[i] = float32(rng.Float64())
			}
		}
		for i := range s.labels {
			s.labels[i] = rng.IntN(d.Classes)
		}
		return s
	}
	if inferSamples <= 0 {
		inferSamples = 10000
	}
	d.Train = mk(4 * cfg.Train.BatchSize)
	d.Test = mk(inferSamples)
	d.Features = features
	return d, nil
}
