//go:build !amd64 || purego

package kernels

// amdFamily is 0 where CPUID is not available to this build.
func amdFamily() int { return 0 }
