package kernels

import (
	"math"

	"golang.org/x/sys/cpu"
)

// elemAsm selects the AVX-512 element-wise loops; tests switch it off to
// check the Go loops.
var elemAsm = cpu.X86.HasAVX512F

//go:noescape
func fastSigmoidShifted512(dst, mem, thr *float32, n int, k float32)

//go:noescape
func fusedAdam512(p, grad, m, v *float32, n int, c *AdamCoeffs)

// fastSigmoidShiftedAsm runs the AVX-512 loop over the leading multiple of
// 16 elements and returns how many it did.
func fastSigmoidShiftedAsm(dst, mem, thr []float32, k float32) int {
	n := len(dst) &^ 15
	if !elemAsm || n == 0 {
		return 0
	}
	fastSigmoidShifted512(&dst[0], &mem[0], &thr[0], n, k)
	return n
}

func fusedAdamAsm(p, g, m, v []float32, c *AdamCoeffs) int {
	n := len(p) &^ 15
	if !elemAsm || n == 0 {
		return 0
	}
	fusedAdam512(&p[0], &g[0], &m[0], &v[0], n, c)
	return n
}

func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

//go:noescape
func add512(dst, src *float32, n int)

func addAsm(dst, src []float32) int {
	n := len(src) &^ 15
	if !elemAsm || n == 0 {
		return 0
	}
	add512(&dst[0], &src[0], n)
	return n
}
