package layers

import (
	"math"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/surrogate"
)

// trajectory runs l over the constant input x for len(want) steps of one
// neuron and compares the membranes (to 1e-6) and spikes with want.
func trajectory(t *testing.T, what string, l Neuron, x float32, wantMem []float64, wantSpk []float32) {
	t.Helper()
	in := make([]float32, len(wantMem))
	for i := range in {
		in[i] = x
	}
	tp := autograd.NewTape()
	spk, mem := l.Scan(tp, tp.Constant(in, len(in), 1, 1))
	for i := range wantMem {
		if math.Abs(float64(mem.Data[i])-wantMem[i]) > 1e-6 || spk.Data[i] != wantSpk[i] {
			t.Fatalf("%s: step %d: mem %v spk %v, want %v %v", what, i, mem.Data[i], spk.Data[i], wantMem[i], wantSpk[i])
		}
	}
}

// TestIFHandTrajectory: threshold 1, input 0.25 (sums exact in binary).
// Subtract: 0.25, 0.5, 0.75, 1 (not above the threshold), 1.25 (spike),
// 1.5 - 1 = 0.5. Zero: after the spike at step 4, 0 + 0.25.
func TestIFHandTrajectory(t *testing.T) {
	trajectory(t, "subtract", NewIF("if", 1, IFConfig{}), 0.25,
		[]float64{0.25, 0.5, 0.75, 1, 1.25, 0.5}, []float32{0, 0, 0, 0, 1, 0})
	trajectory(t, "zero", NewIF("if", 1, IFConfig{Reset: ResetZero}), 0.25,
		[]float64{0.25, 0.5, 0.75, 1, 1.25, 0.25}, []float32{0, 0, 0, 0, 1, 0})
}

// TestALIFHandTrajectory: beta 0.5, b0 1, rho 0.5, beta_a 1, reset by
// subtraction, a constant input of 0.8. By hand:
//
//	t  a[t]                 thr[t]  mem[t]                        S
//	0  0                    1       0.8                           0
//	1  0                    1       0.4 + 0.8 = 1.2               1
//	2  0.5·0 + 1 = 1        2       0.6 + 0.8 - 1·2 = -0.6        0
//	3  0.5                  1.5     -0.3 + 0.8 = 0.5              0
//	4  0.25                 1.25    0.25 + 0.8 = 1.05             0 (a LIF would fire)
//	5  0.125                1.125   0.525 + 0.8 = 1.325           1
//
// and with Adapt 0 the same layer is the LIF of the same beta and threshold.
func TestALIFHandTrajectory(t *testing.T) {
	c := ALIFConfig{LIFConfig: LIFConfig{Beta: 0.5, Threshold: 1}, Rho: 0.5, Adapt: 1}
	trajectory(t, "alif", NewALIF("alif", 1, c), 0.8,
		[]float64{0.8, 1.2, -0.6, 0.5, 1.05, 1.325}, []float32{0, 1, 0, 0, 0, 1})
	c.Adapt = 0
	// LIF: 0.8, 1.2 (S), 0.6+0.8-1 = 0.4, 0.2+0.8 = 1 (no), 0.5+0.8 = 1.3 (S), 0.65+0.8-1 = 0.45.
	trajectory(t, "adapt 0", NewALIF("alif", 1, c), 0.8,
		[]float64{0.8, 1.2, 0.4, 1, 1.3, 0.45}, []float32{0, 1, 0, 0, 1, 0})
}

// TestNorseLSNN checks the defaults taken from Norse's LSNNParameters
// (tau_mem_inv 1/1e-2, tau_adapt_inv 1/800, beta 1.8, v_th 1, v_reset 0)
// at dt = 1 ms, as Euler factors 1 - dt/τ.
func TestNorseLSNN(t *testing.T) {
	c := NorseLSNN()
	if c.Beta != 1-0.001/1e-2 || c.Rho != float32(1-0.001/800.0) || c.Adapt != 1.8 || c.Threshold != 1 || c.Reset != ResetZero {
		t.Errorf("NorseLSNN() = %+v", c)
	}
	NewALIF("lsnn", 4, c) // valid
}

// TestPLIFHandTrajectory: tau 2 (w = -ln(2-1) = 0, k = sigmoid(0) = 0.5
// exactly), threshold 1, a constant input of 1.5.
//
//	zero:     0.5·1.5 = 0.75; 0.75 + 0.5·(1.5-0.75) = 1.125 (S); v = 0: 0.75; 1.125 (S)
//	subtract: 0.75; 1.125 (S); v = 0.125: 0.125 + 0.5·1.375 = 0.8125; 0.8125 + 0.5·0.6875 = 1.15625 (S)
//
// LIF's form with beta = 1 - k and input k·x would subtract the threshold
// undecayed: 0.5·1.125 + 0.75 - 1 = 0.3125 at step 2.
func TestPLIFHandTrajectory(t *testing.T) {
	l := NewPLIF("plif", 1, PLIFConfig{Reset: ResetZero})
	if l.W.Data[0] != 0 || l.Tau()[0] != 2 || l.W.Frozen {
		t.Fatalf("w %v tau %v frozen %v, want 0, 2 and trained", l.W.Data, l.Tau(), l.W.Frozen)
	}
	trajectory(t, "zero", l, 1.5, []float64{0.75, 1.125, 0.75, 1.125}, []float32{0, 1, 0, 1})
	trajectory(t, "subtract", NewPLIF("plif", 1, PLIFConfig{}), 1.5,
		[]float64{0.75, 1.125, 0.8125, 1.15625}, []float32{0, 1, 0, 1})
	// Tau 5: w = -ln 4, and Tau() inverts it.
	if l := NewPLIF("plif", 2, PLIFConfig{Tau: 5, PerNeuron: true}); len(l.W.Data) != 2 ||
		math.Abs(float64(l.W.Data[1])+math.Log(4)) > 1e-6 || math.Abs(float64(l.Tau()[1])-5) > 1e-5 {
		t.Errorf("tau 5: w %v, tau %v", l.W.Data, l.Tau())
	}
}

// TestPLIFGradW checks the gradient of one step from rest to w by hand:
// mem = k·x with k = sigmoid(w), so ∂mem/∂w = x·k·(1-k); at w = 0 and
// x = 3 that is 3·0.25 = 0.75.
func TestPLIFGradW(t *testing.T) {
	l := NewPLIF("plif", 1, PLIFConfig{})
	tp := autograd.NewTape()
	_, s := l.Step(tp, tp.Constant([]float32{3}, 1, 1), LIFState{})
	tp.Backward(tp.SumAll(s.Mem))
	if l.W.Grad[0] != 0.75 {
		t.Errorf("∂mem/∂w = %v, want 0.75", l.W.Grad[0])
	}
}

// TestAdaptiveConfigErrors checks that bad values name the layer and field.
func TestAdaptiveConfigErrors(t *testing.T) {
	cases := []struct {
		f    func()
		want string
	}{
		{func() { NewIF("i", 0, IFConfig{}) }, `layers: if "i": n = 0: must be positive`},
		{func() { NewIF("i", 2, IFConfig{Threshold: -1}) }, `layers: if "i": threshold = -1: must be positive and finite`},
		{func() { NewIF("i", 2, IFConfig{Reset: 9}) }, `layers: if "i": reset = "ResetMode(9)": must be one of subtract, zero, none`},
		{func() { NewALIF("a", 2, ALIFConfig{Rho: 2}) }, `layers: alif "a": rho = 2: must be in [0, 1]`},
		{func() { NewALIF("a", 2, ALIFConfig{Adapt: -1}) }, `layers: alif "a": adapt = -1: must be non-negative and finite`},
		{func() { NewALIF("a", 2, ALIFConfig{Adapt: float32(math.NaN())}) }, `layers: alif "a": adapt = NaN: must be non-negative and finite`},
		{func() { NewALIF("a", 2, ALIFConfig{LIFConfig: LIFConfig{Beta: 1.5}}) }, `layers: alif "a": beta = 1.5: must be in [0, 1]`},
		{func() { NewPLIF("p", 2, PLIFConfig{Tau: 1}) }, `layers: plif "p": tau = 1: must be greater than 1 and finite`},
		{func() { NewPLIF("p", 2, PLIFConfig{Tau: float32(math.Inf(1))}) }, `layers: plif "p": tau = +Inf: must be greater than 1 and finite`},
		{func() { NewPLIF("p", 2, PLIFConfig{Threshold: -2}) }, `layers: plif "p": threshold = -2: must be positive and finite`},
		{func() { NewPLIF("p", 2, PLIFConfig{Surrogate: surrogate.Atan{Alpha: -1}}) },
			`layers: plif "p": surrogate: Atan: Alpha = -1: must be positive and finite (0 selects the default)`},
	}
	for _, c := range cases {
		if err := configPanic(t, c.f); err == nil || err.Error() != c.want {
			t.Errorf("panic %v\nwant  %s", err, c.want)
		}
	}
}
