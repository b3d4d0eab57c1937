package optim

import (
	"errors"
	"fmt"
)

// ErrInvalid is wrapped by every error of this package: a hyperparameter out
// of range, a parameter list an optimizer cannot take, a state that does not
// fit. Test for it with errors.Is.
var ErrInvalid = errors.New("invalid argument")

// HyperparamError reports a hyperparameter outside its valid range. The
// constructors and Validate methods return it; LR of a schedule, SetLR and the
// clipping functions panic with it, because a bad value there is a programmer
// error. It wraps ErrInvalid.
type HyperparamError struct {
	Op    string  // the function that refused it, e.g. "NewAdam" or "StepLR"
	Field string  // the field or argument, e.g. "Beta2"
	Value float64 // the value refused
	Want  string  // the valid range, e.g. "in [0, 1)"
}

// Error returns the message of the HyperparamError.
func (e *HyperparamError) Error() string {
	return fmt.Sprintf("optim: %s: %s = %v, want %s", e.Op, e.Field, e.Value, e.Want)
}

// Unwrap returns ErrInvalid.
func (e *HyperparamError) Unwrap() error { return ErrInvalid }

// ParamError reports a parameter list or an optimizer state that does not fit:
// an empty list, a nil or duplicated Param, a Grad whose length differs from
// Data, a state from another algorithm or for other Params. Constructors and
// SetState return it; Step panics with it if a Param's Data or Grad changed
// length after the optimizer was built. It wraps ErrInvalid.
type ParamError struct {
	Op    string // the function, e.g. "NewSGD" or "Adam.SetState"
	Param string // the Param's Name, when one Param is at fault
	Msg   string // what is wrong
}

// Error returns the message of the ParamError.
func (e *ParamError) Error() string {
	if e.Param == "" {
		return "optim: " + e.Op + ": " + e.Msg
	}
	return fmt.Sprintf("optim: %s: param %q: %s", e.Op, e.Param, e.Msg)
}

// Unwrap returns ErrInvalid.
func (e *ParamError) Unwrap() error { return ErrInvalid }
