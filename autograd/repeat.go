package autograd

// Repeat returns x repeated n times along a new leading axis: x [d...]
// becomes [n, d...]. It turns an input that is constant over time, [B, N],
// into a sequence [T, B, N].
//
// Backward: dx += Σ_t dy[t].
func (t *Tape) Repeat(x *Var, n int) *Var {
	const op = "Repeat"
	t.check(op, x)
	if n < 0 {
		panic(shapeErr(op, "negative repeat count", x))
	}
	if x.ndim >= MaxDims {
		panic(shapeErr(op, "too many dimensions to add one", x))
	}
	var sb [MaxDims]int
	sb[0] = n
	copy(sb[1:], x.Shape())
	m := len(x.Data)
	y := t.newVar(t.mem.raw(n*m), sb[:x.ndim+1])
	for i := 0; i < n; i++ {
		copy(y.Data[i*m:(i+1)*m], x.Data)
	}
	if t.wants(x) {
		r := t.push(y)
		r.in[0] = x
		r.i[0] = n
		r.fn = repeatBack
	}
	return y
}

func repeatBack(t *Tape, r *record) {
	dx, fresh := t.GradBuffer(r.in[0])
	m, i := len(dx), 0
	if fresh {
		if r.i[0] == 0 {
			clear(dx)
			return
		}
		copy(dx, r.out.Grad[:m])
		i = 1
	}
	for ; i < r.i[0]; i++ {
		addTo(dx, r.out.Grad[i*m:(i+1)*m])
	}
}
