package infer_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/infer"
	"github.com/spikegrad/spikegrad/layers"
)

// TestRecurrentRefused: the engine has no recurrent layers; New on a model
// with one returns an *infer.Error naming the layer and its kind (no
// panic, no engine).
func TestRecurrentRefused(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	lif := layers.LIFConfig{Beta: 0.9}
	for _, rec := range []layers.Layer{
		layers.NewRLIF("rec", 16, lif, layers.RecurrentConfig{RNG: rng}),
		layers.NewRSynaptic("rec", 16, layers.SynapticConfig{LIFConfig: lif, Alpha: 0.8}, layers.RecurrentConfig{OneToOne: true}),
	} {
		net := layers.NewSequential(
			layers.NewLinear("fc1", 20, 16, layers.LinearConfig{RNG: rng}),
			rec,
			layers.NewLinear("fc2", 16, 10, layers.LinearConfig{RNG: rng}),
			layers.NewLI("out", 10, layers.LIConfig{Beta: 0.9}))
		m := export(net, 10, infer.Encoding{Name: infer.EncodingRate, Gain: 0.5}, infer.ReadoutMembraneSum)
		kind := net.Model().Layers[1].Kind
		e, err := infer.New(m)
		var ie *infer.Error
		if e != nil || !errors.As(err, &ie) || !strings.Contains(err.Error(), `layer 1 "rec"`) || !strings.Contains(err.Error(), `"`+kind+`"`) {
			t.Errorf("%s: New returned %v, %v; want an *infer.Error naming layer 1 \"rec\" and the kind", kind, e, err)
		}
	}
}
