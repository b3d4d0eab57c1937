package datasets_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/spikegrad/spikegrad/datasets"
	"github.com/spikegrad/spikegrad/infer"
	"github.com/spikegrad/spikegrad/layers"
	"github.com/spikegrad/spikegrad/safetensors"
)

// sparseStream returns n random events on the 34×34 sensor of N-MNIST, at
// increasing times 0 to 99 µs apart.
func sparseStream(n int, seed uint64) *datasets.EventStream {
	rng := rand.New(rand.NewPCG(seed, 3))
	s := &datasets.EventStream{Width: 34, Height: 34, Path: "sparse"}
	var t int64
	for range n {
		t += rng.Int64N(100)
		s.Events = append(s.Events, datasets.Event{T: t, X: uint16(rng.IntN(34)), Y: uint16(rng.IntN(34)), P: uint8(rng.IntN(2))})
	}
	return s
}

// TestFramesEventsFeedInfer feeds a batch of streams to the inference
// engine in the two forms the package makes: the dense binary tensor
// [T, B, 2·34·34] (through a FrameSet, as infer.Run reads a dataset, and
// through StackFrames and Engine.Forward) and, one sample at a time, the
// per-step index lists of Frames.Events through Engine.Step. The outputs of
// the last layer at every step and the predicted classes must be the same
// bit for bit.
func TestFramesEventsFeedInfer(t *testing.T) {
	const T, B, F = 20, 4, 2 * 34 * 34
	rng := rand.New(rand.NewPCG(5, 5))
	net := layers.NewSequential(
		layers.NewConv2d("conv", 2, 34, 34, 4, [2]int{3, 3}, layers.Conv2dConfig{Padding: [2]int{1, 1}, Stride: [2]int{2, 2}, RNG: rng}),
		layers.NewLIF("lif", 4*17*17, layers.LIFConfig{Beta: 0.9, Threshold: 0.5}),
		layers.NewLinear("fc", 4*17*17, 10, layers.LinearConfig{RNG: rng}),
		layers.NewLI("out", 10, layers.LIConfig{Beta: 0.9}))
	var ws []safetensors.Tensor
	for _, p := range net.Params() {
		if p.Name == "conv.weight" {
			for i := range p.Data {
				p.Data[i] *= 2 // so that the LIF layer spikes, sparsely
			}
		}
		ws = append(ws, safetensors.Tensor{Name: p.Name, Shape: p.Shape(), Data: slices.Clone(p.Data)})
	}
	e, err := infer.New(&infer.Model{Arch: net.Model(), Weights: ws, Steps: T,
		Encoding: infer.Encoding{Name: infer.EncodingSpikes}, Readout: infer.ReadoutMembraneSum})
	if err != nil {
		t.Fatal(err)
	}
	// 3000 events in 20 bins on 2312 inputs: at most 150/2312 = 6.5 % of
	// the inputs are active at a step, below infer.EventActivity (15 %), so
	// both forms run the event-driven products.
	cfg := datasets.FrameConfig{TimeBins: T, LastToEnd: true, Binary: true}
	streams := make([]*datasets.EventStream, B)
	frames := make([]*datasets.Frames, B)
	for b := range streams {
		streams[b] = sparseStream(3000, uint64(b))
		if frames[b], err = datasets.ToFrames(streams[b], cfg); err != nil {
			t.Fatal(err)
		}
	}
	x := make([]float32, T*B*F)
	if err := datasets.StackFrames(x, frames); err != nil {
		t.Fatal(err)
	}
	var tr infer.Trace
	preds := make([]int, B)
	if err := e.Forward(e.NewState(B), x, T, false, true, preds, &tr); err != nil {
		t.Fatal(err)
	}
	set, err := datasets.NewFrameSet(streams, []int{0, 1, 2, 3}, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	runPreds, _, err := e.Run(set, infer.RunOptions{BatchSize: B})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(runPreds, preds) {
		t.Errorf("Run over the FrameSet predicts %v, Forward over StackFrames %v", runPreds, preds)
	}
	// The LIF layer must spike, and stay below infer.EventActivity in every
	// sample and step, so that its products run event-driven both in the
	// batch and one sample at a time (the dense product rounds otherwise).
	spikes, worst := 0, 0
	for i := range T * B {
		n := 0
		for _, v := range tr.Layers[1].Out[i*4*17*17 : (i+1)*4*17*17] {
			n += int(v)
		}
		spikes, worst = spikes+n, max(worst, n)
	}
	if spikes == 0 || float64(worst) >= infer.EventActivity*4*17*17 {
		t.Fatalf("the LIF layer fires %d spikes, at most %d of %d at a step: want some, below %g of them", spikes, worst, 4*17*17, infer.EventActivity)
	}
	last := tr.Layers[len(tr.Layers)-1].Out
	s := e.NewState(1)
	for b, f := range frames {
		s.Reset(e)
		for step, ev := range f.Events() {
			out, err := e.Step(s, infer.Input{Events: ev})
			if err != nil {
				t.Fatal(err)
			}
			if want := last[(step*B+b)*10 : (step*B+b+1)*10]; !slices.Equal(out, want) {
				t.Fatalf("sample %d step %d: Step on the index list gives %v, Forward on the dense tensor %v", b, step, out, want)
			}
		}
		p := make([]int, 1)
		e.Predict(s, p)
		if p[0] != preds[b] {
			t.Errorf("sample %d: Step predicts %d, Forward %d", b, p[0], preds[b])
		}
	}
}
