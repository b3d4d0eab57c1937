//go:build amd64 && !purego

package kernels

// cpuid runs the CPUID instruction with EAX = leaf and ECX = sub.
//
//go:noescape
func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)

// amdFamily is the CPU family of an AMD processor (CPUID leaf 1: base family
// plus extended family when the base is 0xF), or 0 for any other vendor.
func amdFamily() int {
	_, b, c, d := cpuid(0, 0)
	// "AuthenticAMD" in EBX, EDX, ECX.
	if b != 0x68747541 || d != 0x69746e65 || c != 0x444d4163 {
		return 0
	}
	a, _, _, _ := cpuid(1, 0)
	family := int(a>>8) & 0xf
	if family == 0xf {
		family += int(a>>20) & 0xff
	}
	return family
}
