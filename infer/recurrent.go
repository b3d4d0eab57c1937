package infer

import "github.com/spikegrad/spikegrad/internal/kernels"

// recurrentInput writes into cur [B·N] the input current of a recurrent
// layer (rlif, rsynaptic, radlif) at one step: x plus the recurrent current
// of the layer's spikes of the previous step, spk·V (all to all, V [N, N])
// or spk ⊙ v (one to one), as layers.RLIF's and layers.RadLIF's Run compute
// it: the product first (into rec), then x + R. All to all, the product adds
// the rows of V of the neurons that spiked, in ascending order
// (event-driven, as the training side's binary MatMul), or runs one SGEMM
// when more than EventActivity of the neurons spiked; both give the same
// bits for N up to kernels.SgemmKBlock's block. At the first step after a
// Reset there are no previous spikes and cur is x, as on the training side.
// It returns the synaptic operations: spikes times fan-out (fanOut).
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
		ops = nnz * l.fanOut()
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

// fanOut is the number of recurrent synapses of one neuron of a recurrent
// layer: N all to all (a neuron's spike also reaches itself), N - 1 for
// radlif (its diagonal is held at zero: no synapse), 1 one to one.
func (l *layer) fanOut() int {
	switch {
	case l.oneToOne:
		return 1
	case l.noSelf:
		return l.out - 1
	}
	return l.out
}

// synapses is the number of recurrent synapses of a recurrent layer, the
// products of its dense recurrent product per sample: N·fanOut.
func (l *layer) synapses() int { return l.out * l.fanOut() }

// radlifRecurrent returns a radlif layer's recurrent weight v [n, n] with
// its diagonal cleared as the training side clears it (layers.RadLIF
// multiplies V by a mask of ones with zeros on the diagonal): every value
// multiplied by 1, or by 0 on the diagonal.
func radlifRecurrent(v []float32, n int) []float32 {
	r := make([]float32, len(v))
	for i, x := range v {
		var m float32 = 1
		if i/n == i%n {
			m = 0
		}
		r[i] = x * m
	}
	return r
}
