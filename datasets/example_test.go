package datasets_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/spikegrad/spikegrad/datasets"
)

// A Randman dataset needs no download: generate it from a seed, split it,
// and serve shuffled batches of dense spike trains.
func ExampleNewRandman() {
	cfg := datasets.DefaultRandmanConfig()
	cfg.SamplesPerClass = 50 // keep the example fast
	rng := rand.New(rand.NewPCG(1, 2))
	data, err := datasets.NewRandman(cfg, rng)
	if err != nil {
		fmt.Println(err)
		return
	}
	train, test, err := data.Split(0.2, rng)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("train", train.Len(), "test", test.Len())

	loader, err := datasets.NewLoader(train, datasets.LoaderConfig{BatchSize: 64, Shuffle: true}, rng)
	if err != nil {
		fmt.Println(err)
		return
	}
	ep := loader.Epoch(context.Background())
	defer ep.Close()
	batches, spikes := 0, 0
	for ep.Next() {
		b := ep.Batch()
		if batches == 0 {
			fmt.Printf("batch [%d, %d, %d]\n", b.Steps, b.Size, b.Features)
		}
		for _, v := range b.X {
			spikes += int(v)
		}
		batches++
	}
	if err := ep.Err(); err != nil {
		fmt.Println(err)
		return
	}
	// Every unit fires once per sample: 400 samples x 100 units.
	fmt.Println("batches", batches, "spikes", spikes)
	// Output:
	// train 400 test 100
	// batch [100, 64, 100]
	// batches 7 spikes 40000
}

// Latency coding of three pixel values over 5 steps, linear and normalized:
// the brightest pixel fires first (snnTorch's spikegen.latency example).
func ExampleLatencyEncoder() {
	x := []float32{0.02, 0.5, 1} // one sample, three features
	dst := make([]float32, 5*3)  // [5 steps, 1, 3]
	datasets.LatencyEncoder{Linear: true, Normalize: true}.Encode(dst, x, 5, 1, 3, nil)
	for t := range 5 {
		fmt.Println(dst[t*3 : t*3+3])
	}
	// Output:
	// [0 0 1]
	// [0 0 0]
	// [0 1 0]
	// [0 0 0]
	// [1 0 0]
}

// Resolve says where it looked when a dataset is nowhere to be found.
func ExampleResolve() {
	_, err := datasets.Resolve("mnist", datasets.ResolveOptions{
		Dir:       "/nonexistent/mnist",
		CacheDir:  "/nonexistent/cache",
		SystemDir: "/nonexistent/share",
		Offline:   true,
	})
	var re *datasets.ResolveError
	if errors.As(err, &re) {
		// The places are: the explicit folder, $SPIKEGRAD_DATA, the cache,
		// the system folder, and the download.
		fmt.Println(len(re.Attempts), "places tried")
		fmt.Println("first:", re.Attempts[0].Place)
		fmt.Println("last:", re.Attempts[4].Place, "-", re.Attempts[4].Err)
	}
	// Output:
	// 5 places tried
	// first: folder /nonexistent/mnist (explicit folder)
	// last: download - offline: downloads disabled by ResolveOptions.Offline
}
