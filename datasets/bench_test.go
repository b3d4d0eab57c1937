package datasets

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// mnistLikeBatch is a batch of 128 inputs of 784 values in [0, 1], the shape
// of snnTorch's tutorial 5.
func mnistLikeBatch() []float32 {
	x := make([]float32, 128*784)
	for i := range x {
		x[i] = float32(i*7919%256) / 255
	}
	return x
}

func benchEncoder(b *testing.B, e StaticEncoder) {
	const steps = 25
	x := mnistLikeBatch()
	dst := make([]float32, steps*len(x))
	rng := rand.New(rand.NewPCG(1, 1))
	b.ReportAllocs()
	for b.Loop() {
		e.Encode(dst, x, steps, 128, 784, rng)
	}
	b.ReportMetric(float64(b.N)*float64(len(dst))/b.Elapsed().Seconds(), "elements/s")
}

func BenchmarkDirectEncoder(b *testing.B)  { benchEncoder(b, DirectEncoder{}) }
func BenchmarkRateEncoder(b *testing.B)    { benchEncoder(b, RateEncoder{}) }
func BenchmarkLatencyEncoder(b *testing.B) { benchEncoder(b, LatencyEncoder{Tau: 5, Normalize: true}) }

func BenchmarkRandmanGenerate(b *testing.B) {
	cfg := DefaultRandmanConfig()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewRandman(cfg, rand.New(rand.NewPCG(1, 2))); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*float64(cfg.Classes*cfg.SamplesPerClass)/b.Elapsed().Seconds(), "samples/s")
}

func BenchmarkLoaderRandmanEpoch(b *testing.B) {
	r, err := NewRandman(DefaultRandmanConfig(), rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		b.Fatal(err)
	}
	l, err := NewLoader(r, LoaderConfig{BatchSize: 128, Shuffle: true}, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		ep := l.Epoch(context.Background())
		for ep.Next() {
		}
		if err := ep.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*float64(r.Len())/b.Elapsed().Seconds(), "samples/s")
}

func BenchmarkReadMNISTTrainImages(b *testing.B) {
	dir := sharedData(b, "mnist")
	p := filepath.Join(dir, "train-images-idx3-ubyte.gz")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadIDXFile(p, "6bbc9ace898e44ae57da46a324031adb"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*60000/b.Elapsed().Seconds(), "images/s")
}
