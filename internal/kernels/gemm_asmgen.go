//go:build ignore

// This program writes gemm_amd64.s, the amd64 SGEMM micro-kernels:
//
//	go run gemm_asmgen.go
//
// Every kernel has the Go signature
//
//	func(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, rows, cols int)
//
// and computes, for an mr x nr tile of C with row stride ldc (in elements),
//
//	C = alpha * (Apanel * Bpanel) + beta * C    (beta == 0: C is not read)
//
// for its first rows x cols elements (the AVX-512 kernels; the AVX2 kernel
// needs rows == mr and cols == nr), where Apanel holds kc columns of mr
// packed values (a[p*mr+i]) and Bpanel kc rows of nr values with row stride
// ldb (b[p*ldb+j]; ldb == nr for a packed panel). The sum over p runs in
// order p = 0, 1, ..., kc-1 with one fused multiply-add per step into each
// lane, so a tile's result depends only on its panels, never on where the
// tile sits or how much of it is stored. kc must be at least 1.
package main

import (
	"bytes"
	"fmt"
	"os"
)

// browAddr addresses row u (0 to 3) of the B panel from DI, with R10 = ldb
// and R11 = 3*ldb in bytes.
func browAddr(u int) string {
	return [...]string{"(DI)", "(DI)(R10*1)", "(DI)(R10*2)", "(DI)(R11*1)"}[u]
}

type gen struct {
	buf bytes.Buffer
}

func (g *gen) p(format string, args ...any) {
	fmt.Fprintf(&g.buf, format, args...)
	g.buf.WriteByte('\n')
}

// avx512 writes an mr x (16*nv) kernel with zmm accumulators. B rows are
// loaded into Z(mr*nv)...; A values are broadcast straight from memory by the
// fused multiply-adds (embedded broadcast), so no register holds A. A partial
// tile (rows < mr or cols < nr) is stored under opmasks K1.. (one per
// vector of a row) and a row count, so it needs no scratch tile; masked-off
// elements of C are neither read nor written.
func (g *gen) avx512(mr, nv int) {
	nr := 16 * nv
	if mr*nv+nv*2 > 30 || nv > 7 {
		panic("too many registers")
	}
	name := fmt.Sprintf("kernAVX512_%dx%d", mr, nr)
	acc := func(i, v int) string { return fmt.Sprintf("Z%d", i*nv+v) }
	bregs := func(u, v int) string { return fmt.Sprintf("Z%d", mr*nv+(u%2)*nv+v) }
	g.p("// func %s(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, rows, cols int)", name)
	g.p("TEXT ·%s(SB), NOSPLIT, $0-72", name)
	g.prologue(mr, nr)
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			g.p("\tVPXORD %s, %s, %s", acc(i, v), acc(i, v), acc(i, v))
		}
	}
	g.kLoop(name, mr, func(u int) {
		for v := 0; v < nv; v++ {
			g.p("\tVMOVUPS %d%s, %s", 64*v, browAddr(u), bregs(u, v))
		}
		for i := 0; i < mr; i++ {
			for v := 0; v < nv; v++ {
				g.p("\tVFMADD231PS.BCST %d(SI), %s, %s", (u*mr+i)*4, bregs(u, v), acc(i, v))
			}
		}
	})
	g.avx512Store(name, mr, nv, acc)
}

// avx512Store writes the end of an AVX-512 kernel from the label
// name_store on: C = alpha*acc + beta*C for a full tile, or through
// avx512Partial for a partial one.
func (g *gen) avx512Store(name string, mr, nv int, acc func(i, v int) string) {
	nr := 16 * nv
	g.p("%s_store:", name)
	g.p("\tVBROADCASTSS alpha+48(FP), Z30")
	g.p("\tVBROADCASTSS beta+52(FP), Z31")
	g.p("\tMOVL beta+52(FP), R9")
	g.p("\tANDL $0x7fffffff, R9") // R9 == 0: beta is +-0, C is not read
	g.p("\tMOVQ rows+56(FP), R12")
	g.p("\tMOVQ cols+64(FP), R13")
	g.p("\tCMPQ R12, $%d", mr)
	g.p("\tJNE %s_partial", name)
	g.p("\tCMPQ R13, $%d", nr)
	g.p("\tJNE %s_partial", name)
	// Full tile.
	g.p("\tTESTL R9, R9")
	g.p("\tJZ %s_nobeta", name)
	g.storeTile(mr, nv, 64, acc, "Z30", "Z31")
	g.p("%s_nobeta:", name)
	g.storeTile(mr, nv, 64, acc, "Z30", "")
	g.avx512Partial(name, mr, nv, acc)
	g.p("")
}

// avx512r writes an mr x (16*nv) kernel with zmm accumulators whose A
// values are first broadcast into registers (VBROADCASTSS from memory) and
// then used by register-only fused multiply-adds. Per column of the panels it
// issues nv + mr loads for mr*nv multiply-adds, where avx512's embedded
// broadcasts issue nv + mr*nv loads: on a core with two full-width FMA pipes
// and two vector loads per cycle (Zen 5) the embedded form is bound by its
// loads, this one by its multiply-adds. The sum order and the partial store
// are avx512's, so both kernels give the same bits for the same panels.
func (g *gen) avx512r(mr, nv int) {
	nr := 16 * nv
	nb := 32 - mr*nv - nv // broadcast registers, used in rotation
	if nb < 2 || nv > 7 {
		panic("too many registers")
	}
	name := fmt.Sprintf("kernAVX512R_%dx%d", mr, nr)
	acc := func(i, v int) string { return fmt.Sprintf("Z%d", i*nv+v) }
	breg := func(v int) string { return fmt.Sprintf("Z%d", mr*nv+v) }
	areg := func(x int) string { return fmt.Sprintf("Z%d", mr*nv+nv+x%nb) }
	g.p("// func %s(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, rows, cols int)", name)
	g.p("TEXT ·%s(SB), NOSPLIT, $0-72", name)
	g.prologue(mr, nr)
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			g.p("\tVPXORD %s, %s, %s", acc(i, v), acc(i, v), acc(i, v))
		}
	}
	x := 0
	g.kLoop(name, mr, func(u int) {
		for v := 0; v < nv; v++ {
			g.p("\tVMOVUPS %d%s, %s", 64*v, browAddr(u), breg(v))
		}
		for i := 0; i < mr; i++ {
			a := areg(x)
			x++
			g.p("\tVBROADCASTSS %d(SI), %s", (u*mr+i)*4, a)
			for v := 0; v < nv; v++ {
				g.p("\tVFMADD231PS %s, %s, %s", breg(v), a, acc(i, v))
			}
		}
	})
	g.avx512Store(name, mr, nv, acc)
}

// avx512Partial writes the store of a partial tile of an AVX-512 kernel,
// rows R12 and cols R13 of it, with R9 == 0 when beta is zero: mask Kv+1
// keeps columns 16v .. min(cols, 16v+16)-1 of a row.
func (g *gen) avx512Partial(name string, mr, nv int, acc func(i, v int) string) {
	scratch := fmt.Sprintf("Z%d", mr*nv) // the first register after the accumulators
	g.p("%s_partial:", name)
	for v := 0; v < nv; v++ {
		g.p("\tMOVQ R13, CX")
		g.p("\tSUBQ $%d, CX", 16*v)
		g.p("\tXORQ AX, AX")
		g.p("\tCMPQ CX, AX")
		g.p("\tCMOVQLT AX, CX")
		g.p("\tMOVQ $16, AX")
		g.p("\tCMPQ CX, AX")
		g.p("\tCMOVQGT AX, CX")
		g.p("\tMOVL $1, AX")
		g.p("\tSHLL CX, AX")
		g.p("\tDECL AX")
		g.p("\tKMOVW AX, K%d", v+1)
	}
	for i := 0; i < mr; i++ {
		g.p("\tCMPQ R12, $%d", i)
		g.p("\tJLE %s_done", name)
		for v := 0; v < nv; v++ {
			g.p("\tVMULPS Z30, %s, %s", acc(i, v), acc(i, v))
			g.p("\tTESTL R9, R9")
			g.p("\tJZ %s_p%d_%d", name, i, v)
			g.p("\tVMOVUPS.Z %d(DX), K%d, %s", 64*v, v+1, scratch)
			g.p("\tVFMADD231PS %s, Z31, %s", scratch, acc(i, v))
			g.p("%s_p%d_%d:", name, i, v)
			g.p("\tVMOVUPS %s, K%d, %d(DX)", acc(i, v), v+1, 64*v)
		}
		g.p("\tADDQ R8, DX")
	}
	g.p("%s_done:", name)
	g.p("\tVZEROUPPER")
	g.p("\tRET")
}

// avx2 writes an mr x (8*nv) kernel with ymm accumulators; A values are
// broadcast into two alternating registers.
func (g *gen) avx2(mr, nv int) {
	nr := 8 * nv
	if mr*nv+nv+2 > 16 {
		panic("too many registers")
	}
	name := fmt.Sprintf("kernAVX2_%dx%d", mr, nr)
	acc := func(i, v int) string { return fmt.Sprintf("Y%d", i*nv+v) }
	breg := func(v int) string { return fmt.Sprintf("Y%d", mr*nv+v) }
	areg := func(i int) string { return fmt.Sprintf("Y%d", mr*nv+nv+i%2) }
	g.p("// func %s(kc int, a, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, rows, cols int)", name)
	g.p("// (full tiles only: rows and cols are not read)")
	g.p("TEXT ·%s(SB), NOSPLIT, $0-72", name)
	g.prologue(mr, nr)
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			g.p("\tVXORPS %s, %s, %s", acc(i, v), acc(i, v), acc(i, v))
		}
	}
	g.kLoop(name, mr, func(u int) {
		for v := 0; v < nv; v++ {
			g.p("\tVMOVUPS %d%s, %s", 32*v, browAddr(u), breg(v))
		}
		for i := 0; i < mr; i++ {
			g.p("\tVBROADCASTSS %d(SI), %s", (u*mr+i)*4, areg(i))
			for v := 0; v < nv; v++ {
				g.p("\tVFMADD231PS %s, %s, %s", breg(v), areg(i), acc(i, v))
			}
		}
	})
	g.p("%s_store:", name)
	alpha, beta := areg(0), areg(1)
	g.p("\tVBROADCASTSS alpha+48(FP), %s", alpha)
	g.p("\tMOVL beta+52(FP), AX")
	g.p("\tANDL $0x7fffffff, AX")
	g.p("\tJZ %s_nobeta", name)
	g.p("\tVBROADCASTSS beta+52(FP), %s", beta)
	g.storeTile(mr, nv, 32, acc, alpha, beta)
	g.p("%s_nobeta:", name)
	g.storeTile(mr, nv, 32, acc, alpha, "")
	g.p("")
}

// prologue loads a kernel's arguments (kc in CX, a in SI, b in DI, c in DX;
// ldb in bytes in R10, 3*ldb in R11, ldc in bytes in R8) and prefetches the
// mr x nr tile of C. The tile is needed only at the end, but its lines then
// arrive while the fused multiply-adds run (a prefetch never faults, even
// past C).
func (g *gen) prologue(mr, nr int) {
	g.p("\tMOVQ kc+0(FP), CX")
	g.p("\tMOVQ a+8(FP), SI")
	g.p("\tMOVQ b+16(FP), DI")
	g.p("\tMOVQ ldb+24(FP), R10")
	g.p("\tMOVQ c+32(FP), DX")
	g.p("\tMOVQ ldc+40(FP), R8")
	g.p("\tSHLQ $2, R10")
	g.p("\tLEAQ (R10)(R10*2), R11")
	g.p("\tSHLQ $2, R8")
	g.p("\tMOVQ DX, R9")
	for i := 0; i < mr; i++ {
		for off := 0; off < nr*4; off += 64 {
			g.p("\tPREFETCHT0 %d(R9)", off)
		}
		if i < mr-1 {
			g.p("\tADDQ R8, R9")
		}
	}
}

// kLoop writes the loop over the kc columns of the A panel, unrolled four
// times (browAddr reaches 4 rows of B) with a tail one column at a time;
// step(u) writes the multiply-adds of the u-th column of an iteration. It
// ends at the label name_store.
func (g *gen) kLoop(name string, mr int, step func(u int)) {
	const unroll = 4
	g.p("\tCMPQ CX, $%d", unroll)
	g.p("\tJLT %s_tail", name)
	g.p("%s_loop:", name)
	for u := 0; u < unroll; u++ {
		step(u)
	}
	g.p("\tADDQ $%d, SI", unroll*mr*4)
	g.p("\tLEAQ (DI)(R10*4), DI")
	g.p("\tSUBQ $%d, CX", unroll)
	g.p("\tCMPQ CX, $%d", unroll)
	g.p("\tJGE %s_loop", name)
	g.p("%s_tail:", name)
	g.p("\tTESTQ CX, CX")
	g.p("\tJZ %s_store", name)
	g.p("%s_tailloop:", name)
	step(0)
	g.p("\tADDQ $%d, SI", mr*4)
	g.p("\tADDQ R10, DI")
	g.p("\tDECQ CX")
	g.p("\tJNZ %s_tailloop", name)
}

// storeTile writes C = alpha*acc + beta*C for a full mr x nv-vector tile
// whose vectors are width bytes, from DX down the rows, and returns; an
// empty beta leaves C unread (C = alpha*acc).
func (g *gen) storeTile(mr, nv, width int, acc func(i, v int) string, alpha, beta string) {
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			g.p("\tVMULPS %s, %s, %s", alpha, acc(i, v), acc(i, v))
			if beta != "" {
				g.p("\tVFMADD231PS %d(DX), %s, %s", width*v, beta, acc(i, v))
			}
			g.p("\tVMOVUPS %s, %d(DX)", acc(i, v), width*v)
		}
		if i < mr-1 {
			g.p("\tADDQ R8, DX")
		}
	}
	g.p("\tVZEROUPPER")
	g.p("\tRET")
}

// transpose8 writes transpose8x8(dst *float32, dstStride int, src *float32,
// srcStride int, n int): dst[p*dstStride+i] = src[i*srcStride+p] for i < 8
// and p < n, n a positive multiple of 8, in 8x8 blocks of AVX shuffles.
func (g *gen) transpose8() {
	g.p("// func transpose8x8(dst *float32, dstStride int, src *float32, srcStride int, n int)")
	g.p("TEXT ·transpose8x8(SB), NOSPLIT, $0-40")
	g.p("\tMOVQ dst+0(FP), DI")
	g.p("\tMOVQ dstStride+8(FP), R12")
	g.p("\tMOVQ src+16(FP), SI")
	g.p("\tMOVQ srcStride+24(FP), R8")
	g.p("\tMOVQ n+32(FP), CX")
	g.p("\tSHLQ $2, R12")
	g.p("\tSHLQ $2, R8")
	g.p("\tLEAQ (R8)(R8*2), R9")  // 3 rows
	g.p("\tLEAQ (R8)(R8*4), R10") // 5 rows
	g.p("\tLEAQ (R9)(R8*4), R11") // 7 rows
	g.p("\tLEAQ (R12)(R12*2), R13")
	g.p("\tLEAQ (R12)(R12*4), R14")
	g.p("\tLEAQ (R13)(R12*4), BX")
	g.p("\tMOVQ R12, DX")
	g.p("\tSHLQ $3, DX") // 8 output rows
	g.p("transpose8x8_loop:")
	for _, l := range []string{
		"VMOVUPS (SI), Y0", "VMOVUPS (SI)(R8*1), Y1", "VMOVUPS (SI)(R8*2), Y2", "VMOVUPS (SI)(R9*1), Y3",
		"VMOVUPS (SI)(R8*4), Y4", "VMOVUPS (SI)(R10*1), Y5", "VMOVUPS (SI)(R9*2), Y6", "VMOVUPS (SI)(R11*1), Y7",
		"VUNPCKLPS Y1, Y0, Y8", "VUNPCKHPS Y1, Y0, Y9", "VUNPCKLPS Y3, Y2, Y10", "VUNPCKHPS Y3, Y2, Y11",
		"VUNPCKLPS Y5, Y4, Y12", "VUNPCKHPS Y5, Y4, Y13", "VUNPCKLPS Y7, Y6, Y14", "VUNPCKHPS Y7, Y6, Y15",
		"VSHUFPS $0x44, Y10, Y8, Y0", "VSHUFPS $0xEE, Y10, Y8, Y1", "VSHUFPS $0x44, Y11, Y9, Y2", "VSHUFPS $0xEE, Y11, Y9, Y3",
		"VSHUFPS $0x44, Y14, Y12, Y4", "VSHUFPS $0xEE, Y14, Y12, Y5", "VSHUFPS $0x44, Y15, Y13, Y6", "VSHUFPS $0xEE, Y15, Y13, Y7",
		"VPERM2F128 $0x20, Y4, Y0, Y8", "VPERM2F128 $0x20, Y5, Y1, Y9", "VPERM2F128 $0x20, Y6, Y2, Y10", "VPERM2F128 $0x20, Y7, Y3, Y11",
		"VPERM2F128 $0x31, Y4, Y0, Y12", "VPERM2F128 $0x31, Y5, Y1, Y13", "VPERM2F128 $0x31, Y6, Y2, Y14", "VPERM2F128 $0x31, Y7, Y3, Y15",
		"VMOVUPS Y8, (DI)", "VMOVUPS Y9, (DI)(R12*1)", "VMOVUPS Y10, (DI)(R12*2)", "VMOVUPS Y11, (DI)(R13*1)",
		"VMOVUPS Y12, (DI)(R12*4)", "VMOVUPS Y13, (DI)(R14*1)", "VMOVUPS Y14, (DI)(R13*2)", "VMOVUPS Y15, (DI)(BX*1)",
		"ADDQ $32, SI", "ADDQ DX, DI", "SUBQ $8, CX", "JNZ transpose8x8_loop", "VZEROUPPER", "RET",
	} {
		g.p("\t%s", l)
	}
	g.p("")
}

// dot writes dotAVX512_RxC(kv int, a *float32, lda int, b *float32,
// ldb int, out *float32): out[i*C+j] = sum over p < 16*kv of
// a[i*lda+p] * b[j*ldb+p], for R rows of A and C rows of B^T, each sum kept
// in 16 lanes (lane l takes p = l mod 16 in order) and reduced at the end by
// a fixed tree. It needs only AVX-512F.
func (g *gen) dot(R, C int) {
	if R*C > 24 || R*C%4 != 0 || R > 4 || C > 8 {
		panic("dot kernel too big")
	}
	name := fmt.Sprintf("dotAVX512_%dx%d", R, C)
	g.p("// func %s(kv int, a *float32, lda int, b *float32, ldb int, out *float32)", name)
	g.p("TEXT ·%s(SB), NOSPLIT, $0-48", name)
	g.p("\tMOVQ kv+0(FP), CX")
	g.p("\tMOVQ a+8(FP), SI")
	g.p("\tMOVQ lda+16(FP), R8")
	g.p("\tMOVQ b+24(FP), DI")
	g.p("\tMOVQ ldb+32(FP), R10")
	g.p("\tMOVQ out+40(FP), DX")
	g.p("\tSHLQ $2, R8")
	g.p("\tSHLQ $2, R10")
	g.p("\tLEAQ (R8)(R8*2), R9")
	g.p("\tLEAQ (R10)(R10*2), R11")
	g.p("\tLEAQ (R10)(R10*4), R12") // 5 rows (6, 7 via R11*2, R13)
	g.p("\tLEAQ (R11)(R10*4), R13") // 7 rows
	rowA := []string{"(SI)", "(SI)(R8*1)", "(SI)(R8*2)", "(SI)(R9*1)"}
	rowB := []string{"(DI)", "(DI)(R10*1)", "(DI)(R10*2)", "(DI)(R11*1)", "(DI)(R10*4)", "(DI)(R12*1)", "(DI)(R11*2)", "(DI)(R13*1)"}
	for x := 0; x < R*C; x++ {
		g.p("\tVPXORD Z%d, Z%d, Z%d", x, x, x)
	}
	g.p("%s_loop:", name)
	for i := 0; i < R; i++ {
		g.p("\tVMOVUPS %s, Z%d", rowA[i], 24+i)
	}
	for j := 0; j < C; j++ {
		reg := 28 + j%4
		g.p("\tVMOVUPS %s, Z%d", rowB[j], reg)
		for i := 0; i < R; i++ {
			g.p("\tVFMADD231PS Z%d, Z%d, Z%d", reg, 24+i, i*C+j)
		}
	}
	g.p("\tADDQ $64, SI")
	g.p("\tADDQ $64, DI")
	g.p("\tDECQ CX")
	g.p("\tJNZ %s_loop", name)
	// Fold each accumulator to 4 lanes: halves, then quarters.
	for x := 0; x < R*C; x++ {
		g.p("\tVSHUFF32X4 $0x4E, Z%d, Z%d, Z24", x, x)
		g.p("\tVADDPS Z24, Z%d, Z%d", x, x)
		g.p("\tVSHUFF32X4 $0xB1, Z%d, Z%d, Z24", x, x)
		g.p("\tVADDPS Z24, Z%d, Z%d", x, x)
	}
	// Four lanes to one, four accumulators at a time. VHADDPS reaches only
	// X0-X15, so accumulators from Z16 up first move into spent registers.
	for x := 0; x < R*C; x += 4 {
		r := x
		if x >= 16 {
			r = x - 16
			for q := 0; q < 4; q++ {
				g.p("\tVMOVAPS Z%d, Z%d", x+q, r+q)
			}
		}
		g.p("\tVHADDPS X%d, X%d, X%d", r+1, r, r)
		g.p("\tVHADDPS X%d, X%d, X%d", r+3, r+2, r+2)
		g.p("\tVHADDPS X%d, X%d, X%d", r+2, r, r)
		g.p("\tVMOVUPS X%d, %d(DX)", r, 4*x)
	}
	g.p("\tVZEROUPPER")
	g.p("\tRET")
	g.p("")
}

func main() {
	var g gen
	g.p("// Code generated by gemm_asmgen.go; DO NOT EDIT.")
	g.p("")
	g.p("//go:build !purego")
	g.p("")
	g.p("#include \"textflag.h\"")
	g.p("")
	g.avx512(8, 3)
	g.avx512(12, 2)
	g.avx512r(8, 3)
	g.avx512r(12, 2)
	g.avx2(6, 2)
	g.transpose8()
	g.dot(4, 5)
	if err := os.WriteFile("gemm_amd64.s", g.buf.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
