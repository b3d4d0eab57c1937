//go:build amd64 && !purego

#include "textflag.h"

// func copyPanels(dst *float32, stride int, src *float32, ld int, rows, panels, w int)
//
// For p < rows, q < panels and x < w:
// dst[p*w+q*stride+x] = src[p*ld+q*w+x]. w is a positive multiple of 4;
// rows and panels are positive. Each panel row is copied with 32-byte
// moves and a 16-byte move for a remainder of four floats. Needs AVX.
//
// Before each row it prefetches the lines the row four rows further down
// will read: the packers read a strip of a wide matrix (a column chunk of
// B, often 1-2 KiB of each of hundreds of rows kilobytes apart), a pattern
// the hardware's stream prefetchers follow poorly. Four rows of a strip a
// few KiB wide stay in L1 (48 KiB on Zen 5) until they are copied; wider
// strips (small kc) are long contiguous runs, which the hardware follows.
TEXT ·copyPanels(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ stride+8(FP), R8
	SHLQ $2, R8
	MOVQ src+16(FP), SI
	MOVQ ld+24(FP), R9
	SHLQ $2, R9
	MOVQ rows+32(FP), R10
	MOVQ panels+40(FP), R11
	MOVQ w+48(FP), R12
	SHLQ $2, R12

	// R14 = bytes of one row's panels, R15 = the row prefetched
	MOVQ R11, R14
	IMULQ R12, R14
	MOVQ R9, R15
	SHLQ $2, R15
	ADDQ SI, R15

row:
	// Prefetch the row four rows ahead, if there is one.
	XORQ AX, AX
	CMPQ R10, $4
	JBE  copy

prefetch:
	PREFETCHT0 (R15)(AX*1)
	ADDQ $64, AX
	CMPQ AX, R14
	JB   prefetch

copy:
	ADDQ R9, R15
	MOVQ SI, AX
	MOVQ DI, BX
	MOVQ R11, CX
	// The common widths (the panels of the AVX-512 and AVX2 kernels) copy
	// a panel row in straight-line moves.
	CMPQ R12, $32
	JEQ  w8
	CMPQ R12, $48
	JEQ  w12
	CMPQ R12, $64
	JEQ  w16
	CMPQ R12, $128
	JEQ  w32
	CMPQ R12, $192
	JEQ  w48

panel:
	MOVQ R12, DX
	XORQ R13, R13

wide:
	CMPQ DX, $64
	JB   narrow
	VMOVUPS (AX)(R13*1), Y0
	VMOVUPS 32(AX)(R13*1), Y1
	VMOVUPS Y0, (BX)(R13*1)
	VMOVUPS Y1, 32(BX)(R13*1)
	ADDQ $64, R13
	SUBQ $64, DX
	JMP  wide

narrow:
	CMPQ DX, $32
	JB   tail
	VMOVUPS (AX)(R13*1), Y0
	VMOVUPS Y0, (BX)(R13*1)
	ADDQ $32, R13
	SUBQ $32, DX

tail:
	TESTQ DX, DX
	JZ    next
	VMOVUPS (AX)(R13*1), X0
	VMOVUPS X0, (BX)(R13*1)

next:
	ADDQ R12, AX
	ADDQ R8, BX
	DECQ CX
	JNZ  panel
	JMP  rowdone

w8:
	VMOVUPS (AX), Y0
	VMOVUPS Y0, (BX)
	ADDQ R12, AX
	ADDQ R8, BX
	DECQ CX
	JNZ  w8
	JMP  rowdone

w12:
	VMOVUPS (AX), Y0
	VMOVUPS 32(AX), X1
	VMOVUPS Y0, (BX)
	VMOVUPS X1, 32(BX)
	ADDQ R12, AX
	ADDQ R8, BX
	DECQ CX
	JNZ  w12
	JMP  rowdone

w16:
	VMOVUPS (AX), Y0
	VMOVUPS 32(AX), Y1
	VMOVUPS Y0, (BX)
	VMOVUPS Y1, 32(BX)
	ADDQ R12, AX
	ADDQ R8, BX
	DECQ CX
	JNZ  w16
	JMP  rowdone

w32:
	VMOVUPS (AX), Y0
	VMOVUPS 32(AX), Y1
	VMOVUPS 64(AX), Y2
	VMOVUPS 96(AX), Y3
	VMOVUPS Y0, (BX)
	VMOVUPS Y1, 32(BX)
	VMOVUPS Y2, 64(BX)
	VMOVUPS Y3, 96(BX)
	ADDQ R12, AX
	ADDQ R8, BX
	DECQ CX
	JNZ  w32
	JMP  rowdone

w48:
	VMOVUPS (AX), Y0
	VMOVUPS 32(AX), Y1
	VMOVUPS 64(AX), Y2
	VMOVUPS 96(AX), Y3
	VMOVUPS 128(AX), Y4
	VMOVUPS 160(AX), Y5
	VMOVUPS Y0, (BX)
	VMOVUPS Y1, 32(BX)
	VMOVUPS Y2, 64(BX)
	VMOVUPS Y3, 96(BX)
	VMOVUPS Y4, 128(BX)
	VMOVUPS Y5, 160(BX)
	ADDQ R12, AX
	ADDQ R8, BX
	DECQ CX
	JNZ  w48

rowdone:
	ADDQ R9, SI
	ADDQ R12, DI
	DECQ R10
	JNZ  row
	VZEROUPPER
	RET
