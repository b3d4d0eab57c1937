package train_test

import (
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/optim"
	"github.com/spikegrad/spikegrad/train"
)

// A checkpoint saved after a step and loaded into a fresh model and
// optimizer, which then continue exactly where the first ones were.
func ExampleSaveCheckpoint() {
	dir, err := os.MkdirTemp("", "run")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "last.safetensors")

	w := autograd.NewParam("fc.weight", []float32{0.5, -0.25}, 1, 2)
	opt, err := optim.NewAdam([]*autograd.Param{w}, optim.DefaultAdam())
	if err != nil {
		log.Fatal(err)
	}
	src := rand.NewPCG(1, 2) // the data order's random source
	copy(w.Grad, []float32{1, -1})
	opt.Step()

	c := train.CheckpointFromParams([]*autograd.Param{w})
	if err := c.SetOptimizer(opt); err != nil {
		log.Fatal(err)
	}
	if err := c.SetRNG("data", src); err != nil {
		log.Fatal(err)
	}
	c.Meta["step"] = "1" // the loop's own counter
	if err := train.SaveCheckpoint(path, c); err != nil {
		log.Fatal(err)
	}

	// Resume.
	w2 := autograd.NewParam("fc.weight", nil, 1, 2)
	opt2, err := optim.NewAdam([]*autograd.Param{w2}, optim.DefaultAdam())
	if err != nil {
		log.Fatal(err)
	}
	src2 := rand.NewPCG(0, 0)
	c2, err := train.LoadCheckpoint(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := c2.Restore([]*autograd.Param{w2}); err != nil {
		log.Fatal(err)
	}
	if err := c2.RestoreOptimizer(opt2); err != nil {
		log.Fatal(err)
	}
	if err := c2.RestoreRNG("data", src2); err != nil {
		log.Fatal(err)
	}
	step, _ := c2.MetaInt("step")
	fmt.Println("step", step, "weights", w2.Data, "same random stream:", src.Uint64() == src2.Uint64())

	// A model of another shape is refused, and left as it was.
	wrong := autograd.NewParam("fc.weight", nil, 2, 2)
	fmt.Println(c2.Restore([]*autograd.Param{wrong}) != nil, wrong.Data)
	// Output:
	// step 1 weights [0.499 -0.249] same random stream: true
	// true [0 0 0 0]
}
