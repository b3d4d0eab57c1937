package layers

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/autograd/gradcheck"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/surrogate"
)

// neuronCase is one neuron model with one config, with its state type S
// hidden behind closures so that one test runs over every model.
type neuronCase struct {
	name  string
	layer Neuron
	// steps runs x [T, B, N] step by step from the zero state (StepSmooth
	// if smooth) and returns each step's output and membrane, and the final
	// state's fields. With resets, the spikes that drive the next step's
	// reset are replaced by the constants resets[i] after step i.
	steps func(tp *autograd.Tape, x *autograd.Var, smooth bool, resets [][]float32) (out, mem, final []*autograd.Var)
	// run is Run from the zero state; it returns the final state's fields.
	run func(tp *autograd.Tape, x *autograd.Var) (out, mem *autograd.Var, final []*autograd.Var)
	// halves runs x [T, B, N] as two Runs, the state after steps [0, cut)
	// carried into the second, and returns the membranes of both.
	halves func(tp *autograd.Tape, x *autograd.Var, cut int) (mem1, mem2 *autograd.Var)
	// empty runs a Run of zero steps from the final state of the first
	// step and reports whether it returned that state.
	empty func(tp *autograd.Tape, x *autograd.Var) bool
}

// newCase makes the closures of a neuronCase for l: fields lists a state's
// Vars (nil for zero), the membrane first; setSpk replaces the last spikes
// of a state (nil for a model without spikes).
func newCase[S any](name string, l Stateful[S], fields func(S) []*autograd.Var, setSpk func(*S, *autograd.Var)) neuronCase {
	return neuronCase{
		name: name, layer: l,
		steps: func(tp *autograd.Tape, x *autograd.Var, smooth bool, resets [][]float32) (out, mem, final []*autograd.Var) {
			var s S
			for i := 0; i < x.Dim(0); i++ {
				var o *autograd.Var
				if smooth {
					o, s = l.StepSmooth(tp, stepOf(tp, x, i), s)
				} else {
					o, s = l.Step(tp, stepOf(tp, x, i), s)
				}
				out, mem = append(out, o), append(mem, fields(s)[0])
				if resets != nil && setSpk != nil {
					setSpk(&s, tp.Constant(resets[i], o.Shape()...))
				}
			}
			return out, mem, fields(s)
		},
		run: func(tp *autograd.Tape, x *autograd.Var) (out, mem *autograd.Var, final []*autograd.Var) {
			var s S
			out, mem, s = l.Run(tp, x, s)
			return out, mem, fields(s)
		},
		halves: func(tp *autograd.Tape, x *autograd.Var, cut int) (mem1, mem2 *autograd.Var) {
			var s S
			_, mem1, s = l.Run(tp, tp.Slice(x, 0, 0, cut), s)
			_, mem2, _ = l.Run(tp, tp.Slice(x, 0, cut, x.Dim(0)), s)
			return mem1, mem2
		},
		empty: func(tp *autograd.Tape, x *autograd.Var) bool {
			var s S
			_, s = l.Step(tp, stepOf(tp, x, 0), s)
			_, _, next := l.Run(tp, tp.Slice(x, 0, 0, 0), s)
			return reflect.DeepEqual(fields(next), fields(s))
		},
	}
}

func lifFields(s LIFState) []*autograd.Var           { return []*autograd.Var{s.Mem, s.Spk} }
func synapticFields(s SynapticState) []*autograd.Var { return []*autograd.Var{s.Mem, s.Syn, s.Spk} }
func liFields(s LIState) []*autograd.Var             { return []*autograd.Var{s.Mem} }
func alifFields(s ALIFState) []*autograd.Var         { return []*autograd.Var{s.Mem, s.A, s.Spk} }
func adlifFields(s AdLIFState) []*autograd.Var       { return []*autograd.Var{s.Mem, s.W, s.Spk} }

// stepOf returns step i of a [T, B, N] sequence as [B, N].
func stepOf(t *autograd.Tape, x *autograd.Var, i int) *autograd.Var {
	return t.Reshape(t.Slice(x, 0, i, i+1), x.Dim(1), x.Dim(2))
}

// readout reduces spikes and membranes of every step to one scalar with fixed
// weights, so that gradients reach every output.
func readout(t *autograd.Tape, spk, mem []*autograd.Var, ws, wm []float32) *autograd.Var {
	var total *autograd.Var
	for i := range spk {
		n := spk[i].Len()
		a := t.SumAll(t.Mul(spk[i], t.Constant(ws[i*n:(i+1)*n], spk[i].Shape()...)))
		b := t.SumAll(t.Mul(mem[i], t.Constant(wm[i*n:(i+1)*n], mem[i].Shape()...)))
		s := t.Add(a, b)
		if total == nil {
			total = s
		} else {
			total = t.Add(total, s)
		}
	}
	return total
}

// splitSteps cuts a fused [T, B, N] output into per-step Vars.
func splitSteps(t *autograd.Tape, v *autograd.Var) []*autograd.Var {
	out := make([]*autograd.Var, v.Dim(0))
	for i := range out {
		out[i] = stepOf(t, v, i)
	}
	return out
}

func randSlice(rng *rand.Rand, n int, lo, hi float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(lo + (hi-lo)*rng.Float64())
	}
	return s
}

// neuronCases returns every neuron model under every combination of its
// options, with distinct per-neuron constants where they are per neuron.
func neuronCases() []neuronCase {
	var cs []neuronCase
	for _, reset := range []ResetMode{ResetSubtract, ResetZero, ResetNone} {
		for _, rg := range []bool{false, true} {
			for _, learn := range []bool{false, true} {
				for _, per := range []bool{false, true} {
					c := LIFConfig{Beta: 0.8, Threshold: 1, Reset: reset, ResetGrad: rg,
						LearnBeta: learn, LearnThreshold: learn, PerNeuron: per, Surrogate: surrogate.FastSigmoid{Slope: 5}}
					suffix := fmt.Sprintf("%v/resetgrad=%v/learn=%v/per=%v", reset, rg, learn, per)
					lif := NewLIF("lif", 3, c)
					syn := NewSynaptic("syn", 3, SynapticConfig{LIFConfig: c, Alpha: 0.6, LearnAlpha: learn})
					if per { // distinct values per neuron
						copy(lif.Beta.Data, []float32{0.7, 0.8, 0.9})
						copy(lif.Threshold.Data, []float32{0.9, 1, 1.1})
						copy(syn.Alpha.Data, []float32{0.5, 0.6, 0.7})
					}
					cs = append(cs,
						newCase("lif/"+suffix, lif, lifFields, func(s *LIFState, v *autograd.Var) { s.Spk = v }),
						newCase("synaptic/"+suffix, syn, synapticFields, func(s *SynapticState, v *autograd.Var) { s.Spk = v }))
					// Recurrent layers, all to all (random V from a fixed
					// seed) and one to one (distinct weights of both signs).
					for _, one := range []bool{false, true} {
						r := RecurrentConfig{OneToOne: one, RNG: rand.New(rand.NewPCG(5, 6))}
						rlif := NewRLIF("rlif", 3, c, r)
						rsyn := NewRSynaptic("rsyn", 3, SynapticConfig{LIFConfig: c, Alpha: 0.6, LearnAlpha: learn}, r)
						if one {
							copy(rlif.V.Data, []float32{0.5, -0.4, 0.3})
							copy(rsyn.V.Data, []float32{0.5, -0.4, 0.3})
						}
						if per {
							copy(rlif.Beta.Data, []float32{0.7, 0.8, 0.9})
							copy(rlif.Threshold.Data, []float32{0.9, 1, 1.1})
							copy(rsyn.Alpha.Data, []float32{0.5, 0.6, 0.7})
						}
						rs := fmt.Sprintf("/onetoone=%v/%s", one, suffix)
						cs = append(cs,
							newCase("rlif"+rs, rlif, lifFields, func(s *LIFState, v *autograd.Var) { s.Spk = v }),
							newCase("rsynaptic"+rs, rsyn, synapticFields, func(s *SynapticState, v *autograd.Var) { s.Spk = v }))
					}
				}
			}
		}
	}
	for _, reset := range []ResetMode{ResetSubtract, ResetZero, ResetNone} {
		for _, rg := range []bool{false, true} {
			for _, learn := range []bool{false, true} {
				for _, per := range []bool{false, true} {
					suffix := fmt.Sprintf("%v/resetgrad=%v/learn=%v/per=%v", reset, rg, learn, per)
					sg := surrogate.FastSigmoid{Slope: 5}
					ifl := NewIF("if", 3, IFConfig{Threshold: 1, Reset: reset, ResetGrad: rg, LearnThreshold: learn, PerNeuron: per, Surrogate: sg})
					// Adapt 0.5 and rho 0.9: thresholds that move by a
					// sizeable fraction within the 5-6 steps of the tests.
					alif := NewALIF("alif", 3, ALIFConfig{LIFConfig: LIFConfig{Beta: 0.8, Threshold: 1, Reset: reset, ResetGrad: rg,
						LearnBeta: learn, LearnThreshold: learn, PerNeuron: per, Surrogate: sg}, Rho: 0.9, Adapt: 0.5, LearnRho: learn, LearnAdapt: learn})
					// Tau 2 is SpikingJelly's init_tau; FixedTau when not learning.
					plif := NewPLIF("plif", 3, PLIFConfig{Threshold: 0.5, Reset: reset, ResetGrad: rg, FixedTau: !learn,
						LearnThreshold: learn, PerNeuron: per, Surrogate: sg})
					if per {
						copy(ifl.Threshold.Data, []float32{0.9, 1, 1.1})
						copy(alif.Rho.Data, []float32{0.8, 0.9, 0.95})
						copy(alif.Adapt.Data, []float32{0.3, 0.5, 0.8})
						copy(plif.W.Data, []float32{-1, 0, 0.5})
					}
					cs = append(cs,
						newCase("if/"+suffix, ifl, lifFields, func(s *LIFState, v *autograd.Var) { s.Spk = v }),
						newCase("alif/"+suffix, alif, alifFields, func(s *ALIFState, v *autograd.Var) { s.Spk = v }),
						newCase("plif/"+suffix, plif, lifFields, func(s *LIFState, v *autograd.Var) { s.Spk = v }))
				}
			}
		}
	}
	cs = append(cs, adlifCases()...)
	for _, learn := range []bool{false, true} {
		for _, per := range []bool{false, true} {
			li := NewLI("li", 3, LIConfig{Beta: 0.8, LearnBeta: learn, PerNeuron: per})
			if per {
				copy(li.Beta.Data, []float32{0.6, 0.7, 0.9})
			}
			cs = append(cs, newCase(fmt.Sprintf("li/learn=%v/per=%v", learn, per), li, liFields, nil))
		}
	}
	return cs
}

// adlifCases are the AdLIF (and RadLIF) cases of neuronCases: every
// ResetGrad × learn × per-neuron threshold, with sparch's ranges and
// parameters drawn from a fixed seed. The smooth boxcar has kinks at
// |u - thr| = 0.5, which a finite difference step of 1e-3 would straddle
// only by chance; the fast sigmoid of slope 5 (the other cases') is used
// for the generic checks and the boxcar default in TestAdLIFBoxcar.
func adlifCases() []neuronCase {
	var cs []neuronCase
	for _, rg := range []bool{false, true} {
		for _, learn := range []bool{false, true} {
			for _, per := range []bool{false, true} {
				suffix := fmt.Sprintf("resetgrad=%v/learn=%v/per=%v", rg, learn, per)
				// Threshold 0.15: with (1 - alpha) in [0.04, 0.18] the
				// membrane of inputs in [-0.5, 1.5] crosses it in about a
				// third of the steps within the tests' 5-6 steps.
				c := AdLIFConfig{Threshold: 0.15, ResetGrad: rg, FixedDynamics: !learn, LearnThreshold: learn, PerNeuron: per,
					Surrogate: surrogate.FastSigmoid{Slope: 5}, RNG: rand.New(rand.NewPCG(11, 12))}
				ad := NewAdLIF("adlif", 3, c)
				c.RNG = rand.New(rand.NewPCG(11, 12))
				rad := NewRadLIF("radlif", 3, c)
				if per {
					copy(ad.Threshold.Data, []float32{0.1, 0.15, 0.2})
					copy(rad.Threshold.Data, []float32{0.1, 0.15, 0.2})
				}
				setSpk := func(s *AdLIFState, v *autograd.Var) { s.Spk = v }
				cs = append(cs, newCase("adlif/"+suffix, ad, adlifFields, setSpk), newCase("radlif/"+suffix, rad, adlifFields, setSpk))
			}
		}
	}
	// One parameter of each kind outside its clamp range (sparch's ranges,
	// model.AdLIFAlpha ...), by more than the finite differences' step of
	// 1e-3: the forward pass uses the range's end, and no gradient reaches
	// the parameter.
	for _, l := range []Neuron{
		NewAdLIF("adlif", 3, AdLIFConfig{Threshold: 0.15, ResetGrad: true, LearnThreshold: true, PerNeuron: true,
			Surrogate: surrogate.FastSigmoid{Slope: 5}, RNG: rand.New(rand.NewPCG(11, 12))}),
		NewRadLIF("radlif", 3, AdLIFConfig{Threshold: 0.15, ResetGrad: true, LearnThreshold: true, PerNeuron: true,
			Surrogate: surrogate.FastSigmoid{Slope: 5}, RNG: rand.New(rand.NewPCG(11, 12))}),
	} {
		var p *adlifParams
		switch l := l.(type) {
		case *AdLIF:
			p = &l.adlifParams
			cs = append(cs, newCase("adlif/clamped/resetgrad=true/learn=true/per=true", l, adlifFields, func(s *AdLIFState, v *autograd.Var) { s.Spk = v }))
		case *RadLIF:
			p = &l.adlifParams
			cs = append(cs, newCase("radlif/clamped/resetgrad=true/learn=true/per=true", l, adlifFields, func(s *AdLIFState, v *autograd.Var) { s.Spk = v }))
		}
		p.Alpha.Data[0] = model.AdLIFAlpha[0] - 0.05
		p.Beta.Data[1] = model.AdLIFBeta[1] + 0.005
		p.A.Data[2] = model.AdLIFA[0] - 0.3
		p.B.Data[0] = model.AdLIFB[1] + 0.4
	}
	return cs
}

// TestFusedMatchesStep checks, for every neuron model and option, that the
// fused multi-step scan (Run) produces the same outputs, membranes and final
// state as the step-by-step definition (Step), bit for bit, that Scan gives
// Run's values, and that both give the same gradients for the input and
// every learnable parameter. The gradients are computed by two different
// paths (a reverse-time scan against a chain of tape ops) whose float32 sums
// are ordered differently: they agree to 1e-5 relative.
func TestFusedMatchesStep(t *testing.T) {
	const T, B, N = 6, 2, 3
	for _, c := range neuronCases() {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 8))
			x := autograd.NewParam("x", randSlice(rng, T*B*N, -0.5, 1.5), T, B, N)
			ws, wm := randSlice(rng, T*B*N, -1, 1), randSlice(rng, T*B*N, -1, 1)
			params := append([]*autograd.Param{x}, c.layer.Params()...)
			grads := func(fused bool) (vals []float32, g [][]float32) {
				for _, p := range params {
					p.ZeroGrad()
				}
				tp := autograd.NewTape()
				xv := tp.Param(x)
				var out, mem, final []*autograd.Var
				if fused {
					o, m, f := c.run(tp, xv)
					out, mem, final = splitSteps(tp, o), splitSteps(tp, m), f
					so, sm := c.layer.Scan(tp, xv)
					if !slices.Equal(so.Data, o.Data) || !slices.Equal(sm.Data, m.Data) {
						t.Fatal("Scan and Run differ")
					}
				} else {
					out, mem, final = c.steps(tp, xv, false, nil)
				}
				for i := range out {
					vals = append(vals, out[i].Data...)
					vals = append(vals, mem[i].Data...)
				}
				for _, v := range final {
					vals = append(vals, v.Data...)
				}
				tp.Backward(readout(tp, out, mem, ws, wm))
				for _, p := range params {
					g = append(g, append([]float32(nil), p.Grad...))
				}
				return vals, g
			}
			fv, fg := grads(true)
			sv, sg := grads(false)
			if len(fv) != len(sv) {
				t.Fatalf("fused gives %d values, step %d", len(fv), len(sv))
			}
			for i := range fv {
				if fv[i] != sv[i] {
					t.Fatalf("value %d: fused %v, step %v", i, fv[i], sv[i])
				}
			}
			for pi, p := range params {
				for i := range fg[pi] {
					a, b := float64(fg[pi][i]), float64(sg[pi][i])
					if p.Frozen && a == 0 && b == 0 {
						continue
					}
					if math.Abs(a-b) > 1e-5*math.Max(1, math.Max(math.Abs(a), math.Abs(b))) {
						t.Errorf("d/d%s[%d]: fused %v, step %v", p.Name, i, a, b)
					}
				}
			}
		})
	}
}

// TestStepGradients checks the step-by-step definition against central
// differences with the smooth spike in place of the step (StepSmooth),
// through leak, reset and (with ResetGrad) the reset's gradient. A detached
// reset is, by definition, a reset whose spikes the gradient treats as
// constants: for those cases the finite differences hold the reset spikes
// at the values of the unperturbed run. With TestFusedMatchesStep this checks
// the fused backward too.
func TestStepGradients(t *testing.T) {
	const T, B, N = 5, 2, 3
	for _, c := range neuronCases() {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(9, 10))
			x := autograd.NewParam("x", randSlice(rng, T*B*N, -0.5, 1.5), T, B, N)
			ws, wm := randSlice(rng, T*B*N, -1, 1), randSlice(rng, T*B*N, -1, 1)
			var params []*autograd.Param
			for _, p := range append([]*autograd.Param{x}, c.layer.Params()...) {
				if !p.Frozen {
					params = append(params, p)
				}
			}
			var resets [][]float32
			if strings.Contains(c.name, "resetgrad=false") {
				tp := autograd.NewTape()
				spk, _, _ := c.steps(tp, tp.Param(x), true, nil)
				for _, s := range spk {
					resets = append(resets, append([]float32(nil), s.Data...))
				}
			}
			f := func(tp *autograd.Tape) *autograd.Var {
				out, mem, _ := c.steps(tp, tp.Param(x), true, resets)
				return readout(tp, out, mem, ws, wm)
			}
			// Step 1e-3: the smooth spike of slope 5 has curvature up to about
			// 2·5² = 50, so a step of 1e-2 would leave a truncation error near
			// the tolerance; at 1e-3 both errors are below 1e-4.
			if err := gradcheck.Check(f, params, gradcheck.Options{Step: 1e-3, Atol: 2e-3, Rtol: 1e-2}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestRunState checks, for every neuron model, that running a sequence in
// two halves with the state carried over equals one run, and that a run of
// zero steps returns the state it was given.
func TestRunState(t *testing.T) {
	for _, c := range neuronCases() {
		rng := rand.New(rand.NewPCG(3, 3))
		tp := autograd.NewTape()
		x := tp.Constant(randSlice(rng, 6*2*3, 0, 1), 6, 2, 3)
		_, whole := c.layer.Scan(tp, x)
		m1, m2 := c.halves(tp, x, 3)
		if got := append(slices.Clone(m1.Data), m2.Data...); !slices.Equal(got, whole.Data) {
			t.Errorf("%s: halves %v, whole %v", c.name, got, whole.Data)
		}
		if !c.empty(tp, x) {
			t.Errorf("%s: a run of zero steps changed the state", c.name)
		}
	}
}

// TestLIFHandTrajectory: beta 0.5, threshold 1, reset by subtraction, a
// constant input of 0.6 from rest. By hand:
//
//	mem[0] = 0.6                     S = 0
//	mem[1] = 0.5·0.6 + 0.6  = 0.9    S = 0
//	mem[2] = 0.5·0.9 + 0.6  = 1.05   S = 1
//	mem[3] = 0.525 + 0.6 - 1 = 0.125 S = 0
//	mem[4] = 0.0625 + 0.6   = 0.6625 S = 0
func TestLIFHandTrajectory(t *testing.T) {
	l := NewLIF("lif", 1, LIFConfig{Beta: 0.5, Threshold: 1})
	tp := autograd.NewTape()
	spk, mem := l.Scan(tp, tp.Constant([]float32{0.6, 0.6, 0.6, 0.6, 0.6}, 5, 1, 1))
	wantMem := []float64{0.6, 0.9, 1.05, 0.125, 0.6625}
	wantSpk := []float32{0, 0, 1, 0, 0}
	for i := range wantMem {
		if math.Abs(float64(mem.Data[i])-wantMem[i]) > 1e-6 || spk.Data[i] != wantSpk[i] {
			t.Fatalf("step %d: mem %v spk %v, want %v %v", i, mem.Data[i], spk.Data[i], wantMem[i], wantSpk[i])
		}
	}
	// Reset to zero: mem[3] = 0.5·1.05·(1-1) + 0.6 = 0.6.
	l.Config.Reset = ResetZero
	_, mem = l.Scan(tp, tp.Constant([]float32{0.6, 0.6, 0.6, 0.6}, 4, 1, 1))
	if math.Abs(float64(mem.Data[3])-0.6) > 1e-6 {
		t.Fatalf("reset to zero: mem[3] = %v, want 0.6", mem.Data[3])
	}
}

// TestSynapticHandTrajectory: alpha 0.5, beta 0.5, threshold 1, a unit input
// at t = 0 only. syn = 1, 0.5, 0.25; mem = 1, 0.5+0.5 = 1, 0.5+0.25 = 0.75:
// no spike (mem must exceed the threshold).
func TestSynapticHandTrajectory(t *testing.T) {
	l := NewSynaptic("syn", 1, SynapticConfig{LIFConfig: LIFConfig{Beta: 0.5, Threshold: 1}, Alpha: 0.5})
	tp := autograd.NewTape()
	spk, mem := l.Scan(tp, tp.Constant([]float32{1, 0, 0}, 3, 1, 1))
	for i, w := range []float32{1, 1, 0.75} {
		if mem.Data[i] != w || spk.Data[i] != 0 {
			t.Fatalf("step %d: mem %v spk %v, want %v 0", i, mem.Data[i], spk.Data[i], w)
		}
	}
}

// TestLI checks the read-out against its definition and finite differences.
func TestLI(t *testing.T) {
	l := NewLI("out", 2, LIConfig{Beta: 0.5, LearnBeta: true, PerNeuron: true})
	tp := autograd.NewTape()
	// mem = 1, 0.5·1 + 2 = 2.5, 0.5·2.5 + 0 = 1.25 for neuron 0.
	mem := l.Forward(tp, tp.Constant([]float32{1, 0, 2, 0, 0, 0}, 3, 1, 2))
	for i, w := range []float32{1, 0, 2.5, 0, 1.25, 0} {
		if mem.Data[i] != w {
			t.Fatalf("mem = %v", mem.Data)
		}
	}
	rng := rand.New(rand.NewPCG(1, 1))
	x := autograd.NewParam("x", randSlice(rng, 4*2*2, -1, 1), 4, 2, 2)
	copy(l.Beta.Data, []float32{0.6, 0.7})
	f := func(tp *autograd.Tape) *autograd.Var { return l.Forward(tp, tp.Param(x)) }
	if err := gradcheck.Check(f, []*autograd.Param{x, l.Beta}, gradcheck.Options{}); err != nil {
		t.Fatal(err)
	}
}

// configPanic runs f and returns the *ConfigError it panics with, or nil.
func configPanic(t *testing.T, f func()) (err *ConfigError) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			ce, ok := r.(*ConfigError)
			if !ok {
				t.Fatalf("panic %v (%T), want a *ConfigError", r, r)
			}
			err = ce
		}
	}()
	f()
	return nil
}

// TestConfigErrors checks that the constructors panic with a *ConfigError
// naming the layer and the field for every kind of bad value.
func TestConfigErrors(t *testing.T) {
	lif := func(c LIFConfig) func() { return func() { NewLIF("hidden", 3, c) } }
	cases := []struct {
		f    func()
		want string
	}{
		{lif(LIFConfig{Beta: 2}), `layers: lif "hidden": beta = 2: must be in [0, 1]`},
		{lif(LIFConfig{Beta: -0.1}), `layers: lif "hidden": beta = -0.1: must be in [0, 1]`},
		{lif(LIFConfig{Beta: float32(math.NaN())}), `layers: lif "hidden": beta = NaN: must be in [0, 1]`},
		{lif(LIFConfig{Beta: 0.5, Threshold: -1}), `layers: lif "hidden": threshold = -1: must be positive and finite`},
		{lif(LIFConfig{Beta: 0.5, Threshold: float32(math.Inf(1))}), `layers: lif "hidden": threshold = +Inf: must be positive and finite`},
		{lif(LIFConfig{Beta: 0.5, Reset: 7}), `layers: lif "hidden": reset = "ResetMode(7)": must be one of subtract, zero, none`},
		{lif(LIFConfig{Beta: 0.5, Surrogate: surrogate.Atan{Alpha: -1}}),
			`layers: lif "hidden": surrogate: Atan: Alpha = -1: must be positive and finite (0 selects the default)`},
		{func() { NewLIF("hidden", 0, LIFConfig{Beta: 0.5}) }, `layers: lif "hidden": n = 0: must be positive`},
		{func() { NewSynaptic("s", 3, SynapticConfig{LIFConfig: LIFConfig{Beta: 0.5}, Alpha: 2}) },
			`layers: synaptic "s": alpha = 2: must be in [0, 1]`},
		{func() { NewSynaptic("s", 3, SynapticConfig{LIFConfig: LIFConfig{Beta: 3}}) }, `layers: synaptic "s": beta = 3: must be in [0, 1]`},
		{func() { NewLI("out", 3, LIConfig{Beta: 1.5}) }, `layers: li "out": beta = 1.5: must be in [0, 1]`},
		{func() { NewLinear("fc", 0, 3, LinearConfig{}) }, `layers: linear "fc": in = 0: must be positive`},
		{func() { NewLinear("fc", 2, -1, LinearConfig{}) }, `layers: linear "fc": out = -1: must be positive`},
		{func() { NewLinear("fc", 2, 3, LinearConfig{Init: 9}) },
			`layers: linear "fc": init = "Init(9)": must be one of pytorch, xavier_uniform, kaiming_normal, zero`},
	}
	for _, c := range cases {
		if err := configPanic(t, c.f); err == nil || err.Error() != c.want {
			t.Errorf("panic %v\nwant  %s", err, c.want)
		}
	}
	var pe *surrogate.ParamError
	if err := configPanic(t, lif(LIFConfig{Surrogate: surrogate.Atan{Alpha: -1}})); !errors.As(err, &pe) {
		t.Errorf("%v does not wrap the *surrogate.ParamError", err)
	}
}

// TestConfigDefaults checks the documented defaults of zero config fields:
// threshold 1, the fast sigmoid at its default slope, reset by subtraction;
// beta and alpha have none (zero is a valid decay).
func TestConfigDefaults(t *testing.T) {
	l := NewLIF("lif", 2, LIFConfig{})
	want := LIFConfig{Threshold: 1, Reset: ResetSubtract, Surrogate: surrogate.FastSigmoid{}}
	if l.Config != want || l.Beta.Data[0] != 0 || l.Threshold.Data[0] != 1 {
		t.Errorf("NewLIF with the zero config: %+v, beta %v, threshold %v; want %+v", l.Config, l.Beta.Data, l.Threshold.Data, want)
	}
	s := NewSynaptic("syn", 2, SynapticConfig{})
	if s.Config.LIFConfig != want || s.Config.Alpha != 0 {
		t.Errorf("NewSynaptic with the zero config: %+v", s.Config)
	}
	lin := NewLinear("fc", 3, 2, LinearConfig{RNG: rand.New(rand.NewPCG(1, 1))})
	if lin.Bias == nil || lin.Init != InitPyTorch {
		t.Errorf("NewLinear with the zero config: bias %v, init %v; want a bias and pytorch", lin.Bias, lin.Init)
	}
	if NewLinear("fc", 3, 2, LinearConfig{NoBias: true}).Bias != nil {
		t.Error("NoBias has a bias")
	}
	// nil RNG: a generator seeded from the layer's name, so two layers
	// differ and a layer of the same name gets the same weights again.
	a, b := NewLinear("a", 4, 4, LinearConfig{}), NewLinear("b", 4, 4, LinearConfig{})
	if slices.Equal(a.Weight.Data, b.Weight.Data) {
		t.Error("two layers without an RNG have the same weights")
	}
	if again := NewLinear("a", 4, 4, LinearConfig{}); !slices.Equal(a.Weight.Data, again.Weight.Data) {
		t.Error("a layer without an RNG got other weights when made again under the same name")
	}
}
