package layers

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/surrogate"
)

func tutorialNet(t *testing.T, in, hidden, out int) *Sequential {
	rng := rand.New(rand.NewPCG(1, 2))
	fc1, err := NewLinear("fc1", in, hidden, true, InitPyTorch, rng)
	if err != nil {
		t.Fatal(err)
	}
	fc2, _ := NewLinear("fc2", hidden, out, true, InitPyTorch, rng)
	c := LIFConfig{Beta: 0.95, Threshold: 1, Surrogate: surrogate.FastSigmoid{Slope: 25}}
	lif1, _ := NewLIF("lif1", hidden, c)
	lif2, _ := NewLIF("lif2", out, c)
	net, err := NewSequential(fc1, lif1, fc2, lif2)
	if err != nil {
		t.Fatal(err)
	}
	return net
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

func TestSpecRoundTrip(t *testing.T) {
	net := tutorialNet(t, 6, 8, 3)
	b, err := MarshalModel(net.Specs())
	if err != nil {
		t.Fatal(err)
	}
	specs, err := UnmarshalModel(b)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Build(specs, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Specs(), net.Specs()) {
		t.Fatalf("specs differ:\n%+v\n%+v", again.Specs(), net.Specs())
	}
	// Same seed, same construction order: identical initial weights.
	for i, p := range again.Params() {
		if !reflect.DeepEqual(p.Data, net.Params()[i].Data) || p.Name != net.Params()[i].Name {
			t.Fatalf("param %s differs", p.Name)
		}
	}
}

func TestSpecErrors(t *testing.T) {
	cases := map[string][]Spec{
		`layer 0 ("a"): layers: linear "a": sizes must be positive, got in=0 out=3`:                                                                                                 {{Kind: KindLinear, Name: "a", Out: 3}},
		`layer 0 ("n"): unknown surrogate "fast" (allowed: fast_sigmoid, sparse_fast_sigmoid, slayer, atan, sigmoid, triangle, boxcar, straight_through, gaussian, multi_gaussian)`: {{Kind: KindLIF, Name: "n", Out: 3, Beta: 0.9, Threshold: 1, Surrogate: &SurrogateSpec{Name: "fast"}}},
		`layer 0 ("n"): surrogate fast_sigmoid: unknown parameter "k" (allowed: slope)`:                                                                                             {{Kind: KindLIF, Name: "n", Out: 3, Beta: 0.9, Threshold: 1, Surrogate: &SurrogateSpec{Name: "fast_sigmoid", Params: map[string]float64{"k": 1}}}},
		`layer 0 ("n"): unknown reset "soft" (allowed: subtract, zero, none)`:                                                                                                       {{Kind: KindLIF, Name: "n", Out: 3, Beta: 0.9, Threshold: 1, Reset: "soft"}},
	}
	for want, specs := range cases {
		_, err := Build(specs, rand.New(rand.NewPCG(1, 1)))
		if err == nil || err.Error() != want {
			t.Errorf("error %v\nwant  %s", err, want)
		}
	}
	if _, err := UnmarshalModel([]byte(`{"format":"spikegrad.sequential/v1","layers":[{"kind":"conv","name":"x","out":1}]}`)); err == nil {
		t.Error("unknown kind accepted")
	}
}

func TestSurrogateSpecs(t *testing.T) {
	for _, name := range SurrogateNames() {
		f, err := SurrogateSpec{Name: name}.Func()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := SurrogateSpecOf(f).Name; got != name {
			t.Errorf("%s reads back as %s", name, got)
		}
	}
	f, err := SurrogateSpec{Name: "fast_sigmoid", Params: map[string]float64{"slope": -1}}.Func()
	if err == nil {
		t.Errorf("slope -1 accepted: %v", f)
	}
}
