package kernels_test

import (
	"fmt"

	"github.com/spikegrad/spikegrad/internal/kernels"
)

// Two time steps of three input neurons projected onto two outputs: each
// output row is the sum of the weight rows of the inputs that spiked.
func ExampleSpikeMatMul() {
	spikes := []float32{
		1, 0, 1, // step 0: inputs 0 and 2 spike
		0, 0, 0, // step 1: silence
	}
	w := []float32{
		1, 10, // input 0
		2, 20, // input 1
		3, 30, // input 2
	}
	var s kernels.SpikeRows
	s.FromDense(spikes, 2, 3)
	c := make([]float32, 2*2)
	kernels.SpikeMatMul(2, 1, &s, w, 2, 0, c, 2)
	fmt.Println(s.Idx, s.Activity(), c)
	// Output: [0 2] 0.3333333333333333 [4 40 0 0]
}
