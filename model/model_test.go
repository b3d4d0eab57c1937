package model_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/safetensors"
)

// payloads decodes every layer's config.
func payloads(t *testing.T, m *model.Model) []model.Payload {
	t.Helper()
	ps := make([]model.Payload, len(m.Layers))
	for i, l := range m.Layers {
		p, err := l.Payload()
		if err != nil {
			t.Fatalf("layer %d: %v", i, err)
		}
		ps[i] = p
	}
	return ps
}

func tutorial() *model.Model {
	fs := model.Surrogate{Name: "fast_sigmoid", Params: map[string]float64{"slope": 25}}
	return &model.Model{Layers: []model.Layer{
		model.NewLayer("fc1", model.Linear{In: 784, Out: 1000, Bias: true, Init: model.InitPyTorch}),
		model.NewLayer("lif1", model.LIF{N: 1000, Beta: 0.95, Threshold: 1, Reset: model.ResetSubtract, Surrogate: fs}),
		model.NewLayer("fc2", model.Linear{In: 1000, Out: 10, Bias: true, Init: model.InitPyTorch}),
		model.NewLayer("syn2", model.Synaptic{LIF: model.LIF{N: 10, Beta: 0.9, Threshold: 1.5, Reset: model.ResetZero,
			Surrogate: fs, PerNeuron: true}, Alpha: 0.8, LearnAlpha: true}),
		model.NewLayer("out", model.LI{N: 10, Beta: 0.5, LearnBeta: true}),
	}}
}

func TestRoundTrip(t *testing.T) {
	m := tutorial()
	b, err := model.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := model.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Format != model.Format {
		t.Errorf("format %q, want %q", got.Format, model.Format)
	}
	if !reflect.DeepEqual(payloads(t, got), payloads(t, m)) {
		t.Fatalf("payloads differ:\n%+v\n%+v", payloads(t, got), payloads(t, m))
	}
	for i, l := range got.Layers {
		if l.Kind != m.Layers[i].Kind || l.Name != m.Layers[i].Name {
			t.Errorf("layer %d: %s %s, want %s %s", i, l.Kind, l.Name, m.Layers[i].Kind, m.Layers[i].Name)
		}
	}
	// Every field is written, so that a reader needs no defaults.
	for _, key := range []string{`"bias": true`, `"init": "pytorch"`, `"reset_grad": false`, `"learn_alpha": true`, `"per_neuron": false`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("model.json lacks %s:\n%s", key, b)
		}
	}
}

// TestErrors checks that a bad model names the layer and the field.
func TestErrors(t *testing.T) {
	const head = `{"format": "spikegrad.sequential/v2", "layers": [`
	cases := []struct{ json, want string }{
		{head + `{"kind": "lif", "name": "lif1", "config": {"n": 3, "beta": 1.5, "threshold": 1, "reset": "subtract", "surrogate": {"name": "atan"}}}]}`,
			`model: layer 0 "lif1" (lif): beta = 1.5: must be in [0, 1]`},
		{head + `{"kind": "lif", "name": "lif1", "config": {"n": 3, "beta": 0.5, "threshold": 0, "reset": "subtract", "surrogate": {"name": "atan"}}}]}`,
			`model: layer 0 "lif1" (lif): threshold = 0: must be positive and finite`},
		{head + `{"kind": "lif", "name": "lif1", "config": {"n": 3, "beta": 0.5, "threshold": 1, "reset": "soft", "surrogate": {"name": "atan"}}}]}`,
			`model: layer 0 "lif1" (lif): reset = "soft": must be one of subtract, zero, none`},
		{head + `{"kind": "lif", "name": "lif1", "config": {"n": 3, "beta": 0.5, "threshold": 1, "reset": "zero"}}]}`,
			`model: layer 0 "lif1" (lif): surrogate.name: is missing`},
		{head + `{"kind": "linear", "name": "fc1", "config": {"in": 2, "out": 3, "bias": true, "init": "pytorch", "gain": 2}}]}`,
			`model: layer 0 "fc1" (linear): gain: unknown field (allowed: in, out, bias, init)`},
		{head + `{"kind": "linear", "name": "fc1", "config": {"in": "2", "out": 3, "bias": true, "init": "pytorch"}}]}`,
			`model: layer 0 "fc1" (linear): in: must be a whole number, got string`},
		{head + `{"kind": "linear", "name": "fc1", "config": {"in": 2, "out": 0, "bias": true, "init": "pytorch"}}]}`,
			`model: layer 0 "fc1" (linear): out = 0: must be positive`},
		{head + `{"kind": "linear", "name": "fc1", "config": {"in": 2, "out": 3, "bias": true, "init": "he"}}]}`,
			`model: layer 0 "fc1" (linear): init = "he": must be one of pytorch, xavier_uniform, kaiming_normal, zero`},
		{head + `{"kind": "linear", "name": "fc1"}]}`, `model: layer 0 "fc1" (linear): config: is missing`},
		{head + `{"kind": "synaptic", "name": "s", "config": {"n": 3, "beta": 0.5, "threshold": 1, "reset": "zero", "surrogate": {"name": "atan"}, "alpha": -1}}]}`,
			`model: layer 0 "s" (synaptic): alpha = -1: must be in [0, 1]`},
		{head + `{"kind": "li", "name": "out", "config": {"n": 3, "beta": 0.5, "threshold": 1}}]}`,
			`model: layer 0 "out" (li): threshold: unknown field (allowed: n, beta, learn_beta, per_neuron)`},
		{head + `{"kind": "hopfield", "name": "c", "config": {}}]}`,
			`model: layer 0 "c" (hopfield): kind = "hopfield": unknown layer kind (allowed: ` + strings.Join(model.Kinds(), ", ") + `)`},
		{head + `{"kind": "rlif", "name": "rec", "config": {"n": 3, "beta": 1.5, "threshold": 1, "reset": "subtract", "surrogate": {"name": "atan"}, "one_to_one": false}}]}`,
			`model: layer 0 "rec" (rlif): beta = 1.5: must be in [0, 1]`},
		{head + `{"kind": "rlif", "name": "rec", "config": {"n": 3, "beta": 0.5, "threshold": 1, "reset": "subtract", "surrogate": {"name": "atan"}, "all_to_all": true}}]}`,
			`model: layer 0 "rec" (rlif): all_to_all: unknown field (allowed: n, beta, threshold, reset, reset_grad, surrogate, learn_beta, learn_threshold, per_neuron, one_to_one)`},
		{head + `{"kind": "rsynaptic", "name": "rs", "config": {"n": 3, "beta": 0.5, "threshold": 1, "reset": "zero", "surrogate": {"name": "atan"}, "alpha": 2, "one_to_one": true}}]}`,
			`model: layer 0 "rs" (rsynaptic): alpha = 2: must be in [0, 1]`},
		{head + `{"kind": "li", "name": "a", "config": {"n": 3, "beta": 0.5}}, {"kind": "li", "name": "a", "config": {"n": 3, "beta": 0.5}}]}`,
			`model: layer 1 "a" (li): name = "a": another layer has this name (parameters are named after their layer)`},
		{head + `{"kind": "li", "config": {"n": 3, "beta": 0.5}}]}`, `model: layer 0 "" (li): name: is missing`},
		{`{"format": "spikegrad.sequential/v9", "layers": []}`,
			`model: format "spikegrad.sequential/v9", want spikegrad.sequential/v2 (or spikegrad.sequential/v1)`},
		{`{"format": "spikegrad.sequential/v1", "layers": [{"kind": "conv", "name": "x", "out": 1}]}`,
			`model: layer 0 "x" (conv): kind = "conv": unknown layer kind of spikegrad.sequential/v1`},
		{`{"format": "spikegrad.sequential/v1", "layers": [{"kind": "lif", "name": "x", "out": 1, "beta": 2, "threshold": 1}]}`,
			`model: layer 0 "x" (lif): beta = 2: must be in [0, 1]`},
	}
	for _, c := range cases {
		_, err := model.Unmarshal([]byte(c.json))
		if err == nil || err.Error() != c.want {
			t.Errorf("%s\nerror %v\nwant  %s", c.json, err, c.want)
		}
	}
	_, err := model.Unmarshal([]byte(cases[0].json))
	var le *model.LayerError
	var fe *model.FieldError
	if !errors.As(err, &le) || le.Name != "lif1" || !errors.As(err, &fe) || fe.Field != "beta" {
		t.Errorf("error %#v: want a *LayerError for lif1 wrapping a *FieldError for beta", err)
	}
	if _, err := model.Marshal(&model.Model{Layers: []model.Layer{model.NewLayer("fc", model.Linear{In: 1})}}); err == nil {
		t.Error("Marshal wrote a linear layer without outputs")
	}
}

// TestV1 reads the model.json of runs written in the earlier flat format
// (testdata/README.md says how they were made) and checks each layer's
// payload against the file, field by field.
func TestV1(t *testing.T) {
	atan3 := model.Surrogate{Name: "atan", Params: map[string]float64{"alpha": 3}}
	syn := model.LIF{Beta: 0.95, Threshold: 1, Reset: model.ResetZero, ResetGrad: true, Surrogate: atan3,
		LearnBeta: true, LearnThreshold: true, PerNeuron: true}
	syn1, syn2, out := syn, syn, syn
	syn1.N, syn2.N, out.N = 32, 16, 10
	cases := map[string][]model.Layer{
		"v1-lif": {
			model.NewLayer("fc1", model.Linear{In: 100, Out: 128, Bias: true, Init: model.InitPyTorch}),
			model.NewLayer("lif1", model.LIF{N: 128, Beta: 0.95, Threshold: 1, Reset: model.ResetSubtract,
				Surrogate: model.Surrogate{Name: "fast_sigmoid", Params: map[string]float64{"slope": 25}}}),
			model.NewLayer("fc2", model.Linear{In: 128, Out: 10, Bias: true, Init: model.InitPyTorch}),
			model.NewLayer("out", model.LI{N: 10, Beta: 0.95}),
		},
		"v1-synaptic": {
			model.NewLayer("fc1", model.Linear{In: 100, Out: 32, Bias: true, Init: model.InitXavierUniform}),
			model.NewLayer("syn1", model.Synaptic{LIF: syn1, Alpha: 0.9, LearnAlpha: true}),
			model.NewLayer("fc2", model.Linear{In: 32, Out: 16, Bias: true, Init: model.InitXavierUniform}),
			model.NewLayer("syn2", model.Synaptic{LIF: syn2, Alpha: 0.9, LearnAlpha: true}),
			model.NewLayer("fc3", model.Linear{In: 16, Out: 10, Bias: true, Init: model.InitXavierUniform}),
			model.NewLayer("out", out),
		},
	}
	for dir, want := range cases {
		b, err := os.ReadFile("testdata/" + dir + "/model/model.json")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), model.FormatV1) {
			t.Fatalf("%s: not a %s file", dir, model.FormatV1)
		}
		m, err := model.Unmarshal(b)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		if w := (&model.Model{Format: model.Format, Layers: want}); !reflect.DeepEqual(payloads(t, m), payloads(t, w)) {
			t.Errorf("%s: payloads\n%+v\nwant\n%+v", dir, payloads(t, m), payloads(t, w))
		}
		for i := range want {
			if m.Layers[i].Name != want[i].Name || m.Layers[i].Kind != want[i].Kind {
				t.Errorf("%s: layer %d is %s %s, want %s %s", dir, i, m.Layers[i].Kind, m.Layers[i].Name, want[i].Kind, want[i].Name)
			}
		}
	}
	// Defaults of omitted v1 fields: init pytorch, reset subtract, the fast
	// sigmoid at its default slope.
	m, err := model.Unmarshal([]byte(`{"format": "spikegrad.sequential/v1", "layers": [
		{"kind": "linear", "name": "fc", "in": 2, "out": 3},
		{"kind": "lif", "name": "n", "out": 3, "beta": 0.5, "threshold": 1}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []model.Payload{&model.Linear{In: 2, Out: 3, Init: model.InitPyTorch},
		&model.LIF{N: 3, Beta: 0.5, Threshold: 1, Reset: model.ResetSubtract, Surrogate: model.Surrogate{Name: "fast_sigmoid"}}}
	if got := payloads(t, m); !reflect.DeepEqual(got, want) {
		t.Errorf("v1 defaults: %+v, want %+v", got, want)
	}
}

// TestSaveLoad writes a model directory and reads it back, and reads the
// model directory of a v1 run (weights named "<layer>.<param>").
func TestSaveLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "model")
	m := tutorial()
	ws := []safetensors.Tensor{{Name: "fc1.weight", Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}},
		{Name: "lif1.beta", Shape: []int{1}, Data: []float32{0.95}}}
	if err := model.Save(dir, m, ws); err != nil {
		t.Fatal(err)
	}
	got, gws, err := model.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(payloads(t, got), payloads(t, m)) || !reflect.DeepEqual(gws, ws) {
		t.Errorf("loaded %+v %+v, want %+v %+v", got, gws, m, ws)
	}
	f, err := safetensors.Load(filepath.Join(dir, model.WeightsFile))
	if err != nil || f.Meta["format"] != model.Format {
		t.Errorf("weights metadata %v (%v), want format %s", f.Meta, err, model.Format)
	}

	// The v1 LIF run: 100-128-10 with an LI read-out.
	m, ws, err = model.Load("testdata/v1-lif/model")
	if err != nil {
		t.Fatal(err)
	}
	shapes := map[string][]int{}
	for _, w := range ws {
		shapes[w.Name] = w.Shape
	}
	want := map[string][]int{"fc1.weight": {100, 128}, "fc1.bias": {128}, "lif1.beta": {1}, "lif1.threshold": {1},
		"fc2.weight": {128, 10}, "fc2.bias": {10}, "out.beta": {1}}
	if len(m.Layers) != 4 || !reflect.DeepEqual(shapes, want) {
		t.Errorf("v1 run: %d layers, weights %v; want 4 layers, %v", len(m.Layers), shapes, want)
	}

	if _, _, err := model.Load(filepath.Join(t.TempDir(), "none")); err == nil || !strings.Contains(err.Error(), "model.json") {
		t.Errorf("a missing directory: %v", err)
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, model.ArchFile), []byte(`{"format": "x", "layers": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := model.Load(bad); err == nil || !strings.HasPrefix(err.Error(), filepath.Join(bad, model.ArchFile)+": model: format") {
		t.Errorf("a bad model.json: %v", err)
	}
	if err := model.Save(t.TempDir(), &model.Model{Layers: []model.Layer{{Kind: "conv", Name: "c"}}}, nil); err == nil {
		t.Error("Save wrote an invalid model")
	}
}
