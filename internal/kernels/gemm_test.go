package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// gemmCase is one SGEMM call of the tests: op(A)[m,k] * op(B)[k,n], with the
// stored leading dimensions padded by the given extra elements.
type gemmCase struct {
	transA, transB   bool
	m, n, k          int
	alpha, beta      float32
	padA, padB, padC int
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
func checkGemm(t *testing.T, fn sgemmFunc, rng *rand.Rand, tc gemmCase) {
	t.Helper()
	o := makeOperands(rng, tc)
	got := append([]float32(nil), o.c...)
	want := append([]float32(nil), o.c...)
	fn(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, o.a, o.lda, o.b, o.ldb, tc.beta, got, o.ldc)
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

// sgemmFunc is the signature of Sgemm and of its implementations.
type sgemmFunc = func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// testPaths runs f once for every micro-kernel path of the pure-Go SGEMM
// that this CPU supports, with the path forced, and, if withOthers, once for
// every other backend of this build (OpenBLAS in the openblas build).
func testPaths(t *testing.T, withOthers bool, f func(t *testing.T, fn sgemmFunc)) {
	for _, p := range []gemmPath{pathGo, pathAVX2, pathAVX512, pathAVX512R} {
		t.Run(p.String(), func(t *testing.T) {
			if !gemmPathSupported(p) {
				t.Skipf("%v not supported on this CPU or build", p)
			}
			defer setGemmPath(setGemmPath(p))
			f(t, sgemmGo)
		})
	}
	if !withOthers {
		return
	}
	for _, be := range sgemmBackends() {
		if be.name != "go" {
			t.Run(be.name, func(t *testing.T) { f(t, be.fn) })
		}
	}
}

// edgeSizes are sizes around the tiles of every kernel (mr 4, 6, 8, 12 and nr
// 8, 16, 32, 48) plus 0, 1 and a few odd sizes.
var edgeSizes = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15, 16, 17, 31, 32, 33, 47, 48, 49, 50, 97}

func TestSgemmMatchesRef(t *testing.T) {
	testPaths(t, true, func(t *testing.T, fn sgemmFunc) {
		rng := rand.New(rand.NewPCG(7, uint64(len(gemmKernels))))
		// alpha and beta: the special values 1 and 0 (overwrite) and a few
		// arbitrary signed scales, cycled so every form meets each pair.
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
					checkGemm(t, fn, rng, tc)
				}
			}
		}
	})
}

// TestSgemmBlocking forces several K blocks, row slabs, column blocks of
// packed B, packed or in-place B panels, the parallel job grid and the
// small-problem path onto small shapes, so that the blocking logic is
// checked against the reference without big matrices.
func TestSgemmBlocking(t *testing.T) {
	defer func(kc, par, ap, al, bp, bb, l1 int) {
		gemmKC, gemmParFlops, gemmAPack, gemmBAlias, gemmBPack, gemmBBlock, gemmL1 = kc, par, ap, al, bp, bb, l1
	}(gemmKC, gemmParFlops, gemmAPack, gemmBAlias, gemmBPack, gemmBBlock, gemmL1)
	defer SetThreads(SetThreads(3))
	testPaths(t, true, func(t *testing.T, fn sgemmFunc) {
		rng := rand.New(rand.NewPCG(11, 12))
		iter := 0
		// K blocks of 1 (every step its own block), 7 (a ragged last block)
		// and 64; parallel threshold 0 (always the job grid) or 2^40 (never).
		for _, kc := range []int{1, 7, 64} {
			for _, par := range []int{0, 1 << 40} {
				// Slabs of packed A (one K block of at most kc): one
				// panel, about four panels of 8 rows, or all rows.
				gemmKC, gemmParFlops = kc, par
				gemmAPack = []int{1, 4 * 8 * kc, 1 << 20}[iter%3]
				// Column blocks of shared packed B (one K block of at most
				// kc): one panel, two panels of 48 columns (three of 32),
				// or all panels.
				gemmBPack = []int{1, 2 * 48 * kc, 1 << 21}[(iter/2)%3]
				// Column chunks of one panel, or as wide as L2 allows: with
				// one-panel chunks the 25 panels of n = 1200 make enough
				// chunks for the parallel jobs to pack their own B.
				gemmBBlock = []int{1, 128 * 1024}[(iter/3)%2]
				// Jobs that pack their own B: one micro-panel at a time
				// when their A panels fit the L1 budget (all these shapes
				// at 32 KiB), or a whole chunk (budget 0).
				gemmL1 = []int{32 << 10, 0}[(iter/2)%2]
				// Every stride is a multiple of 4 bytes: B always packed, or
				// full-width panels of a non-transposed B read in place.
				gemmBAlias = []int{4, 1024}[iter%2]
				iter++
				for _, form := range [][2]bool{{false, false}, {true, false}, {false, true}} {
					// Sizes off every tile multiple, a narrow n that takes the
					// swapped orientation, a short m, and exact multiples of
					// 8 and 32 (64 rows, 96 columns) with k one past 128,
					// and 25 panels of 48 columns.
					for _, s := range [][3]int{{37, 101, 150}, {150, 9, 70}, {5, 130, 33}, {64, 96, 129}, {20, 1200, 33}} {
						tc := gemmCase{transA: form[0], transB: form[1], m: s[0], n: s[1], k: s[2],
							alpha: 1.5, beta: -0.5, padA: 1, padB: 2, padC: 3}
						checkGemm(t, fn, rng, tc)
					}
				}
			}
		}
	})
}

// TestSgemmBetaZeroIgnoresC checks that beta == 0 overwrites C: NaN and Inf
// in C must not reach the result, on every path and also when K is split.
func TestSgemmBetaZeroIgnoresC(t *testing.T) {
	defer func(kc int) { gemmKC = kc }(gemmKC)
	gemmKC = 16
	testPaths(t, true, func(t *testing.T, fn sgemmFunc) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, form := range [][2]bool{{false, false}, {true, false}, {false, true}} {
			// The tile path, the swapped tile path, the dot-product path
			// (n <= 15, k >= 64) and a single element.
			for _, s := range [][3]int{{13, 50, 40}, {100, 3, 20}, {9, 7, 100}, {1, 1, 1}} {
				tc := gemmCase{transA: form[0], transB: form[1], m: s[0], n: s[1], k: s[2], alpha: 1, beta: 0}
				o := makeOperands(rng, tc)
				for i := range o.c {
					o.c[i] = float32(math.NaN())
					if i%2 == 1 {
						o.c[i] = float32(math.Inf(-1))
					}
				}
				want := make([]float32, len(o.c))
				RefSgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, 1, o.a, o.lda, o.b, o.ldb, 0, want, o.ldc)
				fn(tc.transA, tc.transB, tc.m, tc.n, tc.k, 1, o.a, o.lda, o.b, o.ldb, 0, o.c, o.ldc)
				for i, v := range o.c {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
						t.Fatalf("%v: C[%d] = %g after beta = 0 (want about %g)", tc, i, v, want[i])
					}
				}
			}
		}
	})
}

// TestSgemmDegenerate covers k == 0 and alpha == 0 (C = beta*C, A and B not
// read) and empty outputs (nothing touched). The expected values are exact:
// beta*C is one float32 multiplication in both Sgemm and the check.
func TestSgemmDegenerate(t *testing.T) {
	for _, be := range sgemmBackends() {
		t.Run(be.name, func(t *testing.T) { testDegenerate(t, be.fn) })
	}
}

func testDegenerate(t *testing.T, Sgemm sgemmFunc) {
	c := []float32{1, 2, 3, 4, 5, 6}
	nan := float32(math.NaN())
	a := []float32{nan, nan, nan, nan, nan, nan}
	for _, beta := range []float32{0, 1, -2} {
		got := append([]float32(nil), c...)
		Sgemm(false, false, 2, 3, 0, 1, nil, 0, nil, 3, beta, got, 3)
		for i := range got {
			if got[i] != beta*c[i] {
				t.Fatalf("k=0 beta=%g: C[%d] = %g, want %g", beta, i, got[i], beta*c[i])
			}
		}
		got = append([]float32(nil), c...)
		Sgemm(false, true, 2, 3, 2, 0, a, 2, a, 2, beta, got, 3)
		for i := range got {
			if got[i] != beta*c[i] {
				t.Fatalf("alpha=0 beta=%g: C[%d] = %g, want %g", beta, i, got[i], beta*c[i])
			}
		}
	}
	// Empty outputs: C is not touched, even with ldc = 0 and nil slices.
	Sgemm(false, false, 0, 5, 3, 1, nil, 3, make([]float32, 15), 5, 0, nil, 5)
	Sgemm(true, false, 4, 0, 3, 1, make([]float32, 12), 4, nil, 0, 0, nil, 0)
}

// TestSgemmPanics checks that invalid arguments panic with an *SgemmError.
func TestSgemmPanics(t *testing.T) {
	buf := make([]float32, 100)
	var Sgemm sgemmFunc
	cases := []struct {
		name string
		call func()
	}{
		{"TT", func() { Sgemm(true, true, 2, 2, 2, 1, buf, 2, buf, 2, 0, buf, 2) }},
		{"negative m", func() { Sgemm(false, false, -1, 2, 2, 1, buf, 2, buf, 2, 0, buf, 2) }},
		{"lda too small", func() { Sgemm(false, false, 2, 2, 3, 1, buf, 2, buf, 2, 0, buf, 2) }},
		{"ldb too small", func() { Sgemm(false, true, 2, 2, 3, 1, buf, 3, buf, 2, 0, buf, 2) }},
		{"ldc too small", func() { Sgemm(false, false, 2, 4, 2, 1, buf, 2, buf, 4, 0, buf, 3) }},
		{"a too short", func() { Sgemm(false, false, 10, 2, 11, 1, buf, 11, buf, 2, 0, buf, 2) }},
		{"b too short", func() { Sgemm(true, false, 2, 20, 10, 1, buf, 2, buf, 20, 0, buf, 20) }},
		{"c too short", func() { Sgemm(false, false, 11, 10, 1, 1, buf, 1, buf, 10, 0, buf, 10) }},
	}
	for _, be := range sgemmBackends() {
		Sgemm = be.fn
		for _, tc := range cases {
			t.Run(be.name+"/"+tc.name, func(t *testing.T) {
				defer func() {
					r := recover()
					if _, ok := r.(*SgemmError); !ok {
						t.Fatalf("recovered %v (%T), want *SgemmError", r, r)
					}
				}()
				tc.call()
			})
		}
	}
}

// TestSgemmThreadsBitIdentical checks that the result does not depend on
// the thread count or GOMAXPROCS, on every path, for shapes that take the
// parallel job grid in both orientations.
func TestSgemmThreadsBitIdentical(t *testing.T) {
	defer func(par, bp int) { gemmParFlops, gemmBPack = par, bp }(gemmParFlops, gemmBPack)
	gemmParFlops = 0    // parallel even for these small shapes
	gemmBPack = 1 << 16 // column blocks of two 48-column panels at k = 600
	defer SetThreads(SetThreads(1))
	testPaths(t, false, func(t *testing.T, fn sgemmFunc) {
		rng := rand.New(rand.NewPCG(21, 22))
		for _, form := range [][2]bool{{false, false}, {true, false}, {false, true}} {
			// Tiles with two K blocks (k = 600 > gemmKC), the narrow paths
			// (n = 10), and the k = 10 layer shape.
			for _, s := range [][3]int{{70, 300, 600}, {200, 10, 90}, {128, 1000, 10}} {
				tc := gemmCase{transA: form[0], transB: form[1], m: s[0], n: s[1], k: s[2], alpha: 0.5, beta: 2, padC: 1}
				o := makeOperands(rng, tc)
				var first []float32
				for _, run := range []struct{ threads, procs int }{{1, 0}, {2, 0}, {3, 0}, {8, 0}, {8, 1}, {2, 3}} {
					if run.procs > 0 {
						defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(run.procs))
					}
					SetThreads(run.threads)
					got := append([]float32(nil), o.c...)
					fn(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, o.a, o.lda, o.b, o.ldb, tc.beta, got, o.ldc)
					if first == nil {
						first = got
						continue
					}
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(first[i]) &&
							!(math.IsNaN(float64(got[i])) && math.IsNaN(float64(first[i]))) {
							t.Fatalf("%v: threads=%d GOMAXPROCS=%d: C[%d] = %g, with one thread %g",
								tc, run.threads, runtime.GOMAXPROCS(0), i, got[i], first[i])
						}
					}
				}
			}
		}
	})
}

// TestSgemmNoAllocs checks that steady-state calls do not allocate, on one
// goroutine and on several.
func TestSgemmNoAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts need the pools warm")
	}
	// Every shape takes the parallel job grid when there are 2 threads.
	defer func(par int) { gemmParFlops = par }(gemmParFlops)
	gemmParFlops = 0
	rng := rand.New(rand.NewPCG(31, 32))
	const m, k = 128, 300
	a := randSlice(rng, m*k)
	b := randSlice(rng, k*200)
	c := make([]float32, m*200)
	for _, be := range sgemmBackends() {
		for _, th := range []int{1, 2} {
			prev := SetThreads(th)
			// n = 200 takes the tiles, n = 10 the swapped tiles (TN) or the
			// dot-product path (NN, NT).
			for _, n := range []int{200, 10} {
				for _, form := range [][2]bool{{false, false}, {true, false}, {false, true}} {
					lda, ldb := k, n
					if form[0] {
						lda = m
					}
					if form[1] {
						ldb = k
					}
					allocs := testing.AllocsPerRun(20, func() {
						be.fn(form[0], form[1], m, n, k, 1, a, lda, b, ldb, 0, c, n)
					})
					if allocs != 0 {
						t.Errorf("%s threads=%d n=%d form=%v: %g allocations per call, want 0", be.name, th, n, form, allocs)
					}
				}
			}
			SetThreads(prev)
		}
	}
}

// TestTranspose8 checks the transposing packer, assembly and portable, on
// lengths around its 8-column blocks, against the definition
// dst[p*ds+i] = src[i*ss+p]; elements it must not write stay NaN.
func TestTranspose8(t *testing.T) {
	defer func(v bool) { transposeAsm = v }(transposeAsm)
	rng := rand.New(rand.NewPCG(41, 42))
	for _, useAsm := range []bool{false, true} {
		if useAsm && !(asmAvailable && cpuAVX) {
			continue
		}
		transposeAsm = useAsm
		// Lengths below, at and around the 8-column blocks.
		for _, n := range []int{1, 7, 8, 9, 16, 23, 64} {
			ss, ds := n+3, 13
			src := randSlice(rng, 7*ss+n)
			dst := make([]float32, (n-1)*ds+8+5)
			for i := range dst {
				dst[i] = float32(math.NaN())
			}
			transpose8(dst, ds, src, ss, n)
			for x, v := range dst {
				p, i := x/ds, x%ds
				if p < n && i < 8 {
					if v != src[i*ss+p] {
						t.Fatalf("asm=%v n=%d: dst[%d] = %g, want src[%d] = %g", useAsm, n, x, v, i*ss+p, src[i*ss+p])
					}
				} else if !math.IsNaN(float64(v)) {
					t.Fatalf("asm=%v n=%d: dst[%d] = %g written outside the panel", useAsm, n, x, v)
				}
			}
		}
	}
}

// TestSgemmDotPath covers the small-n dot-product path (n <= gemmDotMaxN,
// A not transposed, k >= 64) around its 4-row and 5-column groups and its
// 16-lane K blocks, serial and with the parallel partition.
func TestSgemmDotPath(t *testing.T) {
	defer func(par int) { gemmParFlops = par }(gemmParFlops)
	defer SetThreads(SetThreads(2))
	testPaths(t, true, func(t *testing.T, fn sgemmFunc) {
		rng := rand.New(rand.NewPCG(51, 52))
		for _, par := range []int{0, 1 << 40} {
			gemmParFlops = par
			for _, transB := range []bool{false, true} {
				// m around the 4-row groups, n around the 5-column groups up
				// to gemmDotMaxN = 15.
				for _, m := range []int{1, 3, 4, 5, 9, 33} {
					for _, n := range []int{1, 4, 5, 6, 10, 11, 15} {
						// k from the 64 minimum, around the 16-lane blocks.
						k := []int{64, 65, 79, 80, 203}[rng.IntN(5)]
						tc := gemmCase{transB: transB, m: m, n: n, k: k,
							alpha: []float32{1, -2}[rng.IntN(2)], beta: []float32{0, 0.5}[rng.IntN(2)],
							padA: rng.IntN(3), padB: rng.IntN(3), padC: rng.IntN(3)}
						checkGemm(t, fn, rng, tc)
					}
				}
			}
		}
	})
}

// TestPackRowwise checks the row-by-row packer against its definition
// dst[q*stride+p*w+x] = src[p*ld+c0+q*w+x] for every panel width the
// kernels use, with a partial last panel (zero past c1) or none, and
// panels spaced wider than kc*w: the gaps must stay NaN.
func TestPackRowwise(t *testing.T) {
	defer func(v bool) { transposeAsm = v }(transposeAsm)
	for _, useAsm := range []bool{false, true} {
		if useAsm && !(asmAvailable && cpuAVX) {
			t.Log("no AVX: the assembly copier is not checked")
			continue
		}
		transposeAsm = useAsm
		testPackRowwise(t)
	}
}

func testPackRowwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	nan := float32(math.NaN())
	for _, w := range []int{4, 6, 8, 12, 16, 20, 32, 40, 48} {
		for _, kc := range []int{1, 3, 17} {
			for _, width := range []int{1, w - 1, w, w + 1, 3 * w, 3*w + 5} {
				if width < 1 {
					continue
				}
				c0 := rng.IntN(5)
				ld := c0 + width + rng.IntN(3)
				src := randSlice(rng, kc*ld)
				panels := (width + w - 1) / w
				stride := kc*w + 3
				dst := make([]float32, panels*stride)
				for i := range dst {
					dst[i] = nan
				}
				packRowwise(dst, stride, w, src, ld, kc, c0, c0+width)
				for i, got := range dst {
					q, r := i/stride, i%stride
					p, x := r/w, r%w
					want := nan
					switch {
					case r >= kc*w:
					case q*w+x < width:
						want = src[p*ld+c0+q*w+x]
					default:
						want = 0
					}
					if math.Float32bits(got) != math.Float32bits(want) {
						t.Fatalf("asm=%v w=%d kc=%d width=%d c0=%d: dst[%d] (panel %d, row %d, column %d) = %g, want %g",
							transposeAsm, w, kc, width, c0, i, q, p, x, got, want)
					}
				}
			}
		}
	}
}
