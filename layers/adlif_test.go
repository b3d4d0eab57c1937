package layers

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/surrogate"
)

// fixedAdLIF is an AdLIF config whose four parameters are the given values
// (clamp ranges of one point, so the uniform draw gives the value itself).
func fixedAdLIF(alpha, beta, a, b float32) AdLIFConfig {
	return AdLIFConfig{Alpha: [2]float32{alpha, alpha}, Beta: [2]float32{beta, beta}, A: [2]float32{a, a}, B: [2]float32{b, b}}
}

// TestAdLIFHandTrajectory: alpha = beta = a = 0.5, b = 1, threshold 1, a
// constant input of 2 (every value exact in binary). By hand, from
// w[t] = 0.5·w[t-1] + 0.5·u[t-1] + S[t-1] and
// u[t] = 0.5·(u[t-1] - S[t-1]) + 0.5·(2 - w[t]):
//
//	t  w[t]                              u[t]                                S
//	0  0                                 0.5·2 = 1                           0 (not above 1)
//	1  0.5·1 = 0.5                       0.5 + 0.5·1.5 = 1.25                1
//	2  0.25 + 0.625 + 1 = 1.875          0.5·0.25 + 0.5·0.125 = 0.1875       0
//	3  0.9375 + 0.09375 = 1.03125        0.09375 + 0.484375 = 0.578125       0
//	4  0.515625 + 0.2890625 = 0.8046875  0.2890625 + 0.59765625 = 0.88671875 0
//
// The adaptation current pulls the membrane down after the spike, and the
// same holds for RadLIF with a recurrent weight of zero.
func TestAdLIFHandTrajectory(t *testing.T) {
	c := fixedAdLIF(0.5, 0.5, 0.5, 1)
	wantMem := []float64{1, 1.25, 0.1875, 0.578125, 0.88671875}
	wantSpk := []float32{0, 1, 0, 0, 0}
	trajectory(t, "adlif", NewAdLIF("ad", 1, c), 2, wantMem, wantSpk)
	trajectory(t, "radlif", NewRadLIF("rad", 1, c), 2, wantMem, wantSpk) // V [1, 1]: its diagonal, zero
	l := NewAdLIF("ad", 1, c)
	tp := autograd.NewTape()
	_, _, s := l.Run(tp, tp.Constant([]float32{2, 2, 2}, 3, 1, 1), AdLIFState{})
	if s.W.Data[0] != 1.875 || s.Mem.Data[0] != 0.1875 || s.Spk.Data[0] != 0 {
		t.Errorf("state after 3 steps: w %v u %v S %v, want 1.875 0.1875 0", s.W.Data, s.Mem.Data, s.Spk.Data)
	}
}

// TestAdLIFDefaults checks sparch's defaults (Bittar and Garner 2022,
// sparch/models/snns.py adLIFLayer): threshold 1, the boxcar surrogate,
// alpha in [e^-1/5, e^-1/25], beta in [e^-1/30, e^-1/120], a in [-1, 1],
// b in [0, 2], each drawn per neuron inside its range and trained, the
// threshold shared and fixed.
func TestAdLIFDefaults(t *testing.T) {
	l := NewAdLIF("h", 200, AdLIFConfig{})
	if l.Config.Threshold != 1 || l.Config.Surrogate != (surrogate.Boxcar{}) || l.Threshold.Len() != 1 || !l.Threshold.Frozen {
		t.Errorf("config %+v, threshold %v frozen %v", l.Config, l.Threshold.Data, l.Threshold.Frozen)
	}
	ranges := map[string][2]float64{
		"h.alpha": {math.Exp(-1.0 / 5), math.Exp(-1.0 / 25)}, "h.beta": {math.Exp(-1.0 / 30), math.Exp(-1.0 / 120)},
		"h.a": {-1, 1}, "h.b": {0, 2},
	}
	for _, p := range l.Params()[:4] {
		r := ranges[p.Name]
		lo, hi := float32(r[0]), float32(r[1])
		mn, mx := p.Data[0], p.Data[0]
		for _, v := range p.Data {
			mn, mx = min(mn, v), max(mx, v)
		}
		// 200 uniform draws: the extremes lie within 5 % of the range's
		// ends with probability 1 - 2·0.95^200 > 0.9999.
		if p.Len() != 200 || p.Frozen || mn < lo || mx > hi || mn > lo+0.05*(hi-lo) || mx < hi-0.05*(hi-lo) {
			t.Errorf("%s: len %d frozen %v, values in [%v, %v], want spread over [%v, %v]", p.Name, p.Len(), p.Frozen, mn, mx, lo, hi)
		}
	}
	// The recurrent weight: orthogonal before its diagonal is cleared.
	q := make([]float32, 16*16)
	orthogonal(q, 16, rand.New(rand.NewPCG(1, 2)))
	for i := range 16 {
		for j := range 16 {
			var d float64
			for k := range 16 {
				d += float64(q[i*16+k]) * float64(q[j*16+k])
			}
			want := 0.0
			if i == j {
				want = 1
			}
			// float32 rounding of 16 entries: well below 1e-5.
			if math.Abs(d-want) > 1e-5 {
				t.Fatalf("Q·Qᵀ[%d, %d] = %v, want %v", i, j, d, want)
			}
		}
	}
	r := NewRadLIF("r", 8, AdLIFConfig{})
	for i := range 8 {
		if r.V.Data[i*8+i] != 0 {
			t.Fatalf("V[%d, %d] = %v, want 0", i, i, r.V.Data[i*8+i])
		}
	}
}

// TestRadLIFDiagonal: the recurrent weight's diagonal has no effect and
// gets no gradient, while the other weights get one.
func TestRadLIFDiagonal(t *testing.T) {
	l := NewRadLIF("r", 3, AdLIFConfig{Threshold: 0.1, Surrogate: surrogate.FastSigmoid{Slope: 5}})
	rng := rand.New(rand.NewPCG(3, 4))
	x := randSlice(rng, 6*2*3, 0, 1)
	run := func() []float32 {
		l.V.ZeroGrad()
		tp := autograd.NewTape()
		_, mem := l.Scan(tp, tp.Constant(x, 6, 2, 3))
		tp.Backward(tp.SumAll(mem))
		return mem.Data
	}
	before := append([]float32(nil), run()...)
	var off float32
	for i := range 3 {
		if g := l.V.Grad[i*3+i]; g != 0 {
			t.Errorf("dV[%d, %d] = %v, want 0", i, i, g)
		}
		off += float32(math.Abs(float64(l.V.Grad[i*3+(i+1)%3])))
	}
	if off == 0 {
		t.Error("no gradient reached the off-diagonal recurrent weights")
	}
	for i := range 3 {
		l.V.Data[i*3+i] = 5
	}
	after := run()
	for i := range before {
		if before[i] != after[i] {
			t.Fatalf("a diagonal weight changed the membrane %d: %v to %v", i, before[i], after[i])
		}
	}
}

// TestAdLIFBoxcar checks the default surrogate in the fused backward: one
// step from rest, u = (1 - alpha)·x, so dS/dx = (1 - alpha)·1 where
// |u - 1| < 0.5 and 0 elsewhere (the boxcar of height 1 and half-width 0.5).
func TestAdLIFBoxcar(t *testing.T) {
	l := NewAdLIF("h", 4, fixedAdLIF(0.5, 0.9, 0.5, 1))
	x := autograd.NewParam("x", []float32{0.8, 1.2, 2.9, 3.2}, 1, 1, 4) // u = 0.4, 0.6, 1.45, 1.6
	tp := autograd.NewTape()
	spk, _ := l.Scan(tp, tp.Param(x))
	tp.Backward(tp.SumAll(spk))
	for i, want := range []float32{0, 0.5, 0.5, 0} {
		if x.Grad[i] != want {
			t.Errorf("dS/dx[%d] = %v, want %v", i, x.Grad[i], want)
		}
	}
}

// TestAdLIFConfigErrors checks that bad values name the layer and the field,
// from the constructors and from a model file.
func TestAdLIFConfigErrors(t *testing.T) {
	cases := []struct {
		f    func()
		want string
	}{
		{func() { NewAdLIF("h", 0, AdLIFConfig{}) }, `layers: adlif "h": n = 0: must be positive`},
		{func() { NewAdLIF("h", 2, AdLIFConfig{Threshold: -1}) }, `layers: adlif "h": threshold = -1: must be positive and finite`},
		{func() { NewAdLIF("h", 2, AdLIFConfig{Alpha: [2]float32{0.9, 0.8}}) },
			`layers: adlif "h": alpha = [0.9 0.8]: is an empty clamp range (lo > hi)`},
		{func() { NewAdLIF("h", 2, AdLIFConfig{Beta: [2]float32{0.5, 1.5}}) }, `layers: adlif "h": beta = [0.5 1.5]: must lie in [0, 1]`},
		{func() { NewAdLIF("h", 2, AdLIFConfig{A: [2]float32{float32(math.Inf(-1)), 0}}) }, `layers: adlif "h": a = [-Inf 0]: must be finite`},
		{func() { NewAdLIF("h", 2, AdLIFConfig{B: [2]float32{-1, 1}}) }, `layers: adlif "h": b = [-1 1]: must be non-negative and finite`},
		{func() { NewAdLIF("h", 2, AdLIFConfig{B: [2]float32{float32(math.NaN()), 1}}) }, `layers: adlif "h": b = [NaN 1]: must be numbers, not NaN`},
		{func() { NewRadLIF("r", 2, AdLIFConfig{Alpha: [2]float32{0.5, 0.4}}) },
			`layers: radlif "r": alpha = [0.5 0.4]: is an empty clamp range (lo > hi)`},
		{func() { NewRadLIF("r", 2, AdLIFConfig{Surrogate: surrogate.Boxcar{HalfWidth: -1}}) },
			`layers: radlif "r": surrogate: Boxcar: HalfWidth = -1: must be positive and finite (0 selects the default)`},
	}
	for _, c := range cases {
		if err := configPanic(t, c.f); err == nil || err.Error() != c.want {
			t.Errorf("panic %v\nwant  %s", err, c.want)
		}
	}
	p := NewAdLIF("h", 2, AdLIFConfig{}).Config.spec(2)
	p.A = [2]float32{1, -1}
	_, err := Build(&model.Model{Format: model.Format, Layers: []model.Layer{model.NewLayer("h", model.RadLIF{AdLIF: p})}}, nil)
	var le *model.LayerError
	want := `model: layer 0 "h" (radlif): a = [1 -1]: is an empty clamp range (lo > hi)`
	if !errors.As(err, &le) || err.Error() != want {
		t.Errorf("Build: %v\nwant   %s", err, want)
	}
}
