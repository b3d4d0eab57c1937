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
	// cpuLoadBoundAVX512: AVX-512 on a core that retires two 512-bit fused
	// multiply-adds per cycle but only two vector loads, so that a kernel
	// whose multiply-adds each carry their own broadcast load is bound by
	// its loads: AMD family 26 (Zen 5, 0x1A). Zen 4 (family 25) executes a
	// 512-bit multiply-add in two halves, one per cycle, and is bound by
	// its multiply-adds either way; it keeps the embedded-broadcast kernels
	// that were measured on it. Other vendors' cores were not measured and
	// keep them too.
	cpuLoadBoundAVX512 = cpuAVX512 && amdFamily() >= 26
)
