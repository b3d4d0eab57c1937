package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFastSigmoidShifted checks the vectorised and Go loops against the
// definition 1/(1+k|x|)² in float64 (relative error below 4 float32 ulps:
// four rounded operations), hand values, and against each other bit for bit.
func TestFastSigmoidShifted(t *testing.T) {
	// By hand: k = 25, x = 0.04 gives 1/(1+1)² = 0.25; x = 0 gives 1.
	dst := make([]float32, 2)
	FastSigmoidShifted(dst, []float32{1.04, 1}, []float32{1, 1}, 25)
	if math.Abs(float64(dst[0])-0.25) > 1e-6 || dst[1] != 1 {
		t.Fatalf("got %v, want [0.25 1]", dst)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 15, 16, 17, 100, 1000} {
		mem, thr := make([]float32, n), make([]float32, n)
		for i := range mem {
			mem[i] = float32(rng.NormFloat64() * 2)
			thr[i] = float32(0.5 + rng.Float64())
		}
		mem = append(mem, 1e30, -1e30)[:n]
		a, b := make([]float32, n), make([]float32, n)
		FastSigmoidShifted(a, mem, thr, 25)
		was := elemAsm
		elemAsm = false
		FastSigmoidShifted(b, mem, thr, 25)
		elemAsm = was
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("n=%d element %d: vector %v, Go %v", n, i, a[i], b[i])
			}
			x := math.Abs(float64(mem[i]) - float64(thr[i]))
			want := 1 / ((1 + 25*x) * (1 + 25*x))
			if math.Abs(float64(a[i])-want) > 4*want*math.Pow(2, -23) {
				t.Fatalf("n=%d element %d: %v, want %v", n, i, a[i], want)
			}
		}
	}
}

// TestFusedAdam checks the vectorised and Go loops bit for bit against each
// other, and against the update equations in float64 (relative error 1e-5:
// a handful of float32 roundings of values of order one).
func TestFusedAdam(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	c := &AdamCoeffs{B1: 0.9, C1: 0.1, B2: 0.999, C2: 0.001, Step: 5e-4 / (1 - 0.9*0.9), RBC2: float32(1 / math.Sqrt(1-0.999*0.999)), Eps: 1e-8}
	for _, n := range []int{1, 16, 33, 1000} {
		mk := func() []float32 {
			s := make([]float32, n)
			for i := range s {
				s[i] = float32(rng.NormFloat64())
			}
			return s
		}
		p, g, m, v := mk(), mk(), mk(), mk()
		for i := range v {
			v[i] = float32(math.Abs(float64(v[i])))
		}
		p2, m2, v2 := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
		p0, m0, v0 := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
		FusedAdam(p, g, m, v, c)
		was := elemAsm
		elemAsm = false
		FusedAdam(p2, g, m2, v2, c)
		elemAsm = was
		for i := range p {
			if p[i] != p2[i] || m[i] != m2[i] || v[i] != v2[i] {
				t.Fatalf("n=%d element %d: vector %v %v %v, Go %v %v %v", n, i, p[i], m[i], v[i], p2[i], m2[i], v2[i])
			}
			gi := float64(g[i])
			mi := float64(c.B1)*float64(m0[i]) + float64(c.C1)*gi
			vi := float64(c.B2)*float64(v0[i]) + float64(c.C2)*gi*gi
			pi := float64(p0[i]) - float64(c.Step)*mi/(math.Sqrt(vi)*float64(c.RBC2)+float64(c.Eps))
			if math.Abs(float64(p[i])-pi) > 1e-5*math.Max(1, math.Abs(pi)) {
				t.Fatalf("n=%d element %d: p = %v, want %v", n, i, p[i], pi)
			}
		}
	}
}

func TestAdd(t *testing.T) {
	for _, n := range []int{0, 1, 16, 37} {
		a, b := make([]float32, n), make([]float32, n)
		for i := range a {
			a[i], b[i] = float32(i), float32(2*i)+0.5
		}
		Add(a, b)
		for i := range a { // i + (2i + 0.5) = 3i + 0.5, exact in float32 for these sizes
			if a[i] != float32(3*i)+0.5 {
				t.Fatalf("n=%d: a[%d] = %v", n, i, a[i])
			}
		}
	}
}
