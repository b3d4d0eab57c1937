//go:build !amd64

package kernels

// bestRowKernels is the portable Go implementation on architectures without
// assembly helpers.
func bestRowKernels() rowKernels { return goRowKernels }

// availableRowKernels lists every implementation this CPU can run, for tests.
func availableRowKernels() []rowKernels { return []rowKernels{goRowKernels} }
