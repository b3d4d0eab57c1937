package model_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/safetensors"
)

// A model of a Linear layer and a leaky-integrator read-out, written as
// model.json (Marshal) and read back (Unmarshal), with each layer's config
// decoded into its payload type.
func Example() {
	m := &model.Model{Layers: []model.Layer{
		model.NewLayer("fc1", model.Linear{In: 4, Out: 3, Bias: true, Init: model.InitPyTorch}),
		model.NewLayer("out", model.LI{N: 3, Beta: 0.9}),
	}}
	b, err := model.Marshal(m)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(b))
	back, err := model.Unmarshal(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, l := range back.Layers {
		p, _ := l.Payload()
		fmt.Printf("%s: %T %+v\n", l.Name, p, p)
	}
	// Output:
	// {
	//   "format": "spikegrad.sequential/v2",
	//   "layers": [
	//     {
	//       "kind": "linear",
	//       "name": "fc1",
	//       "config": {
	//         "in": 4,
	//         "out": 3,
	//         "bias": true,
	//         "init": "pytorch"
	//       }
	//     },
	//     {
	//       "kind": "li",
	//       "name": "out",
	//       "config": {
	//         "n": 3,
	//         "beta": 0.9,
	//         "learn_beta": false,
	//         "per_neuron": false
	//       }
	//     }
	//   ]
	// }
	// fc1: *model.Linear &{In:4 Out:3 Bias:true Init:pytorch}
	// out: *model.LI &{N:3 Beta:0.9 LearnBeta:false PerNeuron:false}
}

// Unmarshal checks every layer: an error names the layer, its kind and the
// field.
func ExampleUnmarshal() {
	_, err := model.Unmarshal([]byte(`{"format": "spikegrad.sequential/v2", "layers": [
		{"kind": "li", "name": "out", "config": {"n": 3, "beta": 1.5}}]}`))
	fmt.Println(err)
	// Output:
	// model: layer 0 "out" (li): beta = 1.5: must be in [0, 1]
}

// Save writes a model directory, the architecture beside the weights, and
// Load reads it back.
func ExampleSave() {
	dir, err := os.MkdirTemp("", "model")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	m := &model.Model{Layers: []model.Layer{model.NewLayer("fc", model.Linear{In: 2, Out: 1, Init: model.InitZero})}}
	w := []safetensors.Tensor{{Name: "fc.weight", Shape: []int{2, 1}, Data: []float32{0.5, -0.25}}}
	if err := model.Save(filepath.Join(dir, "model"), m, w); err != nil {
		fmt.Println(err)
		return
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "model"))
	for _, e := range entries {
		fmt.Println(e.Name())
	}
	m2, ts, err := model.Load(filepath.Join(dir, "model"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m2.Layers[0].Kind, m2.Layers[0].Name, ts[0].Name, ts[0].Shape, ts[0].Data)
	// Output:
	// model.json
	// weights.safetensors
	// linear fc fc.weight [2 1] [0.5 -0.25]
}
