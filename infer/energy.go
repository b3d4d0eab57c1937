package infer

import (
	"encoding/json"
	"fmt"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func errorf(format string, args ...any) error { return fmt.Errorf("infer: "+format, args...) }

// Energy is the energy per sample of a run on one hardware profile, in
// joules, with its parts. A part the profile does not charge is [0, 0].
type Energy struct {
	// Profile is the hardware profile the energy is computed for.
	Profile Profile `json:"profile"`
	// Total is the sum of the parts, joules per sample.
	Total Range `json:"total_j"`
	// SynOps is SynOps × the synop figure (event mode).
	SynOps Range `json:"synops_j"`
	// MACs is MACs (event mode) or DenseOps (dense mode) × the mac figure.
	MACs Range `json:"macs_j"`
	// Neurons is NeuronUpdates × the neuron figure.
	Neurons Range `json:"neurons_j"`
	// Spikes is output spikes × the spike figure (event mode, where given).
	Spikes Range `json:"spikes_j"`
}

// pico is joules per picojoule.
const pico = 1e-12

// Energy returns the energy per sample of the run on hardware p:
//
//	event mode: SynOps·synop + MACs·mac + NeuronUpdates·neuron + Spikes·spike
//	dense mode: DenseOps·mac + NeuronUpdates·neuron
//
// with the counts summed over the layers (Totals) and each figure's low and
// high ends giving the range's.
func (s *Stats) Energy(p Profile) Energy {
	t := s.Totals()
	e := Energy{Profile: p}
	e.Neurons = p.Neuron.PJ.Scale(t.NeuronUpdates * pico)
	if p.Mode == ModeDense {
		e.MACs = p.MAC.PJ.Scale(t.DenseOps * pico)
	} else {
		e.MACs = p.MAC.PJ.Scale(t.MACs * pico)
		if p.SynOp != nil {
			e.SynOps = p.SynOp.PJ.Scale(t.SynOps * pico)
		}
		if p.Spike != nil {
			e.Spikes = p.Spike.PJ.Scale(t.Spikes * pico)
		}
	}
	e.Total = e.SynOps.Add(e.MACs).Add(e.Neurons).Add(e.Spikes)
	return e
}

// Energies returns the energy per sample on each profile, in their order.
func (s *Stats) Energies(ps []Profile) []Energy {
	out := make([]Energy, len(ps))
	for i, p := range ps {
		out[i] = s.Energy(p)
	}
	return out
}
