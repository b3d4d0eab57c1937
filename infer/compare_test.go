package infer_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/infer"
	"github.com/spikegrad/spikegrad/layers"
	"github.com/spikegrad/spikegrad/safetensors"
)

// export returns the exported model of a network built by package layers.
func export(net *layers.Sequential, steps int, enc infer.Encoding, readout string) *infer.Model {
	var ws []safetensors.Tensor
	for _, p := range net.Params() {
		ws = append(ws, safetensors.Tensor{Name: p.Name, Shape: p.Shape(), Data: append([]float32(nil), p.Data...)})
	}
	return &infer.Model{Arch: net.Model(), Weights: ws, Steps: steps, Encoding: enc, Readout: readout}
}

// u is the unit roundoff of float32, 2^-24.
const u = 1.0 / (1 << 24)

// gamma is Higham's γ_n = n·u/(1 - n·u): a float32 sum of n+1 terms, in any
// order, differs from the exact sum by at most γ_n times the sum of the
// terms' magnitudes (Higham, Accuracy and Stability of Numerical Algorithms,
// 2nd ed., eq. 3.5; a fused multiply-add has the same bound).
func gamma(n int) float64 { return float64(n) * u / (1 - float64(n)*u) }

// flip is a spike that differs between the training forward and the engine,
// with the margin |mem - thr| of the training membrane and the bound it had
// to lie within.
type flip struct {
	layer          string
	t, b, j        int
	margin, bound  float64
	ref, engineSpk float32
}

func (f flip) String() string {
	return fmt.Sprintf("%s step %d sample %d neuron %d: training spike %v, engine %v, |mem - thr| = %.3g <= bound %.3g",
		f.layer, f.t, f.b, f.j, f.ref, f.engineSpk, f.margin, f.bound)
}

// compare checks the engine's trace against the training forward's trace
// of the same batch, layer by layer and step by step (see
// TestEqualityMNIST for the rule). x is the network input ([B, F] when
// constant, else [T, B, F]). It returns the flips and, per sample, whether
// any of its spikes flipped; it reports every other difference as an error.
func compare(t *testing.T, net *layers.Sequential, ref *layers.Trace, eng *infer.Trace, x []float32, constant bool, T, B int) ([]flip, []bool) {
	t.Helper()
	var flips []flip
	flipped := make([]bool, B)
	// diverged[b] is the first step at which the input of the current layer
	// differs for sample b (T: never).
	diverged := make([]int, B)
	for b := range diverged {
		diverged[b] = T
	}
	in := x
	inConst := constant
	inN := len(x) / B
	if !constant {
		inN = len(x) / (T * B)
	}
	at := func(a []float32, isConst bool, n, tt, b, j int) float32 {
		if isConst {
			return a[b*n+j]
		}
		return a[(tt*B+b)*n+j]
	}
	for li, l := range net.Layers {
		rl, el := ref.Layers[li], eng.Layers[li]
		switch l.(type) {
		case *layers.Linear:
			// Linear outputs are compared through the neurons they feed; the
			// bound below recomputes the magnitudes of their terms.
		case *layers.LIF, *layers.Synaptic, *layers.LI:
			lin, ok := net.Layers[li-1].(*layers.Linear)
			if li == 0 || !ok {
				t.Fatalf("layer %d: the comparison handles neuron layers fed by a Linear", li)
			}
			N := lin.Out
			refCur := ref.Layers[li-1].Out.Data
			refCurConst := len(refCur) == B*N && T > 1
			var alpha, beta, thr []float32
			spiking := true
			switch n := l.(type) {
			case *layers.LIF:
				beta, thr = n.Beta.Data, n.Threshold.Data
			case *layers.Synaptic:
				alpha, beta, thr = n.Alpha.Data, n.Beta.Data, n.Threshold.Data
			case *layers.LI:
				beta, spiking = n.Beta.Data, false
			}
			par := func(p []float32, j int) float64 {
				if len(p) == 1 {
					return float64(p[0])
				}
				return float64(p[j])
			}
			// bound returns the largest |mem_ref - mem_engine| at step tt of
			// neuron j of sample b that float32 rounding can explain when the
			// two sum the layer's input current in different orders, from
			// the same input spikes and the same spike history:
			//   current: e_τ = 2·γ_{K}·S_τ, S_τ = Σ_k |h_k W_kj| + |b_j| (K = In + 1 terms)
			//   synaptic current (synaptic only): ε_τ = (1+2u)(α ε_{τ-1} + e_τ) + 4u(|α y_{τ-1}| + |y_τ|)
			//   membrane: δ_τ = (1+2u)(β δ_{τ-1} + ε_τ) + 6u(|β m_{τ-1}| + |y_τ| + thr + |m_τ|)
			// (each rounded operation of either computation adds at most u times
			// its result's magnitude; the terms are taken from the training
			// values, to first order in u).
			bound := func(tt, b, j int) float64 {
				var eps, delta, syn, mem float64
				bj := 0.0
				if lin.Bias != nil {
					bj = math.Abs(float64(lin.Bias.Data[j]))
				}
				K := lin.In + 1
				for tau := 0; tau <= tt; tau++ {
					S := bj
					for k := range lin.In {
						S += math.Abs(float64(at(in, inConst, inN, tau, b, k)) * float64(lin.Weight.Data[k*N+j]))
					}
					e := 2 * gamma(K) * S
					x := float64(at(refCur, refCurConst, N, tau, b, j))
					y := x
					if alpha != nil {
						a := par(alpha, j)
						ny := a*syn + x
						eps = (1+2*u)*(a*eps+e) + 4*u*(math.Abs(a*syn)+math.Abs(ny))
						syn, y = ny, ny
					} else {
						eps = e
					}
					m := float64(rl.Mem.Data[(tau*B+b)*N+j])
					be := par(beta, j)
					th := 0.0
					if thr != nil {
						th = par(thr, j)
					}
					delta = (1+2*u)*(be*delta+eps) + 6*u*(math.Abs(be*mem)+math.Abs(y)+th+math.Abs(m))
					mem = m
				}
				return delta
			}
			nextDiv := append([]int(nil), diverged...)
			for b := range B {
				self := make(map[int]int) // neuron -> step of its first flip
				for tt := range T {
					if tt >= diverged[b] {
						break // the input of this layer differs from here on
					}
					for j := range N {
						i := (tt*B+b)*N + j
						if spiking {
							rs, es := rl.Out.Data[i], el.Out[i]
							if rs == es {
								continue
							}
							if f, ok := self[j]; ok && tt > f {
								continue // this neuron's history already differs
							}
							th := par(thr, j)
							margin := math.Abs(float64(rl.Mem.Data[i]) - th)
							bd := bound(tt, b, j)
							if margin > bd {
								t.Errorf("%s step %d sample %d neuron %d: training spike %v, engine %v, mem %v (engine %v), threshold %v: |mem - thr| = %.3g exceeds the rounding bound %.3g",
									rl.Name, tt, b, j, rs, es, rl.Mem.Data[i], el.Mem[i], th, margin, bd)
							}
							flips = append(flips, flip{layer: rl.Name, t: tt, b: b, j: j, margin: margin, bound: bd, ref: rs, engineSpk: es})
							self[j] = tt
							flipped[b] = true
							nextDiv[b] = min(nextDiv[b], tt)
						} else {
							rm, em := float64(rl.Mem.Data[i]), float64(el.Mem[i])
							if rm == em {
								continue
							}
							if d, bd := math.Abs(rm-em), bound(tt, b, j); d > bd {
								t.Errorf("%s step %d sample %d neuron %d: membrane %v, engine %v: difference %.3g exceeds the rounding bound %.3g",
									rl.Name, tt, b, j, rm, em, d, bd)
							}
						}
					}
				}
			}
			diverged = nextDiv
			in, inConst, inN = rl.Out.Data, false, N
		default:
			t.Fatalf("layer %d: unknown kind %T", li, l)
		}
	}
	return flips, flipped
}

// forwardRef runs the training forward pass on x and returns its trace,
// valid until the tape's Reset.
func forwardRef(tape *autograd.Tape, net *layers.Sequential, x []float32, constant, binary bool, T, B, F int) *layers.Trace {
	var v *autograd.Var
	if constant {
		v = tape.Constant(x, B, F)
	} else {
		v = tape.Constant(x, T, B, F)
		if binary {
			v.SetBinary()
		}
	}
	return net.Forward(tape, v, T)
}
