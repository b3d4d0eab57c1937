package model

// Layer kinds of the recurrent neuron models; their configs are RLIF and
// RSynaptic.
const (
	KindRLIF      = "rlif"
	KindRSynaptic = "rsynaptic"
)

// RLIF is the config of a layer of N recurrent leaky integrate-and-fire
// neurons (layers.RLIF gives the equations): the LIF config plus the form of
// the recurrence. Without OneToOne the recurrent weight "<name>.recurrent"
// is [N, N] (all to all, each neuron's last spike reaching every neuron);
// with OneToOne it is [N], each neuron's last spike reaching only itself.
type RLIF struct {
	LIF
	OneToOne bool `json:"one_to_one"`
}

// Kind returns KindRLIF.
func (RLIF) Kind() string { return KindRLIF }

// Validate checks the LIF config.
func (p RLIF) Validate() error { return p.LIF.Validate() }

// RSynaptic is the config of a layer of N recurrent current-based LIF
// neurons (layers.RSynaptic): the Synaptic config plus the form of the
// recurrence, with the recurrent weight "<name>.recurrent" as for RLIF.
type RSynaptic struct {
	Synaptic
	OneToOne bool `json:"one_to_one"`
}

// Kind returns KindRSynaptic.
func (RSynaptic) Kind() string { return KindRSynaptic }

// Validate checks the Synaptic config.
func (p RSynaptic) Validate() error { return p.Synaptic.Validate() }
