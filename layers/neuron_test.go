package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/autograd/gradcheck"
	"github.com/spikegrad/spikegrad/surrogate"
)

// stepper runs a neuron layer step by step (its definition) or fused.
type stepper interface {
	Neuron
	stepAll(t *autograd.Tape, x *autograd.Var, smooth bool) (spk, mem []*autograd.Var)
	// stepFixed is stepAll with the spikes that drive the reset replaced by
	// constants (resets[i] is the spike output of step i).
	stepFixed(t *autograd.Tape, x *autograd.Var, resets [][]float32) (spk, mem []*autograd.Var)
	fused(t *autograd.Tape, x *autograd.Var) (spk, mem *autograd.Var)
}

func (l *LIF) stepAll(t *autograd.Tape, x *autograd.Var, smooth bool) (spk, mem []*autograd.Var) {
	var s LIFState
	for i := 0; i < x.Dim(0); i++ {
		var sp *autograd.Var
		sp, s = l.Step(t, stepOf(t, x, i), s, smooth)
		spk, mem = append(spk, sp), append(mem, s.Mem)
	}
	return spk, mem
}

func (l *LIF) stepFixed(t *autograd.Tape, x *autograd.Var, resets [][]float32) (spk, mem []*autograd.Var) {
	var s LIFState
	for i := 0; i < x.Dim(0); i++ {
		var sp *autograd.Var
		sp, s = l.Step(t, stepOf(t, x, i), s, true)
		spk, mem = append(spk, sp), append(mem, s.Mem)
		s.Spk = t.Constant(resets[i], sp.Shape()...)
	}
	return spk, mem
}

func (l *LIF) fused(t *autograd.Tape, x *autograd.Var) (spk, mem *autograd.Var) { return l.Scan(t, x) }

func (l *Synaptic) stepAll(t *autograd.Tape, x *autograd.Var, smooth bool) (spk, mem []*autograd.Var) {
	var s SynapticState
	for i := 0; i < x.Dim(0); i++ {
		var sp *autograd.Var
		sp, s = l.Step(t, stepOf(t, x, i), s, smooth)
		spk, mem = append(spk, sp), append(mem, s.Mem)
	}
	return spk, mem
}

func (l *Synaptic) stepFixed(t *autograd.Tape, x *autograd.Var, resets [][]float32) (spk, mem []*autograd.Var) {
	var s SynapticState
	for i := 0; i < x.Dim(0); i++ {
		var sp *autograd.Var
		sp, s = l.Step(t, stepOf(t, x, i), s, true)
		spk, mem = append(spk, sp), append(mem, s.Mem)
		s.Spk = t.Constant(resets[i], sp.Shape()...)
	}
	return spk, mem
}

func (l *Synaptic) fused(t *autograd.Tape, x *autograd.Var) (spk, mem *autograd.Var) {
	return l.Scan(t, x)
}

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

type neuronCase struct {
	name string
	make func() stepper
}

func neuronCases() []neuronCase {
	var cs []neuronCase
	for _, reset := range []ResetMode{ResetSubtract, ResetZero, ResetNone} {
		for _, rg := range []bool{false, true} {
			for _, learn := range []bool{false, true} {
				for _, per := range []bool{false, true} {
					c := LIFConfig{Beta: 0.8, Threshold: 1, Reset: reset, ResetGrad: rg,
						LearnBeta: learn, LearnThreshold: learn, PerNeuron: per, Surrogate: surrogate.FastSigmoid{Slope: 5}}
					suffix := fmt.Sprintf("%v/resetgrad=%v/learn=%v/per=%v", reset, rg, learn, per)
					cs = append(cs, neuronCase{"lif/" + suffix, func() stepper {
						l, err := NewLIF("lif", 3, c)
						if err != nil {
							panic(err)
						}
						if per { // distinct values per neuron
							copy(l.Beta.Data, []float32{0.7, 0.8, 0.9})
							copy(l.Threshold.Data, []float32{0.9, 1, 1.1})
						}
						return l
					}})
					cs = append(cs, neuronCase{"synaptic/" + suffix, func() stepper {
						l, err := NewSynaptic("syn", 3, SynapticConfig{LIFConfig: c, Alpha: 0.6, LearnAlpha: learn})
						if err != nil {
							panic(err)
						}
						if per {
							copy(l.Alpha.Data, []float32{0.5, 0.6, 0.7})
						}
						return l
					}})
				}
			}
		}
	}
	return cs
}

// TestFusedMatchesStep checks, for every neuron model and option, that the
// fused multi-step scan produces the same spikes and membranes as the
// step-by-step definition, bit for bit, and the same gradients for the
// input and every learnable parameter. The gradients are computed by two
// different paths (a reverse-time scan against a chain of tape ops) whose
// float32 sums are ordered differently: they agree to 1e-5 relative.
func TestFusedMatchesStep(t *testing.T) {
	const T, B, N = 6, 2, 3
	for _, c := range neuronCases() {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 8))
			x := autograd.NewParam("x", randSlice(rng, T*B*N, -0.5, 1.5), T, B, N)
			ws, wm := randSlice(rng, T*B*N, -1, 1), randSlice(rng, T*B*N, -1, 1)
			l := c.make()
			params := append([]*autograd.Param{x}, l.Params()...)
			grads := func(fused bool) (vals []float32, g [][]float32) {
				for _, p := range params {
					p.ZeroGrad()
				}
				tp := autograd.NewTape()
				xv := tp.Param(x)
				var spk, mem []*autograd.Var
				if fused {
					s, m := l.fused(tp, xv)
					spk, mem = splitSteps(tp, s), splitSteps(tp, m)
				} else {
					spk, mem = l.stepAll(tp, xv, false)
				}
				for i := range spk {
					vals = append(vals, spk[i].Data...)
					vals = append(vals, mem[i].Data...)
				}
				tp.Backward(readout(tp, spk, mem, ws, wm))
				for _, p := range params {
					g = append(g, append([]float32(nil), p.Grad...))
				}
				return vals, g
			}
			fv, fg := grads(true)
			sv, sg := grads(false)
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
// differences with the smooth spike in place of the step (surrogate
// SmoothSpike), through leak, reset and (with ResetGrad) the reset's gradient.
// A detached reset is, by definition, a reset whose spikes the gradient treats
// as constants: for those cases the finite differences hold the reset spikes
// at the values of the unperturbed run. With TestFusedMatchesStep this checks
// the fused backward too.
func TestStepGradients(t *testing.T) {
	const T, B, N = 5, 2, 3
	for _, c := range neuronCases() {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(9, 10))
			x := autograd.NewParam("x", randSlice(rng, T*B*N, -0.5, 1.5), T, B, N)
			ws, wm := randSlice(rng, T*B*N, -1, 1), randSlice(rng, T*B*N, -1, 1)
			l := c.make()
			var params []*autograd.Param
			for _, p := range append([]*autograd.Param{x}, l.Params()...) {
				if !p.Frozen {
					params = append(params, p)
				}
			}
			var resets [][]float32
			detached := strings.Contains(c.name, "resetgrad=false")
			if detached {
				tp := autograd.NewTape()
				spk, _ := l.stepAll(tp, tp.Param(x), true)
				for _, s := range spk {
					resets = append(resets, append([]float32(nil), s.Data...))
				}
			}
			f := func(tp *autograd.Tape) *autograd.Var {
				if detached {
					spk, mem := l.stepFixed(tp, tp.Param(x), resets)
					return readout(tp, spk, mem, ws, wm)
				}
				spk, mem := l.stepAll(tp, tp.Param(x), true)
				return readout(tp, spk, mem, ws, wm)
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

// TestLIFHandTrajectory: beta 0.5, threshold 1, reset by subtraction, a
// constant input of 0.6 from rest. By hand:
//
//	mem[0] = 0.6                     S = 0
//	mem[1] = 0.5·0.6 + 0.6  = 0.9    S = 0
//	mem[2] = 0.5·0.9 + 0.6  = 1.05   S = 1
//	mem[3] = 0.525 + 0.6 - 1 = 0.125 S = 0
//	mem[4] = 0.0625 + 0.6   = 0.6625 S = 0
func TestLIFHandTrajectory(t *testing.T) {
	l, err := NewLIF("lif", 1, LIFConfig{Beta: 0.5, Threshold: 1})
	if err != nil {
		t.Fatal(err)
	}
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
	l, err := NewSynaptic("syn", 1, SynapticConfig{LIFConfig: LIFConfig{Beta: 0.5, Threshold: 1}, Alpha: 0.5})
	if err != nil {
		t.Fatal(err)
	}
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
	l, err := NewLI("out", 2, 0.5, true, true)
	if err != nil {
		t.Fatal(err)
	}
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

// TestRunState checks that running a sequence in two halves with the state
// carried over equals one run.
func TestRunState(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	l, _ := NewLIF("lif", 4, LIFConfig{Beta: 0.9, Threshold: 1})
	tp := autograd.NewTape()
	x := tp.Constant(randSlice(rng, 6*2*4, 0, 1), 6, 2, 4)
	_, whole := l.Scan(tp, x)
	_, m1, s := l.Run(tp, tp.Slice(x, 0, 0, 3), LIFState{}, true)
	_, m2, _ := l.Run(tp, tp.Slice(x, 0, 3, 6), s, false)
	got := append(append([]float32(nil), m1.Data...), m2.Data...)
	for i := range got {
		if got[i] != whole.Data[i] {
			t.Fatalf("element %d: halves %v, whole %v", i, got[i], whole.Data[i])
		}
	}
}

func TestNeuronConfigErrors(t *testing.T) {
	for _, c := range []LIFConfig{{Beta: 1.5, Threshold: 1}, {Beta: -0.1, Threshold: 1}, {Beta: 0.5}, {Beta: float32(math.NaN()), Threshold: 1}} {
		if _, err := NewLIF("hidden", 3, c); err == nil {
			t.Errorf("config %+v accepted", c)
		}
	}
	_, err := NewLIF("hidden", 3, LIFConfig{Beta: 2, Threshold: 1})
	if want := `layers: lif "hidden": beta = 2: must be in [0, 1]`; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
	if _, err := NewSynaptic("s", 3, SynapticConfig{LIFConfig: LIFConfig{Beta: 0.5, Threshold: 1}, Alpha: 2}); err == nil {
		t.Error("alpha 2 accepted")
	}
}
