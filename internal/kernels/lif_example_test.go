package kernels_test

import (
	"fmt"

	"github.com/spikegrad/spikegrad/internal/kernels"
)

// The LIF membrane of one neuron with beta = 0.5, threshold 1 and constant
// input 0.6 (reset by subtraction): it fires at the third step and restarts
// from 1.05 - 1.
func ExampleLIFScan() {
	p := kernels.LIFScan{T: 4, B: 1, N: 1, Beta: []float32{0.5}, Thr: []float32{1}}
	mem, spk := make([]float32, 4), make([]float32, 4)
	p.Forward([]float32{0.6, 0.6, 0.6, 0.6}, nil, nil, mem, spk)
	fmt.Printf("%.4f %v\n", mem, spk)
	// Output: [0.6000 0.9000 1.0500 0.1250] [0 0 1 0]
}
