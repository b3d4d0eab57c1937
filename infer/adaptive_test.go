package infer_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/infer"
	"github.com/spikegrad/spikegrad/layers"
)

// TestIFExact runs a network with an IF layer (a LIF of decay 1, on the same
// scan) on binary input at 5 % activity, where every product adds weight
// rows in the same order on both sides: the engine must reproduce the
// training forward's spikes and membranes bit for bit, as TestMixedSpikesExact.
func TestIFExact(t *testing.T) {
	const T, B, F = 20, 8, 50
	rng := rand.New(rand.NewPCG(11, 1))
	net := layers.NewSequential(
		layers.NewLinear("fc1", F, 32, layers.LinearConfig{RNG: rng}),
		layers.NewIF("if1", 32, layers.IFConfig{Threshold: 0.5, PerNeuron: true}),
		layers.NewLinear("fc2", 32, 16, layers.LinearConfig{RNG: rng}),
		layers.NewIF("if2", 16, layers.IFConfig{Reset: layers.ResetZero}),
		layers.NewLinear("fc3", 16, 10, layers.LinearConfig{RNG: rng}),
		layers.NewLI("out", 10, layers.LIConfig{Beta: 0.9}))
	for i, v := range net.Layers[1].(*layers.IF).Threshold.Data {
		net.Layers[1].(*layers.IF).Threshold.Data[i] = v + 0.01*float32(i)
	}
	x := randomSpikes(T*B*F, 0.05, 5)
	e, err := infer.New(export(net, T, infer.Encoding{Name: infer.EncodingSpikes}, infer.ReadoutMembraneSum))
	if err != nil {
		t.Fatal(err)
	}
	ref := forwardRef(autograd.NewTape(), net, x, false, true, T, B, F)
	var tr infer.Trace
	if err := e.Forward(e.NewState(B), x, T, false, true, make([]int, B), &tr); err != nil {
		t.Fatal(err)
	}
	for li, rl := range ref.Layers {
		if !slices.Equal(rl.Out.Data, tr.Layers[li].Out) {
			t.Errorf("layer %s: outputs differ", rl.Name)
		}
		if rl.Mem != nil && !slices.Equal(rl.Mem.Data, tr.Layers[li].Mem) {
			t.Errorf("layer %s: membranes differ", rl.Name)
		}
	}
	if !slices.Contains(ref.Layers[3].Out.Data, 1) {
		t.Fatal("if2 never spikes: the test compares nothing but zeros")
	}
}

// TestNewRefusesAdaptive checks that New refuses a model with an ALIF or a
// PLIF layer with an *infer.Error naming the layer and its kind.
func TestNewRefusesAdaptive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, n := range []layers.Layer{
		layers.NewALIF("hid", 4, layers.NorseLSNN()),
		layers.NewPLIF("hid", 4, layers.PLIFConfig{}),
	} {
		net := layers.NewSequential(layers.NewLinear("fc", 3, 4, layers.LinearConfig{RNG: rng}), n,
			layers.NewLinear("fc2", 4, 2, layers.LinearConfig{RNG: rng}), layers.NewLI("out", 2, layers.LIConfig{Beta: 0.9}))
		kind := n.Spec().Kind
		_, err := infer.New(export(net, 5, infer.Encoding{Name: infer.EncodingDirect}, infer.ReadoutMembraneSum))
		var ie *infer.Error
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), `layer 1 "hid"`) || !strings.Contains(err.Error(), `"`+kind+`"`) {
			t.Errorf("%s: New gave %v, want an *infer.Error naming layer 1 \"hid\" and the kind", kind, err)
		}
	}
}
