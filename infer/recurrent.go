package infer

import "github.com/spikegrad/spikegrad/internal/kernels"

// recurrentInput writes into cur [B·N] the input current of a recurrent
// layer (rlif, rsynaptic) at one step: x plus the recurrent current of the
// layer's spikes of the previous step, spk·V (all to all, V [N, N]) or
// spk ⊙ v (one to one), as layers.RLIF's Run computes it: the product
// first (into rec), then x + R. All to all, the product adds the rows of V
// of the neurons that spiked, in ascending order (event-driven, as the
// training side's binary MatMul), or runs one SGEMM when more than
// EventActivity of the neurons spiked; both give the same bits for N up to
// kernels.SgemmKBlock's block. At the first step after a Reset there are no
// previous spikes and cur is x, as on the training side. It returns the
// synaptic operations: spikes times fan-out.
func recurrentInput(l *layer, s *State, x, spk, cur, rec []float32, first bool) int {
	B, n := s.B, l.out
	if first {
		copy(cur, x)
		return 0
	}
	ops := 0
	if l.oneToOne {
		for i, v := range spk {
			if v != 0 {
				ops++
			}
			rec[i] = v * l.rec[i%n]
		}
	} else {
		s.ev.FromDense(spk, B, n)
		nnz := s.ev.NNZ()
		ops = nnz * n
		if float64(nnz) < EventActivity*float64(B*n) {
			kernels.SpikeMatMul(n, 1, &s.ev, l.rec, n, 0, rec, n)
		} else {
			kernels.Sgemm(false, false, B, n, n, 1, spk, n, l.rec, n, 0, rec, n)
		}
	}
	for i := range cur {
		cur[i] = x[i] + rec[i]
	}
	return ops
}

// synapticInput turns cur into a recurrent synaptic layer's current,
// syn[t] = alpha·syn[t-1] + cur (layers.RSynaptic: the product rounded,
// then the sum), writing it to synN; at the first step syn[0] = cur.
func synapticInput(l *layer, syn, cur, synN []float32, first bool) {
	n := l.out
	for i, v := range cur {
		if first {
			synN[i] = v
			continue
		}
		synN[i] = float32(syn[i]*param(l.alpha, i%n)) + v
	}
}
