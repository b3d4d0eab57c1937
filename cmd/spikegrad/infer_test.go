package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/datasets"
	"github.com/spikegrad/spikegrad/infer"
	"github.com/spikegrad/spikegrad/layers"
	"github.com/spikegrad/spikegrad/safetensors"
)

// TestInferFixed runs `spikegrad infer --fixed` on a 784-40-10 LIF network
// (random weights scaled up so that both layers spike) over 300 MNIST test
// images and requires the printed accuracies to be those of infer.New(m).Run
// and infer.Quantize(m, ...).Run in process; and the options' errors.
func TestInferFixed(t *testing.T) {
	data := mnistData(t)
	rng := rand.New(rand.NewPCG(5, 1))
	net := layers.NewSequential(
		layers.NewLinear("fc1", 784, 40, layers.LinearConfig{RNG: rng}),
		layers.NewLIF("lif1", 40, layers.LIFConfig{Beta: 0.9}),
		layers.NewLinear("fc2", 40, 10, layers.LinearConfig{RNG: rng}),
		layers.NewLIF("lif2", 10, layers.LIFConfig{Beta: 0.9}),
	)
	var ws []safetensors.Tensor
	for _, p := range net.Params() {
		d := append([]float32(nil), p.Data...)
		if strings.HasSuffix(p.Name, ".weight") {
			for i := range d {
				d[i] *= 4
			}
		}
		ws = append(ws, safetensors.Tensor{Name: p.Name, Shape: p.Shape(), Data: d})
	}
	m := &infer.Model{Arch: net.Model(), Weights: ws, Steps: 10, Encoding: infer.Encoding{Name: infer.EncodingDirect},
		Readout: infer.ReadoutSpikeCount, Dataset: "mnist"}
	file := filepath.Join(t.TempDir(), "m.sgi")
	if err := infer.Save(file, m); err != nil {
		t.Fatal(err)
	}
	test, err := datasets.Load("mnist", datasets.Test, datasets.ResolveOptions{Dir: data, Offline: true}, datasets.ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	e, err := infer.New(m)
	if err != nil {
		t.Fatal(err)
	}
	_, st, err := e.Run(test, infer.RunOptions{Limit: n})
	if err != nil {
		t.Fatal(err)
	}
	f, err := infer.Quantize(m, infer.FixedConfig{WeightBits: 4, PerChannel: true})
	if err != nil {
		t.Fatal(err)
	}
	_, fst, err := f.Run(test, infer.RunOptions{Limit: n})
	if err != nil {
		t.Fatal(err)
	}
	if fst.Layers[1].Spikes == 0 || fst.Layers[3].Spikes == 0 {
		t.Fatalf("fixed point: %v and %v spikes per sample: the network must spike", fst.Layers[1].Spikes, fst.Layers[3].Spikes)
	}
	ctx := context.Background()
	out, _, err := cmd(ctx, "infer", file, "--data.dir", data, "--limit", fmt.Sprint(n), "--fixed", "--weight-bits", "4", "--per-channel")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"fixed point: 4-bit weights (one weight scale per output channel), 24-bit membrane, 12-bit decay, 8-bit analog input",
		fmt.Sprintf("accuracy: float %.2f%%, fixed point %.2f%%", 100*st.Accuracy, 100*fst.Accuracy),
		fmt.Sprintf("lif1     lif       40  %13.1f", fst.Layers[1].Spikes),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("infer --fixed output lacks %q:\n%s", want, out)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--weight-bits", "8"}, "need --fixed"},
		{[]string{"--per-channel"}, "need --fixed"},
		{[]string{"--fixed", "--weight-bits", "40"}, "WeightBits = 40"},
		{[]string{"--fixed", "--membrane-bits", "x"}, `--membrane-bits "x"`},
		{[]string{"--fixed=1"}, "--fixed takes no value"},
	} {
		_, _, err := cmd(ctx, append([]string{"infer", file, "--data.dir", data, "--limit", "10"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("infer %v: error %v, want one containing %q", c.args, err, c.want)
		}
	}
}
