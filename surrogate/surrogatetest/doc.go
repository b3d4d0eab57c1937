// Package surrogatetest is the conformance suite for surrogate.Func
// implementations. Run it on a built-in or on your own surrogate:
//
//	func TestMine(t *testing.T) {
//		surrogatetest.Run(t, surrogatetest.Case{Func: Mine{Width: 2}, Peak: 0.5, PeakAt: 0})
//	}
//
// A Case states what the surrogate's documentation promises: the peak of
// Grad and where it is taken, the points where Grad has a kink or a jump
// (Breaks), and whether Grad may be negative (Signed). Check tests that Grad
// is the derivative of Smooth (central differences with a step and a
// tolerance derived from the surrogate's width and peak), that Grad and
// Smooth are finite for every finite input from the smallest denormal to
// MaxFloat32, that Grad is non-negative and Smooth non-decreasing, that the
// peak is where the Case says and nothing exceeds it, and, for a
// surrogate.Sparse, that Grad is exactly zero at and below the cutoff. It
// returns one *Failure per broken promise, naming the worst input found, so a
// test can inspect it; Run reports them through testing.TB.
package surrogatetest
