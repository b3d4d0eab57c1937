package optim_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/optim"
)

// refSGD is one update of torch.optim.SGD in float64, written from the
// published equations (the SGD doc comment): θ, b and g are one Param's
// values, buffer and gradient; t is the update number, from 1.
func refSGD(c optim.SGDConfig, theta, b, g []float64, t int) {
	for i := range theta {
		d := g[i] + c.WeightDecay*theta[i]
		if c.Momentum != 0 {
			if t == 1 {
				b[i] = d
			} else {
				b[i] = c.Momentum*b[i] + (1-c.Dampening)*d
			}
			if c.Nesterov {
				d += c.Momentum * b[i]
			} else {
				d = b[i]
			}
		}
		theta[i] -= c.LR * d
	}
}

// refAdam is one update of torch.optim.Adam (decoupled false) or AdamW
// (decoupled true) in float64, from the published equations.
func refAdam(c optim.AdamConfig, decoupled bool, theta, m, v, vmax, g []float64, t int) {
	bc1 := 1 - math.Pow(c.Beta1, float64(t))
	bc2 := 1 - math.Pow(c.Beta2, float64(t))
	for i := range theta {
		d := g[i]
		if decoupled {
			theta[i] *= 1 - c.LR*c.WeightDecay
		} else {
			d += c.WeightDecay * theta[i]
		}
		m[i] = c.Beta1*m[i] + (1-c.Beta1)*d
		v[i] = c.Beta2*v[i] + (1-c.Beta2)*d*d
		vv := v[i]
		if c.AMSGrad {
			vmax[i] = math.Max(vmax[i], v[i])
			vv = vmax[i]
		}
		theta[i] -= c.LR / bc1 * m[i] / (math.Sqrt(vv)/math.Sqrt(bc2) + c.Eps)
	}
}

// TestTrajectories runs every optimizer variant for 20 updates on two Params
// of 64 values from N(0, 1) with fresh N(0, 1) gradients (scaled by 10 for
// the second Param) and compares with the float64 recurrences above, fed the
// same float32 gradients.
//
// Tolerance: each float32 operation errs by at most 2⁻²⁴ ≈ 6e-8 relative.
// An update of θ (|θ| ≲ 5 after 20 steps) rounds θ once (≤ 3e-7 absolute) and
// the step (≲ γ·|g|·few, relative error ≲ 10 roundings); the hyperparameters
// themselves are rounded to float32 (relative 3e-8). SGD's and Adam's maps
// contract or barely expand errors in θ (Adam's step does not depend on θ
// without weight decay; coupled decay multiplies the error by 1 − γλ·O(1)),
// so after 20 updates the error is at most about 20·(3e-7 + γ·|g|·6e-7).
// With γ|g| ≲ 1 that is ≲ 2e-5, and the relative bound 2e-5·(1 + |θ|) below
// is what we assert. The measured worst error, 9.3e-7·(1 + |θ|), is about
// twenty times smaller (reported in verbose mode).
func TestTrajectories(t *testing.T) {
	sgd := []optim.SGDConfig{
		{LR: 0.05},
		{LR: 0.05, WeightDecay: 0.1},
		{LR: 0.02, Momentum: 0.9},
		{LR: 0.02, Momentum: 0.9, Dampening: 0.3, WeightDecay: 0.05},
		{LR: 0.02, Momentum: 0.9, Nesterov: true, WeightDecay: 0.01},
	}
	// The configs below mean their values literally, 0 included: the
	// reference reads them so, and the optimizers get them through Exactly.
	adam := []optim.AdamConfig{
		optim.DefaultAdam(),
		{LR: 0.05, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6},
		{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1},
		{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1, AMSGrad: true},
		{LR: 0.01, Beta1: 0, Beta2: 0.5, Eps: 1e-3},
	}
	type variant struct {
		name string
		make func(ps []*autograd.Param) optim.Optimizer
		ref  func(theta, s1, s2, s3, g []float64, t int)
	}
	var vs []variant
	for _, c := range sgd {
		exact := optim.SGDConfig{LR: c.LR, Momentum: optim.Exactly(c.Momentum), Dampening: optim.Exactly(c.Dampening),
			WeightDecay: optim.Exactly(c.WeightDecay), Nesterov: c.Nesterov}
		vs = append(vs, variant{fmt.Sprintf("SGD %+v", c), func(ps []*autograd.Param) optim.Optimizer { return must(optim.NewSGD(ps, exact)) },
			func(theta, b, _, _, g []float64, t int) { refSGD(c, theta, b, g, t) }})
	}
	for _, c := range adam {
		exact := optim.AdamConfig{LR: c.LR, Beta1: optim.Exactly(c.Beta1), Beta2: optim.Exactly(c.Beta2), Eps: c.Eps,
			WeightDecay: optim.Exactly(c.WeightDecay), AMSGrad: c.AMSGrad}
		vs = append(vs, variant{fmt.Sprintf("Adam %+v", c), func(ps []*autograd.Param) optim.Optimizer { return must(optim.NewAdam(ps, exact)) },
			func(theta, m, v, vmax, g []float64, t int) { refAdam(c, false, theta, m, v, vmax, g, t) }})
		vs = append(vs, variant{fmt.Sprintf("AdamW %+v", c), func(ps []*autograd.Param) optim.Optimizer { return must(optim.NewAdamW(ps, exact)) },
			func(theta, m, v, vmax, g []float64, t int) { refAdam(c, true, theta, m, v, vmax, g, t) }})
	}
	const n, steps = 64, 20
	worst := 0.0
	for k, vr := range vs {
		rng := rand.New(rand.NewPCG(7, uint64(k)))
		ps := []*autograd.Param{randParam(rng, "a", n), randParam(rng, "b", n)}
		scale := []float32{1, 10}
		o := vr.make(ps)
		type ref struct{ theta, s1, s2, s3, g []float64 }
		refs := make([]ref, len(ps))
		for j, p := range ps {
			r := ref{make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)}
			for i, x := range p.Data {
				r.theta[i] = float64(x)
			}
			refs[j] = r
		}
		for step := 1; step <= steps; step++ {
			for j, p := range ps {
				for i := range p.Grad {
					p.Grad[i] = scale[j] * float32(rng.NormFloat64())
					refs[j].g[i] = float64(p.Grad[i])
				}
				r := refs[j]
				vr.ref(r.theta, r.s1, r.s2, r.s3, r.g, step)
			}
			o.Step()
		}
		for j, p := range ps {
			for i, x := range p.Data {
				want := refs[j].theta[i]
				d := math.Abs(float64(x) - want)
				worst = max(worst, d/(1+math.Abs(want)))
				if d > 2e-5*(1+math.Abs(want)) {
					t.Errorf("%s: %s[%d] = %.9g after %d steps, float64 reference %.9g", vr.name, p.Name, i, x, steps, want)
				}
			}
		}
	}
	t.Logf("worst error relative to 1+|θ|: %.3g", worst)
}
