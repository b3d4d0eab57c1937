package infer_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/infer"
	"github.com/spikegrad/spikegrad/layers"
)

// TestAdaptiveExact runs networks with IF, ALIF, PLIF and AdLIF layers
// (every reset rule, shared and per-neuron parameters) on binary input at 5 % activity,
// where every product adds weight rows in the same order on both sides: the
// engine must reproduce the training forward's spikes and membranes bit for
// bit, as TestMixedSpikesExact. It also checks that the fixed-point form
// refuses ALIF, PLIF and AdLIF with an error naming the layer.
func TestAdaptiveExact(t *testing.T) {
	const T, B, F = 20, 8, 50
	alif := layers.ALIFConfig{LIFConfig: layers.LIFConfig{Beta: 0.9, Threshold: 0.5, PerNeuron: true}, Rho: 0.9, Adapt: 0.3}
	alifZero := layers.NorseLSNN()
	alifZero.Threshold = 0.5
	for _, c := range []struct {
		name   string
		h1, h2 func() layers.Layer
	}{
		{"if", func() layers.Layer { return layers.NewIF("h1", 32, layers.IFConfig{Threshold: 0.5, PerNeuron: true}) },
			func() layers.Layer { return layers.NewIF("h2", 16, layers.IFConfig{Reset: layers.ResetZero}) }},
		{"alif", func() layers.Layer { return layers.NewALIF("h1", 32, alif) },
			func() layers.Layer { return layers.NewALIF("h2", 16, alifZero) }},
		{"plif", func() layers.Layer {
			return layers.NewPLIF("h1", 32, layers.PLIFConfig{Threshold: 0.3, PerNeuron: true})
		}, func() layers.Layer {
			return layers.NewPLIF("h2", 16, layers.PLIFConfig{Tau: 3, Threshold: 0.3, Reset: layers.ResetZero})
		}},
		// adlif: alpha in [0.5, 0.7] (sparch's range, 0.82-0.96, leaves
		// these inputs below threshold), a per-neuron threshold in h1.
		{"adlif", func() layers.Layer {
			return layers.NewAdLIF("h1", 32, layers.AdLIFConfig{Threshold: 0.3, PerNeuron: true, Alpha: [2]float32{0.5, 0.7}})
		}, func() layers.Layer {
			return layers.NewAdLIF("h2", 16, layers.AdLIFConfig{Threshold: 0.2, Alpha: [2]float32{0.5, 0.7}, B: [2]float32{0, 0.5}})
		}},
		{"alif-none", func() layers.Layer {
			c := alif
			c.Reset = layers.ResetNone
			return layers.NewALIF("h1", 32, c)
		}, func() layers.Layer {
			return layers.NewPLIF("h2", 16, layers.PLIFConfig{Threshold: 0.3, Reset: layers.ResetNone})
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, 1))
			h1 := c.h1()
			net := layers.NewSequential(
				layers.NewLinear("fc1", F, 32, layers.LinearConfig{RNG: rng}), h1,
				layers.NewLinear("fc2", 32, 16, layers.LinearConfig{RNG: rng}), c.h2(),
				layers.NewLinear("fc3", 16, 10, layers.LinearConfig{RNG: rng}),
				layers.NewLI("out", 10, layers.LIConfig{Beta: 0.9}))
			// Per-neuron values that differ, so that a mix-up of neurons shows.
			for _, p := range h1.Params() {
				for i := range p.Data {
					if len(p.Data) > 1 {
						p.Data[i] += 0.005 * float32(i)
					}
				}
			}
			for _, p := range net.Params() {
				if slices.Contains([]string{"fc1.weight", "fc2.weight"}, p.Name) {
					for i := range p.Data {
						p.Data[i] *= 3
					}
				}
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
			for _, li := range []int{1, 3} {
				if !slices.Contains(ref.Layers[li].Out.Data, 1) || !slices.Contains(ref.Layers[li].Out.Data, 0) {
					t.Fatalf("%s always or never spikes: the test compares too little", ref.Layers[li].Name)
				}
			}
			if c.name != "if" {
				if _, err := infer.Quantize(export(net, T, infer.Encoding{Name: infer.EncodingSpikes}, infer.ReadoutMembraneSum), infer.FixedConfig{}); err == nil || !strings.Contains(err.Error(), `layer "h1"`) {
					t.Errorf("fixed point: %v, want an error naming layer h1", err)
				}
			}
		})
	}
}
