package model

import "math"

// Layer kinds of the adaptive LIF neurons of Bittar and Garner 2022; their
// configs are AdLIF and RadLIF.
const (
	KindAdLIF  = "adlif"
	KindRadLIF = "radlif"
)

// AdLIF is the config of a layer of N adaptive LIF neurons of Bittar and
// Garner 2022 (layers.AdLIF gives the equations). Alpha, Beta, A and B are
// the clamp ranges [lo, hi] of the layer's four per-neuron parameters
// "<name>.alpha", "<name>.beta", "<name>.a" and "<name>.b" (each [N]): the
// forward pass clamps the parameters to them, and a new layer draws them
// uniformly from them. A range of [0, 0] selects the default, sparch's:
// alpha [e^-1/5, e^-1/25], beta [e^-1/30, e^-1/120], a [-1, 1], b [0, 2].
// The parameters are trained unless FixedDynamics. Threshold (> 0, the
// threshold "<name>.threshold", [1] or [N] with PerNeuron, trained if
// LearnThreshold), ResetGrad and Surrogate as in LIF; the reset subtracts
// the threshold.
type AdLIF struct {
	N              int        `json:"n"`
	Threshold      float32    `json:"threshold"`
	ResetGrad      bool       `json:"reset_grad"`
	Surrogate      Surrogate  `json:"surrogate"`
	Alpha          [2]float32 `json:"alpha"`
	Beta           [2]float32 `json:"beta"`
	A              [2]float32 `json:"a"`
	B              [2]float32 `json:"b"`
	FixedDynamics  bool       `json:"fixed_dynamics"`
	LearnThreshold bool       `json:"learn_threshold"`
	PerNeuron      bool       `json:"per_neuron"`
}

// Kind returns KindAdLIF.
func (AdLIF) Kind() string { return KindAdLIF }

// Shapes returns [N] and nil (see LIF.Shapes).
func (p AdLIF) Shapes() (in, out []int) { return []int{p.N}, nil }

// The clamp ranges of sparch's adLIF and RadLIF layers (Bittar and Garner
// 2022): alpha = e^(-1/τ_u) for τ_u in [5, 25] steps, beta = e^(-1/τ_w) for
// τ_w in [30, 120] steps, a in [-1, 1], b in [0, 2].
var (
	AdLIFAlpha = [2]float32{float32(math.Exp(-1.0 / 5)), float32(math.Exp(-1.0 / 25))}
	AdLIFBeta  = [2]float32{float32(math.Exp(-1.0 / 30)), float32(math.Exp(-1.0 / 120))}
	AdLIFA     = [2]float32{-1, 1}
	AdLIFB     = [2]float32{0, 2}
)

// Ranges returns the clamp ranges of alpha, beta, a and b, with the
// default in place of a [0, 0] range.
func (p AdLIF) Ranges() (alpha, beta, a, b [2]float32) {
	def := func(r, d [2]float32) [2]float32 {
		if r == [2]float32{} {
			return d
		}
		return r
	}
	return def(p.Alpha, AdLIFAlpha), def(p.Beta, AdLIFBeta), def(p.A, AdLIFA), def(p.B, AdLIFB)
}

// Validate checks the size, the threshold, that a surrogate is named, and
// that each clamp range is a range (lo <= hi) inside its parameter's
// domain: alpha and beta are decays in [0, 1], b is >= 0, a is finite.
func (p AdLIF) Validate() error {
	if err := positive("n", p.N); err != nil {
		return err
	}
	if err := spiking(p.Threshold, ResetSubtract, p.Surrogate); err != nil {
		return err
	}
	alpha, beta, a, b := p.Ranges()
	for _, r := range []struct {
		field  string
		v      [2]float32
		lo, hi float32
		domain string
	}{
		{"alpha", alpha, 0, 1, "must lie in [0, 1]"},
		{"beta", beta, 0, 1, "must lie in [0, 1]"},
		{"a", a, -math.MaxFloat32, math.MaxFloat32, "must be finite"},
		{"b", b, 0, math.MaxFloat32, "must be non-negative and finite"},
	} {
		switch {
		case r.v[0] != r.v[0] || r.v[1] != r.v[1]:
			return &FieldError{Field: r.field, Value: r.v, Msg: "must be numbers, not NaN"}
		case !(r.v[0] <= r.v[1]):
			return &FieldError{Field: r.field, Value: r.v, Msg: "is an empty clamp range (lo > hi)"}
		case !(r.v[0] >= r.lo && r.v[1] <= r.hi):
			return &FieldError{Field: r.field, Value: r.v, Msg: r.domain}
		}
	}
	return nil
}

// RadLIF is the config of a layer of N recurrent adaptive LIF neurons of
// Bittar and Garner 2022 (layers.RadLIF): the AdLIF config plus the
// all-to-all recurrent weight "<name>.recurrent" [N, N], whose diagonal the
// layer holds at zero.
type RadLIF struct {
	AdLIF
}

// Kind returns KindRadLIF.
func (RadLIF) Kind() string { return KindRadLIF }

// Validate checks the AdLIF config.
func (p RadLIF) Validate() error { return p.AdLIF.Validate() }
