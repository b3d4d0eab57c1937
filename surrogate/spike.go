package surrogate

import (
	"fmt"
	"math"

	"github.com/spikegrad/spikegrad/autograd"
)

// Spike returns the spikes of the membrane potentials v at threshold, element
// by element:
//
//	out[i] = 1 if v[i] > threshold, else 0   (H(v - threshold) with H(0) = 0)
//
// out has v's shape (any, typically [T, B, N]) and holds exact 0s and 1s; it
// is marked binary (autograd.Var.SetBinary), so products with it may run
// event-driven.
//
// Backward: dv[i] += f.Grad(v[i] - threshold) · dout[i].
//
// It panics with a *ParamError if f is nil, if threshold is NaN or infinite,
// or if f has a bad hyperparameter, and with a *autograd.TapeError if v
// belongs to another tape. The record's backward value comes from the tape's
// pool (autograd.Pooled) and everything else from its arena, so once the
// tape has seen a step the call allocates nothing.
func Spike(t *autograd.Tape, v *autograd.Var, threshold float32, f Func) *autograd.Var {
	const op = "Spike"
	checkSpikeArgs(op, t, v, threshold, f)
	out := t.New(v.Shape()...)
	step(out.Data, v.Data, threshold)
	if t.GradEnabled() && v.RequiresGrad() {
		recordSpike(t, out, v, threshold, f)
	}
	out.SetBinary()
	return out
}

// recordSpike records the backward of Spike or SmoothSpike, taken from the
// tape's pool.
func recordSpike(t *autograd.Tape, out, v *autograd.Var, threshold float32, f Func) {
	b := autograd.Pooled[spikeBackward](t)
	*b = spikeBackward{f: f, thr: threshold}
	t.Record(out, b, v)
}

// one is the bit pattern of float32(1).
const one = 0x3f800000

// step sets o[i] = 1 if v[i] > thr, else 0. The select on bit patterns
// compiles to a conditional move: with spikes and silence mixed, a branch
// would be mispredicted often (measured 4 times slower on random input).
func step(o, v []float32, thr float32) {
	o = o[:len(v)]
	for i, x := range v {
		var b uint32
		if x > thr {
			b = one
		}
		o[i] = math.Float32frombits(b)
	}
}

// SmoothSpike is Spike with the step replaced by the surrogate's smooth
// function: out[i] = f.Smooth(v[i] - threshold), with the same backward,
// dv[i] += f.Grad(v[i] - threshold) · dout[i]. Its forward and backward
// agree, so a network run with SmoothSpike in place of Spike can be checked
// end to end with central differences (autograd/gradcheck), through leak,
// reset and recurrence; Spike's backward is then the same computation.
// It panics like Spike.
func SmoothSpike(t *autograd.Tape, v *autograd.Var, threshold float32, f Func) *autograd.Var {
	const op = "SmoothSpike"
	checkSpikeArgs(op, t, v, threshold, f)
	out := t.New(v.Shape()...)
	o := out.Data[:len(v.Data)]
	for i, x := range v.Data {
		o[i] = f.Smooth(x - threshold)
	}
	if t.GradEnabled() && v.RequiresGrad() {
		recordSpike(t, out, v, threshold, f)
	}
	return out
}

func checkSpikeArgs(op string, t *autograd.Tape, v *autograd.Var, threshold float32, f Func) {
	if v == nil {
		panic(&autograd.TapeError{Op: "surrogate." + op, Msg: "nil Var"})
	}
	if v.Tape() != t {
		panic(&autograd.TapeError{Op: "surrogate." + op, Msg: fmt.Sprintf("%v belongs to another tape", v)})
	}
	if f == nil {
		panic(&ParamError{Op: op, Name: "Func", Msg: "is nil"})
	}
	if math.IsNaN(float64(threshold)) || math.IsInf(float64(threshold), 0) {
		panic(&ParamError{Op: op, Name: "threshold", Value: threshold,
			Msg: fmt.Sprintf("= %v: must be finite", threshold)})
	}
	f.Grad(0) // a bad hyperparameter panics here, at the call, not in the backward pass
}

// spikeBackward is the backward of Spike and SmoothSpike.
type spikeBackward struct {
	f   Func
	thr float32
}

func (b *spikeBackward) Backward(t *autograd.Tape, out *autograd.Var, in []*autograd.Var) {
	v := in[0]
	if dv := t.GradOf(v); dv != nil {
		gradLoop(b.f, dv, v.Data, b.thr, out.Grad)
	}
}

// SpikeFrom is Spike with a threshold that is itself a Var, so that it can be
// learned. v is [..., N]; threshold is either a vector [N] (one threshold per
// feature, the last dimension of v) or a single element shared by all:
//
//	out[r, j] = 1 if v[r, j] > thr[j], else 0
//
// Backward, with g = f.Grad(v[r, j] - thr[j]) · dout[r, j]:
//
//	dv[r, j] += g
//	dthr[j]  -= Σ_r g            (summed over every row r of v)
//
// For a single shared threshold the sum runs over all elements and is
// accumulated in float64; per feature it is accumulated row by row in
// float32, into dthr itself. It panics with a *autograd.ShapeError for other
// threshold shapes, with a *ParamError if f is nil or a threshold is NaN or
// infinite, and with a *autograd.TapeError for Vars of another tape. Like
// Spike, it allocates nothing once the tape has seen a step.
func SpikeFrom(t *autograd.Tape, v, threshold *autograd.Var, f Func) *autograd.Var {
	const op = "SpikeFrom"
	if threshold == nil {
		panic(&autograd.TapeError{Op: "surrogate." + op, Msg: "nil threshold Var"})
	}
	if threshold.Tape() != t {
		panic(&autograd.TapeError{Op: "surrogate." + op, Msg: fmt.Sprintf("threshold %v belongs to another tape", threshold)})
	}
	checkSpikeArgs(op, t, v, 0, f)
	th := threshold.Data
	for _, x := range th {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			panic(&ParamError{Op: op, Name: "threshold", Value: x, Msg: fmt.Sprintf("= %v: must be finite", x)})
		}
	}
	out := t.New(v.Shape()...)
	o := out.Data[:len(v.Data)]
	switch {
	case len(th) == 1 && threshold.Dims() <= 1:
		step(o, v.Data, th[0])
	case threshold.Dims() == 1 && v.Dims() >= 1 && len(th) == v.Dim(-1):
		n := len(th)
		for off := 0; n > 0 && off+n <= len(v.Data); off += n {
			vs, os := v.Data[off:off+n], o[off:off+n]
			for j, thr := range th {
				var b uint32
				if vs[j] > thr {
					b = one
				}
				os[j] = math.Float32frombits(b)
			}
		}
	default:
		panic(&autograd.ShapeError{Op: "surrogate." + op,
			Shapes: [][]int{append([]int(nil), v.Shape()...), append([]int(nil), threshold.Shape()...)},
			Msg:    "threshold must be a vector as long as v's last dimension, or a single element"})
	}
	if t.GradEnabled() && (v.RequiresGrad() || threshold.RequiresGrad()) {
		b := autograd.Pooled[spikeFromBackward](t)
		*b = spikeFromBackward{f: f}
		t.Record(out, b, v, threshold)
	}
	out.SetBinary()
	return out
}

// spikeFromBackward is the backward of SpikeFrom.
type spikeFromBackward struct {
	f Func
}

// chunk is the number of elements whose surrogate gradients are computed at
// once in SpikeFrom's backward with a shared threshold.
const chunk = 4096

func (b *spikeFromBackward) Backward(t *autograd.Tape, out *autograd.Var, in []*autograd.Var) {
	v, th := in[0], in[1]
	dv, dth := t.GradOf(v), t.GradOf(th)
	dy := out.Grad
	if len(th.Data) == 1 && th.Dims() <= 1 {
		thr := th.Data[0]
		if dth == nil {
			gradLoop(b.f, dv, v.Data, thr, dy)
			return
		}
		g := t.Scratch(min(chunk, len(v.Data)))
		var acc float64
		for off := 0; off < len(v.Data); off += chunk {
			end := min(off+chunk, len(v.Data))
			gs, ys := g[:end-off], dy[off:end]
			gradLoop(b.f, gs, v.Data[off:end], thr, nil)
			for i, gi := range gs {
				gy := gi * ys[i]
				gs[i] = gy
				acc += float64(gy)
			}
			if dv != nil {
				dvs := dv[off:end]
				for i, gy := range gs {
					dvs[i] += gy
				}
			}
		}
		dth[0] -= float32(acc)
		return
	}
	n := len(th.Data)
	buf := t.Scratch(2 * n)
	x, g := buf[:n], buf[n:]
	for off := 0; n > 0 && off+n <= len(v.Data); off += n {
		vs, ys := v.Data[off:off+n], dy[off:off+n]
		for j, thr := range th.Data {
			x[j] = vs[j] - thr
		}
		gradLoop(b.f, g, x, 0, nil)
		for j := range g {
			g[j] *= ys[j]
		}
		if dv != nil {
			dvs := dv[off : off+n]
			for j, gy := range g {
				dvs[j] += gy
			}
		}
		if dth != nil {
			for j, gy := range g {
				dth[j] -= gy
			}
		}
	}
}
