//go:build !amd64

package kernels

// lifAsm is false: there are no assembly loops on this architecture.
var lifAsm = false

// lifForwardAsm does nothing here; the Go loops do all the work.
func lifForwardAsm(reset ResetMode, x, pm, ps, be, th, m, s []float32) int { return 0 }

// lifBackwardAsm does nothing here; the Go loops do all the work.
func lifBackwardAsm(reset ResetMode, resetGrad, sums bool, aN, ds, dm, sg, mt, rN, pm, r, dIn, be, th, db, dt []float32) int {
	return 0
}

// synForwardAsm does nothing here; the Go loops do all the work.
func synForwardAsm(reset ResetMode, x, py, pm, ps, al, be, th, y, m, s []float32) int { return 0 }

// synBackwardAsm does nothing here; the Go loops do all the work.
func synBackwardAsm(rs, rz, rg float32, sums bool, carry, ds, dm, sg, mt, rN, be, th, g, qN, al, dIn, py, pm, r, da, db, dt []float32) int {
	return 0
}

// lifBackwardFastAsm does nothing here; the Go loops do all the work.
func lifBackwardFastAsm(reset ResetMode, resetGrad bool, k float32, first bool, aN, ds, dm, sg, mt, rN, dIn, be, th, sum []float32) int {
	return 0
}
