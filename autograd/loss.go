package autograd

import "math"

// This file holds LogSoftmax and the fused losses CrossEntropy and MSE. The
// losses return a scalar (shape [], one element) accumulated in float64.

// logSumExp returns max(x) and ln Σ exp(x - max(x)) in float64, and writes
// exp(x - max(x)) into e when e is not nil. A NaN in x makes the sum NaN.
func logSumExp(x, e []float32) (m, lse float64) {
	mx := x[0]
	for _, v := range x[1:] {
		if v > mx {
			mx = v
		}
	}
	m = float64(mx)
	var s float64
	for j, v := range x {
		ev := math.Exp(float64(v) - m)
		if e != nil {
			e[j] = float32(ev)
		}
		s += ev
	}
	return m, math.Log(s)
}

// LogSoftmax returns log softmax over the last axis of x [..., C], same
// shape: y_j = x_j - max(x) - ln Σ_k exp(x_k - max(x)) for each row, which
// never overflows.
//
// Backward: dx_j += dy_j - softmax_j · Σ_k dy_k, with softmax_j = exp(y_j).
func (t *Tape) LogSoftmax(x *Var) *Var {
	const op = "LogSoftmax"
	t.check(op, x)
	needAtLeast1D(op, x, x)
	rows, c := rows2(x)
	y := t.rawLike(x)
	if c > 0 {
		for b := 0; b < rows; b++ {
			xs, ys := x.Data[b*c:b*c+c], y.Data[b*c:b*c+c]
			m, lse := logSumExp(xs, nil)
			for j, v := range xs {
				ys[j] = float32(float64(v) - m - lse)
			}
		}
	}
	if r := t.rec1(y, x, logSoftmaxBack); r != nil {
		r.i[0] = c
	}
	return y
}

func logSoftmaxBack(t *Tape, r *record) {
	dx := t.GradOf(r.in[0])
	c := r.i[0]
	if dx == nil || c == 0 {
		return
	}
	y, dy := r.out.Data, r.out.Grad
	for off := 0; off < len(dy); off += c {
		g, ys, d := dy[off:off+c], y[off:off+c], dx[off:off+c]
		var s float32
		for _, v := range g {
			s += v
		}
		for j, v := range g {
			d[j] += v - float32(math.Exp(float64(ys[j])))*s
		}
	}
}

// CrossEntropy returns the mean over rows of the negative log-likelihood of
// the labels under softmax(logits): logits [..., C] (every leading dimension
// is a row, e.g. [B, C]) and one label in [0, C) per row give the scalar
//
//	L = (1/R) Σ_b (ln Σ_j exp(x_bj) - x_b,labels[b]),  R = number of rows,
//
// computed as a fused, numerically stable log-softmax and NLL. It is NaN for
// zero rows. labels is not copied: it must not change until the backward
// pass has run. The softmax probabilities are kept in the tape's arena for
// the backward.
//
// Logits of three or more dimensions [N, ..., C] also take one label per row
// of logits[0], the same labels at every index of the first axis: with
// logits [T, B, C] (a sequence) and the B labels of a batch, row (t, b) has
// label labels[b], and L is the mean over all T·B rows, with no copy of the
// labels repeated T times.
//
// Backward: dx_bj += dL/R · (softmax(x_b)_j - [j = labels[b]]).
//
// CrossEntropy panics with a *ShapeError if the number of labels is neither
// the number of rows nor (for three or more dimensions) that of logits[0],
// or a label is outside [0, C).
func (t *Tape) CrossEntropy(logits *Var, labels []int) *Var {
	const op = "CrossEntropy"
	t.check(op, logits)
	needAtLeast1D(op, logits, logits)
	rows, c := labelRows(op, logits, labels)
	rec := t.wants(logits)
	var p []float32
	if rec {
		p = t.mem.raw(rows * c)
	}
	var loss float64
	for b := range rows {
		l := labels[b%len(labels)]
		xs := logits.Data[b*c : b*c+c]
		var pb []float32
		if rec {
			pb = p[b*c : b*c+c]
		}
		m, lse := logSumExp(xs, pb)
		if rec {
			inv := float32(math.Exp(-lse)) // 1 / Σ exp(x - m)
			for j := range pb {
				pb[j] *= inv
			}
		}
		loss += m + lse - float64(xs[l])
	}
	y := t.newVar(t.mem.raw(1), nil)
	y.Data[0] = float32(loss / float64(rows))
	if r := t.rec1(y, logits, crossEntropyBack); r != nil {
		r.saved = p
		r.idx = labels
		r.i[0] = c
		r.f[0] = 1 / float32(rows)
	}
	return y
}

func crossEntropyBack(t *Tape, r *record) {
	dx := t.GradOf(r.in[0])
	if dx == nil {
		return
	}
	c, p, g := r.i[0], r.saved, r.out.Grad[0]*r.f[0]
	dx, p = dx[:len(p)], p[:len(p)]
	for i, v := range p {
		dx[i] += g * v
	}
	// The labels cover the rows once, or repeat over the first axis.
	for n := len(r.idx) * c; len(dx) >= n && n > 0; dx = dx[n:] {
		for b, l := range r.idx {
			dx[b*c+l] -= g
		}
	}
}

// MSE returns the mean squared error between a and b, which have one shape:
// the scalar L = (1/n) Σ_i (a_i - b_i)², n the number of elements (NaN for
// n = 0).
//
// Backward: da += (2/n) · dL · (a - b), db -= the same.
func (t *Tape) MSE(a, b *Var) *Var {
	const op = "MSE"
	t.check(op, a)
	t.check(op, b)
	needSame(op, a, b)
	var s float64
	bd := b.Data[:len(a.Data)]
	for i, v := range a.Data {
		d := float64(v) - float64(bd[i])
		s += d * d
	}
	y := t.newVar(t.mem.raw(1), nil)
	y.Data[0] = float32(s / float64(len(a.Data)))
	if r := t.rec2(y, a, b, mseBack); r != nil {
		r.f[0] = 2 / float32(len(a.Data))
	}
	return y
}

func mseBack(t *Tape, r *record) {
	a, b := r.in[0].Data, r.in[1].Data
	g := r.f[0] * r.out.Grad[0]
	b = b[:len(a)]
	if da := t.GradOf(r.in[0]); da != nil {
		da = da[:len(a)]
		for i, v := range a {
			da[i] += g * (v - b[i])
		}
	}
	if db := t.GradOf(r.in[1]); db != nil {
		db = db[:len(a)]
		for i, v := range a {
			db[i] -= g * (v - b[i])
		}
	}
}
