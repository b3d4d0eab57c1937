package layers

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/surrogate"
)

func tutorialNet(t *testing.T, in, hidden, out int) *Sequential {
	rng := rand.New(rand.NewPCG(1, 2))
	c := LIFConfig{Beta: 0.95}
	return NewSequential(
		NewLinear("fc1", in, hidden, LinearConfig{RNG: rng}),
		NewLIF("lif1", hidden, c),
		NewLinear("fc2", hidden, out, LinearConfig{RNG: rng}),
		NewLIF("lif2", out, c))
}

// TestConstantInput checks that a constant input [B, F] gives the same
// result and gradients as the same input repeated into a sequence [T, B, F]:
// the first projection then runs once instead of T times.
func TestConstantInput(t *testing.T) {
	net := tutorialNet(t, 6, 8, 3)
	rng := rand.New(rand.NewPCG(3, 4))
	x := randSlice(rng, 2*6, 0, 2)
	run := func(constant bool) ([]float32, [][]float32) {
		for _, p := range net.Params() {
			p.ZeroGrad()
		}
		tp := autograd.NewTape()
		in := tp.Constant(x, 2, 6)
		if !constant {
			in = tp.Repeat(in, 5)
		}
		tr := net.Forward(tp, in, 5)
		tp.Backward(tp.SumAll(tr.Mem()))
		var g [][]float32
		for _, p := range net.Params() {
			g = append(g, append([]float32(nil), p.Grad...))
		}
		return append([]float32(nil), tr.Out.Data...), g
	}
	a, ga := run(true)
	b, gb := run(false)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("outputs differ:\n%v\n%v", a, b)
	}
	for i := range ga {
		for j := range ga[i] {
			if d := ga[i][j] - gb[i][j]; d > 1e-5 || d < -1e-5 {
				t.Fatalf("param %d element %d: %v vs %v", i, j, ga[i][j], gb[i][j])
			}
		}
	}
}

func TestTraceShapes(t *testing.T) {
	net := tutorialNet(t, 6, 8, 3)
	tp := autograd.NewTape()
	tr := net.Forward(tp, tp.New(4, 2, 6), 0)
	if got := tr.Out.Shape(); !reflect.DeepEqual(got, []int{4, 2, 3}) {
		t.Fatalf("output shape %v", got)
	}
	if len(tr.Layers) != 4 || !tr.Layers[1].Neuron || tr.Layers[0].Neuron || tr.Mem() != tr.Layers[3].Mem {
		t.Fatalf("trace %+v", tr.Layers)
	}
}

// TestForwardAllocs: once a tape has seen a step, a forward and backward
// pass allocates nothing, the Trace and the neuron scans' tape entries
// included (they come from the tape's pool, and the Trace is the previous
// step's, reused): for the tutorial network (LIF with the built-in fast
// sigmoid, whose derivative the scan computes itself) and for one with every
// kind of layer (a synaptic layer, a LIF layer whose surrogate the scan
// calls, an LI read-out).
func TestForwardAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	x := randSlice(rng, 2*6, 0, 2)
	for _, tc := range []struct {
		name string
		net  *Sequential
	}{{"tutorial", tutorialNet(t, 6, 8, 3)}, {"every kind", every(rng)}} {
		tp := autograd.NewTape()
		params := tc.net.Params()
		var tr *Trace
		step := func() {
			tp.Reset()
			tr = tc.net.Forward(tp, tp.Constant(x, 2, 6), 5)
			tp.Backward(tp.SumAll(tr.Mem()))
			for _, p := range params {
				p.ZeroGrad()
			}
		}
		step()
		first := tr
		if n := testing.AllocsPerRun(50, step); n != 0 {
			t.Errorf("%s: %v allocations per step, want 0", tc.name, n)
		}
		if tr != first || len(tr.Layers) != len(tc.net.Layers) {
			t.Errorf("%s: the Trace was not reused, or has %d layers", tc.name, len(tr.Layers))
		}
	}
}

// every returns a network with one layer of every kind and every option
// away from its default, its weights drawn from rng.
func every(rng *rand.Rand) *Sequential {
	lif := LIFConfig{Beta: 0.9, Threshold: 1.5, Reset: ResetZero, ResetGrad: true, Surrogate: surrogate.SLAYER{TauRho: 2},
		LearnBeta: true, LearnThreshold: true, PerNeuron: true}
	return NewSequential(
		NewLinear("fc1", 6, 8, LinearConfig{Init: InitKaimingNormal, RNG: rng}),
		NewSynaptic("syn1", 8, SynapticConfig{LIFConfig: lif, Alpha: 0.7, LearnAlpha: true}),
		NewLinear("fc2", 8, 5, LinearConfig{NoBias: true, Init: InitXavierUniform, RNG: rng}),
		NewLIF("lif2", 5, LIFConfig{Beta: 0.8, Reset: ResetNone, Surrogate: surrogate.Triangle{}}),
		NewRLIF("rec2", 5, LIFConfig{Beta: 0.85, Threshold: 0.5, Reset: ResetZero}, RecurrentConfig{RNG: rng}),
		NewRSynaptic("rsyn2", 5, SynapticConfig{LIFConfig: lif, Alpha: 0.6, LearnAlpha: true}, RecurrentConfig{OneToOne: true}),
		NewLinear("fc3", 5, 3, LinearConfig{RNG: rng}),
		NewLI("out", 3, LIConfig{Beta: 0.5, LearnBeta: true}),
		// the 3 outputs as 1 channel of 1×3 → 4×3×4 → 4×2×3 → 4×2×2 → 4×1×2 = 2 channels of 4 → 2×4.
		NewConv2d("conv", 1, 1, 3, 4, [2]int{1, 2}, Conv2dConfig{Padding: [2]int{1, 1}, Init: InitKaimingNormal, RNG: rng}),
		NewMaxPool2d("maxpool", 4, 3, 4, [2]int{2, 2}, Pool2dConfig{Stride: [2]int{1, 1}}),
		NewAvgPool2d("avgpool", 4, 2, 3, [2]int{1, 2}, Pool2dConfig{Padding: [2]int{0, 1}}),
		NewSumPool2d("sumpool", 4, 2, 2, [2]int{2, 1}, Pool2dConfig{}),
		NewConv1d("conv1d", 2, 4, 2, 3, Conv1dConfig{Padding: 1, Groups: 2, NoBias: true, Init: InitXavierUniform, RNG: rng}),
		NewFlatten("flat", 8))
}

// everyKind is every with more layers appended: IF, ALIF, PLIF, AdLIF and
// RadLIF with options away from their defaults, Dropout and BatchNorm in
// its three modes, and the delay and SRM layers.
func everyKind(rng *rand.Rand) *Sequential {
	ls := every(rng).Layers
	ls = append(ls,
		NewLinear("fc4", 3, 4, LinearConfig{RNG: rng}),
		NewIF("if4", 4, IFConfig{Threshold: 0.7, Reset: ResetZero, ResetGrad: true, LearnThreshold: true, PerNeuron: true}),
		NewLinear("fc5", 4, 4, LinearConfig{RNG: rng}),
		NewALIF("alif5", 4, ALIFConfig{LIFConfig: LIFConfig{Beta: 0.9, Threshold: 1.2, Reset: ResetNone, Surrogate: surrogate.Atan{},
			LearnBeta: true}, Rho: 0.95, Adapt: 1.8, LearnRho: true, LearnAdapt: true}),
		NewDelay("delay5", 4, DelayConfig{MaxDelay: 3, Init: 1.5, Fixed: true}),
		NewSRM("srm5", 4, SRMConfig{Threshold: 0.8, TauSR: 3, TauRef: 2, ScaleRef: 1.5, Epsilon: 0.02, RefractoryGrad: true,
			Surrogate: surrogate.FastSigmoid{Slope: 4}}),
		NewBatchNorm("bn5", 2, 4, BatchNormConfig{Mode: BNPerStep, Steps: 5, Eps: 1e-4, Momentum: 0.2}),
		NewBatchNorm("tdbn5", 1, 4, BatchNormConfig{Mode: BNTD, Alpha: 0.5, Threshold: 0.8}),
		NewBatchNorm("bnshared5", 4, 4, BatchNormConfig{}),
		NewDropout("drop6", 0.3),
		NewLinear("fc6", 4, 4, LinearConfig{RNG: rng}),
		NewPLIF("plif6", 4, PLIFConfig{Tau: 3, Threshold: 0.8, ResetGrad: true, LearnThreshold: true, PerNeuron: true}),
		NewLinear("fc7", 4, 4, LinearConfig{RNG: rng}),
		NewAdLIF("adlif7", 4, AdLIFConfig{Threshold: 0.9, ResetGrad: true, Alpha: [2]float32{0.5, 0.9}, B: [2]float32{0, 1},
			LearnThreshold: true, PerNeuron: true, RNG: rng}),
		NewLinear("fc8", 4, 4, LinearConfig{RNG: rng}),
		NewRadLIF("radlif8", 4, AdLIFConfig{Surrogate: surrogate.Triangle{}, Beta: [2]float32{0.9, 0.99}, A: [2]float32{-0.5, 0.5},
			FixedDynamics: true, RNG: rng}))
	return NewSequential(ls...)
}

// TestModelRoundTrip checks that Build inverts Sequential.Model, through
// the JSON of a model file: the same layers, configs and, from the same
// seed, the same initial weights.
func TestModelRoundTrip(t *testing.T) {
	net := everyKind(rand.New(rand.NewPCG(1, 2)))
	b, err := model.Marshal(net.Model())
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Build(m, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	pi := slices.IndexFunc(net.Layers, func(l Layer) bool { return l.Name() == "plif6" })
	if got := again.Layers[pi].(*PLIF); !reflect.DeepEqual(got.W.Data, net.Layers[pi].(*PLIF).W.Data) {
		t.Errorf("plif w %v, want %v", got.W.Data, net.Layers[pi].(*PLIF).W.Data)
	}
	if !reflect.DeepEqual(again.Model(), net.Model()) {
		t.Fatalf("models differ:\n%+v\n%+v", again.Model(), net.Model())
	}
	for i, l := range again.Layers {
		if reflect.TypeOf(l) != reflect.TypeOf(net.Layers[i]) {
			t.Errorf("layer %d: %T, want %T", i, l, net.Layers[i])
		}
	}
	// The configs come back with the surrogate's defaults filled in.
	if got := again.Layers[1].(*Synaptic).Config; got.Surrogate != (surrogate.SLAYER{TauRho: 2, ScaleRho: 1, Theta: 1}) || got.Alpha != 0.7 || !got.ResetGrad {
		t.Errorf("synaptic config %+v", got)
	}
	for i, p := range again.Params() {
		if !reflect.DeepEqual(p.Data, net.Params()[i].Data) || p.Name != net.Params()[i].Name || p.Frozen != net.Params()[i].Frozen {
			t.Fatalf("param %s differs", p.Name)
		}
	}
	// Every kind of model has a layer type that builds it.
	kinds := map[string]bool{}
	for _, l := range m.Layers {
		kinds[l.Kind] = true
	}
	for _, k := range model.Kinds() {
		if !kinds[k] {
			t.Errorf("kind %s is not in the test network", k)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	lif := func(s model.Surrogate) *model.Model {
		return &model.Model{Layers: []model.Layer{
			model.NewLayer("n", model.LIF{N: 3, Beta: 0.9, Threshold: 1, Reset: model.ResetSubtract, Surrogate: s})}}
	}
	cases := []struct {
		m    *model.Model
		want string
	}{
		{lif(model.Surrogate{Name: "fast"}),
			`layers: lif "n": surrogate: unknown surrogate "fast" (allowed: fast_sigmoid, sparse_fast_sigmoid, slayer, atan, sigmoid, triangle, boxcar, straight_through, gaussian, multi_gaussian)`},
		{lif(model.Surrogate{Name: "fast_sigmoid", Params: map[string]float64{"k": 1}}),
			`layers: lif "n": surrogate: fast_sigmoid: unknown parameter "k" (allowed: slope)`},
		{lif(model.Surrogate{Name: "atan", Params: map[string]float64{"alpha": -2}}),
			`layers: lif "n": surrogate: Atan: Alpha = -2: must be positive and finite (0 selects the default)`},
		{&model.Model{Layers: []model.Layer{model.NewLayer("a", model.Linear{In: 0, Out: 3, Init: model.InitZero})}},
			`model: layer 0 "a" (linear): in = 0: must be positive`},
		{&model.Model{Layers: []model.Layer{{Kind: "hopfield", Name: "c", Config: []byte("{}")}}},
			`model: layer 0 "c" (hopfield): kind = "hopfield": unknown layer kind (allowed: ` + strings.Join(model.Kinds(), ", ") + `)`},
	}
	for _, c := range cases {
		_, err := Build(c.m, nil)
		if err == nil || err.Error() != c.want {
			t.Errorf("error %v\nwant  %s", err, c.want)
		}
	}
}

func TestSequentialErrors(t *testing.T) {
	fc := NewLinear("fc", 2, 2, LinearConfig{})
	if err := configPanic(t, func() { NewSequential(fc, NewLIF("fc", 2, LIFConfig{})) }); err == nil ||
		err.Error() != `layers: sequential: layers[1].name = "fc": another layer has this name (parameters are named after their layer)` {
		t.Errorf("duplicate names: %v", err)
	}
	if err := configPanic(t, func() { NewSequential(fc, nil) }); err == nil || err.Error() != `layers: sequential: layers[1]: is nil` {
		t.Errorf("nil layer: %v", err)
	}
}
