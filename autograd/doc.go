// Package autograd is spikegrad's define-by-run reverse-mode automatic
// differentiation engine.
//
// A Tape records operations as they run. Every op is a method on *Tape: it
// checks its operands, computes its result eagerly, and, when an operand needs
// a gradient, appends a record whose backward accumulates into the operands'
// gradients. Backward(loss) runs the records in reverse order.
//
// Tensors are float32, row-major. Sequences are time-major: [T, B, N] (time,
// batch, features). A Var is a value on one tape; a Param is a leaf that lives
// across tapes (a weight) and whose gradient accumulates until the optimizer
// zeroes it.
//
// Buffers come from an arena owned by the tape. Reset forgets every Var and
// record but keeps the memory, so a training step that runs the same ops in the
// same order allocates (almost) nothing after the first one. A Var must not be
// used after the Reset of its tape.
//
// Programmer errors inside the math (a shape mismatch, Vars of two tapes mixed
// in one op) panic with a *ShapeError or *TapeError that names the op and the
// operands. Code at a boundary (the training loop) recovers them into errors.
package autograd
