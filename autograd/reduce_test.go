package autograd_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
)

func TestReduceGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	type V = autograd.Var
	type T = autograd.Tape
	cases := []struct {
		name string
		f    func(tp *T, x *V) *V
		want []int
	}{
		{"Sum0", func(tp *T, x *V) *V { return tp.Sum(x, 0) }, []int{3, 4}},
		{"Sum1", func(tp *T, x *V) *V { return tp.Sum(x, 1) }, []int{2, 4}},
		{"Sum-1", func(tp *T, x *V) *V { return tp.Sum(x, -1) }, []int{2, 3}},
		{"Mean0", func(tp *T, x *V) *V { return tp.Mean(x, 0) }, []int{3, 4}},
		{"Mean-2", func(tp *T, x *V) *V { return tp.Mean(x, -2) }, []int{2, 4}},
		{"SumAll", (*T).SumAll, []int{}},
		{"MeanAll", (*T).MeanAll, []int{}},
		{"Max0", func(tp *T, x *V) *V { return tp.Max(x, 0) }, []int{3, 4}},
		{"Max1", func(tp *T, x *V) *V { return tp.Max(x, 1) }, []int{2, 4}},
		{"Max-1", func(tp *T, x *V) *V { return tp.Max(x, -1) }, []int{2, 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := spreadParam(rng, "x", 2, 3, 4)
			check(t, func(tp *autograd.Tape) *autograd.Var {
				y := c.f(tp, tp.Param(x))
				if !equalInts(y.Shape(), c.want) {
					t.Fatalf("shape %v, want %v", y.Shape(), c.want)
				}
				return y
			}, x)
		})
	}
}

// spreadParam returns a Param whose values are the multiples of 0.04 from
// -0.48 upwards in random order: any two differ by at least 0.04 > kinkGap,
// so moving one by the gradcheck step never changes which one is largest
// (Max's kink).
func spreadParam(rng *rand.Rand, name string, shape ...int) *autograd.Param {
	p := autograd.NewParam(name, nil, shape...)
	for i, k := range rng.Perm(len(p.Data)) {
		p.Data[i] = 0.04*float32(k) - 0.48
	}
	return p
}

func TestReduceValues(t *testing.T) {
	tp := autograd.NewTape()
	x := tp.Constant([]float32{1, 2, 3, 4, 5, 6}, 2, 3) // [[1,2,3],[4,5,6]]
	wantData(t, "Sum0", tp.Sum(x, 0).Data, 5, 7, 9)     // 1+4, 2+5, 3+6
	wantData(t, "Sum1", tp.Sum(x, 1).Data, 6, 15)       // 1+2+3, 4+5+6
	wantData(t, "Sum-1", tp.Sum(x, -1).Data, 6, 15)
	wantData(t, "Mean0", tp.Mean(x, 0).Data, 2.5, 3.5, 4.5) // column sums / 2
	wantData(t, "Mean1", tp.Mean(x, 1).Data, 2, 5)          // row sums / 3
	wantData(t, "SumAll", tp.SumAll(x).Data, 21)            // 1+…+6
	wantData(t, "MeanAll", tp.MeanAll(x).Data, 3.5)         // 21/6
	m := tp.Constant([]float32{1, 5, 3, 4, 2, 6}, 2, 3)     // [[1,5,3],[4,2,6]]
	wantData(t, "Max0", tp.Max(m, 0).Data, 4, 5, 6)
	wantData(t, "Max1", tp.Max(m, 1).Data, 5, 6)
	nan := math.NaN()
	wantData(t, "Max NaN", tp.Max(tp.Constant([]float32{1, float32(nan), 3}, 3), 0).Data, nan)
	wantData(t, "Mean empty", tp.Mean(tp.New(2, 0), 1).Data, nan, nan) // 0/0
	wantData(t, "Sum empty", tp.Sum(tp.New(2, 0), 1).Data, 0, 0)

	s := tp.SumAll(x)
	if s.Dims() != 0 || s.Item() != 21 {
		t.Errorf("SumAll: %d dims, item %v; want a scalar 21", s.Dims(), s.Item())
	}
}

// TestMaxBackwardRouting checks by hand where Max sends its gradient: to the
// argmax, to the first of equal maxima, and to the first NaN.
func TestMaxBackwardRouting(t *testing.T) {
	for _, c := range []struct {
		name  string
		x     []float32
		shape []int
		axis  int
		grad  []float64
	}{
		// [[1,5,3],[4,2,6]] over rows: maxima 4 (row 1), 5 (row 0), 6 (row 1).
		{"argmax", []float32{1, 5, 3, 4, 2, 6}, []int{2, 3}, 0, []float64{0, 1, 0, 1, 0, 1}},
		// [[2,2],[2,1]] over rows: column 0 ties 2 = 2, the first (row 0) wins.
		{"ties", []float32{2, 2, 2, 1}, []int{2, 2}, 0, []float64{1, 1, 0, 0}},
		// [1, NaN, 3, NaN]: the maximum is NaN, and the first NaN gets dy.
		{"NaN", []float32{1, float32(math.NaN()), 3, float32(math.NaN())}, []int{4}, 0, []float64{0, 1, 0, 0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := autograd.NewParam("x", c.x, c.shape...)
			tp := autograd.NewTape()
			y := tp.Max(tp.Param(p), c.axis)
			tp.BackwardFrom(y, ones(y.Len()))
			wantData(t, "grad", p.Grad, c.grad...)
		})
	}
}

// TestScalarLoss checks that a zero-dimensional reduction is a loss
// Backward accepts: d(mean(x))/dx = 1/len(x) = 1/4.
func TestScalarLoss(t *testing.T) {
	p := autograd.NewParam("x", []float32{1, 2, 3, 4}, 2, 2)
	tp := autograd.NewTape()
	tp.Backward(tp.MeanAll(tp.Param(p)))
	wantData(t, "grad", p.Grad, 0.25, 0.25, 0.25, 0.25)
}

func TestReduceShapeErrors(t *testing.T) {
	tp := autograd.NewTape()
	x := tp.New(2, 3)
	for _, c := range []struct {
		op string
		fn func()
	}{
		{"Sum", func() { tp.Sum(x, 2) }},
		{"Sum", func() { tp.Sum(x, -3) }},
		{"Sum", func() { tp.Sum(tp.SumAll(x), 0) }},
		{"Mean", func() { tp.Mean(x, 5) }},
		{"Max", func() { tp.Max(x, -3) }},
		{"Max", func() { tp.Max(tp.New(2, 0), 1) }},
	} {
		wantShapeError(t, c.op, c.fn)
	}
}
