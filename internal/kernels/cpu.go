package kernels

import "golang.org/x/sys/cpu"

// CPU features that select the SGEMM micro-kernels. golang.org/x/sys/cpu
// reports a feature only when the operating system also saves the matching
// register state, so these are safe to act on.
var (
	// cpuAVX2FMA: 256-bit AVX2 with fused multiply-add (ymm kernels).
	cpuAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	// cpuAVX: 256-bit AVX shuffles (the transposing packers).
	cpuAVX = cpu.X86.HasAVX
	// cpuAVX512: AVX-512 Foundation (zmm kernels with embedded broadcast).
	cpuAVX512 = cpu.X86.HasAVX512F
)
