//go:build openblas

package kernels

// sgemmThreadExact says whether Sgemm gives the same bits for any thread
// count and any split of its rows: OpenBLAS does not promise it (see Sgemm in
// openblas.go), so the tests of bit-identical results across thread counts
// of kernels built on Sgemm skip in this build.
const sgemmThreadExact = false
