//go:build !amd64

package kernels

import "math"

func fastSigmoidShiftedAsm(dst, mem, thr []float32, k float32) int { return 0 }

func fusedAdamAsm(p, g, m, v []float32, c *AdamCoeffs) int { return 0 }

func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

func addAsm(dst, src []float32) int { return 0 }

// elemAsm is false where there are no assembly loops; tests toggle it.
var elemAsm = false
