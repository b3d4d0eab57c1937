package surrogate

import (
	"fmt"
	"math"
	"strconv"
)

// Func is a surrogate derivative of the spike's step function, a function of
// x = v - threshold (membrane potential minus threshold, in the units of v).
//
// Grad(x) is the surrogate derivative that the backward pass uses in place of
// the step's Dirac delta. Smooth(x) is the smooth function whose derivative
// Grad is: a stand-in for the step H(x) that rises around x = 0. Every
// built-in defines Smooth as the integral of Grad from -∞ to x, so Smooth
// starts at 0 far below the threshold and ends at the area under Grad (which
// need not be 1: the doc comment of each built-in states its range).
// String names the surrogate with its hyperparameters, as in
// "FastSigmoid(slope=25)".
//
// Implementations must be safe for concurrent use (the built-ins are plain
// values) and should keep Grad finite for every finite x. The conformance
// suite in surrogate/surrogatetest checks these promises.
type Func interface {
	Grad(x float32) float32
	Smooth(x float32) float32
	String() string
}

// Sparse is a Func whose gradient vanishes below a cutoff: Grad(x) == 0
// exactly for every x <= Cutoff(). A backward pass may skip neurons whose
// x = v - threshold is at or below the cutoff: their gradient is zero.
// SparseFastSigmoid, Triangle and Boxcar implement it.
type Sparse interface {
	Func
	Cutoff() float32
}

// ParamError reports a surrogate hyperparameter or a spike threshold outside
// its domain. The built-ins' methods and the Spike ops panic with a
// *ParamError: a bad hyperparameter is a programmer error. Use Validate to
// check a Func that comes from a configuration file.
type ParamError struct {
	Op    string  // the surrogate or op, e.g. "FastSigmoid" or "Spike"
	Name  string  // the parameter, e.g. "Slope"
	Value float32 // the offending value (0 when there is none, as for a nil Func)
	Msg   string  // what is wrong, e.g. "= -1: must be positive and finite"
}

// Error returns the message of the ParamError.
func (e *ParamError) Error() string { return "surrogate: " + e.Op + ": " + e.Name + " " + e.Msg }

// Validate reports whether f's hyperparameters are usable: it returns the
// *ParamError that f's methods would panic with, or nil. Configuration code
// calls it so that a bad value becomes an ordinary error instead of a panic.
func Validate(f Func) (err error) {
	if f == nil {
		return &ParamError{Op: "Validate", Name: "Func", Msg: "is nil"}
	}
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(*ParamError)
			if !ok {
				panic(r)
			}
			err = pe
		}
	}()
	f.Grad(0)
	f.Smooth(0)
	return nil
}

// param resolves a hyperparameter: zero selects the default, a positive
// finite value is used as given, anything else panics with a *ParamError.
func param(op, name string, v, def float32) float32 {
	if v == 0 {
		return def
	}
	if v > 0 && v <= math.MaxFloat32 {
		return v
	}
	badParam(op, name, v)
	return 0
}

// badParam panics with the *ParamError for a hyperparameter that is negative,
// NaN or infinite. It is kept out of param so that param stays small.
//
//go:noinline
func badParam(op, name string, v float32) {
	panic(&ParamError{Op: op, Name: name, Value: v,
		Msg: fmt.Sprintf("= %v: must be positive and finite (0 selects the default)", v)})
}

// finitePeak panics unless the peak value implied by the hyperparameters
// fits in a float32.
func finitePeak(op string, peak float64) {
	if !(peak <= math.MaxFloat32) {
		panic(&ParamError{Op: op, Name: "peak", Value: float32(math.Inf(1)),
			Msg: fmt.Sprintf("%g implied by the hyperparameters exceeds the float32 range", peak)})
	}
}

// fmtParam formats a hyperparameter for String: zero shows the default, and
// the shortest decimal that reads back to the same float32.
func fmtParam(v, def float32) string {
	if v == 0 {
		v = def
	}
	return strconv.FormatFloat(float64(v), 'g', -1, 32)
}

// abs32 is |x| by clearing the sign bit: branch-free and exact.
func abs32(x float32) float32 {
	return math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
}

// abs64 is |x| of a float32 as a float64.
func abs64(x float32) float64 { return float64(abs32(x)) }
