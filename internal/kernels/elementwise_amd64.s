#include "textflag.h"

// func fastSigmoidShifted512(dst, mem, thr *float32, n int, k float32)
// n is a positive multiple of 16.
TEXT ·fastSigmoidShifted512(SB), NOSPLIT, $0-36
	MOVQ dst+0(FP), DI
	MOVQ mem+8(FP), SI
	MOVQ thr+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS k+32(FP), Z1
	MOVL $0x7fffffff, AX
	VPBROADCASTD AX, Z2
	MOVL $0x3f800000, AX
	VPBROADCASTD AX, Z3

fsloop:
	VMOVUPS (SI), Z4
	VSUBPS  (DX), Z4, Z4 // x = mem - thr
	VPANDD  Z2, Z4, Z4   // |x|
	VMULPS  Z1, Z4, Z4   // k|x|
	VADDPS  Z3, Z4, Z4   // d = k|x| + 1
	VDIVPS  Z4, Z3, Z4   // r = 1/d
	VMULPS  Z4, Z4, Z4   // r*r
	VMOVUPS Z4, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	SUBQ    $16, CX
	JNZ     fsloop
	VZEROUPPER
	RET

// func fusedAdam512(p, grad, m, v *float32, n int, c *AdamCoeffs)
// n is a positive multiple of 16. c: B1, C1, B2, C2, Step, RBC2, Eps.
TEXT ·fusedAdam512(SB), NOSPLIT, $0-48
	MOVQ p+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ m+16(FP), R8
	MOVQ v+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ c+40(FP), AX
	VBROADCASTSS 0(AX), Z10  // B1
	VBROADCASTSS 4(AX), Z11  // C1
	VBROADCASTSS 8(AX), Z12  // B2
	VBROADCASTSS 12(AX), Z13 // C2
	VBROADCASTSS 16(AX), Z14 // Step
	VBROADCASTSS 20(AX), Z15 // RBC2
	VBROADCASTSS 24(AX), Z16 // Eps

adloop:
	VMOVUPS (SI), Z0         // g
	VMULPS  (R8), Z10, Z1    // B1*m
	VMULPS  Z0, Z11, Z2      // C1*g
	VADDPS  Z2, Z1, Z1       // m' = B1*m + C1*g
	VMULPS  (R9), Z12, Z3    // B2*v
	VMULPS  Z0, Z13, Z4      // C2*g
	VMULPS  Z0, Z4, Z4       // (C2*g)*g
	VADDPS  Z4, Z3, Z3       // v' = B2*v + (C2*g)*g
	VMOVUPS Z1, (R8)
	VMOVUPS Z3, (R9)
	VSQRTPS Z3, Z5           // sqrt(v')
	VMULPS  Z15, Z5, Z5      // sqrt(v')*RBC2
	VADDPS  Z16, Z5, Z5      // den
	VMULPS  Z1, Z14, Z6      // Step*m'
	VDIVPS  Z5, Z6, Z6       // (Step*m')/den
	VMOVUPS (DI), Z7
	VSUBPS  Z6, Z7, Z7       // p - ...
	VMOVUPS Z7, (DI)
	ADDQ    $64, DI
	ADDQ    $64, SI
	ADDQ    $64, R8
	ADDQ    $64, R9
	SUBQ    $16, CX
	JNZ     adloop
	VZEROUPPER
	RET

// func add512(dst, src *float32, n int)
// n is a positive multiple of 16.
TEXT ·add512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

addloop:
	VMOVUPS (DI), Z0
	VADDPS  (SI), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, DI
	ADDQ    $64, SI
	SUBQ    $16, CX
	JNZ     addloop
	VZEROUPPER
	RET
