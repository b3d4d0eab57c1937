package optim_test

import (
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/optim"
)

// TestSGDHand checks three updates of θ₀ = 1 under a constant gradient
// g = 0.5 with γ = 0.5 against values worked out by hand from the equations
// of the SGD doc comment. All numbers are dyadic fractions, so float32
// computes them exactly and the comparison is exact.
func TestSGDHand(t *testing.T) {
	cases := []struct {
		name string
		cfg  optim.SGDConfig
		want [3]float32
		buf  [3]float32 // momentum buffer after each update
	}{
		// θ ← θ − 0.5·0.5: 1 → 0.75 → 0.5 → 0.25.
		{"plain", optim.SGDConfig{LR: 0.5}, [3]float32{0.75, 0.5, 0.25}, [3]float32{}},
		// μ = 0.5: b₁ = g = 0.5, θ₁ = 1 − 0.25 = 0.75; b₂ = 0.25 + 0.5 = 0.75,
		// θ₂ = 0.75 − 0.375 = 0.375; b₃ = 0.375 + 0.5 = 0.875, θ₃ = 0.375 − 0.4375 = −0.0625.
		{"momentum", optim.SGDConfig{LR: 0.5, Momentum: 0.5},
			[3]float32{0.75, 0.375, -0.0625}, [3]float32{0.5, 0.75, 0.875}},
		// μ = 0.5, τ = 0.5: b₁ = g = 0.5 (no dampening on the first update), θ₁ = 0.75;
		// b₂ = 0.25 + 0.5·0.5 = 0.5, θ₂ = 0.75 − 0.25 = 0.5; b₃ = 0.25 + 0.25 = 0.5, θ₃ = 0.25.
		{"dampening", optim.SGDConfig{LR: 0.5, Momentum: 0.5, Dampening: 0.5},
			[3]float32{0.75, 0.5, 0.25}, [3]float32{0.5, 0.5, 0.5}},
		// Nesterov, μ = 0.5: b₁ = 0.5, g' = 0.5 + 0.25 = 0.75, θ₁ = 1 − 0.375 = 0.625;
		// b₂ = 0.75, g' = 0.5 + 0.375 = 0.875, θ₂ = 0.625 − 0.4375 = 0.1875;
		// b₃ = 0.875, g' = 0.5 + 0.4375 = 0.9375, θ₃ = 0.1875 − 0.46875 = −0.28125.
		{"nesterov", optim.SGDConfig{LR: 0.5, Momentum: 0.5, Nesterov: true},
			[3]float32{0.625, 0.1875, -0.28125}, [3]float32{0.5, 0.75, 0.875}},
		// λ = 0.5: g' = 0.5 + 0.5·1 = 1, θ₁ = 0.5; g' = 0.5 + 0.25 = 0.75, θ₂ = 0.5 − 0.375 = 0.125;
		// g' = 0.5 + 0.0625 = 0.5625, θ₃ = 0.125 − 0.28125 = −0.15625.
		{"weight decay", optim.SGDConfig{LR: 0.5, WeightDecay: 0.5},
			[3]float32{0.5, 0.125, -0.15625}, [3]float32{}},
		// λ = 0.5, μ = 0.5: g' = 1, b₁ = 1, θ₁ = 0.5; g' = 0.75, b₂ = 0.5 + 0.75 = 1.25,
		// θ₂ = 0.5 − 0.625 = −0.125; g' = 0.5 − 0.0625 = 0.4375, b₃ = 0.625 + 0.4375 = 1.0625,
		// θ₃ = −0.125 − 0.53125 = −0.65625.
		{"weight decay and momentum", optim.SGDConfig{LR: 0.5, Momentum: 0.5, WeightDecay: 0.5},
			[3]float32{0.5, -0.125, -0.65625}, [3]float32{1, 1.25, 1.0625}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The second element mirrors the first: θ₀ = −1, g = −0.5 give the negated values.
			p := param("w", 1, -1)
			o := must(optim.NewSGD([]*autograd.Param{p}, c.cfg))
			for k := range 3 {
				setGrad(t, p, 0.5, -0.5)
				o.Step()
				wantExact(t, "θ", p.Data, c.want[k], -c.want[k])
				wantExact(t, "grad (must stay as given)", p.Grad, 0.5, -0.5)
				st := o.State()
				if got := st.Params[0].Step; got != int64(k+1) {
					t.Errorf("step count %d after %d updates", got, k+1)
				}
				if c.cfg.Momentum != 0 {
					wantExact(t, "momentum_buffer", st.Params[0].Buffers["momentum_buffer"], c.buf[k], -c.buf[k])
				} else if len(st.Params[0].Buffers) != 0 {
					t.Errorf("buffers %v without momentum", st.Params[0].Buffers)
				}
			}
		})
	}
}
