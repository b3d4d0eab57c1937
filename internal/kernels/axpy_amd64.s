// Vector row-add helpers for the event-driven spike kernels; see axpy.go for
// the contracts and the Go versions, which these match bit for bit (same
// order of additions, products rounded before sums, no fused multiply-add).

#include "textflag.h"

// func gatherSum512(dst, w *float32, ldw int, idx *int32, nidx, ncols int, alpha, beta float32, combine int)
//
// dst[j] = alpha*sum_i w[idx[i]*ldw+j] (+ beta*dst[j] when combine != 0).
// Columns go in blocks of 128 (eight zmm accumulators), then 16, then a
// masked tail.
TEXT ·gatherSum512(SB), NOSPLIT, $0-64
	MOVQ dst+0(FP), DI
	MOVQ w+8(FP), SI
	MOVQ ldw+16(FP), R9
	SHLQ $2, R9
	MOVQ idx+24(FP), R8
	MOVQ nidx+32(FP), R10
	MOVQ ncols+40(FP), CX
	VBROADCASTSS alpha+48(FP), Z30
	VBROADCASTSS beta+52(FP), Z31
	MOVQ combine+56(FP), R11

g512blk128:
	CMPQ CX, $128
	JLT  g512blk16
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	MOVQ R8, BX
	MOVQ R10, DX
	TESTQ DX, DX
	JZ   g512fin128

g512idx128:
	MOVLQSX (BX), AX
	IMULQ R9, AX
	ADDQ SI, AX
	VADDPS 0(AX), Z0, Z0
	VADDPS 64(AX), Z1, Z1
	VADDPS 128(AX), Z2, Z2
	VADDPS 192(AX), Z3, Z3
	VADDPS 256(AX), Z4, Z4
	VADDPS 320(AX), Z5, Z5
	VADDPS 384(AX), Z6, Z6
	VADDPS 448(AX), Z7, Z7
	ADDQ $4, BX
	DECQ DX
	JNZ  g512idx128

g512fin128:
	VMULPS Z30, Z0, Z0
	VMULPS Z30, Z1, Z1
	VMULPS Z30, Z2, Z2
	VMULPS Z30, Z3, Z3
	VMULPS Z30, Z4, Z4
	VMULPS Z30, Z5, Z5
	VMULPS Z30, Z6, Z6
	VMULPS Z30, Z7, Z7
	TESTQ R11, R11
	JZ   g512st128
	VMULPS 0(DI), Z31, Z8
	VADDPS Z8, Z0, Z0
	VMULPS 64(DI), Z31, Z9
	VADDPS Z9, Z1, Z1
	VMULPS 128(DI), Z31, Z10
	VADDPS Z10, Z2, Z2
	VMULPS 192(DI), Z31, Z11
	VADDPS Z11, Z3, Z3
	VMULPS 256(DI), Z31, Z12
	VADDPS Z12, Z4, Z4
	VMULPS 320(DI), Z31, Z13
	VADDPS Z13, Z5, Z5
	VMULPS 384(DI), Z31, Z14
	VADDPS Z14, Z6, Z6
	VMULPS 448(DI), Z31, Z15
	VADDPS Z15, Z7, Z7
g512st128:
	VMOVUPS Z0, 0(DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	VMOVUPS Z4, 256(DI)
	VMOVUPS Z5, 320(DI)
	VMOVUPS Z6, 384(DI)
	VMOVUPS Z7, 448(DI)
	ADDQ $512, DI
	ADDQ $512, SI
	SUBQ $128, CX
	JMP  g512blk128

g512blk16:
	CMPQ CX, $16
	JLT  g512tail
	VPXORD Z0, Z0, Z0
	MOVQ R8, BX
	MOVQ R10, DX
	TESTQ DX, DX
	JZ   g512fin16

g512idx16:
	MOVLQSX (BX), AX
	IMULQ R9, AX
	VADDPS (SI)(AX*1), Z0, Z0
	ADDQ $4, BX
	DECQ DX
	JNZ  g512idx16

g512fin16:
	VMULPS Z30, Z0, Z0
	TESTQ R11, R11
	JZ   g512st16
	VMULPS (DI), Z31, Z8
	VADDPS Z8, Z0, Z0

g512st16:
	VMOVUPS Z0, (DI)
	ADDQ $64, DI
	ADDQ $64, SI
	SUBQ $16, CX
	JMP  g512blk16

g512tail:
	TESTQ CX, CX
	JZ   g512done
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	VPXORD Z0, Z0, Z0
	MOVQ R8, BX
	MOVQ R10, DX
	TESTQ DX, DX
	JZ   g512fintail

g512idxtail:
	MOVLQSX (BX), AX
	IMULQ R9, AX
	VADDPS (SI)(AX*1), Z0, K1, Z0
	ADDQ $4, BX
	DECQ DX
	JNZ  g512idxtail

g512fintail:
	VMULPS Z30, Z0, Z0
	TESTQ R11, R11
	JZ   g512sttail
	VMOVUPS.Z (DI), K1, Z8
	VMULPS Z8, Z31, Z8
	VADDPS Z8, Z0, Z0

g512sttail:
	VMOVUPS Z0, K1, (DI)

g512done:
	VZEROUPPER
	RET

// func scatterAdd512(gr *float32, ldg int, idx *int32, nidx int, d *float32, ncols int, alpha float32)
//
// g[idx[i]*ldg+j] += alpha*d[j] for i in order. Columns go in blocks of 128
// (alpha*d held in eight zmm registers), then 16, then a masked tail.
TEXT ·scatterAdd512(SB), NOSPLIT, $0-52
	MOVQ gr+0(FP), DI
	MOVQ ldg+8(FP), R9
	SHLQ $2, R9
	MOVQ idx+16(FP), R8
	MOVQ nidx+24(FP), R10
	MOVQ d+32(FP), SI
	MOVQ ncols+40(FP), CX
	VBROADCASTSS alpha+48(FP), Z30

s512blk128:
	CMPQ CX, $128
	JLT  s512blk16
	VMULPS 0(SI), Z30, Z0
	VMULPS 64(SI), Z30, Z1
	VMULPS 128(SI), Z30, Z2
	VMULPS 192(SI), Z30, Z3
	VMULPS 256(SI), Z30, Z4
	VMULPS 320(SI), Z30, Z5
	VMULPS 384(SI), Z30, Z6
	VMULPS 448(SI), Z30, Z7
	MOVQ R8, BX
	MOVQ R10, DX

s512idx128:
	MOVLQSX (BX), AX
	IMULQ R9, AX
	ADDQ DI, AX
	VADDPS 0(AX), Z0, Z8
	VMOVUPS Z8, 0(AX)
	VADDPS 64(AX), Z1, Z9
	VMOVUPS Z9, 64(AX)
	VADDPS 128(AX), Z2, Z10
	VMOVUPS Z10, 128(AX)
	VADDPS 192(AX), Z3, Z11
	VMOVUPS Z11, 192(AX)
	VADDPS 256(AX), Z4, Z12
	VMOVUPS Z12, 256(AX)
	VADDPS 320(AX), Z5, Z13
	VMOVUPS Z13, 320(AX)
	VADDPS 384(AX), Z6, Z14
	VMOVUPS Z14, 384(AX)
	VADDPS 448(AX), Z7, Z15
	VMOVUPS Z15, 448(AX)
	ADDQ $4, BX
	DECQ DX
	JNZ  s512idx128
	ADDQ $512, DI
	ADDQ $512, SI
	SUBQ $128, CX
	JMP  s512blk128

s512blk16:
	CMPQ CX, $16
	JLT  s512tail
	VMULPS (SI), Z30, Z0
	MOVQ R8, BX
	MOVQ R10, DX

s512idx16:
	MOVLQSX (BX), AX
	IMULQ R9, AX
	VADDPS (DI)(AX*1), Z0, Z8
	VMOVUPS Z8, (DI)(AX*1)
	ADDQ $4, BX
	DECQ DX
	JNZ  s512idx16
	ADDQ $64, DI
	ADDQ $64, SI
	SUBQ $16, CX
	JMP  s512blk16

s512tail:
	TESTQ CX, CX
	JZ   s512done
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	VMOVUPS.Z (SI), K1, Z0
	VMULPS Z30, Z0, Z0
	MOVQ R8, BX
	MOVQ R10, DX

s512idxtail:
	MOVLQSX (BX), AX
	IMULQ R9, AX
	VMOVUPS.Z (DI)(AX*1), K1, Z8
	VADDPS Z0, Z8, Z8
	VMOVUPS Z8, K1, (DI)(AX*1)
	ADDQ $4, BX
	DECQ DX
	JNZ  s512idxtail

s512done:
	VZEROUPPER
	RET

// func gatherSum256(dst, w *float32, ldw int, idx *int32, nidx, ncols int, alpha, beta float32, combine int)
//
// As gatherSum512 with ymm registers; ncols must be a multiple of 8. Blocks of
// 64 columns (eight accumulators), then 8.
TEXT ·gatherSum256(SB), NOSPLIT, $0-64
	MOVQ dst+0(FP), DI
	MOVQ w+8(FP), SI
	MOVQ ldw+16(FP), R9
	SHLQ $2, R9
	MOVQ idx+24(FP), R8
	MOVQ nidx+32(FP), R10
	MOVQ ncols+40(FP), CX
	VBROADCASTSS alpha+48(FP), Y14
	VBROADCASTSS beta+52(FP), Y15
	MOVQ combine+56(FP), R11

g256blk64:
	CMPQ CX, $64
	JLT  g256blk8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ R8, BX
	MOVQ R10, DX
	TESTQ DX, DX
	JZ   g256fin64

g256idx64:
	MOVLQSX (BX), AX
	IMULQ R9, AX
	ADDQ SI, AX
	VADDPS 0(AX), Y0, Y0
	VADDPS 32(AX), Y1, Y1
	VADDPS 64(AX), Y2, Y2
	VADDPS 96(AX), Y3, Y3
	VADDPS 128(AX), Y4, Y4
	VADDPS 160(AX), Y5, Y5
	VADDPS 192(AX), Y6, Y6
	VADDPS 224(AX), Y7, Y7
	ADDQ $4, BX
	DECQ DX
	JNZ  g256idx64

g256fin64:
	VMULPS Y14, Y0, Y0
	VMULPS Y14, Y1, Y1
	VMULPS Y14, Y2, Y2
	VMULPS Y14, Y3, Y3
	VMULPS Y14, Y4, Y4
	VMULPS Y14, Y5, Y5
	VMULPS Y14, Y6, Y6
	VMULPS Y14, Y7, Y7
	TESTQ R11, R11
	JZ   g256st64
	VMULPS 0(DI), Y15, Y8
	VADDPS Y8, Y0, Y0
	VMULPS 32(DI), Y15, Y9
	VADDPS Y9, Y1, Y1
	VMULPS 64(DI), Y15, Y10
	VADDPS Y10, Y2, Y2
	VMULPS 96(DI), Y15, Y11
	VADDPS Y11, Y3, Y3
	VMULPS 128(DI), Y15, Y12
	VADDPS Y12, Y4, Y4
	VMULPS 160(DI), Y15, Y13
	VADDPS Y13, Y5, Y5
	VMULPS 192(DI), Y15, Y8
	VADDPS Y8, Y6, Y6
	VMULPS 224(DI), Y15, Y9
	VADDPS Y9, Y7, Y7
g256st64:
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	ADDQ $256, DI
	ADDQ $256, SI
	SUBQ $64, CX
	JMP  g256blk64

g256blk8:
	CMPQ CX, $8
	JLT  g256done
	VXORPS Y0, Y0, Y0
	MOVQ R8, BX
	MOVQ R10, DX
	TESTQ DX, DX
	JZ   g256fin8

g256idx8:
	MOVLQSX (BX), AX
	IMULQ R9, AX
	VADDPS (SI)(AX*1), Y0, Y0
	ADDQ $4, BX
	DECQ DX
	JNZ  g256idx8

g256fin8:
	VMULPS Y14, Y0, Y0
	TESTQ R11, R11
	JZ   g256st8
	VMULPS (DI), Y15, Y8
	VADDPS Y8, Y0, Y0

g256st8:
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	SUBQ $8, CX
	JMP  g256blk8

g256done:
	VZEROUPPER
	RET

// func scatterAdd256(gr *float32, ldg int, idx *int32, nidx int, d *float32, ncols int, alpha float32)
//
// As scatterAdd512 with ymm registers; ncols must be a multiple of 8. Blocks
// of 32 columns (four registers hold alpha*d), then 8.
TEXT ·scatterAdd256(SB), NOSPLIT, $0-52
	MOVQ gr+0(FP), DI
	MOVQ ldg+8(FP), R9
	SHLQ $2, R9
	MOVQ idx+16(FP), R8
	MOVQ nidx+24(FP), R10
	MOVQ d+32(FP), SI
	MOVQ ncols+40(FP), CX
	VBROADCASTSS alpha+48(FP), Y14

s256blk32:
	CMPQ CX, $32
	JLT  s256blk8
	VMULPS 0(SI), Y14, Y0
	VMULPS 32(SI), Y14, Y1
	VMULPS 64(SI), Y14, Y2
	VMULPS 96(SI), Y14, Y3
	MOVQ R8, BX
	MOVQ R10, DX

s256idx32:
	MOVLQSX (BX), AX
	IMULQ R9, AX
	ADDQ DI, AX
	VADDPS 0(AX), Y0, Y8
	VMOVUPS Y8, 0(AX)
	VADDPS 32(AX), Y1, Y9
	VMOVUPS Y9, 32(AX)
	VADDPS 64(AX), Y2, Y10
	VMOVUPS Y10, 64(AX)
	VADDPS 96(AX), Y3, Y11
	VMOVUPS Y11, 96(AX)
	ADDQ $4, BX
	DECQ DX
	JNZ  s256idx32
	ADDQ $128, DI
	ADDQ $128, SI
	SUBQ $32, CX
	JMP  s256blk32

s256blk8:
	CMPQ CX, $8
	JLT  s256done
	VMULPS (SI), Y14, Y0
	MOVQ R8, BX
	MOVQ R10, DX

s256idx8:
	MOVLQSX (BX), AX
	IMULQ R9, AX
	VADDPS (DI)(AX*1), Y0, Y8
	VMOVUPS Y8, (DI)(AX*1)
	ADDQ $4, BX
	DECQ DX
	JNZ  s256idx8
	ADDQ $32, DI
	ADDQ $32, SI
	SUBQ $8, CX
	JMP  s256blk8

s256done:
	VZEROUPPER
	RET

// func gatherRows4x16(dst *float32, ldc int, w *float32, ldw int, idx, ptr *int32, ncols int, alpha, beta float32, combine int)
//
// gatherSum512 for four consecutive rows at once, for ncols <= 16 (one
// masked zmm per row): row r (r = 0..3) sums the rows of w listed in
// idx[ptr[r]:ptr[r+1]] into its own accumulator, in list order, and stores
// alpha*acc (+ beta*old when combine != 0) to dst + r*ldc. The four
// independent chains hide the latency of the additions; each row's result is
// the same as gatherSum512's.
TEXT ·gatherRows4x16(SB), NOSPLIT, $0-72
	MOVQ ncols+48(FP), CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	MOVQ ldw+24(FP), CX
	SHLQ $2, CX
	MOVQ w+16(FP), DX
	MOVQ idx+32(FP), AX
	MOVQ ptr+40(FP), BX
	MOVLQSX 0(BX), R8
	MOVLQSX 4(BX), R12
	MOVLQSX 8(BX), R13
	MOVLQSX 12(BX), R14
	MOVLQSX 16(BX), R15
	LEAQ (AX)(R8*4), R8
	LEAQ (AX)(R12*4), R12
	LEAQ (AX)(R13*4), R13
	LEAQ (AX)(R14*4), R14
	LEAQ (AX)(R15*4), R15
	MOVQ R12, R9
	MOVQ R13, R10
	MOVQ R14, R11
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3

	// BX = the shortest of the four lists, in entries.
	MOVQ R12, BX
	SUBQ R8, BX
	MOVQ R13, AX
	SUBQ R9, AX
	CMPQ AX, BX
	CMOVQLT AX, BX
	MOVQ R14, AX
	SUBQ R10, AX
	CMPQ AX, BX
	CMOVQLT AX, BX
	MOVQ R15, AX
	SUBQ R11, AX
	CMPQ AX, BX
	CMOVQLT AX, BX
	SHRQ $2, BX
	TESTQ BX, BX
	JZ   gr4tail0

gr4loop:
	MOVLQSX (R8), AX
	IMULQ CX, AX
	VADDPS (DX)(AX*1), Z0, K1, Z0
	MOVLQSX (R9), AX
	IMULQ CX, AX
	VADDPS (DX)(AX*1), Z1, K1, Z1
	MOVLQSX (R10), AX
	IMULQ CX, AX
	VADDPS (DX)(AX*1), Z2, K1, Z2
	MOVLQSX (R11), AX
	IMULQ CX, AX
	VADDPS (DX)(AX*1), Z3, K1, Z3
	ADDQ $4, R8
	ADDQ $4, R9
	ADDQ $4, R10
	ADDQ $4, R11
	DECQ BX
	JNZ  gr4loop

gr4tail0:
	CMPQ R8, R12
	JGE  gr4tail0done
	MOVLQSX (R8), AX
	IMULQ CX, AX
	VADDPS (DX)(AX*1), Z0, K1, Z0
	ADDQ $4, R8
	JMP  gr4tail0

gr4tail0done:
gr4tail1:
	CMPQ R9, R13
	JGE  gr4tail1done
	MOVLQSX (R9), AX
	IMULQ CX, AX
	VADDPS (DX)(AX*1), Z1, K1, Z1
	ADDQ $4, R9
	JMP  gr4tail1

gr4tail1done:
gr4tail2:
	CMPQ R10, R14
	JGE  gr4tail2done
	MOVLQSX (R10), AX
	IMULQ CX, AX
	VADDPS (DX)(AX*1), Z2, K1, Z2
	ADDQ $4, R10
	JMP  gr4tail2

gr4tail2done:
gr4tail3:
	CMPQ R11, R15
	JGE  gr4tail3done
	MOVLQSX (R11), AX
	IMULQ CX, AX
	VADDPS (DX)(AX*1), Z3, K1, Z3
	ADDQ $4, R11
	JMP  gr4tail3

gr4tail3done:
	VBROADCASTSS alpha+56(FP), Z30
	VMULPS Z30, Z0, Z0
	VMULPS Z30, Z1, Z1
	VMULPS Z30, Z2, Z2
	VMULPS Z30, Z3, Z3
	MOVQ dst+0(FP), DI
	MOVQ ldc+8(FP), SI
	SHLQ $2, SI
	MOVQ combine+64(FP), AX
	TESTQ AX, AX
	JZ   gr4store
	VBROADCASTSS beta+60(FP), Z31
	MOVQ DI, BX
	VMOVUPS.Z (BX), K1, Z8
	VMULPS Z8, Z31, Z8
	VADDPS Z8, Z0, Z0
	ADDQ SI, BX
	VMOVUPS.Z (BX), K1, Z8
	VMULPS Z8, Z31, Z8
	VADDPS Z8, Z1, Z1
	ADDQ SI, BX
	VMOVUPS.Z (BX), K1, Z8
	VMULPS Z8, Z31, Z8
	VADDPS Z8, Z2, Z2
	ADDQ SI, BX
	VMOVUPS.Z (BX), K1, Z8
	VMULPS Z8, Z31, Z8
	VADDPS Z8, Z3, Z3

gr4store:
	VMOVUPS Z0, K1, (DI)
	ADDQ SI, DI
	VMOVUPS Z1, K1, (DI)
	ADDQ SI, DI
	VMOVUPS Z2, K1, (DI)
	ADDQ SI, DI
	VMOVUPS Z3, K1, (DI)
	VZEROUPPER
	RET
