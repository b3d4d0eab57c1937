// Package surrogatetest is the conformance suite for surrogate.Func
// implementations. Run it on a built-in or on your own surrogate:
//
//	func TestMine(t *testing.T) {
//		surrogatetest.Run(t, surrogatetest.Case{Func: Mine{Width: 2}, Peak: 0.5, PeakAt: 0})
//	}
package surrogatetest
