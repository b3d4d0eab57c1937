// Package autograd is spikegrad's define-by-run reverse-mode automatic
// differentiation engine.
//
// A Tape records operations as they run. Every op is a method on *Tape: it
// checks its operands, computes its result eagerly, and, when an operand needs
// a gradient, appends a record whose backward accumulates into the operands'
// gradients. Backward(loss) runs the records in reverse order, once.
//
// Tensors are float32, row-major. Sequences are time-major: [T, B, N] (time,
// batch, features). A Var is a value on one tape; a Param is a leaf that lives
// across tapes (a weight) and whose gradient accumulates until the optimizer
// zeroes it. Tape.Param puts a Param on a tape; Tape.Constant and Tape.Input
// wrap data that needs no gradient.
//
// # Ops
//
//   - Products: MatMul (a · b, with a [..., K] treated as rows), MatMulNT,
//     MatMulTN, MatMulTT; AddBias. A binary left operand (Var.SetBinary, as
//     spike ops mark their outputs) below the tape's event activity runs
//     event-driven.
//   - Element-wise: Add, Sub, Mul, Div, Scale, AddScalar, Neg, Square,
//     MulBias, Exp, Log, Tanh, Sigmoid, ReLU, Abs, Clamp, Mask, Where.
//   - Reductions: Sum, Mean and Max over an axis; SumAll and MeanAll to a
//     scalar of shape [].
//   - Shape: Reshape, Slice, Concat, Transpose, Permute, Gather, Pick,
//     Repeat.
//   - Losses: LogSoftmax, CrossEntropy (fused and numerically stable; a
//     sequence [T, B, C] takes the B labels of its batch), MSE.
//   - Gradient flow: Detach, NoGrad and SetGrad (no-grad mode for inference).
//   - Extension: Custom and Apply for element-wise ops with a user-given
//     derivative; New, Record, RecordOutputs, GradOf and GradBuffer for ops
//     with their own backward, and Pooled for their Backwarder values (the
//     neuron scans of package layers are built this way). Package
//     autograd/gradcheck checks any of them against central differences.
//
// # Memory
//
// Buffers come from an arena owned by the tape, and the structs of ops defined
// outside the package from its pools (Pooled). Reset forgets every Var and
// record but keeps the memory, so a training step that runs the same ops in
// the same order allocates nothing after the first one. A Var must not be
// used after the Reset of its tape.
//
// # Errors
//
// Programmer errors inside the math (a shape mismatch, Vars of two tapes mixed
// in one op) panic with a *ShapeError or *TapeError that names the op and the
// operands. Code at a boundary (the training loop) recovers them into errors.
//
// # Threads
//
// The kernels behind the ops use up to Threads() goroutines (SetThreads) and
// split work by a fixed partition: results are bit-identical for any setting.
package autograd
