package optim_test

import (
	"fmt"
	"math"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/optim"
)

// A training loop: zero the gradients, compute them, clip, step, and set the
// next learning rate from the schedule. The gradient here is that of
// f(w) = Σ (wᵢ − 3)², written by hand; a real loop gets it from
// Tape.Backward.
func Example() {
	w := autograd.NewParam("w", []float32{0, 1}, 2)
	opt, err := optim.NewAdam([]*autograd.Param{w}, optim.DefaultAdam())
	if err != nil {
		panic(err)
	}
	sched := optim.LinearWarmup{StartFactor: 0.1, Steps: 10,
		Then: optim.CosineAnnealingLR{Base: 0.1, TMax: 290}}
	for step := range 300 {
		opt.SetLR(sched.LR(step))
		opt.ZeroGrad()
		for i, x := range w.Data {
			w.Grad[i] += 2 * (x - 3) // ∂f/∂wᵢ
		}
		if norm := optim.ClipGradNorm(opt.Params(), 1); math.IsNaN(norm) || math.IsInf(norm, 0) {
			continue // a NaN or infinite gradient: skip the step
		}
		opt.Step()
	}
	fmt.Printf("w = %.3f\n", w.Data)
	// Output: w = [3.000 3.000]
}

// ReduceLROnPlateau watches a validation metric once per epoch.
func ExampleReduceLROnPlateau() {
	w := autograd.NewParam("w", nil, 1)
	opt, _ := optim.NewSGD([]*autograd.Param{w}, optim.SGDConfig{LR: 0.1, Momentum: 0.9})
	cfg := optim.DefaultPlateau()
	cfg.Patience = 2
	plateau, _ := optim.NewReduceLROnPlateau(opt, cfg)
	for epoch, loss := range []float64{1.0, 0.8, 0.7, 0.7, 0.71, 0.7, 0.69} {
		if plateau.Step(loss) {
			fmt.Printf("epoch %d: lr %.2g\n", epoch, opt.LR())
		}
	}
	// Output: epoch 5: lr 0.01
}

// An optimizer's State goes into a checkpoint beside the weights; SetState on
// a fresh optimizer over the restored weights continues bit-identically.
func ExampleOptimizer_state() {
	w := autograd.NewParam("fc.weight", []float32{1, 2}, 2)
	opt, _ := optim.NewAdamW([]*autograd.Param{w}, optim.DefaultAdamW())
	w.Grad[0], w.Grad[1] = 0.5, -0.5
	opt.Step()

	st := opt.State()
	for _, p := range st.Params {
		fmt.Println(p.Name, "step", p.Step, "exp_avg", p.Buffers["exp_avg"])
	}

	w2 := autograd.NewParam("fc.weight", append([]float32(nil), w.Data...), 2)
	opt2, _ := optim.NewAdamW([]*autograd.Param{w2}, optim.DefaultAdamW())
	if err := opt2.SetState(st); err != nil {
		fmt.Println(err)
	}
	w2.Grad[0], w2.Grad[1] = 0.5, -0.5
	opt.Step()
	opt2.Step()
	fmt.Println(w.Data[0] == w2.Data[0] && w.Data[1] == w2.Data[1])
	// Output:
	// fc.weight step 1 exp_avg [0.05 -0.05]
	// true
}
