package optim_test

import (
	"math"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/optim"
)

// adamTol bounds the float32 rounding of one hand-checked Adam update of a
// value near 1: the update γ·m̂/(√v̂ + ε) ≈ 0.01 carries a relative error of a
// few float32 roundings (≈ 5·6e-8, so ≈ 3e-9 absolute) and the subtraction
// from θ ≈ 1 rounds by at most half an ulp of 1 (6e-8). 1.2e-7 (one ulp of 1)
// per update covers both.
const adamTol = 1.2e-7

// TestAdamHand follows three updates with β = (0.9, 0.999), γ = 0.01,
// ε = 1e-8 and the gradients g, −g, g, worked out from the equations of the
// Adam doc comment:
//
//	t = 1: m = 0.1g, v = 0.001g², m̂ = m/0.1 = g, v̂ = v/0.001 = g²: θ moves by −γ·sign(g)
//	       (times |g|/(|g| + ε), 1 − 2e-8 for |g| ≥ 0.5, below the tolerance).
//	t = 2: m = 0.09g − 0.1g = −0.01g, v = 0.000999g² + 0.001g² = 0.001999g²;
//	       1 − β₁² = 0.19, 1 − β₂² = 0.001999: m̂ = −g/19, v̂ = g²: θ moves by +γ·sign(g)/19.
//	t = 3: m = −0.009g + 0.1g = 0.091g, v = 0.001997001g² + 0.001g² = 0.002997001g²;
//	       1 − β₁³ = 0.271, 1 − β₂³ = 0.002997001: m̂ = (91/271)g, v̂ = g²:
//	       θ moves by −γ·(91/271)·sign(g).
func TestAdamHand(t *testing.T) {
	const lr = 0.01
	g := []float32{0.5, -2, 1, -0.75}
	p := param("w", 1, 1, -1, 0.5)
	theta := []float64{1, 1, -1, 0.5}
	o := must(optim.NewAdam([]*autograd.Param{p}, optim.AdamConfig{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}))
	moves := []float64{-1, 1.0 / 19, -91.0 / 271} // in units of γ·sign(g₁)
	for k, move := range moves {
		for i := range g {
			sign := float64(1 - 2*(k%2)) // gradients g, −g, g
			p.Grad[i] = float32(sign) * g[i]
			theta[i] += lr * move * math.Copysign(1, float64(g[i]))
		}
		o.Step()
		wantClose(t, "θ", p.Data, theta, adamTol*float64(k+1))
	}
}

// TestAdamWeightDecay checks that Adam adds λ·θ to the gradient (it reaches
// the moments) while AdamW shrinks θ by γ·λ·θ and leaves the moments alone.
// θ₀ = 2, g = 0.5, λ = 0.5, γ = 0.01, β = (0.9, 0.999):
//
//	Adam:  g' = 0.5 + 0.5·2 = 1.5, m = 0.1·1.5 = 0.15, v = 0.001·2.25 = 0.00225,
//	       θ₁ = 2 − γ·sign(g') = 1.99.
//	AdamW: m = 0.05, v = 0.00025, θ₁ = 2·(1 − 0.01·0.5) − γ·sign(g) = 1.99 − 0.01 = 1.98.
func TestAdamWeightDecay(t *testing.T) {
	cfg := optim.AdamConfig{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.5}
	p := param("w", 2)
	setGrad(t, p, 0.5)
	a := must(optim.NewAdam([]*autograd.Param{p}, cfg))
	a.Step()
	wantClose(t, "Adam θ", p.Data, []float64{1.99}, 2*adamTol)
	st := a.State().Params[0].Buffers
	// m and v come from float32(1 − β) and at most three float32 roundings:
	// relative error below 4·6e-8 = 2.4e-7 (rel below).
	const rel = 2.4e-7
	wantClose(t, "Adam exp_avg", st["exp_avg"], []float64{0.15}, rel*0.15)
	wantClose(t, "Adam exp_avg_sq", st["exp_avg_sq"], []float64{0.00225}, rel*0.00225)

	q := param("w", 2)
	setGrad(t, q, 0.5)
	w := must(optim.NewAdamW([]*autograd.Param{q}, cfg))
	w.Step()
	wantClose(t, "AdamW θ", q.Data, []float64{1.98}, 2*adamTol)
	st = w.State().Params[0].Buffers
	wantClose(t, "AdamW exp_avg", st["exp_avg"], []float64{0.05}, rel*0.05)
	wantClose(t, "AdamW exp_avg_sq", st["exp_avg_sq"], []float64{0.00025}, rel*0.00025)

	// With a zero gradient and zero moments (β₁ = 0 so m stays 0), AdamW is pure
	// decay: θ = 2·(1 − 0.005)ᵗ, while Adam's L2 gradient λ·θ makes it move.
	r := param("w", 2)
	cfg.Beta1 = optim.Zero
	w = must(optim.NewAdamW([]*autograd.Param{r}, cfg))
	for range 3 {
		w.Step()
	}
	// 2·0.995³ = 1.970149875; three roundings of values near 2 (2.4e-7 each).
	wantClose(t, "AdamW pure decay", r.Data, []float64{2 * 0.995 * 0.995 * 0.995}, 3*2.4e-7)
}

// TestAdamAMSGrad checks the running maximum. g = 2 then 0, γ = 0.01:
//
//	t = 1: m = 0.2, v = 0.004, v̂max = 0.004; θ moves by −γ.
//	t = 2: m = 0.18, v = 0.999·0.004 = 0.003996 < v̂max = 0.004; 1 − β₁² = 0.19,
//	       1 − β₂² = 0.001999:
//	       AMSGrad: θ moves by −γ·(0.18/0.19)/√(0.004/0.001999)   = −γ·(18/19)·√(1999/4000)
//	       Adam:    θ moves by −γ·(0.18/0.19)/√(0.003996/0.001999) = −γ·(18/19)·√(1999/3996)
func TestAdamAMSGrad(t *testing.T) {
	const lr = 0.01
	for _, ams := range []bool{true, false} {
		p := param("w", 1)
		o := must(optim.NewAdam([]*autograd.Param{p}, optim.AdamConfig{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, AMSGrad: ams}))
		setGrad(t, p, 2)
		o.Step()
		setGrad(t, p, 0)
		o.Step()
		want := 1 - lr - lr*18/19*math.Sqrt(1999.0/3996)
		if ams {
			want = 1 - lr - lr*18/19*math.Sqrt(1999.0/4000)
			wantClose(t, "max_exp_avg_sq", o.State().Params[0].Buffers["max_exp_avg_sq"], []float64{0.004}, 2.4e-7*0.004) // four float32 roundings at most
		}
		wantClose(t, "θ", p.Data, []float64{want}, 2*adamTol)
	}
}

// TestDefaults checks the documented PyTorch defaults.
func TestDefaults(t *testing.T) {
	if got, want := optim.DefaultAdam(), (optim.AdamConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}); got != want {
		t.Errorf("DefaultAdam() = %+v, want %+v", got, want)
	}
	if got, want := optim.DefaultAdamW(), (optim.AdamConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, Decoupled: true}); got != want {
		t.Errorf("DefaultAdamW() = %+v, want %+v", got, want)
	}
	if got, want := optim.DefaultSGD(), (optim.SGDConfig{LR: 1e-3}); got != want {
		t.Errorf("DefaultSGD() = %+v, want %+v", got, want)
	}
	for _, cfg := range []optim.AdamConfig{optim.DefaultAdam(), optim.DefaultAdamW()} {
		if err := cfg.Validate(); err != nil {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
}
