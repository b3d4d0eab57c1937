package kernels_test

import (
	"fmt"

	"github.com/spikegrad/spikegrad/internal/kernels"
)

// A layer's forward pass Y = X * W^T (the NT form): X holds 2 samples of 3
// features, W maps 3 features to 2 outputs. All values are small integers,
// so the float32 results are exact.
func ExampleSgemm() {
	x := []float32{
		1, 2, 3,
		4, 5, 6,
	}
	w := []float32{
		1, 0, -1,
		2, 1, 0,
	}
	y := make([]float32, 2*2)
	kernels.Sgemm(false, true, 2, 2, 3, 1, x, 3, w, 3, 0, y, 2)
	fmt.Println(y)
	// Output: [-2 4 -2 13]
}

// ParallelFor hands out a fixed partition of [0, n): here 10 items in the 3
// ranges [0,3), [3,6) and [6,10), the same whatever the thread count. Each
// range writes only its own element of sums.
func ExampleParallelFor() {
	var sums [3]int
	kernels.ParallelFor(10, 3, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			sums[lo/3] += i // lo is 0, 3 or 6

		}
	})
	fmt.Println(sums)
	// Output: [3 12 30]
}
