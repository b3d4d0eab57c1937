package autograd

import "github.com/spikegrad/spikegrad/internal/kernels"

// rows2 views v as a matrix: every dimension but the last is a row.
func rows2(v *Var) (rows, cols int) {
	if v.ndim == 0 {
		return 1, 1
	}
	rows = 1
	for i := 0; i < v.ndim-1; i++ {
		rows *= v.shape[i]
	}
	return rows, v.shape[v.ndim-1]
}

// outShape returns a's shape with its last dimension replaced by n.
func outShape(buf *[MaxDims]int, a *Var, n int) []int {
	*buf = a.shape
	buf[a.ndim-1] = n
	return buf[:a.ndim]
}

func need2D(op string, v *Var, vs ...*Var) {
	if v.ndim != 2 {
		panic(shapeErr(op, "operand must be a matrix", vs...))
	}
}

func needAtLeast1D(op string, v *Var, vs ...*Var) {
	if v.ndim < 1 {
		panic(shapeErr(op, "operand must have at least one dimension", vs...))
	}
}

// MatMul returns a · b. a is [..., K] (every leading dimension is a row, so a
// sequence [T, B, K] is multiplied as one [T*B, K] matrix), b is [K, N], and
// the result is [..., N].
//
// When a is binary (Var.SetBinary: spikes) and fewer than the tape's event
// activity (SetEventActivity) of its entries are ones, the product runs
// event-driven: each output row is the sum of the rows of b of its active
// inputs, and db is accumulated from the same event lists. The result equals
// the dense product up to float32 summation order.
//
// Backward: da += dC · bᵀ, db += aᵀ · dC.
func (t *Tape) MatMul(a, b *Var) *Var {
	const op = "MatMul"
	t.check(op, a)
	t.check(op, b)
	needAtLeast1D(op, a, a, b)
	need2D(op, b, a, b)
	m, k := rows2(a)
	if b.shape[0] != k {
		panic(shapeErr(op, "inner dimensions differ", a, b))
	}
	n := b.shape[1]
	var sb [MaxDims]int
	c := t.newVar(t.mem.raw(m*n), outShape(&sb, a, n))
	ev := t.events(a, m, k)
	if ev != nil {
		kernels.SpikeMatMul(n, 1, ev, b.Data, n, 0, c.Data, n)
	} else {
		kernels.Sgemm(false, false, m, n, k, 1, a.Data, k, b.Data, n, 0, c.Data, n)
	}
	if t.wants(a, b) {
		r := t.push(c)
		r.in = [3]*Var{a, b}
		r.i = [4]int{m, n, k}
		r.fn = matMulBack
		r.aux = ev
	}
	return c
}

// events returns the event lists of a binary [m, k] operand when its activity
// is below the tape's event threshold, or nil for a dense product.
func (t *Tape) events(a *Var, m, k int) *kernels.SpikeRows {
	if !a.binary || t.maxDense <= 0 || m*k == 0 {
		return nil
	}
	if t.nspikes == len(t.spikes) {
		t.spikes = append(t.spikes, new(kernels.SpikeRows))
	}
	// The decision comes from a sample of the rows, so that a dense operand
	// costs a sixteenth of a scan, not a conversion.
	if kernels.EstimateActivity(a.Data, m, k) >= t.maxDense {
		return nil
	}
	s := t.spikes[t.nspikes]
	// Room for the events of an operand at the threshold and a quarter more
	// (the estimate samples the rows): the lists are sized by the first
	// step, not grown when the activity rises later in training.
	s.Reserve(m, k, 1.25*t.maxDense)
	s.FromDense(a.Data, m, k)
	t.nspikes++
	return s
}

func matMulBack(t *Tape, r *record) {
	a, b, dc := r.in[0], r.in[1], r.out.Grad
	m, n, k := r.i[0], r.i[1], r.i[2]
	if da, fresh := t.GradBuffer(a); da != nil {
		kernels.Sgemm(false, true, m, k, n, 1, dc, n, b.Data, n, beta(fresh), da, k)
	}
	if db, fresh := t.GradBuffer(b); db != nil {
		if ev, _ := r.aux.(*kernels.SpikeRows); ev != nil {
			kernels.SpikeTMatMul(n, 1, ev, dc, n, beta(fresh), db, n)
		} else {
			kernels.Sgemm(true, false, k, n, m, 1, a.Data, k, dc, n, beta(fresh), db, n)
		}
	}
}

// MatMulNT returns a · bᵀ. a is [..., K], b is [N, K], the result [..., N].
//
// Backward: da += dC · b, db += dCᵀ · a.
func (t *Tape) MatMulNT(a, b *Var) *Var {
	const op = "MatMulNT"
	t.check(op, a)
	t.check(op, b)
	needAtLeast1D(op, a, a, b)
	need2D(op, b, a, b)
	m, k := rows2(a)
	if b.shape[1] != k {
		panic(shapeErr(op, "a's last dimension differs from b's second", a, b))
	}
	n := b.shape[0]
	var sb [MaxDims]int
	c := t.newVar(t.mem.raw(m*n), outShape(&sb, a, n))
	kernels.Sgemm(false, true, m, n, k, 1, a.Data, k, b.Data, k, 0, c.Data, n)
	if t.wants(a, b) {
		r := t.push(c)
		r.in = [3]*Var{a, b}
		r.i = [4]int{m, n, k}
		r.fn = matMulNTBack
	}
	return c
}

func matMulNTBack(t *Tape, r *record) {
	a, b, dc := r.in[0], r.in[1], r.out.Grad
	m, n, k := r.i[0], r.i[1], r.i[2]
	if da, fresh := t.GradBuffer(a); da != nil {
		kernels.Sgemm(false, false, m, k, n, 1, dc, n, b.Data, k, beta(fresh), da, k)
	}
	if db, fresh := t.GradBuffer(b); db != nil {
		kernels.Sgemm(true, false, n, k, m, 1, dc, n, a.Data, k, beta(fresh), db, k)
	}
}

// MatMulTN returns aᵀ · b. a is [K, M], b is [K, N] (matrices), the result
// [M, N]. This is the form of a weight gradient: inputsᵀ · errors.
//
// Backward: da += b · dCᵀ, db += a · dC.
func (t *Tape) MatMulTN(a, b *Var) *Var {
	const op = "MatMulTN"
	t.check(op, a)
	t.check(op, b)
	need2D(op, a, a, b)
	need2D(op, b, a, b)
	k, m := a.shape[0], a.shape[1]
	if b.shape[0] != k {
		panic(shapeErr(op, "a and b have different numbers of rows", a, b))
	}
	n := b.shape[1]
	c := t.newVar(t.mem.raw(m*n), []int{m, n})
	kernels.Sgemm(true, false, m, n, k, 1, a.Data, m, b.Data, n, 0, c.Data, n)
	if t.wants(a, b) {
		r := t.push(c)
		r.in = [3]*Var{a, b}
		r.i = [4]int{m, n, k}
		r.fn = matMulTNBack
	}
	return c
}

func matMulTNBack(t *Tape, r *record) {
	a, b, dc := r.in[0], r.in[1], r.out.Grad
	m, n, k := r.i[0], r.i[1], r.i[2]
	if da, fresh := t.GradBuffer(a); da != nil { // [K, M] += b[K,N] · dCᵀ[N,M]
		kernels.Sgemm(false, true, k, m, n, 1, b.Data, n, dc, n, beta(fresh), da, m)
	}
	if db, fresh := t.GradBuffer(b); db != nil { // [K, N] += a[K,M] · dC[M,N]
		kernels.Sgemm(false, false, k, n, m, 1, a.Data, m, dc, n, beta(fresh), db, n)
	}
}

// MatMulTT returns aᵀ · bᵀ. a is [K, M], b is [N, K], the result [M, N].
// It is computed as (b · a)ᵀ.
//
// Backward: da += bᵀ · dCᵀ = (dC · b)ᵀ, db += dCᵀ · aᵀ = (a · dC)ᵀ.
func (t *Tape) MatMulTT(a, b *Var) *Var {
	const op = "MatMulTT"
	t.check(op, a)
	t.check(op, b)
	need2D(op, a, a, b)
	need2D(op, b, a, b)
	k, m := a.shape[0], a.shape[1]
	if b.shape[1] != k {
		panic(shapeErr(op, "a's rows differ from b's columns", a, b))
	}
	n := b.shape[0]
	tmp := t.mem.raw(n * m) // b · a, [N, M]
	kernels.Sgemm(false, false, n, m, k, 1, b.Data, k, a.Data, m, 0, tmp, m)
	c := t.newVar(t.mem.raw(m*n), []int{m, n})
	transpose2(c.Data, tmp, n, m)
	if t.wants(a, b) {
		r := t.push(c)
		r.in = [3]*Var{a, b}
		r.i = [4]int{m, n, k}
		r.fn = matMulTTBack
	}
	return c
}

func matMulTTBack(t *Tape, r *record) {
	a, b, dc := r.in[0], r.in[1], r.out.Grad
	m, n, k := r.i[0], r.i[1], r.i[2]
	if da := t.GradOf(a); da != nil { // da[K,M] += (dC[M,N] · b[N,K])ᵀ
		tmp := t.mem.raw(m * k)
		kernels.Sgemm(false, false, m, k, n, 1, dc, n, b.Data, k, 0, tmp, k)
		addTransposed(da, tmp, m, k)
	}
	if db := t.GradOf(b); db != nil { // db[N,K] += (a[K,M] · dC[M,N])ᵀ
		tmp := t.mem.raw(k * n)
		kernels.Sgemm(false, false, k, n, m, 1, a.Data, m, dc, n, 0, tmp, n)
		addTransposed(db, tmp, k, n)
	}
}

// beta is the GEMM beta that accumulates into a gradient buffer, or
// overwrites a fresh one (GradBuffer).
func beta(fresh bool) float32 {
	if fresh {
		return 0
	}
	return 1
}

// transpose2 writes the transpose of src [r, c] into dst [c, r].
func transpose2(dst, src []float32, r, c int) {
	for i := 0; i < r; i++ {
		row := src[i*c : i*c+c]
		for j, v := range row {
			dst[j*r+i] = v
		}
	}
}

// addTransposed adds the transpose of src [r, c] into dst [c, r].
func addTransposed(dst, src []float32, r, c int) {
	for i := 0; i < r; i++ {
		row := src[i*c : i*c+c]
		for j, v := range row {
			dst[j*r+i] += v
		}
	}
}

// AddBias returns x + b with b [N] added to every row of x [..., N].
//
// Backward: dx += dy, db += the sum of dy over rows.
func (t *Tape) AddBias(x, b *Var) *Var {
	const op = "AddBias"
	t.check(op, x)
	t.check(op, b)
	needAtLeast1D(op, x, x, b)
	if b.ndim != 1 || b.shape[0] != x.shape[x.ndim-1] {
		panic(shapeErr(op, "bias must be a vector as long as x's last dimension", x, b))
	}
	n := b.shape[0]
	y := t.newVar(t.mem.raw(len(x.Data)), x.Shape())
	switch bd := b.Data[:n]; {
	case n >= 16:
		// Rows of at least one AVX-512 vector (16 float32): copy x, then
		// add b to each row with the vector add (x + b either way, the
		// same bits as the loop below, which Go does not vectorize).
		copy(y.Data, x.Data)
		for off := 0; off < len(x.Data); off += n {
			kernels.Add(y.Data[off:off+n], bd)
		}
	case n > 0:
		for off := 0; off < len(x.Data); off += n {
			xs, ys := x.Data[off:off+n], y.Data[off:off+n]
			for j, bv := range bd {
				ys[j] = xs[j] + bv
			}
		}
	}
	if t.wants(x, b) {
		r := t.push(y)
		r.in = [3]*Var{x, b}
		r.fn = addBiasBack
	}
	return y
}

func addBiasBack(t *Tape, r *record) {
	x, b, dy := r.in[0], r.in[1], r.out.Grad
	if dx, fresh := t.GradBuffer(x); fresh {
		copy(dx, dy) // the first gradient to reach x: no zeroing and adding
	} else if dx != nil {
		addTo(dx, dy)
	}
	if db := t.GradOf(b); db != nil {
		n := len(db)
		if n == 0 {
			return
		}
		for off := 0; off < len(dy); off += n {
			addTo(db, dy[off:off+n])
		}
	}
}
