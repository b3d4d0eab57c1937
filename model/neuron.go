package model

// Layer kinds of the neuron models; their configs are LIF, Synaptic and LI.
const (
	KindLIF      = "lif"
	KindSynaptic = "synaptic"
	KindLI       = "li"
)

// Reset rules of a spiking neuron (see layers.ResetMode).
const (
	ResetSubtract = "subtract"
	ResetZero     = "zero"
	ResetNone     = "none"
)

// Resets lists the reset rules a neuron config may name.
func Resets() []string { return []string{ResetSubtract, ResetZero, ResetNone} }

// Surrogate names a surrogate derivative and its hyperparameters, e.g.
// {"name": "fast_sigmoid", "params": {"slope": 25}} (see surrogate.New for
// the names). An omitted parameter takes the surrogate's documented
// default; a model written by spikegrad states every one.
type Surrogate struct {
	Name   string             `json:"name"`
	Params map[string]float64 `json:"params,omitempty"`
}

// LIF is the config of a layer of N leaky integrate-and-fire neurons
// (layers.LIF gives the equations). Beta is the membrane's decay factor per
// time step in [0, 1], Threshold the firing threshold (> 0), Reset the reset
// rule (ResetSubtract, ...); ResetGrad lets the gradient flow through the
// reset; Surrogate is the spike's surrogate derivative. Its parameters are
// "<name>.beta" and "<name>.threshold", each [1], or [N] with PerNeuron;
// they hold the trained values when LearnBeta or LearnThreshold is set, and
// Beta and Threshold otherwise.
type LIF struct {
	N              int       `json:"n"`
	Beta           float32   `json:"beta"`
	Threshold      float32   `json:"threshold"`
	Reset          string    `json:"reset"`
	ResetGrad      bool      `json:"reset_grad"`
	Surrogate      Surrogate `json:"surrogate"`
	LearnBeta      bool      `json:"learn_beta"`
	LearnThreshold bool      `json:"learn_threshold"`
	PerNeuron      bool      `json:"per_neuron"`
}

// Kind returns KindLIF.
func (LIF) Kind() string { return KindLIF }

// Shapes returns [N] and nil: the neurons give their spikes in the shape of
// their input (also for Synaptic, RLIF, RSynaptic and ALIF, which embed LIF).
func (p LIF) Shapes() (in, out []int) { return []int{p.N}, nil }

// Validate checks the size, the ranges of Beta and Threshold, the reset
// rule, and that a surrogate is named.
func (p LIF) Validate() error {
	if err := positive("n", p.N); err != nil {
		return err
	}
	if err := unit("beta", p.Beta); err != nil {
		return err
	}
	return spiking(p.Threshold, p.Reset, p.Surrogate)
}

// Synaptic is the config of a layer of N current-based LIF neurons
// (layers.Synaptic): the LIF config plus Alpha, the synaptic current's decay
// factor per time step in [0, 1], learnable if LearnAlpha. It adds the
// parameter "<name>.alpha".
type Synaptic struct {
	LIF
	Alpha      float32 `json:"alpha"`
	LearnAlpha bool    `json:"learn_alpha"`
}

// Kind returns KindSynaptic.
func (Synaptic) Kind() string { return KindSynaptic }

// Validate checks the LIF config and Alpha's range.
func (p Synaptic) Validate() error {
	if err := p.LIF.Validate(); err != nil {
		return err
	}
	return unit("alpha", p.Alpha)
}

// LI is the config of a layer of N non-spiking leaky integrators
// (layers.LI), the usual read-out: Beta is the decay factor per time step
// in [0, 1]. Its parameter is "<name>.beta", [1] or [N] with PerNeuron.
type LI struct {
	N         int     `json:"n"`
	Beta      float32 `json:"beta"`
	LearnBeta bool    `json:"learn_beta"`
	PerNeuron bool    `json:"per_neuron"`
}

// Kind returns KindLI.
func (LI) Kind() string { return KindLI }

// Shapes returns [N] and nil (see LIF.Shapes).
func (p LI) Shapes() (in, out []int) { return []int{p.N}, nil }

// Validate checks the size and Beta's range.
func (p LI) Validate() error {
	if err := positive("n", p.N); err != nil {
		return err
	}
	return unit("beta", p.Beta)
}

// unit returns a *FieldError unless v is in [0, 1].
func unit(field string, v float32) error {
	if !(v >= 0 && v <= 1) {
		return &FieldError{Field: field, Value: v, Msg: "must be in [0, 1]"}
	}
	return nil
}
