package autograd_test

import (
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/autograd/gradcheck"
)

func TestRepeat(t *testing.T) {
	tp := autograd.NewTape()
	y := tp.Repeat(tp.Constant([]float32{1, 2, 3, 4}, 2, 2), 3)
	if got := y.Shape(); !equalInts(got, []int{3, 2, 2}) {
		t.Fatalf("shape %v, want [3 2 2]", got)
	}
	for i, v := range y.Data { // the 4 values of x, three times over
		if want := float32(i%4 + 1); v != want {
			t.Fatalf("y = %v", y.Data)
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	x := randParam(rng, "x", 2, 3)
	f := func(tp *autograd.Tape) *autograd.Var { return tp.Repeat(tp.Param(x), 4) }
	if err := gradcheck.Check(f, []*autograd.Param{x}, gradcheck.Options{}); err != nil {
		t.Fatal(err)
	}
}

// A two-output record runs its backward when only the second output is used.
type twoOut struct{ a, b *autograd.Var }

func (o *twoOut) Backward(t *autograd.Tape, out *autograd.Var, in []*autograd.Var) {
	dx := t.GradOf(in[0])
	for i := range dx {
		if o.a.Grad != nil {
			dx[i] += 2 * o.a.Grad[i]
		}
		if o.b.Grad != nil {
			dx[i] += 3 * o.b.Grad[i]
		}
	}
}

func TestRecordOutputs(t *testing.T) {
	x := autograd.NewParam("x", []float32{1, 2}, 2)
	tp := autograd.NewTape()
	xv := tp.Param(x)
	a, b := tp.New(2), tp.New(2)
	for i, v := range xv.Data { // a = 2x, b = 3x
		a.Data[i], b.Data[i] = 2*v, 3*v
	}
	tp.RecordOutputs([]*autograd.Var{a, b}, &twoOut{a, b}, xv)
	tp.Backward(tp.SumAll(b)) // d/dx Σ 3x = 3
	if x.Grad[0] != 3 || x.Grad[1] != 3 {
		t.Fatalf("grad %v, want [3 3]", x.Grad)
	}
}
