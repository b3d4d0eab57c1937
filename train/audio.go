package train

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/spikegrad/spikegrad/datasets"
)

// audioClasses is the number of classes of each audio dataset: ten digits
// (FSDD), twenty spoken digits in English and German (SHD), 35 commands
// (SSC; Cramer et al. 2020).
var audioClasses = map[string]int{"fsdd": 10, "shd": 20, "ssc": 35}

// isAudio reports whether name is one of the audio datasets.
func isAudio(name string) bool { _, ok := audioClasses[name]; return ok }

// audioEncodings maps data.audio_encoding to the datasets' codes.
var audioEncodings = map[string]datasets.AudioEncoding{
	"crossing": datasets.AudioCrossing, "delta": datasets.AudioDelta, "rate": datasets.AudioRate}

// loadAudio fills d with the training and test sets of an audio dataset.
func loadAudio(ctx context.Context, c DataConfig, d *DataSplits, log io.Writer) error {
	d.Classes = audioClasses[c.Dataset]
	if c.Dataset == "fsdd" {
		dir, err := fsddDir(c)
		if err != nil {
			return err
		}
		var cache *datasets.Cache
		if c.Cache {
			if cache, err = datasets.NewCache(c.CacheDir); err != nil {
				return fmt.Errorf("data: data.cache: %w", err)
			}
		}
		tr, err := loadFSDD(dir, datasets.Train, c, cache)
		if err != nil {
			return err
		}
		te, err := loadFSDD(dir, datasets.Test, c, cache)
		if err != nil {
			return err
		}
		d.Train, d.Test = tr, te
		if c.AudioVarLen {
			d.Train, d.Test = audioVarLen{tr}, audioVarLen{te}
		}
		return nil
	}
	ropt := datasets.ResolveOptions{Dir: c.Dir, Offline: !c.Download}
	if c.Download && log != nil {
		ropt.Progress = datasets.ProgressLines(log)
	}
	bin := datasets.SpikeBinning{Steps: c.AudioSteps, DT: float32(c.AudioDT), Clip: c.AudioClip}
	for _, s := range []struct {
		split datasets.Split
		dst   *datasets.Dataset
	}{{datasets.Train, &d.Train}, {datasets.Test, &d.Test}} {
		sa, err := loadSpikeAudio(ctx, c, s.split, ropt)
		if err != nil {
			return err
		}
		set, err := datasets.NewSpikeAudioSet(sa, bin)
		if err != nil {
			return fmt.Errorf("data: %w", err)
		}
		sa2 := &spikeAudio{set: set, varlen: c.AudioVarLen}
		*s.dst = sa2
		if c.AudioVarLen {
			*s.dst = spikeAudioVarLen{sa2}
		}
	}
	return nil
}

// loadSpikeAudio finds (Resolve: data.dir, $SPIKEGRAD_DATA, the user cache,
// the system folder, or a download with data.download) and reads one split
// of SHD or SSC.
func loadSpikeAudio(ctx context.Context, c DataConfig, split datasets.Split, ropt datasets.ResolveOptions) (*datasets.SpikeAudio, error) {
	dir, err := datasets.ResolveContext(ctx, c.Dataset, ropt)
	if err != nil && !c.Download {
		return nil, fmt.Errorf("data: %w\nset data.dir to the folder with the files, or data.download to true", err)
	}
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	path, err := datasets.SHDFile(dir, c.Dataset, split)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	sa, err := datasets.ReadSHD(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	if n := audioClasses[c.Dataset]; true {
		for i, l := range sa.Labels {
			if l < 0 || l >= n {
				return nil, fmt.Errorf("data: %s: labels: sample %d has class %d, want 0..%d for %s", path, i, l, n-1, c.Dataset)
			}
		}
	}
	return sa, nil
}

// fsddDir is the folder of the Free Spoken Digit Dataset's recordings:
// data.dir, or $SPIKEGRAD_DATA/fsdd.
func fsddDir(c DataConfig) (string, error) {
	if c.Dir != "" {
		return c.Dir, nil
	}
	if env := os.Getenv(datasets.EnvData); env != "" {
		return filepath.Join(env, "fsdd"), nil
	}
	return "", &ConfigError{Key: "data.dir", Value: `""`,
		Msg: "fsdd needs the folder of the recordings (<digit>_<speaker>_<index>.wav, e.g. the recordings folder of github.com/Jakobovski/free-spoken-digit-dataset), or $" + datasets.EnvData + " holding fsdd/"}
}

// audioConfig is the datasets' description of c's FSDD features.
func audioConfig(c DataConfig) datasets.FilterbankConfig {
	ms := func(v float64) int { return int(math.Round(v * datasets.FSDDRate / 1000)) }
	return datasets.FilterbankConfig{Rate: datasets.FSDDRate, Frame: ms(c.AudioFrameMS), Hop: ms(c.AudioHopMS),
		Bands: c.AudioBands, FMin: c.AudioFMin, FMax: c.AudioFMax, Gammatone: c.AudioFilterbank == "gammatone"}
}

// loadFSDD reads one split of FSDD (recordings 0-4 of each speaker and digit
// are the test set) into features, through cache when it is not nil.
func loadFSDD(dir string, split datasets.Split, c DataConfig, cache *datasets.Cache) (*audioSet, error) {
	fc := audioConfig(c)
	if fc.Frame < 1 || fc.Hop < 1 {
		return nil, &ConfigError{Key: "data.audio_frame_ms", Value: fmt.Sprintf("%g (hop %g)", c.AudioFrameMS, c.AudioHopMS),
			Msg: fmt.Sprintf("frames and hops must be at least one sample (%g ms at %d Hz)", 1000.0/datasets.FSDDRate, datasets.FSDDRate)}
	}
	fb, err := datasets.NewFilterbank(fc)
	if err != nil {
		return nil, &ConfigError{Key: "data.audio_bands", Value: fmt.Sprint(c.AudioBands), Msg: err.Error()}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("data: fsdd: %w", err)
	}
	s := &audioSet{bands: c.AudioBands, steps: c.AudioSteps, enc: audioEncodings[c.AudioEncoding],
		threshold: float32(c.AudioThreshold), gain: float32(c.Gain)}
	// The conversion's description, part of every cache key: each value
	// that changes the features.
	fc = fb.Config()
	desc := fmt.Sprintf("fsdd-features v1 rate=%d frame=%d hop=%d fft=%d bands=%d fmin=%g fmax=%g scale=%s areanorm=%t gammatone=%t steps=%d floor=%g",
		fc.Rate, fc.Frame, fc.Hop, fc.FFT, fc.Bands, fc.FMin, fc.FMax, fc.Scale, fc.AreaNorm, fc.Gammatone, c.AudioSteps, audioFloor)
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".wav") {
			continue
		}
		f, err := datasets.ParseFSDDName(e.Name())
		if err != nil {
			return nil, fmt.Errorf("data: %w", err)
		}
		if datasets.FSDDSplit(f.Index) != split {
			continue
		}
		path := filepath.Join(dir, e.Name())
		convert := func() ([]float32, []int, error) {
			x, rate, err := datasets.ReadWAVFile(path)
			if err != nil {
				return nil, nil, err
			}
			if rate != datasets.FSDDRate {
				return nil, nil, fmt.Errorf("%s: sample rate %d Hz, want the %d Hz of FSDD", path, rate, datasets.FSDDRate)
			}
			x = datasets.AudioFeatures(fb, x, c.AudioSteps, audioFloor)
			return x, []int{len(x) / c.AudioBands, c.AudioBands}, nil
		}
		var x []float32
		if cache != nil {
			x, _, err = cache.Load(path, desc, convert)
		} else {
			x, _, err = convert()
		}
		if err != nil {
			return nil, fmt.Errorf("data: %w", err)
		}
		if len(x) == 0 {
			return nil, fmt.Errorf("data: %s: no frames", path)
		}
		s.features = append(s.features, x)
		s.labels = append(s.labels, f.Digit)
	}
	if len(s.labels) == 0 {
		return nil, fmt.Errorf("data: fsdd: no %s recordings (<digit>_<speaker>_<index>.wav) in %s", split, dir)
	}
	return s, nil
}

// audioFloor is added to the band energies before the logarithm: 1e-6, the
// default of datasets.AudioConfig (60 dB below a full-scale frame).
const audioFloor = 1e-6

// audioSet serves recordings' features (normalised log band energies,
// [frames, bands] each) as spike trains [steps, B, channels], encoded as
// each batch is filled. Every sample runs steps, shorter recordings ending
// in silent steps (audioVarLen: each its own frames). Fill writes the first
// b.Steps steps, as a VarLen dataset's batches need.
type audioSet struct {
	features  [][]float32
	labels    []int
	bands     int
	steps     int
	enc       datasets.AudioEncoding
	threshold float32
	gain      float32
}

func (s *audioSet) Len() int { return len(s.labels) }

func (s *audioSet) Shape() (steps, features int) { return s.steps, s.enc.Channels(s.bands) }

// audioVarLen is an audioSet whose recordings run their own frames.
type audioVarLen struct{ *audioSet }

// SampleSteps is the number of frames of recording i.
func (s audioVarLen) SampleSteps(i int) int { return max(1, len(s.features[i])/s.bands) }

func (s *audioSet) Fill(b *datasets.Batch, idx []int) error {
	if s.enc == datasets.AudioRate && b.Rand == nil {
		return fmt.Errorf("data: rate coding needs the batch's random source (Batch.Rand)")
	}
	ch := s.enc.Channels(s.bands)
	stride := len(idx) * ch
	for i, j := range idx {
		if j < 0 || j >= len(s.labels) {
			return fmt.Errorf("data: audio: index %d out of range [0, %d)", j, len(s.labels))
		}
		x := s.features[j]
		n := min(len(x)/s.bands, b.Steps)
		datasets.EncodeAudio(s.enc, b.X, stride, i*ch, x[:n*s.bands], n, s.bands, s.threshold, s.gain, b.Rand)
		for t := n; t < b.Steps; t++ {
			clear(b.X[t*stride+i*ch : t*stride+(i+1)*ch])
		}
		b.Labels[i] = s.labels[j]
		b.Index[i] = j
	}
	return nil
}

// spikeAudio serves SHD or SSC samples binned into [steps, B, 700]. With
// varlen (and steps of dt seconds) Fill bins into b.Steps steps, the
// batch's longest sample (spikeAudioVarLen).
type spikeAudio struct {
	set    *datasets.SpikeAudioSet
	varlen bool
}

func (s *spikeAudio) Len() int { return s.set.Len() }

func (s *spikeAudio) Shape() (steps, features int) { return s.set.Shape() }

// spikeAudioVarLen is a spikeAudio whose samples run up to their last
// spike.
type spikeAudioVarLen struct{ *spikeAudio }

// SampleSteps is the number of the step of sample i's last spike, plus one
// (at most the steps of Shape).
func (s spikeAudioVarLen) SampleSteps(i int) int {
	bin := s.set.Binning
	var last float32
	for _, t := range s.set.Data.Times[i] {
		last = max(last, t)
	}
	return max(1, min(bin.Steps, int(math.Floor(float64(last)/float64(bin.DT)))+1))
}

func (s *spikeAudio) Fill(b *datasets.Batch, idx []int) error {
	if !s.varlen {
		clear(b.X)
		return s.set.Fill(b, idx)
	}
	bin := s.set.Binning
	bin.Steps = b.Steps // every spike of each sample falls within its own length, at most b.Steps
	ch := s.set.Data.Channels
	clear(b.X)
	for i, j := range idx {
		if j < 0 || j >= s.Len() {
			return fmt.Errorf("data: %s: index %d out of range [0, %d)", s.set.Data.Path, j, s.Len())
		}
		bin.Bin(b.X, len(idx)*ch, i*ch, ch, s.set.Data.Times[j], s.set.Data.Units[j])
		b.Labels[i] = s.set.Data.Labels[j]
		b.Index[i] = j
	}
	return nil
}
