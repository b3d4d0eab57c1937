//go:build !openblas

package kernels

// sgemmThreadExact says whether Sgemm gives the same bits for any thread
// count and any split of its rows: the pure-Go SGEMM does (each element is
// summed over the same K blocks in the same order).
const sgemmThreadExact = true
