package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// fastSigmoidSG is the fast-sigmoid surrogate derivative 1/(1+25|x|)² used
// as the SGFunc of the tests.
var fastSigmoidSG SurrogateGrad = fastSigmoid25{}

type fastSigmoid25 struct{}

func (fastSigmoid25) GradInto(dst, x []float32) {
	for i, v := range x {
		if v < 0 {
			v = -v
		}
		d := 1 + 25*v
		dst[i] = 1 / (d * d)
	}
}

// TestLIFConstInAndSGFunc checks that a constant input (ConstIn) gives the
// same membranes and spikes as the input repeated into every step, and the
// same gradients with the repeated input's gradient summed over time; and
// that an SGFunc gives bit-identical results to the precomputed SG array.
// Both paths do the same float32 operations in the same order except the
// sum over time of the input gradient, which the test does in the same
// ascending-t order, so everything is compared bit for bit.
func TestLIFConstInAndSGFunc(t *testing.T) {
	for _, shape := range [][3]int{{5, 3, 7}, {4, 130, 600}, {3, 2, 1000}, {1, 1, 1}} {
		for _, reset := range []ResetMode{ResetSubtract, ResetZero, ResetNone} {
			for _, rg := range []bool{false, true} {
				T, B, N := shape[0], shape[1], shape[2]
				t.Run(fmt.Sprintf("%dx%dx%d/%v/resetgrad=%v", T, B, N, reset, rg), func(t *testing.T) {
					rng := rand.New(rand.NewPCG(uint64(T*B*N), 3))
					n := B * N
					in := make([]float32, n)
					for i := range in {
						in[i] = float32(rng.Float64()*1.2 - 0.1)
					}
					rep := make([]float32, T*n)
					for s := range T {
						copy(rep[s*n:], in)
					}
					beta := []float32{0.9}
					thr := make([]float32, N)
					for i := range thr {
						thr[i] = 0.8 + 0.4*float32(rng.Float64())
					}
					seq := LIFScan{T: T, B: B, N: N, Beta: beta, Thr: thr, Reset: reset, ResetGrad: rg}
					con := seq
					con.ConstIn = true
					m1, s1 := make([]float32, T*n), make([]float32, T*n)
					m2, s2 := make([]float32, T*n), make([]float32, T*n)
					seq.Forward(rep, nil, nil, m1, s1)
					con.Forward(in, nil, nil, m2, s2)
					for i := range m1 {
						if m1[i] != m2[i] || s1[i] != s2[i] {
							t.Fatalf("forward element %d: %v/%v vs %v/%v", i, m1[i], s1[i], m2[i], s2[i])
						}
					}
					ds := make([]float32, T*n)
					for i := range ds {
						ds[i] = float32(rng.Float64()*2 - 1)
					}
					sg := make([]float32, T*n)
					for i := range sg {
						fastSigmoidSG.GradInto(sg[i:i+1], []float32{m1[i] - thr[i%N]})
					}
					g1 := LIFGrad{DSpk: ds, SG: sg, DIn: make([]float32, T*n), DBeta: make([]float32, 1), DThr: make([]float32, N)}
					seq.Backward(nil, nil, m1, s1, &g1)
					g2 := LIFGrad{DSpk: ds, SGFunc: fastSigmoidSG, DIn: make([]float32, n), DBeta: make([]float32, 1), DThr: make([]float32, N)}
					con.Backward(nil, nil, m2, s2, &g2)
					sum := make([]float32, n)
					for s := T - 1; s >= 0; s-- { // the kernel's order: from the last step back
						for i := range sum {
							if s == T-1 {
								sum[i] = g1.DIn[s*n+i]
							} else {
								sum[i] += g1.DIn[s*n+i]
							}
						}
					}
					for i := range sum {
						if sum[i] != g2.DIn[i] {
							t.Fatalf("dIn[%d]: repeated %v, constant %v", i, sum[i], g2.DIn[i])
						}
					}
					if g1.DBeta[0] != g2.DBeta[0] {
						t.Errorf("dBeta: %v vs %v", g1.DBeta[0], g2.DBeta[0])
					}
					for i := range thr {
						if g1.DThr[i] != g2.DThr[i] {
							t.Fatalf("dThr[%d]: %v vs %v", i, g1.DThr[i], g2.DThr[i])
						}
					}
				})
			}
		}
	}
}
