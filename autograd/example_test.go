package autograd_test

import (
	"fmt"
	"math"

	"github.com/spikegrad/spikegrad/autograd"
)

// Fit y = 2x + 1 with a one-input linear model and plain gradient descent.
// At the start (w = b = 0) the loss is (1² + 3² + 5² + 7²)/4 = 21, and with
// dL/dŷ = 2(ŷ - y)/4 = [-0.5, -1.5, -2.5, -3.5] the gradients are
// dw = Σ x·dL/dŷ = -17 and db = Σ dL/dŷ = -8.
func Example() {
	w := autograd.NewParam("w", []float32{0}, 1, 1)
	b := autograd.NewParam("b", []float32{0}, 1)
	xs := []float32{0, 1, 2, 3} // four samples, one feature each
	ys := []float32{1, 3, 5, 7} // 2x + 1

	tp := autograd.NewTape()
	for step := range 200 {
		x := tp.Constant(xs, 4, 1)
		y := tp.Constant(ys, 4, 1)
		pred := tp.AddBias(tp.MatMul(x, tp.Param(w)), tp.Param(b)) // [4, 1]
		loss := tp.MSE(pred, y)                                    // scalar
		tp.Backward(loss)
		switch step {
		case 0:
			fmt.Printf("step 0: loss %.4f, dw %.4f, db %.4f\n", loss.Item(), w.Grad[0], b.Grad[0])
		case 199:
			fmt.Printf("step 199: loss %.6f\n", loss.Item())
		}
		for _, p := range []*autograd.Param{w, b} {
			for i, g := range p.Grad {
				p.Data[i] -= 0.05 * g
			}
			p.ZeroGrad()
		}
		tp.Reset() // forget the step, keep the memory
	}
	fmt.Printf("w %.3f, b %.3f\n", w.Data[0], b.Data[0])
	// Output:
	// step 0: loss 21.0000, dw -17.0000, db -8.0000
	// step 199: loss 0.000000
	// w 2.000, b 1.000
}

// A user-defined element-wise op with its derivative: softplus(x) =
// ln(1 + eˣ), whose derivative is the logistic sigmoid. At x = -1, 0, 2:
// softplus = 0.3133, ln 2 = 0.6931, 2.1269 and sigmoid = 0.2689, 0.5, 0.8808.
func Example_custom() {
	softplus := func(x float32) float32 { return float32(math.Log1p(math.Exp(float64(x)))) }
	sigmoid := func(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

	x := autograd.NewParam("x", []float32{-1, 0, 2}, 3)
	tp := autograd.NewTape()
	y := tp.Custom(tp.Param(x), softplus, sigmoid)
	tp.Backward(tp.SumAll(y)) // d(Σ y)/dx = softplus'(x)
	fmt.Printf("y  %.4f\n", y.Data)
	fmt.Printf("dx %.4f\n", x.Grad)
	// Output:
	// y  [0.3133 0.6931 2.1269]
	// dx [0.2689 0.5000 0.8808]
}
