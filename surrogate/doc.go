// Package surrogate holds the surrogate derivatives that make the spike's step
// function trainable, and the Spike op that uses them.
//
// The forward pass of a spike is the Heaviside step H(x) with x = v - threshold:
// 1 if x > 0, else 0. Its true derivative is zero almost everywhere, so the
// backward pass substitutes the derivative of a smooth function: Func.Grad(x) is
// that derivative and Func.Smooth(x) the smooth function itself, a stand-in for
// H that rises from 0 to 1 around x = 0. The conformance suite in
// surrogate/surrogatetest checks that every Func keeps these promises.
package surrogate
