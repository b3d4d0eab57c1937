package autograd_test

import (
	"fmt"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
)

// fuzzReader turns fuzz bytes into small shapes, axes and indices; past the
// end it yields zeros.
type fuzzReader struct{ b []byte }

func (r *fuzzReader) byte() int {
	if len(r.b) == 0 {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return int(v)
}

// small returns an integer in [-5, 5]: axes, indices and dimensions both in
// and out of range.
func (r *fuzzReader) small() int { return int(int8(r.byte())) % 6 }

// shape returns 0 to 3 dimensions of size 0 to 3.
func (r *fuzzReader) shape() []int {
	s := make([]int, r.byte()%4)
	for i := range s {
		s[i] = r.byte() % 4
	}
	return s
}

func (r *fuzzReader) ints() []int {
	s := make([]int, r.byte()%5)
	for i := range s {
		s[i] = r.small()
	}
	return s
}

// FuzzShapes feeds random shapes, axes and indices to the ops that take
// them. Each op must either return a Var whose Data matches its shape (and
// then run its backward pass) or panic with a *ShapeError; any other panic,
// such as an index out of range inside the op, fails.
func FuzzShapes(f *testing.F) {
	f.Add([]byte{2, 2, 3, 1, 0, 2, 1, 2, 0, 1})
	f.Add([]byte{3, 1, 2, 3, 255, 254, 2, 1, 0, 2, 3, 1})
	f.Add([]byte{0, 1, 1, 0, 0})
	f.Add([]byte{1, 0, 2, 255, 1, 3, 0, 0, 0, 0})
	f.Add([]byte{3, 2, 0, 3, 2, 3, 1, 4, 2, 5, 250})
	f.Add([]byte{2, 3, 3, 4, 1, 1, 2, 2, 0, 3, 2, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &fuzzReader{b: data}
		xs := r.shape()
		ax, a, b := r.small(), r.small(), r.small()
		idx, other := r.ints(), r.shape()
		p := autograd.NewParam("x", nil, xs...)
		for i := range p.Data {
			p.Data[i] = float32(i%7) - 3
		}
		q := autograd.NewParam("q", nil, other...)
		mask := make([]float32, len(idx))
		type V = autograd.Var
		type T = autograd.Tape
		ops := []struct {
			name string
			fn   func(tp *T, x, y *V) *V
		}{
			{"Sum", func(tp *T, x, _ *V) *V { return tp.Sum(x, ax) }},
			{"Mean", func(tp *T, x, _ *V) *V { return tp.Mean(x, ax) }},
			{"Max", func(tp *T, x, _ *V) *V { return tp.Max(x, ax) }},
			{"Slice", func(tp *T, x, _ *V) *V { return tp.Slice(x, ax, a, b) }},
			{"Concat", func(tp *T, x, y *V) *V { return tp.Concat(ax, x, y, x) }},
			{"Transpose", func(tp *T, x, _ *V) *V { return tp.Transpose(x) }},
			{"Permute", func(tp *T, x, _ *V) *V { return tp.Permute(x, idx...) }},
			{"Reshape", func(tp *T, x, _ *V) *V { return tp.Reshape(x, idx...) }},
			{"Gather", func(tp *T, x, _ *V) *V { return tp.Gather(x, ax, idx) }},
			{"Pick", func(tp *T, x, _ *V) *V { return tp.Pick(x, idx) }},
			{"CrossEntropy", func(tp *T, x, _ *V) *V { return tp.CrossEntropy(x, idx) }},
			{"LogSoftmax", func(tp *T, x, _ *V) *V { return tp.LogSoftmax(x) }},
			{"MulBias", func(tp *T, x, y *V) *V { return tp.MulBias(x, y) }},
			{"Add", func(tp *T, x, y *V) *V { return tp.Add(x, y) }},
			{"MSE", func(tp *T, x, y *V) *V { return tp.MSE(x, y) }},
			{"Mask", func(tp *T, x, _ *V) *V { return tp.Mask(x, mask) }},
			{"Where", func(tp *T, x, y *V) *V { return tp.Where(mask, x, y) }},
		}
		tp := autograd.NewTape() // one tape, Reset after every op
		for _, op := range ops {
			runFuzzOp(t, op.name, func() {
				defer tp.Reset()
				y := op.fn(tp, tp.Param(p), tp.Param(q))
				n := 1
				for _, d := range y.Shape() {
					n *= d
				}
				if n != y.Len() {
					t.Fatalf("%s(%v, %v): shape %v with %d values", op.name, xs, other, y.Shape(), y.Len())
				}
				if y.RequiresGrad() {
					tp.BackwardFrom(y, ones(y.Len()))
				}
			})
		}
	})
}

// runFuzzOp runs fn and fails on any panic but a *ShapeError.
func runFuzzOp(t *testing.T, name string, fn func()) {
	t.Helper()
	defer func() {
		if e := recover(); e != nil {
			if _, ok := e.(*autograd.ShapeError); !ok {
				t.Fatalf("%s: panic %v", name, fmt.Sprint(e))
			}
		}
	}()
	fn()
}
