package kernels

import (
	"fmt"
	"unsafe"
)

// microKernel is one SGEMM micro-kernel: fn computes an mr x nr tile
//
//	C = alpha * (Apanel * Bpanel) + beta * C    (beta == 0: C is not read)
//
// and stores its first rows x cols elements; a kernel without partial
// accepts only rows == mr and cols == nr (the caller then goes through a
// scratch tile). Elements outside rows x cols are neither read nor written.
//
// from kc packed columns of A (a[p*mr+i]) and kc rows of nr values of B with
// row stride ldb (b[p*ldb+j]: ldb == nr for a packed panel, or the matrix's
// own stride when B's rows are used in place); c points at the tile's first
// element and ldc is its row stride in elements. kc >= 1. The sum over p runs in order, one
// multiply-add per step into each output, so a tile's result depends only on
// its packed panels, never on where the tile sits or who computes it.
type microKernel struct {
	name    string
	mr, nr  int
	partial bool // fn handles rows < mr and cols < nr
	fn      func(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, rows, cols int)
}

// gemmPath names a family of micro-kernels.
type gemmPath int

const (
	pathGo      gemmPath = iota // portable Go, any CPU
	pathAVX2                    // amd64 AVX2 + FMA, ymm registers
	pathAVX512                  // amd64 AVX-512F, zmm registers, A broadcast inside the multiply-adds
	pathAVX512R                 // amd64 AVX-512F, zmm registers, A broadcast into registers
)

func (p gemmPath) String() string {
	switch p {
	case pathGo:
		return "go"
	case pathAVX2:
		return "avx2"
	case pathAVX512:
		return "avx512"
	case pathAVX512R:
		return "avx512r"
	}
	return fmt.Sprintf("gemmPath(%d)", int(p))
}

// goKernel4x8 is the portable micro-kernel.
var goKernel4x8 = &microKernel{name: "go_4x8", mr: 4, nr: 8, partial: true, fn: goKern4x8}

func goKern4x8(kc int, ap, bp *float32, ldb int, cp *float32, ldc int, alpha, beta float32, rows, cols int) {
	const mr, nr = 4, 8
	a := unsafe.Slice(ap, kc*mr)
	b := unsafe.Slice(bp, (kc-1)*ldb+nr)
	c := unsafe.Slice(cp, (rows-1)*ldc+cols)
	var acc [mr][nr]float32
	for p := 0; p < kc; p++ {
		av := a[p*mr : p*mr+mr : p*mr+mr]
		bv := b[p*ldb : p*ldb+nr : p*ldb+nr]
		for i := range mr {
			x := av[i]
			r := &acc[i]
			r[0] += x * bv[0]
			r[1] += x * bv[1]
			r[2] += x * bv[2]
			r[3] += x * bv[3]
			r[4] += x * bv[4]
			r[5] += x * bv[5]
			r[6] += x * bv[6]
			r[7] += x * bv[7]
		}
	}
	for i := range rows {
		row := c[i*ldc : i*ldc+cols : i*ldc+cols]
		for j := range cols {
			t := acc[i][j] * alpha
			if beta != 0 {
				t += beta * row[j]
			}
			row[j] = t
		}
	}
}

// The active path and its kernels, set at init from the CPU features; tests
// and benchmarks switch them with setGemmPath.
var (
	// gemmActivePath is the path whose kernels are in use.
	gemmActivePath = bestGemmPath()
	// gemmKernels are the micro-kernels Sgemm chooses from, per call, by how
	// little of their tiles the shape wastes.
	gemmKernels = kernelsFor(gemmActivePath)
	// gemmDot is the small-n dot-product kernel of the path, or nil when the
	// path has none (then small n takes the swapped tile path).
	gemmDot = asmDotKernel(gemmActivePath)
)

// bestGemmPath is the fastest path this CPU supports.
func bestGemmPath() gemmPath {
	switch {
	case asmAvailable && cpuLoadBoundAVX512:
		return pathAVX512R
	case asmAvailable && cpuAVX512:
		return pathAVX512
	case asmAvailable && cpuAVX2FMA:
		return pathAVX2
	}
	return pathGo
}

// gemmPathSupported reports whether this build and CPU can run path p.
func gemmPathSupported(p gemmPath) bool {
	switch p {
	case pathGo:
		return true
	case pathAVX2:
		return asmAvailable && cpuAVX2FMA
	case pathAVX512, pathAVX512R:
		return asmAvailable && cpuAVX512
	}
	return false
}

// setGemmPath makes Sgemm use the kernels of path p (for pathGo also the
// portable packers) and returns the previous path, for
// defer setGemmPath(setGemmPath(p)). It is for tests and benchmarks and must
// not run concurrently with Sgemm. It panics if the CPU or the build lacks p.
func setGemmPath(p gemmPath) (prev gemmPath) {
	if !gemmPathSupported(p) {
		panic(fmt.Sprintf("kernels: setGemmPath: %v is not supported on this CPU or build", p))
	}
	prev = gemmActivePath
	gemmActivePath = p
	gemmKernels = kernelsFor(p)
	gemmDot = asmDotKernel(p)
	transposeAsm = p != pathGo && asmAvailable && cpuAVX
	return prev
}

func kernelsFor(p gemmPath) []*microKernel {
	if p == pathGo {
		return []*microKernel{goKernel4x8}
	}
	return asmKernels(p)
}
