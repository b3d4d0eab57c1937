package infer

import (
	"math"

	"github.com/spikegrad/spikegrad/internal/kernels"
)

// The neuron updates of the alif, plif and adlif kinds, one time step of B
// samples (the equations are layers.ALIF's, layers.PLIF's and
// layers.AdLIF's). Every
// product and sum is rounded to float32 on its own, in the order of the
// training side's tape ops, so that both compute the same bits; the
// explicit conversions keep the compiler from fusing a multiply and an add.

// param returns the value of a [1] or [n] neuron parameter for neuron j.
func param(p []float32, j int) float32 { return p[min(j, len(p)-1)] }

// alifStep advances an alif layer: x is the input current [B*N]; a, mem,
// spk the state after the last step; aN, memN, spkN receive the new one.
func alifStep(l *layer, x, a, mem, spk, aN, memN, spkN []float32) {
	n := l.out
	for i := range x {
		j := i % n
		r := spk[i]
		ai := float32(a[i]*param(l.rho, j)) + r                // a[t] = rho·a[t-1] + S[t-1]
		thr := float32(ai*param(l.adapt, j)) + param(l.thr, j) // thr[t] = b0 + beta_a·a[t]
		m := float32(mem[i] * param(l.beta, j))
		if l.reset == kernels.ResetZero {
			m = float32(m * (1 - r))
		}
		m += x[i]
		if l.reset == kernels.ResetSubtract {
			m -= float32(r * thr)
		}
		aN[i], memN[i] = ai, m
		spkN[i] = 0
		if float32(m-thr) > 0 {
			spkN[i] = 1
		}
	}
}

// plifStep advances a plif layer: v = mem[t-1] after the reset, then
// mem[t] = v + k·(x[t] - v).
func plifStep(l *layer, x, mem, spk, memN, spkN []float32) {
	n := l.out
	for i := range x {
		j := i % n
		r, thr, v := spk[i], param(l.thr, j), mem[i]
		switch l.reset {
		case kernels.ResetSubtract:
			v -= float32(r * thr)
		case kernels.ResetZero:
			v = float32(v * (1 - r))
		}
		m := v + float32(float32(x[i]-v)*param(l.k, j))
		memN[i] = m
		spkN[i] = 0
		if float32(m-thr) > 0 {
			spkN[i] = 1
		}
	}
}

// adlifParams are an adlif layer's per-neuron parameters, clamped to their
// ranges, [1] or [out].
type adlifParams struct{ alpha, beta, a, b []float32 }

// adlifStep advances an adlif layer: x is the input current [B*N]; u, w,
// spk the state after the last step (membrane, adaptation current,
// spikes); uN, wN, spkN receive the new one.
func adlifStep(l *layer, x, u, w, spk, uN, wN, spkN []float32) {
	n, p := l.out, l.ad
	for i := range x {
		j := i % n
		r, thr, al := spk[i], param(l.thr, j), param(p.alpha, j)
		// w[t] = beta·w[t-1] + a·u[t-1] + b·S[t-1]
		wv := float32(float32(w[i]*param(p.beta, j))+float32(u[i]*param(p.a, j))) + float32(r*param(p.b, j))
		// u[t] = alpha·(u[t-1] - thr·S[t-1]) + (1 - alpha)·(x[t] - w[t])
		v := u[i] - float32(r*thr)
		m := float32(v*al) + float32(float32(x[i]-wv)*(1-al))
		wN[i], uN[i] = wv, m
		spkN[i] = 0
		if float32(m-thr) > 0 {
			spkN[i] = 1
		}
	}
}

// sigmoid is 1/(1 + e^-x) computed as package autograd's Sigmoid computes
// it, so that a plif layer's decay has the training side's bits.
func sigmoid(x float32) float32 {
	if x >= 0 {
		return float32(1 / (1 + math.Exp(-float64(x))))
	}
	e := math.Exp(float64(x))
	return float32(e / (1 + e))
}
