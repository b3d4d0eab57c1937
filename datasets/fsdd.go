package datasets

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// FSDDRate is the sample rate of the Free Spoken Digit Dataset, in hertz.
const FSDDRate = 8000

// AudioConfig configures how recordings become spike trains: a mel
// filterbank, log compression, normalisation per recording, a fixed number
// of steps, and a spike encoding. The zero value of a field means its
// default.
type AudioConfig struct {
	// Filterbank configures the band energies; Filterbank.Rate is the rate
	// the recordings must have (FSDDRate by default for LoadFSDD), the
	// other fields keep their defaults (25 ms frames, 10 ms hop, 40 HTK mel
	// bands from 0 Hz to Rate/2).
	Filterbank FilterbankConfig
	// Steps is the number of time steps (frames) of every sample (default
	// 80, 0.8 s at the default hop): a longer recording is cut after Steps
	// frames, a shorter one is followed by silent (spike-free) steps.
	Steps int
	// Floor is added to the energies before the logarithm (default 1e-6,
	// 60 dB below a full-scale frame's energy of order 1).
	Floor float32
	// Encoding turns the log energies, mapped to [0, 1] per recording by
	// their minimum and maximum, into spikes (default AudioCrossing).
	Encoding AudioEncoding
	// Threshold is the level step of AudioCrossing and AudioDelta, in the
	// normalised units (default 0.1).
	Threshold float32
	// Gain scales the spike probability of AudioRate (default 1).
	Gain float32
	// Resample converts a recording of another sample rate to
	// Filterbank.Rate (Resample with 16 zero crossings); without it such a
	// recording is an error naming the file and its rate.
	Resample bool
}

func (c AudioConfig) withDefaults(rate int) AudioConfig {
	if c.Filterbank.Rate == 0 {
		c.Filterbank.Rate = rate
	}
	if c.Steps == 0 {
		c.Steps = 80
	}
	if c.Floor == 0 {
		c.Floor = 1e-6
	}
	if c.Threshold == 0 {
		c.Threshold = 0.1
	}
	if c.Gain == 0 {
		c.Gain = 1
	}
	return c
}

// AudioSet is a set of labelled recordings turned into features: the
// normalised log band energies of each recording, [frames, Bands]. It is a
// Dataset of spike trains [Steps, B, Channels], encoded as each batch is
// filled (the rate code draws from the batch's random source; the other
// codes are deterministic).
type AudioSet struct {
	// Features holds, per recording, its normalised log energies, [frames,
	// Bands] row-major, frames <= Steps.
	Features [][]float32
	// Labels holds the class of each recording.
	Labels []int
	// Paths names the file of each recording.
	Paths []string
	// Bands is the number of filterbank bands.
	Bands int
	cfg   AudioConfig
}

// Config returns the configuration of the set, with its defaults filled in.
func (s *AudioSet) Config() AudioConfig { return s.cfg }

// Len returns the number of recordings.
func (s *AudioSet) Len() int { return len(s.Labels) }

// Shape returns Steps and the number of spike channels (Bands, or 2*Bands
// for the up/down codes).
func (s *AudioSet) Shape() (steps, features int) {
	return s.cfg.Steps, s.cfg.Encoding.Channels(s.Bands)
}

// Fill writes the spike trains of recordings idx into b.
func (s *AudioSet) Fill(b *Batch, idx []int) error {
	steps, ch := s.Shape()
	b.check("AudioSet.Fill", steps, len(idx), ch)
	if s.cfg.Encoding == AudioRate && b.Rand == nil {
		return errors.New("datasets: AudioSet.Fill: rate coding needs Batch.Rand")
	}
	stride := len(idx) * ch
	for i, j := range idx {
		if j < 0 || j >= len(s.Labels) {
			return fmt.Errorf("datasets: AudioSet.Fill: index %d out of range [0, %d)", j, len(s.Labels))
		}
		x := s.Features[j]
		n := len(x) / s.Bands
		EncodeAudio(s.cfg.Encoding, b.X, stride, i*ch, x, n, s.Bands, s.cfg.Threshold, s.cfg.Gain, b.Rand)
		for t := n; t < steps; t++ {
			clear(b.X[t*stride+i*ch : t*stride+(i+1)*ch])
		}
		b.Labels[i] = s.Labels[j]
		b.Index[i] = j
	}
	return nil
}

// AudioFeatures turns one recording (samples in [-1, 1] at fb's rate) into
// the features of an AudioSet: the band energies of at most steps frames,
// ln(E + floor), mapped onto [0, 1] by their minimum and maximum.
func AudioFeatures(fb *Filterbank, samples []float32, steps int, floor float32) []float32 {
	c := fb.Config()
	// Only the samples of the first steps frames matter.
	if need := (steps-1)*c.Hop + c.Frame; len(samples) > need {
		samples = samples[:need]
	}
	e := fb.Energies(samples)
	if n := steps * c.Bands; len(e) > n {
		e = e[:n]
	}
	LogCompress(e, floor)
	NormalizeRange(e)
	return e
}

// FSDDFile is the name of a Free Spoken Digit Dataset recording parsed:
// <Digit>_<Speaker>_<Index>.wav.
type FSDDFile struct {
	Digit   int
	Speaker string
	Index   int
}

// ParseFSDDName parses a recording's file name, such as "7_jackson_32.wav".
func ParseFSDDName(name string) (FSDDFile, error) {
	base, ok := strings.CutSuffix(name, ".wav")
	parts := strings.Split(base, "_")
	if !ok || len(parts) != 3 {
		return FSDDFile{}, fmt.Errorf("datasets: FSDD file %q: want <digit>_<speaker>_<index>.wav", name)
	}
	d, err1 := strconv.Atoi(parts[0])
	n, err2 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || d < 0 || d > 9 || n < 0 || parts[1] == "" {
		return FSDDFile{}, fmt.Errorf("datasets: FSDD file %q: want <digit 0-9>_<speaker>_<index >= 0>.wav", name)
	}
	return FSDDFile{Digit: d, Speaker: parts[1], Index: n}, nil
}

// FSDDSplit reports the split of recording index n in the usual split of
// the Free Spoken Digit Dataset (its README): recordings 0-4 of every
// speaker and digit are the test set, 5-49 the training set.
func FSDDSplit(n int) Split {
	if n <= 4 {
		return Test
	}
	return Train
}

// LoadFSDD reads the Free Spoken Digit Dataset (Jackson et al.,
// github.com/Jakobovski/free-spoken-digit-dataset; 3000 recordings, 6
// speakers x 10 digits x 50, mono 16-bit PCM at 8 kHz) from the WAV files
// of dir, keeps those of split (FSDDSplit) in file-name order, and turns
// each into features as cfg says. The label is the digit.
//
// A file that is not a readable WAV, or whose sample rate is not
// cfg.Filterbank.Rate (FSDDRate by default) while cfg.Resample is off, is
// an error naming the file (and the rate found); files not ending in .wav
// are ignored.
func LoadFSDD(dir string, split Split, cfg AudioConfig) (*AudioSet, error) {
	cfg = cfg.withDefaults(FSDDRate)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("datasets: FSDD: %w", err)
	}
	var paths []string
	var labels []int
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".wav") {
			continue
		}
		f, err := ParseFSDDName(e.Name())
		if err != nil {
			return nil, err
		}
		if FSDDSplit(f.Index) == split {
			paths = append(paths, filepath.Join(dir, e.Name()))
			labels = append(labels, f.Digit)
		}
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("datasets: FSDD: no %s recordings (<digit>_<speaker>_<index>.wav) in %s", split, dir)
	}
	return NewAudioSet(paths, labels, cfg)
}

// NewAudioSet reads the WAV files paths, labelled labels, into an
// AudioSet (see AudioConfig; cfg.Filterbank.Rate is required).
func NewAudioSet(paths []string, labels []int, cfg AudioConfig) (*AudioSet, error) {
	if len(paths) != len(labels) {
		return nil, fmt.Errorf("datasets: NewAudioSet: %d paths and %d labels", len(paths), len(labels))
	}
	cfg = cfg.withDefaults(cfg.Filterbank.Rate)
	if cfg.Steps < 1 {
		return nil, fmt.Errorf("datasets: audio: Steps %d, want >= 1", cfg.Steps)
	}
	if !(cfg.Floor > 0) || !(cfg.Threshold > 0) || !(cfg.Gain > 0) {
		return nil, fmt.Errorf("datasets: audio: Floor %g, Threshold %g, Gain %g: want each > 0", cfg.Floor, cfg.Threshold, cfg.Gain)
	}
	switch cfg.Encoding {
	case AudioCrossing, AudioDelta, AudioRate:
	default:
		return nil, fmt.Errorf("datasets: audio: unknown Encoding %d", int(cfg.Encoding))
	}
	fb, err := NewFilterbank(cfg.Filterbank)
	if err != nil {
		return nil, err
	}
	cfg.Filterbank = fb.Config()
	s := &AudioSet{
		Features: make([][]float32, len(paths)),
		Labels:   labels,
		Paths:    paths,
		Bands:    cfg.Filterbank.Bands,
		cfg:      cfg,
	}
	for i, p := range paths {
		x, rate, err := ReadWAVFile(p)
		if err != nil {
			return nil, err
		}
		if rate != cfg.Filterbank.Rate {
			if !cfg.Resample {
				return nil, fmt.Errorf("datasets: %s: sample rate %d Hz, want %d Hz (set AudioConfig.Resample to convert)", p, rate, cfg.Filterbank.Rate)
			}
			if x, err = Resample(x, rate, cfg.Filterbank.Rate, 0); err != nil {
				return nil, fmt.Errorf("datasets: %s: %w", p, err)
			}
		}
		s.Features[i] = AudioFeatures(fb, x, cfg.Steps, cfg.Floor)
	}
	return s, nil
}

var _ Dataset = (*AudioSet)(nil)
