package kernels

import "golang.org/x/sys/cpu"

//go:noescape
func adlifFwd512(n int, x, pu, ps, pw, par *float32, stride int, u, s, w *float32)

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
