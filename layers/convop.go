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
}

func (g *convGeom) setOut() {
	g.oh = (g.h+2*g.ph-g.dh*(g.kh-1)-1)/g.sh + 1
	g.ow = (g.w+2*g.pw-g.dw*(g.kw-1)-1)/g.sw + 1
}

// k is the length of a column: the inputs of one output of one group.
func (g *convGeom) k() int { return g.in / g.groups * g.kh * g.kw }

// span returns the output columns [lo, hi) whose input column
// xo·s − p + j·d lies inside [0, w), for kernel tap j along one axis: the
// others read the padding.
func span(ow, w, s, p, jd int) (lo, hi int) {
	lo, hi = 0, ow
	for lo < hi && lo*s-p+jd < 0 {
		lo++
	}
	for hi > lo && (hi-1)*s-p+jd >= w {
		hi--
	}
	return lo, hi
}

// im2col writes, for group gr, the columns of frames [f0, f1) of x
// [n, in·h·w] into col [k, n·oh·ow]: col[(c·kh + i)·kw + j, f·oh·ow + y·ow + x]
// is the input pixel that kernel tap (i, j) of channel c sees at output
// (y, x) of frame f, or 0 in the padding. Frames write disjoint parts of col.
func (g *convGeom) im2col(col, x []float32, n, gr, f0, f1 int) {
	cg, p := g.in/g.groups, g.oh*g.ow
	np := n * p
	for c := range cg {
		ch := gr*cg + c
		for i := range g.kh {
			for j := range g.kw {
				row := col[((c*g.kh+i)*g.kw+j)*np:][:np]
				lo, hi := span(g.ow, g.w, g.sw, g.pw, j*g.dw)
				off := -g.pw + j*g.dw
				for f := f0; f < f1; f++ {
					src := x[(f*g.in+ch)*g.h*g.w:][:g.h*g.w]
					dst := row[f*p:][:p]
					for y := range g.oh {
						iy := y*g.sh - g.ph + i*g.dh
						d := dst[y*g.ow:][:g.ow]
						if iy < 0 || iy >= g.h || lo >= hi {
							clear(d)
							continue
						}
						srow := src[iy*g.w:][:g.w]
						clear(d[:lo])
						clear(d[hi:])
						if g.sw == 1 {
							copy(d[lo:hi], srow[lo+off:hi+off])
							continue
						}
						for xo := lo; xo < hi; xo++ {
							d[xo] = srow[xo*g.sw+off]
						}
					}
				}
			}
		}
	}
}

// col2im adds the columns col [k, n·oh·ow] of group gr back into frames
// [f0, f1) of dx, the adjoint of im2col. Frames write disjoint parts of dx,
// and within a frame the order of the additions does not depend on f0, f1.
func (g *convGeom) col2im(dx, col []float32, n, gr, f0, f1 int) {
	cg, p := g.in/g.groups, g.oh*g.ow
	np := n * p
	for c := range cg {
		ch := gr*cg + c
		for i := range g.kh {
			for j := range g.kw {
				row := col[((c*g.kh+i)*g.kw+j)*np:][:np]
				lo, hi := span(g.ow, g.w, g.sw, g.pw, j*g.dw)
				off := -g.pw + j*g.dw
				for f := f0; f < f1; f++ {
					dst := dx[(f*g.in+ch)*g.h*g.w:][:g.h*g.w]
					src := row[f*p:][:p]
					for y := range g.oh {
						iy := y*g.sh - g.ph + i*g.dh
						if iy < 0 || iy >= g.h || lo >= hi {
							continue
						}
						drow := dst[iy*g.w:][:g.w]
						s := src[y*g.ow:][:g.ow]
						if g.sw == 1 {
							d := drow[lo+off : hi+off]
							for xo, v := range s[lo:hi] {
								d[xo] += v
							}
							continue
						}
						for xo := lo; xo < hi; xo++ {
							drow[xo*g.sw+off] += s[xo]
						}
					}
				}
			}
		}
	}
}

// convJob runs one of the frame-wise loops of a convolution in parallel
// chunks of frames (kernels.ParallelChunks): the partition depends on the
// number of frames alone and each frame's arithmetic is the same in any
// chunk, so results are bit-identical for every thread count.
type convJob struct {
	g      *convGeom
	op     int // one of the jobs below
	n, gr  int
	chunks int
	col    []float32 // [k, n·oh·ow]
	x, dx  []float32 // [n, in·h·w]
	prod   []float32 // [out/groups, n·oh·ow]
	y      []float32 // [n, out·oh·ow]
	bias   []float32 // [out] or nil
}

const (
	jobIm2col  = iota // col ← im2col(x)
	jobCol2im         // dx += col2im(col)
	jobScatter        // y[f, group's channels] ← prod + bias
	jobGather         // prod ← y[f, group's channels] (the output's gradient)
)

// convChunks is the number of chunks a frame loop is split into: enough to
// balance a few cores, few enough that each chunk has work.
func convChunks(n int) int { return min(n, 16) }

func (j *convJob) run(op, gr int) {
	j.op, j.gr = op, gr
	kernels.ParallelChunks(j.chunks, j)
}

// RunChunk does frames [i·n/chunks, (i+1)·n/chunks).
func (j *convJob) RunChunk(i int) {
	g, n := j.g, j.n
	f0, f1 := i*n/j.chunks, (i+1)*n/j.chunks
	switch j.op {
	case jobIm2col:
		g.im2col(j.col, j.x, n, j.gr, f0, f1)
	case jobCol2im:
		g.col2im(j.dx, j.col, n, j.gr, f0, f1)
	case jobScatter, jobGather:
		og, p := g.out/g.groups, g.oh*g.ow
		np := n * p
		for o := range og {
			ch := j.gr*og + o
			pr := j.prod[o*np:][:np]
			var bias float32
			if j.bias != nil {
				bias = j.bias[ch]
			}
			for f := f0; f < f1; f++ {
				yf := j.y[(f*g.out+ch)*p:][:p]
				pf := pr[f*p:][:p]
				if j.op == jobGather {
					copy(pf, yf)
					continue
				}
				for i, v := range pf {
					yf[i] = v + bias
				}
			}
		}
	}
}

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
	np := n * p
	job := autograd.Pooled[convJob](t)
	*job = convJob{g: g, n: n, chunks: convChunks(n), col: t.ScratchRaw(k * np), x: x.Data,
		prod: t.ScratchRaw(og * np), y: y.Data}
	if b != nil {
		job.bias = b.Data
	}
	for gr := range g.groups {
		job.run(jobIm2col, gr)
		kernels.Sgemm(false, false, og, np, k, 1, w.Data[gr*og*k:], k, job.col, np, 0, job.prod, np)
		job.run(jobScatter, gr)
	}
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
	job := autograd.Pooled[convJob](t)
	*job = convJob{g: g, n: n, chunks: convChunks(n), x: x.Data, dx: dx, prod: t.ScratchRaw(og * np), y: out.Grad}
	dy := job.prod
	if dx != nil || dw != nil {
		job.col = t.ScratchRaw(k * np)
	}
	for gr := range g.groups {
		job.run(jobGather, gr)
		if db != nil {
			for o := range og {
				var s float32
				for _, v := range dy[o*np:][:np] {
					s += v
				}
				db[gr*og+o] += s
			}
		}
		if dw != nil {
			job.run(jobIm2col, gr)
			kernels.Sgemm(false, true, og, k, np, 1, dy, np, job.col, np, 1, dw[gr*og*k:], k)
		}
		if dx != nil {
			kernels.Sgemm(true, false, k, np, og, 1, w.Data[gr*og*k:], k, dy, np, 0, job.col, np)
			job.run(jobCol2im, gr)
		}
	}
}
