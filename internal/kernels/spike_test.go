package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// u32 is the unit roundoff of float32, 2^-24.
const u32 = 1.0 / (1 << 24)

// randSpikes returns a binary [rows, cols] matrix with each entry 1 with
// probability p.
func randSpikes(rng *rand.Rand, rows, cols int, p float64) []float32 {
	x := make([]float32, rows*cols)
	for i := range x {
		if rng.Float64() < p {
			x[i] = 1
		}
	}
	return x
}

// randMat returns n values uniform in [-1, 1).
func randMat(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(2*rng.Float64() - 1)
	}
	return x
}

// withRowKernels runs f with each available row-kernel implementation in use.
func withRowKernels(t *testing.T, f func(t *testing.T)) {
	saved := rowImpl
	defer func() { rowImpl = saved }()
	for _, k := range availableRowKernels() {
		rowImpl = k
		t.Run(k.name, f)
	}
}

func TestRowKernelsBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	impls := availableRowKernels()
	// Column counts around every block size of every implementation: 8, 16,
	// 32, 64 and 128 columns, and the masked tails.
	for _, ncols := range []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 127, 128, 129, 200, 257} {
		for _, nidx := range []int{0, 1, 2, 5, 40} {
			for _, ab := range [][2]float32{{1, 0}, {0.5, 0}, {1, 1}, {2, -0.75}} {
				alpha, beta := ab[0], ab[1]
				krows := 50
				ldw := ncols + 3
				w := randMat(rng, krows*ldw)
				idx := make([]int32, nidx)
				for i := range idx {
					idx[i] = int32(rng.IntN(krows))
				}
				dst0 := randMat(rng, ncols+5)
				g0 := randMat(rng, krows*ldw)
				d := randMat(rng, ncols)

				want := slices.Clone(dst0)
				goRowKernels.gather(want, w, ldw, idx, ncols, alpha, beta)
				wantG := slices.Clone(g0)
				goRowKernels.scatter(wantG, ldw, idx, d, ncols, alpha)
				for _, k := range impls[1:] {
					got := slices.Clone(dst0)
					k.gather(got, w, ldw, idx, ncols, alpha, beta)
					if i := firstDiff(got, want); i >= 0 {
						t.Fatalf("%s gather ncols=%d nidx=%d alpha=%g beta=%g: dst[%d] = %g, go gives %g", k.name, ncols, nidx, alpha, beta, i, got[i], want[i])
					}
					gotG := slices.Clone(g0)
					k.scatter(gotG, ldw, idx, d, ncols, alpha)
					if i := firstDiff(gotG, wantG); i >= 0 {
						t.Fatalf("%s scatter ncols=%d nidx=%d alpha=%g: g[%d] = %g, go gives %g", k.name, ncols, nidx, alpha, i, gotG[i], wantG[i])
					}
				}
			}
		}
	}
}

// firstDiff returns the first index where a and b differ bitwise, or -1.
func firstDiff(a, b []float32) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

func TestNonzeroKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	nan := float32(math.NaN())
	negZero := float32(math.Copysign(0, -1))
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 100, 1000} {
		for _, p := range []float64{0, 0.05, 0.5, 1} {
			x := make([]float32, n)
			var want []int32
			for j := range x {
				switch r := rng.Float64(); {
				case r < p:
					// Nonzero values of every kind count: 1, other
					// magnitudes, negatives, NaN.
					x[j] = []float32{1, 1, 0.25, -3, nan}[rng.IntN(5)]
					want = append(want, int32(j))
				case r < p+(1-p)/2:
					x[j] = negZero
				}
			}
			for _, k := range availableRowKernels() {
				out := make([]int32, n+16)
				got := out[:k.nonzero(x, out)]
				if !slices.Equal(got, want) {
					t.Fatalf("%s nonzero n=%d p=%g: got %v, want %v", k.name, n, p, got, want)
				}
			}
		}
	}
}

func TestFromDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	withRowKernels(t, func(t *testing.T) {
		var s SpikeRows
		for _, sh := range [][2]int{{0, 0}, {0, 5}, {5, 0}, {1, 1}, {3, 17}, {40, 100}, {7, 1000}} {
			rows, cols := sh[0], sh[1]
			for _, p := range []float64{0, 0.02, 0.3, 1} {
				x := randSpikes(rng, rows, cols, p)
				s.FromDense(x, rows, cols)
				if s.Rows != rows || s.Cols != cols || len(s.Ptr) != rows+1 {
					t.Fatalf("[%d, %d]: got shape [%d, %d] len(Ptr) %d", rows, cols, s.Rows, s.Cols, len(s.Ptr))
				}
				nnz := 0
				for r := range rows {
					var want []int32
					for j := range cols {
						if x[r*cols+j] != 0 {
							want = append(want, int32(j))
						}
					}
					nnz += len(want)
					if got := s.Idx[s.Ptr[r]:s.Ptr[r+1]]; !slices.Equal(got, want) {
						t.Fatalf("[%d, %d] p=%g row %d: got %v, want %v", rows, cols, p, r, got, want)
					}
				}
				if s.NNZ() != nnz || len(s.Idx) != nnz {
					t.Fatalf("[%d, %d] p=%g: NNZ %d, len(Idx) %d, want %d", rows, cols, p, s.NNZ(), len(s.Idx), nnz)
				}
				wantAct := 0.0
				if rows*cols > 0 {
					wantAct = float64(nnz) / float64(rows*cols)
				}
				if s.Activity() != wantAct {
					t.Fatalf("[%d, %d]: Activity %g, want %g", rows, cols, s.Activity(), wantAct)
				}
				s.check("test")
			}
		}
	})
}

func TestFromDenseReusesBuffers(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := randSpikes(rng, 64, 300, 0.5)
	var s SpikeRows
	s.FromDense(x, 64, 300)
	allocs := testing.AllocsPerRun(10, func() { s.FromDense(x, 64, 300) })
	if allocs != 0 {
		t.Fatalf("FromDense with large enough buffers allocated %g times per call, want 0", allocs)
	}
}

// TestReserve: after Reserve for an activity, FromDense of a matrix with that
// many ones keeps the reserved buffers, with the ones placed where the
// row-by-row scan needs the most room (all in the first rows); the activity
// is clamped to [0, 1]; and a matrix above it still converts, growing them.
func TestReserve(t *testing.T) {
	const rows, cols = 64, 300
	for _, p := range []float64{-1, 0, 0.2, 0.5, 1, 1.5} {
		var s SpikeRows
		s.Reserve(rows, cols, p)
		ptr, idx := unsafe.SliceData(s.Ptr), unsafe.SliceData(s.Idx)
		x := make([]float32, rows*cols)
		ones := int(math.Ceil(min(1, max(0, p)) * rows * cols))
		for i := range ones {
			x[i] = 1
		}
		s.FromDense(x, rows, cols)
		if s.NNZ() != ones {
			t.Fatalf("activity %g: NNZ %d, want %d", p, s.NNZ(), ones)
		}
		if unsafe.SliceData(s.Ptr) != ptr || unsafe.SliceData(s.Idx) != idx {
			t.Errorf("activity %g: FromDense of %d ones replaced the reserved buffers", p, ones)
		}
	}
	var s SpikeRows
	s.Reserve(rows, cols, 0.1)
	x := make([]float32, rows*cols)
	for i := range x {
		x[i] = 1
	}
	s.FromDense(x, rows, cols)
	if s.NNZ() != rows*cols || s.Idx[len(s.Idx)-1] != cols-1 {
		t.Errorf("a matrix above the reserved activity: NNZ %d, want %d", s.NNZ(), rows*cols)
	}
}

func TestSpikeRowsMalformedPanics(t *testing.T) {
	w := make([]float32, 4*3)
	c := make([]float32, 2*3)
	for name, s := range map[string]SpikeRows{
		"column out of range": {Rows: 2, Cols: 4, Ptr: []int32{0, 1, 2}, Idx: []int32{0, 4}},
		"negative column":     {Rows: 2, Cols: 4, Ptr: []int32{0, 2, 2}, Idx: []int32{1, -1}},
		"short Ptr":           {Rows: 2, Cols: 4, Ptr: []int32{0, 1}, Idx: []int32{0}},
		"Ptr past Idx":        {Rows: 2, Cols: 4, Ptr: []int32{0, 1, 3}, Idx: []int32{0, 1}},
		"Ptr decreasing":      {Rows: 2, Cols: 4, Ptr: []int32{0, 2, 1}, Idx: []int32{0, 1}},
	} {
		func() {
			defer func() {
				if e, ok := recover().(*SpikeError); !ok || e.Op != "SpikeMatMul" {
					t.Errorf("%s: SpikeMatMul did not panic with a *SpikeError", name)
				}
			}()
			SpikeMatMul(3, 1, &s, w, 3, 0, c, 3)
		}()
	}
	s := SpikeRows{Rows: 2, Cols: 4, Ptr: []int32{0, 0, 0}}
	defer func() {
		if _, ok := recover().(*SpikeError); !ok {
			t.Errorf("short C: SpikeMatMul did not panic with a *SpikeError")
		}
	}()
	SpikeMatMul(3, 1, &s, w, 3, 0, c[:5], 3)
}

// spikeCase is one shape of the spike product tests.
type spikeCase struct {
	m, k, n   int
	p         float64 // activity
	emptyRows bool    // clear every third row of S
}

func spikeCases() []spikeCase {
	cs := []spikeCase{
		{0, 5, 7, 0.5, false}, {4, 0, 7, 0.5, false}, {4, 5, 0, 0.5, false}, // empty dims
		{1, 1, 1, 1, false}, {3, 5, 1, 1, false},
		{17, 33, 300, 0, false},  // zero activity
		{17, 33, 300, 1, false},  // full activity
		{70, 129, 10, 0.2, true}, // more than one row block, empty rows
		{65, 300, 513, 0.05, true},
		{9, 200, 257, 0.5, false},
		{600, 700, 20, 0.05, true},  // more than one K block of Sgemm's (512) both ways
		{530, 1100, 16, 0.1, false}, // three K blocks in S·W
		{700, 40, 9, 0.1, false},    // narrow weight gradient over two row blocks
	}
	return cs
}

// checkNear compares got with the float64 reference want element by
// element, allowing bound[i]: recursive float32 summation of q terms has error
// at most (q-1)*u*sum|terms| to first order (Higham, Accuracy and Stability of
// Numerical Algorithms, 2nd ed., eq. 4.4), and rounding alpha*acc and beta*c
// adds at most 2u of the magnitude; the bound used is (q+2)*u*sum|terms|.
func checkNear(t *testing.T, what string, got, want []float32, bound []float64) {
	t.Helper()
	for i := range got {
		if d := math.Abs(float64(got[i]) - float64(want[i])); d > bound[i] || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s: element %d = %g, reference %g (difference %g > bound %g)", what, i, got[i], want[i], d, bound[i])
		}
	}
}

func TestSpikeMatMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	saved := rowImpl
	defer func() { rowImpl = saved }()
	for _, tc := range spikeCases() {
		for _, ab := range [][2]float32{{1, 0}, {1, 1}, {-0.5, 2}} {
			alpha, beta := ab[0], ab[1]
			m, k, n := tc.m, tc.k, tc.n
			x := randSpikes(rng, m, k, tc.p)
			if tc.emptyRows {
				for i := 0; i < m; i += 3 {
					clear(x[i*k : (i+1)*k])
				}
			}
			ldw, ldc := n+2, n+1
			w := randMat(rng, k*ldw)
			c0 := randMat(rng, m*ldc)
			want := slices.Clone(c0)
			RefSgemm(false, false, m, n, k, alpha, x, max(k, 1), w, ldw, beta, want, ldc)

			bound := make([]float64, len(want))
			for i := range m {
				for j := range n {
					q, sum := 0, 0.0
					for p := range k {
						if x[i*k+p] != 0 {
							q++
							sum += math.Abs(float64(alpha * w[p*ldw+j]))
						}
					}
					sum += math.Abs(float64(beta * c0[i*ldc+j]))
					bound[i*ldc+j] = float64(q+2) * u32 * sum
				}
			}
			for _, impl := range availableRowKernels() {
				rowImpl = impl
				var s SpikeRows
				s.FromDense(x, m, k)
				got := slices.Clone(c0)
				SpikeMatMul(n, alpha, &s, w, ldw, beta, got, ldc)
				checkNear(t, fmt.Sprintf("%s %+v alpha=%g beta=%g", impl.name, tc, alpha, beta), got, want, bound)
			}
		}
	}
}

func TestSpikeTMatMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	saved := rowImpl
	defer func() { rowImpl = saved }()
	for _, tc := range spikeCases() {
		for _, ab := range [][2]float32{{1, 0}, {1, 1}, {-0.5, 2}} {
			alpha, beta := ab[0], ab[1]
			m, k, n := tc.m, tc.k, tc.n
			x := randSpikes(rng, m, k, tc.p)
			if tc.emptyRows {
				for i := 0; i < m; i += 3 {
					clear(x[i*k : (i+1)*k])
				}
			}
			ldd, ldg := n+3, n+1
			d := randMat(rng, m*ldd)
			g0 := randMat(rng, k*ldg)
			want := slices.Clone(g0)
			RefSgemm(true, false, k, n, m, alpha, x, max(k, 1), d, ldd, beta, want, ldg)

			bound := make([]float64, len(want))
			for p := range k {
				for j := range n {
					q, sum := 0, 0.0
					for i := range m {
						if x[i*k+p] != 0 {
							q++
							sum += math.Abs(float64(alpha * d[i*ldd+j]))
						}
					}
					sum += math.Abs(float64(beta * g0[p*ldg+j]))
					bound[p*ldg+j] = float64(q+2) * u32 * sum
				}
			}
			for _, impl := range availableRowKernels() {
				rowImpl = impl
				var s SpikeRows
				s.FromDense(x, m, k)
				got := slices.Clone(g0)
				SpikeTMatMul(n, alpha, &s, d, ldd, beta, got, ldg)
				checkNear(t, fmt.Sprintf("%s %+v alpha=%g beta=%g", impl.name, tc, alpha, beta), got, want, bound)
			}
		}
	}
}

// With alpha = 1 and beta = 0 both products add the same terms in the same
// order (ascending row of S), so the weight gradient through the transposed
// index lists equals SpikeTMatMul bit for bit, for m <= 512: above that,
// SpikeMatMul sums the m terms in Sgemm's K blocks and SpikeTMatMul in one
// chain (the test checks only the transposed lists there).
func TestTransposeMatchesSpikeTMatMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, tc := range spikeCases() {
		m, k, n := tc.m, tc.k, tc.n
		x := randSpikes(rng, m, k, tc.p)
		var s, st SpikeRows
		s.FromDense(x, m, k)
		s.Transpose(&st)
		st.check("test")
		if st.Rows != k || st.Cols != m || st.NNZ() != s.NNZ() {
			t.Fatalf("%+v: transpose shape [%d, %d] nnz %d", tc, st.Rows, st.Cols, st.NNZ())
		}
		for p := range k {
			var want []int32
			for i := range m {
				if x[i*k+p] != 0 {
					want = append(want, int32(i))
				}
			}
			if got := st.Idx[st.Ptr[p]:st.Ptr[p+1]]; !slices.Equal(got, want) {
				t.Fatalf("%+v: transpose row %d = %v, want %v", tc, p, got, want)
			}
		}
		if SgemmKBlock(m) < m {
			continue
		}
		d := randMat(rng, m*n)
		g1 := randMat(rng, k*n)
		g2 := randMat(rng, k*n)
		SpikeTMatMul(n, 1, &s, d, max(n, 1), 0, g1, max(n, 1))
		SpikeMatMul(n, 1, &st, d, max(n, 1), 0, g2, max(n, 1))
		if i := firstDiff(g1, g2); i >= 0 {
			t.Fatalf("%+v: element %d: SpikeTMatMul %g, transposed SpikeMatMul %g", tc, i, g1[i], g2[i])
		}
	}
}

// The products must give the same bits for every thread count: the work
// partition depends on the shapes only.
func TestSpikeProductsThreadInvariant(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	defer SetThreads(SetThreads(1))
	for _, tc := range []spikeCase{{300, 200, 700, 0.1, true}, {130, 50, 10, 0.3, false}} {
		m, k, n := tc.m, tc.k, tc.n
		x := randSpikes(rng, m, k, tc.p)
		var s SpikeRows
		s.FromDense(x, m, k)
		w := randMat(rng, k*n)
		d := randMat(rng, m*n)
		c0 := randMat(rng, m*n)
		g0 := randMat(rng, k*n)
		var refC, refG []float32
		for _, th := range []int{1, 2, 3, 7} {
			SetThreads(th)
			c := slices.Clone(c0)
			SpikeMatMul(n, 0.5, &s, w, n, 1, c, n)
			g := slices.Clone(g0)
			SpikeTMatMul(n, 0.5, &s, d, n, 1, g, n)
			if refC == nil {
				refC, refG = c, g
				continue
			}
			if i := firstDiff(c, refC); i >= 0 {
				t.Fatalf("%+v SpikeMatMul threads=%d: C[%d] = %g, threads=1 gives %g", tc, th, i, c[i], refC[i])
			}
			if i := firstDiff(g, refG); i >= 0 {
				t.Fatalf("%+v SpikeTMatMul threads=%d: G[%d] = %g, threads=1 gives %g", tc, th, i, g[i], refG[i])
			}
		}
	}
}

func TestSpikeMatMulNoAllocs(t *testing.T) {
	for _, n := range []int{600, 10} {
		testSpikeMatMulNoAllocs(t, 200, 100, n)
	}
}

func testSpikeMatMulNoAllocs(t *testing.T, m, k, n int) {
	rng := rand.New(rand.NewPCG(17, 18))
	var s SpikeRows
	s.FromDense(randSpikes(rng, m, k, 0.1), m, k)
	w, c := randMat(rng, k*n), make([]float32, m*n)
	d, g := randMat(rng, m*n), make([]float32, k*n)
	SpikeMatMul(n, 1, &s, w, n, 0, c, n)
	SpikeTMatMul(n, 1, &s, d, n, 0, g, n)
	if a := testing.AllocsPerRun(5, func() {
		SpikeMatMul(n, 1, &s, w, n, 0, c, n)
		SpikeTMatMul(n, 1, &s, d, n, 0, g, n)
	}); a != 0 {
		t.Fatalf("n=%d: SpikeMatMul and SpikeTMatMul allocated %g times per call pair, want 0", n, a)
	}
}

// Every implementation gives the same bits as the Go one, including the
// four-row kernel for narrow outputs (n <= 16) with row lists of unequal
// length, empty rows and a row count that is not a multiple of four, and the
// padded scatter of SpikeTMatMul for n < 16.
func TestSpikeMatMulImplsBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	saved := rowImpl
	defer func() { rowImpl = saved }()
	for _, n := range []int{1, 5, 10, 16, 17, 40} {
		for _, m := range []int{3, 7, 70} {
			for _, p := range []float64{0, 0.1, 0.6} {
				for _, ab := range [][2]float32{{1, 0}, {0.5, 1.5}, {2, 1}} {
					k := 50
					x := randSpikes(rng, m, k, p)
					for i := 0; i < m; i += 5 {
						clear(x[i*k : (i+1)*k])
					}
					var s SpikeRows
					s.FromDense(x, m, k)
					ldw, ldc := n+1, n+3
					w := randMat(rng, k*ldw)
					c0 := randMat(rng, m*ldc)
					d := randMat(rng, m*ldc)
					g0 := randMat(rng, k*ldw)
					var want, wantG []float32
					for _, impl := range availableRowKernels() {
						rowImpl = impl
						c := slices.Clone(c0)
						SpikeMatMul(n, ab[0], &s, w, ldw, ab[1], c, ldc)
						g := slices.Clone(g0)
						SpikeTMatMul(n, ab[0], &s, d, ldc, ab[1], g, ldw)
						if want == nil {
							want, wantG = c, g
							continue
						}
						if i := firstDiff(c, want); i >= 0 {
							t.Fatalf("%s SpikeMatMul n=%d m=%d p=%g alpha=%g beta=%g: C[%d] = %g, go gives %g", impl.name, n, m, p, ab[0], ab[1], i, c[i], want[i])
						}
						if i := firstDiff(g, wantG); i >= 0 {
							t.Fatalf("%s SpikeTMatMul n=%d m=%d p=%g alpha=%g beta=%g: G[%d] = %g, go gives %g", impl.name, n, m, p, ab[0], ab[1], i, g[i], wantG[i])
						}
					}
				}
			}
		}
	}
}
