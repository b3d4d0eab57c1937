//go:build !openblas

package autograd_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
)

// TestMatMulEventDrivenExact runs the product of a spike sequence with a
// weight matrix densely and event-driven, on the shapes where the dense
// SGEMM cuts its sums into blocks (more than 512 terms): 640 rows of 20
// inputs (the v1 resume fixture's first layer, T*B = 20*32) and 700 rows of
// 600 inputs, wide (n = 40) and narrow (n = 10) outputs. The outputs must be
// bit-identical (kernels.SpikeMatMul adds the terms in the SGEMM's order);
// the weight gradient, which the event-driven path sums in one chain over
// the rows while the SGEMM sums blocks of at most 512 rows, must agree
// within 2(q+1)·u·Σ|terms| per element, u = 2^-24 and q the number of
// terms: each order is within (q-1)·u·Σ|terms| of the exact sum to first
// order (recursive summation, Higham, Accuracy and Stability of Numerical
// Algorithms, 2nd ed., eq. 4.4; adding the block sums is part of it), plus
// 2u for the final roundings.
func TestMatMulEventDrivenExact(t *testing.T) {
	const u = 1.0 / (1 << 24)
	rng := rand.New(rand.NewPCG(31, 32))
	for _, sh := range [][3]int{{640, 20, 16}, {700, 600, 40}, {700, 600, 16}} {
		m, k, n := sh[0], sh[1], sh[2]
		s := make([]float32, m*k)
		for i := range s {
			if rng.Float64() < 0.05 {
				s[i] = 1
			}
		}
		w := randParam(rng, "w", k, n)
		seed := make([]float32, m*n)
		for i := range seed {
			seed[i] = float32(rng.NormFloat64())
		}
		run := func(binary bool) (out, grad []float32) {
			w.ZeroGrad()
			tp := autograd.NewTape()
			a := tp.Constant(s, m, k)
			if binary {
				a.SetBinary()
			}
			y := tp.MatMul(a, tp.Param(w))
			tp.BackwardFrom(y, seed)
			return append([]float32(nil), y.Data...), append([]float32(nil), w.Grad...)
		}
		eo, eg := run(true)
		do, dg := run(false)
		for i := range eo {
			if math.Float32bits(eo[i]) != math.Float32bits(do[i]) {
				t.Fatalf("%v: output %d: event-driven %v, dense %v", sh, i, eo[i], do[i])
			}
		}
		for p := range k {
			for j := range n {
				q, sum := 0, 0.0
				for i := range m {
					if s[i*k+p] != 0 {
						q++
						sum += math.Abs(float64(seed[i*n+j]))
					}
				}
				bound := 2 * float64(q+1) * u * sum
				if d := math.Abs(float64(eg[p*n+j]) - float64(dg[p*n+j])); d > bound {
					t.Fatalf("%v: weight gradient [%d, %d]: event-driven %v, dense %v (difference %g > %g)", sh, p, j, eg[p*n+j], dg[p*n+j], d, bound)
				}
			}
		}
	}
}
