package loss_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/autograd/gradcheck"
	"github.com/spikegrad/spikegrad/loss"
)

// lenLoss is one of the Len losses as a function of its sequence.
type lenLoss struct {
	name      string
	decompose bool // the loss is the batch mean of each sample's loss alone
	f         func(t *autograd.Tape, x *autograd.Var, labels, lengths []int) *autograd.Var
}

var lenLosses = []lenLoss{
	{"MembraneCE", true, loss.MembraneCELen},
	{"CountCE", true, loss.CountCELen},
	{"MaxMembraneCE", true, loss.MaxMembraneCELen},
	{"CountMSE", true, func(t *autograd.Tape, x *autograd.Var, y, l []int) *autograd.Var {
		return loss.CountMSELen(t, x, y, l, 0.8, 0.2)
	}},
	{"RateL1", true, func(t *autograd.Tape, x *autograd.Var, _, l []int) *autograd.Var { return loss.RateL1Len(t, x, l, 0.5) }},
	{"RateBounds", false, func(t *autograd.Tape, x *autograd.Var, _, l []int) *autograd.Var {
		return loss.RateBoundsLen(t, x, l, 0.9, 0.3, 2)
	}},
}

// sample returns steps [0, L) of sample b of x [T, B, C] as [L, 1, C].
func sample(x []float32, B, C, b, L int) []float32 {
	var s []float32
	for t := range L {
		s = append(s, x[(t*B+b)*C:(t*B+b+1)*C]...)
	}
	return s
}

// lossGrad returns the loss of f on x [T, B, C] and its gradient.
func lossGrad(f func(*autograd.Tape, *autograd.Var, []int, []int) *autograd.Var, x []float32, T, B, C int, labels, lengths []int) (float32, []float32) {
	p := autograd.NewParam("x", slices.Clone(x), T, B, C)
	tape := autograd.NewTape()
	l := f(tape, tape.Param(p), labels, lengths)
	tape.Backward(l)
	return l.Item(), slices.Clone(p.Grad)
}

// TestLenPaddingFree checks the claim of the Len functions: the padding
// counts nowhere. For each loss, on a batch of 3 samples of lengths 2, 5
// and 3 padded to T = 5:
//   - one sample padded to 7 steps gives its loss and gradient at its own
//     length bit for bit (the padding adds exact zeros to the same sums);
//   - the gradient is exactly zero at every padded step;
//   - the batch's loss and gradient are the mean over the samples of each
//     alone at its length, within 1e-6 relative (float32 rounding of sums
//     of at most 5·3·4 terms in another order: n·2⁻²⁴ ≈ 4e-6 of the sum's
//     magnitude at worst, usually far less), for the losses that are such
//     a mean (all but RateBounds, whose rates pool the batch).
func TestLenPaddingFree(t *testing.T) {
	const T, B, C = 5, 3, 4
	lengths, labels := []int{2, 5, 3}, []int{1, 3, 0}
	rng := rand.New(rand.NewPCG(11, 0))
	x := make([]float32, T*B*C)
	for i := range x {
		x[i] = float32(rng.IntN(2)) + 0.3*rng.Float32() // spike-like and membrane-like values alike
	}
	for _, lf := range lenLosses {
		l, g := lossGrad(lf.f, x, T, B, C, labels, lengths)
		var mean float64
		for b, L := range lengths {
			xs := sample(x, B, C, b, L)
			la, ga := lossGrad(lf.f, xs, L, 1, C, labels[b:b+1], []int{L})
			padded := append(slices.Clone(xs), make([]float32, 2*C)...)
			for i := L * C; i < len(padded); i++ {
				padded[i] = 5 + float32(i) // padding of any value
			}
			lp, gp := lossGrad(lf.f, padded, L+2, 1, C, labels[b:b+1], []int{L})
			if lp != la || !slices.Equal(gp[:L*C], ga) {
				t.Errorf("%s: sample %d padded from %d to %d steps: loss %v, want %v bit for bit; gradient equal: %v",
					lf.name, b, L, L+2, lp, la, slices.Equal(gp[:L*C], ga))
			}
			if slices.ContainsFunc(gp[L*C:], func(v float32) bool { return v != 0 }) {
				t.Errorf("%s: sample %d: gradient %v at the padding, want 0", lf.name, b, gp[L*C:])
			}
			for s := range T {
				for c := range C {
					gb := g[(s*B+b)*C+c]
					if s >= L {
						if gb != 0 {
							t.Errorf("%s: batch gradient %v at padded step %d of sample %d, want 0", lf.name, gb, s, b)
						}
						continue
					}
					if lf.decompose && !close32(gb, ga[s*C+c]/B, 1e-6, 1e-9) {
						t.Errorf("%s: batch gradient %v at step %d of sample %d, want %v (its own / B)", lf.name, gb, s, b, ga[s*C+c]/B)
					}
				}
			}
			mean += float64(la) / B
		}
		if lf.decompose && !close32(l, float32(mean), 1e-6, 0) {
			t.Errorf("%s: batch loss %v, want the mean of the samples' own %v", lf.name, l, mean)
		}
	}
}

func close32(a, b float32, rel, abs float64) bool {
	return math.Abs(float64(a)-float64(b)) <= rel*max(math.Abs(float64(a)), math.Abs(float64(b)))+abs
}

// TestLenGradients checks the Len functions against central differences
// on smooth values, with padding.
func TestLenGradients(t *testing.T) {
	const T, B, C = 4, 3, 3
	rng := rand.New(rand.NewPCG(8, 0))
	lengths, labels := []int{4, 1, 3}, []int{2, 0, 1}
	for _, lf := range lenLosses {
		p := spaced(rng, "x", 0.1, -0.4, T, B, C)
		if lf.name == "RateBounds" { // rates (means over 8 valid steps) away from the bounds 0.3 and 0.9
			for i := range p.Data {
				p.Data[i] = 0.55 + 0.01*float32(i%7)
			}
		}
		f := func(tape *autograd.Tape) *autograd.Var { return lf.f(tape, tape.Param(p), labels, lengths) }
		if err := gradcheck.Check(f, []*autograd.Param{p}, gradcheck.Options{}); err != nil {
			t.Errorf("%s: %v", lf.name, err)
		}
	}
}

func TestLenReadouts(t *testing.T) {
	// Sample 0 (length 2) peaks and sums highest in class 1 within its 2
	// steps, in class 0 only at the padded step 2.
	x := autograd.NewTape().Constant([]float32{
		0, 1, 0, 0, // t0: sample 0, sample 1
		0, 1, 0, 1, // t1
		9, 0, 0, 1, // t2: padding of sample 0
	}, 3, 2, 2)
	lengths := []int{2, 3}
	for _, r := range []struct {
		name string
		f    func(*autograd.Var, []int, []int)
	}{{"SpikeCountLen", loss.SpikeCountLen}, {"MembraneSumLen", loss.MembraneSumLen}, {"MembraneMaxLen", loss.MembraneMaxLen}} {
		dst := make([]int, 2)
		r.f(x, lengths, dst)
		if !slices.Equal(dst, []int{1, 1}) {
			t.Errorf("%s = %v, want [1 1] (sample 0's class 0 wins only at its padding)", r.name, dst)
		}
		r.f(x, nil, dst)
		if dst[0] != 0 {
			t.Errorf("%s without lengths = %v, want class 0 for sample 0", r.name, dst)
		}
	}
}

func TestLenShapeErrors(t *testing.T) {
	x := autograd.NewTape().Constant(make([]float32, 12), 3, 2, 2)
	for _, lengths := range [][]int{{1}, {0, 3}, {1, 4}} {
		func() {
			defer func() {
				if _, ok := recover().(*autograd.ShapeError); !ok {
					t.Errorf("lengths %v: want a *autograd.ShapeError panic", lengths)
				}
			}()
			loss.SpikeCountLen(x, lengths, make([]int, 2))
		}()
	}
}
