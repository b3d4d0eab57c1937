package infer

import (
	"math"

	"github.com/spikegrad/spikegrad/model"
)

// bnLayer is a batchnorm layer of an Engine, in inference mode: per channel
// (and, in mode per_step, per time step) the affine map of the running
// statistics, y = (x − μ)·a + b, with
//
//	a = γ·k / √(running_var + eps),  μ = running_mean,  b = β
//
// (k = alpha·threshold in mode tdbn, else 1), computed in float64 and
// rounded once to float32, as layers.BatchNorm computes it in inference
// mode, so that both give the same bits.
type bnLayer struct {
	c, s     int       // channels, values per channel
	steps    int       // per_step: the steps with their own statistics; 0 otherwise
	mu, a, b []float64 // [steps or 1, C]
}

func newBN(c *model.BatchNorm, gamma, beta, mean, variance []float32) *bnLayer {
	l := &bnLayer{c: c.Channels, s: c.N / c.Channels}
	k := 1.0
	switch c.Mode {
	case model.BNPerStep:
		l.steps = c.Steps
	case model.BNTD:
		k = float64(c.Alpha) * float64(c.Threshold)
	}
	eps := float64(c.Eps)
	l.mu, l.a, l.b = make([]float64, len(gamma)), make([]float64, len(gamma)), make([]float64, len(gamma))
	for p, g := range gamma {
		inv := 1 / math.Sqrt(float64(variance[p])+eps)
		l.mu[p], l.a[p] = float64(mean[p]), float64(g)*k*inv
		if beta != nil {
			l.b[p] = float64(beta[p%l.c])
		}
	}
	return l
}

// run normalises the B frames of x [B, C·S] at step t into out. A per_step
// layer uses step t's statistics; past its last step it keeps the last
// (the training side refuses such a sequence; a stream may run longer).
func (l *bnLayer) run(out, x []float32, B, t int) {
	p := 0
	if l.steps > 0 {
		p = min(t, l.steps-1) * l.c
	}
	f := l.c * l.s
	for r := range B {
		for c := range l.c {
			mu, a, b := l.mu[p+c], l.a[p+c], l.b[p+c]
			lo := r*f + c*l.s
			y := out[lo : lo+l.s]
			for i, v := range x[lo : lo+l.s] {
				y[i] = float32(float64((float64(v)-mu)*a) + b)
			}
		}
	}
}
