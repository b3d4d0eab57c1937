package kernels

import "golang.org/x/sys/cpu"

//go:noescape
func lifFwdSub512(n int, x, pm, ps, be, th, m, s *float32)

//go:noescape
func lifFwdZero512(n int, x, pm, ps, be, th, m, s *float32)

//go:noescape
func lifFwdNone512(n int, x, pm, ps, be, th, m, s *float32)

//go:noescape
func lifBwd512(n int, aN, ds, dm, sg, mt, rN, pm, r, dIn, be, th, db, dt *float32, rs, rz, rg float32)

//go:noescape
func lifBwdNoAcc512(n int, aN, ds, dm, sg, mt, rN, dIn, be, th *float32, rs, rz, rg float32)

//go:noescape
func lifBwdFast512(n int, aN, ds, dm, sg, mt, rN, dIn, be, th, sum *float32, rs, rz, rg, k float32, flags int)

// lifAsm selects the AVX-512 loops of the LIF and Synaptic scans; tests
// switch it off to check the Go loops.
var lifAsm = cpu.X86.HasAVX512F

// lifForwardAsm runs the forward step on the leading multiple of 16
// elements of m in assembly, when available, and returns how many it did.
// All slices must be at least as long as m.
func lifForwardAsm(reset ResetMode, x, pm, ps, be, th, m, s []float32) int {
	k := len(m) &^ 15
	if !lifAsm || k == 0 {
		return 0
	}
	_, _, _, _, _, _ = x[k-1], pm[k-1], ps[k-1], be[k-1], th[k-1], s[k-1]
	switch reset {
	case ResetSubtract:
		lifFwdSub512(k, &x[0], &pm[0], &ps[0], &be[0], &th[0], &m[0], &s[0])
	case ResetZero:
		lifFwdZero512(k, &x[0], &pm[0], &ps[0], &be[0], &th[0], &m[0], &s[0])
	default:
		lifFwdNone512(k, &x[0], &pm[0], &ps[0], &be[0], &th[0], &m[0], &s[0])
	}
	return k
}

// lifBackwardAsm runs the backward step (see lifBwd512) on the leading
// multiple of 16 elements of dIn in assembly, when available, and returns how
// many it did. With sums false it leaves db and dt alone. All slices must be
// at least as long as dIn.
func lifBackwardAsm(reset ResetMode, resetGrad, sums bool, aN, ds, dm, sg, mt, rN, pm, r, dIn, be, th, db, dt []float32) int {
	k := len(dIn) &^ 15
	if !lifAsm || k == 0 {
		return 0
	}
	_, _, _, _, _, _, _ = aN[k-1], ds[k-1], dm[k-1], sg[k-1], mt[k-1], rN[k-1], pm[k-1]
	_, _, _, _, _ = r[k-1], be[k-1], th[k-1], db[k-1], dt[k-1]
	var rs, rz, rg float32
	switch reset {
	case ResetSubtract:
		rs = 1
	case ResetZero:
		rz = 1
	}
	if resetGrad {
		rg = 1
	}
	if !sums {
		lifBwdNoAcc512(k, &aN[0], &ds[0], &dm[0], &sg[0], &mt[0], &rN[0], &dIn[0], &be[0], &th[0], rs, rz, rg)
		return k
	}
	lifBwd512(k, &aN[0], &ds[0], &dm[0], &sg[0], &mt[0], &rN[0], &pm[0], &r[0], &dIn[0], &be[0], &th[0], &db[0], &dt[0], rs, rz, rg)
	return k
}

//go:noescape
func synFwdSub512(n int, x, py, pm, ps, al, be, th, y, m, s *float32)

//go:noescape
func synFwdZero512(n int, x, py, pm, ps, al, be, th, y, m, s *float32)

//go:noescape
func synFwdNone512(n int, x, py, pm, ps, al, be, th, y, m, s *float32)

//go:noescape
func synBwdA512(n int, carry, ds, dm, sg, mt, rN, be, th, gsg *float32, rs, rz, rg float32)

//go:noescape
func synBwdB512(n int, carry, qN, al, dIn, py, pm, r, da, db, dt, gsg *float32, rs, rz float32, sums int)

// synForwardAsm runs the forward Synaptic step on the leading multiple of 16
// elements of m in assembly, when available (lifAsm), and returns how many it
// did. All slices must be at least as long as m.
func synForwardAsm(reset ResetMode, x, py, pm, ps, al, be, th, y, m, s []float32) int {
	k := len(m) &^ 15
	if !lifAsm || k == 0 {
		return 0
	}
	_, _, _, _, _, _, _, _, _ = x[k-1], py[k-1], pm[k-1], ps[k-1], al[k-1], be[k-1], th[k-1], y[k-1], s[k-1]
	switch reset {
	case ResetSubtract:
		synFwdSub512(k, &x[0], &py[0], &pm[0], &ps[0], &al[0], &be[0], &th[0], &y[0], &m[0], &s[0])
	case ResetZero:
		synFwdZero512(k, &x[0], &py[0], &pm[0], &ps[0], &al[0], &be[0], &th[0], &y[0], &m[0], &s[0])
	default:
		synFwdNone512(k, &x[0], &py[0], &pm[0], &ps[0], &al[0], &be[0], &th[0], &y[0], &m[0], &s[0])
	}
	return k
}

// synBackwardAsm runs the backward Synaptic step (synBwdA512, then
// synBwdB512) on the leading multiple of 16 elements of dIn in assembly, when
// available, and returns how many it did. All slices must be at least as long
// as dIn.
func synBackwardAsm(rs, rz, rg float32, sums bool, carry, ds, dm, sg, mt, rN, be, th, g, qN, al, dIn, py, pm, r, da, db, dt []float32) int {
	k := len(dIn) &^ 15
	if !lifAsm || k == 0 {
		return 0
	}
	_, _, _, _, _, _, _, _, _ = carry[k-1], ds[k-1], dm[k-1], sg[k-1], mt[k-1], rN[k-1], be[k-1], th[k-1], g[k-1]
	_, _, _, _, _, _, _, _ = qN[k-1], al[k-1], py[k-1], pm[k-1], r[k-1], da[k-1], db[k-1], dt[k-1]
	synBwdA512(k, &carry[0], &ds[0], &dm[0], &sg[0], &mt[0], &rN[0], &be[0], &th[0], &g[0], rs, rz, rg)
	s := 0
	if sums {
		s = 1
	}
	synBwdB512(k, &carry[0], &qN[0], &al[0], &dIn[0], &py[0], &pm[0], &r[0], &da[0], &db[0], &dt[0], &g[0], rs, rz, s)
	return k
}

// lifBackwardFastAsm runs lifBwdFast512 on the leading multiple of 16
// elements of dIn, when the assembly loops are available, and returns how
// many it did. With k > 0 it computes the fast-sigmoid surrogate of slope k
// itself and sg is not read; with sum not nil it also sets (first) or adds
// the input gradient into sum. All other slices must be at least as long as
// dIn.
func lifBackwardFastAsm(reset ResetMode, resetGrad bool, k float32, first bool, aN, ds, dm, sg, mt, rN, dIn, be, th, sum []float32) int {
	v := len(dIn) &^ 15
	if !lifAsm || v == 0 {
		return 0
	}
	_, _, _, _, _, _, _ = aN[v-1], ds[v-1], dm[v-1], mt[v-1], rN[v-1], be[v-1], th[v-1]
	flags := 0
	sgp := (*float32)(nil)
	if k > 0 {
		flags |= 1
	} else {
		_ = sg[v-1]
		sgp = &sg[0]
	}
	sp := (*float32)(nil)
	if sum != nil {
		_ = sum[v-1]
		sp = &sum[0]
		flags |= 2
		if first {
			flags |= 4
		}
	}
	var rs, rz, rg float32
	switch reset {
	case ResetSubtract:
		rs = 1
	case ResetZero:
		rz = 1
	}
	if resetGrad {
		rg = 1
	}
	lifBwdFast512(v, &aN[0], &ds[0], &dm[0], sgp, &mt[0], &rN[0], &dIn[0], &be[0], &th[0], sp, rs, rz, rg, k, flags)
	return v
}
