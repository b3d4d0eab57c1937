package model

import "math"

// Layer kinds of the integrate-and-fire, adaptive and parametric neurons;
// their configs are IF, ALIF and PLIF.
const (
	KindIF   = "if"
	KindALIF = "alif"
	KindPLIF = "plif"
)

// IF is the config of a layer of N integrate-and-fire neurons without leak
// (layers.IF gives the equations): Threshold (> 0), Reset, ResetGrad and
// Surrogate as in LIF. Its parameter is "<name>.threshold", [1] or [N] with
// PerNeuron, trained if LearnThreshold.
type IF struct {
	N              int       `json:"n"`
	Threshold      float32   `json:"threshold"`
	Reset          string    `json:"reset"`
	ResetGrad      bool      `json:"reset_grad"`
	Surrogate      Surrogate `json:"surrogate"`
	LearnThreshold bool      `json:"learn_threshold"`
	PerNeuron      bool      `json:"per_neuron"`
}

// Kind returns KindIF.
func (IF) Kind() string { return KindIF }

// Shapes returns [N] and nil (see LIF.Shapes).
func (p IF) Shapes() (in, out []int) { return []int{p.N}, nil }

// Validate checks the size, the threshold, the reset rule and that a
// surrogate is named.
func (p IF) Validate() error {
	if err := positive("n", p.N); err != nil {
		return err
	}
	return spiking(p.Threshold, p.Reset, p.Surrogate)
}

// ALIF is the config of a layer of N adaptive-threshold LIF neurons
// (layers.ALIF, the LSNN neuron): the LIF config, whose Threshold is the
// baseline threshold, plus Rho, the adaptation's decay factor per time step
// in [0, 1], and Adapt, the threshold's increase per unit of adaptation
// (>= 0, finite). It adds the parameters "<name>.rho" and "<name>.adapt",
// trained if LearnRho and LearnAdapt.
type ALIF struct {
	LIF
	Rho        float32 `json:"rho"`
	Adapt      float32 `json:"adapt"`
	LearnRho   bool    `json:"learn_rho"`
	LearnAdapt bool    `json:"learn_adapt"`
}

// Kind returns KindALIF.
func (ALIF) Kind() string { return KindALIF }

// Validate checks the LIF config, Rho's range and Adapt.
func (p ALIF) Validate() error {
	if err := p.LIF.Validate(); err != nil {
		return err
	}
	if err := unit("rho", p.Rho); err != nil {
		return err
	}
	if !(p.Adapt >= 0) || math.IsInf(float64(p.Adapt), 0) {
		return &FieldError{Field: "adapt", Value: p.Adapt, Msg: "must be non-negative and finite"}
	}
	return nil
}

// PLIF is the config of a layer of N parametric LIF neurons (layers.PLIF):
// Tau is the initial membrane time constant in time steps (> 1, finite),
// from which the layer's parameter "<name>.w" = -ln(Tau - 1) starts ([1],
// or [N] with PerNeuron); it is trained unless FixedTau. Threshold, Reset,
// ResetGrad, Surrogate and LearnThreshold as in LIF.
type PLIF struct {
	N              int       `json:"n"`
	Tau            float32   `json:"tau"`
	Threshold      float32   `json:"threshold"`
	Reset          string    `json:"reset"`
	ResetGrad      bool      `json:"reset_grad"`
	Surrogate      Surrogate `json:"surrogate"`
	FixedTau       bool      `json:"fixed_tau"`
	LearnThreshold bool      `json:"learn_threshold"`
	PerNeuron      bool      `json:"per_neuron"`
}

// Kind returns KindPLIF.
func (PLIF) Kind() string { return KindPLIF }

// Shapes returns [N] and nil (see LIF.Shapes).
func (p PLIF) Shapes() (in, out []int) { return []int{p.N}, nil }

// Validate checks the size, Tau, the threshold, the reset rule and that a
// surrogate is named.
func (p PLIF) Validate() error {
	if err := positive("n", p.N); err != nil {
		return err
	}
	if !(p.Tau > 1) || math.IsInf(float64(p.Tau), 0) {
		return &FieldError{Field: "tau", Value: p.Tau, Msg: "must be greater than 1 and finite"}
	}
	return spiking(p.Threshold, p.Reset, p.Surrogate)
}

// spiking checks the fields that every spiking neuron config shares.
func spiking(threshold float32, reset string, s Surrogate) error {
	if !(threshold > 0) || math.IsInf(float64(threshold), 0) {
		return &FieldError{Field: "threshold", Value: threshold, Msg: "must be positive and finite"}
	}
	if err := oneOf("reset", reset, Resets()); err != nil {
		return err
	}
	if s.Name == "" {
		return &FieldError{Field: "surrogate.name", Msg: "is missing"}
	}
	return nil
}
