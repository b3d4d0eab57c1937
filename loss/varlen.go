package loss

import (
	"fmt"
	"math"

	"github.com/spikegrad/spikegrad/autograd"
)

// The functions with the suffix Len take sequences whose samples have
// lengths of their own (a padded batch of variable-length sequences):
// sample b of x [T, B, ...] is valid at steps t < lengths[b] and padding
// after, and the padding counts nowhere, neither in the value nor in the
// gradient (which is exactly zero at every padded step). lengths has B
// entries in [1, T]; nil means every sample runs all T steps and gives
// the function without the suffix, exactly (the same float32 operations).
//
// Each loss is a batch mean of per-sample terms, each sample's term being
// the loss of that sample alone at its own length: a padded batch's loss
// and gradient are the mean over its samples of theirs. RateBounds is the
// exception: its rates pool the batch (see RateBoundsLen).

// MembraneCELen is MembraneCE over sequences of their own lengths:
// (1/B) Σ_b Σ_{t < lengths[b]} CE(mem[t, b], labels[b]).
//
// With lengths it is computed as −Σ w ⊙ LogSoftmax(mem), with the weight
// w = 1/B at each valid step's label and 0 elsewhere, summed in float64.
func MembraneCELen(t *autograd.Tape, mem *autograd.Var, labels, lengths []int) *autograd.Var {
	if lengths == nil {
		return MembraneCE(t, mem, labels)
	}
	const op = "loss.MembraneCELen"
	T, B, C := seq3(op, mem)
	checkLabels(op, mem, labels, B, C)
	checkLengths(op, mem, lengths, T, B)
	w := t.Scratch(T * B * C)
	inv := -1 / float32(B)
	for b, L := range lengths {
		for s := range L {
			w[(s*B+b)*C+labels[b]] = inv
		}
	}
	return t.SumAll(t.Mask(t.LogSoftmax(mem), w))
}

// CountCELen is CountCE over sequences of their own lengths: the
// cross-entropy of the counts Σ_{t < lengths[b]} out[t, b], the mean over
// the batch.
func CountCELen(t *autograd.Tape, out *autograd.Var, labels, lengths []int) *autograd.Var {
	if lengths == nil {
		return CountCE(t, out, labels)
	}
	return t.CrossEntropy(counts(t, "loss.CountCELen", out, lengths), labels)
}

// MaxMembraneCELen is MaxMembraneCE over sequences of their own lengths:
// the cross-entropy of max_{t < lengths[b]} mem[t, b], the mean over the
// batch.
func MaxMembraneCELen(t *autograd.Tape, mem *autograd.Var, labels, lengths []int) *autograd.Var {
	if lengths == nil {
		return MaxMembraneCE(t, mem, labels)
	}
	const op = "loss.MaxMembraneCELen"
	T, B, C := seq3(op, mem)
	checkLengths(op, mem, lengths, T, B)
	valid := validMask(t, lengths, T, B, C, 1)
	low := t.ScratchRaw(T * B * C)
	for i := range low {
		low[i] = float32(math.Inf(-1))
	}
	return t.CrossEntropy(t.Max(t.Where(valid, mem, t.Constant(low, T, B, C)), 0), labels)
}

// CountMSELen is CountMSE over sequences of their own lengths: the mean
// squared error between the counts Σ_{t < lengths[b]} out[t, b] and the
// targets correctRate·lengths[b] for the label and incorrectRate·lengths[b]
// for the other outputs, the mean over B·C entries.
func CountMSELen(t *autograd.Tape, out *autograd.Var, labels, lengths []int, correctRate, incorrectRate float32) *autograd.Var {
	if lengths == nil {
		return CountMSE(t, out, labels, correctRate, incorrectRate)
	}
	const op = "loss.CountMSELen"
	_, B, C := seq3(op, out)
	checkLabels(op, out, labels, B, C)
	return t.MSE(counts(t, op, out, lengths), countTargets(t, labels, lengths, 0, C, correctRate, incorrectRate))
}

// RateL1Len is RateL1 over sequences of their own lengths: weight times
// the mean over the batch of each sample's firing rate, its spikes over
// its valid steps divided by lengths[b] times the neurons per step.
func RateL1Len(t *autograd.Tape, spikes *autograd.Var, lengths []int, weight float32) *autograd.Var {
	if lengths == nil {
		return RateL1(t, spikes, weight)
	}
	T, B, n := seqN("loss.RateL1Len", spikes, lengths)
	w := t.Scratch(T * B * n)
	for b, L := range lengths {
		v := 1 / (float32(B) * float32(L) * float32(n))
		for s := range L {
			row := w[(s*B+b)*n : (s*B+b+1)*n]
			for i := range row {
				row[i] = v
			}
		}
	}
	return t.Scale(t.SumAll(t.Mask(spikes, w)), weight)
}

// RateBoundsLen is RateBounds over sequences of their own lengths: r_n is
// neuron n's rate over the valid sample-steps of the batch,
// Σ_b Σ_{t < lengths[b]} spikes[t, b, n] / Σ_b lengths[b]. The penalty is
// not linear in the rates, so this pools the batch: it is not the mean of
// each sample's penalty alone (as RateBounds is not, either).
func RateBoundsLen(t *autograd.Tape, spikes *autograd.Var, lengths []int, lo, hi, weight float32) *autograd.Var {
	if lengths == nil {
		return RateBounds(t, spikes, lo, hi, weight)
	}
	T, B, _ := seqN("loss.RateBoundsLen", spikes, lengths)
	total := 0
	for _, L := range lengths {
		total += L
	}
	w := validMask(t, lengths, T, B, len(spikes.Data)/(T*B), 1/float32(total))
	return rateBounds(t, t.Sum(t.Sum(t.Mask(spikes, w), 0), 0), lo, hi, weight)
}

// SpikeCountLen is SpikeCount over sequences of their own lengths: the
// counts run over the steps t < lengths[b] of each sample.
func SpikeCountLen(out *autograd.Var, lengths, dst []int) {
	argmaxOverTime("loss.SpikeCountLen", out, lengths, dst, false)
}

// MembraneSumLen is MembraneSum over the steps t < lengths[b] of each
// sample.
func MembraneSumLen(mem *autograd.Var, lengths, dst []int) {
	argmaxOverTime("loss.MembraneSumLen", mem, lengths, dst, false)
}

// MembraneMaxLen is MembraneMax over the steps t < lengths[b] of each
// sample.
func MembraneMaxLen(mem *autograd.Var, lengths, dst []int) {
	argmaxOverTime("loss.MembraneMaxLen", mem, lengths, dst, true)
}

// counts returns Σ_{t < lengths[b]} x[t, b, :] for x [T, B, C]: the
// padding masked to zero, then summed over time.
func counts(t *autograd.Tape, op string, x *autograd.Var, lengths []int) *autograd.Var {
	T, B, C := seq3(op, x)
	checkLengths(op, x, lengths, T, B)
	return t.Sum(t.Mask(x, validMask(t, lengths, T, B, C, 1)), 0)
}

// validMask returns a mask [T, B, n] from the tape's scratch memory: v at
// the valid steps of each sample, 0 at its padding.
func validMask(t *autograd.Tape, lengths []int, T, B, n int, v float32) []float32 {
	m := t.Scratch(T * B * n)
	for b, L := range lengths {
		for s := range L {
			row := m[(s*B+b)*n : (s*B+b+1)*n]
			for i := range row {
				row[i] = v
			}
		}
	}
	return m
}

// seqN returns the time steps, batch size and values per step of a
// sequence [T, B, ...] of two or more axes, and checks lengths against it.
func seqN(op string, x *autograd.Var, lengths []int) (T, B, n int) {
	if x.Dims() < 3 {
		panic(&autograd.ShapeError{Op: op, Shapes: [][]int{append([]int(nil), x.Shape()...)},
			Msg: "want a sequence [T, B, N...]"})
	}
	T, B = x.Dim(0), x.Dim(1)
	checkLengths(op, x, lengths, T, B)
	return T, B, len(x.Data) / max(T*B, 1)
}

// checkLengths panics with a *autograd.ShapeError unless lengths is nil or
// holds B lengths in [1, T].
func checkLengths(op string, x *autograd.Var, lengths []int, T, B int) {
	if lengths == nil {
		return
	}
	msg := ""
	if len(lengths) != B {
		msg = fmt.Sprintf("%d lengths for a batch of %d", len(lengths), B)
	}
	for b, l := range lengths {
		if msg == "" && (l < 1 || l > T) {
			msg = fmt.Sprintf("length %d (sample %d) outside [1, %d]", l, b, T)
		}
	}
	if msg != "" {
		panic(&autograd.ShapeError{Op: op, Shapes: [][]int{append([]int(nil), x.Shape()...), {len(lengths)}}, Msg: msg})
	}
}
