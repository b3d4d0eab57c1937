package nir_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/nir"
	"github.com/spikegrad/spikegrad/safetensors"
)

// Example exports a two-layer network to NIR with a time step of 1 ms,
// reads the file back and converts it to a model again. A trained network's
// model and weights come from model.Load of its run's model directory.
func Example() {
	m := &model.Model{Format: model.Format, Layers: []model.Layer{
		model.NewLayer("fc1", model.Linear{In: 2, Out: 3, Bias: true, Init: model.InitPyTorch}),
		model.NewLayer("lif1", model.LIF{N: 3, Beta: 0.9, Threshold: 1, Reset: model.ResetZero,
			Surrogate: model.Surrogate{Name: "fast_sigmoid", Params: map[string]float64{"slope": 25}}}),
	}}
	weights := []safetensors.Tensor{
		{Name: "fc1.weight", Shape: []int{2, 3}, Data: []float32{0.1, 0.2, 0.3, 0.4, 0.5, 0.6}},
		{Name: "fc1.bias", Shape: []int{3}, Data: []float32{0, 0, 0.1}},
		{Name: "lif1.beta", Shape: []int{1}, Data: []float32{0.9}},
		{Name: "lif1.threshold", Shape: []int{1}, Data: []float32{1}},
	}
	const dt = 1e-3 // seconds per time step
	g, err := nir.FromModel(m, weights, dt)
	if err != nil {
		log.Fatal(err)
	}
	dir, _ := os.MkdirTemp("", "nir")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "net.nir")
	if err := nir.Write(path, g); err != nil {
		log.Fatal(err)
	}

	back, err := nir.Read(path)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range back.Edges {
		fmt.Printf("%s (%s) -> %s (%s)\n", e.From, back.Nodes[e.From].Type, e.To, back.Nodes[e.To].Type)
	}
	fmt.Printf("lif1: tau = %.4g s, weight of fc1: %v\n", back.Nodes["lif1"].Params["tau"].Data[0], back.Nodes["fc1"].Params["weight"].Shape)

	m2, w2, err := nir.ToModel(back, dt)
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range m2.Layers {
		fmt.Println(l.Kind, l.Name)
	}
	fmt.Println(w2[2].Name, w2[2].Data)
	// Output:
	// input (Input) -> fc1 (Affine)
	// fc1 (Affine) -> lif1 (LIF)
	// lif1 (LIF) -> output (Output)
	// lif1: tau = 0.01 s, weight of fc1: [3 2]
	// linear fc1
	// lif lif1
	// lif1.beta [0.9]
}
