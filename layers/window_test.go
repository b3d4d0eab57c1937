package layers

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/surrogate"
)

// windowResult is what one forward and backward pass of a network gave:
// the loss, the output and every parameter's gradient.
type windowResult struct {
	loss  float32
	out   []float32
	grads [][]float32
}

// windowLoss is a loss that reads both the output and the membranes at
// every step, with weights that differ per element (so that every step's
// gradient differs): Σ cOut·out + Σ (cMem·mem)², plus with hidden
// Σ c·out of every other neuron layer.
func windowLoss(tp *autograd.Tape, tr *Trace, hidden bool) *autograd.Var {
	weights := func(n int, seed uint64) []float32 {
		return randSlice(rand.New(rand.NewPCG(seed, 9)), n, -1, 1)
	}
	l := tp.SumAll(tp.Mul(tr.Out, tp.Constant(weights(tr.Out.Len(), 1), tr.Out.Shape()...)))
	m := tr.Mem()
	l = tp.Add(l, tp.SumAll(tp.Square(tp.Mul(m, tp.Constant(weights(m.Len(), 2), m.Shape()...)))))
	for i, lt := range tr.Layers[:len(tr.Layers)-1] {
		if hidden && lt.Neuron {
			l = tp.Add(l, tp.SumAll(tp.Mul(lt.Out, tp.Constant(weights(lt.Out.Len(), uint64(3+i)), lt.Out.Shape()...))))
		}
	}
	return l
}

// runWindows runs net on x (a [B, F] constant input when steps > 0) with
// the windows w (nil: Forward), backpropagates windowLoss and returns the
// result. A Dropout layer draws from a source seeded the same way at each
// call.
func runWindows(t *testing.T, net *Sequential, x []float32, shape []int, steps int, w *Windows) windowResult {
	t.Helper()
	for _, p := range net.Params() {
		p.ZeroGrad()
	}
	net.SetTraining(rand.New(rand.NewPCG(5, 6)))
	defer net.SetTraining(nil)
	tp := autograd.NewTape()
	in := tp.Constant(x, shape...)
	var tr *Trace
	if w == nil {
		tr = net.Forward(tp, in, steps)
	} else {
		tr = net.ForwardWindows(tp, in, steps, *w)
	}
	loss := windowLoss(tp, tr, w == nil || w.KeepOutputs)
	tp.Backward(loss)
	r := windowResult{loss: loss.Item(), out: append([]float32(nil), tr.Out.Data...)}
	for _, p := range net.Params() {
		r.grads = append(r.grads, append([]float32(nil), p.Grad...))
	}
	return r
}

// sameBits fails unless a and b are equal element for element (== on
// float32, which also equates +0 and -0, the only values that adding a
// zero gradient first may change).
func sameBits(t *testing.T, what string, net *Sequential, a, b windowResult) {
	t.Helper()
	if a.loss != b.loss {
		t.Errorf("%s: loss %v, want %v", what, b.loss, a.loss)
	}
	for i := range a.out {
		if a.out[i] != b.out[i] {
			t.Errorf("%s: output %d: %v, want %v", what, i, b.out[i], a.out[i])
			break
		}
	}
	for i, p := range net.Params() {
		for j := range a.grads[i] {
			if a.grads[i][j] != b.grads[i][j] {
				t.Errorf("%s: %s gradient [%d] = %v, want %v (bit for bit)", what, p.Name, j, b.grads[i][j], a.grads[i][j])
				break
			}
		}
	}
}

// windowNets are the networks of the checkpointing tests: the tutorial's
// Linear → LIF → Linear → LIF, with a sequence of spikes, with a constant
// input, and with learnable per-neuron decays and thresholds; and a network with a layer of every kind (Synaptic, RLIF
// and RSynaptic with all-to-all and one-to-one recurrence, LI, IF, ALIF,
// PLIF, Dropout in training mode, convolutions and pools), learnable
// decays and thresholds included.
func windowNets(t *testing.T) []struct {
	name  string
	net   *Sequential
	x     []float32
	shape []int
	steps int
} {
	rng := rand.New(rand.NewPCG(7, 8))
	const T, B = 13, 3
	spikes := make([]float32, T*B*20)
	for i := range spikes {
		if rng.Float32() < 0.3 {
			spikes[i] = 1
		}
	}
	tut := tutorialNet(t, 20, 16, 5)
	lc := LIFConfig{Beta: 0.9, Threshold: 0.5, LearnBeta: true, LearnThreshold: true, PerNeuron: true}
	learn := NewSequential(
		NewLinear("fc1", 20, 16, LinearConfig{RNG: rng}), NewLIF("lif1", 16, lc),
		NewLinear("fc2", 16, 5, LinearConfig{RNG: rng}), NewLIF("lif2", 5, lc))
	return []struct {
		name  string
		net   *Sequential
		x     []float32
		shape []int
		steps int
	}{
		{"tutorial, spikes", tut, spikes, []int{T, B, 20}, 0},
		{"tutorial, constant input", tut, randSlice(rng, B*20, 0, 1.5), []int{B, 20}, T},
		{"tutorial, learnable LIF", learn, spikes, []int{T, B, 20}, 0},
		{"every kind", windowEvery(rand.New(rand.NewPCG(1, 2))), randSlice(rng, T*B*6, -1, 3), []int{T, B, 6}, 0},
	}
}

// windowEvery is every (Synaptic, LIF, RLIF, RSynaptic, LI, convolutions
// and pools) followed by IF, ALIF, PLIF, a Dropout layer, a learnable
// Delay, SRM, AdLIF and RadLIF.
func windowEvery(rng *rand.Rand) *Sequential {
	ls := every(rng).Layers
	ls = append(ls,
		NewLinear("fc4", 8, 4, LinearConfig{RNG: rng}),
		NewIF("if4", 4, IFConfig{Threshold: 0.7, Reset: ResetZero, ResetGrad: true, LearnThreshold: true, PerNeuron: true}),
		NewLinear("fc5", 4, 4, LinearConfig{RNG: rng}),
		NewALIF("alif5", 4, ALIFConfig{LIFConfig: LIFConfig{Beta: 0.9, Threshold: 0.3, LearnBeta: true}, Rho: 0.95, Adapt: 1.8,
			LearnRho: true, LearnAdapt: true}),
		NewDropout("drop6", 0.3),
		NewLinear("fc6", 4, 4, LinearConfig{RNG: rng}),
		NewPLIF("plif6", 4, PLIFConfig{Tau: 3, Threshold: 0.3, ResetGrad: true, LearnThreshold: true, PerNeuron: true}),
		NewLinear("fc7", 4, 4, LinearConfig{RNG: rng}),
		NewDelay("delay7", 4, DelayConfig{MaxDelay: 3, Init: 1.5}),
		NewSRM("srm7", 4, SRMConfig{Threshold: 0.3, TauSR: 3, TauRef: 2, ScaleRef: 1.5, Epsilon: 0.02, RefractoryGrad: true,
			Surrogate: surrogate.FastSigmoid{Slope: 4}}),
		NewLinear("fc8", 4, 4, LinearConfig{RNG: rng}),
		NewAdLIF("adlif8", 4, AdLIFConfig{Threshold: 0.3, ResetGrad: true, Alpha: [2]float32{0.5, 0.9}, B: [2]float32{0, 1},
			LearnThreshold: true, PerNeuron: true, RNG: rng}),
		NewLinear("fc9", 4, 4, LinearConfig{RNG: rng}),
		NewRadLIF("radlif9", 4, AdLIFConfig{Threshold: 0.3, Surrogate: surrogate.Triangle{}, Beta: [2]float32{0.9, 0.99},
			A: [2]float32{-0.5, 0.5}, RNG: rng}))
	return NewSequential(ls...)
}

// TestCheckpointGradients checks that checkpointed windows give every
// parameter the gradient of the same windows kept on the tape, bit for bit
// (the backward pass runs the same operations in the same order on the
// recomputed values), for window lengths that divide T = 13 and that do
// not, K = 1 and K ≥ T; and likewise with truncation, and with the hidden
// layers' outputs kept for a loss that reads them too.
func TestCheckpointGradients(t *testing.T) {
	for _, c := range windowNets(t) {
		for _, k := range []int{1, 3, 4, 13, 20} {
			for _, mode := range []Windows{{}, {Truncate: true}, {KeepOutputs: true}} {
				mode.K = k
				what := fmt.Sprintf("%s, %+v", c.name, mode)
				tape := runWindows(t, c.net, c.x, c.shape, c.steps, &mode)
				mode.Checkpoint = true
				ck := runWindows(t, c.net, c.x, c.shape, c.steps, &mode)
				sameBits(t, what, c.net, tape, ck)
				nonzero := false
				for _, g := range ck.grads {
					for _, v := range g {
						nonzero = nonzero || v != 0
					}
				}
				if !nonzero {
					t.Errorf("%s: every gradient is zero", what)
				}
			}
		}
	}
}

// TestWindowsMatchForward compares the windows with Forward, which runs
// each layer over the whole sequence at once. With one window (K ≥ T) the
// operations are Forward's and the results are bit for bit the same. With
// shorter windows the forward values are the same (every step is computed
// by the same arithmetic; checked bit for bit), but a gradient summed over
// time, such as a weight's over the T·B rows of its product, is summed
// window by window and then across windows: float32 addition in another
// order, so equal up to rounding. The bound 1e-5 of the gradient's largest
// magnitude is about 170 float32 ulps (2⁻²⁴ ≈ 6e-8 relative) of that
// magnitude, for sums over 13 steps of 3 samples.
func TestWindowsMatchForward(t *testing.T) {
	for _, c := range windowNets(t) {
		full := runWindows(t, c.net, c.x, c.shape, c.steps, nil)
		if c.steps == 0 { // a constant input runs the first neuron layer differently (LIF.ScanConst)
			sameBits(t, c.name+", one window", c.net, full, runWindows(t, c.net, c.x, c.shape, c.steps, &Windows{K: 13, KeepOutputs: true}))
		}
		for _, k := range []int{1, 4} {
			what := fmt.Sprintf("%s, K = %d", c.name, k)
			ck := runWindows(t, c.net, c.x, c.shape, c.steps, &Windows{K: k, Checkpoint: true, KeepOutputs: true})
			for i := range full.out {
				if full.out[i] != ck.out[i] {
					t.Fatalf("%s: output %d: %v, want %v", what, i, ck.out[i], full.out[i])
				}
			}
			for i, p := range c.net.Params() {
				var mag, diff float64
				for j, g := range full.grads[i] {
					mag = max(mag, math.Abs(float64(g)))
					diff = max(diff, math.Abs(float64(g-ck.grads[i][j])))
				}
				if diff > 1e-5*mag {
					t.Errorf("%s: %s gradient differs by %g (largest magnitude %g)", what, p.Name, diff, mag)
				}
			}
		}
	}
}

// TestTruncatedHand checks truncation against gradients derived by hand, on
// a layer of leaky integrators, mem[t] = β·mem[t-1] + x[t] with β = 0.5,
// and the loss L = Σ_t mem[t] over T = 6 steps. Full BPTT gives
// ∂L/∂x[s] = Σ_{t=s..5} 0.5^(t-s); truncation to windows of K steps keeps
// only the t of s's own window: with K = 4, windows [0, 4) and [4, 6),
//
//	∂L/∂x[0..5] = 1.875, 1.75, 1.5, 1, 1.5, 1
//
// (1 + .5 + .25 + .125, 1 + .5 + .25, 1 + .5, 1; then 1 + .5, 1); with
// K = 1 every ∂L/∂x[s] is 1: the gradient of a step's input through later
// steps is zero. K = 6 is full BPTT: 1.96875, 1.9375, 1.875, 1.75, 1.5, 1.
// All are sums of powers of two, exact in float32.
func TestTruncatedHand(t *testing.T) {
	net := NewSequential(NewLI("li", 1, LIConfig{Beta: 0.5}))
	want := map[int][]float32{
		4: {1.875, 1.75, 1.5, 1, 1.5, 1},
		1: {1, 1, 1, 1, 1, 1},
		6: {1.96875, 1.9375, 1.875, 1.75, 1.5, 1},
	}
	for _, k := range []int{4, 1, 6} {
		for _, ck := range []bool{false, true} {
			tp := autograd.NewTape()
			xp := autograd.NewParam("x", []float32{0.3, -1, 2, 0.5, 0, 1}, 6, 1, 1)
			x := tp.Param(xp)
			tr := net.ForwardWindows(tp, x, 0, Windows{K: k, Truncate: true, Checkpoint: ck})
			tp.Backward(tp.SumAll(tr.Mem()))
			for s, g := range xp.Grad {
				if g != want[k][s] {
					t.Errorf("K = %d, checkpoint %v: ∂L/∂x[%d] = %v, want %v", k, ck, s, g, want[k][s])
				}
			}
		}
	}
}

// stepMixer is a layer without state that is not known to map each time
// step on its own.
type stepMixer struct{}

func (stepMixer) Name() string                                            { return "mix" }
func (stepMixer) Params() []*autograd.Param                               { return nil }
func (stepMixer) Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var { return x }
func (stepMixer) Spec() model.Layer                                       { return model.Layer{Kind: "mixer", Name: "mix"} }

// plainNeuron is a neuron layer without a Stateful contract.
type plainNeuron struct{ stepMixer }

func (plainNeuron) Name() string { return "plain" }
func (plainNeuron) Scan(t *autograd.Tape, x *autograd.Var) (out, mem *autograd.Var) {
	return x, x
}

func TestWindowsErrors(t *testing.T) {
	lif := NewLIF("lif", 2, LIFConfig{Beta: 0.9})
	for _, c := range []struct {
		net  *Sequential
		want string
	}{
		{NewSequential(lif, stepMixer{}), `layers: mixer "mix": cannot run in windows of time steps: layers.stepMixer is not known to map each time step on its own`},
		{NewSequential(plainNeuron{}), `layers: mixer "plain": cannot run in windows of time steps: layers.plainNeuron keeps no layers.Stateful contract of LIFState, SynapticState, LIState, ALIFState, AdLIFState or SRMState, so its state cannot be carried between windows`},
		{NewSequential(lif, NewBatchNorm("bn", 1, 2, BatchNormConfig{})), `layers: batchnorm "bn": cannot run in windows of time steps: *layers.BatchNorm is not known to map each time step on its own`},
	} {
		err := c.net.CheckWindows()
		var ce *ConfigError
		if !errors.As(err, &ce) || err.Error() != c.want {
			t.Errorf("CheckWindows: %v\nwant %s", err, c.want)
		}
	}
	if err := tutorialNet(t, 2, 3, 2).CheckWindows(); err != nil {
		t.Errorf("tutorial net: %v", err)
	}
	err := configPanic(t, func() {
		tutorialNet(t, 2, 3, 2).ForwardWindows(autograd.NewTape(), autograd.NewTape().New(4, 1, 2), 0, Windows{K: 0})
	})
	if err == nil || err.Error() != "layers: sequential: window = 0: must be at least 1 time step" {
		t.Errorf("K = 0: %v", err)
	}
}
