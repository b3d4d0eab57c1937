package layers

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
)

// TestRunStateGradients runs every neuron case over x [T, B, N] once whole
// and once as two Runs with the state of the first carried into the second,
// and requires the same gradients of a weighted sum of the membranes with
// respect to x and to every parameter (to 1e-5, as TestFusedMatchesStep):
// the state a Run returns must carry the gradient back into the Run that
// made it, every field of it (a synaptic current as much as a membrane).
func TestRunStateGradients(t *testing.T) {
	const T, B, N, cut = 6, 2, 3, 3
	for _, c := range neuronCases() {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			x := autograd.NewParam("x", randSlice(rng, T*B*N, 0, 1), T, B, N)
			w := randSlice(rng, T*B*N, -1, 1)
			params := append([]*autograd.Param{x}, c.layer.Params()...)
			grads := func(split bool) [][]float32 {
				for _, p := range params {
					p.ZeroGrad()
				}
				tp := autograd.NewTape()
				xv := tp.Param(x)
				var mem *autograd.Var
				if split {
					m1, m2 := c.halves(tp, xv, cut)
					mem = tp.Concat(0, m1, m2)
				} else {
					_, mem = c.layer.Scan(tp, xv)
				}
				tp.Backward(tp.SumAll(tp.Mul(mem, tp.Constant(w, T, B, N))))
				var g [][]float32
				for _, p := range params {
					g = append(g, append([]float32(nil), p.Grad...))
				}
				return g
			}
			whole, split := grads(false), grads(true)
			for pi, p := range params {
				for i := range whole[pi] {
					a, b := float64(whole[pi][i]), float64(split[pi][i])
					if math.Abs(a-b) > 1e-5*math.Max(1, math.Max(math.Abs(a), math.Abs(b))) {
						t.Errorf("d/d%s[%d]: one Run %v, two Runs %v", p.Name, i, a, b)
					}
				}
			}
		})
	}
}
