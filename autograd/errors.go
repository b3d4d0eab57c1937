package autograd

import (
	"fmt"
	"strings"
)

// ShapeError reports operands whose shapes an op cannot combine. Ops panic
// with a *ShapeError: a shape mismatch inside the math is a programmer error.
// The training loop recovers it into an ordinary error.
type ShapeError struct {
	Op     string  // the op, e.g. "MatMul"
	Shapes [][]int // the operands' shapes, in argument order
	Msg    string  // what is wrong, e.g. "inner dimensions differ"
}

// Error returns the message of the ShapeError.
func (e *ShapeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "autograd: %s: %s (shapes", e.Op, e.Msg)
	for i, s := range e.Shapes {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " %v", s)
	}
	b.WriteByte(')')
	return b.String()
}

// TapeError reports a Var used with a tape it does not belong to, or a misuse
// of the tape itself (Backward from a non-scalar without a seed, for example).
// Ops panic with a *TapeError.
type TapeError struct {
	Op  string
	Msg string
}

// Error returns the message of the TapeError.
func (e *TapeError) Error() string { return "autograd: " + e.Op + ": " + e.Msg }

func shapeErr(op, msg string, vs ...*Var) *ShapeError {
	e := &ShapeError{Op: op, Msg: msg}
	for _, v := range vs {
		e.Shapes = append(e.Shapes, append([]int(nil), v.Shape()...))
	}
	return e
}
