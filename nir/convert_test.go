package nir

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/safetensors"
)

// testModel is a model with every layer kind that has a NIR node: shared
// and per-neuron parameters, both reset rules that NIR can carry through
// metadata, a linear layer without bias.
func testModel(t *testing.T) (*model.Model, []safetensors.Tensor) {
	t.Helper()
	surr := model.Surrogate{Name: "fast_sigmoid", Params: map[string]float64{"slope": 25}}
	m := &model.Model{Format: model.Format, Layers: []model.Layer{
		model.NewLayer("fc1", model.Linear{In: 3, Out: 4, Bias: true, Init: model.InitPyTorch}),
		model.NewLayer("lif1", model.LIF{N: 4, Beta: 0.9, Threshold: 1, Reset: model.ResetSubtract, Surrogate: surr, LearnBeta: true, PerNeuron: true}),
		model.NewLayer("fc2", model.Linear{In: 4, Out: 2, Bias: false, Init: model.InitXavierUniform}),
		model.NewLayer("syn", model.Synaptic{LIF: model.LIF{N: 2, Beta: 0.95, Threshold: 0.5, Reset: model.ResetZero, Surrogate: surr}, Alpha: 0.8}),
		model.NewLayer("fc3", model.Linear{In: 2, Out: 2, Bias: true, Init: model.InitPyTorch}),
		model.NewLayer("out", model.LI{N: 2, Beta: 0.7}),
	}}
	rng := rand.New(rand.NewPCG(1, 2))
	randn := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	w := []safetensors.Tensor{
		{Name: "fc1.weight", Shape: []int{3, 4}, Data: randn(12)},
		{Name: "fc1.bias", Shape: []int{4}, Data: randn(4)},
		{Name: "lif1.beta", Shape: []int{4}, Data: []float32{0.9, 0.5, 0, 1}},
		{Name: "lif1.threshold", Shape: []int{4}, Data: []float32{1, 1, 1, 1}},
		{Name: "fc2.weight", Shape: []int{4, 2}, Data: randn(8)},
		{Name: "syn.alpha", Shape: []int{1}, Data: []float32{0.8}},
		{Name: "syn.beta", Shape: []int{1}, Data: []float32{0.95}},
		{Name: "syn.threshold", Shape: []int{1}, Data: []float32{0.5}},
		{Name: "fc3.weight", Shape: []int{2, 2}, Data: randn(4)},
		{Name: "fc3.bias", Shape: []int{2}, Data: randn(2)},
		{Name: "out.beta", Shape: []int{1}, Data: []float32{0.7}},
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	return m, w
}

// TestModelRoundTrip writes a model as NIR, reads the file back and converts
// it: the architecture (model.json) and every tensor must come back bit for
// bit. The reference reader must load the file with type checks on and see
// the chain of node types.
func TestModelRoundTrip(t *testing.T) {
	m, w := testModel(t)
	path := roundTrip(t, m, w)
	out := runRef(t, `
import sys, nir
g = nir.read(sys.argv[1])
print(",".join(type(g.nodes[n]).__name__ for n in ["input", "fc1", "lif1", "fc2", "syn", "fc3", "out", "output"]))
print(sorted(g.edges) == sorted([("input","fc1"),("fc1","lif1"),("lif1","fc2"),("fc2","syn"),("syn","fc3"),("fc3","out"),("out","output")]))
print(g.nodes["fc1"].weight.shape, g.nodes["lif1"].tau.dtype)
`, path)
	want := "Input,Affine,LIF,Linear,CubaLIF,Affine,LI,Output\nTrue\n(4, 3) float64\n"
	if out != want {
		t.Errorf("reference reader:\n%s\nwant:\n%s", out, want)
	}
}

// TestDecayRoundTrip checks the exactness the round trip rests on: for a
// million float32 decay factors b in [2^-28, 1) spread over their bit
// patterns, and for 0,
// float32(1 - dt/tau) with tau = dt/(1-b) in float64 gives b back, for
// several dt.
func TestDecayRoundTrip(t *testing.T) {
	// Below 2^-28 the float64 1-b loses b's last float32 bits (its
	// rounding error 2^-54 exceeds half an ulp of b, 2^-53·b): such a
	// factor comes back within 2^-54 of itself.
	lo, hi := math.Float32bits(0x1p-28), math.Float32bits(1)
	for _, dt := range []float64{1e-4, 1e-3, 1, 0.37} {
		for i := uint32(0); i <= 1_000_000; i++ {
			b := math.Float32frombits(lo + uint32(uint64(hi-lo)*uint64(i)/1_000_000))
			if i == 1_000_000 {
				b = 0
			}
			tau := dt / (1 - float64(b))
			if got := float32(1 - dt/tau); got != b {
				t.Fatalf("dt %v: beta %v -> tau %v -> %v", dt, b, tau, got)
			}
		}
	}
}

// TestDiscreteMatchesEuler checks the conversion against NIR's equations:
// a LIF node (tau, r, v_leak, v_threshold, v_reset 0) behind an Affine,
// integrated by forward Euler with step dt, v += dt/tau·(v_leak - v + r·I),
// reset to 0 when v > v_threshold, gives the same spikes and voltages
// (within float32 rounding: 1e-5 relative) as spikegrad's discrete lif on
// the converted model (mem[t] = beta·mem[t-1]·(1-S[t-1]) + x[t]). The same
// for a CubaLIF node: I += dt/tau_syn·(-I + w_in·x), v += dt/tau_mem·(v_leak
// - v + r·I).
func TestDiscreteMatchesEuler(t *testing.T) {
	const dt = 1e-3
	rng := rand.New(rand.NewPCG(3, 4))
	for _, typ := range []string{"LIF", "CubaLIF"} {
		const n = 3
		neuron := &Node{Type: typ, Params: map[string]*Array{
			"r":           F64([]int{n}, 2, 0.5, 1),
			"v_leak":      F64([]int{n}, 0.1, 0, -0.2),
			"v_threshold": F64([]int{n}, 1, 0.5, 0.8),
		}}
		if typ == "LIF" {
			neuron.Params["tau"] = F64([]int{n}, 0.02, 0.005, 0.1)
		} else {
			for k := range neuron.Params {
				if k == "v_leak" {
					neuron.Params[k] = F64([]int{n}, 0, 0, 0)
				}
			}
			neuron.Params["tau_mem"] = F64([]int{n}, 0.02, 0.005, 0.1)
			neuron.Params["tau_syn"] = F64([]int{n}, 0.004, 0.002, 0.01)
			neuron.Params["w_in"] = F64([]int{n}, 1.5, 1, 3)
		}
		g := &Graph{Nodes: map[string]*Node{
			"in":  {Type: "Input", Params: map[string]*Array{"shape": I64([]int{1}, 2)}},
			"fc":  {Type: "Affine", Params: map[string]*Array{"weight": F32([]int{n, 2}, 0.5, -0.3, 0.8, 0.2, 0.1, 0.9), "bias": F32([]int{n}, 0.05, 0, 0.1)}},
			"lif": neuron,
			"out": {Type: "Output", Params: map[string]*Array{"shape": I64([]int{1}, n)}},
		}, Edges: []Edge{{"in", "fc"}, {"fc", "lif"}, {"lif", "out"}}}
		m, w, err := ToModel(g, dt)
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string][]float32{}
		for _, x := range w {
			byName[x.Name] = x.Data
		}
		W, B := byName["fc.weight"], byName["fc.bias"] // [2, n], [n]
		beta, thr, alpha := byName["lif.beta"], byName["lif.threshold"], byName["lif.alpha"]
		at := func(v []float32, j int) float64 {
			if len(v) == 1 {
				return float64(v[0])
			}
			return float64(v[j])
		}
		_ = m
		p := neuron.Params
		nirV, nirI := make([]float64, n), make([]float64, n)
		sgMem, sgSyn, sgS := make([]float64, n), make([]float64, n), make([]float64, n)
		spikes := 0
		for step := 0; step < 400; step++ {
			x := []float64{rng.Float64() * 3, rng.Float64() * 3}
			for j := 0; j < n; j++ {
				// NIR: the Affine's output drives the neuron.
				a := float64(float32(g.Nodes["fc"].Params["bias"].Data[j]))
				for i := 0; i < 2; i++ {
					a += g.Nodes["fc"].Params["weight"].Data[j*2+i] * x[i]
				}
				var nirS float64
				if typ == "LIF" {
					tau := p["tau"].Data[j]
					nirV[j] += dt / tau * (p["v_leak"].Data[j] - nirV[j] + p["r"].Data[j]*a)
				} else {
					nirI[j] += dt / p["tau_syn"].Data[j] * (-nirI[j] + p["w_in"].Data[j]*a)
					nirV[j] += dt / p["tau_mem"].Data[j] * (-nirV[j] + p["r"].Data[j]*nirI[j])
				}
				vBefore := nirV[j]
				if nirV[j] > p["v_threshold"].Data[j] {
					nirS = 1
					nirV[j] = 0
				}
				// spikegrad: the converted linear layer and neuron.
				xs := at(B, j)
				for i := 0; i < 2; i++ {
					xs += float64(W[i*n+j]) * x[i]
				}
				in := xs
				if alpha != nil {
					sgSyn[j] = at(alpha, j)*sgSyn[j] + xs
					in = sgSyn[j]
				}
				sgMem[j] = at(beta, j)*sgMem[j]*(1-sgS[j]) + in
				sgS[j] = 0
				if sgMem[j] > at(thr, j) {
					sgS[j] = 1
				}
				spikes += int(nirS)
				if sgS[j] != nirS || math.Abs(sgMem[j]-vBefore) > 1e-5*math.Max(1, math.Abs(vBefore)) {
					t.Fatalf("%s step %d neuron %d: NIR Euler v %v spike %v, spikegrad mem %v spike %v", typ, step, j, vBefore, nirS, sgMem[j], sgS[j])
				}
			}
		}
		if spikes == 0 {
			t.Errorf("%s: no spike in 400 steps: the check of the reset is empty", typ)
		}
	}
}

// TestConvertErrors checks that each graph spikegrad cannot run is refused
// with an error naming the node and field.
func TestConvertErrors(t *testing.T) {
	base := func() *Graph {
		return &Graph{Nodes: map[string]*Node{
			"in":  {Type: "Input", Params: map[string]*Array{"shape": I64([]int{1}, 2)}},
			"fc":  {Type: "Linear", Params: map[string]*Array{"weight": F32([]int{1, 2}, 1, 2)}},
			"lif": {Type: "LIF", Params: map[string]*Array{"tau": F64([]int{1}, 0.01), "r": F64([]int{1}, 1), "v_leak": F64([]int{1}, 0), "v_threshold": F64([]int{1}, 1)}},
			"out": {Type: "Output", Params: map[string]*Array{"shape": I64([]int{1}, 1)}},
		}, Edges: []Edge{{"in", "fc"}, {"fc", "lif"}, {"lif", "out"}}}
	}
	if _, _, err := ToModel(base(), 1e-3); err != nil {
		t.Fatalf("the base graph: %v", err)
	}
	for _, c := range []struct {
		name   string
		dt     float64
		change func(g *Graph)
		want   string
	}{
		{"zero dt", 0, func(*Graph) {}, "dt: 0"},
		{"negative dt", -1e-3, func(*Graph) {}, "dt: -0.001"},
		{"NaN dt", math.NaN(), func(*Graph) {}, "dt: NaN"},
		{"tau below dt", 1e-3, func(g *Graph) { g.Nodes["lif"].Params["tau"] = F64([]int{1}, 1e-4) }, "node lif: tau: 0.0001: a time constant below dt"},
		{"reset voltage", 1e-3, func(g *Graph) { g.Nodes["lif"].Params["v_reset"] = F64([]int{1}, 0.5) }, "node lif: v_reset"},
		{"unsupported type", 1e-3, func(g *Graph) {
			g.Nodes["lif"] = &Node{Type: "Threshold", Params: map[string]*Array{"threshold": F64([]int{1}, 1)}}
		}, "node lif: type: node type Threshold has no spikegrad layer"},
		{"recurrent edge", 1e-3, func(g *Graph) { g.Edges[2] = Edge{"lif", "fc"} }, "node fc: edges: an edge back to this node"},
		{"size mismatch", 1e-3, func(g *Graph) { g.Nodes["in"].Params["shape"] = I64([]int{1}, 3) }, "node fc: weight: shape [1 2]"},
		{"gain without linear", 1e-3, func(g *Graph) {
			delete(g.Nodes, "fc")
			g.Nodes["in"].Params["shape"] = I64([]int{1}, 1)
			g.Edges = []Edge{{"in", "lif"}, {"lif", "out"}}
		}, "node lif: r: input gain"},
		{"nested graph", 1e-3, func(g *Graph) {
			g.Nodes["sub"] = &Node{Type: TypeGraph, Graph: &Graph{Nodes: map[string]*Node{}}}
		}, "node sub: a nested graph with 0 Input and 0 Output nodes"},
	} {
		g := base()
		c.change(g)
		_, _, err := ToModel(g, c.dt)
		var e *Error
		if err == nil || !errors.As(err, &e) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want an *Error containing %q", c.name, err, c.want)
		}
	}
	m, w := testModel(t)
	for _, dt := range []float64{0, -1, math.Inf(1)} {
		if _, err := FromModel(m, w, dt); err == nil || !strings.Contains(err.Error(), "dt") {
			t.Errorf("FromModel dt %v: err = %v, want one naming dt", dt, err)
		}
	}
	if _, err := FromModel(m, w[1:], 1e-3); err == nil || !strings.Contains(err.Error(), `node fc1: weight: the weights hold no tensor "fc1.weight"`) {
		t.Errorf("missing weight: err = %v", err)
	}
	var one model.LIF
	json.Unmarshal(m.Layers[1].Config, &one)
	w[2].Data[3] = float32(math.NaN())
	if _, err := FromModel(m, w, 1e-3); err == nil || !strings.Contains(err.Error(), "node lif1: beta: NaN") {
		t.Errorf("beta NaN: err = %v", err)
	}
}

// TestDropoutLeftOut: a dropout layer (the identity at inference, without
// parameters) has no node; FromModel chains the layers around it, also when
// it comes first, and the graph is the graph of the model without it.
func TestDropoutLeftOut(t *testing.T) {
	m, w := testModel(t)
	drop := model.NewLayer("drop", model.Dropout{P: 0.3})
	with := &model.Model{Format: m.Format, Layers: append([]model.Layer{drop}, m.Layers[0], drop)}
	with.Layers = append(with.Layers, m.Layers[1:]...)
	with.Layers[2].Name = "drop2"
	g, err := FromModel(with, w, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	want, err := FromModel(m, w, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := g.Nodes["drop"]; ok || !slices.Equal(g.Edges, want.Edges) || len(g.Nodes) != len(want.Nodes) {
		t.Errorf("edges %v (%d nodes), want %v (%d nodes)", g.Edges, len(g.Nodes), want.Edges, len(want.Nodes))
	}
}
