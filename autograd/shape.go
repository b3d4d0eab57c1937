package autograd

import (
	"fmt"
	"math"
)

// This file holds the ops that move elements without arithmetic: Reshape,
// Slice, Concat, Transpose, Permute, and the index ops Gather and Pick. Since
// they only move values, the first six keep the binary mark (Var.SetBinary)
// of their input (of every input, for Concat), so that reshaped or sliced
// spikes still feed event-driven products.

// Reshape returns x with a new shape of the same number of elements. One
// dimension may be -1: it is inferred from the others. The result shares x's
// Data (row-major order is unchanged), so no element is copied.
//
// Backward: dx += dy (element for element).
//
// Reshape panics with a *ShapeError if the sizes differ, if more than one
// dimension is -1 or another is negative, or if the -1 cannot be inferred
// (the other dimensions multiply to 0 or do not divide x's size).
func (t *Tape) Reshape(x *Var, shape ...int) *Var {
	const op = "Reshape"
	t.check(op, x)
	if len(shape) > MaxDims {
		panic(reshapeErr(x, shape, fmt.Sprintf("more than %d dimensions", MaxDims)))
	}
	var sb [MaxDims]int
	s := sb[:len(shape)]
	copy(s, shape)
	infer, known := -1, 1
	for i, d := range s {
		switch {
		case d == -1 && infer >= 0:
			panic(reshapeErr(x, shape, "more than one dimension is -1"))
		case d == -1:
			infer = i
		case d < 0:
			panic(reshapeErr(x, shape, "negative dimension"))
		default:
			if d != 0 && known > math.MaxInt/d {
				panic(reshapeErr(x, shape, "size overflows int"))
			}
			known *= d
		}
	}
	if infer >= 0 {
		if known == 0 || len(x.Data)%known != 0 {
			panic(reshapeErr(x, shape, "cannot infer the -1 dimension"))
		}
		s[infer] = len(x.Data) / known
	} else if known != len(x.Data) {
		panic(reshapeErr(x, shape, "sizes differ"))
	}
	y := t.newVar(x.Data, s)
	y.binary = x.binary
	t.rec1(y, x, identityBack)
	return y
}

func reshapeErr(x *Var, shape []int, msg string) *ShapeError {
	return &ShapeError{Op: "Reshape", Shapes: [][]int{append([]int(nil), x.Shape()...), append([]int(nil), shape...)}, Msg: msg}
}

// Slice returns the elements start to end-1 of x along one axis (negative
// counts from the end), keeping the axis: x [..., n, ...] gives
// [..., end-start, ...]. It needs 0 ≤ start ≤ end ≤ n. The result is a copy.
//
// Backward: dx[..., start+k, ...] += dy[..., k, ...].
func (t *Tape) Slice(x *Var, axis, start, end int) *Var {
	const op = "Slice"
	t.check(op, x)
	ax, outer, n, inner := splitAxis(op, x, axis)
	if start < 0 || start > end || end > n {
		panic(shapeErr(op, fmt.Sprintf("range [%d, %d) out of bounds for axis %d of length %d", start, end, axis, n), x))
	}
	sb := x.shape
	sb[ax] = end - start
	y := t.newVar(t.mem.raw(outer*(end-start)*inner), sb[:x.ndim])
	xs, ys, off := n*inner, (end-start)*inner, start*inner // block sizes and offset
	for o := 0; o < outer; o++ {
		copy(y.Data[o*ys:o*ys+ys], x.Data[o*xs+off:])
	}
	y.binary = x.binary
	if r := t.rec1(y, x, sliceBack); r != nil {
		r.i = [4]int{outer, xs, ys, off}
	}
	return y
}

func sliceBack(t *Tape, r *record) {
	dx := t.GradOf(r.in[0])
	if dx == nil {
		return
	}
	outer, xs, ys, off := r.i[0], r.i[1], r.i[2], r.i[3]
	dy := r.out.Grad
	for o := 0; o < outer; o++ {
		addTo(dx[o*xs+off:o*xs+off+ys], dy[o*ys:o*ys+ys])
	}
}

// Concat joins xs along one axis (negative counts from the end of the first
// input's shape). Every input has the same shape except along that axis; the
// result's length there is the sum of theirs. For time-major sequences
// [T, B, N], Concat(0, ...) appends time steps and Concat(-1, ...) stacks
// features.
//
// Backward: each input's gradient is its block of dy.
//
// Concat panics with a *ShapeError if there are no inputs or their shapes do
// not fit.
func (t *Tape) Concat(axis int, xs ...*Var) *Var {
	const op = "Concat"
	for _, x := range xs {
		t.check(op, x)
	}
	if len(xs) == 0 {
		panic(&ShapeError{Op: op, Msg: "no inputs"})
	}
	x0 := xs[0]
	ax, outer, _, inner := splitAxis(op, x0, axis)
	total := 0
	for _, x := range xs {
		s0, s := x0.shape, x.shape
		s0[ax], s[ax] = 0, 0
		if x.ndim != x0.ndim || s != s0 {
			panic(shapeErr(op, fmt.Sprintf("shapes differ outside axis %d", axis), xs...))
		}
		total += x.shape[ax]
	}
	sb := x0.shape
	sb[ax] = total
	y := t.newVar(t.mem.raw(outer*total*inner), sb[:x0.ndim])
	ys, off := total*inner, 0
	y.binary = true
	for _, x := range xs {
		y.binary = y.binary && x.binary
		bs := x.shape[ax] * inner
		for o := 0; o < outer; o++ {
			copy(y.Data[o*ys+off:o*ys+off+bs], x.Data[o*bs:o*bs+bs])
		}
		off += bs
	}
	if t.wants(xs...) {
		r := t.push(y)
		r.fn = concatBack
		r.lo = len(t.ptrs)
		t.ptrs = append(t.ptrs, xs...)
		r.hi = len(t.ptrs)
		r.i = [4]int{outer, inner, ys, ax}
	}
	return y
}

func concatBack(t *Tape, r *record) {
	outer, inner, ys, ax := r.i[0], r.i[1], r.i[2], r.i[3]
	dy, off := r.out.Grad, 0
	for _, x := range t.ptrs[r.lo:r.hi] {
		bs := x.shape[ax] * inner
		if dx := t.GradOf(x); dx != nil {
			for o := 0; o < outer; o++ {
				addTo(dx[o*bs:o*bs+bs], dy[o*ys+off:o*ys+off+bs])
			}
		}
		off += bs
	}
}

// Transpose returns the transpose of a matrix: x [M, N] gives [N, M]. The
// result is a copy.
//
// Backward: dx += dyᵀ.
func (t *Tape) Transpose(x *Var) *Var {
	const op = "Transpose"
	t.check(op, x)
	need2D(op, x, x)
	m, n := x.shape[0], x.shape[1]
	y := t.newVar(t.mem.raw(m*n), []int{n, m})
	transpose2(y.Data, x.Data, m, n)
	y.binary = x.binary
	if r := t.rec1(y, x, transposeBack); r != nil {
		r.i = [4]int{m, n}
	}
	return y
}

func transposeBack(t *Tape, r *record) {
	if dx := t.GradOf(r.in[0]); dx != nil {
		m, n := r.i[0], r.i[1]
		addTransposed(dx, r.out.Grad, n, m) // dy is [N, M]
	}
}

// Permute reorders x's dimensions: dimension k of the result is dimension
// axes[k] of x, so y[i_0, ..., i_{d-1}] = x[j] with j_{axes[k]} = i_k. axes is
// a permutation of 0 … d-1, d = x.Dims(). Permute(x, 1, 0, 2) turns a
// batch-major [B, T, N] into time-major [T, B, N]. The result is a copy.
//
// Backward: dx = the inverse permutation of dy, accumulated.
//
// Permute panics with a *ShapeError if axes is not such a permutation.
func (t *Tape) Permute(x *Var, axes ...int) *Var {
	const op = "Permute"
	t.check(op, x)
	if len(axes) != x.ndim {
		panic(&ShapeError{Op: op, Shapes: [][]int{append([]int(nil), x.Shape()...), append([]int(nil), axes...)},
			Msg: fmt.Sprintf("%d axes for %d dimensions", len(axes), x.ndim)})
	}
	var seen [MaxDims]bool
	var sb [MaxDims]int
	packed := 0
	for k, a := range axes {
		if a < 0 || a >= x.ndim || seen[a] {
			panic(&ShapeError{Op: op, Shapes: [][]int{append([]int(nil), x.Shape()...), append([]int(nil), axes...)},
				Msg: "axes are not a permutation of the dimensions"})
		}
		seen[a] = true
		sb[k] = x.shape[a]
		packed |= a << (3 * k)
	}
	y := t.newVar(t.mem.raw(len(x.Data)), sb[:x.ndim])
	permute(y.Data, x.Data, x, packed, false)
	y.binary = x.binary
	if r := t.rec1(y, x, permuteBack); r != nil {
		r.i[0] = packed
	}
	return y
}

func permuteBack(t *Tape, r *record) {
	if dx := t.GradOf(r.in[0]); dx != nil {
		permute(r.out.Grad, dx, r.in[0], r.i[0], true)
	}
}

// permute walks the result y of permuting x (axes packed three bits per
// output dimension) in order. Forward it sets y[j] = x[off]; with back it
// adds y[j] into x[off], which is the backward.
func permute(y, x []float32, xv *Var, packed int, back bool) {
	nd := xv.ndim
	if len(y) == 0 {
		return
	}
	var xstride, ostride, oshape, cnt [MaxDims]int
	s := 1
	for d := nd - 1; d >= 0; d-- {
		xstride[d] = s
		s *= xv.shape[d]
	}
	for k := 0; k < nd; k++ {
		a := (packed >> (3 * k)) & 7
		oshape[k] = xv.shape[a]
		ostride[k] = xstride[a]
	}
	off := 0
	for j := range y {
		if back {
			x[off] += y[j]
		} else {
			y[j] = x[off]
		}
		for k := nd - 1; k >= 0; k-- {
			cnt[k]++
			off += ostride[k]
			if cnt[k] < oshape[k] {
				break
			}
			off -= ostride[k] * oshape[k]
			cnt[k] = 0
		}
	}
}

// Gather selects entries of x along one axis by index: x [..., n, ...] and
// idx of length m give [..., m, ...] with y[..., k, ...] = x[..., idx[k], ...].
// Gather(table, 0, tokens) looks up the rows of an embedding table [V, D]. An
// index may repeat. idx is not copied: it must not change until the backward
// pass has run.
//
// Backward: scatter-add, dx[..., idx[k], ...] += dy[..., k, ...].
//
// Gather panics with a *ShapeError if an index is outside [0, n).
func (t *Tape) Gather(x *Var, axis int, idx []int) *Var {
	const op = "Gather"
	t.check(op, x)
	ax, outer, n, inner := splitAxis(op, x, axis)
	for k, j := range idx {
		if j < 0 || j >= n {
			panic(shapeErr(op, fmt.Sprintf("index %d (position %d) out of range [0, %d)", j, k, n), x))
		}
	}
	m := len(idx)
	sb := x.shape
	sb[ax] = m
	y := t.newVar(t.mem.raw(outer*m*inner), sb[:x.ndim])
	for o := 0; o < outer; o++ {
		for k, j := range idx {
			dst := (o*m + k) * inner
			copy(y.Data[dst:dst+inner], x.Data[(o*n+j)*inner:])
		}
	}
	y.binary = x.binary
	if r := t.rec1(y, x, gatherBack); r != nil {
		r.i = [4]int{outer, n, inner}
		r.idx = idx
	}
	return y
}

func gatherBack(t *Tape, r *record) {
	dx := t.GradOf(r.in[0])
	if dx == nil {
		return
	}
	outer, n, inner, idx := r.i[0], r.i[1], r.i[2], r.idx
	m, dy := len(idx), r.out.Grad
	for o := 0; o < outer; o++ {
		for k, j := range idx {
			src, dst := (o*m+k)*inner, (o*n+j)*inner
			addTo(dx[dst:dst+inner], dy[src:src+inner])
		}
	}
}

// Pick selects one element per row: x [..., C] (every leading dimension is a
// row) and one label per row give y [...] with y[b] = x[b, labels[b]]: the
// score of each sample's class. A vector x [C] gives a scalar (shape []).
// labels is not copied: it must not change until the backward pass has run.
//
// Backward: dx[b, labels[b]] += dy[b].
//
// Pick panics with a *ShapeError if the number of labels differs from the
// number of rows or a label is outside [0, C).
func (t *Tape) Pick(x *Var, labels []int) *Var {
	const op = "Pick"
	t.check(op, x)
	needAtLeast1D(op, x, x)
	rows, c := pickRows(op, x, labels)
	y := t.newVar(t.mem.raw(rows), x.shape[:x.ndim-1])
	for b, l := range labels {
		y.Data[b] = x.Data[b*c+l]
	}
	if r := t.rec1(y, x, pickBack); r != nil {
		r.i[0] = c
		r.idx = labels
	}
	return y
}

// pickRows checks one label in [0, C) per row of x [..., C] and returns the
// number of rows and C.
func pickRows(op string, x *Var, labels []int) (rows, c int) {
	c = x.shape[x.ndim-1]
	rows = 1
	for i := 0; i < x.ndim-1; i++ {
		rows *= x.shape[i]
	}
	if len(labels) != rows {
		panic(&ShapeError{Op: op, Shapes: [][]int{append([]int(nil), x.Shape()...), {len(labels)}},
			Msg: fmt.Sprintf("%d labels for %d rows", len(labels), rows)})
	}
	checkLabels(op, x, labels, c)
	return rows, c
}

// checkLabels panics with a *ShapeError for a label outside [0, c).
func checkLabels(op string, x *Var, labels []int, c int) {
	for b, l := range labels {
		if l < 0 || l >= c {
			panic(shapeErr(op, fmt.Sprintf("label %d (row %d) out of range [0, %d)", l, b, c), x))
		}
	}
}

// labelRows is pickRows that also accepts, for x of three or more
// dimensions [N, ..., C], one label per row of x[0], repeated over the first
// axis. It returns the number of rows of x and C.
func labelRows(op string, x *Var, labels []int) (rows, c int) {
	if x.ndim < 3 || x.shape[0] == 0 {
		return pickRows(op, x, labels)
	}
	c = x.shape[x.ndim-1]
	rows = numel(x.shape[:x.ndim-1])
	if len(labels) != rows && len(labels) != rows/x.shape[0] {
		panic(&ShapeError{Op: op, Shapes: [][]int{append([]int(nil), x.Shape()...), {len(labels)}},
			Msg: fmt.Sprintf("%d labels for %d rows (or %d, the rows of one index of the first axis)", len(labels), rows, rows/x.shape[0])})
	}
	checkLabels(op, x, labels, c)
	return rows, c
}

func pickBack(t *Tape, r *record) {
	if dx := t.GradOf(r.in[0]); dx != nil {
		c, dy := r.i[0], r.out.Grad
		for b, l := range r.idx {
			dx[b*c+l] += dy[b]
		}
	}
}
