package train

import (
	"context"
	"fmt"
	"io"
	"math"
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

// synthetic is a dataset of random inputs and labels, each sample drawn
// when a batch needs it from a source seeded by the set's seed and the
// sample's index, so that the set takes no memory (at SHD's shape, 10000
// samples of 100 steps of 700 inputs would be 2.8 GB) and a sample is the
// same at every Fill. With rate > 0 the inputs are spikes of that
// probability, else uniform in [0, 1).
type synthetic struct {
	n, steps, features, classes int
	rate                        float64
	seed                        uint64
}

func (s *synthetic) Len() int                     { return s.n }
func (s *synthetic) Shape() (steps, features int) { return s.steps, s.features }

// BinaryInputs reports whether the inputs are spikes (datasets.Binary).
func (s *synthetic) BinaryInputs() bool { return s.rate > 0 }

func (s *synthetic) Fill(b *datasets.Batch, idx []int) error {
	b.Resize(s.steps, len(idx), s.features)
	if s.rate > 0 {
		clear(b.X)
	}
	// Spikes are placed by geometric gaps between them (the gap to the next
	// spike of a Bernoulli(rate) sequence is geometric), so a sparse sample
	// costs a draw per spike, not per value.
	logq := math.Log1p(-s.rate)
	var pcg rand.PCG
	rng := rand.New(&pcg)
	for r, i := range idx {
		if i < 0 || i >= s.n {
			return fmt.Errorf("train: synthetic data: index %d out of range [0, %d)", i, s.n)
		}
		pcg.Seed(s.seed, uint64(i))
		b.Labels[r] = rng.IntN(s.classes)
		b.Index[r] = i
		row := func(v int) int { // value v of the sample, time-major in the batch
			t, f := v/s.features, v%s.features
			return (t*len(idx)+r)*s.features + f
		}
		nv := s.steps * s.features
		switch {
		case s.rate >= 1:
			for v := range nv {
				b.X[row(v)] = 1
			}
		case s.rate > 0:
			for v := -1; ; {
				v += 1 + int(math.Floor(math.Log(1-rng.Float64())/logq))
				if v >= nv || v < 0 {
					break
				}
				b.X[row(v)] = 1
			}
		default:
			for v := range nv {
				b.X[row(v)] = float32(rng.Float64())
			}
		}
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
	mk := func(n int, stream uint64) *synthetic {
		return &synthetic{n: n, steps: steps, features: features, classes: d.Classes, rate: rate,
			seed: cfg.Seed ^ stream<<56 ^ streamData<<48}
	}
	if inferSamples <= 0 {
		inferSamples = 10000
	}
	d.Train = mk(4*cfg.Train.BatchSize, 1)
	d.Test = mk(inferSamples, 2)
	d.Features = features
	return d, nil
}
