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
// then the product of its weights [Out/Groups, K] with col.
func (g *ConvGeom) Im2col(col, x []float32, n, gr int) {
	cg, p := g.In/g.Groups, g.OH*g.OW
	np := n * p
	for c := range cg {
		ch := gr*cg + c
		for i := range g.KH {
			for j := range g.KW {
				row := col[((c*g.KH+i)*g.KW+j)*np:][:np]
				for f := range n {
					src := x[(f*g.In+ch)*g.H*g.W:][:g.H*g.W]
					dst := row[f*p:][:p]
					for y := range g.OH {
						iy := y*g.SH - g.PH + i*g.DH
						d := dst[y*g.OW:][:g.OW]
						if iy < 0 || iy >= g.H {
							clear(d)
							continue
						}
						srow := src[iy*g.W:][:g.W]
						for xo := range g.OW {
							ix := xo*g.SW - g.PW + j*g.DW
							if ix < 0 || ix >= g.W {
								d[xo] = 0
							} else {
								d[xo] = srow[ix]
							}
						}
					}
				}
			}
		}
	}
}

// Col2im adds the columns col [K, n·OH·OW] of group gr back into dx
// [n, In·H·W], the adjoint of Im2col (a convolution's input gradient).
func (g *ConvGeom) Col2im(dx, col []float32, n, gr int) {
	cg, p := g.In/g.Groups, g.OH*g.OW
	np := n * p
	for c := range cg {
		ch := gr*cg + c
		for i := range g.KH {
			for j := range g.KW {
				row := col[((c*g.KH+i)*g.KW+j)*np:][:np]
				for f := range n {
					dst := dx[(f*g.In+ch)*g.H*g.W:][:g.H*g.W]
					src := row[f*p:][:p]
					for y := range g.OH {
						iy := y*g.SH - g.PH + i*g.DH
						if iy < 0 || iy >= g.H {
							continue
						}
						drow := dst[iy*g.W:][:g.W]
						s := src[y*g.OW:][:g.OW]
						for xo := range g.OW {
							if ix := xo*g.SW - g.PW + j*g.DW; ix >= 0 && ix < g.W {
								drow[ix] += s[xo]
							}
						}
					}
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
		for o := range og {
			ch := gr*og + o
			var bias float32
			if b != nil {
				bias = b[ch]
			}
			src := prod[o*np:][:np]
			for f := range n {
				dst := y[(f*g.Out+ch)*p:][:p]
				for i, v := range src[f*p:][:p] {
					dst[i] = v + bias
				}
			}
		}
	}
}
