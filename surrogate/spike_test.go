package surrogate_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/autograd/gradcheck"
	"github.com/spikegrad/spikegrad/surrogate"
)

// fs32 is FastSigmoid with slope 32, chosen so that the test inputs below
// (multiples of 1/32 away from the threshold) give exact float32 gradients:
// x = ±1/32 gives 1/(1+1)² = 1/4, x = ±3/32 gives 1/(1+3)² = 1/16,
// x = 0.5 gives 1/(1+16)² = 1/289, x = -1 gives 1/(1+32)² = 1/1089.
var fs32 = surrogate.FastSigmoid{Slope: 32}

func TestSpikeForwardBackward(t *testing.T) {
	tape := autograd.NewTape()
	vals := []float32{1.03125, 0.96875, 1, 1.09375, 0, 1.5}
	v := autograd.NewParam("v", append([]float32(nil), vals...), 2, 3)
	for i := range v.Grad {
		v.Grad[i] = 1 // Backward must add into what is there
	}
	out := surrogate.Spike(tape, tape.Param(v), 1, fs32)
	if got := out.Shape(); len(got) != 2 || got[0] != 2 || got[1] != 3 {
		t.Fatalf("shape %v, want [2 3]", got)
	}
	// v > 1: 1.03125, 1.09375 and 1.5 spike; v = 1 does not (H(0) = 0).
	wantOut := []float32{1, 0, 0, 1, 0, 1}
	for i, w := range wantOut {
		if out.Data[i] != w {
			t.Fatalf("spikes %v, want %v", out.Data, wantOut)
		}
	}
	dy := []float32{1, 2, -3, 0.5, 4, -1}
	tape.BackwardFrom(out, dy)
	// dv = 1 (already there) + Grad(v - 1)·dy with Grad from fs32's comment:
	// [1/4·1, 1/4·2, 1·(-3), 1/16·0.5, 1/1089·4, 1/289·(-1)].
	wantGrad := []float64{1 + 0.25, 1 + 0.5, 1 - 3, 1 + 0.03125, 1 + 4.0/1089, 1 - 1.0/289}
	for i, w := range wantGrad {
		// Exact up to the float32 rounding of 4/1089 and 1/289 and the
		// addition of 1: 2 ulps of 1.
		if math.Abs(float64(v.Grad[i])-w) > 2.4e-7 {
			t.Errorf("dv[%d] = %v, want %v", i, v.Grad[i], w)
		}
	}
}

// TestSpikeNoGradient: with a constant input or with recording off, Spike
// records nothing and its output needs no gradient.
func TestSpikeNoGradient(t *testing.T) {
	tape := autograd.NewTape()
	out := surrogate.Spike(tape, tape.Constant([]float32{0, 2}, 2), 1, fs32)
	if out.RequiresGrad() || tape.Records() != 0 {
		t.Errorf("constant input: RequiresGrad %v, %d records", out.RequiresGrad(), tape.Records())
	}
	p := autograd.NewParam("v", []float32{0, 2}, 2)
	tape.SetGrad(false)
	out = surrogate.Spike(tape, tape.Param(p), 1, fs32)
	if out.RequiresGrad() || tape.Records() != 0 || out.Data[0] != 0 || out.Data[1] != 1 {
		t.Errorf("no-grad mode: RequiresGrad %v, %d records, spikes %v", out.RequiresGrad(), tape.Records(), out.Data)
	}
}

// TestSmoothSpikeGradcheck runs SmoothSpike, whose forward is the smooth
// function, through autograd/gradcheck for every built-in: its backward,
// which is Spike's backward, agrees with central differences of its forward.
// Then Spike's backward on the same input is checked to be bit-identical.
func TestSmoothSpikeGradcheck(t *testing.T) {
	const thr = 0.75
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range conformance {
		f := c.c.Func
		w := hwhm(f, c.c.Peak)
		h := w / 100
		// 12 inputs within ±3 half widths of the threshold, at least 3 steps
		// from any break of Grad (where a central difference averages over
		// the break).
		data := make([]float32, 0, 12)
		for len(data) < 12 {
			x := (2*rng.Float64() - 1) * 3 * w
			near := false
			for _, b := range c.c.Breaks {
				near = near || math.Abs(x-float64(b)) < 3*h
			}
			if !near {
				data = append(data, float32(thr+x))
			}
		}
		v := autograd.NewParam("v", data, 3, 4)
		fn := func(tp *autograd.Tape) *autograd.Var { return surrogate.SmoothSpike(tp, tp.Param(v), thr, f) }
		// Step h = half width/100 as in the conformance suite; Atol 1e-3·Peak
		// and Rtol 1e-2 (gradcheck's default) cover the truncation error,
		// below 4e-5·Peak (see surrogatetest), and the rounding of the
		// float32 Smooth values, ulp(Smooth)/h <= 2e-4·Peak for the built-ins.
		err := gradcheck.Check(fn, []*autograd.Param{v}, gradcheck.Options{Step: h, Atol: 1e-3 * float64(c.c.Peak)})
		if err != nil {
			t.Errorf("%v: %v", f, err)
			continue
		}

		// The same upstream gradient through Spike and through SmoothSpike
		// gives the same dv, bit for bit.
		seed := make([]float32, len(data))
		for i := range seed {
			seed[i] = float32(2*rng.Float64() - 1)
		}
		var dv [2][]float32
		for k, op := range []func(*autograd.Tape, *autograd.Var, float32, surrogate.Func) *autograd.Var{
			surrogate.Spike, surrogate.SmoothSpike} {
			tape := autograd.NewTape()
			v.ZeroGrad()
			tape.BackwardFrom(op(tape, tape.Param(v), thr, f), seed)
			dv[k] = append([]float32(nil), v.Grad...)
		}
		for i := range dv[0] {
			if dv[0][i] != dv[1][i] {
				t.Errorf("%v: Spike dv[%d] = %v, SmoothSpike dv = %v", f, i, dv[0][i], dv[1][i])
				break
			}
		}
	}
}

// hwhm is the half width at half maximum of Grad around 0 (1 if Grad never
// falls to half).
func hwhm(f surrogate.Func, peak float32) float64 {
	lo, hi := 0.0, 1e-6
	for f.Grad(float32(hi)) > peak/2 {
		if hi > 1e6 {
			return 1
		}
		lo, hi = hi, 2*hi
	}
	for range 50 {
		if mid := (lo + hi) / 2; f.Grad(float32(mid)) > peak/2 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

func TestSpikeFromPerFeature(t *testing.T) {
	tape := autograd.NewTape()
	v := autograd.NewParam("v", []float32{1.03125, 0.5, 2.5, 0.96875, 0.59375, 1.90625}, 2, 3)
	th := autograd.NewParam("thr", []float32{1, 0.5, 2}, 3)
	out := surrogate.SpikeFrom(tape, tape.Param(v), tape.Param(th), fs32)
	// x = v - thr per column: [1/32, 0, 0.5], [-1/32, 3/32, -3/32].
	wantOut := []float32{1, 0, 1, 0, 1, 0}
	for i, w := range wantOut {
		if out.Data[i] != w {
			t.Fatalf("spikes %v, want %v", out.Data, wantOut)
		}
	}
	tape.BackwardFrom(out, []float32{1, 2, 3, 4, 5, 6})
	// g = Grad(x) (fs32's comment): [1/4, 1, 1/289], [1/4, 1/16, 1/16].
	// dv = g·dy; dthr[j] = -Σ_rows g·dy.
	wantDv := []float64{0.25, 2, 3.0 / 289, 1, 5.0 / 16, 6.0 / 16}
	wantDth := []float64{-(0.25 + 1), -(2 + 5.0/16), -(3.0/289 + 6.0/16)}
	for i, w := range wantDv {
		if math.Abs(float64(v.Grad[i])-w) > 1e-7 { // float32 rounding of 3/289: < 1e-9
			t.Errorf("dv[%d] = %v, want %v", i, v.Grad[i], w)
		}
	}
	for i, w := range wantDth {
		if math.Abs(float64(th.Grad[i])-w) > 1e-7 { // one float32 addition: < 3e-8
			t.Errorf("dthr[%d] = %v, want %v", i, th.Grad[i], w)
		}
	}
}

// TestSpikeFromShared: a single shared threshold Var gives Spike's spikes and
// dv, and dthr = -Σ g·dy over every element. The large case crosses the
// chunked loop of the backward.
func TestSpikeFromShared(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{6, 10007} {
		data := make([]float32, n)
		dy := make([]float32, n)
		for i := range data {
			data[i] = float32(1 + (2*rng.Float64()-1)*0.2)
			dy[i] = float32(2*rng.Float64() - 1)
		}
		if n == 6 {
			copy(data, []float32{1.03125, 0.96875, 1, 1.09375, 0, 1.5})
			copy(dy, []float32{1, 2, -3, 0.5, 4, -1})
		}
		for _, f := range []surrogate.Func{fs32, surrogate.SparseFastSigmoid{}, surrogate.Boxcar{}} {
			// Reference: Spike with a constant threshold.
			v := autograd.NewParam("v", data, n)
			tape := autograd.NewTape()
			ref := surrogate.Spike(tape, tape.Param(v), 1, f)
			refOut := append([]float32(nil), ref.Data...)
			tape.BackwardFrom(ref, dy)
			refDv := append([]float32(nil), v.Grad...)

			v.ZeroGrad()
			th := autograd.NewParam("thr", []float32{1}, 1)
			tape = autograd.NewTape()
			out := surrogate.SpikeFrom(tape, tape.Param(v), tape.Param(th), f)
			tape.BackwardFrom(out, dy)
			var want float64
			for i, x := range data {
				want -= float64(f.Grad(x-1) * dy[i])
			}
			for i := range data {
				if out.Data[i] != refOut[i] || v.Grad[i] != refDv[i] {
					t.Fatalf("%v n=%d: element %d: spike %v dv %v, Spike gives %v %v", f, n, i,
						out.Data[i], v.Grad[i], refOut[i], refDv[i])
				}
			}
			// dthr is accumulated in float64 in the same order as want, then
			// rounded once: equal to float32(want).
			if th.Grad[0] != float32(want) {
				t.Errorf("%v n=%d: dthr = %v, want %v", f, n, th.Grad[0], float32(want))
			}
			if n == 6 && f == surrogate.Func(fs32) {
				// By hand, with g·dy of TestSpikeForwardBackward:
				// -(0.25 + 0.5 - 3 + 0.03125 + 4/1089 - 1/289) = 2.21853711.
				if math.Abs(float64(th.Grad[0])-2.21853711) > 1e-6 {
					t.Errorf("dthr = %v, want 2.21853711", th.Grad[0])
				}
			}
		}
	}
}

func TestSpikePanics(t *testing.T) {
	tape, other := autograd.NewTape(), autograd.NewTape()
	v := tape.Input([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	expect := func(name string, check func(r any) bool, fn func()) {
		t.Helper()
		defer func() {
			t.Helper()
			if r := recover(); !check(r) {
				t.Errorf("%s: recovered %v (%T)", name, r, r)
			}
		}()
		fn()
	}
	isTape := func(r any) bool { _, ok := r.(*autograd.TapeError); return ok }
	isShape := func(r any) bool { _, ok := r.(*autograd.ShapeError); return ok }
	isParam := func(r any) bool { _, ok := r.(*surrogate.ParamError); return ok }
	expect("other tape", isTape, func() { surrogate.Spike(other, v, 1, fs32) })
	expect("nil Func", isParam, func() { surrogate.Spike(tape, v, 1, nil) })
	expect("NaN threshold", isParam, func() { surrogate.Spike(tape, v, float32(math.NaN()), fs32) })
	expect("Inf threshold", isParam, func() { surrogate.SmoothSpike(tape, v, float32(math.Inf(1)), fs32) })
	expect("bad hyperparameter", isParam, func() { surrogate.Spike(tape, v, 1, surrogate.Sigmoid{Slope: -1}) })
	expect("threshold length", isShape, func() { surrogate.SpikeFrom(tape, v, tape.Input([]float32{1, 2}, 2), fs32) })
	expect("threshold matrix", isShape, func() { surrogate.SpikeFrom(tape, v, tape.Input([]float32{1, 2, 3}, 1, 3), fs32) })
	expect("threshold other tape", isTape, func() { surrogate.SpikeFrom(tape, v, other.Input([]float32{1}, 1), fs32) })
	expect("NaN threshold Var", isParam, func() {
		surrogate.SpikeFrom(tape, v, tape.Input([]float32{1, float32(math.NaN()), 3}, 3), fs32)
	})
}

// TestSpikeAllocs: in steady state (the tape's arena and pools already
// grown) a Spike or SpikeFrom call and its backward pass allocate nothing,
// the backward value included (autograd.Pooled), with or without recording.
func TestSpikeAllocs(t *testing.T) {
	p := autograd.NewParam("v", make([]float32, 64), 4, 16)
	seed := make([]float32, 64)
	tape := autograd.NewTape()
	var f surrogate.Func = surrogate.FastSigmoid{}
	step := func() {
		tape.Reset()
		out := surrogate.Spike(tape, tape.Param(p), 1, f)
		tape.BackwardFrom(out, seed)
	}
	step()
	if n := testing.AllocsPerRun(100, step); n != 0 {
		t.Errorf("Spike + backward: %v allocations per step, want 0", n)
	}
	literal := func() {
		tape.Reset()
		out := surrogate.Spike(tape, tape.Param(p), 1, surrogate.FastSigmoid{Slope: 25})
		tape.BackwardFrom(out, seed)
	}
	if n := testing.AllocsPerRun(100, literal); n != 0 {
		t.Errorf("Spike with a composite literal Func: %v allocations per step, want 0", n)
	}
	noGrad := func() {
		tape.Reset()
		tape.SetGrad(false)
		surrogate.Spike(tape, tape.Param(p), 1, f)
		tape.SetGrad(true)
	}
	if n := testing.AllocsPerRun(100, noGrad); n != 0 {
		t.Errorf("Spike without recording: %v allocations, want 0", n)
	}
	th := autograd.NewParam("thr", make([]float32, 16), 16)
	from := func() {
		tape.Reset()
		out := surrogate.SpikeFrom(tape, tape.Param(p), tape.Param(th), f)
		tape.BackwardFrom(out, seed)
	}
	from()
	if n := testing.AllocsPerRun(100, from); n != 0 {
		t.Errorf("SpikeFrom + backward: %v allocations per step, want 0", n)
	}
}
