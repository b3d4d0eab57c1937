// Package kernels holds the numeric floor of spikegrad: dense float32 SGEMM in
// the NN, TN and NT forms, event-driven products of binary spike matrices with
// dense matrices, and fused neuron scans over time.
//
// All matrices are row-major float32 slices with an explicit leading dimension.
// The default build is pure Go with amd64 assembly micro-kernels (AVX2+FMA and
// AVX-512, chosen at run time from the CPU features) and a portable Go fallback.
// The build tag openblas replaces the dense SGEMM with OpenBLAS through cgo.
//
// Parallel kernels split their work by a fixed partition that does not depend
// on GOMAXPROCS or on the number of worker goroutines, so their results are
// bit-identical however many threads run them.
//
// The package is internal: its API may change without notice.
package kernels
