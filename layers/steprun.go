package layers

import (
	"github.com/spikegrad/spikegrad/autograd"
)

// runSteps is the multi-step path of a neuron whose Run is its Step in a
// loop: it runs step over the T steps of x [T, B, n] from s, and returns the
// outputs and membranes stacked to [T, B, n] and the state after the last
// step (s when T = 0). The tape records each step's ops, so the values and
// gradients are those of T calls of Step.
func runSteps[S any](t *autograd.Tape, op string, x *autograd.Var, n int, s S,
	step func(*autograd.Tape, *autograd.Var, S) (*autograd.Var, S), mem func(S) *autograd.Var) (out, mems *autograd.Var, next S) {
	T, B := seqDims(op, x, n)
	if T == 0 {
		return t.New(0, B, n), t.New(0, B, n), s
	}
	outs, ms := stepVars(t, T)
	next = s
	for i := range T {
		var o *autograd.Var
		o, next = step(t, t.Reshape(t.Slice(x, 0, i, i+1), B, n), next)
		outs[i], ms[i] = t.Reshape(o, 1, B, n), t.Reshape(mem(next), 1, B, n)
	}
	return t.Concat(0, outs...), t.Concat(0, ms...), next
}

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
