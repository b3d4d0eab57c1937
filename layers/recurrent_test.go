package layers

import (
	"math"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/surrogate"
)

// The gradient checks of the recurrent layers (Step against Run, Step
// against finite differences through the recurrence) are the cases rlif/...
// and rsynaptic/... of neuronCases.

func near(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	for i, w := range want {
		if math.Abs(float64(got[i])-w) > 1e-6 {
			t.Fatalf("%s: %v, want %v", what, got, want)
		}
	}
}

// TestRLIFHandTrajectory: beta 0.5, threshold 1, reset by subtraction.
func TestRLIFHandTrajectory(t *testing.T) {
	tp := autograd.NewTape()
	// One to one, v = 0.5, a constant input of 0.6, by hand:
	//	mem[0] = 0.6                          S = 0
	//	mem[1] = 0.3 + 0.6          = 0.9     S = 0
	//	mem[2] = 0.45 + 0.6         = 1.05    S = 1
	//	mem[3] = 0.525 + 0.6 + 0.5 - 1 = 0.625 S = 0
	//	mem[4] = 0.3125 + 0.6       = 0.9125  S = 0
	one := NewRLIF("r", 1, LIFConfig{Beta: 0.5, Threshold: 1}, RecurrentConfig{OneToOne: true})
	one.V.Data[0] = 0.5
	spk, mem := one.Scan(tp, tp.Constant([]float32{0.6, 0.6, 0.6, 0.6, 0.6}, 5, 1, 1))
	near(t, "one to one: mem", mem.Data, []float64{0.6, 0.9, 1.05, 0.625, 0.9125})
	near(t, "one to one: spk", spk.Data, []float64{0, 0, 1, 0, 0})

	// All to all, two neurons, V[0][1] = 1.2 (neuron 0's spike reaches
	// neuron 1), every other weight 0; input 1.5 to neuron 0 at t = 0 only:
	//	t = 0: mem = [1.5, 0]                       S = [1, 0]
	//	t = 1: mem = [0.75 - 1, 0 + 1.2] = [-0.25, 1.2]  S = [0, 1]
	//	t = 2: mem = [-0.125, 0.6 - 1] = [-0.125, -0.4]  S = [0, 0]
	all := NewRLIF("r", 2, LIFConfig{Beta: 0.5, Threshold: 1}, RecurrentConfig{})
	copy(all.V.Data, []float32{0, 1.2, 0, 0})
	spk, mem = all.Scan(tp, tp.Constant([]float32{1.5, 0, 0, 0, 0, 0}, 3, 1, 2))
	near(t, "all to all: mem", mem.Data, []float64{1.5, 0, -0.25, 1.2, -0.125, -0.4})
	near(t, "all to all: spk", spk.Data, []float64{1, 0, 0, 1, 0, 0})
}

// TestRSynapticHandTrajectory: alpha 0.5, beta 0.5, threshold 1, one to
// one with v = 2, input 1.5 at t = 0 only. By hand:
//
//	t = 0: syn = 1.5                   mem = 1.5                    S = 1
//	t = 1: syn = 0.75 + 2    = 2.75    mem = 0.75 + 2.75 - 1 = 2.5   S = 1
//	t = 2: syn = 1.375 + 2   = 3.375   mem = 1.25 + 3.375 - 1 = 3.625
func TestRSynapticHandTrajectory(t *testing.T) {
	l := NewRSynaptic("rs", 1, SynapticConfig{LIFConfig: LIFConfig{Beta: 0.5, Threshold: 1}, Alpha: 0.5}, RecurrentConfig{OneToOne: true})
	l.V.Data[0] = 2
	tp := autograd.NewTape()
	spk, mem, next := l.Run(tp, tp.Constant([]float32{1.5, 0, 0}, 3, 1, 1), SynapticState{})
	near(t, "mem", mem.Data, []float64{1.5, 2.5, 3.625})
	near(t, "spk", spk.Data, []float64{1, 1, 1})
	near(t, "final syn", next.Syn.Data, []float64{3.375})
}

// TestRecurrentDefaults: the one-to-one weights start at 1 (snnTorch's
// V = 1.0); the all-to-all weights as nn.Linear(N, N), within ±1/√N.
func TestRecurrentDefaults(t *testing.T) {
	one := NewRLIF("r", 4, LIFConfig{Beta: 0.9}, RecurrentConfig{OneToOne: true})
	if len(one.V.Data) != 4 || one.V.Frozen || one.V.Data[2] != 1 || one.Config.Threshold != 1 {
		t.Errorf("one to one: V %v (frozen %v), threshold %v", one.V.Data, one.V.Frozen, one.Config.Threshold)
	}
	all := NewRSynaptic("r", 16, SynapticConfig{}, RecurrentConfig{})
	if len(all.V.Data) != 256 || all.V.Name != "r.recurrent" {
		t.Fatalf("all to all: %d weights named %s", len(all.V.Data), all.V.Name)
	}
	for _, v := range all.V.Data {
		if math.Abs(float64(v)) > 0.25 { // 1/√16
			t.Fatalf("all to all: weight %v outside ±0.25", v)
		}
	}
}

// TestRecurrentConfigErrors: bad values name the layer, its kind and the
// field, from the constructors and from Build.
func TestRecurrentConfigErrors(t *testing.T) {
	cases := []struct {
		f    func()
		want string
	}{
		{func() { NewRLIF("rec", 3, LIFConfig{Beta: 2}, RecurrentConfig{}) }, `layers: rlif "rec": beta = 2: must be in [0, 1]`},
		{func() { NewRLIF("rec", 0, LIFConfig{Beta: 0.5}, RecurrentConfig{}) }, `layers: rlif "rec": n = 0: must be positive`},
		{func() { NewRLIF("rec", 3, LIFConfig{Beta: 0.5, Reset: 9}, RecurrentConfig{OneToOne: true}) },
			`layers: rlif "rec": reset = "ResetMode(9)": must be one of subtract, zero, none`},
		{func() {
			NewRLIF("rec", 3, LIFConfig{Beta: 0.5, Surrogate: surrogate.Atan{Alpha: -1}}, RecurrentConfig{})
		},
			`layers: rlif "rec": surrogate: Atan: Alpha = -1: must be positive and finite (0 selects the default)`},
		{func() {
			NewRSynaptic("rs", 3, SynapticConfig{LIFConfig: LIFConfig{Beta: 0.5}, Alpha: -1}, RecurrentConfig{})
		}, `layers: rsynaptic "rs": alpha = -1: must be in [0, 1]`},
		{func() {
			NewRSynaptic("rs", 3, SynapticConfig{LIFConfig: LIFConfig{Beta: 0.5, Threshold: float32(math.NaN())}}, RecurrentConfig{})
		}, `layers: rsynaptic "rs": threshold = NaN: must be positive and finite`},
	}
	for _, c := range cases {
		if err := configPanic(t, c.f); err == nil || err.Error() != c.want {
			t.Errorf("panic %v\nwant  %s", err, c.want)
		}
	}
	bad := &model.Model{Layers: []model.Layer{model.NewLayer("rec", model.RSynaptic{Synaptic: model.Synaptic{LIF: model.LIF{
		N: 3, Beta: 0.9, Threshold: 1, Reset: model.ResetSubtract, Surrogate: model.Surrogate{Name: "fast"}}}})}}
	if _, err := Build(bad, nil); err == nil || !strings.HasPrefix(err.Error(), `layers: rsynaptic "rec": surrogate: unknown surrogate "fast"`) {
		t.Errorf("Build: %v", err)
	}
}

// TestRecurrentShapes: a wrong input or state shape is an
// *autograd.ShapeError naming the operation.
func TestRecurrentShapes(t *testing.T) {
	l := NewRLIF("r", 3, LIFConfig{Beta: 0.5}, RecurrentConfig{})
	tp := autograd.NewTape()
	for _, c := range []struct {
		f  func()
		op string
	}{
		{func() { l.Scan(tp, tp.New(2, 1, 4)) }, "RLIF.Run"},
		{func() { l.Run(tp, tp.New(2, 1, 3), LIFState{Spk: tp.New(2, 3)}) }, "RLIF.Run"},
		{func() { l.Step(tp, tp.New(1, 4), LIFState{}) }, "RLIF.Step"},
		{func() {
			NewRSynaptic("s", 3, SynapticConfig{}, RecurrentConfig{}).Run(tp, tp.New(2, 1, 3), SynapticState{Syn: tp.New(1, 2)})
		}, "RSynaptic.Run"},
	} {
		func() {
			defer func() {
				se, ok := recover().(*autograd.ShapeError)
				if !ok || se.Op != c.op {
					t.Errorf("panic %v, want a ShapeError of %s", se, c.op)
				}
			}()
			c.f()
		}()
	}
}
