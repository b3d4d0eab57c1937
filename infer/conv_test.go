package infer_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/infer"
	"github.com/spikegrad/spikegrad/layers"
)

// exactCase is a network the engine must run with the training forward's
// bits, on input x of T steps of B samples of F features.
type exactCase struct {
	name     string
	net      func(rng *rand.Rand) *layers.Sequential
	T, B, F  int
	activity float64 // of the binary input; 0: a constant analog input (direct encoding)
}

// checkExact runs c through the training forward (layers.Sequential.Forward)
// and the engine and requires every layer's output and membrane at every
// step to be equal bit for bit, and the spiking layers to have spiked and
// been silent somewhere (else the comparison says little). It returns the
// engine's stats of the batch.
func checkExact(t *testing.T, c exactCase) *infer.Stats {
	t.Helper()
	rng := rand.New(rand.NewPCG(21, 4))
	net := c.net(rng)
	enc, constant := infer.Encoding{Name: infer.EncodingSpikes}, false
	var x []float32
	if c.activity == 0 {
		enc, constant = infer.Encoding{Name: infer.EncodingDirect}, true
		x = make([]float32, c.B*c.F)
		for i := range x {
			x[i] = rng.Float32()
		}
	} else {
		x = randomSpikes(c.T*c.B*c.F, c.activity, 7)
	}
	m := export(net, c.T, enc, infer.ReadoutMembraneSum)
	e, err := infer.New(m)
	if err != nil {
		t.Fatal(err)
	}
	ref := forwardRef(autograd.NewTape(), net, x, constant, !constant, c.T, c.B, c.F)
	var tr infer.Trace
	s := e.NewState(c.B)
	if err := e.Forward(s, x, c.T, constant, !constant, make([]int, c.B), &tr); err != nil {
		t.Fatal(err)
	}
	for li, rl := range ref.Layers {
		out := tr.Layers[li].Out
		if n := len(rl.Out.Data); constant && n*c.T == len(out) {
			// A layer before the first neuron layer runs once on a constant
			// input on the training side ([B, N]); the engine keeps its
			// output over the steps.
			for step := 1; step < c.T; step++ {
				if !slices.Equal(out[:n], out[step*n:(step+1)*n]) {
					t.Errorf("%s: layer %s: the output of a constant input changes at step %d", c.name, rl.Name, step)
				}
			}
			out = out[:n]
		}
		if !slices.Equal(rl.Out.Data, out) {
			n := 0
			for i, v := range rl.Out.Data {
				if i < len(out) && v != out[i] {
					n++
				}
			}
			t.Errorf("%s: layer %s: %d of %d outputs differ (%d values against %d)", c.name, rl.Name, n, len(rl.Out.Data), len(out), len(rl.Out.Data))
		}
		if rl.Mem != nil && !slices.Equal(rl.Mem.Data, tr.Layers[li].Mem) {
			t.Errorf("%s: layer %s: membranes differ", c.name, rl.Name)
		}
		if kind := m.Arch.Layers[li].Kind; rl.Mem != nil && kind != "li" &&
			(!slices.Contains(rl.Out.Data, 1) || !slices.Contains(rl.Out.Data, 0)) {
			t.Errorf("%s: layer %s always or never spikes: the test compares too little", c.name, rl.Name)
		}
	}
	return e.Stats(s)
}

// scale multiplies the weights of the named parameters by f, so that the
// hidden layers spike at a rate that tests something.
func scale(net *layers.Sequential, f float32, names ...string) *layers.Sequential {
	for _, p := range net.Params() {
		if slices.Contains(names, p.Name) {
			for i := range p.Data {
				p.Data[i] *= f
			}
		}
	}
	return net
}

// TestConvExact runs convolution networks (conv2d with padding, stride,
// dilation and groups; conv1d; max, average and sum pooling; flatten;
// dropout) on binary input at several activities and on a constant analog
// input: the engine's event-driven convolution, which adds the kernel
// weights of each input spike to the outputs it reaches, must give the
// training forward's im2col-and-SGEMM bits, since for binary input both add
// the same weights in the same order (kernels.SgemmKBlock). One network has
// a K of 64·3·3 = 576, two of Sgemm's K blocks (gemmKC = 512), so the
// block-wise sum is tested too.
func TestConvExact(t *testing.T) {
	lif := layers.LIFConfig{Beta: 0.9, Threshold: 0.5}
	cnn := func(rng *rand.Rand) *layers.Sequential {
		return scale(layers.NewSequential(
			layers.NewConv2d("conv1", 2, 8, 8, 4, [2]int{3, 3}, layers.Conv2dConfig{Padding: [2]int{1, 1}, RNG: rng}),
			layers.NewLIF("lif1", 4*8*8, lif),
			layers.NewMaxPool2d("pool1", 4, 8, 8, [2]int{2, 2}, layers.Pool2dConfig{}),
			layers.NewConv2d("conv2", 4, 4, 4, 6, [2]int{3, 3}, layers.Conv2dConfig{Padding: [2]int{2, 1},
				Stride: [2]int{2, 1}, Dilation: [2]int{2, 1}, Groups: 2, RNG: rng}),
			layers.NewLIF("lif2", 6*2*4, lif),
			layers.NewFlatten("flat", 6*2*4),
			layers.NewDropout("drop", 0.3),
			layers.NewLinear("fc", 48, 10, layers.LinearConfig{RNG: rng}),
			layers.NewLI("out", 10, layers.LIConfig{Beta: 0.9})), 3, "conv1.weight", "conv2.weight")
	}
	pools := func(rng *rand.Rand) *layers.Sequential {
		return scale(layers.NewSequential(
			layers.NewConv2d("conv1", 1, 9, 9, 3, [2]int{3, 3}, layers.Conv2dConfig{NoBias: true, RNG: rng}),
			layers.NewLIF("lif1", 3*7*7, lif),
			layers.NewSumPool2d("sum", 3, 7, 7, [2]int{2, 2}, layers.Pool2dConfig{Padding: [2]int{1, 1}}),
			layers.NewConv2d("conv2", 3, 4, 4, 4, [2]int{2, 2}, layers.Conv2dConfig{RNG: rng}),
			layers.NewLIF("lif2", 4*3*3, lif),
			layers.NewAvgPool2d("avg", 4, 3, 3, [2]int{2, 2}, layers.Pool2dConfig{Stride: [2]int{1, 1}}),
			layers.NewLinear("fc", 16, 10, layers.LinearConfig{RNG: rng}),
			layers.NewLIF("out", 10, lif)), 3, "conv1.weight", "conv2.weight", "fc.weight")
	}
	conv1d := func(rng *rand.Rand) *layers.Sequential {
		return scale(layers.NewSequential(
			layers.NewConv1d("tconv", 4, 20, 8, 5, layers.Conv1dConfig{Padding: 2, Stride: 2, Dilation: 1, RNG: rng}),
			layers.NewSynaptic("syn", 8*10, layers.SynapticConfig{LIFConfig: lif, Alpha: 0.8}),
			layers.NewConv1d("tconv2", 8, 10, 8, 3, layers.Conv1dConfig{Dilation: 2, Groups: 4, RNG: rng}),
			layers.NewLIF("lif2", 8*6, lif),
			layers.NewLinear("fc", 48, 10, layers.LinearConfig{RNG: rng}),
			layers.NewLI("out", 10, layers.LIConfig{Beta: 0.9})), 3, "tconv.weight", "tconv2.weight")
	}
	wide := func(rng *rand.Rand) *layers.Sequential { // K = 64·3·3 = 576 > 512: two K blocks
		return scale(layers.NewSequential(
			layers.NewConv2d("conv1", 64, 5, 5, 8, [2]int{3, 3}, layers.Conv2dConfig{Padding: [2]int{1, 1}, RNG: rng}),
			layers.NewLIF("lif1", 8*5*5, lif),
			// 16 outputs: above Sgemm's dot-product path (n <= 15), whose
			// 16-lane sums differ from the event-driven order when the
			// two sides choose different paths for the Linear layer.
			layers.NewLinear("fc", 200, 16, layers.LinearConfig{RNG: rng}),
			layers.NewLI("out", 16, layers.LIConfig{Beta: 0.9})), 4, "conv1.weight")
	}
	for _, c := range []exactCase{
		{"cnn-5%", cnn, 12, 6, 128, 0.05},
		{"cnn-30%", cnn, 12, 6, 128, 0.3}, // above EventActivity: the dense path on spikes
		{"cnn-direct", cnn, 8, 4, 128, 0},
		{"pools", pools, 12, 6, 81, 0.1},
		{"conv1d", conv1d, 12, 6, 80, 0.08},
		{"wide-k", wide, 10, 4, 64 * 25, 0.05},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := checkExact(t, c)
			if c.activity > 0 && c.activity < infer.EventActivity && st.Layers[0].SynOps == 0 {
				t.Errorf("first layer did no SynOps on spikes")
			}
		})
	}
	m := export(cnn(rand.New(rand.NewPCG(1, 1))), 5, infer.Encoding{Name: infer.EncodingSpikes}, infer.ReadoutMembraneSum)
	if _, err := infer.Quantize(m, infer.FixedConfig{}); err == nil || !strings.Contains(err.Error(), `layer "conv1"`) ||
		!strings.Contains(err.Error(), `"conv2d"`) {
		t.Errorf("fixed point of a conv net: %v, want an error naming layer conv1 and kind conv2d", err)
	}
}

// TestConvSynOps checks the SynOps of an event-driven convolution against a
// count by hand: a 1-channel 4×4 input, a 3×3 kernel, padding 1, 2 output
// channels. A spike in a corner reaches 4 outputs per channel (taps whose
// output lies inside), one on an edge 6, one inside 9: a corner and an
// inner spike make (4 + 9)·2 = 26 SynOps; the dense forward does
// 2·4·4·9 = 288 products per step.
func TestConvSynOps(t *testing.T) {
	net := layers.NewSequential(
		layers.NewConv2d("conv", 1, 4, 4, 2, [2]int{3, 3}, layers.Conv2dConfig{Padding: [2]int{1, 1}}),
		layers.NewLIF("lif", 32, layers.LIFConfig{Beta: 0.9}))
	e, err := infer.New(export(net, 1, infer.Encoding{Name: infer.EncodingSpikes}, infer.ReadoutSpikeCount))
	if err != nil {
		t.Fatal(err)
	}
	s := e.NewState(1)
	if _, err := e.Step(s, infer.Input{Events: []int{0, 5}}); err != nil {
		t.Fatal(err)
	}
	st := e.Stats(s)
	if got := st.Layers[0]; got.SynOps != 26 || got.DenseOps != 288 || got.MACs != 0 {
		t.Errorf("conv: SynOps %v, DenseOps %v, MACs %v; want 26, 288, 0", got.SynOps, got.DenseOps, got.MACs)
	}
}

// TestRecurrentExact runs RLIF and RSynaptic layers (all to all and one to
// one, every reset rule) and RadLIF layers between Linear layers on binary input: the
// recurrent product of the previous step's spikes is the training side's
// event-driven (or dense) MatMul, so spikes and membranes must be equal bit
// for bit. It checks that the fixed-point form refuses them by name.
func TestRecurrentExact(t *testing.T) {
	const T, B, F = 20, 8, 40
	for _, c := range []struct {
		name string
		rec  func(rng *rand.Rand) layers.Layer
	}{
		{"rlif", func(rng *rand.Rand) layers.Layer {
			return layers.NewRLIF("rec", 32, layers.LIFConfig{Beta: 0.9, Threshold: 0.5}, layers.RecurrentConfig{RNG: rng})
		}},
		{"rlif-zero-121", func(rng *rand.Rand) layers.Layer {
			return layers.NewRLIF("rec", 32, layers.LIFConfig{Beta: 0.8, Threshold: 0.5, Reset: layers.ResetZero, PerNeuron: true},
				layers.RecurrentConfig{OneToOne: true})
		}},
		{"rsynaptic", func(rng *rand.Rand) layers.Layer {
			return layers.NewRSynaptic("rec", 32, layers.SynapticConfig{LIFConfig: layers.LIFConfig{Beta: 0.9, Threshold: 0.5}, Alpha: 0.7},
				layers.RecurrentConfig{RNG: rng})
		}},
		{"rsynaptic-none-121", func(rng *rand.Rand) layers.Layer {
			return layers.NewRSynaptic("rec", 32, layers.SynapticConfig{LIFConfig: layers.LIFConfig{Beta: 0.9, Threshold: 0.5,
				Reset: layers.ResetNone}, Alpha: 0.7}, layers.RecurrentConfig{OneToOne: true})
		}},
		// radlif: alpha in [0.5, 0.7] (at sparch's 0.82-0.96 these inputs
		// stay below threshold), its other ranges sparch's; a per-neuron
		// threshold and a diagonal that is not zero in the weights file
		// (the layer masks it) in the second.
		{"radlif", func(rng *rand.Rand) layers.Layer {
			return layers.NewRadLIF("rec", 32, layers.AdLIFConfig{Threshold: 0.3, Alpha: [2]float32{0.5, 0.7}, RNG: rng})
		}},
		{"radlif-diagonal", func(rng *rand.Rand) layers.Layer {
			l := layers.NewRadLIF("rec", 32, layers.AdLIFConfig{Threshold: 0.3, PerNeuron: true, Alpha: [2]float32{0.5, 0.7}, RNG: rng})
			for i := range 32 {
				l.Threshold.Data[i] += 0.005 * float32(i)
				l.V.Data[i*32+i] = 0.5 - 0.1*float32(i%10)
			}
			return l
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			net := func(rng *rand.Rand) *layers.Sequential {
				rec := c.rec(rng)
				if p := rec.Params()[len(rec.Params())-1]; len(p.Data) == 32 { // one to one: weights that differ, some negative
					for i := range p.Data {
						p.Data[i] = 0.4 - 0.03*float32(i)
					}
				}
				return scale(layers.NewSequential(
					layers.NewLinear("fc1", F, 32, layers.LinearConfig{RNG: rng}), rec,
					layers.NewLinear("fc2", 32, 10, layers.LinearConfig{RNG: rng}),
					layers.NewLIF("out", 10, layers.LIFConfig{Beta: 0.9, Threshold: 0.5})), 3, "fc1.weight", "fc2.weight", "rec.recurrent")
			}
			for _, act := range []float64{0.05, 0.3} {
				checkExact(t, exactCase{c.name, net, T, B, F, act})
			}
			m := export(net(rand.New(rand.NewPCG(1, 1))), T, infer.Encoding{Name: infer.EncodingSpikes}, infer.ReadoutSpikeCount)
			if _, err := infer.Quantize(m, infer.FixedConfig{}); err == nil || !strings.Contains(err.Error(), `layer "rec"`) {
				t.Errorf("fixed point: %v, want an error naming layer rec", err)
			}
		})
	}
}

// TestBatchNormExact runs networks with batchnorm layers in each mode
// (shared, per_step, tdbn) after a convolution and after a Linear layer, in
// inference mode (running statistics, set to values that differ per
// channel and step), on binary input and on a constant analog input (where
// the training forward runs a shared batchnorm once and repeats the input
// before a per_step one): every layer's output and membrane must be the
// training forward's bit for bit. Negative running variances are refused
// naming the tensor.
func TestBatchNormExact(t *testing.T) {
	lif := layers.LIFConfig{Beta: 0.9, Threshold: 0.5}
	const T = 6
	for _, mode := range []layers.BNMode{layers.BNShared, layers.BNPerStep, layers.BNTD} {
		cfg := layers.BatchNormConfig{Mode: mode, Steps: T}
		if mode == layers.BNTD {
			cfg.Alpha, cfg.Threshold = 1, 0.5
		}
		net := func(rng *rand.Rand) *layers.Sequential {
			n := layers.NewSequential(
				layers.NewConv2d("conv1", 2, 6, 6, 4, [2]int{3, 3}, layers.Conv2dConfig{Padding: [2]int{1, 1}, RNG: rng}),
				layers.NewBatchNorm("bn1", 4, 4*6*6, cfg),
				layers.NewLIF("lif1", 4*6*6, lif),
				layers.NewFlatten("flat", 144),
				layers.NewLinear("fc", 144, 20, layers.LinearConfig{RNG: rng}),
				layers.NewBatchNorm("bn2", 20, 20, cfg),
				layers.NewLIF("lif2", 20, lif),
				layers.NewLinear("fc2", 20, 10, layers.LinearConfig{RNG: rng}),
				layers.NewLI("out", 10, layers.LIConfig{Beta: 0.9}))
			for _, p := range n.Params() {
				for i := range p.Data {
					switch {
					case strings.HasSuffix(p.Name, "running_mean"):
						p.Data[i] = 0.1 * float32(i%7-3)
					case strings.HasSuffix(p.Name, "running_var"):
						p.Data[i] = 0.05 + 0.03*float32(i%5)
					case strings.HasPrefix(p.Name, "bn") && strings.HasSuffix(p.Name, "weight"):
						p.Data[i] = 0.8 + 0.1*float32(i%4)
					case strings.HasPrefix(p.Name, "bn") && strings.HasSuffix(p.Name, "bias"):
						p.Data[i] = 0.2 - 0.05*float32(i%6)
					}
				}
			}
			return n
		}
		for _, act := range []float64{0.1, 0} {
			t.Run(fmt.Sprintf("%s-%v", mode, act), func(t *testing.T) { checkExact(t, exactCase{string(mode), net, T, 5, 72, act}) })
		}
		m := export(net(rand.New(rand.NewPCG(1, 1))), T, infer.Encoding{Name: infer.EncodingSpikes}, infer.ReadoutMembraneSum)
		for i := range m.Weights {
			if m.Weights[i].Name == "bn2.running_var" {
				m.Weights[i].Data[3] = -0.5
			}
		}
		if _, err := infer.New(m); err == nil || !strings.Contains(err.Error(), "bn2.running_var") {
			t.Errorf("%s: a negative running variance: %v, want an error naming bn2.running_var", mode, err)
		}
	}
}
