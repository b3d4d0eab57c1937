// AVX-512 inner loop of the AdLIF scan's forward step (adaptive_scan.go),
// over n elements, a multiple of 16; the Go caller runs the remainder with
// the Go loop. It uses the same float32 operations in the same order as
// adlifForward's loop (no fused multiply-add), so it gives the same bits.

#include "textflag.h"

// func adlifFwd512(n int, x, pu, ps, pw, par *float32, stride int, u, s, w *float32)
//
// par holds the five parameters [alpha, beta, a, b, thr], each of stride
// floats, one after the other. Per element, with r = ps:
//
//	w = ((pw*beta) + (pu*a)) + (r*b)
//	u = ((pu - r*thr)*alpha) + ((x - w)*(1 - alpha))
//	s = (u - thr) > 0
TEXT ·adlifFwd512(SB), NOSPLIT, $0-80
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), AX
	MOVQ pu+16(FP), BX
	MOVQ ps+24(FP), DX
	MOVQ pw+32(FP), SI
	MOVQ par+40(FP), DI
	MOVQ stride+48(FP), R8
	SHLQ $2, R8          // the stride in bytes
	LEAQ (R8)(R8*2), R9  // three strides
	MOVQ u+56(FP), R11
	MOVQ s+64(FP), R12
	MOVQ w+72(FP), R13
	MOVL $0x3f800000, R10
	VPBROADCASTD R10, Z31 // 1
	VPXORD Z30, Z30, Z30  // 0

adlifFwd512loop:
	CMPQ CX, $16
	JLT  adlifFwd512done
	VMOVUPS (SI), Z0
	VMULPS (DI)(R8*1), Z0, Z0 // pw*beta
	VMOVUPS (BX), Z1
	VMULPS (DI)(R8*2), Z1, Z2 // pu*a
	VADDPS Z2, Z0, Z0
	VMOVUPS (DX), Z3          // r
	VMULPS (DI)(R9*1), Z3, Z2 // r*b
	VADDPS Z2, Z0, Z0         // w
	VMOVUPS Z0, (R13)
	VMOVUPS (DI)(R8*4), Z4    // thr
	VMULPS Z4, Z3, Z5         // r*thr
	VSUBPS Z5, Z1, Z1         // v = pu - r*thr
	VMOVUPS (DI), Z6          // alpha
	VMULPS Z6, Z1, Z1         // v*alpha
	VMOVUPS (AX), Z7
	VSUBPS Z0, Z7, Z7         // x - w
	VSUBPS Z6, Z31, Z8        // 1 - alpha
	VMULPS Z8, Z7, Z7
	VADDPS Z7, Z1, Z1         // u
	VMOVUPS Z1, (R11)
	VSUBPS Z4, Z1, Z9         // u - thr
	VCMPPS $0x1e, Z30, Z9, K1 // > 0
	VMOVAPS.Z Z31, K1, Z10
	VMOVUPS Z10, (R12)
	ADDQ $64, AX
	ADDQ $64, BX
	ADDQ $64, DX
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, R11
	ADDQ $64, R12
	ADDQ $64, R13
	SUBQ $16, CX
	JMP  adlifFwd512loop

adlifFwd512done:
	VZEROUPPER
	RET
