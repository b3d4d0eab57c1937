package infer_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/infer"
	"github.com/spikegrad/spikegrad/layers"
)

// TestNewRefusesSRMDelay checks that the engine refuses a model with an SRM
// or a delay layer with an error naming the layer and the kind, rather than
// running it wrongly or panicking.
func TestNewRefusesSRMDelay(t *testing.T) {
	for _, c := range []struct {
		first layers.Layer
		name  string
		kind  string
	}{
		{layers.NewDelay("delay", 32, layers.DelayConfig{MaxDelay: 3}), "delay", "delay"},
		{layers.NewSRM("srm", 32, layers.SRMConfig{}), "srm", "srm"},
	} {
		net := layers.NewSequential(c.first,
			layers.NewLinear("fc", 32, 10, layers.LinearConfig{}),
			layers.NewLIF("lif", 10, layers.LIFConfig{Beta: 0.9}))
		m := export(net, 5, infer.Encoding{Name: infer.EncodingRate, Gain: 0.5}, infer.ReadoutSpikeCount)
		e, err := infer.New(m)
		var ie *infer.Error
		if e != nil || !errors.As(err, &ie) || !strings.Contains(err.Error(), `"`+c.name+`"`) || !strings.Contains(err.Error(), `"`+c.kind+`"`) {
			t.Errorf("%s: New returned %v, %v; want an *infer.Error naming layer %q and kind %q", c.kind, e, err, c.name, c.kind)
		}
	}
}
