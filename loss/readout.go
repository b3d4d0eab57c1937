package loss

import (
	"fmt"
	"math"

	"github.com/spikegrad/spikegrad/autograd"
)

// SpikeCount is the spike-count read-out: it writes to dst (B entries) the
// class of each sample with the most output spikes Σ_t out[t], the first
// class on ties, as snnTorch's accuracy counts. out is [T, B, C].
func SpikeCount(out *autograd.Var, dst []int) {
	argmaxOverTime("loss.SpikeCount", out, nil, dst, false)
}

// MembraneSum is the read-out by total membrane potential: it writes to dst
// (B entries) the argmax over classes of Σ_t mem[t], the first on ties. mem
// is [T, B, C].
func MembraneSum(mem *autograd.Var, dst []int) {
	argmaxOverTime("loss.MembraneSum", mem, nil, dst, false)
}

// MembraneMax is the read-out by peak membrane potential: it writes to dst
// (B entries) the argmax over classes of max_t mem[t], the first on ties (the
// prediction that goes with MaxMembraneCE). mem is [T, B, C].
func MembraneMax(mem *autograd.Var, dst []int) {
	argmaxOverTime("loss.MembraneMax", mem, nil, dst, true)
}

// argmaxOverTime writes the argmax over classes of each sample's score, the
// sum over time of x [T, B, C] (or the maximum with peak), over the steps
// t < lengths[b] of sample b (all T with nil lengths). Each score is
// accumulated in float32 in time order; with no time steps every score is
// 0 (or −Inf) and the class 0.
func argmaxOverTime(op string, x *autograd.Var, lengths []int, dst []int, peak bool) {
	T, B, C := seq3(op, x)
	if len(dst) != B {
		panic(&autograd.ShapeError{Op: op, Shapes: [][]int{append([]int(nil), x.Shape()...), {len(dst)}},
			Msg: fmt.Sprintf("%d entries for the classes of a batch of %d", len(dst), B)})
	}
	checkLengths(op, x, lengths, T, B)
	d, stride := x.Data, B*C
	for b := range B {
		T := T
		if lengths != nil {
			T = lengths[b]
		}
		best, bestScore := 0, float32(0)
		for c := range C {
			i := b*C + c
			var s float32
			if peak {
				s = float32(math.Inf(-1))
				for t := range T {
					s = max(s, d[t*stride+i])
				}
			} else {
				for t := range T {
					s += d[t*stride+i]
				}
			}
			if c == 0 || s > bestScore {
				best, bestScore = c, s
			}
		}
		dst[b] = best
	}
}
