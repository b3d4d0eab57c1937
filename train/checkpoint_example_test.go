package train_test

import (
	"bytes"
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

// Records appended to metrics.jsonl, one JSON object per line, and read back.
func ExampleMetricsWriter() {
	dir, err := os.MkdirTemp("", "run")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "metrics.jsonl")

	w, err := train.OpenMetrics(path)
	if err != nil {
		log.Fatal(err)
	}
	w.Write(train.Metric{Step: 468, Epoch: 1, Split: train.SplitTrain, Name: "loss", Value: 0.53, Wall: 12.3})
	w.Write(train.Metric{Step: 468, Epoch: 1, Split: train.SplitTest, Name: "accuracy", Value: 0.91, Wall: 13.5})
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	fmt.Print(string(data))
	ms, err := train.ReadMetrics(path)
	fmt.Println(len(ms), ms[1].Name, ms[1].Value, err)
	// Output:
	// {"step": 468, "epoch": 1, "split": "train", "name": "loss", "value": 0.53, "wall": 12.3}
	// {"step": 468, "epoch": 1, "split": "test", "name": "accuracy", "value": 0.91, "wall": 13.5}
	// 2 accuracy 0.91 <nil>
}

// The bytes of a small safetensors file: the header length, the JSON header
// (54 bytes) padded with 2 spaces to 56, a multiple of 8, and the
// little-endian float32 data (1 = 0x3f800000, -2 = 0xc0000000).
func ExampleWriteSafetensors() {
	var b bytes.Buffer
	err := train.WriteSafetensors(&b, []train.Tensor{{Name: "w", Shape: []int{2}, Data: []float32{1, -2}}}, nil)
	if err != nil {
		log.Fatal(err)
	}
	out := b.Bytes()
	fmt.Printf("%v %q % x\n", out[:8], out[8:64], out[64:])
	f, err := train.ReadSafetensors(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		log.Fatal(err)
	}
	data, _ := f.Float32("w")
	fmt.Println(f.Infos[0].DType, f.Infos[0].Shape, data)
	// Output:
	// [56 0 0 0 0 0 0 0] "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}  " 00 00 80 3f 00 00 00 c0
	// F32 [2] [1 -2]
}
