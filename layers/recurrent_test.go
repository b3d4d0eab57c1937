package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/internal/kernels"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/surrogate"
)

// The gradient checks of the recurrent layers (Step against Run, Step
// against finite differences through the recurrence) are the cases rlif/...
// and rsynaptic/... of neuronCases.

func near(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	for i, w := range want {
		if math.Abs(float64(got[i])-w) > 1e-6 {
			t.Fatalf("%s: %v, want %v", what, got, want)
		}
	}
}

// TestRLIFHandTrajectory: beta 0.5, threshold 1, reset by subtraction.
func TestRLIFHandTrajectory(t *testing.T) {
	tp := autograd.NewTape()
	// One to one, v = 0.5, a constant input of 0.6, by hand:
	//	mem[0] = 0.6                          S = 0
	//	mem[1] = 0.3 + 0.6          = 0.9     S = 0
	//	mem[2] = 0.45 + 0.6         = 1.05    S = 1
	//	mem[3] = 0.525 + 0.6 + 0.5 - 1 = 0.625 S = 0
	//	mem[4] = 0.3125 + 0.6       = 0.9125  S = 0
	one := NewRLIF("r", 1, LIFConfig{Beta: 0.5, Threshold: 1}, RecurrentConfig{OneToOne: true})
	one.V.Data[0] = 0.5
	spk, mem := one.Scan(tp, tp.Constant([]float32{0.6, 0.6, 0.6, 0.6, 0.6}, 5, 1, 1))
	near(t, "one to one: mem", mem.Data, []float64{0.6, 0.9, 1.05, 0.625, 0.9125})
	near(t, "one to one: spk", spk.Data, []float64{0, 0, 1, 0, 0})

	// All to all, two neurons, V[0][1] = 1.2 (neuron 0's spike reaches
	// neuron 1), every other weight 0; input 1.5 to neuron 0 at t = 0 only:
	//	t = 0: mem = [1.5, 0]                       S = [1, 0]
	//	t = 1: mem = [0.75 - 1, 0 + 1.2] = [-0.25, 1.2]  S = [0, 1]
	//	t = 2: mem = [-0.125, 0.6 - 1] = [-0.125, -0.4]  S = [0, 0]
	all := NewRLIF("r", 2, LIFConfig{Beta: 0.5, Threshold: 1}, RecurrentConfig{})
	copy(all.V.Data, []float32{0, 1.2, 0, 0})
	spk, mem = all.Scan(tp, tp.Constant([]float32{1.5, 0, 0, 0, 0, 0}, 3, 1, 2))
	near(t, "all to all: mem", mem.Data, []float64{1.5, 0, -0.25, 1.2, -0.125, -0.4})
	near(t, "all to all: spk", spk.Data, []float64{1, 0, 0, 1, 0, 0})
}

// TestRSynapticHandTrajectory: alpha 0.5, beta 0.5, threshold 1, one to
// one with v = 2, input 1.5 at t = 0 only. By hand:
//
//	t = 0: syn = 1.5                   mem = 1.5                    S = 1
//	t = 1: syn = 0.75 + 2    = 2.75    mem = 0.75 + 2.75 - 1 = 2.5   S = 1
//	t = 2: syn = 1.375 + 2   = 3.375   mem = 1.25 + 3.375 - 1 = 3.625
func TestRSynapticHandTrajectory(t *testing.T) {
	l := NewRSynaptic("rs", 1, SynapticConfig{LIFConfig: LIFConfig{Beta: 0.5, Threshold: 1}, Alpha: 0.5}, RecurrentConfig{OneToOne: true})
	l.V.Data[0] = 2
	tp := autograd.NewTape()
	spk, mem, next := l.Run(tp, tp.Constant([]float32{1.5, 0, 0}, 3, 1, 1), SynapticState{})
	near(t, "mem", mem.Data, []float64{1.5, 2.5, 3.625})
	near(t, "spk", spk.Data, []float64{1, 1, 1})
	near(t, "final syn", next.Syn.Data, []float64{3.375})
}

// TestRecurrentDefaults: the one-to-one weights start at 1 (snnTorch's
// V = 1.0); the all-to-all weights as nn.Linear(N, N), within ±1/√N.
func TestRecurrentDefaults(t *testing.T) {
	one := NewRLIF("r", 4, LIFConfig{Beta: 0.9}, RecurrentConfig{OneToOne: true})
	if len(one.V.Data) != 4 || one.V.Frozen || one.V.Data[2] != 1 || one.Config.Threshold != 1 {
		t.Errorf("one to one: V %v (frozen %v), threshold %v", one.V.Data, one.V.Frozen, one.Config.Threshold)
	}
	all := NewRSynaptic("r", 16, SynapticConfig{}, RecurrentConfig{})
	if len(all.V.Data) != 256 || all.V.Name != "r.recurrent" {
		t.Fatalf("all to all: %d weights named %s", len(all.V.Data), all.V.Name)
	}
	for _, v := range all.V.Data {
		if math.Abs(float64(v)) > 0.25 { // 1/√16
			t.Fatalf("all to all: weight %v outside ±0.25", v)
		}
	}
}

// TestRecurrentConfigErrors: bad values name the layer, its kind and the
// field, from the constructors and from Build.
func TestRecurrentConfigErrors(t *testing.T) {
	cases := []struct {
		f    func()
		want string
	}{
		{func() { NewRLIF("rec", 3, LIFConfig{Beta: 2}, RecurrentConfig{}) }, `layers: rlif "rec": beta = 2: must be in [0, 1]`},
		{func() { NewRLIF("rec", 0, LIFConfig{Beta: 0.5}, RecurrentConfig{}) }, `layers: rlif "rec": n = 0: must be positive`},
		{func() { NewRLIF("rec", 3, LIFConfig{Beta: 0.5, Reset: 9}, RecurrentConfig{OneToOne: true}) },
			`layers: rlif "rec": reset = "ResetMode(9)": must be one of subtract, zero, none`},
		{func() {
			NewRLIF("rec", 3, LIFConfig{Beta: 0.5, Surrogate: surrogate.Atan{Alpha: -1}}, RecurrentConfig{})
		},
			`layers: rlif "rec": surrogate: Atan: Alpha = -1: must be positive and finite (0 selects the default)`},
		{func() {
			NewRSynaptic("rs", 3, SynapticConfig{LIFConfig: LIFConfig{Beta: 0.5}, Alpha: -1}, RecurrentConfig{})
		}, `layers: rsynaptic "rs": alpha = -1: must be in [0, 1]`},
		{func() {
			NewRSynaptic("rs", 3, SynapticConfig{LIFConfig: LIFConfig{Beta: 0.5, Threshold: float32(math.NaN())}}, RecurrentConfig{})
		}, `layers: rsynaptic "rs": threshold = NaN: must be positive and finite`},
	}
	for _, c := range cases {
		if err := configPanic(t, c.f); err == nil || err.Error() != c.want {
			t.Errorf("panic %v\nwant  %s", err, c.want)
		}
	}
	bad := &model.Model{Layers: []model.Layer{model.NewLayer("rec", model.RSynaptic{Synaptic: model.Synaptic{LIF: model.LIF{
		N: 3, Beta: 0.9, Threshold: 1, Reset: model.ResetSubtract, Surrogate: model.Surrogate{Name: "fast"}}}})}}
	if _, err := Build(bad, nil); err == nil || !strings.HasPrefix(err.Error(), `layers: rsynaptic "rec": surrogate: unknown surrogate "fast"`) {
		t.Errorf("Build: %v", err)
	}
}

// TestRecurrentShapes: a wrong input or state shape is an
// *autograd.ShapeError naming the operation.
func TestRecurrentShapes(t *testing.T) {
	l := NewRLIF("r", 3, LIFConfig{Beta: 0.5}, RecurrentConfig{})
	tp := autograd.NewTape()
	for _, c := range []struct {
		f  func()
		op string
	}{
		{func() { l.Scan(tp, tp.New(2, 1, 4)) }, "RLIF.Run"},
		{func() { l.Run(tp, tp.New(2, 1, 3), LIFState{Spk: tp.New(2, 3)}) }, "RLIF.Run"},
		{func() { l.Step(tp, tp.New(1, 4), LIFState{}) }, "RLIF.Step"},
		{func() {
			NewRSynaptic("s", 3, SynapticConfig{}, RecurrentConfig{}).Run(tp, tp.New(2, 1, 3), SynapticState{Syn: tp.New(1, 2)})
		}, "RSynaptic.Run"},
	} {
		func() {
			defer func() {
				se, ok := recover().(*autograd.ShapeError)
				if !ok || se.Op != c.op {
					t.Errorf("panic %v, want a ShapeError of %s", se, c.op)
				}
			}()
			c.f()
		}()
	}
}

// recurrentLayers returns RLIF and RSynaptic layers of n neurons, all to
// all and one to one, and (with ResetSubtract) a RadLIF layer, with
// learnable parameters, for the tests below.
func recurrentLayers(n int, reset ResetMode, resetGrad bool) []neuronCase {
	var cs []neuronCase
	c := LIFConfig{Beta: 0.8, Threshold: 1, Reset: reset, ResetGrad: resetGrad, LearnBeta: true, LearnThreshold: true,
		PerNeuron: true, Surrogate: surrogate.FastSigmoid{Slope: 5}}
	for _, one := range []bool{false, true} {
		r := RecurrentConfig{OneToOne: one, RNG: rand.New(rand.NewPCG(11, 12))}
		rlif := NewRLIF("rlif", n, c, r)
		rsyn := NewRSynaptic("rsyn", n, SynapticConfig{LIFConfig: c, Alpha: 0.6, LearnAlpha: true}, r)
		if one { // weights of both signs
			for i := range n {
				rlif.V.Data[i] = float32(i%5)*0.2 - 0.4
				rsyn.V.Data[i] = float32(i%5)*0.2 - 0.4
			}
		}
		name := fmt.Sprintf("onetoone=%v/%v/resetgrad=%v", one, reset, resetGrad)
		cs = append(cs,
			newCase("rlif/"+name, rlif, lifFields, func(s *LIFState, v *autograd.Var) { s.Spk = v }),
			newCase("rsynaptic/"+name, rsyn, synapticFields, func(s *SynapticState, v *autograd.Var) { s.Spk = v }))
	}
	if reset == ResetSubtract { // RadLIF's only reset
		// Threshold 0.04: with (1 - alpha) in [0.04, 0.18] (sparch's
		// range) the inputs of the tests below make a few neurons of a
		// step fire (TestRecurrentEventDriven checks it).
		rad := NewRadLIF("radlif", n, AdLIFConfig{Threshold: 0.04, ResetGrad: resetGrad, LearnThreshold: true, PerNeuron: true,
			Surrogate: surrogate.FastSigmoid{Slope: 5}, RNG: rand.New(rand.NewPCG(11, 12))})
		cs = append(cs, newCase(fmt.Sprintf("radlif/resetgrad=%v", resetGrad), rad, adlifFields,
			func(s *AdLIFState, v *autograd.Var) { s.Spk = v }))
	}
	return cs
}

// gradsOf returns the gradients of params after tp.Backward(loss) and
// zeroes them.
func gradsOf(params []*autograd.Param) [][]float32 {
	var g [][]float32
	for _, p := range params {
		g = append(g, slices.Clone(p.Grad))
		p.ZeroGrad()
	}
	return g
}

// closeGrads reports the first pair of gradients that differ by more than
// 1e-5 relative (the tolerance of TestFusedMatchesStep: the sums run in
// different orders).
func closeGrads(params []*autograd.Param, a, b [][]float32) error {
	for pi, p := range params {
		for i := range a[pi] {
			x, y := float64(a[pi][i]), float64(b[pi][i])
			if math.Abs(x-y) > 1e-5*math.Max(1, math.Max(math.Abs(x), math.Abs(y))) {
				return fmt.Errorf("d/d%s[%d]: %v against %v", p.Name, i, x, y)
			}
		}
	}
	return nil
}

// TestRecurrentStateGradients: a sequence run in two halves, the state
// (membrane, spikes, synaptic current) carried from the first Run into the
// second, gives the gradients of one Run: the gradient reaches the first
// half only through the carried state, so this checks the gradients of
// the initial state (the reset's and the recurrence's share of the spikes'
// gradient, the membrane's, the current's).
func TestRecurrentStateGradients(t *testing.T) {
	const T, B, N = 6, 2, 3
	for _, reset := range []ResetMode{ResetSubtract, ResetZero} {
		for _, rg := range []bool{false, true} {
			for _, c := range recurrentLayers(N, reset, rg) {
				t.Run(c.name, func(t *testing.T) {
					rng := rand.New(rand.NewPCG(13, 14))
					x := autograd.NewParam("x", randSlice(rng, T*B*N, -0.5, 1.5), T, B, N)
					wm := randSlice(rng, T*B*N, -1, 1)
					params := append([]*autograd.Param{x}, c.layer.Params()...)
					for _, p := range params {
						p.ZeroGrad()
					}
					loss := func(tp *autograd.Tape, mem *autograd.Var) *autograd.Var {
						return tp.SumAll(tp.Mul(mem, tp.Constant(wm, T, B, N)))
					}
					tp := autograd.NewTape()
					_, mem := c.layer.Scan(tp, tp.Param(x))
					tp.Backward(loss(tp, mem))
					whole := gradsOf(params)
					tp = autograd.NewTape()
					m1, m2 := c.halves(tp, tp.Param(x), 3)
					tp.Backward(loss(tp, tp.Concat(0, m1, m2)))
					if err := closeGrads(params, gradsOf(params), whole); err != nil {
						t.Errorf("halves against one run: %v", err)
					}
				})
			}
		}
	}
}

// TestRecurrentEventDriven: at a size where the spikes of a step are sparse
// enough (activity below autograd.DefaultEventActivity) for the recurrent
// product to run event-driven, the fused Run still gives the values of T
// calls of Step bit for bit (both choose the product alike) and the same
// gradients; also with the event-driven product off (activity 0) and
// forced for every binary operand (activity 1).
func TestRecurrentEventDriven(t *testing.T) {
	const T, B, N = 12, 8, 40
	for _, act := range []float64{autograd.DefaultEventActivity, 0, 1} {
		for _, c := range recurrentLayers(N, ResetSubtract, true) {
			t.Run(fmt.Sprintf("%s/activity=%v", c.name, act), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(15, 16))
				// Inputs in [-0.3, 0.45]: with beta 0.8 and threshold 1
				// a few neurons of a step fire (checked below).
				x := autograd.NewParam("x", randSlice(rng, T*B*N, -0.3, 0.45), T, B, N)
				ws, wm := randSlice(rng, T*B*N, -1, 1), randSlice(rng, T*B*N, -1, 1)
				params := append([]*autograd.Param{x}, c.layer.Params()...)
				for _, p := range params {
					p.ZeroGrad()
				}
				run := func(fused bool) (vals []float32, g [][]float32) {
					tp := autograd.NewTape()
					tp.SetEventActivity(act)
					var out, mem []*autograd.Var
					if fused {
						o, m, _ := c.run(tp, tp.Param(x))
						out, mem = splitSteps(tp, o), splitSteps(tp, m)
					} else {
						out, mem, _ = c.steps(tp, tp.Param(x), false, nil)
					}
					sparse := 0
					for i := range out {
						vals = append(vals, out[i].Data...)
						vals = append(vals, mem[i].Data...)
						a := kernels.EstimateActivity(out[i].Data, B, N)
						if i < T-1 && a > 0 && a < autograd.DefaultEventActivity {
							sparse++
						}
					}
					if sparse < T/2 {
						t.Fatalf("only %d of %d steps have sparse spikes: the event-driven product is not exercised", sparse, T-1)
					}
					tp.Backward(readout(tp, out, mem, ws, wm))
					return vals, gradsOf(params)
				}
				fv, fg := run(true)
				sv, sg := run(false)
				for i := range fv {
					if fv[i] != sv[i] {
						t.Fatalf("value %d: fused %v, step %v", i, fv[i], sv[i])
					}
				}
				if err := closeGrads(params, fg, sg); err != nil {
					t.Errorf("fused against step: %v", err)
				}
			})
		}
	}
}
