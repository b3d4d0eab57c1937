package layers

import (
	"fmt"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/internal/kernels"
)

// convGeom is the geometry of a 2-D convolution (a 1-D one has height 1).
type convGeom struct {
	in, out, h, w  int
	kh, kw, sh, sw int
	ph, pw, dh, dw int
	groups         int
	oh, ow         int
	kg             kernels.ConvGeom // the same geometry in package kernels' form (setOut)
}

func (g *convGeom) setOut() {
	g.oh = (g.h+2*g.ph-g.dh*(g.kh-1)-1)/g.sh + 1
	g.ow = (g.w+2*g.pw-g.dw*(g.kw-1)-1)/g.sw + 1
	g.kg = kernels.ConvGeom{In: g.in, Out: g.out, H: g.h, W: g.w, KH: g.kh, KW: g.kw, SH: g.sh, SW: g.sw,
		PH: g.ph, PW: g.pw, DH: g.dh, DW: g.dw, Groups: g.groups, OH: g.oh, OW: g.ow}
}

// k is the length of a column: the inputs of one output of one group.
func (g *convGeom) k() int { return g.in / g.groups * g.kh * g.kw }

// kernel returns the geometry in the form of package kernels, whose
// Forward, Im2col and Col2im the layer and the inference engine share. It
// is kept in g so that the kernels' parallel loops, which hold a pointer to
// it, allocate nothing.
func (g *convGeom) kernel() *kernels.ConvGeom { return &g.kg }

// conv runs the convolution over every frame of x [..., in·h·w] at once:
// per group, one SGEMM W_g [out/groups, k] · col [k, n·oh·ow]. w is
// [out, in/groups, kh, kw], b [out] or nil. The result is [..., out·oh·ow].
func (g *convGeom) conv(t *autograd.Tape, op string, x, w, b *autograd.Var) *autograd.Var {
	shape := x.Shape()
	if len(shape) < 2 || shape[len(shape)-1] != g.in*g.h*g.w {
		panic(&autograd.ShapeError{Op: op, Shapes: [][]int{append([]int(nil), shape...)},
			Msg: fmt.Sprintf("the last dimension must be in·h·w = %d·%d·%d = %d", g.in, g.h, g.w, g.in*g.h*g.w)})
	}
	n := x.Len() / (g.in * g.h * g.w)
	var buf [8]int
	oshape := append(append(buf[:0], shape[:len(shape)-1]...), g.out*g.oh*g.ow)
	y := t.NewRaw(oshape...)
	k, og, p := g.k(), g.out/g.groups, g.oh*g.ow
	var bd []float32
	if b != nil {
		bd = b.Data
	}
	kg := g.kernel()
	kg.Forward(y.Data, x.Data, w.Data, bd, n, t.ScratchRaw(k*n*p), t.ScratchRaw(og*n*p))
	bw := autograd.Pooled[convBack](t)
	*bw = convBack{g: g, n: n}
	if b != nil {
		t.Record(y, bw, x, w, b)
	} else {
		t.Record(y, bw, x, w)
	}
	return y
}

// convBack is the backward pass of conv: with dY_g the gradient of group
// gr's outputs as [out/groups, n·oh·ow], dW_g += dY_g · col_gᵀ,
// db_o += Σ dY_o, and dx += col2im(W_gᵀ · dY_g). The columns are made again
// from x rather than kept from the forward pass.
type convBack struct {
	g *convGeom
	n int
}

func (c *convBack) Backward(t *autograd.Tape, out *autograd.Var, in []*autograd.Var) {
	g, n := c.g, c.n
	x, w := in[0], in[1]
	dx, dw := t.GradOf(x), t.GradOf(w)
	var db []float32
	if len(in) > 2 {
		db = t.GradOf(in[2])
	}
	k, og, p := g.k(), g.out/g.groups, g.oh*g.ow
	np := n * p
	dy := t.ScratchRaw(og * np)
	var col []float32
	if dx != nil || dw != nil {
		col = t.ScratchRaw(k * np)
	}
	kg := g.kernel()
	for gr := range g.groups {
		kg.GroupRows(dy, out.Grad, n, gr)
		if db != nil {
			// Σ over frames and pixels in the order of the rows.
			for o := range og {
				var s float32
				for _, v := range dy[o*np:][:np] {
					s += v
				}
				db[gr*og+o] += s
			}
		}
		if dw != nil {
			kg.Im2col(col, x.Data, n, gr)
			kernels.Sgemm(false, true, og, k, np, 1, dy, np, col, np, 1, dw[gr*og*k:], k)
		}
		if dx != nil {
			kernels.Sgemm(true, false, k, np, og, 1, w.Data[gr*og*k:], k, dy, np, 0, col, np)
			kg.Col2im(dx, col, n, gr)
		}
	}
}
