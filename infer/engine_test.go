package infer_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/infer"
	"github.com/spikegrad/spikegrad/internal/kernels"
	"github.com/spikegrad/spikegrad/layers"
)

// mixedNet is a network with every layer kind and reset rule, per-neuron
// and shared parameters: in-64 LIF(subtract) -64-48 Synaptic(zero, per
// neuron) -48-32 LIF(none) -32-10 LI.
func mixedNet(in int, seed uint64) *layers.Sequential {
	rng := rand.New(rand.NewPCG(seed, 1))
	syn := layers.SynapticConfig{LIFConfig: layers.LIFConfig{Beta: 0.9, Threshold: 0.5, Reset: layers.ResetZero, PerNeuron: true}, Alpha: 0.8}
	net := layers.NewSequential(
		layers.NewLinear("fc1", in, 64, layers.LinearConfig{RNG: rng}),
		layers.NewLIF("lif1", 64, layers.LIFConfig{Beta: 0.95}),
		layers.NewLinear("fc2", 64, 48, layers.LinearConfig{RNG: rng}),
		layers.NewSynaptic("syn2", 48, syn),
		layers.NewLinear("fc3", 48, 32, layers.LinearConfig{RNG: rng, NoBias: true}),
		layers.NewLIF("lif3", 32, layers.LIFConfig{Beta: 0.8, Threshold: 0.3, Reset: layers.ResetNone}),
		layers.NewLinear("fc4", 32, 10, layers.LinearConfig{RNG: rng}),
		layers.NewLI("li4", 10, layers.LIConfig{Beta: 0.9}),
	)
	// Per-neuron parameters that differ, so that a mix-up of neurons shows.
	s := net.Layers[3].(*layers.Synaptic)
	for i := range s.Beta.Data {
		s.Beta.Data[i] = 0.7 + 0.005*float32(i)
		s.Threshold.Data[i] = 0.3 + 0.01*float32(i)
	}
	// Scale up the weights so that every layer spikes.
	for _, p := range net.Params() {
		if slices.Contains([]string{"fc1.weight", "fc2.weight", "fc3.weight"}, p.Name) {
			for i := range p.Data {
				p.Data[i] *= 4
			}
		}
	}
	return net
}

// TestMixedSpikesExact runs a rate-coded input at 5 % activity through a
// network of every layer kind. Every binary product is sparse enough for
// both the training forward and the engine to add weight rows in ascending
// input order, so the engine must reproduce every spike and membrane bit
// for bit.
func TestMixedSpikesExact(t *testing.T) {
	const T, B, F = 20, 16, 100
	net := mixedNet(F, 3)
	x := randomSpikes(T*B*F, 0.05, 4)
	e, err := infer.New(export(net, T, infer.Encoding{Name: infer.EncodingSpikes}, infer.ReadoutMembraneSum))
	if err != nil {
		t.Fatal(err)
	}
	tape := autograd.NewTape()
	ref := forwardRef(tape, net, x, false, true, T, B, F)
	var tr infer.Trace
	s := e.NewState(B)
	preds := make([]int, B)
	if err := e.Forward(s, x, T, false, true, preds, &tr); err != nil {
		t.Fatal(err)
	}
	active := 0
	for li, rl := range ref.Layers {
		if !slices.Equal(rl.Out.Data, tr.Layers[li].Out) {
			t.Errorf("layer %s: outputs differ", rl.Name)
		}
		if rl.Mem != nil && !slices.Equal(rl.Mem.Data, tr.Layers[li].Mem) {
			t.Errorf("layer %s: membranes differ", rl.Name)
		}
		if rl.Name == "lif3" {
			for _, v := range rl.Out.Data {
				if v != 0 {
					active++
				}
			}
		}
	}
	if active == 0 {
		t.Fatal("lif3 never spikes: the test compares nothing but zeros")
	}
	// The read-out: argmax of Σ_t mem of li4, as train's membrane_sum.
	mem := ref.Layers[len(ref.Layers)-1].Mem.Data
	for b := range B {
		best, bs := 0, float32(0)
		for c := range 10 {
			var sc float32
			for tt := range T {
				sc += mem[(tt*B+b)*10+c]
			}
			if c == 0 || sc > bs {
				best, bs = c, sc
			}
		}
		if preds[b] != best {
			t.Errorf("sample %d: engine predicts %d, training read-out %d", b, preds[b], best)
		}
	}
}

// TestMixedDirect runs a static analog input (direct encoding) through the
// same network: the first product is dense (one product for all steps in
// both engines), so spikes may flip only within the rounding bound.
func TestMixedDirect(t *testing.T) {
	const T, B, F = 20, 16, 100
	net := mixedNet(F, 5)
	rng := rand.New(rand.NewPCG(6, 6))
	x := make([]float32, B*F)
	for i := range x {
		x[i] = rng.Float32()
	}
	e, err := infer.New(export(net, T, infer.Encoding{Name: infer.EncodingDirect}, infer.ReadoutMembraneMax))
	if err != nil {
		t.Fatal(err)
	}
	tape := autograd.NewTape()
	ref := forwardRef(tape, net, x, true, false, T, B, F)
	var tr infer.Trace
	s := e.NewState(B)
	if err := e.Forward(s, x, T, true, false, make([]int, B), &tr); err != nil {
		t.Fatal(err)
	}
	flips, _ := compare(t, net, ref, &tr, x, true, T, B)
	for _, f := range flips {
		t.Log("flip:", f)
	}
}

// TestStepMatchesForward streams the samples of a rate-coded batch one at a
// time through Step, as events, and requires the outputs Forward gives for
// the batch.
func TestStepMatchesForward(t *testing.T) {
	const T, B, F = 15, 4, 100
	net := mixedNet(F, 7)
	x := randomSpikes(T*B*F, 0.05, 8)
	e, err := infer.New(export(net, T, infer.Encoding{Name: infer.EncodingSpikes}, infer.ReadoutMembraneSum))
	if err != nil {
		t.Fatal(err)
	}
	var tr infer.Trace
	preds := make([]int, B)
	if err := e.Forward(e.NewState(B), x, T, false, true, preds, &tr); err != nil {
		t.Fatal(err)
	}
	s := e.NewState(1)
	last := tr.Layers[len(tr.Layers)-1].Out
	for b := range B {
		s.Reset(e)
		for tt := range T {
			var ev []int
			for f := F - 1; f >= 0; f-- { // descending: Step sorts them
				if x[(tt*B+b)*F+f] == 1 {
					ev = append(ev, f)
				}
			}
			out, err := e.Step(s, infer.Input{Events: ev})
			if err != nil {
				t.Fatal(err)
			}
			if want := last[(tt*B+b)*10 : (tt*B+b+1)*10]; !slices.Equal(out, want) {
				t.Fatalf("sample %d step %d: Step gives %v, Forward %v", b, tt, out, want)
			}
		}
		p := make([]int, 1)
		e.Predict(s, p)
		if p[0] != preds[b] {
			t.Errorf("sample %d: Step predicts %d, Forward %d", b, p[0], preds[b])
		}
	}
	// Bad events are errors, not panics.
	for _, ev := range [][]int{{-1}, {F}, {3, 3}} {
		if _, err := e.Step(s, infer.Input{Events: ev}); err == nil {
			t.Errorf("events %v: no error", ev)
		}
	}
	if _, err := e.Step(s, infer.Input{Analog: make([]float32, F-1)}); err == nil {
		t.Error("short analog input: no error")
	}
	if _, err := e.Step(e.NewState(2), infer.Input{}); err == nil {
		t.Error("Step on a batch state: no error")
	}
	small, err := infer.New(export(layers.NewSequential(layers.NewLinear("a", F, 3, layers.LinearConfig{}),
		layers.NewLIF("b", 3, layers.LIFConfig{Beta: 0.9})), T, infer.Encoding{Name: infer.EncodingSpikes}, infer.ReadoutSpikeCount))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := small.Step(s, infer.Input{Events: []int{1}}); err == nil {
		t.Error("Step with another engine's state: no error")
	}
	if err := small.Forward(s, make([]float32, F), 1, true, false, nil, nil); err == nil {
		t.Error("Forward with another engine's state: no error")
	}
}

// randomSpikes returns n values, each 1 with probability p and 0 otherwise,
// drawn from a PCG seeded with seed.
func randomSpikes(n int, p float64, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, seed))
	x := make([]float32, n)
	for i := range x {
		if rng.Float64() < p {
			x[i] = 1
		}
	}
	return x
}

// TestStepAnalog streams analog input through Step: a static image
// presented at every step (whose projection Step computes once) and a
// changing input, each against Forward on a batch of one; the outputs must
// be equal bit for bit, and the work counted must show the single
// projection.
func TestStepAnalog(t *testing.T) {
	const T, F = 12, 100
	net := mixedNet(F, 9)
	e, err := infer.New(export(net, T, infer.Encoding{Name: infer.EncodingDirect}, infer.ReadoutMembraneSum))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(10, 10))
	img := make([]float32, F)
	seq := make([]float32, T*F)
	for i := range img {
		img[i] = rng.Float32()
	}
	for i := range seq {
		seq[i] = rng.Float32()
	}
	for _, c := range []struct {
		name     string
		x        []float32
		constant bool
	}{{"static", img, true}, {"changing", seq, false}} {
		var tr infer.Trace
		if err := e.Forward(e.NewState(1), c.x, T, c.constant, false, nil, &tr); err != nil {
			t.Fatal(err)
		}
		s := e.NewState(1)
		last := tr.Layers[len(tr.Layers)-1].Out
		for tt := range T {
			in := img
			if !c.constant {
				in = seq[tt*F : (tt+1)*F]
			}
			out, err := e.Step(s, infer.Input{Analog: in})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(out, last[tt*10:(tt+1)*10]) {
				t.Fatalf("%s: step %d: Step gives %v, Forward %v", c.name, tt, out, last[tt*10:(tt+1)*10])
			}
		}
		// fc1 is 100x64: one projection of the static image, T of the changing input.
		want := float64(F * 64)
		if !c.constant {
			want *= T
		}
		if got := e.Stats(s).Layers[0].MACs; got != want {
			t.Errorf("%s: fc1 did %v MACs, want %v", c.name, got, want)
		}
	}
}

// TestThreadsIdentical runs a direct-encoded batch on one and on three
// threads: every output of every layer must be equal bit for bit.
func TestThreadsIdentical(t *testing.T) {
	const T, B, F = 10, 300, 100
	net := mixedNet(F, 11)
	e, err := infer.New(export(net, T, infer.Encoding{Name: infer.EncodingDirect}, infer.ReadoutMembraneSum))
	if err != nil {
		t.Fatal(err)
	}
	x := randomSpikes(B*F, 0.5, 12) // values 0 and 1, taken as analog
	var traces [2]infer.Trace
	for i, n := range []int{1, 3} {
		old := kernels.SetThreads(n)
		err := e.Forward(e.NewState(B), x, T, true, false, nil, &traces[i])
		kernels.SetThreads(old)
		if err != nil {
			t.Fatal(err)
		}
	}
	for li, l := range traces[0].Layers {
		if !slices.Equal(l.Out, traces[1].Layers[li].Out) || !slices.Equal(l.Mem, traces[1].Layers[li].Mem) {
			t.Errorf("layer %s: one and three threads differ", l.Name)
		}
	}
}
