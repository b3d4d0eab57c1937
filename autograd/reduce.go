package autograd

import "fmt"

// This file holds the reductions: Sum, Mean and Max over one axis, and
// SumAll and MeanAll to a scalar. A scalar is a Var with zero dimensions
// (shape []) and one element; Var.Item reads it and Tape.Backward accepts it.

// splitAxis normalises axis (negative counts from the end) for x and returns
// it with the number of elements before it (outer), along it (n) and after it
// (inner): x is viewed as [outer, n, inner]. It panics with a *ShapeError
// naming op when axis is out of range.
func splitAxis(op string, x *Var, axis int) (ax, outer, n, inner int) {
	ax = axis
	if ax < 0 {
		ax += x.ndim
	}
	if ax < 0 || ax >= x.ndim {
		panic(shapeErr(op, fmt.Sprintf("axis %d out of range for %d dimensions", axis, x.ndim), x))
	}
	outer, inner = 1, 1
	for i := 0; i < ax; i++ {
		outer *= x.shape[i]
	}
	for i := ax + 1; i < x.ndim; i++ {
		inner *= x.shape[i]
	}
	return ax, outer, x.shape[ax], inner
}

// dropAxis returns x's shape without dimension ax.
func dropAxis(buf *[MaxDims]int, x *Var, ax int) []int {
	s := buf[:0]
	for i := 0; i < x.ndim; i++ {
		if i != ax {
			s = append(s, x.shape[i])
		}
	}
	return s
}

// sumAxis writes into y [outer, inner] the sum over the middle axis of x
// [outer, n, inner].
func sumAxis(y, x []float32, outer, n, inner int) {
	clear(y)
	for o := 0; o < outer; o++ {
		yo := y[o*inner : o*inner+inner]
		for k := 0; k < n; k++ {
			off := (o*n + k) * inner
			addTo(yo, x[off:off+inner])
		}
	}
}

// Sum returns the sum of x over one axis, removing it: x [d0, ..., dk, ...]
// gives [d0, ..., ...] without dk. A negative axis counts from the end. The
// sum over an empty axis is 0.
//
// Backward: dx[..., k, ...] += dy[..., ...] for every k along the axis.
func (t *Tape) Sum(x *Var, axis int) *Var {
	const op = "Sum"
	t.check(op, x)
	ax, outer, n, inner := splitAxis(op, x, axis)
	var sb [MaxDims]int
	y := t.newVar(t.mem.raw(outer*inner), dropAxis(&sb, x, ax))
	sumAxis(y.Data, x.Data, outer, n, inner)
	if r := t.rec1(y, x, sumBack); r != nil {
		r.i = [4]int{outer, n, inner}
		r.f[0] = 1
	}
	return y
}

// sumBack spreads f[0]·dy over the reduced axis: the backward of Sum (f[0] =
// 1) and Mean (f[0] = 1/n).
func sumBack(t *Tape, r *record) {
	dx := t.GradOf(r.in[0])
	if dx == nil {
		return
	}
	outer, n, inner, s := r.i[0], r.i[1], r.i[2], r.f[0]
	dy := r.out.Grad
	for o := 0; o < outer; o++ {
		g := dy[o*inner : o*inner+inner]
		for k := 0; k < n; k++ {
			off := (o*n + k) * inner
			d := dx[off : off+inner]
			for i, v := range g {
				d[i] += s * v
			}
		}
	}
}

// Mean returns the mean of x over one axis, removing it, with the shapes of
// Sum. The mean over an empty axis is NaN (0/0).
//
// Backward: dx[..., k, ...] += dy[..., ...] / n, n the length of the axis.
func (t *Tape) Mean(x *Var, axis int) *Var {
	const op = "Mean"
	t.check(op, x)
	ax, outer, n, inner := splitAxis(op, x, axis)
	var sb [MaxDims]int
	y := t.newVar(t.mem.raw(outer*inner), dropAxis(&sb, x, ax))
	sumAxis(y.Data, x.Data, outer, n, inner)
	s := 1 / float32(n)
	for i := range y.Data {
		y.Data[i] *= s
	}
	if r := t.rec1(y, x, sumBack); r != nil {
		r.i = [4]int{outer, n, inner}
		r.f[0] = s
	}
	return y
}

// SumAll returns the sum of every element of x, any shape, as a scalar
// (shape [], one element). It accumulates in float64.
//
// Backward: dx += dy.
func (t *Tape) SumAll(x *Var) *Var {
	const op = "SumAll"
	t.check(op, x)
	var s float64
	for _, v := range x.Data {
		s += float64(v)
	}
	y := t.newVar(t.mem.raw(1), nil)
	y.Data[0] = float32(s)
	if r := t.rec1(y, x, sumAllBack); r != nil {
		r.f[0] = 1
	}
	return y
}

// sumAllBack adds f[0]·dy into every element of dx.
func sumAllBack(t *Tape, r *record) {
	if dx := t.GradOf(r.in[0]); dx != nil {
		g := r.f[0] * r.out.Grad[0]
		for i := range dx {
			dx[i] += g
		}
	}
}

// MeanAll returns the mean of every element of x, any shape, as a scalar
// (shape [], one element); NaN when x is empty. It accumulates in float64.
//
// Backward: dx += dy / len(x).
func (t *Tape) MeanAll(x *Var) *Var {
	const op = "MeanAll"
	t.check(op, x)
	var s float64
	for _, v := range x.Data {
		s += float64(v)
	}
	y := t.newVar(t.mem.raw(1), nil)
	y.Data[0] = float32(s / float64(len(x.Data)))
	if r := t.rec1(y, x, sumAllBack); r != nil {
		r.f[0] = 1 / float32(len(x.Data))
	}
	return y
}

// Max returns the largest element of x over one axis, removing it, with the
// shapes of Sum: for a membrane trace [T, B, N], Max(v, 0) is the peak
// potential over time, [B, N]. NaN propagates: a NaN along the axis makes
// the result NaN. Max over an empty axis panics with a *ShapeError.
//
// Backward: the gradient goes to the element that attained the maximum (its
// first occurrence along the axis, when several are equal):
// dx[..., argmax, ...] += dy[..., ...].
func (t *Tape) Max(x *Var, axis int) *Var {
	const op = "Max"
	t.check(op, x)
	ax, outer, n, inner := splitAxis(op, x, axis)
	if n == 0 {
		panic(shapeErr(op, fmt.Sprintf("axis %d is empty", axis), x))
	}
	var sb [MaxDims]int
	y := t.newVar(t.mem.raw(outer*inner), dropAxis(&sb, x, ax))
	for o := 0; o < outer; o++ {
		yo := y.Data[o*inner : o*inner+inner]
		copy(yo, x.Data[o*n*inner:])
		for k := 1; k < n; k++ {
			off := (o*n + k) * inner
			for i, v := range x.Data[off : off+inner] {
				// Strictly greater keeps the first occurrence; a NaN, once
				// taken, compares false with everything and stays.
				if v > yo[i] || (v != v && yo[i] == yo[i]) {
					yo[i] = v
				}
			}
		}
	}
	if r := t.rec1(y, x, maxBack); r != nil {
		r.i = [4]int{outer, n, inner}
	}
	return y
}

// maxBack routes dy to the first element along the axis equal to the maximum
// (or, for a NaN maximum, to the first NaN), which is the element Max chose.
// A scratch row marks the outputs already routed.
func maxBack(t *Tape, r *record) {
	dx := t.GradOf(r.in[0])
	if dx == nil {
		return
	}
	outer, n, inner := r.i[0], r.i[1], r.i[2]
	x, y, dy := r.in[0].Data, r.out.Data, r.out.Grad
	done := t.mem.raw(inner)
	for o := 0; o < outer; o++ {
		clear(done)
		yo, g := y[o*inner:o*inner+inner], dy[o*inner:o*inner+inner]
		for k := 0; k < n; k++ {
			off := (o*n + k) * inner
			xs, d := x[off:off+inner], dx[off:off+inner]
			for i, v := range xs {
				if done[i] == 0 && (v == yo[i] || (v != v && yo[i] != yo[i])) {
					d[i] += g[i]
					done[i] = 1
				}
			}
		}
	}
}
