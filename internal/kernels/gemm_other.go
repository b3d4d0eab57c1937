//go:build !amd64 || purego

package kernels

// Without amd64 assembly only the portable Go micro-kernel exists.
const asmAvailable = false

func asmKernels(p gemmPath) []*microKernel { return nil }
