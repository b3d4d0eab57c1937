// Package gradcheck checks the analytic gradients of an autograd computation
// against central finite differences, like torch.autograd.gradcheck. Use it
// to test ops built with Tape.Record or Tape.Custom, layers and whole networks.
//
// The computation's output y (any shape) is reduced to the scalar
// L = Σ w_i · y_i with fixed random weights w, accumulated in float64 by the
// checker, so that every output element is checked and the finite
// differences suffer only the rounding of the computation itself. For every
// element x_j of every input Param, the analytic dL/dx_j from the tape is
// compared with (L(x_j + h) - L(x_j - h)) / 2h.
package gradcheck
