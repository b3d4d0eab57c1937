package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// gemmCase is one SGEMM call of the tests: op(A)[m,k] * op(B)[k,n], with the
// stored leading dimensions padded by the given extra elements.
type gemmCase struct {
	transA, transB      bool
	m, n, k             int
	alpha, beta         float32
	padA, padB, padC    int
}

func (tc gemmCase) String() string {
	f := func(t bool) string {
		if t {
			return "T"
		}
		return "N"
	}
	return fmt.Sprintf("%s%s/m=%d,n=%d,k=%d,alpha=%g,beta=%g,pad=%d,%d,%d",
		f(tc.transA), f(tc.transB), tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.padA, tc.padB, tc.padC)
}

// gemmOperands are the stored matrices of a gemmCase, filled from rng with
// values in [-1, 1); the padding elements hold NaN so that reading them shows.
type gemmOperands struct {
	a, b, c       []float32
	lda, ldb, ldc int
}

func makeOperands(rng *rand.Rand, tc gemmCase) gemmOperands {
	ar, ac := tc.m, tc.k
	if tc.transA {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.transB {
		br, bc = tc.n, tc.k
	}
	var o gemmOperands
	o.lda, o.ldb, o.ldc = ac+tc.padA, bc+tc.padB, tc.n+tc.padC
	fill := func(r, cols, ld int) []float32 {
		s := make([]float32, r*ld)
		for i := range s {
			if i%ld < cols {
				s[i] = rng.Float32()*2 - 1
			} else {
				s[i] = float32(math.NaN())
			}
		}
		return s
	}
	o.a = fill(ar, ac, max(1, o.lda))
	o.b = fill(br, bc, max(1, o.ldb))
	o.c = fill(tc.m, tc.n, max(1, o.ldc))
	return o
}

func absSlice(s []float32) []float32 {
	r := make([]float32, len(s))
	for i, v := range s {
		r[i] = float32(math.Abs(float64(v)))
	}
	return r
}

// checkGemm runs Sgemm on tc and compares every element of C with RefSgemm
// (which sums in float64). The allowed error of element (i,j) is
//
//	(k+4) * u * (|alpha| * sum_p |op(A)[i,p]| |op(B)[p,j]| + |beta| |C0[i,j]|)
//
// with u = 2^-24, the float32 unit roundoff: the bound gamma_k*sum|a||b| for a
// float32 dot product of length k (Higham, Accuracy and Stability of
// Numerical Algorithms, 2nd ed., eq. 3.5), plus four roundings for the K
// blocks' alpha scaling, the beta term and the reference's own rounding to
// float32 (splitting K into blocks adds one rounding per block, which the k
// term already covers since blocks <= k). Elements of the padding must stay
// untouched.
func checkGemm(t *testing.T, rng *rand.Rand, tc gemmCase) {
	t.Helper()
	o := makeOperands(rng, tc)
	got := append([]float32(nil), o.c...)
	want := append([]float32(nil), o.c...)
	Sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, o.a, o.lda, o.b, o.ldb, tc.beta, got, o.ldc)
	RefSgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, o.a, o.lda, o.b, o.ldb, tc.beta, want, o.ldc)
	mag := make([]float32, len(o.c))
	RefSgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, 1, absSlice(o.a), o.lda, absSlice(o.b), o.ldb, 0, mag, o.ldc)
	const u = 1.0 / (1 << 24)
	worst, wi := 0.0, -1
	for i := 0; i < tc.m; i++ {
		for j := 0; j < o.ldc; j++ {
			x := i*o.ldc + j
			if j >= tc.n {
				if !math.IsNaN(float64(got[x])) {
					t.Fatalf("%v: padding C[%d,%d] overwritten with %g", tc, i, j, got[x])
				}
				continue
			}
			tol := float64(tc.k+4) * u * (math.Abs(float64(tc.alpha))*float64(mag[x]) + math.Abs(float64(tc.beta)*float64(o.c[x])))
			d := math.Abs(float64(got[x]) - float64(want[x]))
			if !(d <= tol) {
				t.Fatalf("%v: C[%d,%d] = %g, want %g (|diff| %g > tol %g)", tc, i, j, got[x], want[x], d, tol)
			}
			if tol > 0 && d/tol > worst {
				worst, wi = d/tol, x
			}
		}
	}
	_ = wi
}

// testPaths runs f once for every micro-kernel path this CPU supports, with
// the path forced.
func testPaths(t *testing.T, f func(t *testing.T)) {
	for _, p := range []gemmPath{pathGo, pathAVX2, pathAVX512} {
		t.Run(p.String(), func(t *testing.T) {
			if !gemmPathSupported(p) {
				t.Skipf("%v not supported on this CPU or build", p)
			}
			prev := setGemmPath(p)
			defer func() { gemmKernels = prev }()
			f(t)
		})
	}
}

// edgeSizes are sizes around the tiles of every kernel (mr 4, 6, 8, 12 and nr
// 8, 16, 32, 48) plus 0, 1 and a few odd sizes.
var edgeSizes = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15, 16, 17, 31, 32, 33, 47, 48, 49, 50, 97}

func TestSgemmMatchesRef(t *testing.T) {
	testPaths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, uint64(len(gemmKernels))))
		alphas := []float32{1, -0.5, 2, 0.75}
		betas := []float32{0, 1, -1.5, 0.25}
		n := 0
		for _, form := range [][2]bool{{false, false}, {true, false}, {false, true}} {
			for _, m := range edgeSizes {
				// Every m meets a few n and k drawn from the edge sizes, so that
				// all tile edges appear in both the normal and the swapped
				// orientation without the cost of the full cube.
				for r := 0; r < 4; r++ {
					nn := edgeSizes[rng.IntN(len(edgeSizes))]
					k := edgeSizes[rng.IntN(len(edgeSizes))]
					tc := gemmCase{transA: form[0], transB: form[1], m: m, n: nn, k: k,
						alpha: alphas[n%len(alphas)], beta: betas[(n/len(alphas))%len(betas)],
						padA: rng.IntN(3), padB: rng.IntN(3), padC: rng.IntN(3)}
					n++
					checkGemm(t, rng, tc)
				}
			}
		}
	})
}
