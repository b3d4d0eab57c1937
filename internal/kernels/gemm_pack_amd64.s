//go:build amd64 && !purego

#include "textflag.h"

// func copyPanels(dst *float32, stride int, src *float32, ld int, rows, panels, w int)
//
// For p < rows, q < panels and x < w:
// dst[p*w+q*stride+x] = src[p*ld+q*w+x]. w is a positive multiple of 4;
// rows and panels are positive. Each panel row is copied with 32-byte
// moves and a 16-byte move for a remainder of four floats. Needs AVX.
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

row:
	MOVQ SI, AX
	MOVQ DI, BX
	MOVQ R11, CX

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
	ADDQ R9, SI
	ADDQ R12, DI
	DECQ R10
	JNZ  row
	VZEROUPPER
	RET
