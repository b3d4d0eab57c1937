package loss_test

import (
	"fmt"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/loss"
)

// A loss and a read-out of an output layer's membrane potentials over T = 2
// steps, for a batch of two samples and three classes.
func Example() {
	tape := autograd.NewTape()
	mem := tape.Constant([]float32{
		2, 0, 0, 0, 1, 1, // t0: sample 0 (2, 0, 0), sample 1 (0, 1, 1)
		1, 0, 0, 0, 0, 3, // t1: sample 0 (1, 0, 0), sample 1 (0, 0, 3)
	}, 2, 2, 3)
	labels := []int{0, 2}
	// Σ_t of the batch's mean cross-entropy: (0.2395 + 0.8620)/2 at t0,
	// (0.5514 + 0.0949)/2 at t1, each ln Σ_j e^x_j − x_label.
	l := loss.MembraneCE(tape, mem, labels)
	preds := make([]int, len(labels))
	loss.MembraneMax(mem, preds) // argmax over classes of max_t mem[t]
	fmt.Printf("loss %.4f, predicted %v\n", l.Item(), preds)
	// Output: loss 0.8740, predicted [0 2]
}
