package infer_test

import (
	"fmt"
	"log"

	"github.com/spikegrad/spikegrad/infer"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/safetensors"
)

// ExampleEngine_Step streams input events through a network of 3 inputs and
// 2 LIF neurons (beta 0.5, threshold 1, reset by subtraction), one time step
// at a time. Each step adds the weight rows of the inputs that spiked:
//
//	step 0, input 0:     mem = (1.5, 0)                     → neuron 0 spikes
//	step 1, input 1:     mem = (0.75 - 1, 0.625)
//	step 2, inputs 1, 2: mem = (-0.125 + 0.5, 0.3125 + 1.125) → neuron 1 spikes
//	step 3, input 2:     mem = (0.1875 + 0.5, 0.71875 + 0.5 - 1)
func ExampleEngine_Step() {
	arch := &model.Model{Layers: []model.Layer{
		model.NewLayer("fc", model.Linear{In: 3, Out: 2, Init: model.InitPyTorch}),
		model.NewLayer("lif", model.LIF{N: 2, Beta: 0.5, Threshold: 1, Reset: model.ResetSubtract,
			Surrogate: model.Surrogate{Name: "fast_sigmoid", Params: map[string]float64{"slope": 25}}}),
	}}
	m := &infer.Model{Arch: arch, Steps: 4, Encoding: infer.Encoding{Name: infer.EncodingSpikes}, Readout: infer.ReadoutSpikeCount,
		Weights: []safetensors.Tensor{
			{Name: "fc.weight", Shape: []int{3, 2}, Data: []float32{1.5, 0, 0, 0.625, 0.5, 0.5}}, // [In, Out]
			{Name: "lif.beta", Shape: []int{1}, Data: []float32{0.5}},
			{Name: "lif.threshold", Shape: []int{1}, Data: []float32{1}},
		}}
	e, err := infer.New(m)
	if err != nil {
		log.Fatal(err)
	}
	s := e.NewState(1) // one sample, kept by the caller between steps
	for t, events := range [][]int{{0}, {1}, {1, 2}, {2}} {
		out, err := e.Step(s, infer.Input{Events: events})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("step", t, "spikes", out)
	}
	st := e.Stats(s)
	fmt.Println("SynOps", st.Layers[0].SynOps, "of", st.Layers[0].DenseOps, "dense")
	// Output:
	// step 0 spikes [1 0]
	// step 1 spikes [0 0]
	// step 2 spikes [0 1]
	// step 3 spikes [0 0]
	// SynOps 10 of 24 dense
}
