package train

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/spikegrad/spikegrad/datasets"
)

// eventDatasets are the event-camera datasets of data.dataset.
var eventDatasets = []string{"nmnist", "dvsgesture", "ncars"}

// isEventDataset reports whether name is an event-camera dataset.
func isEventDataset(name string) bool { return slices.Contains(eventDatasets, name) }

// validateEvents checks the keys of the event-camera datasets: their
// ranges, and for an event dataset that exactly one frame slicing is
// chosen and none of the combinations that frames of their own lengths
// cannot serve (augmentation, cache).
func (d *DataConfig) validateEvents() error {
	if err := firstError(
		atLeast("data.frame_bins", d.FrameBins, 0),
		oneOf("data.frame_split", d.FrameSplit, "time", "events"),
		atLeast("data.frame_window", d.FrameWindow, 0),
		atLeast("data.frame_events", d.FrameEvents, 0),
		oneOfInt("data.polarities", d.Polarities, 1, 2),
		atLeast("data.denoise", d.Denoise, 0),
		atLeast("data.downsample", d.Downsample, 1),
		inRange("data.flip_lr", d.FlipLR, 0, 1),
		nonNeg("data.time_jitter", d.TimeJitter),
		atLeast("data.crop_time", d.CropTime, 0),
		atLeast("data.bucket", d.Bucket, 0),
	); err != nil {
		return err
	}
	if !isEventDataset(d.Dataset) {
		return nil // as the randman keys, the event keys serve their datasets only
	}
	n := 0
	for _, v := range []int{d.FrameBins, d.FrameWindow, d.FrameEvents} {
		if v > 0 {
			n++
		}
	}
	if n != 1 {
		return bad("data.frame_bins", d.FrameBins, fmt.Sprintf("data.dataset %s needs exactly one of data.frame_bins, data.frame_window (µs) and data.frame_events; %d are set", d.Dataset, n))
	}
	if d.FrameBins == 0 {
		key, value := "frame_window", d.FrameWindow
		if d.FrameEvents > 0 {
			key, value = "frame_events", d.FrameEvents
		}
		if d.augmented() {
			return bad("data."+key, value, "gives each sample its own number of frames, which a random augmentation (data.flip_lr, data.time_jitter, data.crop_time) would change after the batch is sized: use data.frame_bins to augment")
		}
		if d.Cache {
			return bad("data.cache", true, fmt.Sprintf("keeps frames of one length; data.%s gives each sample its own: set data.cache to false or use data.frame_bins", key))
		}
	}
	if d.Dir == "" {
		return bad("data.dir", `""`, fmt.Sprintf("must name the folder of %s (%s)", d.Dataset, eventLayout(d.Dataset)))
	}
	return nil
}

// augmented reports whether the training set is augmented at random.
func (d *DataConfig) augmented() bool { return d.FlipLR > 0 || d.TimeJitter > 0 || d.CropTime > 0 }

func oneOfInt(key string, v int, allowed ...int) error {
	if !slices.Contains(allowed, v) {
		return bad(key, v, fmt.Sprintf("must be one of %v", allowed))
	}
	return nil
}

func joinOr(names []string) string {
	s := ""
	for i, n := range names {
		switch {
		case i == 0:
		case i == len(names)-1:
			s += " or "
		default:
			s += ", "
		}
		s += n
	}
	return s
}

// eventLayout describes the folder an event dataset is read from.
func eventLayout(name string) string {
	switch name {
	case "nmnist":
		return "Train/<digit>/<id>.bin and Test/<digit>/<id>.bin as published, or <id>.bin with train1K.txt and test100.txt"
	case "dvsgesture":
		return "the DvsGesture folder: user<NN>_<lighting>.aedat with user<NN>_<lighting>_labels.csv, and trials_to_train.txt and trials_to_test.txt"
	case "ncars":
		return "n-cars_train/ and n-cars_test/ (or train/ and test/), each with background/*.dat and cars/*.dat"
	}
	return ""
}

// frameConfig is the conversion of events to frames that d describes.
func (d *DataConfig) frameConfig() datasets.FrameConfig {
	c := datasets.FrameConfig{TimeWindow: int64(d.FrameWindow), EventCount: d.FrameEvents,
		LastToEnd: d.FrameBins > 0, MergePolarity: d.Polarities == 1, Binary: d.Binary}
	if d.FrameSplit == "events" {
		c.EventBins = d.FrameBins
	} else {
		c.TimeBins = d.FrameBins
	}
	return c
}

// preprocess is the deterministic transform of every sample, training and
// test alike: denoising, then downsampling; nil when neither is asked for.
func (d *DataConfig) preprocess() datasets.Transform {
	var c datasets.Compose
	if d.Denoise > 0 {
		c = append(c, datasets.Denoise{FilterTime: int64(d.Denoise)})
	}
	if d.Downsample > 1 {
		c = append(c, datasets.Downsample{Factor: d.Downsample})
	}
	if len(c) == 0 {
		return nil
	}
	return c
}

// augmentation is the random transform of the training samples, after
// preprocess; nil when none is asked for.
func (d *DataConfig) augmentation() datasets.Transform {
	var c datasets.Compose
	if d.CropTime > 0 {
		c = append(c, datasets.RandomCropTime{Duration: int64(d.CropTime)})
	}
	if d.TimeJitter > 0 {
		c = append(c, datasets.TimeJitter{Std: d.TimeJitter})
	}
	if d.FlipLR > 0 {
		c = append(c, datasets.FlipLR{P: d.FlipLR})
	}
	if len(c) == 0 {
		return nil
	}
	return c
}

// eventSets finds the training and test sets of an event dataset in dir.
func eventSets(name, dir string) (train, test *datasets.EventSet, err error) {
	switch name {
	case "nmnist":
		return splitSets(dir, datasets.NMNIST)
	case "dvsgesture":
		return splitSets(dir, datasets.DVSGesture)
	case "ncars":
		var sub [2]string
		for _, pair := range [][2]string{{"n-cars_train", "n-cars_test"}, {"train", "test"}} {
			if isDir(filepath.Join(dir, pair[0])) && isDir(filepath.Join(dir, pair[1])) {
				sub = pair
				break
			}
		}
		if sub[0] == "" {
			return nil, nil, fmt.Errorf("datasets: ncars: %s holds neither n-cars_train/ and n-cars_test/ nor train/ and test/", dir)
		}
		if train, err = datasets.NCARS(filepath.Join(dir, sub[0])); err != nil {
			return nil, nil, err
		}
		if test, err = datasets.NCARS(filepath.Join(dir, sub[1])); err != nil {
			return nil, nil, err
		}
		return train, test, nil
	}
	return nil, nil, &ConfigError{Key: "data.dataset", Value: name, Msg: "is no event-camera dataset"}
}

// splitSets opens the training and test splits of a dataset in dir.
func splitSets(dir string, open func(string, datasets.Split) (*datasets.EventSet, error)) (train, test *datasets.EventSet, err error) {
	if train, err = open(dir, datasets.Train); err != nil {
		return nil, nil, err
	}
	if test, err = open(dir, datasets.Test); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// loadEvents builds the training and test sets of an event dataset: the
// samples of c.Dir, preprocessed (denoise, downsample), augmented at random
// (training set only) and cut into frames. Without augmentation and with
// c.Cache, the frames are kept on disk (datasets.EventFrames); with
// augmentation the training streams are held in memory and transformed at
// every epoch (datasets.FrameSet), the test set still cached. Frames by
// window or event count give each sample its own length
// (datasets.FrameSequences).
func loadEvents(c DataConfig) (train, test datasets.Dataset, classes int, err error) {
	trSet, teSet, err := eventSets(c.Dataset, c.Dir)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("data: %w\nset data.dir to the folder of %s (%s)", err, c.Dataset, eventLayout(c.Dataset))
	}
	var cache *datasets.Cache
	if c.Cache {
		if cache, err = datasets.NewCache(c.CacheDir); err != nil {
			return nil, nil, 0, fmt.Errorf("data: cache: %w", err)
		}
	}
	fc, pre := c.frameConfig(), c.preprocess()
	build := func(set *datasets.EventSet, aug datasets.Transform) (datasets.Dataset, error) {
		if c.FrameBins > 0 && aug == nil && (cache != nil || set.Len() > eventsInMemory) {
			return datasets.EventFrames(set, pre, fc, cache)
		}
		streams, err := set.Streams()
		if err != nil {
			return nil, err
		}
		labels := make([]int, len(streams))
		for i, s := range set.Samples {
			labels[i] = s.Label
		}
		if c.FrameBins > 0 {
			tr := pre
			if aug != nil {
				tr = datasets.Compose{pre, aug}
				if pre == nil {
					tr = aug
				}
			}
			return datasets.NewFrameSet(streams, labels, tr, fc)
		}
		if pre != nil {
			for i, s := range streams {
				if streams[i], err = pre.Apply(s, nil); err != nil {
					return nil, err
				}
			}
		}
		return datasets.NewFrameSequences(streams, labels, fc)
	}
	if train, err = build(trSet, c.augmentation()); err != nil {
		return nil, nil, 0, fmt.Errorf("data: %s: %w", trSet.Name, err)
	}
	if test, err = build(teSet, nil); err != nil {
		return nil, nil, 0, fmt.Errorf("data: %s: %w", teSet.Name, err)
	}
	return train, test, trSet.Classes, nil
}

// eventsInMemory is the largest set whose streams are held in memory when
// frames by bins are neither cached nor augmented; a larger one is read
// from its files at every epoch. (An N-MNIST sample is about 4000 events
// of 16 bytes: 20000 samples hold 1.3 GB.)
const eventsInMemory = 20000

// absDirs makes the folders of an event or audio dataset (data.dir,
// data.cache_dir) absolute, so that the run directory's config.yaml finds
// the data again from any working directory (spikegrad eval RUN_DIR).
func (d *DataConfig) absDirs() error {
	if !isEventDataset(d.Dataset) && !isAudio(d.Dataset) {
		return nil
	}
	for _, p := range []*string{&d.Dir, &d.CacheDir} {
		if *p == "" {
			continue
		}
		a, err := filepath.Abs(*p)
		if err != nil {
			return fmt.Errorf("data: %w", err)
		}
		*p = a
	}
	return nil
}
