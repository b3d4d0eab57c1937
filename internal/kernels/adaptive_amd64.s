// AVX-512 inner loops of the AdLIF, ALIF and PLIF scans' forward steps
// (adaptive_scan.go), over n elements, a multiple of 16; the Go caller runs
// the remainder with the Go loop. They use the same float32 operations in
// the same order as adlifForward's, alifForward's and plifForward's loops
// (no fused multiply-add), so they give the same bits.

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

// func alifFwd512(n int, x, pm, ps, pa, par *float32, stride int, m, s, a *float32, reset int)
//
// par holds the four parameters [beta, b0, rho, adapt], each of stride
// floats, one after the other; reset is 0 (subtract), 1 (zero) or 2
// (none), kernels.ResetMode's values. Per element, with r = ps:
//
//	a   = (pa*rho) + r
//	thr = (a*adapt) + b0
//	v   = pm*beta;  v = v*(1 - r) (zero);  v = v + x;  v = v - r*thr (subtract)
//	m   = v; s = (v - thr) > 0
TEXT ·alifFwd512(SB), NOSPLIT, $0-88
	MOVL $0x3f800000, AX
	VPBROADCASTD AX, Z31 // 1
	VPXORD Z30, Z30, Z30 // 0
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), AX
	MOVQ pm+16(FP), BX
	MOVQ ps+24(FP), DX
	MOVQ pa+32(FP), SI
	MOVQ par+40(FP), DI
	MOVQ stride+48(FP), R8
	SHLQ $2, R8          // the stride in bytes
	LEAQ (R8)(R8*2), R9  // three strides
	MOVQ m+56(FP), R11
	MOVQ s+64(FP), R12
	MOVQ a+72(FP), R13
	MOVQ reset+80(FP), R10

alifFwd512loop:
	CMPQ CX, $16
	JLT  alifFwd512done
	VMOVUPS (DX), Z3          // r
	VMOVUPS (SI), Z0
	VMULPS (DI)(R8*2), Z0, Z0 // pa*rho
	VADDPS Z3, Z0, Z0         // a
	VMOVUPS Z0, (R13)
	VMULPS (DI)(R9*1), Z0, Z1 // a*adapt
	VADDPS (DI)(R8*1), Z1, Z1 // thr = a*adapt + b0
	VMOVUPS (BX), Z2
	VMULPS (DI), Z2, Z2       // pm*beta
	CMPQ R10, $1
	JNE  alifFwd512nozero
	VSUBPS Z3, Z31, Z4        // 1 - r
	VMULPS Z4, Z2, Z2

alifFwd512nozero:
	VADDPS (AX), Z2, Z2       // + x
	CMPQ R10, $0
	JNE  alifFwd512nosub
	VMULPS Z1, Z3, Z4         // r*thr
	VSUBPS Z4, Z2, Z2

alifFwd512nosub:
	VMOVUPS Z2, (R11)
	VSUBPS Z1, Z2, Z5         // v - thr
	VCMPPS $0x1e, Z30, Z5, K1 // > 0
	VMOVAPS.Z Z31, K1, Z6
	VMOVUPS Z6, (R12)
	ADDQ $64, AX
	ADDQ $64, BX
	ADDQ $64, DX
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, R11
	ADDQ $64, R12
	ADDQ $64, R13
	SUBQ $16, CX
	JMP  alifFwd512loop

alifFwd512done:
	VZEROUPPER
	RET

// func plifFwd512(n int, x, pm, ps, par *float32, stride int, m, s *float32, reset int)
//
// par holds the two parameters [k, thr], each of stride floats. Per
// element, with r = ps:
//
//	v = pm - r*thr (subtract), pm*(1 - r) (zero) or pm (none)
//	m = v + (x - v)*k; s = (m - thr) > 0
TEXT ·plifFwd512(SB), NOSPLIT, $0-72
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), AX
	MOVQ pm+16(FP), BX
	MOVQ ps+24(FP), DX
	MOVQ par+32(FP), DI
	MOVQ stride+40(FP), R8
	SHLQ $2, R8          // the stride in bytes
	MOVQ m+48(FP), R11
	MOVQ s+56(FP), R12
	MOVQ reset+64(FP), R10
	MOVL $0x3f800000, R9
	VPBROADCASTD R9, Z31 // 1
	VPXORD Z30, Z30, Z30 // 0

plifFwd512loop:
	CMPQ CX, $16
	JLT  plifFwd512done
	VMOVUPS (BX), Z0          // v = pm
	VMOVUPS (DI)(R8*1), Z1    // thr
	CMPQ R10, $0
	JNE  plifFwd512nosub
	VMOVUPS (DX), Z3
	VMULPS Z1, Z3, Z4         // r*thr
	VSUBPS Z4, Z0, Z0
	JMP  plifFwd512v

plifFwd512nosub:
	CMPQ R10, $1
	JNE  plifFwd512v
	VMOVUPS (DX), Z3
	VSUBPS Z3, Z31, Z4        // 1 - r
	VMULPS Z4, Z0, Z0

plifFwd512v:
	VMOVUPS (AX), Z2
	VSUBPS Z0, Z2, Z2         // x - v
	VMULPS (DI), Z2, Z2       // *k
	VADDPS Z2, Z0, Z0         // m
	VMOVUPS Z0, (R11)
	VSUBPS Z1, Z0, Z5         // m - thr
	VCMPPS $0x1e, Z30, Z5, K1 // > 0
	VMOVAPS.Z Z31, K1, Z6
	VMOVUPS Z6, (R12)
	ADDQ $64, AX
	ADDQ $64, BX
	ADDQ $64, DX
	ADDQ $64, DI
	ADDQ $64, R11
	ADDQ $64, R12
	SUBQ $16, CX
	JMP  plifFwd512loop

plifFwd512done:
	VZEROUPPER
	RET
