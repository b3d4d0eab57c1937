package autograd_test

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/autograd/gradcheck"
)

// randParam returns a Param with values uniform in [-1, 1).
func randParam(rng *rand.Rand, name string, shape ...int) *autograd.Param {
	p := autograd.NewParam(name, nil, shape...)
	for i := range p.Data {
		p.Data[i] = float32(rng.Float64()*2 - 1)
	}
	return p
}

func TestMatMulGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name   string
		a, b   []int
		f      func(t *autograd.Tape, a, b *autograd.Var) *autograd.Var
		expect []int
	}{
		{"NN", []int{3, 4}, []int{4, 5}, (*autograd.Tape).MatMul, []int{3, 5}},
		{"NN-seq", []int{2, 3, 4}, []int{4, 5}, (*autograd.Tape).MatMul, []int{2, 3, 5}},
		{"NT", []int{2, 3, 4}, []int{5, 4}, (*autograd.Tape).MatMulNT, []int{2, 3, 5}},
		{"TN", []int{4, 3}, []int{4, 5}, (*autograd.Tape).MatMulTN, []int{3, 5}},
		{"TT", []int{4, 3}, []int{5, 4}, (*autograd.Tape).MatMulTT, []int{3, 5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, b := randParam(rng, "a", c.a...), randParam(rng, "b", c.b...)
			f := func(tp *autograd.Tape) *autograd.Var {
				y := c.f(tp, tp.Param(a), tp.Param(b))
				if got := y.Shape(); !equalInts(got, c.expect) {
					t.Fatalf("shape %v, want %v", got, c.expect)
				}
				return y
			}
			if err := gradcheck.Check(f, []*autograd.Param{a, b}, gradcheck.Options{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestMatMulValues checks one product by hand: [[1,2],[3,4]]·[[5,6],[7,8]] =
// [[1·5+2·7, 1·6+2·8], [3·5+4·7, 3·6+4·8]] = [[19,22],[43,50]].
func TestMatMulValues(t *testing.T) {
	tp := autograd.NewTape()
	a := tp.Constant([]float32{1, 2, 3, 4}, 2, 2)
	b := tp.Constant([]float32{5, 6, 7, 8}, 2, 2)
	want := map[string][]float32{
		"NN": {19, 22, 43, 50},
		"NT": {17, 23, 39, 53}, // a·bᵀ: [1·5+2·6, 1·7+2·8; 3·5+4·6, 3·7+4·8]
		"TN": {26, 30, 38, 44}, // aᵀ·b: [1·5+3·7, 1·6+3·8; 2·5+4·7, 2·6+4·8]
		"TT": {23, 31, 34, 46}, // aᵀ·bᵀ: [1·5+3·6, 1·7+3·8; 2·5+4·6, 2·7+4·8]
	}
	got := map[string]*autograd.Var{"NN": tp.MatMul(a, b), "NT": tp.MatMulNT(a, b), "TN": tp.MatMulTN(a, b), "TT": tp.MatMulTT(a, b)}
	for k, w := range want {
		for i := range w {
			if got[k].Data[i] != w[i] {
				t.Errorf("%s = %v, want %v", k, got[k].Data, w)
				break
			}
		}
	}
}

func TestAddBiasGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x, b := randParam(rng, "x", 2, 3, 4), randParam(rng, "b", 4)
	f := func(tp *autograd.Tape) *autograd.Var { return tp.AddBias(tp.Param(x), tp.Param(b)) }
	if err := gradcheck.Check(f, []*autograd.Param{x, b}, gradcheck.Options{}); err != nil {
		t.Fatal(err)
	}
}

func TestMatMulShapeError(t *testing.T) {
	tp := autograd.NewTape()
	a, b := tp.New(3, 4), tp.New(5, 6)
	defer func() {
		var se *autograd.ShapeError
		err, _ := recover().(error)
		if !errors.As(err, &se) || se.Op != "MatMul" || len(se.Shapes) != 2 {
			t.Fatalf("recovered %v, want a *ShapeError for MatMul naming both shapes", err)
		}
		if want := "autograd: MatMul: inner dimensions differ (shapes [3 4], [5 6])"; se.Error() != want {
			t.Errorf("message %q, want %q", se.Error(), want)
		}
	}()
	tp.MatMul(a, b)
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestMatMulEventDriven checks that a product with a binary left operand gives
// the dense result (up to float32 summation order, 1e-5 for sums of at most
// 40 terms of size 1) and the same gradients, at activities below and above
// the event threshold.
func TestMatMulEventDriven(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, activity := range []float64{0, 0.05, 0.5, 1} {
		const m, k, n = 7, 40, 9
		s := make([]float32, m*k)
		for i := range s {
			if rng.Float64() < activity {
				s[i] = 1
			}
		}
		w := randParam(rng, "w", k, n)
		run := func(event bool) (out, grad []float32) {
			w.ZeroGrad()
			tp := autograd.NewTape()
			if !event {
				tp.SetEventActivity(0)
			} else {
				tp.SetEventActivity(1.01)
			}
			a := tp.Constant(s, m, k)
			a.SetBinary()
			y := tp.MatMul(a, tp.Param(w))
			seed := make([]float32, y.Len())
			for i := range seed {
				seed[i] = float32(i%5) - 2
			}
			tp.BackwardFrom(y, seed)
			return append([]float32(nil), y.Data...), append([]float32(nil), w.Grad...)
		}
		eo, eg := run(true)
		do, dg := run(false)
		for i := range eo {
			if d := eo[i] - do[i]; d > 1e-5 || d < -1e-5 {
				t.Fatalf("activity %v: output %d: event %v dense %v", activity, i, eo[i], do[i])
			}
		}
		for i := range eg {
			if d := eg[i] - dg[i]; d > 1e-5 || d < -1e-5 {
				t.Fatalf("activity %v: grad %d: event %v dense %v", activity, i, eg[i], dg[i])
			}
		}
	}
}

// TestMatMulEmpty: a [0, 1, 0] operand has no rows, so its product with a
// [0, 1] matrix is [0, 1, 1] with no values.
func TestMatMulEmpty(t *testing.T) {
	tp := autograd.NewTape()
	y := tp.MatMul(tp.New(0, 1, 0), tp.New(0, 1))
	if !equalInts(y.Shape(), []int{0, 1, 1}) || y.Len() != 0 {
		t.Fatalf("shape %v with %d values, want [0 1 1] with 0", y.Shape(), y.Len())
	}
	y = tp.MatMul(tp.New(2, 0), tp.New(0, 3)) // an empty inner dimension gives zeros
	if !equalInts(y.Shape(), []int{2, 3}) || y.Data[0] != 0 || y.Data[5] != 0 {
		t.Fatalf("[2 0]·[0 3] = %v %v", y.Shape(), y.Data)
	}
}

func TestNewNegativeShape(t *testing.T) {
	defer func() {
		if _, ok := recover().(*autograd.ShapeError); !ok {
			t.Fatal("New(-1, 2) did not panic with a *ShapeError")
		}
	}()
	autograd.NewTape().New(-1, 2)
}

func TestDetachKeepsBinary(t *testing.T) {
	tp := autograd.NewTape()
	s := tp.New(2, 2)
	s.SetBinary()
	if !tp.Detach(s).Binary() {
		t.Fatal("Detach dropped the binary mark")
	}
}
