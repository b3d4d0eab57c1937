package datasets_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/spikegrad/spikegrad/datasets"
)

// Augment a recording, then cut it into two binary frames of two polarity
// channels and list the active inputs of each step, the form
// infer.Engine.Step takes.
func ExampleToFrames() {
	s := &datasets.EventStream{Width: 3, Height: 2, Path: "example", Events: []datasets.Event{
		{T: 0, X: 0, Y: 0, P: 1}, {T: 3, X: 1, Y: 0, P: 0}, {T: 5, X: 2, Y: 1, P: 1}, {T: 10, X: 1, Y: 1, P: 1},
	}}
	aug := datasets.Compose{datasets.FlipLR{P: 1}, datasets.TimeJitter{Std: 0}}
	s, err := aug.Apply(s, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := datasets.ToFrames(s, datasets.FrameConfig{TimeBins: 2, LastToEnd: true, Binary: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Steps, f.Channels, f.Height, f.Width)
	for t, idx := range f.Events() {
		fmt.Println("step", t, idx) // index c·6 + y·3 + x
	}
	// Output:
	// 2 2 2 3
	// step 0 [1 8]
	// step 1 [9 10]
}
