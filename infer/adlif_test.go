package infer_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/infer"
	"github.com/spikegrad/spikegrad/layers"
)

// TestNewRefusesRadLIF checks that the engine, which runs AdLIF
// (TestAdaptiveExact) but not its recurrent form, refuses a model with a
// radlif layer with an error naming the layer and the kind rather than
// panicking or running it as an adlif layer (its config embeds adlif's).
func TestNewRefusesRadLIF(t *testing.T) {
	for _, c := range []struct {
		neuron layers.Layer
		kind   string
	}{
		{layers.NewRadLIF("hid", 10, layers.AdLIFConfig{}), "radlif"},
	} {
		net := layers.NewSequential(layers.NewLinear("fc", 32, 10, layers.LinearConfig{}), c.neuron,
			layers.NewLinear("fc2", 10, 4, layers.LinearConfig{}), layers.NewLIF("out", 4, layers.LIFConfig{Beta: 0.9}))
		m := export(net, 5, infer.Encoding{Name: infer.EncodingRate, Gain: 0.5}, infer.ReadoutSpikeCount)
		e, err := infer.New(m)
		var ie *infer.Error
		if e != nil || !errors.As(err, &ie) || !strings.Contains(err.Error(), `"hid"`) || !strings.Contains(err.Error(), `"`+c.kind+`"`) {
			t.Errorf("%s: New returned %v, %v; want an *infer.Error naming layer \"hid\" and kind %q", c.kind, e, err, c.kind)
		}
	}
}
