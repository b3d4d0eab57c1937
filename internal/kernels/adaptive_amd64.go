package kernels

import "golang.org/x/sys/cpu"

//go:noescape
func adlifFwd512(n int, x, pu, ps, pw, par *float32, stride int, u, s, w *float32)

//go:noescape
func alifFwd512(n int, x, pm, ps, pa, par *float32, stride int, m, s, a *float32, reset int)

//go:noescape
func plifFwd512(n int, x, pm, ps, par *float32, stride int, m, s *float32, reset int)

// adaptAsm selects the AVX-512 loops of the adaptive scans; tests switch it
// off to check the Go loops.
var adaptAsm = cpu.X86.HasAVX512F

// adlifForwardAsm runs the AdLIF forward step on the leading multiple of 16
// elements of u in assembly, when available, and returns how many it did.
// par holds alpha, beta, a, b and thr, each stride floats long, in that
// order; every other slice must be at least as long as u.
func adlifForwardAsm(x, pu, ps, pw, par []float32, stride int, u, s, w []float32) int {
	k := len(u) &^ 15
	if !adaptAsm || k == 0 {
		return 0
	}
	_, _, _, _, _, _ = x[k-1], pu[k-1], ps[k-1], pw[k-1], s[k-1], w[k-1]
	_ = par[4*stride+k-1]
	adlifFwd512(k, &x[0], &pu[0], &ps[0], &pw[0], &par[0], stride, &u[0], &s[0], &w[0])
	return k
}

// alifForwardAsm runs the ALIF forward step as adlifForwardAsm does; par
// holds beta, b0, rho and adapt.
func alifForwardAsm(reset ResetMode, x, pm, ps, pa, par []float32, stride int, m, s, a []float32) int {
	k := len(m) &^ 15
	if !adaptAsm || k == 0 {
		return 0
	}
	_, _, _, _, _, _ = x[k-1], pm[k-1], ps[k-1], pa[k-1], s[k-1], a[k-1]
	_ = par[3*stride+k-1]
	alifFwd512(k, &x[0], &pm[0], &ps[0], &pa[0], &par[0], stride, &m[0], &s[0], &a[0], int(reset))
	return k
}

// plifForwardAsm runs the PLIF forward step as adlifForwardAsm does; par
// holds k and thr.
func plifForwardAsm(reset ResetMode, x, pm, ps, par []float32, stride int, m, s []float32) int {
	k := len(m) &^ 15
	if !adaptAsm || k == 0 {
		return 0
	}
	_, _, _, _ = x[k-1], pm[k-1], ps[k-1], s[k-1]
	_ = par[stride+k-1]
	plifFwd512(k, &x[0], &pm[0], &ps[0], &par[0], stride, &m[0], &s[0], int(reset))
	return k
}
