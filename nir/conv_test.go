package nir

import (
	"errors"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/infer"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/safetensors"
)

// randomWeights returns tensors of every parameter of m (model.Payload's
// shapes as infer.Validate wants them): normal weights, decays in (0, 1),
// thresholds in [0.5, 1.5).
func randomWeights(t *testing.T, m *model.Model, shapes map[string][]int) []safetensors.Tensor {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 7))
	var ws []safetensors.Tensor
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range shapes {
			if !yield(k) {
				return
			}
		}
	}) {
		s := shapes[name]
		n := 1
		for _, d := range s {
			n *= d
		}
		v := make([]float32, n)
		for i := range v {
			switch {
			case strings.HasSuffix(name, ".beta"), strings.HasSuffix(name, ".alpha"):
				v[i] = 0.5 + 0.4*rng.Float32()
			case strings.HasSuffix(name, ".threshold"):
				v[i] = 0.5 + rng.Float32()
			default:
				v[i] = float32(rng.NormFloat64())
			}
		}
		ws = append(ws, safetensors.Tensor{Name: name, Shape: s, Data: v})
	}
	if err := (&infer.Model{Arch: m, Weights: ws, Steps: 1, Encoding: infer.Encoding{Name: infer.EncodingSpikes}, Readout: infer.ReadoutMembraneSum}).Validate(); err != nil {
		t.Fatal(err)
	}
	return ws
}

var surr = model.Surrogate{Name: "fast_sigmoid", Params: map[string]float64{"slope": 25}}

// convModel is a model of the kinds with NIR nodes beyond the flat ones:
// conv2d (bias, stride, padding, dilation), lif over the conv's
// [C, H, W] output, sumpool2d, conv2d without bias, avgpool2d, flatten, a
// linear layer, an all-to-all rlif, a linear layer and a one-to-one
// rsynaptic read-out.
func convModel(t *testing.T) (*model.Model, []safetensors.Tensor) {
	lif := model.LIF{N: 4 * 8 * 8, Beta: 0.9, Threshold: 1, Reset: model.ResetSubtract, Surrogate: surr, PerNeuron: true}
	lif2 := lif
	lif2.N, lif2.PerNeuron, lif2.Reset = 6*4*4, false, model.ResetZero
	rec := lif
	rec.N, rec.PerNeuron = 12, false
	m := &model.Model{Format: model.Format, Layers: []model.Layer{
		model.NewLayer("conv1", model.Conv2d{In: 2, Out: 4, H: 16, W: 16, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1},
			Dilation: [2]int{1, 1}, Groups: 1, Bias: true, Init: model.InitPyTorch}),
		model.NewLayer("lif1", lif),
		model.NewLayer("pool1", model.Pool2d{Op: model.KindSumPool2d, C: 4, H: 8, W: 8, Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}}),
		model.NewLayer("conv2", model.Conv2d{In: 4, Out: 6, H: 4, W: 4, Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{2, 2},
			Dilation: [2]int{2, 2}, Groups: 1, Bias: false, Init: model.InitPyTorch}),
		model.NewLayer("lif2", lif2),
		model.NewLayer("pool2", model.Pool2d{Op: model.KindAvgPool2d, C: 6, H: 4, W: 4, Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}}),
		model.NewLayer("flat", model.Flatten{In: 24}),
		model.NewLayer("fc1", model.Linear{In: 24, Out: 12, Bias: true, Init: model.InitPyTorch}),
		model.NewLayer("rec", model.RLIF{LIF: rec}),
		model.NewLayer("fc2", model.Linear{In: 12, Out: 5, Init: model.InitPyTorch}),
		model.NewLayer("out", model.RSynaptic{Synaptic: model.Synaptic{LIF: model.LIF{N: 5, Beta: 0.8, Threshold: 0.7, Reset: model.ResetSubtract, Surrogate: surr}, Alpha: 0.6}, OneToOne: true}),
	}}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	return m, randomWeights(t, m, map[string][]int{
		"conv1.weight": {4, 2, 3, 3}, "conv1.bias": {4}, "lif1.beta": {256}, "lif1.threshold": {256},
		"conv2.weight": {6, 4, 3, 3}, "lif2.beta": {1}, "lif2.threshold": {1},
		"fc1.weight": {24, 12}, "fc1.bias": {12}, "rec.beta": {1}, "rec.threshold": {1}, "rec.recurrent": {12, 12},
		"fc2.weight": {12, 5}, "out.alpha": {1}, "out.beta": {1}, "out.threshold": {1}, "out.recurrent": {5},
	})
}

// conv1dModel: conv1d (stride, padding, dilation), lif, flatten, linear, li.
func conv1dModel(t *testing.T) (*model.Model, []safetensors.Tensor) {
	m := &model.Model{Format: model.Format, Layers: []model.Layer{
		model.NewLayer("tconv", model.Conv1d{In: 4, Out: 6, L: 20, Kernel: 3, Stride: 2, Padding: 1, Dilation: 2, Groups: 1, Bias: true, Init: model.InitPyTorch}),
		model.NewLayer("lif1", model.LIF{N: 54, Beta: 0.9, Threshold: 1, Reset: model.ResetZero, Surrogate: surr}),
		model.NewLayer("flat", model.Flatten{In: 54}),
		model.NewLayer("fc", model.Linear{In: 54, Out: 3, Bias: true, Init: model.InitPyTorch}),
		model.NewLayer("out", model.LI{N: 3, Beta: 0.9}),
	}}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	return m, randomWeights(t, m, map[string][]int{"tconv.weight": {6, 4, 3}, "tconv.bias": {6}, "lif1.beta": {1}, "lif1.threshold": {1},
		"fc.weight": {54, 3}, "fc.bias": {3}, "out.beta": {1}})
}

// roundTrip writes m as NIR, reads the file and converts it back, and
// requires the same model.json and tensors bit for bit, and equal outputs
// of the inference engine on both over 8 steps of random spikes. It
// returns the file.
func roundTrip(t *testing.T, m *model.Model, w []safetensors.Tensor) string {
	t.Helper()
	const dt = 1e-3
	g, err := FromModel(m, w, dt)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.nir")
	if err := Write(path, g); err != nil {
		t.Fatal(err)
	}
	back, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	m2, w2, err := ToModel(back, dt)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := model.Marshal(m)
	b, _ := model.Marshal(m2)
	if string(a) != string(b) {
		t.Errorf("architecture differs:\n%s\nback:\n%s", a, b)
	}
	byName := map[string]safetensors.Tensor{}
	for _, x := range w2 {
		byName[x.Name] = x
	}
	if len(w2) != len(w) {
		t.Errorf("%d tensors back, wrote %d", len(w2), len(w))
	}
	for _, x := range w {
		y := byName[x.Name]
		if !slices.Equal(x.Shape, y.Shape) || !slices.Equal(x.Data, y.Data) {
			t.Errorf("%s: shape %v, back %v; the values differ: %v", x.Name, x.Shape, y.Shape, !slices.Equal(x.Data, y.Data))
		}
	}
	const T, B = 8, 3
	var outs [2][]float32
	for i, mm := range []struct {
		m *model.Model
		w []safetensors.Tensor
	}{{m, w}, {m2, w2}} {
		e, err := infer.New(&infer.Model{Arch: mm.m, Weights: mm.w, Steps: T, Encoding: infer.Encoding{Name: infer.EncodingSpikes}, Readout: infer.ReadoutMembraneSum})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(5, 5))
		x := make([]float32, T*B*e.Inputs())
		for j := range x {
			if rng.Float64() < 0.3 {
				x[j] = 1
			}
		}
		var tr infer.Trace
		if err := e.Forward(e.NewState(B), x, T, false, true, nil, &tr); err != nil {
			t.Fatal(err)
		}
		outs[i] = tr.Layers[len(tr.Layers)-1].Mem
	}
	if !slices.Equal(outs[0], outs[1]) {
		t.Errorf("the read-out membranes of the model and of its round trip differ")
	}
	return path
}

// TestConvRoundTrip: models with convolutions, pooling, flatten and
// recurrent layers come back from NIR bit for bit and compute the same;
// the reference reader reads the files with its type checks (every
// node's input type is the output type of the node before), sees the node
// types, and the recurrences as cycles.
func TestConvRoundTrip(t *testing.T) {
	m, w := convModel(t)
	path := roundTrip(t, m, w)
	out := runRef(t, `
import sys, nir
g = nir.read(sys.argv[1])
print(",".join(type(g.nodes[n]).__name__ for n in ["input", "conv1", "lif1", "pool1", "conv2", "lif2", "pool2", "flat", "fc1", "rec.lif", "rec.w_rec", "fc2", "out.lif", "out.w_rec", "output"]))
print(("rec.lif", "rec.w_rec") in g.edges, ("rec.w_rec", "rec.lif") in g.edges, ("out.w_rec", "out.lif") in g.edges)
print(g.nodes["lif1"].tau.shape, list(g.nodes["conv1"].output_type["output"]), list(g.nodes["flat"].output_type["output"]))
`, path)
	want := "Input,Conv2d,LIF,SumPool2d,Conv2d,LIF,AvgPool2d,Flatten,Affine,LIF,Linear,Linear,CubaLIF,Linear,Output\nTrue True True\n(4, 8, 8) [4, 8, 8] [24]\n"
	if out != want {
		t.Errorf("reference reader:\n%s\nwant:\n%s", out, want)
	}
	m1, w1 := conv1dModel(t)
	path = roundTrip(t, m1, w1)
	out = runRef(t, `
import sys, nir
g = nir.read(sys.argv[1])
print(type(g.nodes["tconv"]).__name__, list(g.nodes["tconv"].output_type["output"]))
`, path)
	if want := "Conv1d [6, 9]\n"; out != want {
		t.Errorf("reference reader: %q, want %q", out, want)
	}
}

// TestConvExportErrors: a max pool, a batchnorm and the adaptive neurons
// have no NIR node, and a grouped convolution's file would not pass the
// reference reader's type check; the errors name the layer and say why.
func TestConvExportErrors(t *testing.T) {
	for _, c := range []struct {
		l    model.Layer
		want string
	}{
		{model.NewLayer("mp", model.Pool2d{Op: model.KindMaxPool2d, C: 1, H: 4, W: 4, Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}}),
			"node mp: kind: layer kind maxpool2d has no NIR node: NIR 1.0 has no max pooling"},
		{model.NewLayer("bn", model.BatchNorm{N: 16, Channels: 1, Mode: model.BNShared, Eps: 1e-5, Momentum: 0.1}),
			"node bn: kind: layer kind batchnorm has no NIR node"},
		{model.NewLayer("gc", model.Conv2d{In: 2, Out: 2, H: 2, W: 2, Kernel: [2]int{1, 1}, Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}, Groups: 2, Init: model.InitPyTorch}),
			"node gc: groups: 2: "},
		{model.NewLayer("al", model.ALIF{LIF: model.LIF{N: 4, Beta: 0.9, Threshold: 1, Reset: model.ResetSubtract, Surrogate: surr}, Rho: 0.9, Adapt: 1.8}),
			"node al: kind: layer kind alif has no NIR node: NIR 1.0 has no adaptive neuron, and its LIF node's threshold is a fixed parameter"},
		{model.NewLayer("ad", model.AdLIF{N: 4, Threshold: 1, Surrogate: surr}),
			"node ad: kind: layer kind adlif has no NIR node: NIR 1.0 has no adaptive neuron, and its LIF node gives only spikes"},
		{model.NewLayer("rad", model.RadLIF{AdLIF: model.AdLIF{N: 4, Threshold: 1, Surrogate: surr}}),
			"node rad: kind: layer kind radlif has no NIR node: NIR 1.0 has no adaptive neuron"},
	} {
		m := &model.Model{Format: model.Format, Layers: []model.Layer{c.l,
			model.NewLayer("lif", model.LIF{N: 4, Beta: 0.9, Threshold: 1, Reset: model.ResetZero, Surrogate: surr})}}
		_, err := FromModel(m, nil, 1e-3)
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an *Error containing %q", c.l.Kind, err, c.want)
		}
	}
}

// TestImportSamples converts the NIR files of other frameworks that
// contain convolution, pooling, flatten and recurrent nodes: Sinabs' N-MNIST
// CNN (dt = 1: its IF neurons add their input as is, gain r·dt = 1) and
// snnTorch's recurrent Braille networks (dt = 1e-4, snnTorch's export
// step), and runs each model in the inference engine. The files whose
// recurrence is a nested graph that names a node it does not hold are
// refused by Read, naming that node.
func TestImportSamples(t *testing.T) {
	dir := samples(t)
	for _, c := range []struct {
		file  string
		dt    float64
		kinds string
	}{
		{"02_cnn__cnn_sinabs.nir", 1, "conv2d,lif,conv2d,lif,sumpool2d,conv2d,lif,sumpool2d,flatten,linear,lif,linear,lif"},
		{"03_rnn__braille_noDelay_bias_zero.nir", 1e-4, "linear,rsynaptic,linear,synaptic"},
		{"03_rnn__braille_noDelay_noBias_subtract.nir", 1e-4, "linear,rsynaptic,linear,synaptic"},
	} {
		g, err := Read(filepath.Join(dir, c.file))
		if err != nil {
			t.Fatal(err)
		}
		m, w, err := ToModel(g, c.dt)
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		var kinds []string
		for _, l := range m.Layers {
			kinds = append(kinds, l.Kind)
		}
		if got := strings.Join(kinds, ","); got != c.kinds {
			t.Errorf("%s: layers %s, want %s", c.file, got, c.kinds)
		}
		im := &infer.Model{Arch: m, Weights: w, Steps: 5, Encoding: infer.Encoding{Name: infer.EncodingSpikes}, Readout: infer.ReadoutMembraneSum}
		e, err := infer.New(im)
		if err != nil {
			t.Errorf("%s: the engine refuses the model: %v", c.file, err)
			continue
		}
		x := make([]float32, 5*e.Inputs())
		for i := range x {
			x[i] = float32(i % 3 % 2)
		}
		if err := e.Forward(e.NewState(1), x, 5, false, true, make([]int, 1), nil); err != nil {
			t.Errorf("%s: %v", c.file, err)
		}
		switch {
		case strings.HasPrefix(c.file, "02"):
			// The first convolution's weights are the file's, as stored.
			conv := g.Nodes["0"].Params["weight"]
			if got := w[0]; got.Name != "0.weight" || !slices.Equal(got.Shape, conv.Shape) || float64(got.Data[7]) != conv.Data[7] {
				t.Errorf("%s: first tensor %s %v, want 0.weight %v as stored", c.file, got.Name, got.Shape, conv.Shape)
			}
		case strings.Contains(c.file, "bias_zero"):
			// V[i, j] = gain_j·W_rec[j, i], gain = r·w_in·dt²/(tau_mem·tau_syn),
			// and the recurrent Affine's bias joins fc1's: (b + b_rec)·gain.
			n := g.Nodes["lif1.lif"].Params
			wr, br, b1 := g.Nodes["lif1.w_rec"].Params["weight"], g.Nodes["lif1.w_rec"].Params["bias"], g.Nodes["fc1"].Params["bias"]
			gain := float32(n["r"].Data[3] * n["w_in"].Data[3] * c.dt * c.dt / (n["tau_mem"].Data[3] * n["tau_syn"].Data[3]))
			byName := map[string][]float32{}
			for _, x := range w {
				byName[x.Name] = x.Data
			}
			if m.Layers[1].Name != "lif1" {
				t.Errorf("the recurrent layer is called %q, want lif1 (of lif1.lif and lif1.w_rec)", m.Layers[1].Name)
			}
			if got, want := byName["lif1.recurrent"][5*38+3], float32(wr.Data[3*38+5])*gain; got != want {
				t.Errorf("lif1.recurrent[5, 3] = %v, want %v", got, want)
			}
			if got, want := byName["fc1.bias"][3], (float32(b1.Data[3])+float32(br.Data[3]))*gain; got != want {
				t.Errorf("fc1.bias[3] = %v, want %v", got, want)
			}
		}
	}
	for _, f := range []string{"03_rnn__extras__braille_noDelay_bias_zero_subgraph.nir", "03_rnn__extras__braille_noDelay_noBias_subtract_subgraph.nir"} {
		if _, err := Read(filepath.Join(dir, f)); err == nil || !strings.Contains(err.Error(), `no node "lif"`) {
			t.Errorf("%s: %v, want an error naming the missing node lif", f, err)
		}
	}
}

// TestInlineNested: a recurrent layer written as a nested graph (snnTorch's
// export of RSynaptic: a NIRGraph with input, lif, w_rec, output) is
// inlined and converts to the model of the flat graph.
func TestInlineNested(t *testing.T) {
	lifP := map[string]*Array{"tau": F64([]int{2}, 0.01, 0.02), "r": F64([]int{2}, 1, 1), "v_leak": F64([]int{2}, 0, 0), "v_threshold": F64([]int{2}, 1, 1)}
	flat := &Graph{Nodes: map[string]*Node{
		"input":     {Type: "Input", Params: map[string]*Array{"shape": I64([]int{1}, 3)}},
		"fc":        {Type: "Affine", Params: map[string]*Array{"weight": F32([]int{2, 3}, 1, 2, 3, 4, 5, 6), "bias": F32([]int{2}, 0.5, -0.5)}},
		"rec.lif":   {Type: "LIF", Params: lifP},
		"rec.w_rec": {Type: "Affine", Params: map[string]*Array{"weight": F32([]int{2, 2}, 0.1, 0.2, 0.3, 0.4), "bias": F32([]int{2}, 1, 2)}},
		"output":    {Type: "Output", Params: map[string]*Array{"shape": I64([]int{1}, 2)}},
	}, Edges: []Edge{{"input", "fc"}, {"fc", "rec.lif"}, {"rec.lif", "rec.w_rec"}, {"rec.w_rec", "rec.lif"}, {"rec.lif", "output"}}}
	nested := &Graph{Nodes: map[string]*Node{
		"input":  flat.Nodes["input"],
		"fc":     flat.Nodes["fc"],
		"output": flat.Nodes["output"],
		"rec": {Type: TypeGraph, Graph: &Graph{Nodes: map[string]*Node{
			"input":  {Type: "Input", Params: map[string]*Array{"shape": I64([]int{1}, 2)}},
			"lif":    flat.Nodes["rec.lif"],
			"w_rec":  flat.Nodes["rec.w_rec"],
			"output": {Type: "Output", Params: map[string]*Array{"shape": I64([]int{1}, 2)}},
		}, Edges: []Edge{{"input", "lif"}, {"lif", "w_rec"}, {"w_rec", "lif"}, {"lif", "output"}}}},
	}, Edges: []Edge{{"input", "fc"}, {"fc", "rec.input"}, {"rec.output", "output"}}}
	m1, w1, err := ToModel(flat, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	m2, w2, err := ToModel(nested, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := model.Marshal(m1)
	b, _ := model.Marshal(m2)
	if string(a) != string(b) || len(w1) != len(w2) {
		t.Fatalf("nested:\n%s\nflat:\n%s", b, a)
	}
	for i := range w1 {
		if w1[i].Name != w2[i].Name || !slices.Equal(w1[i].Data, w2[i].Data) {
			t.Errorf("tensor %s differs", w1[i].Name)
		}
	}
	if m1.Layers[1].Kind != model.KindRLIF || m1.Layers[1].Name != "rec" {
		t.Errorf("layer 1: %s %s, want rlif rec", m1.Layers[1].Kind, m1.Layers[1].Name)
	}
}
