package autograd_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
)

// TestAddBiasBits: AddBias adds each row's bias with the vector add from 16
// features on and with a loop below; both must give x + b rounded once, the
// float32 sum computed here element by element.
func TestAddBiasBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	for _, n := range []int{1, 15, 16, 20, 256, 257} {
		const rows = 7
		x := make([]float32, rows*n)
		for i := range x {
			x[i] = float32(rng.NormFloat64() * 100)
		}
		b := randParam(rng, "b", n)
		tp := autograd.NewTape()
		y := tp.AddBias(tp.Constant(x, rows, n), tp.Param(b))
		for i, v := range y.Data {
			if want := x[i] + b.Data[i%n]; math.Float32bits(v) != math.Float32bits(want) {
				t.Fatalf("n = %d: element %d = %v, want %v", n, i, v, want)
			}
		}
	}
}
