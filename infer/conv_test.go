package infer_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/infer"
	"github.com/spikegrad/spikegrad/layers"
)

// TestNewRefusesConv checks that the engine refuses a model with layer
// kinds it does not run (convolution, pooling, flattening, dropout, delay,
// SRM) with an error
// naming the layer and the kind, rather than running it wrongly or
// panicking.
func TestNewRefusesConv(t *testing.T) {
	for _, c := range []struct {
		first layers.Layer
		name  string
		kind  string
	}{
		{layers.NewConv2d("conv1", 1, 4, 4, 2, [2]int{3, 3}, layers.Conv2dConfig{Padding: [2]int{1, 1}}), "conv1", "conv2d"},
		{layers.NewConv1d("tconv", 2, 16, 2, 3, layers.Conv1dConfig{Padding: 1}), "tconv", "conv1d"},
		{layers.NewMaxPool2d("pool", 2, 4, 4, [2]int{1, 1}, layers.Pool2dConfig{}), "pool", "maxpool2d"},
		{layers.NewAvgPool2d("pool", 2, 4, 4, [2]int{1, 1}, layers.Pool2dConfig{}), "pool", "avgpool2d"},
		{layers.NewSumPool2d("pool", 2, 4, 4, [2]int{1, 1}, layers.Pool2dConfig{}), "pool", "sumpool2d"},
		{layers.NewFlatten("flat", 32), "flat", "flatten"},
		{layers.NewDropout("drop", 0.2), "drop", "dropout"},
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
