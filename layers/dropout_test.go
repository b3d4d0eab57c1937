package layers

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/autograd/gradcheck"
	"github.com/spikegrad/spikegrad/model"
)

// TestDropoutMaskHeldOverTime checks that one mask [B, F] is drawn per
// Forward and applied at every step of [T, B, F] (and over a constant input
// [B, F] that Sequential repeats), that its values are 0 and 1/(1−P), and
// that the next Forward draws a new one.
func TestDropoutMaskHeldOverTime(t *testing.T) {
	const T, B, F, p = 6, 4, 50, 0.25
	l := NewDropout("drop", p)
	l.SetTraining(rand.New(rand.NewPCG(3, 1)))
	rng := rand.New(rand.NewPCG(3, 2))
	x := randSlice(rng, T*B*F, 0.5, 1.5) // no zeros: y/x recovers the mask
	tp := autograd.NewTape()
	masks := make([][]float32, 2)
	for k := range masks {
		y := l.Forward(tp, tp.Constant(x, T, B, F))
		m := make([]float32, B*F)
		for i := range m {
			m[i] = y.Data[i] / x[i]
		}
		kept := float32(1 / (1 - float32(p))) // as Forward computes it
		for i, v := range m {
			if v != 0 && math.Abs(float64(v-kept)) > 1e-6 {
				t.Fatalf("mask value %v at %d, want 0 or %v", v, i, kept)
			}
		}
		for s := 1; s < T; s++ {
			for i := range m {
				if got := y.Data[s*B*F+i]; got != m[i]*x[s*B*F+i] && math.Abs(float64(got-m[i]*x[s*B*F+i])) > 1e-6 {
					t.Fatalf("step %d, element %d: %v, want mask %v · x %v", s, i, got, m[i], x[s*B*F+i])
				}
			}
		}
		masks[k] = m
	}
	same := true
	for i := range masks[0] {
		same = same && (masks[0][i] == 0) == (masks[1][i] == 0)
	}
	if same {
		t.Error("two Forwards drew the same mask of 200 elements")
	}
	// A constant input [B, F] in a Sequential: the layer runs once on
	// [B, F], drawing one mask, and the first neuron layer repeats its
	// output over the T steps.
	net := NewSequential(l, NewLIF("lif", F, LIFConfig{Beta: 0.5}))
	net.SetTraining(rand.New(rand.NewPCG(3, 3)))
	tr := net.Forward(tp, tp.Constant(x[:B*F], B, F), T)
	if s := tr.Layers[0].Out.Shape(); len(s) != 2 || tr.Out.Shape()[0] != T {
		t.Fatalf("a constant input: dropout output %v, network output %v; want [%d %d] and T = %d", s, tr.Out.Shape(), B, F, T)
	}
}

// TestDropoutExpectation checks inverted dropout's promise E[y] = x on an
// input of ones over N = 200 000 elements: the mean of y is K/(N(1−P)) for
// K ~ Binomial(N, 1−P) kept elements, whose standard deviation is
// sqrt(N P (1−P)) / (N (1−P)) = sqrt(P / ((1−P) N)). The test allows 5 of
// them (a chance of about 6·10⁻⁷ to fail for an unbiased mask; the seed is
// fixed, so it is deterministic) and checks the dropped fraction likewise,
// with standard deviation sqrt(P (1−P) / N).
func TestDropoutExpectation(t *testing.T) {
	const B, F = 400, 500
	const N = B * F
	for _, p := range []float64{0.1, 0.5, 0.8} {
		l := NewDropout("drop", float32(p))
		l.SetTraining(rand.New(rand.NewPCG(11, uint64(p*10))))
		x := make([]float32, N)
		for i := range x {
			x[i] = 1
		}
		tp := autograd.NewTape()
		y := l.Forward(tp, tp.Constant(x, 1, B, F))
		var sum float64
		dropped := 0
		for _, v := range y.Data {
			sum += float64(v)
			if v == 0 {
				dropped++
			}
		}
		mean, frac := sum/N, float64(dropped)/N
		if sd := math.Sqrt(p / ((1 - p) * N)); math.Abs(mean-1) > 5*sd {
			t.Errorf("P = %v: mean %v, want 1 ± %v (5 sd)", p, mean, 5*sd)
		}
		if sd := math.Sqrt(p * (1 - p) / N); math.Abs(frac-p) > 5*sd {
			t.Errorf("P = %v: dropped fraction %v, want %v ± %v (5 sd)", p, frac, p, 5*sd)
		}
	}
}

// TestDropoutInference checks that Dropout is the identity (the same Var)
// until SetTraining gives it a source, after SetTraining(nil), and with
// P = 0; and that Sequential.SetTraining switches it.
func TestDropoutInference(t *testing.T) {
	tp := autograd.NewTape()
	x := tp.Constant(randSlice(rand.New(rand.NewPCG(1, 1)), 2*3*4, -1, 1), 2, 3, 4)
	l := NewDropout("drop", 0.5)
	if y := l.Forward(tp, x); y != x || l.Training() {
		t.Error("a new Dropout is not the identity")
	}
	net := NewSequential(NewLinear("fc", 4, 4, LinearConfig{}), l)
	net.SetTraining(rand.New(rand.NewPCG(1, 2)))
	if !l.Training() || l.Forward(tp, x) == x {
		t.Error("Sequential.SetTraining did not put Dropout in training mode")
	}
	net.SetTraining(nil)
	if y := l.Forward(tp, x); y != x || l.Training() {
		t.Error("Dropout after SetTraining(nil) is not the identity")
	}
	z := NewDropout("zero", 0)
	z.SetTraining(rand.New(rand.NewPCG(1, 3)))
	if y := z.Forward(tp, x); y != x {
		t.Error("Dropout with P = 0 is not the identity in training")
	}
}

// TestDropoutGradient checks the gradient against finite differences with
// the mask held fixed (the source is seeded anew at each forward pass), in
// front of a Linear layer so that its parameters are checked too.
func TestDropoutGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	l := NewDropout("drop", 0.4)
	fc := NewLinear("fc", 6, 3, LinearConfig{RNG: rng})
	xp := autograd.NewParam("x", randSlice(rng, 3*2*6, -1, 1), 3, 2, 6)
	f := func(tp *autograd.Tape) *autograd.Var {
		l.SetTraining(rand.New(rand.NewPCG(5, 6)))
		return fc.Forward(tp, l.Forward(tp, tp.Param(xp)))
	}
	if err := gradcheck.Check(f, append([]*autograd.Param{xp}, fc.Params()...), gradcheck.Options{}); err != nil {
		t.Fatal(err)
	}
	// d Σy / dx is the mask itself: 0 for a dropped input at every step,
	// 1/(1−P) for a kept one.
	tp := autograd.NewTape()
	clear(xp.Grad) // the check above left its gradients there
	l.SetTraining(rand.New(rand.NewPCG(5, 7)))
	xv := tp.Param(xp)
	y := l.Forward(tp, xv)
	tp.Backward(tp.SumAll(y))
	g := tp.GradOf(xv)
	for i, v := range g {
		if want := y.Data[i] / xp.Data[i]; math.Abs(float64(v-want)) > 1e-6 {
			t.Fatalf("gradient %d = %v, want the mask %v", i, v, want)
		}
	}
}

// TestDropoutConfig checks the bad values of P, by constructor and from a
// model file, and that Build makes the layer again from its Spec.
func TestDropoutConfig(t *testing.T) {
	for _, c := range []struct {
		p    float32
		want string
	}{
		{1, `layers: dropout "d": p = 1: must be in [0, 1)`},
		{-0.1, `layers: dropout "d": p = -0.1: must be in [0, 1)`},
		{float32(math.NaN()), `layers: dropout "d": p = NaN: must be in [0, 1)`},
	} {
		if err := configPanic(t, func() { NewDropout("d", c.p) }); err == nil || err.Error() != c.want {
			t.Errorf("p = %v: %v, want %s", c.p, err, c.want)
		}
	}
	m := &model.Model{Layers: []model.Layer{model.NewLayer("drop", model.Dropout{P: 1.5})}}
	if _, err := Build(m, nil); err == nil || err.Error() != `model: layer 0 "drop" (dropout): p = 1.5: must be in [0, 1)` {
		t.Errorf("Build: %v", err)
	}
	net, err := Build(NewSequential(NewDropout("drop", 0.3)).Model(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := net.Layers[0].(*Dropout); !ok || d.P != 0.3 || d.Name() != "drop" || d.Training() {
		t.Errorf("Build made %#v", net.Layers[0])
	}
}
