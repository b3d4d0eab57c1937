package datasets

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// benchStreams returns the streams the benchmarks run on: the real N-MNIST
// sample of ../shared/data (4325 events, when it is there) and a synthetic
// stream of the same size on the same 34×34 sensor with its events spread
// uniformly over the pixels (about 100 ms long).
func benchStreams(b *testing.B) []namedStream {
	out := []namedStream{{"uniform", randomStream(4325, 34, 34, 1)}}
	if s, err := ReadNMNISTFile(filepath.Join(sharedRoot(), "event-samples", "sample_nmnist.bin")); err == nil {
		out = append(out, namedStream{"nmnist", s})
	} else if os.Getenv("SPIKEGRAD_REQUIRE_DATA") == "1" {
		b.Fatal(err)
	}
	return out
}

type namedStream struct {
	name string
	s    *EventStream
}

func reportEventRate(b *testing.B, n int) {
	b.ReportMetric(float64(b.N)*float64(n)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkToFrames(b *testing.B) {
	for _, ns := range benchStreams(b) {
		name, s := ns.name, ns.s
		for _, c := range []struct {
			name string
			c    FrameConfig
		}{
			{"time-bins-10", FrameConfig{TimeBins: 10, LastToEnd: true}},
			{"window-1ms-binary", FrameConfig{TimeWindow: 1000, Binary: true}},
		} {
			b.Run(name+"/"+c.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := ToFrames(s, c.c); err != nil {
						b.Fatal(err)
					}
				}
				reportEventRate(b, len(s.Events))
			})
			// Reusing the frames: the cost of cutting and counting alone.
			b.Run(name+"/"+c.name+"/into", func(b *testing.B) {
				var f Frames
				b.ReportAllocs()
				for b.Loop() {
					if err := ToFramesInto(&f, s, c.c); err != nil {
						b.Fatal(err)
					}
				}
				reportEventRate(b, len(s.Events))
			})
		}
	}
}

func BenchmarkDenoise(b *testing.B) {
	for _, ns := range benchStreams(b) {
		name, s := ns.name, ns.s
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := (Denoise{FilterTime: 10000}).Apply(s, nil); err != nil {
					b.Fatal(err)
				}
			}
			reportEventRate(b, len(s.Events))
		})
	}
}

func BenchmarkAugment(b *testing.B) {
	s := randomStream(4325, 34, 34, 1)
	aug := Compose{TimeJitter{Std: 100}, FlipLR{P: 0.5}, RandomCropTime{Duration: 50000}}
	rng := rand.New(rand.NewPCG(1, 1))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := aug.Apply(s, rng); err != nil {
			b.Fatal(err)
		}
	}
	reportEventRate(b, len(s.Events))
}
