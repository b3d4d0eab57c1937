package loss_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/autograd/gradcheck"
	"github.com/spikegrad/spikegrad/loss"
)

// ln1pexp(x) = log(1 + e^x): the cross-entropy of two logits whose other
// logit exceeds the label's by x.
func ln1pexp(x float64) float64 { return math.Log1p(math.Exp(x)) }

// hand is a sequence of T=2 steps, B=1 sample, C=2 outputs, after a hidden
// layer of 2 neurons:
//
//	hidden spikes   t0: (1, 0)   t1: (1, 0)    rates (1, 0)
//	output spikes   t0: (1, 0)   t1: (1, 1)    counts (2, 1)
//	output membrane t0: (1, 0)   t1: (0, 2)
func hand(t *autograd.Tape) (hid, out, mem *autograd.Var) {
	return t.Constant([]float32{1, 0, 1, 0}, 2, 1, 2),
		t.Constant([]float32{1, 0, 1, 1}, 2, 1, 2),
		t.Constant([]float32{1, 0, 0, 2}, 2, 1, 2)
}

func TestHandValues(t *testing.T) {
	tape := autograd.NewTape()
	hid, out, mem := hand(tape)
	y := []int{0}
	for _, tc := range []struct {
		name string
		got  *autograd.Var
		want float64
	}{
		// Σ_t CE(mem[t], 0) = -log softmax(1, 0)_0 - log softmax(0, 2)_0
		//                   = log(1 + e^-1) + log(1 + e^2) = 0.31326 + 2.12693
		{"MembraneCE", loss.MembraneCE(tape, mem, y), ln1pexp(-1) + ln1pexp(2)},
		// CE of the counts (2, 1): log(1 + e^(1-2))
		{"CountCE", loss.CountCE(tape, out, y), ln1pexp(-1)},
		// CE of the maximum over time (1, 2): log(1 + e^(2-1))
		{"MaxMembraneCE", loss.MaxMembraneCE(tape, mem, y), ln1pexp(1)},
		// counts (2, 1) against targets 0.8·2 = 1.6 and 0.2·2 = 0.4:
		// ((2-1.6)² + (1-0.4)²) / 2 = (0.16 + 0.36) / 2 = 0.26
		{"CountMSE", loss.CountMSE(tape, out, y, 0.8, 0.2), 0.26},
		// 0.1 · mean hidden rate (1+0)/2 = 0.05
		{"RateL1", loss.RateL1(tape, hid, 0.1), 0.05},
		// rates (1, 0) below min 0.25: relu(0.25 - r)² = (0, 0.0625), mean
		// 0.03125, times weight 2
		{"RateBounds lo", loss.RateBounds(tape, hid, 0.25, 0, 2), 0.0625},
		// above max 0.75: relu(r - 0.75)² = (0.0625, 0), mean 0.03125
		{"RateBounds hi", loss.RateBounds(tape, hid, 0, 0.75, 1), 0.03125},
		// both bounds: 0.03125 + 0.03125
		{"RateBounds both", loss.RateBounds(tape, hid, 0.25, 0.75, 1), 0.0625},
		// no bound: 0
		{"RateBounds off", loss.RateBounds(tape, hid, 0, 0, 1), 0},
	} {
		// float32 arithmetic on values of order 1: a few ulps of 2.4.
		if got := float64(tc.got.Item()); math.Abs(got-tc.want) > 1e-6 {
			t.Errorf("%s: %.9g, want %.9g", tc.name, got, tc.want)
		}
	}
}

// TestMembraneCESumsOverTime checks the snnTorch objective on a batch of
// two: Σ_t mean_b CE(mem[t, b], y_b).
func TestMembraneCESumsOverTime(t *testing.T) {
	tape := autograd.NewTape()
	// T=2, B=2, C=2; sample 0 label 0, sample 1 label 1.
	mem := tape.Constant([]float32{
		1, 0, 0, 0, // t0: b0 (1, 0), b1 (0, 0)
		0, 2, 3, 1, // t1: b0 (0, 2), b1 (3, 1)
	}, 2, 2, 2)
	got := float64(loss.MembraneCE(tape, mem, []int{0, 1}).Item())
	want := (ln1pexp(-1)+ln1pexp(0))/2 + (ln1pexp(2)+ln1pexp(2))/2
	// float32 arithmetic on values of order 1, as in TestHandValues.
	if math.Abs(got-want) > 1e-6 {
		t.Errorf("loss %.9g, want %.9g", got, want)
	}
}

// spaced returns a Param of n values off, off+scale, ..., in random order:
// values distinct by at least 0.1 (ten steps of gradcheck's 1e-2), so that
// neither a maximum over time nor the ReLU of a bound changes its argument
// within a finite difference.
func spaced(rng *rand.Rand, name string, scale, off float32, shape ...int) *autograd.Param {
	n := 1
	for _, d := range shape {
		n *= d
	}
	v := make([]float32, n)
	for i, k := range rng.Perm(n) {
		v[i] = off + scale*float32(k)
	}
	return autograd.NewParam(name, v, shape...)
}

// TestGradients checks every loss and regulariser against central
// differences on smooth values, as a network with the surrogate's smooth
// function in place of the step would produce them.
func TestGradients(t *testing.T) {
	const T, B, C, N = 3, 2, 3, 4
	rng := rand.New(rand.NewPCG(7, 0))
	hid := spaced(rng, "hidden", 0.1, -0.15, T, B, N) // hidden "rates" from -0.15 to 2.15
	out := spaced(rng, "out", 0.1, -0.4, T, B, C)
	mem := spaced(rng, "mem", 0.1, -0.8, T, B, C)
	labels := []int{2, 0}
	// Per-neuron rates of hid are means of 6 values; the bounds sit between
	// them, at least 0.04 from each (checked below).
	rates := make([]float64, N)
	for i, v := range hid.Data {
		rates[i%N] += float64(v) / (T * B)
	}
	for _, bound := range []float64{0.2, 1.6} {
		for _, r := range rates {
			if math.Abs(r-bound) < 0.04 {
				t.Fatalf("rate %v too close to the bound %v", r, bound)
			}
		}
	}
	for _, tc := range []struct {
		name string
		p    *autograd.Param
		f    func(*autograd.Tape, *autograd.Var) *autograd.Var
	}{
		{"MembraneCE", mem, func(t *autograd.Tape, v *autograd.Var) *autograd.Var { return loss.MembraneCE(t, v, labels) }},
		{"CountCE", out, func(t *autograd.Tape, v *autograd.Var) *autograd.Var { return loss.CountCE(t, v, labels) }},
		{"MaxMembraneCE", mem, func(t *autograd.Tape, v *autograd.Var) *autograd.Var { return loss.MaxMembraneCE(t, v, labels) }},
		{"CountMSE", out, func(t *autograd.Tape, v *autograd.Var) *autograd.Var { return loss.CountMSE(t, v, labels, 0.8, 0.2) }},
		{"RateL1", hid, func(t *autograd.Tape, v *autograd.Var) *autograd.Var { return loss.RateL1(t, v, 0.5) }},
		{"RateBounds lo", hid, func(t *autograd.Tape, v *autograd.Var) *autograd.Var { return loss.RateBounds(t, v, 1.6, 0, 3) }},
		{"RateBounds hi", hid, func(t *autograd.Tape, v *autograd.Var) *autograd.Var { return loss.RateBounds(t, v, 0, 0.2, 3) }},
		{"RateBounds both", hid, func(t *autograd.Tape, v *autograd.Var) *autograd.Var { return loss.RateBounds(t, v, 1.6, 0.2, 1) }},
	} {
		f := func(tape *autograd.Tape) *autograd.Var { return tc.f(tape, tape.Param(tc.p)) }
		if err := gradcheck.Check(f, []*autograd.Param{tc.p}, gradcheck.Options{}); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestReadouts(t *testing.T) {
	// T=2, B=4, C=3.
	out := []float32{
		1, 0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 0, // t0
		0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, // t1
	}
	// counts: b0 (1, 0, 2) → 2; b1 (0, 0, 0) → 0 (all tied); b2 (1, 1, 1) → 0 (tie);
	// b3 (1, 1, 0) → 0 (tie between 0 and 1: the first)
	mem := []float32{
		0.5, 0.9, -1, 2, 2, 1, -1, -2, -3, 0, 0.2, 0.2, // t0
		0.6, 0.1, 0.1, 0, 0, 3, -1, -2, -0.5, 0, 0.2, 0.1, // t1
	}
	// membrane sums: b0 (1.1, 1.0, -0.9) → 0; b1 (2, 2, 4) → 2;
	//   b2 (-2, -4, -3.5) → 0; b3 (0, 0.4, 0.3) → 1
	// membrane max:  b0 (0.6, 0.9, 0.1) → 1; b1 (2, 2, 3) → 2;
	//   b2 (-1, -2, -0.5) → 2; b3 (0, 0.2, 0.2) → 1 (tie: the first)
	tape := autograd.NewTape()
	o, m := tape.Constant(out, 2, 4, 3), tape.Constant(mem, 2, 4, 3)
	for _, tc := range []struct {
		name string
		read func(*autograd.Var, []int)
		x    *autograd.Var
		want []int
	}{
		{"SpikeCount", loss.SpikeCount, o, []int{2, 0, 0, 0}},
		{"MembraneSum", loss.MembraneSum, m, []int{0, 2, 0, 1}},
		{"MembraneMax", loss.MembraneMax, m, []int{1, 2, 2, 1}},
	} {
		dst := make([]int, 4)
		tc.read(tc.x, dst)
		if !slices.Equal(dst, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, dst, tc.want)
		}
		if n := testing.AllocsPerRun(10, func() { tc.read(tc.x, dst) }); n != 0 {
			t.Errorf("%s: %v allocations, want 0", tc.name, n)
		}
	}
}

// TestAllocs runs a step of each loss (forward, backward, Reset) and checks
// that, once the first step has sized the tape, it allocates nothing.
func TestAllocs(t *testing.T) {
	const T, B, C = 4, 8, 3
	rng := rand.New(rand.NewPCG(9, 0))
	mem := spaced(rng, "mem", 0.1, -1, T, B, C)
	labels := make([]int, B)
	for i := range labels {
		labels[i] = i % C
	}
	tape := autograd.NewTape()
	for _, tc := range []struct {
		name string
		f    func(*autograd.Var) *autograd.Var
	}{
		{"MembraneCE", func(v *autograd.Var) *autograd.Var { return loss.MembraneCE(tape, v, labels) }},
		{"CountCE", func(v *autograd.Var) *autograd.Var { return loss.CountCE(tape, v, labels) }},
		{"MaxMembraneCE", func(v *autograd.Var) *autograd.Var { return loss.MaxMembraneCE(tape, v, labels) }},
		{"CountMSE", func(v *autograd.Var) *autograd.Var { return loss.CountMSE(tape, v, labels, 0.8, 0.2) }},
		{"RateL1", func(v *autograd.Var) *autograd.Var { return loss.RateL1(tape, v, 0.1) }},
		{"RateBounds", func(v *autograd.Var) *autograd.Var { return loss.RateBounds(tape, v, 0.2, 0.8, 1) }},
	} {
		step := func() {
			tape.Backward(tc.f(tape.Param(mem)))
			mem.ZeroGrad()
			tape.Reset()
		}
		step()
		if n := testing.AllocsPerRun(10, step); n != 0 {
			t.Errorf("%s: %v allocations per step, want 0", tc.name, n)
		}
	}
}

// TestShapeErrors checks that a shape that does not fit panics with an
// *autograd.ShapeError naming the function.
func TestShapeErrors(t *testing.T) {
	tape := autograd.NewTape()
	seq := tape.New(2, 3, 4) // T=2, B=3, C=4
	for _, tc := range []struct {
		op string
		fn func()
	}{
		{"loss.MembraneCE", func() { loss.MembraneCE(tape, tape.New(3, 4), []int{0, 1, 2}) }},
		{"CrossEntropy", func() { loss.MembraneCE(tape, seq, []int{0, 1}) }},
		{"loss.CountCE", func() { loss.CountCE(tape, tape.New(2, 1, 3, 4), []int{0}) }},
		{"loss.MaxMembraneCE", func() { loss.MaxMembraneCE(tape, tape.New(12), []int{0}) }},
		{"loss.CountMSE", func() { loss.CountMSE(tape, seq, []int{0, 1}, 0.8, 0.2) }},
		{"loss.CountMSE", func() { loss.CountMSE(tape, seq, []int{0, 4, 1}, 0.8, 0.2) }},
		{"loss.SpikeCount", func() { loss.SpikeCount(seq, make([]int, 2)) }},
		{"loss.MembraneMax", func() { loss.MembraneMax(tape.New(3, 4), make([]int, 3)) }},
	} {
		func() {
			defer func() {
				err, _ := recover().(error)
				var se *autograd.ShapeError
				if !errors.As(err, &se) || se.Op != tc.op {
					t.Errorf("%s: recovered %v, want a *autograd.ShapeError of %s", tc.op, err, tc.op)
				}
			}()
			tc.fn()
		}()
	}
}
