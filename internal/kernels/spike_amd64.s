// Nonzero-position scans for SpikeRows.FromDense; see nonzeroGo in axpy.go
// for the contract.

#include "textflag.h"

// Lane numbers 0..15.
DATA spikeIota<>+0(SB)/4, $0
DATA spikeIota<>+4(SB)/4, $1
DATA spikeIota<>+8(SB)/4, $2
DATA spikeIota<>+12(SB)/4, $3
DATA spikeIota<>+16(SB)/4, $4
DATA spikeIota<>+20(SB)/4, $5
DATA spikeIota<>+24(SB)/4, $6
DATA spikeIota<>+28(SB)/4, $7
DATA spikeIota<>+32(SB)/4, $8
DATA spikeIota<>+36(SB)/4, $9
DATA spikeIota<>+40(SB)/4, $10
DATA spikeIota<>+44(SB)/4, $11
DATA spikeIota<>+48(SB)/4, $12
DATA spikeIota<>+52(SB)/4, $13
DATA spikeIota<>+56(SB)/4, $14
DATA spikeIota<>+60(SB)/4, $15
GLOBL spikeIota<>(SB), RODATA|NOPTR, $64

// func nonzeroIdx512(x *float32, n int, out *int32) int
//
// For each group of 16 values: compare with zero (not-equal, unordered: NaN
// counts), compress the selected lane numbers into a register and store the
// whole register (out needs 16 spare entries), then advance by the popcount.
// The main loop does two groups at a time; the last partial group uses a
// masked load.
TEXT ·nonzeroIdx512(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ out+16(FP), DI
	MOVQ DI, R8
	VPXORD Z0, Z0, Z0
	VMOVDQU32 spikeIota<>(SB), Z1
	MOVL $16, AX
	VPBROADCASTD AX, Z2
	MOVL $32, AX
	VPBROADCASTD AX, Z6

	// Two groups per iteration: their popcounts are independent, so only
	// one pointer update per 32 values is on the dependency chain.
nz512loop32:
	CMPQ CX, $32
	JLT  nz512loop
	VCMPPS $4, (SI), Z0, K1
	VCMPPS $4, 64(SI), Z0, K2
	VPCOMPRESSD Z1, K1, Z3
	VPADDD Z2, Z1, Z5
	VPCOMPRESSD Z5, K2, Z4
	KMOVW K1, AX
	KMOVW K2, BX
	POPCNTL AX, AX
	POPCNTL BX, BX
	VMOVDQU32 Z3, (DI)
	VMOVDQU32 Z4, (DI)(AX*4)
	ADDQ AX, BX
	LEAQ (DI)(BX*4), DI
	VPADDD Z6, Z1, Z1
	ADDQ $128, SI
	SUBQ $32, CX
	JMP  nz512loop32

nz512loop:
	CMPQ CX, $16
	JLT  nz512tail
	VCMPPS $4, (SI), Z0, K1
	VPCOMPRESSD Z1, K1, Z3
	VMOVDQU32 Z3, (DI)
	KMOVW K1, AX
	POPCNTL AX, AX
	LEAQ (DI)(AX*4), DI
	VPADDD Z2, Z1, Z1
	ADDQ $64, SI
	SUBQ $16, CX
	JMP  nz512loop

nz512tail:
	TESTQ CX, CX
	JZ   nz512done
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K2
	VMOVUPS.Z (SI), K2, Z4
	VCMPPS $4, Z4, Z0, K2, K1
	VPCOMPRESSD Z1, K1, Z3
	VMOVDQU32 Z3, (DI)
	KMOVW K1, AX
	POPCNTL AX, AX
	LEAQ (DI)(AX*4), DI

nz512done:
	SUBQ R8, DI
	SHRQ $2, DI
	MOVQ DI, ret+24(FP)
	VZEROUPPER
	RET

// func nonzeroIdx256(x *float32, n int, out *int32) int
//
// n must be a multiple of 8. For each group of 8 values: compare with zero,
// move the sign mask to a general register and store the position of every
// set bit, lowest first.
TEXT ·nonzeroIdx256(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ out+16(FP), DI
	MOVQ DI, R8
	XORL R9, R9
	VXORPS Y0, Y0, Y0

nz256loop:
	CMPQ CX, $8
	JLT  nz256done
	VMOVUPS (SI), Y1
	VCMPPS $4, Y0, Y1, Y2
	VMOVMSKPS Y2, AX
	TESTL AX, AX
	JZ   nz256next

nz256bits:
	BSFL AX, BX
	ADDL R9, BX
	MOVL BX, (DI)
	ADDQ $4, DI
	LEAL -1(AX), DX
	ANDL DX, AX
	JNZ  nz256bits

nz256next:
	ADDL $8, R9
	ADDQ $32, SI
	SUBQ $8, CX
	JMP  nz256loop

nz256done:
	SUBQ R8, DI
	SHRQ $2, DI
	MOVQ DI, ret+24(FP)
	VZEROUPPER
	RET
