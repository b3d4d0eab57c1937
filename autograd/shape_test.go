package autograd_test

import (
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
)

func TestShapeOpGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	type V = autograd.Var
	type T = autograd.Tape
	cases := []struct {
		name string
		in   []int
		f    func(tp *T, x *V) *V
		want []int
	}{
		{"Reshape", []int{2, 3, 4}, func(tp *T, x *V) *V { return tp.Reshape(x, 4, -1) }, []int{4, 6}},
		{"Slice1", []int{2, 3, 4}, func(tp *T, x *V) *V { return tp.Slice(x, 1, 1, 3) }, []int{2, 2, 4}},
		{"Slice0", []int{2, 3, 4}, func(tp *T, x *V) *V { return tp.Slice(x, 0, 1, 2) }, []int{1, 3, 4}},
		{"Slice-1", []int{2, 3, 4}, func(tp *T, x *V) *V { return tp.Slice(x, -1, 0, 3) }, []int{2, 3, 3}},
		{"Concat1", []int{2, 3, 4}, func(tp *T, x *V) *V {
			// x twice (gradients accumulate), a slice of x, and a constant.
			return tp.Concat(1, x, tp.Slice(x, 1, 0, 1), tp.New(2, 2, 4), x)
		}, []int{2, 9, 4}},
		{"Concat-1", []int{2, 3, 4}, func(tp *T, x *V) *V { return tp.Concat(-1, tp.Slice(x, 2, 0, 1), x) }, []int{2, 3, 5}},
		{"Transpose", []int{3, 4}, (*T).Transpose, []int{4, 3}},
		{"Permute201", []int{2, 3, 4}, func(tp *T, x *V) *V { return tp.Permute(x, 2, 0, 1) }, []int{4, 2, 3}},
		{"Permute102", []int{2, 3, 4}, func(tp *T, x *V) *V { return tp.Permute(x, 1, 0, 2) }, []int{3, 2, 4}},
		{"Gather0", []int{5, 3}, func(tp *T, x *V) *V { return tp.Gather(x, 0, []int{4, 0, 4, 2}) }, []int{4, 3}},
		{"Gather1", []int{2, 3, 4}, func(tp *T, x *V) *V { return tp.Gather(x, 1, []int{2, 0}) }, []int{2, 2, 4}},
		{"Pick", []int{4, 5}, func(tp *T, x *V) *V { return tp.Pick(x, []int{0, 4, 2, 2}) }, []int{4}},
		{"Pick3D", []int{2, 2, 5}, func(tp *T, x *V) *V { return tp.Pick(x, []int{1, 4, 0, 0}) }, []int{2, 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := uniformParam(rng, "x", -1, 1, nil, c.in...)
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

func TestShapeOpValues(t *testing.T) {
	tp := autograd.NewTape()
	x := tp.Constant([]float32{1, 2, 3, 4, 5, 6}, 2, 3) // [[1,2,3],[4,5,6]]

	r := tp.Reshape(x, -1, 2)
	if !equalInts(r.Shape(), []int{3, 2}) || &r.Data[0] != &x.Data[0] {
		t.Errorf("Reshape: shape %v, shares data %v; want [3 2], true", r.Shape(), &r.Data[0] == &x.Data[0])
	}
	wantData(t, "Slice", tp.Slice(x, 1, 1, 3).Data, 2, 3, 5, 6) // columns 1, 2
	wantData(t, "Slice empty", tp.Slice(x, 0, 1, 1).Data)
	wantData(t, "Concat0", tp.Concat(0, tp.Slice(x, 0, 1, 2), x).Data, 4, 5, 6, 1, 2, 3, 4, 5, 6)
	wantData(t, "Concat1", tp.Concat(1, tp.Slice(x, 1, 2, 3), x).Data, 3, 1, 2, 3, 6, 4, 5, 6) // [[3 | 1 2 3], [6 | 4 5 6]]
	wantData(t, "Transpose", tp.Transpose(x).Data, 1, 4, 2, 5, 3, 6)
	wantData(t, "Permute10", tp.Permute(x, 1, 0).Data, 1, 4, 2, 5, 3, 6) // the transpose
	wantData(t, "Gather0", tp.Gather(x, 0, []int{1, 1, 0}).Data, 4, 5, 6, 4, 5, 6, 1, 2, 3)
	wantData(t, "Gather1", tp.Gather(x, 1, []int{2, 0}).Data, 3, 1, 6, 4) // columns 2, 0
	wantData(t, "Pick", tp.Pick(x, []int{2, 0}).Data, 3, 4)               // x[0,2], x[1,0]
	if p := tp.Pick(tp.Constant([]float32{7, 8, 9}, 3), []int{1}); p.Dims() != 0 || p.Item() != 8 {
		t.Errorf("Pick of a vector: %v item %v, want a scalar 8", p.Shape(), p.Item())
	}

	// Permute [2,3,4] by (2,0,1): y[i,j,k] = x[j,k,i], x holding 0…23 at
	// flat index j·12 + k·4 + i; so y starts 0, 4, 8, 12, 16, 20, 1, 5, ….
	seq := make([]float32, 24)
	for i := range seq {
		seq[i] = float32(i)
	}
	y := tp.Permute(tp.Constant(seq, 2, 3, 4), 2, 0, 1)
	n := 0
	for i := range 4 {
		for j := range 2 {
			for k := range 3 {
				if got, want := y.Data[n], float32(j*12+k*4+i); got != want {
					t.Fatalf("Permute: y[%d,%d,%d] = %v, want %v", i, j, k, got, want)
				}
				n++
			}
		}
	}
}

// TestGatherScatterAdd checks that repeated indices accumulate: gathering rows
// [2, 0, 2] of a [3, 2] table and backpropagating ones gives row counts
// [1, 0, 2] in every column.
func TestGatherScatterAdd(t *testing.T) {
	p := autograd.NewParam("table", []float32{1, 2, 3, 4, 5, 6}, 3, 2)
	tp := autograd.NewTape()
	y := tp.Gather(tp.Param(p), 0, []int{2, 0, 2})
	wantData(t, "Gather", y.Data, 5, 6, 1, 2, 5, 6)
	tp.BackwardFrom(y, ones(6))
	wantData(t, "grad", p.Grad, 1, 1, 0, 0, 2, 2)
}

func TestShapeOpShapeErrors(t *testing.T) {
	tp := autograd.NewTape()
	x := tp.New(2, 3)
	for _, c := range []struct {
		op string
		fn func()
	}{
		{"Reshape", func() { tp.Reshape(x, 4, 2) }},
		{"Reshape", func() { tp.Reshape(x, -1, -1) }},
		{"Reshape", func() { tp.Reshape(x, -2, -3) }},
		{"Reshape", func() { tp.Reshape(x, 4, -1) }},
		{"Reshape", func() { tp.Reshape(x, 0, -1) }},
		{"Reshape", func() { tp.Reshape(x, 1, 1, 1, 1, 1, 1, 6) }},
		{"Slice", func() { tp.Slice(x, 1, 2, 1) }},
		{"Slice", func() { tp.Slice(x, 1, 0, 4) }},
		{"Slice", func() { tp.Slice(x, 1, -1, 2) }},
		{"Slice", func() { tp.Slice(x, 2, 0, 1) }},
		{"Concat", func() { tp.Concat(0) }},
		{"Concat", func() { tp.Concat(0, x, tp.New(2, 2)) }},
		{"Concat", func() { tp.Concat(1, x, tp.New(2, 2, 1)) }},
		{"Transpose", func() { tp.Transpose(tp.New(2, 3, 4)) }},
		{"Permute", func() { tp.Permute(x, 0) }},
		{"Permute", func() { tp.Permute(x, 1, 1) }},
		{"Permute", func() { tp.Permute(x, 0, 2) }},
		{"Gather", func() { tp.Gather(x, 0, []int{0, 2}) }},
		{"Gather", func() { tp.Gather(x, 1, []int{-1}) }},
		{"Pick", func() { tp.Pick(x, []int{0}) }},
		{"Pick", func() { tp.Pick(x, []int{0, 3}) }},
		{"Pick", func() { tp.Pick(tp.SumAll(x), nil) }},
	} {
		wantShapeError(t, c.op, c.fn)
	}
}

// TestShapeOpsKeepBinary checks that the ops that only move values keep the
// binary mark of spikes, and that Concat keeps it only when every input has
// it.
func TestShapeOpsKeepBinary(t *testing.T) {
	tp := autograd.NewTape()
	s := tp.Constant([]float32{0, 1, 1, 0, 0, 1}, 2, 3)
	s.SetBinary()
	for name, v := range map[string]*autograd.Var{
		"Reshape":   tp.Reshape(s, 3, 2),
		"Slice":     tp.Slice(s, 1, 0, 2),
		"Concat":    tp.Concat(0, s, s),
		"Transpose": tp.Transpose(s),
		"Permute":   tp.Permute(s, 1, 0),
		"Gather":    tp.Gather(s, 0, []int{1}),
	} {
		if !v.Binary() {
			t.Errorf("%s of a binary Var is not binary", name)
		}
	}
	if tp.Concat(0, s, tp.New(1, 3)).Binary() {
		t.Error("Concat with a non-binary input is binary")
	}
	if tp.Reshape(tp.New(2, 3), 6).Binary() {
		t.Error("Reshape of a non-binary Var is binary")
	}
}
