package kernels

import "golang.org/x/sys/cpu"

// The assembly helpers in axpy_amd64.s and spike_amd64.s. Their pointer
// arguments must cover the ranges described on rowKernels; the Go wrappers
// below take slices and rely on the callers' checks.

//go:noescape
func gatherSum512(dst, w *float32, ldw int, idx *int32, nidx, ncols int, alpha, beta float32, combine int)

//go:noescape
func scatterAdd512(gr *float32, ldg int, idx *int32, nidx int, d *float32, ncols int, alpha float32)

//go:noescape
func gatherRows4x16(dst *float32, ldc int, w *float32, ldw int, idx, ptr *int32, ncols int, alpha, beta float32, combine int)

//go:noescape
func nonzeroIdx512(x *float32, n int, out *int32) int

//go:noescape
func gatherSum256(dst, w *float32, ldw int, idx *int32, nidx, ncols int, alpha, beta float32, combine int)

//go:noescape
func scatterAdd256(gr *float32, ldg int, idx *int32, nidx int, d *float32, ncols int, alpha float32)

//go:noescape
func nonzeroIdx256(x *float32, n int, out *int32) int

var (
	avx512RowKernels = rowKernels{name: "avx512", gather: gather512, gather4: gather4x512, scatter: scatter512, nonzero: nonzero512}
	avx2RowKernels   = rowKernels{name: "avx2", gather: gather256, scatter: scatter256, nonzero: nonzero256}
)

// bestRowKernels picks AVX-512 (F, BW and VL: masked loads and stores of
// float32 lanes, 16-bit mask moves) when the CPU and OS support it, then
// AVX2, then portable Go.
func bestRowKernels() rowKernels {
	switch {
	case cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL && cpu.X86.HasPOPCNT:
		return avx512RowKernels
	case cpu.X86.HasAVX2:
		return avx2RowKernels
	}
	return goRowKernels
}

// availableRowKernels lists every implementation this CPU can run, for tests.
func availableRowKernels() []rowKernels {
	ks := []rowKernels{goRowKernels}
	if cpu.X86.HasAVX2 {
		ks = append(ks, avx2RowKernels)
	}
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL && cpu.X86.HasPOPCNT {
		ks = append(ks, avx512RowKernels)
	}
	return ks
}

func gather512(dst, w []float32, ldw int, idx []int32, ncols int, alpha, beta float32) {
	if ncols <= 0 {
		return
	}
	combine := 0
	if beta != 0 {
		combine = 1
	}
	ip, wp := idxPtr(idx), floatPtr(w)
	gatherSum512(&dst[0], wp, ldw, ip, len(idx), ncols, alpha, beta, combine)
}

func gather4x512(dst []float32, ldc int, w []float32, ldw int, idx, ptr []int32, ncols int, alpha, beta float32) {
	combine := 0
	if beta != 0 {
		combine = 1
	}
	_ = ptr[4]
	_ = dst[3*ldc+ncols-1]
	gatherRows4x16(&dst[0], ldc, floatPtr(w), ldw, idxPtr(idx), &ptr[0], ncols, alpha, beta, combine)
}

func scatter512(g []float32, ldg int, idx []int32, d []float32, ncols int, alpha float32) {
	if ncols <= 0 || len(idx) == 0 {
		return
	}
	scatterAdd512(&g[0], ldg, &idx[0], len(idx), &d[0], ncols, alpha)
}

func nonzero512(x []float32, out []int32) int {
	if len(x) == 0 {
		return 0
	}
	_ = out[len(x)+15]
	return nonzeroIdx512(&x[0], len(x), &out[0])
}

// The AVX2 versions process whole groups of 8 columns (ncols &^ 7) in
// assembly and the remaining columns with the Go version, which adds in the
// same order.

func gather256(dst, w []float32, ldw int, idx []int32, ncols int, alpha, beta float32) {
	body := ncols &^ 7
	if body > 0 {
		combine := 0
		if beta != 0 {
			combine = 1
		}
		ip, wp := idxPtr(idx), floatPtr(w)
		gatherSum256(&dst[0], wp, ldw, ip, len(idx), body, alpha, beta, combine)
	}
	if body < ncols {
		gatherGo(dst[body:], w[body:], ldw, idx, ncols-body, alpha, beta)
	}
}

func scatter256(g []float32, ldg int, idx []int32, d []float32, ncols int, alpha float32) {
	if len(idx) == 0 {
		return
	}
	body := ncols &^ 7
	if body > 0 {
		scatterAdd256(&g[0], ldg, &idx[0], len(idx), &d[0], body, alpha)
	}
	if body < ncols {
		scatterGo(g[body:], ldg, idx, d[body:], ncols-body, alpha)
	}
}

func nonzero256(x []float32, out []int32) int {
	body := len(x) &^ 7
	n := 0
	if body > 0 {
		_ = out[len(x)+15]
		n = nonzeroIdx256(&x[0], body, &out[0])
	}
	for j := body; j < len(x); j++ {
		if x[j] != 0 {
			out[n] = int32(j)
			n++
		}
	}
	return n
}

// idxPtr is &x[0], or nil for an empty slice.
func idxPtr(x []int32) *int32 {
	if len(x) == 0 {
		return nil
	}
	return &x[0]
}

// floatPtr is &x[0], or nil for an empty slice.
func floatPtr(x []float32) *float32 {
	if len(x) == 0 {
		return nil
	}
	return &x[0]
}
