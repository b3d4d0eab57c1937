// AVX-512 inner loops of the LIF scan (lif.go). Each processes n elements,
// a multiple of 16; the Go caller runs the remainder with the Go loops.
//
// The forward loops use the same float32 operations in the same order as
// lifStepSub, lifStepZero and lifStepNone (no fused multiply-add), so they
// give the same bits. The backward loop uses fused multiply-adds and may
// differ from the Go loops in the last bits.

#include "textflag.h"

// func lifFwdSub512(n int, x, pm, ps, be, th, m, s *float32)
//
// mem = (be*pm + x) - ps*th; s = mem > th.
TEXT ·lifFwdSub512(SB), NOSPLIT, $0-64
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), AX
	MOVQ pm+16(FP), BX
	MOVQ ps+24(FP), DX
	MOVQ be+32(FP), SI
	MOVQ th+40(FP), DI
	MOVQ m+48(FP), R8
	MOVQ s+56(FP), R9
	MOVL $0x3f800000, R10
	VPBROADCASTD R10, Z31
	XORQ R10, R10

lifFwdSub512loop:
	CMPQ CX, $16
	JLT  lifFwdSub512done
	VMOVUPS (SI)(R10*4), Z0
	VMULPS (BX)(R10*4), Z0, Z0
	VMOVUPS (DI)(R10*4), Z1
	VADDPS (AX)(R10*4), Z0, Z0
	VMULPS (DX)(R10*4), Z1, Z2
	VSUBPS Z2, Z0, Z0
	VMOVUPS Z0, (R8)(R10*4)
	VCMPPS $0x1e, Z1, Z0, K1
	VMOVAPS.Z Z31, K1, Z3
	VMOVUPS Z3, (R9)(R10*4)
	ADDQ $16, R10
	SUBQ $16, CX
	JMP  lifFwdSub512loop

lifFwdSub512done:
	VZEROUPPER
	RET

// func lifFwdZero512(n int, x, pm, ps, be, th, m, s *float32)
//
// mem = (be*pm)*(1-ps) + x; s = mem > th.
TEXT ·lifFwdZero512(SB), NOSPLIT, $0-64
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), AX
	MOVQ pm+16(FP), BX
	MOVQ ps+24(FP), DX
	MOVQ be+32(FP), SI
	MOVQ th+40(FP), DI
	MOVQ m+48(FP), R8
	MOVQ s+56(FP), R9
	MOVL $0x3f800000, R10
	VPBROADCASTD R10, Z31
	XORQ R10, R10

lifFwdZero512loop:
	CMPQ CX, $16
	JLT  lifFwdZero512done
	VMOVUPS (SI)(R10*4), Z0
	VMULPS (BX)(R10*4), Z0, Z0
	VMOVUPS (DI)(R10*4), Z1
	VSUBPS (DX)(R10*4), Z31, Z2
	VMULPS Z2, Z0, Z0
	VADDPS (AX)(R10*4), Z0, Z0
	VMOVUPS Z0, (R8)(R10*4)
	VCMPPS $0x1e, Z1, Z0, K1
	VMOVAPS.Z Z31, K1, Z3
	VMOVUPS Z3, (R9)(R10*4)
	ADDQ $16, R10
	SUBQ $16, CX
	JMP  lifFwdZero512loop

lifFwdZero512done:
	VZEROUPPER
	RET

// func lifFwdNone512(n int, x, pm, ps, be, th, m, s *float32)
//
// mem = be*pm + x; s = mem > th.
TEXT ·lifFwdNone512(SB), NOSPLIT, $0-64
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), AX
	MOVQ pm+16(FP), BX
	MOVQ ps+24(FP), DX
	MOVQ be+32(FP), SI
	MOVQ th+40(FP), DI
	MOVQ m+48(FP), R8
	MOVQ s+56(FP), R9
	MOVL $0x3f800000, R10
	VPBROADCASTD R10, Z31
	XORQ R10, R10

lifFwdNone512loop:
	CMPQ CX, $16
	JLT  lifFwdNone512done
	VMOVUPS (SI)(R10*4), Z0
	VMULPS (BX)(R10*4), Z0, Z0
	VMOVUPS (DI)(R10*4), Z1
	VADDPS (AX)(R10*4), Z0, Z0
	VMOVUPS Z0, (R8)(R10*4)
	VCMPPS $0x1e, Z1, Z0, K1
	VMOVAPS.Z Z31, K1, Z3
	VMOVUPS Z3, (R9)(R10*4)
	ADDQ $16, R10
	SUBQ $16, CX
	JMP  lifFwdNone512loop

lifFwdNone512done:
	VZEROUPPER
	RET

// func lifBwd512(n int, aN, ds, dm, sg, mt, rN, pm, r, dIn, be, th, db, dt *float32, rs, rz, rg float32)
//
// One backward step of the LIF scan with the reset mode as factors (rs = 1
// for subtract, rz = 1 for zero, rg = 1 when the reset carries gradient):
//
//	gs   = ds - rg*aN*(rs*th + rz*be*mt)
//	ai   = dm + gs*sg + aN*be*(1 - rz*rN)
//	dIn  = ai
//	db  += ai*pm*(1 - rz*r)
//	dt  -= gs*sg + rs*ai*r
TEXT ·lifBwd512(SB), NOSPLIT, $0-124
	MOVL $0x3f800000, CX
	VPBROADCASTD CX, Z31
	MOVQ n+0(FP), CX
	MOVQ aN+8(FP), AX
	MOVQ ds+16(FP), BX
	MOVQ dm+24(FP), DX
	MOVQ sg+32(FP), SI
	MOVQ mt+40(FP), DI
	MOVQ rN+48(FP), R8
	MOVQ pm+56(FP), R9
	MOVQ r+64(FP), R10
	MOVQ dIn+72(FP), R11
	MOVQ be+80(FP), R12
	MOVQ th+88(FP), R13
	MOVQ db+96(FP), R14
	MOVQ dt+104(FP), R15
	VBROADCASTSS rs+112(FP), Z30
	VBROADCASTSS rz+116(FP), Z29
	VBROADCASTSS rg+120(FP), Z28

lifBwdloop:
	CMPQ CX, $16
	JLT  lifBwddone
	VMOVUPS (AX), Z0
	VMOVUPS (R12), Z1
	VMOVUPS (R13), Z2
	VMULPS Z29, Z1, Z3
	VMULPS (DI), Z3, Z3
	VFMADD231PS Z30, Z2, Z3
	VMULPS Z0, Z3, Z3
	VMOVUPS (BX), Z4
	VFNMADD231PS Z28, Z3, Z4
	VMOVAPS Z31, Z5
	VFNMADD231PS (R8), Z29, Z5
	VMULPS Z1, Z0, Z6
	VMULPS Z5, Z6, Z6
	VMULPS (SI), Z4, Z7
	VADDPS (DX), Z7, Z8
	VADDPS Z6, Z8, Z8
	VMOVUPS Z8, (R11)
	VMOVAPS Z31, Z9
	VFNMADD231PS (R10), Z29, Z9
	VMULPS (R9), Z8, Z10
	VMULPS Z9, Z10, Z10
	VADDPS (R14), Z10, Z10
	VMOVUPS Z10, (R14)
	VMULPS Z30, Z8, Z11
	VMULPS (R10), Z11, Z11
	VADDPS Z7, Z11, Z11
	VMOVUPS (R15), Z12
	VSUBPS Z11, Z12, Z12
	VMOVUPS Z12, (R15)
	ADDQ $64, AX
	ADDQ $64, BX
	ADDQ $64, DX
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, R8
	ADDQ $64, R9
	ADDQ $64, R10
	ADDQ $64, R11
	ADDQ $64, R12
	ADDQ $64, R13
	ADDQ $64, R14
	ADDQ $64, R15
	SUBQ $16, CX
	JMP  lifBwdloop

lifBwddone:
	VZEROUPPER
	RET

// func lifBwdNoAcc512(n int, aN, ds, dm, sg, mt, rN, dIn, be, th *float32, rs, rz, rg float32)
//
// lifBwd512 without the parameter-gradient sums, for calls that want neither
// dL/dbeta nor dL/dthr:
//
//	gs   = ds - rg*aN*(rs*th + rz*be*mt)
//	dIn  = dm + gs*sg + aN*be*(1 - rz*rN)
TEXT ·lifBwdNoAcc512(SB), NOSPLIT, $0-92
	MOVL $0x3f800000, CX
	VPBROADCASTD CX, Z31
	MOVQ n+0(FP), CX
	MOVQ aN+8(FP), AX
	MOVQ ds+16(FP), BX
	MOVQ dm+24(FP), DX
	MOVQ sg+32(FP), SI
	MOVQ mt+40(FP), DI
	MOVQ rN+48(FP), R8
	MOVQ dIn+56(FP), R11
	MOVQ be+64(FP), R12
	MOVQ th+72(FP), R13
	VBROADCASTSS rs+80(FP), Z30
	VBROADCASTSS rz+84(FP), Z29
	VBROADCASTSS rg+88(FP), Z28

lifBwdNAloop:
	CMPQ CX, $16
	JLT  lifBwdNAdone
	VMOVUPS (AX), Z0
	VMOVUPS (R12), Z1
	VMOVUPS (R13), Z2
	VMULPS Z29, Z1, Z3
	VMULPS (DI), Z3, Z3
	VFMADD231PS Z30, Z2, Z3
	VMULPS Z0, Z3, Z3
	VMOVUPS (BX), Z4
	VFNMADD231PS Z28, Z3, Z4
	VMOVAPS Z31, Z5
	VFNMADD231PS (R8), Z29, Z5
	VMULPS Z1, Z0, Z6
	VMULPS Z5, Z6, Z6
	VMULPS (SI), Z4, Z7
	VADDPS (DX), Z7, Z8
	VADDPS Z6, Z8, Z8
	VMOVUPS Z8, (R11)
	ADDQ $64, AX
	ADDQ $64, BX
	ADDQ $64, DX
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, R8
	ADDQ $64, R11
	ADDQ $64, R12
	ADDQ $64, R13
	SUBQ $16, CX
	JMP  lifBwdNAloop

lifBwdNAdone:
	VZEROUPPER
	RET

// AVX-512 inner loops of the Synaptic scan (lif_synaptic.go), with the same
// conventions as the LIF loops above.

// func synFwdSub512(n int, x, py, pm, ps, al, be, th, y, m, s *float32)
//
// y = al*py + x; mem = (be*pm + y) - ps*th; s = mem > th.
TEXT ·synFwdSub512(SB), NOSPLIT, $0-88
	MOVL $0x3f800000, CX
	VPBROADCASTD CX, Z31
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), AX
	MOVQ py+16(FP), BX
	MOVQ pm+24(FP), DX
	MOVQ ps+32(FP), SI
	MOVQ al+40(FP), DI
	MOVQ be+48(FP), R8
	MOVQ th+56(FP), R9
	MOVQ y+64(FP), R10
	MOVQ m+72(FP), R11
	MOVQ s+80(FP), R12
	XORQ R13, R13

synFwdSub512loop:
	CMPQ CX, $16
	JLT  synFwdSub512done
	VMOVUPS (DI)(R13*4), Z4
	VMULPS (BX)(R13*4), Z4, Z4
	VADDPS (AX)(R13*4), Z4, Z4
	VMOVUPS Z4, (R10)(R13*4)
	VMOVUPS (R8)(R13*4), Z0
	VMULPS (DX)(R13*4), Z0, Z0
	VMOVUPS (R9)(R13*4), Z1
	VADDPS Z4, Z0, Z0
	VMULPS (SI)(R13*4), Z1, Z2
	VSUBPS Z2, Z0, Z0
	VMOVUPS Z0, (R11)(R13*4)
	VCMPPS $0x1e, Z1, Z0, K1
	VMOVAPS.Z Z31, K1, Z3
	VMOVUPS Z3, (R12)(R13*4)
	ADDQ $16, R13
	SUBQ $16, CX
	JMP  synFwdSub512loop

synFwdSub512done:
	VZEROUPPER
	RET

// func synFwdZero512(n int, x, py, pm, ps, al, be, th, y, m, s *float32)
//
// y = al*py + x; mem = (be*pm)*(1-ps) + y; s = mem > th.
TEXT ·synFwdZero512(SB), NOSPLIT, $0-88
	MOVL $0x3f800000, CX
	VPBROADCASTD CX, Z31
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), AX
	MOVQ py+16(FP), BX
	MOVQ pm+24(FP), DX
	MOVQ ps+32(FP), SI
	MOVQ al+40(FP), DI
	MOVQ be+48(FP), R8
	MOVQ th+56(FP), R9
	MOVQ y+64(FP), R10
	MOVQ m+72(FP), R11
	MOVQ s+80(FP), R12
	XORQ R13, R13

synFwdZero512loop:
	CMPQ CX, $16
	JLT  synFwdZero512done
	VMOVUPS (DI)(R13*4), Z4
	VMULPS (BX)(R13*4), Z4, Z4
	VADDPS (AX)(R13*4), Z4, Z4
	VMOVUPS Z4, (R10)(R13*4)
	VMOVUPS (R8)(R13*4), Z0
	VMULPS (DX)(R13*4), Z0, Z0
	VMOVUPS (R9)(R13*4), Z1
	VSUBPS (SI)(R13*4), Z31, Z2
	VMULPS Z2, Z0, Z0
	VADDPS Z4, Z0, Z0
	VMOVUPS Z0, (R11)(R13*4)
	VCMPPS $0x1e, Z1, Z0, K1
	VMOVAPS.Z Z31, K1, Z3
	VMOVUPS Z3, (R12)(R13*4)
	ADDQ $16, R13
	SUBQ $16, CX
	JMP  synFwdZero512loop

synFwdZero512done:
	VZEROUPPER
	RET

// func synFwdNone512(n int, x, py, pm, ps, al, be, th, y, m, s *float32)
//
// y = al*py + x; mem = be*pm + y; s = mem > th.
TEXT ·synFwdNone512(SB), NOSPLIT, $0-88
	MOVL $0x3f800000, CX
	VPBROADCASTD CX, Z31
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), AX
	MOVQ py+16(FP), BX
	MOVQ pm+24(FP), DX
	MOVQ ps+32(FP), SI
	MOVQ al+40(FP), DI
	MOVQ be+48(FP), R8
	MOVQ th+56(FP), R9
	MOVQ y+64(FP), R10
	MOVQ m+72(FP), R11
	MOVQ s+80(FP), R12
	XORQ R13, R13

synFwdNone512loop:
	CMPQ CX, $16
	JLT  synFwdNone512done
	VMOVUPS (DI)(R13*4), Z4
	VMULPS (BX)(R13*4), Z4, Z4
	VADDPS (AX)(R13*4), Z4, Z4
	VMOVUPS Z4, (R10)(R13*4)
	VMOVUPS (R8)(R13*4), Z0
	VMULPS (DX)(R13*4), Z0, Z0
	VMOVUPS (R9)(R13*4), Z1
	VADDPS Z4, Z0, Z0
	VMOVUPS Z0, (R11)(R13*4)
	VCMPPS $0x1e, Z1, Z0, K1
	VMOVAPS.Z Z31, K1, Z3
	VMOVUPS Z3, (R12)(R13*4)
	ADDQ $16, R13
	SUBQ $16, CX
	JMP  synFwdNone512loop

synFwdNone512done:
	VZEROUPPER
	RET

// func synBwdA512(n int, carry, ds, dm, sg, mt, rN, be, th, gsg *float32, rs, rz, rg float32)
//
// First half of a Synaptic backward step (factors as in lifBwd512):
//
//	aN    = carry                       (A[t+1])
//	gs    = ds - rg*aN*(rs*th + rz*be*mt)
//	g     = gs*sg
//	carry = dm + g + aN*be*(1 - rz*rN)   (A[t])
TEXT ·synBwdA512(SB), NOSPLIT, $0-92
	MOVL $0x3f800000, CX
	VPBROADCASTD CX, Z31
	MOVQ n+0(FP), CX
	MOVQ carry+8(FP), AX
	MOVQ ds+16(FP), BX
	MOVQ dm+24(FP), DX
	MOVQ sg+32(FP), SI
	MOVQ mt+40(FP), DI
	MOVQ rN+48(FP), R8
	MOVQ be+56(FP), R9
	MOVQ th+64(FP), R10
	MOVQ gsg+72(FP), R11
	VBROADCASTSS rs+80(FP), Z30
	VBROADCASTSS rz+84(FP), Z29
	VBROADCASTSS rg+88(FP), Z28
	XORQ R13, R13

synBwdAloop:
	CMPQ CX, $16
	JLT  synBwdAdone
	VMOVUPS (AX)(R13*4), Z0
	VMOVUPS (R9)(R13*4), Z1
	VMOVUPS (R10)(R13*4), Z2
	VMULPS Z29, Z1, Z3
	VMULPS (DI)(R13*4), Z3, Z3
	VFMADD231PS Z30, Z2, Z3
	VMULPS Z0, Z3, Z3
	VMOVUPS (BX)(R13*4), Z4
	VFNMADD231PS Z28, Z3, Z4
	VMULPS (SI)(R13*4), Z4, Z7
	VMOVUPS Z7, (R11)(R13*4)
	VMOVAPS Z31, Z5
	VFNMADD231PS (R8)(R13*4), Z29, Z5
	VMULPS Z1, Z0, Z6
	VMULPS Z5, Z6, Z6
	VADDPS (DX)(R13*4), Z7, Z8
	VADDPS Z6, Z8, Z8
	VMOVUPS Z8, (AX)(R13*4)
	ADDQ $16, R13
	SUBQ $16, CX
	JMP  synBwdAloop

synBwdAdone:
	VZEROUPPER
	RET

// func synBwdB512(n int, carry, qN, al, dIn, py, pm, r, da, db, dt, gsg *float32, rs, rz float32, sums int)
//
// Second half of a Synaptic backward step, with ai = carry (A[t]):
//
//	q    = ai + qN*al                    (Q[t])
//	dIn  = q
//	da  += q*py                          (when sums != 0, also:)
//	db  += ai*pm*(1 - rz*r)
//	dt  -= g + rs*ai*r
TEXT ·synBwdB512(SB), NOSPLIT, $0-112
	MOVL $0x3f800000, CX
	VPBROADCASTD CX, Z31
	MOVQ n+0(FP), CX
	MOVQ carry+8(FP), AX
	MOVQ qN+16(FP), BX
	MOVQ al+24(FP), DX
	MOVQ dIn+32(FP), SI
	MOVQ py+40(FP), DI
	MOVQ pm+48(FP), R8
	MOVQ r+56(FP), R9
	MOVQ da+64(FP), R10
	MOVQ db+72(FP), R11
	MOVQ dt+80(FP), R12
	MOVQ gsg+88(FP), R14
	VBROADCASTSS rs+96(FP), Z30
	VBROADCASTSS rz+100(FP), Z29
	MOVQ sums+104(FP), R15
	XORQ R13, R13

synBwdBloop:
	CMPQ CX, $16
	JLT  synBwdBdone
	VMOVUPS (AX)(R13*4), Z0
	VMOVUPS (BX)(R13*4), Z1
	VMULPS (DX)(R13*4), Z1, Z1
	VADDPS Z1, Z0, Z1
	VMOVUPS Z1, (SI)(R13*4)
	TESTQ R15, R15
	JZ   synBwdBnext
	VMULPS (DI)(R13*4), Z1, Z2
	VADDPS (R10)(R13*4), Z2, Z2
	VMOVUPS Z2, (R10)(R13*4)
	VMOVAPS Z31, Z3
	VFNMADD231PS (R9)(R13*4), Z29, Z3
	VMULPS (R8)(R13*4), Z0, Z4
	VMULPS Z3, Z4, Z4
	VADDPS (R11)(R13*4), Z4, Z4
	VMOVUPS Z4, (R11)(R13*4)
	VMULPS Z30, Z0, Z5
	VMULPS (R9)(R13*4), Z5, Z5
	VADDPS (R14)(R13*4), Z5, Z5
	VMOVUPS (R12)(R13*4), Z6
	VSUBPS Z5, Z6, Z6
	VMOVUPS Z6, (R12)(R13*4)

synBwdBnext:
	ADDQ $16, R13
	SUBQ $16, CX
	JMP  synBwdBloop

synBwdBdone:
	VZEROUPPER
	RET

// func lifBwdFast512(n int, aN, ds, dm, sg, mt, rN, dIn, be, th, sum *float32, rs, rz, rg, k float32, flags int)
//
// lifBwdNoAcc512 for the training path of a constant-input layer: with
// flags&1 the surrogate derivative is computed in the loop as the fast
// sigmoid of slope k, with the operations of fastSigmoidShifted512
// (elementwise_amd64.s), instead of being read from sg:
//
//	x = |mt - th|;  sg = (1/(k*x + 1))^2
//
// and with flags&2 the input gradient is also summed over time into sum
// (flags&4: sum = dIn, the first step of the reverse scan; else
// sum += dIn), as Add does.
TEXT ·lifBwdFast512(SB), NOSPLIT, $0-112
	MOVL $0x3f800000, CX
	VPBROADCASTD CX, Z31
	MOVL $0x7fffffff, CX
	VPBROADCASTD CX, Z26
	MOVQ n+0(FP), CX
	MOVQ aN+8(FP), AX
	MOVQ ds+16(FP), BX
	MOVQ dm+24(FP), DX
	MOVQ sg+32(FP), SI
	MOVQ mt+40(FP), DI
	MOVQ rN+48(FP), R8
	MOVQ dIn+56(FP), R11
	MOVQ be+64(FP), R12
	MOVQ th+72(FP), R9
	MOVQ sum+80(FP), R10
	VBROADCASTSS rs+88(FP), Z30
	VBROADCASTSS rz+92(FP), Z29
	VBROADCASTSS rg+96(FP), Z28
	VBROADCASTSS k+100(FP), Z27
	MOVQ flags+104(FP), R14
	XORQ R13, R13

lifBwdFloop:
	CMPQ CX, $16
	JLT  lifBwdFdone
	VMOVUPS (AX)(R13*4), Z0
	VMOVUPS (R12)(R13*4), Z1
	VMOVUPS (R9)(R13*4), Z2
	VMULPS Z29, Z1, Z3
	VMULPS (DI)(R13*4), Z3, Z3
	VFMADD231PS Z30, Z2, Z3
	VMULPS Z0, Z3, Z3
	VMOVUPS (BX)(R13*4), Z4
	VFNMADD231PS Z28, Z3, Z4
	TESTQ $1, R14
	JZ   lifBwdFload
	VMOVUPS (DI)(R13*4), Z9
	VSUBPS Z2, Z9, Z9
	VPANDD Z26, Z9, Z9
	VMULPS Z27, Z9, Z9
	VADDPS Z31, Z9, Z9
	VDIVPS Z9, Z31, Z9
	VMULPS Z9, Z9, Z9
	JMP  lifBwdFsg

lifBwdFload:
	VMOVUPS (SI)(R13*4), Z9

lifBwdFsg:
	VMOVAPS Z31, Z5
	VFNMADD231PS (R8)(R13*4), Z29, Z5
	VMULPS Z1, Z0, Z6
	VMULPS Z5, Z6, Z6
	VMULPS Z9, Z4, Z7
	VADDPS (DX)(R13*4), Z7, Z8
	VADDPS Z6, Z8, Z8
	VMOVUPS Z8, (R11)(R13*4)
	TESTQ $2, R14
	JZ   lifBwdFnext
	TESTQ $4, R14
	JNZ  lifBwdFinit
	VADDPS (R10)(R13*4), Z8, Z8

lifBwdFinit:
	VMOVUPS Z8, (R10)(R13*4)

lifBwdFnext:
	ADDQ $16, R13
	SUBQ $16, CX
	JMP  lifBwdFloop

lifBwdFdone:
	VZEROUPPER
	RET
