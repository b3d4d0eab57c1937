package autograd

// Custom returns f applied to every element of x, y_i = f(x_i), with the
// derivative given by the caller: df(x) must be f'(x). The result has x's
// shape. f and df are called once per element; a func value that captures
// nothing costs no allocation per call. Check df with gradcheck.
//
// Backward: dx_i += dy_i · df(x_i).
//
// Custom panics with a *TapeError if f is nil, or if df is nil and x needs a
// gradient.
func (t *Tape) Custom(x *Var, f, df func(float32) float32) *Var {
	const op = "Custom"
	t.check(op, x)
	if f == nil {
		panic(&TapeError{Op: op, Msg: "nil function"})
	}
	y := t.rawLike(x)
	for i, v := range x.Data {
		y.Data[i] = f(v)
	}
	if r := t.rec1(y, x, customBack); r != nil {
		if df == nil {
			panic(&TapeError{Op: op, Msg: "nil derivative for an input that needs a gradient"})
		}
		r.aux = df
	}
	return y
}

func customBack(t *Tape, r *record) {
	if dx := t.GradOf(r.in[0]); dx != nil {
		df := r.aux.(func(float32) float32)
		x, dy := r.in[0].Data[:len(r.out.Grad)], r.out.Grad
		dx = dx[:len(dy)]
		for i, g := range dy {
			dx[i] += g * df(x[i])
		}
	}
}

// CustomOp is a user-defined element-wise op over whole buffers, for
// functions whose forward or derivative is cheaper in bulk than one element
// at a time. Tape.Apply runs it.
type CustomOp interface {
	// Forward writes the op's output for x into y (same length; y's previous
	// contents are undefined, so every element must be written).
	Forward(y, x []float32)
	// Backward adds the gradient with respect to x into dx, given the input x,
	// the output y and the output's gradient dy (all of one length). It must
	// add, not overwrite: dx may already hold gradient from other uses of x.
	Backward(dx, x, y, dy []float32)
}

// Apply returns op applied to x: a Var of x's shape whose values are written
// by op.Forward. op is kept until the backward pass, which calls op.Backward
// if x needs a gradient.
//
// Backward: op.Backward(dx, x, y, dy), which accumulates into dx.
func (t *Tape) Apply(x *Var, op CustomOp) *Var {
	const name = "Apply"
	t.check(name, x)
	if op == nil {
		panic(&TapeError{Op: name, Msg: "nil CustomOp"})
	}
	y := t.rawLike(x)
	op.Forward(y.Data, x.Data)
	if r := t.rec1(y, x, applyBack); r != nil {
		r.aux = op
	}
	return y
}

func applyBack(t *Tape, r *record) {
	if dx := t.GradOf(r.in[0]); dx != nil {
		r.aux.(CustomOp).Backward(dx, r.in[0].Data, r.out.Data, r.out.Grad)
	}
}
