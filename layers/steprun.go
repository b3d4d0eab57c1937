package layers

import (
	"github.com/spikegrad/spikegrad/autograd"
)

// stepBufs holds the per-step outputs of a stepped Run until they are
// concatenated; it comes from the tape's pool, so that a Run allocates
// nothing once the tape has seen one.
type stepBufs struct{ spk, mem []*autograd.Var }

// stepVars returns two slices of T Vars from the tape's pool.
func stepVars(t *autograd.Tape, T int) (spk, mem []*autograd.Var) {
	b := autograd.Pooled[stepBufs](t)
	b.spk, b.mem = append(b.spk[:0], make([]*autograd.Var, T)...), append(b.mem[:0], make([]*autograd.Var, T)...)
	return b.spk, b.mem
}
