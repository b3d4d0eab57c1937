package datasets

import (
	"math"
	"math/rand/v2"
	"testing"
)

// fuzzStream builds a stream from fuzz bytes: a sensor of 1 to 8 × 1 to 8
// pixels from the first two bytes, then 4 bytes per event, x, y,
// polarity and a signed time step from t0, none of them forced valid, so
// that streams off the sensor, with bad polarities or time running
// backwards reach the transforms as well as valid ones.
func fuzzStream(data []byte, t0 int64) *EventStream {
	s := &EventStream{Width: 1, Height: 1, Path: "fuzz"}
	if len(data) >= 2 {
		s.Width, s.Height = 1+int(data[0]%8), 1+int(data[1]%8)
		data = data[2:]
	}
	t := t0
	for ; len(data) >= 4; data = data[4:] {
		t += int64(int8(data[3]))
		s.Events = append(s.Events, Event{T: t, X: uint16(data[0] % 10), Y: uint16(data[1] % 10), P: data[2] % 3})
	}
	return s
}

// FuzzToFrames cuts fuzz streams with fuzz configurations: an error or
// frames of the announced shape, never a panic; with bins running to the
// end without overlap every event is in the frames; binary frames hold 0
// and 1, and Events lists their ones.
func FuzzToFrames(f *testing.F) {
	f.Add([]byte{3, 2, 0, 0, 1, 0, 1, 0, 0, 3, 2, 1, 1, 2, 0, 1, 5, 1}, int64(0), uint8(2), int64(3), int64(0), 0.0, uint8(2))
	f.Add([]byte{3, 2, 0, 0, 1, 0, 1, 0, 0, 3}, int64(math.MaxInt64-2), uint8(0), int64(1), int64(0), 0.0, uint8(1))
	f.Add([]byte{7, 7, 1, 1, 1, 100, 2, 2, 0, 100, 3, 3, 1, 100}, int64(-5), uint8(3), int64(4), int64(0), 0.5, uint8(15))
	f.Fuzz(func(t *testing.T, data []byte, t0 int64, mode uint8, a, ov int64, binOv float64, flags uint8) {
		s := fuzzStream(data, t0)
		c := FrameConfig{Overlap: ov, BinOverlap: binOv, IncludeIncomplete: flags&1 != 0, LastToEnd: flags&2 != 0,
			MergePolarity: flags&4 != 0, Binary: flags&8 != 0}
		switch mode % 4 {
		case 0:
			c.TimeWindow = a
		case 1:
			c.EventCount = int(a)
		case 2:
			c.TimeBins = int(a)
		default:
			c.EventBins = int(a)
		}
		// Keep the allocations of a fuzz run small: skip what would make
		// more than 2^20 values (the bound itself is tested by hand).
		if c.check() == nil && s.Check() == nil {
			n, err := c.frameCount(s.Events, c.channels()*s.Width*s.Height)
			if err == nil && n*c.channels()*s.Width*s.Height > 1<<20 {
				t.Skip()
			}
		}
		fr, err := ToFrames(s, c)
		if err != nil {
			return
		}
		F := fr.Features()
		if len(fr.Data) != fr.Steps*F || fr.Steps < 1 && len(s.Events) > 0 {
			t.Fatalf("%d frames of %d values in %d", fr.Steps, F, len(fr.Data))
		}
		if c.LastToEnd && c.BinOverlap == 0 {
			if got := sum32(fr.Data); !c.Binary && got != float64(len(s.Events)) {
				t.Fatalf("%+v: frames hold %v of %d events", c, got, len(s.Events))
			}
		}
		if c.Binary {
			ones := 0
			for _, v := range fr.Data {
				if v != 0 && v != 1 {
					t.Fatalf("binary frame value %v", v)
				}
				ones += int(v)
			}
			listed := 0
			for _, idx := range fr.Events() {
				listed += len(idx)
			}
			if listed != ones {
				t.Fatalf("Events lists %d ones, the frames hold %d", listed, ones)
			}
		}
	})
}

// FuzzTransforms applies every transform with fuzz parameters to fuzz
// streams: an error or a stream that passes Check on the sensor
// OutputSize announces, never a panic.
func FuzzTransforms(f *testing.F) {
	f.Add([]byte{3, 2, 0, 0, 1, 0, 1, 0, 0, 3, 2, 1, 1, 2, 0, 1, 5, 1}, int64(0), int64(4), 2, 0.5, uint64(1))
	f.Add([]byte{3, 2, 0, 0, 1, 0, 1, 0, 0, 3}, int64(math.MaxInt64-2), int64(1), 1, 1e300, uint64(2))
	f.Add([]byte{7, 7, 1, 1, 1, 100, 2, 2, 0, 100}, int64(math.MinInt64), int64(math.MaxInt64), 0, -1.0, uint64(3))
	f.Fuzz(func(t *testing.T, data []byte, t0, d int64, factor int, x float64, seed uint64) {
		s := fuzzStream(data, t0)
		rng := rand.New(rand.NewPCG(seed, 1))
		for _, tr := range []Transform{
			Denoise{FilterTime: d}, Denoise{FilterTime: d, Diagonals: true}, Downsample{Factor: factor},
			TimeJitter{Std: x}, TimeJitter{Std: x, KeepNegative: true}, FlipLR{P: x}, FlipUD{P: x},
			TimeReversal{P: x}, CropTime{Min: t0, Max: d}, RandomCropTime{Duration: d},
			Compose{FlipLR{P: 0.5}, Downsample{Factor: factor}, TimeReversal{P: 0.5}},
		} {
			out, err := tr.Apply(s, rng)
			if err != nil {
				continue
			}
			if err := out.Check(); err != nil {
				t.Fatalf("%#v: output fails Check: %v", tr, err)
			}
			if w, h := tr.OutputSize(s.Width, s.Height); out.Width != w || out.Height != h {
				t.Fatalf("%#v: sensor %dx%d, OutputSize says %dx%d", tr, out.Width, out.Height, w, h)
			}
		}
	})
}
