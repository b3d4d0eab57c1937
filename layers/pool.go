package layers

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/internal/kernels"
	"github.com/spikegrad/spikegrad/model"
)

// Pool2dConfig configures a pooling layer. Stride [height, width] defaults
// (zero) to the kernel, as in PyTorch; Padding defaults to none.
type Pool2dConfig struct {
	Stride, Padding [2]int
}

// pool2d is the computation shared by MaxPool2d, AvgPool2d and SumPool2d.
// Like Conv2d, they read the feature axis of [..., C·H·W] channel-major and
// write [..., C·OH·OW], every frame at once, with PyTorch's output size
// (torch.nn.MaxPool2d, ceil_mode=False):
//
//	OH = ⌊(H + 2·pH − kH) / sH⌋ + 1, and likewise OW.
type pool2d struct {
	name string
	s    model.Pool2d
	oh   int
	ow   int
}

func newPool2d(name, kind string, c, h, w int, kernel [2]int, cf Pool2dConfig) (pool2d, error) {
	st := cf.Stride
	for a := range st {
		if st[a] == 0 {
			st[a] = kernel[a]
		}
	}
	return poolFrom(name, model.Pool2d{Op: kind, C: c, H: h, W: w, Kernel: kernel, Stride: st, Padding: cf.Padding})
}

func poolFrom(name string, s model.Pool2d) (pool2d, error) {
	if err := check(name, s); err != nil {
		return pool2d{}, err
	}
	oh, ow := s.OutSize()
	return pool2d{name: name, s: s, oh: oh, ow: ow}, nil
}

func (p *pool2d) Name() string              { return p.name }
func (p *pool2d) Params() []*autograd.Param { return nil }
func (p *pool2d) Spec() model.Layer         { return model.NewLayer(p.name, p.s) }
func (p *pool2d) OutSize() (oh, ow int)     { return p.oh, p.ow }
func (p *pool2d) window(y, x int) (int, int) {
	return y*p.s.Stride[0] - p.s.Padding[0], x*p.s.Stride[1] - p.s.Padding[1]
}

// run pools x; for a max pool it also returns, per output, the input index
// of the maximum.
func (p *pool2d) run(t *autograd.Tape, x *autograd.Var) (*autograd.Var, []int32) {
	s := p.s
	shape := x.Shape()
	if len(shape) < 2 || shape[len(shape)-1] != s.C*s.H*s.W {
		panic(&autograd.ShapeError{Op: s.Op, Shapes: [][]int{append([]int(nil), shape...)},
			Msg: fmt.Sprintf("the last dimension must be c·h·w = %d·%d·%d = %d", s.C, s.H, s.W, s.C*s.H*s.W)})
	}
	planes := x.Len() / (s.H * s.W)
	var buf [8]int
	oshape := append(append(buf[:0], shape[:len(shape)-1]...), s.C*p.oh*p.ow)
	y := t.NewRaw(oshape...)
	bw := autograd.Pooled[poolBack](t)
	var arg []int32
	if s.Op == model.KindMaxPool2d {
		arg = bw.arg[:0]
		if cap(arg) < len(y.Data) {
			arg = make([]int32, len(y.Data))
		}
		arg = arg[:len(y.Data)]
	}
	scale := float32(1)
	if s.Op == model.KindAvgPool2d {
		scale = 1 / float32(s.Kernel[0]*s.Kernel[1])
	}
	*bw = poolBack{p: p, arg: arg, scale: scale, planes: planes, x: x.Data, y: y.Data}
	bw.chunks = min(planes, 64)
	kernels.ParallelChunks(bw.chunks, bw)
	bw.x, bw.y = nil, nil
	t.Record(y, bw, x)
	return y, arg
}

// RunChunk pools (forward, while x is set) or passes the gradient back
// (backward, while dx is set) for planes [i·planes/chunks,
// (i+1)·planes/chunks). Each plane's outputs read and write only that
// plane, in the same order in any chunk, so the results do not depend on the
// thread count.
func (b *poolBack) RunChunk(i int) {
	p0, p1 := i*b.planes/b.chunks, (i+1)*b.planes/b.chunks
	if b.x != nil {
		b.p.forward(b.y, b.x, b.arg, b.scale, p0, p1)
	} else {
		b.p.backward(b.dx, b.dy, b.arg, b.scale, p0, p1)
	}
}

// forward pools planes [p0, p1) of x into y; a max pool also writes, per
// output, the input index of its maximum into arg.
func (p *pool2d) forward(y, x []float32, arg []int32, scale float32, p0, p1 int) {
	s := p.s
	hw := s.H * s.W
	if arg != nil && s.Kernel == [2]int{2, 2} && s.Stride == [2]int{2, 2} && s.Padding == [2]int{} {
		// The common 2×2 max pool: the four taps without window bounds.
		for pl := p0; pl < p1; pl++ {
			src := x[pl*hw:][:hw]
			for oy := range p.oh {
				r0 := src[2*oy*s.W:][:s.W]
				r1 := src[(2*oy+1)*s.W:][:s.W]
				o := (pl*p.oh + oy) * p.ow
				yo, ao := y[o:][:p.ow], arg[o:][:p.ow]
				base := int32(pl*hw + 2*oy*s.W)
				for ox := range yo {
					// The first maximum in row-major window order wins a tie.
					best, bi := r0[2*ox], int32(2*ox)
					if v := r0[2*ox+1]; v > best {
						best, bi = v, int32(2*ox+1)
					}
					if v := r1[2*ox]; v > best {
						best, bi = v, int32(s.W+2*ox)
					}
					if v := r1[2*ox+1]; v > best {
						best, bi = v, int32(s.W+2*ox+1)
					}
					yo[ox], ao[ox] = best, base+bi
				}
			}
		}
		return
	}
	for pl := p0; pl < p1; pl++ {
		src := x[pl*hw:][:hw]
		for oy := range p.oh {
			for ox := range p.ow {
				y0, x0 := p.window(oy, ox)
				o := (pl*p.oh+oy)*p.ow + ox
				if arg != nil {
					best, bi := float32(math.Inf(-1)), -1
					for i := max(y0, 0); i < min(y0+s.Kernel[0], s.H); i++ {
						for j := max(x0, 0); j < min(x0+s.Kernel[1], s.W); j++ {
							// The first maximum in row-major window order wins a tie.
							if v := src[i*s.W+j]; v > best || bi < 0 {
								best, bi = v, i*s.W+j
							}
						}
					}
					y[o], arg[o] = best, int32(pl*hw+bi)
					continue
				}
				var sum float32
				for i := max(y0, 0); i < min(y0+s.Kernel[0], s.H); i++ {
					for j := max(x0, 0); j < min(x0+s.Kernel[1], s.W); j++ {
						sum += src[i*s.W+j]
					}
				}
				y[o] = sum * scale
			}
		}
	}
}

// backward adds the gradient dy of planes [p0, p1) into dx: a max pool
// passes each output's gradient to its maximum; a sum or average pool to
// every input of the window, times 1/(kH·kW) for the average.
func (p *pool2d) backward(dx, dy []float32, arg []int32, scale float32, p0, p1 int) {
	s := p.s
	po := p.oh * p.ow
	if arg != nil {
		for o := p0 * po; o < p1*po; o++ {
			dx[arg[o]] += dy[o]
		}
		return
	}
	for pl := p0; pl < p1; pl++ {
		d := dx[pl*s.H*s.W:][:s.H*s.W]
		for oy := range p.oh {
			for ox := range p.ow {
				g := dy[(pl*p.oh+oy)*p.ow+ox] * scale
				y0, x0 := p.window(oy, ox)
				for i := max(y0, 0); i < min(y0+s.Kernel[0], s.H); i++ {
					for j := max(x0, 0); j < min(x0+s.Kernel[1], s.W); j++ {
						d[i*s.W+j] += g
					}
				}
			}
		}
	}
}

type poolBack struct {
	p      *pool2d
	arg    []int32 // max pool: per output, the input index of its maximum; kept for reuse
	scale  float32
	planes int // C times the number of frames
	chunks int
	x, y   []float32 // set during the forward pass
	dx, dy []float32 // set during the backward pass
}

// Backward: a max pool passes each output's gradient to its maximum; a sum
// or average pool to every input of the window, times 1/(kH·kW) for the
// average.
func (b *poolBack) Backward(t *autograd.Tape, out *autograd.Var, in []*autograd.Var) {
	dx := t.GradOf(in[0])
	if dx == nil {
		return
	}
	b.dx, b.dy = dx, out.Grad
	kernels.ParallelChunks(b.chunks, b)
	b.dx, b.dy = nil, nil
}

func init() {
	for _, k := range []string{model.KindMaxPool2d, model.KindAvgPool2d, model.KindSumPool2d} {
		register(k, func(name string, p model.Payload, _ *rand.Rand) (Layer, error) {
			pl, err := poolFrom(name, *p.(*model.Pool2d))
			if err != nil {
				return nil, err
			}
			switch k {
			case model.KindMaxPool2d:
				return &MaxPool2d{pl}, nil
			case model.KindAvgPool2d:
				return &AvgPool2d{pl}, nil
			}
			return &SumPool2d{pl}, nil
		})
	}
}
