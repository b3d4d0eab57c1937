package loss

import "github.com/spikegrad/spikegrad/autograd"

// RateL1 is weight times the mean of spikes over all its entries: for the
// spikes of a layer [T, B, N], its mean firing rate in spikes per neuron and
// step. Spikes are >= 0, so this is their L1 norm divided by their number:
// added to the loss, an L1 penalty on activity that pushes the layer towards
// fewer spikes.
func RateL1(t *autograd.Tape, spikes *autograd.Var, weight float32) *autograd.Var {
	return t.Scale(t.MeanAll(spikes), weight)
}

// RateBounds penalises each neuron whose firing rate leaves [lo, hi]: with
// r_n the rate of neuron n, the mean of spikes [T, B, N...] over time and
// batch (axes 0 and 1), it is
//
//	weight · mean_n relu(lo − r_n)²  +  weight · mean_n relu(r_n − hi)²
//
// A bound of 0 is off: lo = 0 drops the first term, hi = 0 the second (and
// both off give a scalar 0). It keeps neurons from falling silent (lo) and
// from firing at nearly every step (hi), while leaving the rates inside the
// bounds free.
func RateBounds(t *autograd.Tape, spikes *autograd.Var, lo, hi, weight float32) *autograd.Var {
	return rateBounds(t, t.Mean(t.Mean(spikes, 0), 0), lo, hi, weight)
}

// rateBounds is RateBounds of the neurons' rates.
func rateBounds(t *autograd.Tape, rate *autograd.Var, lo, hi, weight float32) *autograd.Var {
	var below, above *autograd.Var
	if lo > 0 { // relu(lo - r)²
		below = t.Scale(t.MeanAll(t.Square(t.ReLU(t.AddScalar(t.Neg(rate), lo)))), weight)
	}
	if hi > 0 { // relu(r - hi)²
		above = t.Scale(t.MeanAll(t.Square(t.ReLU(t.AddScalar(rate, -hi)))), weight)
	}
	switch {
	case below != nil && above != nil:
		return t.Add(below, above)
	case below != nil:
		return below
	case above != nil:
		return above
	}
	return t.New()
}
