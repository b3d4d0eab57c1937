package layers

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/autograd/gradcheck"
)

// bnPadded returns x [T, B, F] of random values at the valid steps of
// samples of the given lengths and 50 at the padding, the 0/1 mask of the
// valid frames' values, and the valid frames alone, in order, as
// [V, 1, F].
func bnPadded(rng *rand.Rand, T, F int, lengths []int) (x, mask, packed []float32) {
	B := len(lengths)
	x, mask = make([]float32, T*B*F), make([]float32, T*B*F)
	for t := range T {
		for b, L := range lengths {
			row := x[(t*B+b)*F : (t*B+b+1)*F]
			if t >= L {
				for i := range row {
					row[i] = 50
				}
				continue
			}
			copy(row, randSlice(rng, F, -2, 2))
			packed = append(packed, row...)
			for i := range F {
				mask[(t*B+b)*F+i] = 1
			}
		}
	}
	return x, mask, packed
}

// TestBatchNormLengths: in training with lengths, modes shared and tdbn
// normalise the valid frames exactly as a batch of those frames alone
// (the same sums in the same order: bit for bit), update the running
// statistics the same way, give the valid frames, γ and β the same
// gradients and the padding none.
func TestBatchNormLengths(t *testing.T) {
	const T, C, S = 4, 2, 3
	lengths := []int{4, 1, 2}
	rng := rand.New(rand.NewPCG(4, 4))
	for _, mode := range []BNMode{BNShared, BNTD} {
		ref := randomBN(rng, mode, T, C, S)
		run := func(x []float32, shape []int, lengths []int, w []float32) (y, dx, dg, db, rm, rv []float32) {
			l := randomBN(rand.New(rand.NewPCG(1, 1)), mode, T, C, S)
			copy(l.Weight.Data, ref.Weight.Data)
			copy(l.Bias.Data, ref.Bias.Data)
			l.SetTraining(rng)
			if err := l.setLengths(lengths); err != nil {
				t.Fatal(err)
			}
			tp := autograd.NewTape()
			p := autograd.NewParam("x", slices.Clone(x), shape...)
			out := l.Forward(tp, tp.Param(p))
			tp.Backward(tp.SumAll(tp.Mask(out, w)))
			return out.Data, p.Grad, l.Weight.Grad, l.Bias.Grad, l.Mean.Data, l.Var.Data
		}
		x, mask, packed := bnPadded(rng, T, C*S, lengths)
		V := len(packed) / (C * S)
		w := randSlice(rng, len(x), -1, 1)
		var wp []float32
		for i, m := range mask {
			if m == 0 {
				w[i] = 0 // the loss reads no padded output
			} else {
				wp = append(wp, w[i])
			}
		}
		y, dx, dg, db, rm, rv := run(x, []int{T, len(lengths), C * S}, lengths, w)
		py, pdx, pdg, pdb, prm, prv := run(packed, []int{V, 1, C * S}, nil, wp)
		var vy, vdx []float32
		for i, m := range mask {
			if m == 1 {
				vy, vdx = append(vy, y[i]), append(vdx, dx[i])
			} else if dx[i] != 0 {
				t.Fatalf("%s: gradient %v at padded value %d, want 0", mode, dx[i], i)
			}
		}
		if !slices.Equal(vy, py) || !slices.Equal(vdx, pdx) || !slices.Equal(dg, pdg) || !slices.Equal(db, pdb) ||
			!slices.Equal(rm, prm) || !slices.Equal(rv, prv) {
			t.Errorf("%s: the valid frames of a padded batch and the same frames alone differ (y %v, dx %v, dγ %v, dβ %v, running %v %v)",
				mode, slices.Equal(vy, py), slices.Equal(vdx, pdx), slices.Equal(dg, pdg), slices.Equal(db, pdb), slices.Equal(rm, prm), slices.Equal(rv, prv))
		}
		// Without the lengths the padding enters the statistics.
		if y2, _, _, _, _, _ := run(x, []int{T, len(lengths), C * S}, nil, w); slices.Equal(y2, y) {
			t.Errorf("%s: the padding changes nothing without the lengths: the comparison has no teeth", mode)
		}
		// Central differences through the valid outputs.
		l := randomBN(rng, mode, T, C, S)
		l.SetTraining(rng)
		if err := l.setLengths(lengths); err != nil {
			t.Fatal(err)
		}
		p := autograd.NewParam("x", x, T, len(lengths), C*S)
		f := func(tp *autograd.Tape) *autograd.Var { return tp.Mask(l.Forward(tp, tp.Param(p)), mask) }
		if err := gradcheck.Check(f, []*autograd.Param{p, l.Weight, l.Bias}, gradcheck.Options{}); err != nil {
			t.Errorf("%s with lengths: %v", mode, err)
		}
	}
	if err := NewBatchNorm("bn", 2, 6, BatchNormConfig{Mode: BNPerStep, Steps: 4}).setLengths(lengths); err == nil {
		t.Error("mode per_step took lengths")
	}
}
