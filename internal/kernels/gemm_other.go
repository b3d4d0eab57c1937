//go:build !amd64 || purego

package kernels

import "unsafe"

// Without amd64 assembly only the portable Go micro-kernel exists.
const asmAvailable = false

func asmKernels(p gemmPath) []*microKernel { return nil }

func asmDotKernel(p gemmPath) *dotKernel { return nil }

// transpose8x8 is never called in this build (transposeAsm is false); it
// exists so that the packers compile, and does what the amd64 version does.
func transpose8x8(dst *float32, dstStride int, src *float32, srcStride int, n int) {
	d := unsafe.Slice(dst, (n-1)*dstStride+8)
	s := unsafe.Slice(src, 7*srcStride+n)
	transpose8Go(d, dstStride, s, srcStride, n)
}

// copyPanels is never called in this build (transposeAsm is false); it
// exists so that the packers compile, and does what the amd64 version does.
func copyPanels(dst *float32, stride int, src *float32, ld int, rows, panels, w int) {
	d := unsafe.Slice(dst, (rows-1)*w+(panels-1)*stride+w)
	s := unsafe.Slice(src, (rows-1)*ld+panels*w)
	for p := range rows {
		for q := range panels {
			copy(d[p*w+q*stride:p*w+q*stride+w], s[p*ld+q*w:])
		}
	}
}
