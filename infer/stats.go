package infer

import "math"

// Stats is what an inference run over a dataset measured, per sample averages.
type Stats struct {
	Samples  int          `json:"samples"`
	Steps    int          `json:"steps"`
	Accuracy float64      `json:"accuracy"`
	Layers   []LayerStats `json:"layers"`
}

// LayerStats is what one layer did, per sample of the dataset.
type LayerStats struct {
	Layer         string  `json:"layer"`          // layer name
	Kind          string  `json:"kind"`           // model kind ("linear", "lif", ...)
	Neurons       int     `json:"neurons"`        // outputs of the layer
	Spikes        float64 `json:"spikes"`         // output spikes per sample, summed over time (0 for non-spiking layers)
	Rate          float64 `json:"rate"`           // Spikes / (Neurons·Steps)
	SynOps        float64 `json:"synops"`         // per sample: input spikes delivered × fan-out (event-driven products)
	MACs          float64 `json:"macs"`           // per sample: multiply-accumulates done densely (analog inputs)
	DenseOps      float64 `json:"dense_ops"`      // per sample: the MACs a dense forward of this layer would do
	NeuronUpdates float64 `json:"neuron_updates"` // per sample: neuron state updates (Neurons·Steps for neuron layers)
}

// Done returns the synaptic work the layer did, SynOps + MACs per sample:
// one synaptic operation and one multiply-accumulate each count as one
// product of an input with a weight.
func (l LayerStats) Done() float64 { return l.SynOps + l.MACs }

// DoneFraction returns the fraction of the dense forward's products that
// the layer actually did, (SynOps + MACs) / DenseOps, and false for a layer
// without weights (DenseOps 0), for which the fraction is not defined.
func (l LayerStats) DoneFraction() (float64, bool) {
	if l.DenseOps <= 0 {
		return 0, false
	}
	return l.Done() / l.DenseOps, true
}

// Totals returns the sums over the layers, per sample: spikes, SynOps, MACs,
// dense operations and neuron updates. Its Layer is "total"; Neurons is the
// sum of the neurons of the spiking layers (LayerStats.Spiking), and Rate is
// Spikes over those neurons' neuron-steps (0 without a spiking layer).
func (s *Stats) Totals() LayerStats {
	t := LayerStats{Layer: "total"}
	for _, l := range s.Layers {
		t.Spikes += l.Spikes
		t.SynOps += l.SynOps
		t.MACs += l.MACs
		t.DenseOps += l.DenseOps
		t.NeuronUpdates += l.NeuronUpdates
		if l.Spiking() {
			t.Neurons += l.Neurons
		}
	}
	if t.Neurons > 0 && s.Steps > 0 {
		t.Rate = t.Spikes / (float64(t.Neurons) * float64(s.Steps))
	}
	return t
}

// DoneFraction returns the fraction of the dense network's products that
// the run actually did, summed over the layers: Σ(SynOps + MACs) / ΣDenseOps,
// and false for a network without weights.
func (s *Stats) DoneFraction() (float64, bool) {
	return s.Totals().DoneFraction()
}

// check returns an error naming the first layer with a figure that is
// negative or not finite, or a count that does not fit the dense network
// (more products done than a dense forward does). Reports are checked
// before they are written and after they are read.
func (s *Stats) check() error {
	if s.Samples < 0 || s.Steps < 0 {
		return errorf("stats: samples %d, steps %d: must not be negative", s.Samples, s.Steps)
	}
	if !finiteNonNeg(s.Accuracy) || s.Accuracy > 1 {
		return errorf("stats: accuracy %v: want a fraction in [0, 1]", s.Accuracy)
	}
	for i, l := range s.Layers {
		for _, f := range []struct {
			name string
			v    float64
		}{{"spikes", l.Spikes}, {"rate", l.Rate}, {"synops", l.SynOps}, {"macs", l.MACs},
			{"dense_ops", l.DenseOps}, {"neuron_updates", l.NeuronUpdates}} {
			if !finiteNonNeg(f.v) {
				return errorf("stats: layer %d (%q): %s %v: must be a finite number >= 0", i, l.Layer, f.name, f.v)
			}
		}
		if l.Neurons < 0 {
			return errorf("stats: layer %d (%q): neurons %d: must not be negative", i, l.Layer, l.Neurons)
		}
	}
	return nil
}

// finiteNonNeg reports whether v is a finite number >= 0.
func finiteNonNeg(v float64) bool { return v >= 0 && !math.IsInf(v, 1) }
