package kernels

// ConvGeom is the geometry of a 2-D convolution over images stored
// channel-major (feature c·H·W + y·W + x, PyTorch's NCHW image flattened);
// a 1-D convolution is one of height 1. Strides and dilations are >= 1,
// paddings >= 0, Groups divides In and Out, and OH, OW are PyTorch's
// output size, ⌊(H + 2·PH − DH·(KH − 1) − 1) / SH⌋ + 1 and likewise OW.
type ConvGeom struct {
	In, Out, H, W  int
	KH, KW, SH, SW int
	PH, PW, DH, DW int
	Groups         int
	OH, OW         int
}

// K is the length of a column: the inputs of one output of one group,
// In/Groups·KH·KW.
func (g *ConvGeom) K() int { return g.In / g.Groups * g.KH * g.KW }

// Im2col writes, for group gr, the columns of all n frames of x [n, In·H·W]
// into col [K, n·OH·OW]: col[(c·KH + i)·KW + j, f·OH·OW + y·OW + x] is the
// input pixel that kernel tap (i, j) of the group's channel c sees at
// output (y, x) of frame f, or 0 in the padding. A group's convolution is
// then the product of its weights [Out/Groups, K] with col. The frames run
// in parallel (convJob).
func (g *ConvGeom) Im2col(col, x []float32, n, gr int) {
	g.parallel(convIm2col, n, gr, col, x, nil)
}

// Col2im adds the columns col [K, n·OH·OW] of group gr back into dx
// [n, In·H·W], the adjoint of Im2col (a convolution's input gradient). The
// frames run in parallel (convJob).
func (g *ConvGeom) Col2im(dx, col []float32, n, gr int) {
	g.parallel(convCol2im, n, gr, col, dx, nil)
}

// GroupRows copies group gr's channels of y [n, Out·OH·OW] into rows
// [Out/Groups, n·OH·OW], the layout of Forward's product: the gradient of a
// convolution's output as the left operand of its backward products. The
// frames run in parallel (convJob).
func (g *ConvGeom) GroupRows(rows, y []float32, n, gr int) {
	g.parallel(convGather, n, gr, rows, y, nil)
}

// span returns the output columns [lo, hi) whose input column
// xo·s − p + jd lies inside [0, w), for kernel tap j (jd = j·dilation)
// along one axis: the others read the padding.
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

// im2col is Im2col for frames [f0, f1), which write disjoint parts of col.
func (g *ConvGeom) im2col(col, x []float32, n, gr, f0, f1 int) {
	cg, p := g.In/g.Groups, g.OH*g.OW
	np := n * p
	for c := range cg {
		ch := gr*cg + c
		for i := range g.KH {
			for j := range g.KW {
				row := col[((c*g.KH+i)*g.KW+j)*np:][:np]
				lo, hi := span(g.OW, g.W, g.SW, g.PW, j*g.DW)
				off := -g.PW + j*g.DW
				for f := f0; f < f1; f++ {
					src := x[(f*g.In+ch)*g.H*g.W:][:g.H*g.W]
					dst := row[f*p:][:p]
					for y := range g.OH {
						iy := y*g.SH - g.PH + i*g.DH
						d := dst[y*g.OW:][:g.OW]
						if iy < 0 || iy >= g.H || lo >= hi {
							clear(d)
							continue
						}
						srow := src[iy*g.W:][:g.W]
						clear(d[:lo])
						clear(d[hi:])
						if g.SW == 1 {
							copy(d[lo:hi], srow[lo+off:hi+off])
							continue
						}
						for xo := lo; xo < hi; xo++ {
							d[xo] = srow[xo*g.SW+off]
						}
					}
				}
			}
		}
	}
}

// col2im is Col2im for frames [f0, f1), which write disjoint parts of dx;
// within a frame the order of the additions does not depend on f0, f1.
func (g *ConvGeom) col2im(dx, col []float32, n, gr, f0, f1 int) {
	cg, p := g.In/g.Groups, g.OH*g.OW
	np := n * p
	for c := range cg {
		ch := gr*cg + c
		for i := range g.KH {
			for j := range g.KW {
				row := col[((c*g.KH+i)*g.KW+j)*np:][:np]
				lo, hi := span(g.OW, g.W, g.SW, g.PW, j*g.DW)
				off := -g.PW + j*g.DW
				for f := f0; f < f1; f++ {
					dst := dx[(f*g.In+ch)*g.H*g.W:][:g.H*g.W]
					src := row[f*p:][:p]
					for y := range g.OH {
						iy := y*g.SH - g.PH + i*g.DH
						if iy < 0 || iy >= g.H || lo >= hi {
							continue
						}
						drow := dst[iy*g.W:][:g.W]
						s := src[y*g.OW:][:g.OW]
						if g.SW == 1 {
							d := drow[lo+off : hi+off]
							for xo, v := range s[lo:hi] {
								d[xo] += v
							}
							continue
						}
						for xo := lo; xo < hi; xo++ {
							drow[xo*g.SW+off] += s[xo]
						}
					}
				}
			}
		}
	}
}

// convJob runs one of a convolution's frame-wise loops over chunks of
// frames. The partition depends on the number of frames alone and a frame's
// arithmetic is the same in any chunk, so the results are bit-identical for
// every thread count.
type convJob struct {
	g      *ConvGeom
	op     int // convIm2col, ...
	n, gr  int
	chunks int
	a, b   []float32 // im2col: col, x; col2im: col, dx; gather: rows, y; scatter: prod, y
	bias   []float32 // scatter: [Out] or nil
}

const (
	convIm2col  = iota // a = col ← im2col(b = x)
	convCol2im         // b = dx += col2im(a = col)
	convGather         // a = rows ← group's channels of b = y
	convScatter        // b = y's group channels ← a = prod + bias
)

var convJobs freeList[convJob]

// parallel runs loop op of group gr over the n frames in chunks: enough
// to balance a few cores, few enough that each chunk has work.
func (g *ConvGeom) parallel(op, n, gr int, a, b, bias []float32) {
	j := convJobs.get()
	*j = convJob{g: g, op: op, n: n, gr: gr, chunks: min(n, 16), a: a, b: b, bias: bias}
	if j.chunks > 0 {
		runChunks(j.chunks, j)
	}
	*j = convJob{}
	convJobs.put(j)
}

func (j *convJob) runChunk(i int) {
	g, n := j.g, j.n
	f0, f1 := i*n/j.chunks, (i+1)*n/j.chunks
	switch j.op {
	case convIm2col:
		g.im2col(j.a, j.b, n, j.gr, f0, f1)
	case convCol2im:
		g.col2im(j.b, j.a, n, j.gr, f0, f1)
	default:
		og, p := g.Out/g.Groups, g.OH*g.OW
		np := n * p
		for o := range og {
			ch := j.gr*og + o
			rows := j.a[o*np:][:np]
			var bias float32
			if j.bias != nil {
				bias = j.bias[ch]
			}
			for f := f0; f < f1; f++ {
				yf := j.b[(f*g.Out+ch)*p:][:p]
				rf := rows[f*p:][:p]
				if j.op == convGather {
					copy(rf, yf)
					continue
				}
				for i, v := range rf {
					yf[i] = v + bias
				}
			}
		}
	}
}

// SgemmKBlock returns the length of the blocks into which the pure-Go
// Sgemm cuts a sum over k terms: each output element is the sum of its
// blocks' partial sums, each block summed from zero in ascending order and
// added to the running result in block order. A caller that adds the same
// products in the same blocks in the same order (an event-driven sum of
// binary inputs) gets the same bits as Sgemm's tile kernels. Builds with
// the openblas tag sum in OpenBLAS's order, which this does not describe.
func SgemmKBlock(k int) int {
	if k <= 0 {
		return 1
	}
	nkb := (k + gemmKC - 1) / gemmKC
	return (k + nkb - 1) / nkb
}

// Forward convolves the n frames of x [n, In·H·W] into y [n, Out·OH·OW]:
// per group, im2col and one SGEMM W_g [Out/Groups, K] · col [K, n·OH·OW],
// then y = product + b[o] (b nil: + 0). w is [Out, In/Groups, KH, KW]
// (PyTorch's layout); col [K·n·OH·OW] and prod [Out/Groups·n·OH·OW] are
// scratch.
func (g *ConvGeom) Forward(y, x, w, b []float32, n int, col, prod []float32) {
	k, og, p := g.K(), g.Out/g.Groups, g.OH*g.OW
	np := n * p
	for gr := range g.Groups {
		g.Im2col(col, x, n, gr)
		Sgemm(false, false, og, np, k, 1, w[gr*og*k:], k, col, np, 0, prod, np)
		g.parallel(convScatter, n, gr, prod, y, b)
	}
}
