package infer

import (
	"math"

	"github.com/spikegrad/spikegrad/internal/kernels"
	"github.com/spikegrad/spikegrad/model"
)

// convLayer is a conv2d or conv1d layer of an Engine (a conv1d is a conv2d
// of height 1).
type convLayer struct {
	g    kernels.ConvGeom
	w, b []float32 // [Out, In/Groups·KH·KW] as stored; [Out] or nil
	// wt is w per group transposed to [K, Out/Groups], so that the weights
	// an input spike adds at one kernel tap are contiguous.
	wt []float32
	// kb is the block length of Sgemm's K sum (kernels.SgemmKBlock), nkb
	// the number of blocks: the event-driven sum adds the same blocks.
	kb, nkb int
	// taps[y·W + x] is the number of kernel taps through which an input
	// at (y, x) reaches an output: its spike adds taps·Out/Groups weights.
	taps []int32
}

func newConv(g kernels.ConvGeom, w, b []float32) *convLayer {
	k, og := g.K(), g.Out/g.Groups
	c := &convLayer{g: g, w: w, b: b, wt: make([]float32, len(w)), kb: kernels.SgemmKBlock(k)}
	c.nkb = (k + c.kb - 1) / c.kb
	// An input reaches an output through tap (u, v) when row u reaches an
	// output row and column v an output column: taps = rows(y)·cols(x).
	reach := func(y, k, p, d, s, out int) (n int32) {
		for u := range k {
			if iy := y + p - u*d; iy >= 0 && iy%s == 0 && iy/s < out {
				n++
			}
		}
		return n
	}
	c.taps = make([]int32, g.H*g.W)
	for y := range g.H {
		for x := range g.W {
			c.taps[y*g.W+x] = reach(y, g.KH, g.PH, g.DH, g.SH, g.OH) * reach(x, g.KW, g.PW, g.DW, g.SW, g.OW)
		}
	}
	for gr := range g.Groups {
		for o := range og {
			for kk := range k {
				c.wt[(gr*k+kk)*og+o] = w[(gr*og+o)*k+kk]
			}
		}
	}
	return c
}

func conv2dGeom(c *model.Conv2d) kernels.ConvGeom {
	oh, ow := c.OutSize()
	return kernels.ConvGeom{In: c.In, Out: c.Out, H: c.H, W: c.W, KH: c.Kernel[0], KW: c.Kernel[1],
		SH: c.Stride[0], SW: c.Stride[1], PH: c.Padding[0], PW: c.Padding[1], DH: c.Dilation[0], DW: c.Dilation[1],
		Groups: c.Groups, OH: oh, OW: ow}
}

func conv1dGeom(c *model.Conv1d) kernels.ConvGeom {
	return kernels.ConvGeom{In: c.In, Out: c.Out, H: 1, W: c.L, KH: 1, KW: c.Kernel, SH: 1, SW: c.Stride,
		PW: c.Padding, DH: 1, DW: c.Dilation, Groups: c.Groups, OH: 1, OW: c.OutSize()}
}

// synOps returns the synaptic operations of the events ev: per spike, its
// taps times the output channels of its group.
func (c *convLayer) synOps(ev *kernels.SpikeRows) int {
	ops, hw := 0, c.g.H*c.g.W
	for _, f := range ev.Idx[:ev.NNZ()] {
		ops += int(c.taps[int(f)%hw])
	}
	return ops * (c.g.Out / c.g.Groups)
}

// dense returns the products of a dense forward of one sample at one step.
func (c *convLayer) dense() int { return c.g.Out * c.g.OH * c.g.OW * c.g.K() }

// scratch returns the floats of scratch a batch of b samples needs: the
// event-driven sum's block accumulators, or the dense path's columns and
// product, whichever is larger.
func (c *convLayer) scratch(b int) int {
	p := b * c.g.OH * c.g.OW
	return max(c.nkb*p*c.g.Out, c.g.K()*p+c.g.Out/c.g.Groups*p)
}

// events runs the layer on the binary input listed in ev (B rows of
// In·H·W) into out [B, Out·OH·OW] and returns the synaptic operations: each
// input spike at (c, y, x) adds, at every kernel tap (u, v) whose output
// (i, j) lies in the output, the weights W[o, c, u, v] of the output
// channels o of c's group to those outputs. The spikes are taken in
// ascending (c, y, x), which is ascending (c, u, v) for any one output: the
// order in which Sgemm's tile kernels sum a column of the training side's
// im2col, whose zeros add nothing. Sums over K > kernels.SgemmKBlock are
// kept per block and added in block order as Sgemm adds them, so the
// result has the training forward's bits. acc is scratch (scratch).
func (c *convLayer) events(out []float32, ev *kernels.SpikeRows, B int, acc []float32) int {
	g := &c.g
	cg, og, K, P, HW := g.In/g.Groups, g.Out/g.Groups, g.K(), g.OH*g.OW, g.H*g.W
	if c.nkb == 1 {
		return c.eventsNCHW(out, ev, B)
	}
	acc = acc[:c.nkb*B*P*g.Out] // [block, b, i, j, o]: channels last
	clear(acc)
	ops := 0
	for b := range B {
		for _, f := range ev.Idx[ev.Ptr[b]:ev.Ptr[b+1]] {
			ch, yx := int(f)/HW, int(f)%HW
			y, x := yx/g.W, yx%g.W
			gr, cl := ch/cg, ch%cg
			for u := range g.KH {
				iy := y + g.PH - u*g.DH
				if iy < 0 || iy%g.SH != 0 || iy/g.SH >= g.OH {
					continue
				}
				for v := range g.KW {
					ix := x + g.PW - v*g.DW
					if ix < 0 || ix%g.SW != 0 || ix/g.SW >= g.OW {
						continue
					}
					k := (cl*g.KH+u)*g.KW + v
					dst := acc[(((k/c.kb)*B+b)*P+iy/g.SH*g.OW+ix/g.SW)*g.Out+gr*og:][:og]
					src := c.wt[(gr*K+k)*og:][:og]
					if og < 16 {
						for o, w := range src {
							dst[o] += w
						}
					} else {
						kernels.Add(dst, src)
					}
				}
			}
			ops += int(c.taps[yx]) * og
		}
	}
	for b := range B {
		for p := range P {
			for o := range g.Out {
				s := acc[(b*P+p)*g.Out+o]
				for blk := 1; blk < c.nkb; blk++ {
					s = acc[((blk*B+b)*P+p)*g.Out+o] + s
				}
				var bias float32
				if c.b != nil {
					bias = c.b[o]
				}
				out[(b*g.Out+o)*P+p] = s + bias
			}
		}
	}
	return ops
}

// eventsNCHW is events for a sum of one K block: the weights are added
// straight into out [B, Out, OH, OW] (the same additions in the same order
// per output), and the bias after, as out + b.
func (c *convLayer) eventsNCHW(out []float32, ev *kernels.SpikeRows, B int) int {
	g := &c.g
	cg, og, K, P, HW := g.In/g.Groups, g.Out/g.Groups, g.K(), g.OH*g.OW, g.H*g.W
	out = out[:B*g.Out*P]
	clear(out)
	ops := 0
	for b := range B {
		for _, f := range ev.Idx[ev.Ptr[b]:ev.Ptr[b+1]] {
			ch, yx := int(f)/HW, int(f)%HW
			y, x := yx/g.W, yx%g.W
			gr, cl := ch/cg, ch%cg
			base := out[(b*g.Out+gr*og)*P:][:og*P]
			for u := range g.KH {
				iy := y + g.PH - u*g.DH
				if iy < 0 || iy%g.SH != 0 || iy/g.SH >= g.OH {
					continue
				}
				for v := range g.KW {
					ix := x + g.PW - v*g.DW
					if ix < 0 || ix%g.SW != 0 || ix/g.SW >= g.OW {
						continue
					}
					k := (cl*g.KH+u)*g.KW + v
					pos := iy/g.SH*g.OW + ix/g.SW
					for o, w := range c.wt[(gr*K+k)*og:][:og] {
						base[o*P+pos] += w
					}
				}
			}
			ops += int(c.taps[yx]) * og
		}
	}
	if c.b != nil {
		for b := range B {
			for o, bias := range c.b {
				row := out[(b*g.Out+o)*P:][:P]
				for i := range row {
					row[i] += bias
				}
			}
		}
	}
	return ops
}

// denseRun runs the layer densely on x [B, In·H·W]: the training side's
// im2col and SGEMM (kernels.ConvGeom.Forward).
func (c *convLayer) denseRun(out, x []float32, B int, scratch []float32) {
	p := B * c.g.OH * c.g.OW
	col := scratch[:c.g.K()*p]
	c.g.Forward(out, x, c.w, c.b, B, col, scratch[len(col):][:c.g.Out/c.g.Groups*p])
}

// poolLayer is a maxpool2d, avgpool2d or sumpool2d layer of an Engine.
type poolLayer struct {
	s      model.Pool2d
	oh, ow int
}

// run pools x [B·C planes of H×W] into out, as layers' pools compute it:
// the maximum, the first in row-major window order on ties; or the float32
// sum in row-major window order, times 1/(kH·kW) for the average.
func (p *poolLayer) run(out, x []float32, B int) {
	s := p.s
	scale := float32(1)
	if s.Op == model.KindAvgPool2d {
		scale = 1 / float32(s.Kernel[0]*s.Kernel[1])
	}
	max := s.Op == model.KindMaxPool2d
	for pl := range B * s.C {
		src := x[pl*s.H*s.W:][:s.H*s.W]
		for oy := range p.oh {
			for ox := range p.ow {
				y0, x0 := oy*s.Stride[0]-s.Padding[0], ox*s.Stride[1]-s.Padding[1]
				var acc float32
				if max {
					acc = float32(math.Inf(-1)) // a window wholly in the padding, as layers' pools
				}
				first := true
				for i := range s.Kernel[0] {
					if y := y0 + i; y >= 0 && y < s.H {
						for j := range s.Kernel[1] {
							if xx := x0 + j; xx >= 0 && xx < s.W {
								v := src[y*s.W+xx]
								switch {
								case !max:
									acc += v
								case first || v > acc:
									acc = v
								}
								first = false
							}
						}
					}
				}
				if !max {
					acc *= scale
				}
				out[(pl*p.oh+oy)*p.ow+ox] = acc
			}
		}
	}
}
