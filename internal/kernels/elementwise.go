package kernels

import "fmt"

// Fused element-wise loops: the fast-sigmoid surrogate derivative of
// membrane potentials and the Adam update. Each has an AVX-512 path and a Go
// path that perform the same float32 operations in the same order (no fused
// multiply-add), so their results are bit-identical on every CPU.

// FastSigmoidShifted sets dst[i] = 1/(1 + k·|mem[i] - thr[i]|)², the
// fast-sigmoid (SuperSpike) surrogate derivative of spikes of membranes mem
// at thresholds thr, computed as d = (k·|x|) + 1, r = 1/d, r·r with every
// operation rounded to float32. All slices must be as long as dst.
func FastSigmoidShifted(dst, mem, thr []float32, k float32) {
	if len(mem) < len(dst) || len(thr) < len(dst) {
		panic(fmt.Sprintf("kernels: FastSigmoidShifted: dst %d, mem %d, thr %d values", len(dst), len(mem), len(thr)))
	}
	i := fastSigmoidShiftedAsm(dst, mem, thr, k)
	mem, thr = mem[:len(dst)], thr[:len(dst)]
	for ; i < len(dst); i++ {
		x := mem[i] - thr[i]
		if x < 0 {
			x = -x
		}
		r := 1 / (float32(k*x) + 1)
		dst[i] = r * r
	}
}

// AdamCoeffs are the scalars of one Adam step for FusedAdam, float32 as the
// update uses them.
type AdamCoeffs struct {
	B1, C1 float32 // m ← B1·m + C1·g (C1 = 1 - β₁)
	B2, C2 float32 // v ← B2·v + (C2·g)·g (C2 = 1 - β₂)
	Step   float32 // lr / (1 - β₁ᵗ)
	RBC2   float32 // 1 / sqrt(1 - β₂ᵗ)
	Eps    float32
}

// FusedAdam applies the Adam update without weight decay to p with gradient
// g and moments m and v (all of p's length):
//
//	m ← B1·m + C1·g
//	v ← B2·v + (C2·g)·g
//	p ← p - (Step·m) / (sqrt(v)·RBC2 + Eps)
//
// each operation rounded to float32 in this order (the square root
// correctly rounded).
func FusedAdam(p, g, m, v []float32, c *AdamCoeffs) {
	if len(g) < len(p) || len(m) < len(p) || len(v) < len(p) {
		panic(fmt.Sprintf("kernels: FusedAdam: p %d, g %d, m %d, v %d values", len(p), len(g), len(m), len(v)))
	}
	i := fusedAdamAsm(p, g, m, v, c)
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for ; i < len(p); i++ {
		d := g[i]
		mi := float32(c.B1*m[i]) + float32(c.C1*d)
		vi := float32(c.B2*v[i]) + float32(float32(c.C2*d)*d)
		m[i], v[i] = mi, vi
		den := float32(sqrt32(vi)*c.RBC2) + c.Eps
		p[i] -= float32(c.Step*mi) / den
	}
}

// Add adds src into dst element by element (len(src) <= len(dst)).
func Add(dst, src []float32) {
	if len(dst) < len(src) {
		panic(fmt.Sprintf("kernels: Add: dst %d, src %d values", len(dst), len(src)))
	}
	i := addAsm(dst, src)
	dst = dst[:len(src)]
	for ; i < len(src); i++ {
		dst[i] += src[i]
	}
}
