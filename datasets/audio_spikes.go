package datasets

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/spikegrad/spikegrad/internal/atomicfile"
)

// SpikeBinning turns a sample's spike lists (times in seconds, channels)
// into a dense spike tensor of Steps time steps.
//
// With DT > 0 a spike at time t falls into step floor(t/DT), the binning of
// Zenke's SHD tutorials and of tonic's ToFrame(time_window=DT); spikes at
// or after Steps*DT are dropped. With DT = 0 every sample is stretched over
// the Steps steps: the span from its first spike t0 to its last t1 is cut
// into Steps equal windows, a spike falls into floor((t-t0)/(t1-t0)*Steps)
// and the last spike into the last step, as tonic's ToFrame(n_time_bins)
// does for SHD. A step holds the number of spikes of a channel (tonic's
// frames), or 1 for any number with Clip.
type SpikeBinning struct {
	// Steps is the number of time steps T; required.
	Steps int
	// DT is the length of a step in seconds; 0 stretches each sample over
	// Steps (see above).
	DT float32
	// Clip writes 1 for a step and channel with any spike instead of the
	// count.
	Clip bool
}

// Bin writes the spikes of one sample into dst, [Steps, stride], with
// channel c of step t at dst[t*stride+off+c], c < channels: first it
// clears the sample's channels at every step, then it adds the spikes.
// It returns the number of spikes dropped because they fell after the last
// step. It panics with a *ShapeError when times and units differ in length,
// a unit is not below channels, or dst is too short.
func (b SpikeBinning) Bin(dst []float32, stride, off, channels int, times []float32, units []uint16) (dropped int) {
	const op = "SpikeBinning.Bin"
	if b.Steps < 1 || len(times) != len(units) || off < 0 || off+channels > stride || len(dst) < (b.Steps-1)*stride+off+channels {
		shapePanic(op, "%d steps, %d times, %d units; dst %d values, stride %d, offset %d, %d channels",
			b.Steps, len(times), len(units), len(dst), stride, off, channels)
	}
	for t := range b.Steps {
		clear(dst[t*stride+off : t*stride+off+channels])
	}
	if len(times) == 0 {
		return 0
	}
	// step = floor((t - t0) * num / den), a division so that a time that is
	// a whole multiple of DT lands exactly on its step.
	t0, num, den := 0.0, 1.0, float64(b.DT)
	if b.DT <= 0 {
		lo, hi := times[0], times[0]
		for _, t := range times {
			lo, hi = min(lo, t), max(hi, t)
		}
		t0, num, den = float64(lo), float64(b.Steps), float64(hi)-float64(lo)
		if den <= 0 {
			num, den = 0, 1
		}
	}
	for i, t := range times {
		u := int(units[i])
		if u >= channels {
			shapePanic(op, "spike %d in channel %d of %d", i, u, channels)
		}
		s := math.Floor((float64(t) - t0) * num / den)
		if b.DT == 0 {
			s = min(s, float64(b.Steps-1))
		}
		if !(s >= 0 && s < float64(b.Steps)) {
			dropped++
			continue
		}
		j := int(s)*stride + off + u
		if b.Clip {
			dst[j] = 1
		} else {
			dst[j]++
		}
	}
	return dropped
}

// SpikeAudioSet is a Dataset over a file of spiking audio: sample i is the
// spike tensor that Binning makes of its spikes, [Steps, B, Channels], and
// its label.
type SpikeAudioSet struct {
	// Data is the file's content.
	Data *SpikeAudio
	// Binning makes the dense tensors.
	Binning SpikeBinning
}

// NewSpikeAudioSet checks bin and returns the Dataset of data's samples.
func NewSpikeAudioSet(data *SpikeAudio, bin SpikeBinning) (*SpikeAudioSet, error) {
	if bin.Steps < 1 || !(bin.DT >= 0) || math.IsInf(float64(bin.DT), 0) {
		return nil, fmt.Errorf("datasets: spike binning: Steps %d, DT %g s: want Steps >= 1 and a finite DT >= 0", bin.Steps, bin.DT)
	}
	if data.Channels < 1 || len(data.Times) != len(data.Labels) || len(data.Units) != len(data.Labels) {
		return nil, fmt.Errorf("datasets: %s: %d channels, %d times, %d units, %d labels", data.Path, data.Channels, len(data.Times), len(data.Units), len(data.Labels))
	}
	return &SpikeAudioSet{Data: data, Binning: bin}, nil
}

// Len returns the number of samples.
func (s *SpikeAudioSet) Len() int { return len(s.Data.Labels) }

// Shape returns Binning.Steps and the number of channels.
func (s *SpikeAudioSet) Shape() (steps, features int) { return s.Binning.Steps, s.Data.Channels }

// Fill bins the samples idx into b.
func (s *SpikeAudioSet) Fill(b *Batch, idx []int) error {
	steps, ch := s.Shape()
	b.check("SpikeAudioSet.Fill", steps, len(idx), ch)
	for i, j := range idx {
		if j < 0 || j >= s.Len() {
			return fmt.Errorf("datasets: SpikeAudioSet.Fill: index %d out of range [0, %d)", j, s.Len())
		}
		s.Binning.Bin(b.X, len(idx)*ch, i*ch, ch, s.Data.Times[j], s.Data.Units[j])
		b.Labels[i] = s.Data.Labels[j]
		b.Index[i] = j
	}
	return nil
}

// SHDFile returns the path of the uncompressed HDF5 file of split in the
// folder dir of the registered dataset name ("shd": train, test; "ssc":
// train, valid, test): <name>_<split>.h5. When the folder holds only the
// published <name>_<split>.h5.gz, it is decompressed beside it first
// (atomically: an interrupted run leaves no partial .h5 behind).
func SHDFile(dir, name string, split Split) (string, error) {
	spec, err := Lookup(name)
	if err != nil {
		return "", err
	}
	gz := fmt.Sprintf("%s_%s.h5.gz", name, split)
	found := false
	for _, f := range spec.Files() {
		found = found || f.Name == gz
	}
	if !found {
		return "", fmt.Errorf("datasets: %s has no %s split", name, split)
	}
	h5 := filepath.Join(dir, strings.TrimSuffix(gz, ".gz"))
	if st, err := os.Stat(h5); err == nil && st.Mode().IsRegular() {
		return h5, nil
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	src, err := os.Open(filepath.Join(dir, gz))
	if err != nil {
		return "", fmt.Errorf("datasets: %s: neither %s nor %s: %w", dir, filepath.Base(h5), gz, err)
	}
	defer src.Close()
	err = atomicfile.Write(h5, func(w io.Writer) error {
		zr, err := gzip.NewReader(src)
		if err != nil {
			return &FormatError{File: src.Name(), Offset: 0, Msg: "not gzip", Err: err}
		}
		if n, err := io.Copy(w, zr); err != nil {
			return &FormatError{File: src.Name(), Offset: n, Msg: "corrupt gzip stream (offset in the decompressed stream)", Err: err}
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("datasets: decompressing %s: %w", gz, err)
	}
	return h5, nil
}

// LoadSHD finds the registered dataset name ("shd" or "ssc") with Resolve
// (downloading it when it is nowhere on disk and ropt allows), decompresses
// the file of split if needed (SHDFile) and reads it (ReadSHD).
func LoadSHD(name string, split Split, ropt ResolveOptions) (*SpikeAudio, error) {
	dir, err := Resolve(name, ropt)
	if err != nil {
		return nil, err
	}
	path, err := SHDFile(dir, name, split)
	if err != nil {
		return nil, err
	}
	return ReadSHD(path)
}
