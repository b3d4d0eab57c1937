package infer_test

import (
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/infer"
	"github.com/spikegrad/spikegrad/layers"
)

// TestRecurrentSynOps counts the recurrent layers' work by hand from the
// trace of their spikes: every spike of steps 0 .. T-2 reaches the next
// step through the layer's recurrent synapses, N of them all to all for
// rlif (a neuron's spike reaches itself too), N - 1 for radlif (its
// diagonal is held at zero: no synapse), so SynOps = spikes · fan-out per
// sample, and the dense forward does N · fan-out products at each of the
// T - 1 steps with previous spikes. The input's SynOps are fc1's.
func TestRecurrentSynOps(t *testing.T) {
	const T, B, F, N = 12, 4, 30, 20
	for _, c := range []struct {
		name   string
		rec    layers.Layer
		fanOut int
	}{
		{"rlif", layers.NewRLIF("rec", N, layers.LIFConfig{Beta: 0.9, Threshold: 0.5}, layers.RecurrentConfig{}), N},
		{"radlif", layers.NewRadLIF("rec", N, layers.AdLIFConfig{Threshold: 0.3, Alpha: [2]float32{0.5, 0.7}}), N - 1},
	} {
		net := scale(layers.NewSequential(
			layers.NewLinear("fc1", F, N, layers.LinearConfig{RNG: rand.New(rand.NewPCG(3, 4))}), c.rec,
			layers.NewLinear("fc2", N, 5, layers.LinearConfig{}),
			layers.NewLIF("out", 5, layers.LIFConfig{Beta: 0.9})), 3, "fc1.weight")
		e, err := infer.New(export(net, T, infer.Encoding{Name: infer.EncodingSpikes}, infer.ReadoutSpikeCount))
		if err != nil {
			t.Fatal(err)
		}
		s := e.NewState(B)
		var tr infer.Trace
		if err := e.Forward(s, randomSpikes(T*B*F, 0.1, 9), T, false, true, make([]int, B), &tr); err != nil {
			t.Fatal(err)
		}
		spikes := 0
		for _, v := range tr.Layers[1].Out[:(T-1)*B*N] {
			if v == 1 {
				spikes++
			}
		}
		if spikes == 0 {
			t.Fatalf("%s: no spikes before the last step: nothing is counted", c.name)
		}
		st := e.Stats(s).Layers[1]
		if want := float64(spikes*c.fanOut) / B; st.SynOps != want {
			t.Errorf("%s: SynOps %v, want %d spikes × %d / %d samples = %v", c.name, st.SynOps, spikes, c.fanOut, B, want)
		}
		if want := float64((T - 1) * N * c.fanOut); st.DenseOps != want {
			t.Errorf("%s: DenseOps %v, want %v", c.name, st.DenseOps, want)
		}
	}
}
