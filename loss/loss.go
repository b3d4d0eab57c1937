package loss

import (
	"fmt"

	"github.com/spikegrad/spikegrad/autograd"
)

// MembraneCE is the cross-entropy of the membrane potentials at every time
// step, summed over time: Σ_t CE(mem[t], labels), each CE the mean over the
// batch. It is snnTorch's tutorial loss (loss_val += loss(mem_rec[step],
// targets) in tutorial 5). mem is [T, B, C]; labels has B entries.
//
// It is computed as T times the mean CE over all T·B rows, which is the sum
// over t of the batch means; the labels are not copied.
func MembraneCE(t *autograd.Tape, mem *autograd.Var, labels []int) *autograd.Var {
	T, _, _ := seq3("loss.MembraneCE", mem)
	return t.Scale(t.CrossEntropy(mem, labels), float32(T))
}

// CountCE is the cross-entropy of the output spike counts Σ_t out[t] taken as
// logits, the mean over the batch: snnTorch's ce_count_loss. out is
// [T, B, C]; labels has B entries.
func CountCE(t *autograd.Tape, out *autograd.Var, labels []int) *autograd.Var {
	seq3("loss.CountCE", out)
	return t.CrossEntropy(t.Sum(out, 0), labels)
}

// MaxMembraneCE is the cross-entropy of each output's maximum membrane
// potential over time, max_t mem[t], the mean over the batch: the read-out of
// SpyTorch's tutorial 2 (Zenke). mem is [T, B, C]; labels has B entries. The
// gradient reaches the time step of each maximum only.
func MaxMembraneCE(t *autograd.Tape, mem *autograd.Var, labels []int) *autograd.Var {
	seq3("loss.MaxMembraneCE", mem)
	return t.CrossEntropy(t.Max(mem, 0), labels)
}

// CountMSE is the mean squared error between the output spike counts
// Σ_t out[t] and target counts: correctRate·T for each sample's label and
// incorrectRate·T for the other outputs, the mean over B·C entries. It is
// snnTorch's mse_count_loss(correct_rate, incorrect_rate), whose rates are
// spikes per time step (snnTorch's tutorials use 0.8 and 0.2). out is
// [T, B, C]; labels has B entries.
func CountMSE(t *autograd.Tape, out *autograd.Var, labels []int, correctRate, incorrectRate float32) *autograd.Var {
	const op = "loss.CountMSE"
	T, B, C := seq3(op, out)
	checkLabels(op, out, labels, B, C)
	return t.MSE(t.Sum(out, 0), countTargets(t, labels, nil, T, C, correctRate, incorrectRate))
}

// countTargets returns the target counts [B, C] of CountMSE: rate times
// the sample's steps (lengths[b], or T with nil lengths), correctRate for
// the label and incorrectRate for the other classes.
func countTargets(t *autograd.Tape, labels, lengths []int, T, C int, correctRate, incorrectRate float32) *autograd.Var {
	B := len(labels)
	target := t.NewRaw(B, C)
	for b := range B {
		steps := T
		if lengths != nil {
			steps = lengths[b]
		}
		row := target.Data[b*C : (b+1)*C]
		for c := range row {
			r := incorrectRate
			if c == labels[b] {
				r = correctRate
			}
			row[c] = r * float32(steps)
		}
	}
	return target
}

// seq3 returns the dimensions of a sequence [T, B, C], panicking with a
// *autograd.ShapeError if x has another number of dimensions.
func seq3(op string, x *autograd.Var) (T, B, C int) {
	if x.Dims() != 3 {
		panic(&autograd.ShapeError{Op: op, Shapes: [][]int{append([]int(nil), x.Shape()...)},
			Msg: "want a sequence [T, B, C]"})
	}
	return x.Dim(0), x.Dim(1), x.Dim(2)
}

// checkLabels panics with a *autograd.ShapeError unless labels holds B
// classes in [0, C).
func checkLabels(op string, x *autograd.Var, labels []int, B, C int) {
	msg := ""
	if len(labels) != B {
		msg = fmt.Sprintf("%d labels for a batch of %d", len(labels), B)
	}
	for b, l := range labels {
		if msg == "" && (l < 0 || l >= C) {
			msg = fmt.Sprintf("label %d (sample %d) out of range [0, %d)", l, b, C)
		}
	}
	if msg != "" {
		panic(&autograd.ShapeError{Op: op, Shapes: [][]int{append([]int(nil), x.Shape()...), {len(labels)}}, Msg: msg})
	}
}
