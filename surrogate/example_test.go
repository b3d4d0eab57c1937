package surrogate_test

import (
	"fmt"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/surrogate"
)

func ExampleFastSigmoid() {
	f := surrogate.FastSigmoid{} // the zero value selects the default slope, 25
	fmt.Println(f)
	for _, x := range []float32{0, 0.04, -0.2} {
		// 1/(1 + 25|x|)²: 1, 1/(1+1)² = 0.25, 1/(1+5)² = 0.0278
		fmt.Printf("Grad(%g) = %.4f\n", x, f.Grad(x))
	}
	// Output:
	// FastSigmoid(slope=25)
	// Grad(0) = 1.0000
	// Grad(0.04) = 0.2500
	// Grad(-0.2) = 0.0278
}

func ExampleSpike() {
	tape := autograd.NewTape()
	v := autograd.NewParam("v", []float32{0.5, 0.98, 1.02, 1.5}, 1, 4)
	spikes := surrogate.Spike(tape, tape.Param(v), 1, surrogate.FastSigmoid{})
	tape.BackwardFrom(spikes, []float32{1, 1, 1, 1})
	fmt.Println(spikes.Data)
	// dv = 1/(1 + 25|v - 1|)²: 1/13.5² and 1/1.5²
	fmt.Printf("%.4f\n", v.Grad)
	// Output:
	// [0 0 1 1]
	// [0.0055 0.4444 0.4444 0.0055]
}

func ExampleGradShifted() {
	v := []float32{0.9, 1.0, 1.1, 3}
	g := make([]float32, len(v))
	surrogate.GradShifted(surrogate.Triangle{}, g, v, 1) // max(0, 1 - |v - 1|)
	fmt.Printf("%.2f\n", g)
	// Output:
	// [0.90 1.00 0.90 0.00]
}

func ExampleValidate() {
	err := surrogate.Validate(surrogate.Sigmoid{Slope: -5})
	fmt.Println(err)
	// Output:
	// surrogate: Sigmoid: Slope = -5: must be positive and finite (0 selects the default)
}
