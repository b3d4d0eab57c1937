package train

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"

	"github.com/spikegrad/spikegrad/datasets"
)

// DataSplits is a dataset ready for training: the training and test sets,
// the number of classes, and the time steps to present a static input for.
type DataSplits struct {
	Train, Test datasets.Dataset
	Classes     int
	Features    int
	// Steps is the length T of every sample. When a dataset's own Shape has
	// one step (a static image given as input current), the network sees
	// it at each of Steps steps as a constant input.
	Steps int
}

// LoadData builds the datasets that c names. Randman is generated from
// seed; image sets are found (or downloaded, if c.Download) by the
// resolver, which reports every place it looked when it fails. Progress of
// a download goes to log. Event-camera datasets (nmnist, dvsgesture, ncars) are read
// from c.Dir and cut into frames as the frame_* keys say (see loadEvents).
func LoadData(ctx context.Context, c DataConfig, seed uint64, log io.Writer) (*DataSplits, error) {
	var d DataSplits
	switch c.Dataset {
	case "randman":
		rc := datasets.DefaultRandmanConfig()
		rc.Classes, rc.Units, rc.Steps = c.RandmanClasses, c.RandmanUnits, c.RandmanSteps
		rc.ManifoldDim, rc.SamplesPerClass, rc.Alpha = c.RandmanDim, c.RandmanSamples, c.RandmanAlpha
		rng := rand.New(rand.NewPCG(seed, streamData))
		rm, err := datasets.NewRandman(rc, rng)
		if err != nil {
			return nil, fmt.Errorf("data: %w", err)
		}
		tr, te, err := rm.Split(c.RandmanTestFrac, rng)
		if err != nil {
			return nil, fmt.Errorf("data: %w", err)
		}
		d.Train, d.Test, d.Classes = tr, te, rc.Classes
	case "mnist", "fashion-mnist":
		ropt := datasets.ResolveOptions{Dir: c.Dir, Offline: !c.Download}
		if c.Download && log != nil {
			ropt.Progress = datasets.ProgressLines(log)
		}
		dir, err := datasets.ResolveContext(ctx, c.Dataset, ropt)
		if err != nil && !c.Download {
			return nil, fmt.Errorf("data: %w\nset data.dir to the folder with the files, or data.download to true", err)
		}
		if err != nil {
			return nil, fmt.Errorf("data: %w", err)
		}
		spec, err := datasets.Lookup(c.Dataset)
		if err != nil {
			return nil, fmt.Errorf("data: %w", err)
		}
		tr, err := datasets.LoadImageSet(dir, spec, datasets.Train, datasets.ImageOptions{})
		if err != nil {
			return nil, fmt.Errorf("data: %w", err)
		}
		te, err := datasets.LoadImageSet(dir, spec, datasets.Test, datasets.ImageOptions{})
		if err != nil {
			return nil, fmt.Errorf("data: %w", err)
		}
		d.Train, d.Test, d.Classes = tr, te, 10
		if c.Encoding != "direct" {
			var enc datasets.StaticEncoder
			switch c.Encoding {
			case "rate":
				enc = datasets.RateEncoder{Gain: float32(c.Gain)}
			case "latency":
				enc = datasets.LatencyEncoder{Normalize: true, Clip: true}
			}
			if d.Train, err = datasets.Encoded(d.Train, c.Steps, enc); err != nil {
				return nil, fmt.Errorf("data: %w", err)
			}
			if d.Test, err = datasets.Encoded(d.Test, c.Steps, enc); err != nil {
				return nil, fmt.Errorf("data: %w", err)
			}
		}
	case "fsdd", "shd", "ssc":
		if err := loadAudio(ctx, c, &d, log); err != nil {
			return nil, err
		}
	case "nmnist", "dvsgesture", "ncars":
		tr, te, classes, err := loadEvents(c)
		if err != nil {
			return nil, err
		}
		d.Train, d.Test, d.Classes = tr, te, classes
	default:
		return nil, &ConfigError{Key: "data.dataset", Value: c.Dataset, Msg: "unknown dataset"}
	}
	d.Train = limit(d.Train, c.TrainLimit)
	d.Test = limit(d.Test, c.TestLimit)
	if nt, ne := d.Train.Len(), d.Test.Len(); nt == 0 || ne == 0 {
		msg := fmt.Sprintf("leaves %d training and %d test samples; each set needs at least one", nt, ne)
		if c.Dataset == "randman" {
			return nil, &ConfigError{Key: "data.randman_test_frac", Value: fmt.Sprint(c.RandmanTestFrac),
				Msg: fmt.Sprintf("of %d classes of %d samples %s", c.RandmanClasses, c.RandmanSamples, msg)}
		}
		return nil, fmt.Errorf("data: %s %s", c.Dataset, msg)
	}
	steps, features := d.Train.Shape()
	d.Features, d.Steps = features, steps
	if steps == 1 {
		d.Steps = c.Steps
	}
	return &d, nil
}

func limit(ds datasets.Dataset, n int) datasets.Dataset {
	if n <= 0 || n >= ds.Len() {
		return ds
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return &datasets.Subset{Base: ds, Index: idx}
}

// Streams of the run's random sources: one seed, independent PCG streams.
const (
	streamInit    = 1 // initial weights
	streamData    = 2 // synthetic data and its split
	streamShuffle = 3 // batch order and encoding noise
	streamEval    = 4 // encoding noise of the test set (fixed: the seed is 0)
	streamDropout = 5 // dropout masks: re-seeded at each step from (seed, step), see fitter.trainStep
)
