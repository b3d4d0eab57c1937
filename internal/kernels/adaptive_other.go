//go:build !amd64

package kernels

// adaptAsm is false: there are no assembly loops on this architecture.
var adaptAsm = false

// adlifForwardAsm does nothing here; the Go loop does all the work.
func adlifForwardAsm(x, pu, ps, pw, par []float32, stride int, u, s, w []float32) int { return 0 }

// alifForwardAsm does nothing here; the Go loop does all the work.
func alifForwardAsm(reset ResetMode, x, pm, ps, pa, par []float32, stride int, m, s, a []float32) int {
	return 0
}

// plifForwardAsm does nothing here; the Go loop does all the work.
func plifForwardAsm(reset ResetMode, x, pm, ps, par []float32, stride int, m, s []float32) int {
	return 0
}
