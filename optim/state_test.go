package optim_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/optim"
)

// builders make each optimizer variant that has state worth saving.
var builders = []struct {
	name string
	make func(ps []*autograd.Param) (optim.Optimizer, error)
}{
	{"SGD", func(ps []*autograd.Param) (optim.Optimizer, error) {
		return optim.NewSGD(ps, optim.SGDConfig{LR: 0.01})
	}},
	{"SGD momentum", func(ps []*autograd.Param) (optim.Optimizer, error) {
		return optim.NewSGD(ps, optim.SGDConfig{LR: 0.01, Momentum: 0.9, Nesterov: true, WeightDecay: 1e-3})
	}},
	{"Adam", func(ps []*autograd.Param) (optim.Optimizer, error) {
		return optim.NewAdam(ps, optim.DefaultAdam())
	}},
	{"Adam AMSGrad", func(ps []*autograd.Param) (optim.Optimizer, error) {
		c := optim.DefaultAdam()
		c.AMSGrad, c.WeightDecay = true, 1e-2
		return optim.NewAdam(ps, c)
	}},
	{"AdamW", func(ps []*autograd.Param) (optim.Optimizer, error) {
		return optim.NewAdamW(ps, optim.DefaultAdamW())
	}},
}

// fillGrads draws fresh N(0, 1) gradients.
func fillGrads(rng *rand.Rand, ps []*autograd.Param) {
	for _, p := range ps {
		for i := range p.Grad {
			p.Grad[i] = float32(rng.NormFloat64())
		}
	}
}

// TestStateRoundTrip runs 5 updates, exports the state, runs 5 more, then
// builds a second optimizer over copies of the Params taken at update 5,
// imports the state (after changing the learning rate, which the state
// carries) and runs the same 5 updates: the values must be bit-identical.
// One Param is Frozen for the first half, so the per-Param step counts
// differ.
func TestStateRoundTrip(t *testing.T) {
	for _, b := range builders {
		t.Run(b.name, func(t *testing.T) {
			src := rand.NewPCG(3, 4)
			rng := rand.New(src)
			ps := []*autograd.Param{randParam(rng, "w", 37), randParam(rng, "b", 5), randParam(rng, "c", 3)}
			ps[2].Frozen = true
			o := must(b.make(ps))
			for range 5 {
				fillGrads(rng, ps)
				o.Step()
			}
			o.SetLR(o.LR() * 0.5)
			ps[2].Frozen = false
			st := o.State()
			saved := make([]*autograd.Param, len(ps))
			for i, p := range ps {
				saved[i] = cloneParam(p)
			}
			srcAt := *src // the gradient stream from here on
			for range 5 {
				fillGrads(rng, ps)
				o.Step()
			}

			// The exported state is a copy: the 5 later updates did not change it.
			if st.Params[0].Step != 5 || st.Params[2].Step != 0 {
				t.Fatalf("exported steps %d, %d; want 5 (updated) and 0 (frozen)", st.Params[0].Step, st.Params[2].Step)
			}
			o2 := must(b.make(saved))
			// Import in another order: SetState matches Params by name.
			st.Params[0], st.Params[2] = st.Params[2], st.Params[0]
			if err := o2.SetState(st); err != nil {
				t.Fatal(err)
			}
			if o2.LR() != o.LR() {
				t.Fatalf("LR after SetState %v, want %v", o2.LR(), o.LR())
			}
			rng2 := rand.New(&srcAt)
			for range 5 {
				fillGrads(rng2, saved)
				o2.Step()
			}
			for i := range ps {
				wantExact(t, ps[i].Name, saved[i].Data, ps[i].Data...)
			}
			got, want := o2.State(), o.State()
			for i := range want.Params {
				if got.Params[i].Step != want.Params[i].Step {
					t.Errorf("%s: step %d, want %d", want.Params[i].Name, got.Params[i].Step, want.Params[i].Step)
				}
				for k, buf := range want.Params[i].Buffers {
					wantExact(t, want.Params[i].Name+"."+k, got.Params[i].Buffers[k], buf...)
				}
			}
		})
	}
}

// TestSetStateErrors checks that a state that does not fit is refused with a
// *ParamError naming the problem and leaves the optimizer as it was.
func TestSetStateErrors(t *testing.T) {
	mk := func() (*optim.Adam, []*autograd.Param) {
		ps := []*autograd.Param{param("w", 1, 2, 3), param("b", 4)}
		return must(optim.NewAdam(ps, optim.DefaultAdam())), ps
	}
	good := func() optim.State {
		o, ps := mk()
		setGrad(t, ps[0], 1, 1, 1)
		o.Step()
		return o.State()
	}
	cases := []struct {
		name   string
		edit   func(s *optim.State)
		substr string
	}{
		{"algorithm", func(s *optim.State) { s.Algorithm = "AdamW" }, `"AdamW"`},
		{"lr", func(s *optim.State) { s.LR = -1 }, "LR = -1"},
		{"count", func(s *optim.State) { s.Params = s.Params[:1] }, "state for 1 params"},
		{"unknown name", func(s *optim.State) { s.Params[1].Name = "x" }, `"x"`},
		{"duplicate", func(s *optim.State) { s.Params[1] = s.Params[0] }, "twice"},
		{"negative step", func(s *optim.State) { s.Params[0].Step = -2 }, "Step = -2"},
		{"missing buffer", func(s *optim.State) { delete(s.Params[1].Buffers, "exp_avg_sq") }, "buffers [exp_avg]"},
		{"extra buffer", func(s *optim.State) { s.Params[1].Buffers["max_exp_avg_sq"] = []float32{0} }, "buffers"},
		{"length", func(s *optim.State) { s.Params[0].Buffers["exp_avg"] = []float32{1} }, `"exp_avg" has 1 elements, want 3`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, _ := mk()
			before := o.State()
			s := good()
			c.edit(&s)
			err := o.SetState(s)
			var pe *optim.ParamError
			var he *optim.HyperparamError
			if !errors.As(err, &pe) && !errors.As(err, &he) || !errors.Is(err, optim.ErrInvalid) {
				t.Fatalf("err = %v (%T), want a *ParamError or *HyperparamError wrapping ErrInvalid", err, err)
			}
			if !strings.Contains(err.Error(), c.substr) {
				t.Errorf("error %q does not mention %q", err, c.substr)
			}
			after := o.State()
			if after.Params[0].Step != before.Params[0].Step || after.LR != before.LR {
				t.Errorf("a refused state changed the optimizer")
			}
		})
	}
}

// TestFrozen checks that Frozen Params keep their values and step counts
// while the others move, and that ZeroGrad clears every gradient.
func TestFrozen(t *testing.T) {
	for _, b := range builders {
		t.Run(b.name, func(t *testing.T) {
			free, frozen := param("free", 1, 2), param("frozen", 3, 4)
			frozen.Frozen = true
			o := must(b.make([]*autograd.Param{free, frozen}))
			for range 3 {
				setGrad(t, free, 0.5, -0.5)
				setGrad(t, frozen, 0.5, -0.5)
				o.Step()
			}
			wantExact(t, "frozen", frozen.Data, 3, 4)
			if free.Data[0] == 1 || free.Data[1] == 2 {
				t.Errorf("free Param did not move: %v", free.Data)
			}
			st := o.State()
			if st.Params[0].Step != 3 || st.Params[1].Step != 0 {
				t.Errorf("steps %d, %d; want 3, 0", st.Params[0].Step, st.Params[1].Step)
			}
			o.ZeroGrad()
			wantExact(t, "free grad", free.Grad, 0, 0)
			wantExact(t, "frozen grad", frozen.Grad, 0, 0)
		})
	}
}

// TestParamErrors checks the parameter-list errors of the constructors, and
// the panic of Step when a Param changed length.
func TestParamErrors(t *testing.T) {
	w := param("w", 1, 2)
	bad := &autograd.Param{Name: "bad", Data: []float32{1, 2}, Grad: []float32{0}}
	cases := []struct {
		name   string
		ps     []*autograd.Param
		substr string
	}{
		{"empty", nil, "empty parameter list"},
		{"nil", []*autograd.Param{w, nil}, "params[1] is nil"},
		{"same pointer", []*autograd.Param{w, w}, "params[0] and params[1] are the same Param"},
		{"same name", []*autograd.Param{w, param("w", 3)}, `param "w": params[0] and params[1] have the same Name`},
		{"grad length", []*autograd.Param{bad}, `param "bad": Grad has 1 elements, Data 2`},
	}
	for _, c := range cases {
		for _, b := range builders {
			_, err := b.make(c.ps)
			var pe *optim.ParamError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), c.substr) {
				t.Errorf("%s, %s: err = %v, want a *ParamError mentioning %q", c.name, b.name, err, c.substr)
			}
		}
	}

	p := param("w", 1, 2)
	o := must(optim.NewAdam([]*autograd.Param{p}, optim.DefaultAdam()))
	p.Data = append(p.Data, 3)
	defer func() {
		pe, ok := recover().(*optim.ParamError)
		if !ok || !strings.Contains(pe.Error(), "Adam.Step") || !strings.Contains(pe.Error(), "Data has 3 elements") {
			t.Errorf("recovered %v, want a *ParamError from Adam.Step", pe)
		}
	}()
	o.Step()
}
