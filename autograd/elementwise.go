package autograd

import (
	"fmt"
	"math"
)

// This file holds the element-wise ops: arithmetic on Vars of one shape,
// scalar arithmetic, the per-feature product MulBias, the smooth and
// piecewise-linear activations, and selection by a fixed mask.

// rawLike returns a Var shaped like x with undefined contents.
func (t *Tape) rawLike(x *Var) *Var {
	return t.newVar(t.mem.raw(len(x.Data)), x.Shape())
}

// rec1 records a one-input op if x needs a gradient and returns the record,
// or nil.
func (t *Tape) rec1(y, x *Var, fn func(*Tape, *record)) *record {
	if !t.wants(x) {
		return nil
	}
	r := t.push(y)
	r.in[0] = x
	r.fn = fn
	return r
}

// rec2 records a two-input op if a or b needs a gradient.
func (t *Tape) rec2(y, a, b *Var, fn func(*Tape, *record)) *record {
	if !t.wants(a, b) {
		return nil
	}
	r := t.push(y)
	r.in[0], r.in[1] = a, b
	r.fn = fn
	return r
}

// needSame panics with a *ShapeError unless a and b have the same shape.
func needSame(op string, a, b *Var) {
	if a.ndim != b.ndim || a.shape != b.shape {
		panic(shapeErr(op, "shapes differ", a, b))
	}
}

// needLen panics with a *ShapeError unless a slice operand of n values
// matches x's size.
func needLen(op, what string, x *Var, n int) {
	if n != len(x.Data) {
		panic(&ShapeError{Op: op, Shapes: [][]int{append([]int(nil), x.Shape()...), {n}},
			Msg: fmt.Sprintf("%s has %d values for %d elements", what, n, len(x.Data))})
	}
}

// Add returns a + b element-wise; a and b have the same shape, as does the
// result.
//
// Backward: da += dy, db += dy.
func (t *Tape) Add(a, b *Var) *Var {
	const op = "Add"
	t.check(op, a)
	t.check(op, b)
	needSame(op, a, b)
	y := t.rawLike(a)
	bd := b.Data[:len(a.Data)]
	for i, v := range a.Data {
		y.Data[i] = v + bd[i]
	}
	t.rec2(y, a, b, addBack)
	return y
}

func addBack(t *Tape, r *record) {
	dy := r.out.Grad
	if da := t.GradOf(r.in[0]); da != nil {
		addTo(da, dy)
	}
	if db := t.GradOf(r.in[1]); db != nil {
		addTo(db, dy)
	}
}

// Sub returns a - b element-wise; a and b have the same shape, as does the
// result.
//
// Backward: da += dy, db -= dy.
func (t *Tape) Sub(a, b *Var) *Var {
	const op = "Sub"
	t.check(op, a)
	t.check(op, b)
	needSame(op, a, b)
	y := t.rawLike(a)
	bd := b.Data[:len(a.Data)]
	for i, v := range a.Data {
		y.Data[i] = v - bd[i]
	}
	t.rec2(y, a, b, subBack)
	return y
}

func subBack(t *Tape, r *record) {
	dy := r.out.Grad
	if da := t.GradOf(r.in[0]); da != nil {
		addTo(da, dy)
	}
	if db := t.GradOf(r.in[1]); db != nil {
		db = db[:len(dy)]
		for i, g := range dy {
			db[i] -= g
		}
	}
}

// Mul returns the element-wise (Hadamard) product a ⊙ b; a and b have the
// same shape, as does the result.
//
// Backward: da += dy ⊙ b, db += dy ⊙ a.
func (t *Tape) Mul(a, b *Var) *Var {
	const op = "Mul"
	t.check(op, a)
	t.check(op, b)
	needSame(op, a, b)
	y := t.rawLike(a)
	bd := b.Data[:len(a.Data)]
	for i, v := range a.Data {
		y.Data[i] = v * bd[i]
	}
	t.rec2(y, a, b, mulBack)
	return y
}

func mulBack(t *Tape, r *record) {
	a, b, dy := r.in[0], r.in[1], r.out.Grad
	if da := t.GradOf(a); da != nil {
		mulAddTo(da, dy, b.Data)
	}
	if db := t.GradOf(b); db != nil {
		mulAddTo(db, dy, a.Data)
	}
}

// mulAddTo adds p ⊙ q into dst.
func mulAddTo(dst, p, q []float32) {
	dst, q = dst[:len(p)], q[:len(p)]
	for i, v := range p {
		dst[i] += v * q[i]
	}
}

// Div returns a / b element-wise; a and b have the same shape, as does the
// result. Division by zero follows IEEE 754 (±Inf or NaN).
//
// Backward: da += dy / b, db -= dy · a / b² = dy · y / b.
func (t *Tape) Div(a, b *Var) *Var {
	const op = "Div"
	t.check(op, a)
	t.check(op, b)
	needSame(op, a, b)
	y := t.rawLike(a)
	bd := b.Data[:len(a.Data)]
	for i, v := range a.Data {
		y.Data[i] = v / bd[i]
	}
	t.rec2(y, a, b, divBack)
	return y
}

func divBack(t *Tape, r *record) {
	b, y, dy := r.in[1], r.out.Data, r.out.Grad
	bd := b.Data[:len(dy)]
	if da := t.GradOf(r.in[0]); da != nil {
		da = da[:len(dy)]
		for i, g := range dy {
			da[i] += g / bd[i]
		}
	}
	if db := t.GradOf(b); db != nil {
		db, y = db[:len(dy)], y[:len(dy)]
		for i, g := range dy {
			db[i] -= g * y[i] / bd[i]
		}
	}
}

// Scale returns s · x, any shape.
//
// Backward: dx += s · dy.
func (t *Tape) Scale(x *Var, s float32) *Var {
	const op = "Scale"
	t.check(op, x)
	y := t.rawLike(x)
	for i, v := range x.Data {
		y.Data[i] = s * v
	}
	if r := t.rec1(y, x, scaleBack); r != nil {
		r.f[0] = s
	}
	return y
}

func scaleBack(t *Tape, r *record) {
	if dx := t.GradOf(r.in[0]); dx != nil {
		s, dy := r.f[0], r.out.Grad
		dx = dx[:len(dy)]
		for i, g := range dy {
			dx[i] += s * g
		}
	}
}

// AddScalar returns x + c, any shape.
//
// Backward: dx += dy.
func (t *Tape) AddScalar(x *Var, c float32) *Var {
	const op = "AddScalar"
	t.check(op, x)
	y := t.rawLike(x)
	for i, v := range x.Data {
		y.Data[i] = v + c
	}
	t.rec1(y, x, identityBack)
	return y
}

// identityBack adds dy into dx unchanged: the backward of ops whose output
// is their input's elements moved or shifted (AddScalar, Reshape).
func identityBack(t *Tape, r *record) {
	if dx := t.GradOf(r.in[0]); dx != nil {
		addTo(dx, r.out.Grad)
	}
}

// Neg returns -x, any shape.
//
// Backward: dx -= dy.
func (t *Tape) Neg(x *Var) *Var {
	const op = "Neg"
	t.check(op, x)
	y := t.rawLike(x)
	for i, v := range x.Data {
		y.Data[i] = -v
	}
	if r := t.rec1(y, x, scaleBack); r != nil {
		r.f[0] = -1
	}
	return y
}

// Square returns x², element-wise, any shape.
//
// Backward: dx += 2 · x · dy.
func (t *Tape) Square(x *Var) *Var {
	const op = "Square"
	t.check(op, x)
	y := t.rawLike(x)
	for i, v := range x.Data {
		y.Data[i] = v * v
	}
	t.rec1(y, x, squareBack)
	return y
}

func squareBack(t *Tape, r *record) {
	if dx := t.GradOf(r.in[0]); dx != nil {
		x, dy := r.in[0].Data[:len(r.out.Grad)], r.out.Grad
		dx = dx[:len(dy)]
		for i, g := range dy {
			dx[i] += 2 * x[i] * g
		}
	}
}

// MulBias returns x ⊙ w with w [N] multiplying every row of x [..., N]:
// y[..., j] = x[..., j] · w[j]. It scales each feature by its own factor, as a
// learnable per-neuron parameter does.
//
// Backward: dx[..., j] += dy[..., j] · w[j], dw[j] += Σ over rows of
// dy[..., j] · x[..., j].
func (t *Tape) MulBias(x, w *Var) *Var {
	const op = "MulBias"
	t.check(op, x)
	t.check(op, w)
	needAtLeast1D(op, x, x, w)
	if w.ndim != 1 || w.shape[0] != x.shape[x.ndim-1] {
		panic(shapeErr(op, "w must be a vector as long as x's last dimension", x, w))
	}
	n := w.shape[0]
	y := t.rawLike(x)
	if n > 0 {
		wd := w.Data[:n]
		for off := 0; off < len(x.Data); off += n {
			xs, ys := x.Data[off:off+n], y.Data[off:off+n]
			for j, wv := range wd {
				ys[j] = xs[j] * wv
			}
		}
	}
	t.rec2(y, x, w, mulBiasBack)
	return y
}

func mulBiasBack(t *Tape, r *record) {
	x, w, dy := r.in[0], r.in[1], r.out.Grad
	n := len(w.Data)
	if n == 0 {
		return
	}
	if dx := t.GradOf(x); dx != nil {
		for off := 0; off < len(dy); off += n {
			mulAddTo(dx[off:off+n], dy[off:off+n], w.Data)
		}
	}
	if dw := t.GradOf(w); dw != nil {
		for off := 0; off < len(dy); off += n {
			mulAddTo(dw, dy[off:off+n], x.Data[off:off+n])
		}
	}
}

// Exp returns eˣ element-wise, any shape. Values above about 88.7 overflow
// float32 to +Inf.
//
// Backward: dx += dy · y.
func (t *Tape) Exp(x *Var) *Var {
	const op = "Exp"
	t.check(op, x)
	y := t.rawLike(x)
	for i, v := range x.Data {
		y.Data[i] = float32(math.Exp(float64(v)))
	}
	t.rec1(y, x, outMulBack)
	return y
}

// outMulBack is dx += dy ⊙ y, the backward of Exp.
func outMulBack(t *Tape, r *record) {
	if dx := t.GradOf(r.in[0]); dx != nil {
		mulAddTo(dx, r.out.Grad, r.out.Data)
	}
}

// Log returns the natural logarithm ln x element-wise, any shape: -Inf at 0
// and NaN below 0.
//
// Backward: dx += dy / x.
func (t *Tape) Log(x *Var) *Var {
	const op = "Log"
	t.check(op, x)
	y := t.rawLike(x)
	for i, v := range x.Data {
		y.Data[i] = float32(math.Log(float64(v)))
	}
	t.rec1(y, x, logBack)
	return y
}

func logBack(t *Tape, r *record) {
	if dx := t.GradOf(r.in[0]); dx != nil {
		x, dy := r.in[0].Data[:len(r.out.Grad)], r.out.Grad
		dx = dx[:len(dy)]
		for i, g := range dy {
			dx[i] += g / x[i]
		}
	}
}

// Tanh returns tanh x element-wise, any shape.
//
// Backward: dx += dy · (1 - y²).
func (t *Tape) Tanh(x *Var) *Var {
	const op = "Tanh"
	t.check(op, x)
	y := t.rawLike(x)
	for i, v := range x.Data {
		y.Data[i] = float32(math.Tanh(float64(v)))
	}
	t.rec1(y, x, tanhBack)
	return y
}

func tanhBack(t *Tape, r *record) {
	if dx := t.GradOf(r.in[0]); dx != nil {
		y, dy := r.out.Data[:len(r.out.Grad)], r.out.Grad
		dx = dx[:len(dy)]
		for i, g := range dy {
			dx[i] += g * (1 - y[i]*y[i])
		}
	}
}

// Sigmoid returns the logistic function σ(x) = 1 / (1 + e⁻ˣ) element-wise,
// any shape. It is evaluated as 1 / (1 + e⁻ˣ) for x ≥ 0 and as eˣ / (1 + eˣ)
// for x < 0, so that no exponential of a large positive number is taken: the
// result is exactly 0 or 1 far out, never NaN.
//
// Backward: dx += dy · y · (1 - y).
func (t *Tape) Sigmoid(x *Var) *Var {
	const op = "Sigmoid"
	t.check(op, x)
	y := t.rawLike(x)
	for i, v := range x.Data {
		y.Data[i] = sigmoid(v)
	}
	t.rec1(y, x, sigmoidBack)
	return y
}

func sigmoid(x float32) float32 {
	if x >= 0 {
		return float32(1 / (1 + math.Exp(-float64(x))))
	}
	e := math.Exp(float64(x))
	return float32(e / (1 + e))
}

func sigmoidBack(t *Tape, r *record) {
	if dx := t.GradOf(r.in[0]); dx != nil {
		y, dy := r.out.Data[:len(r.out.Grad)], r.out.Grad
		dx = dx[:len(dy)]
		for i, g := range dy {
			dx[i] += g * y[i] * (1 - y[i])
		}
	}
}

// ReLU returns max(x, 0) element-wise, any shape.
//
// Backward: dx += dy where x > 0 (the derivative at 0 is taken as 0).
func (t *Tape) ReLU(x *Var) *Var {
	const op = "ReLU"
	t.check(op, x)
	y := t.rawLike(x)
	for i, v := range x.Data {
		y.Data[i] = max(v, 0)
	}
	t.rec1(y, x, reluBack)
	return y
}

func reluBack(t *Tape, r *record) {
	if dx := t.GradOf(r.in[0]); dx != nil {
		x, dy := r.in[0].Data[:len(r.out.Grad)], r.out.Grad
		dx = dx[:len(dy)]
		for i, g := range dy {
			if x[i] > 0 {
				dx[i] += g
			}
		}
	}
}

// Abs returns |x| element-wise, any shape.
//
// Backward: dx += dy · sign(x), with sign(0) = 0.
func (t *Tape) Abs(x *Var) *Var {
	const op = "Abs"
	t.check(op, x)
	y := t.rawLike(x)
	for i, v := range x.Data {
		y.Data[i] = float32(math.Abs(float64(v)))
	}
	t.rec1(y, x, absBack)
	return y
}

func absBack(t *Tape, r *record) {
	if dx := t.GradOf(r.in[0]); dx != nil {
		x, dy := r.in[0].Data[:len(r.out.Grad)], r.out.Grad
		dx = dx[:len(dy)]
		for i, g := range dy {
			switch {
			case x[i] > 0:
				dx[i] += g
			case x[i] < 0:
				dx[i] -= g
			}
		}
	}
}

// Clamp returns min(max(x, lo), hi) element-wise, any shape. If lo > hi every
// element becomes hi (the convention of torch.clamp).
//
// Backward: dx += dy where lo ≤ x ≤ hi, nothing elsewhere.
func (t *Tape) Clamp(x *Var, lo, hi float32) *Var {
	const op = "Clamp"
	t.check(op, x)
	y := t.rawLike(x)
	for i, v := range x.Data {
		y.Data[i] = min(max(v, lo), hi)
	}
	if r := t.rec1(y, x, clampBack); r != nil {
		r.f = [2]float32{lo, hi}
	}
	return y
}

func clampBack(t *Tape, r *record) {
	if dx := t.GradOf(r.in[0]); dx != nil {
		lo, hi := r.f[0], r.f[1]
		x, dy := r.in[0].Data[:len(r.out.Grad)], r.out.Grad
		dx = dx[:len(dy)]
		for i, g := range dy {
			if lo <= x[i] && x[i] <= hi {
				dx[i] += g
			}
		}
	}
}

// Mask returns x ⊙ mask for a fixed mask of x's size (a dropout mask already
// scaled by 1/(1-p), or a 0/1 time mask). The mask is not copied: it must not
// change until the backward pass has run.
//
// Backward: dx += dy ⊙ mask.
func (t *Tape) Mask(x *Var, mask []float32) *Var {
	const op = "Mask"
	t.check(op, x)
	needLen(op, "mask", x, len(mask))
	y := t.rawLike(x)
	for i, v := range x.Data {
		y.Data[i] = v * mask[i]
	}
	if r := t.rec1(y, x, maskBack); r != nil {
		r.saved = mask
	}
	return y
}

func maskBack(t *Tape, r *record) {
	if dx := t.GradOf(r.in[0]); dx != nil {
		mulAddTo(dx, r.out.Grad, r.saved)
	}
}

// Where returns, element-wise, a where cond is non-zero and b where it is
// zero; a, b and the result have one shape and cond has as many values. cond
// is not copied: it must not change until the backward pass has run.
//
// Backward: da += dy where cond ≠ 0, db += dy where cond = 0.
func (t *Tape) Where(cond []float32, a, b *Var) *Var {
	const op = "Where"
	t.check(op, a)
	t.check(op, b)
	needSame(op, a, b)
	needLen(op, "cond", a, len(cond))
	y := t.rawLike(a)
	bd := b.Data[:len(a.Data)]
	for i, v := range a.Data {
		if cond[i] != 0 {
			y.Data[i] = v
		} else {
			y.Data[i] = bd[i]
		}
	}
	if r := t.rec2(y, a, b, whereBack); r != nil {
		r.saved = cond
	}
	return y
}

func whereBack(t *Tape, r *record) {
	cond, dy := r.saved[:len(r.out.Grad)], r.out.Grad
	if da := t.GradOf(r.in[0]); da != nil {
		da = da[:len(dy)]
		for i, g := range dy {
			if cond[i] != 0 {
				da[i] += g
			}
		}
	}
	if db := t.GradOf(r.in[1]); db != nil {
		db = db[:len(dy)]
		for i, g := range dy {
			if cond[i] == 0 {
				db[i] += g
			}
		}
	}
}
