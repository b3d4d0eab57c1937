package datasets

import (
	"math/rand/v2"
	"testing"
)

// benchStream is an N-MNIST-sized stream: 4325 events (the size of
// ../shared/data/event-samples/sample_nmnist.bin) on the 34×34 sensor,
// about 300 ms long.
func benchStream() *EventStream { return randomStream(4325, 34, 34, 1) }

func reportEventRate(b *testing.B, n int) {
	b.ReportMetric(float64(b.N)*float64(n)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkToFrames(b *testing.B) {
	for _, c := range []struct {
		name string
		c    FrameConfig
	}{
		{"time-bins-10", FrameConfig{TimeBins: 10, LastToEnd: true}},
		{"window-1ms-binary", FrameConfig{TimeWindow: 1000, Binary: true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			s := benchStream()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ToFrames(s, c.c); err != nil {
					b.Fatal(err)
				}
			}
			reportEventRate(b, len(s.Events))
		})
	}
}

func BenchmarkDenoise(b *testing.B) {
	s := benchStream()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (Denoise{FilterTime: 10000}).Apply(s, nil); err != nil {
			b.Fatal(err)
		}
	}
	reportEventRate(b, len(s.Events))
}

func BenchmarkAugment(b *testing.B) {
	s := benchStream()
	aug := Compose{TimeJitter{Std: 100}, FlipLR{P: 0.5}, RandomCropTime{Duration: 200000}}
	rng := rand.New(rand.NewPCG(1, 1))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := aug.Apply(s, rng); err != nil {
			b.Fatal(err)
		}
	}
	reportEventRate(b, len(s.Events))
}
