package model

import (
	"fmt"
	"math"
)

// KindSRM is the layer kind of a layer of spike response model neurons;
// its config is SRM.
const KindSRM = "srm"

// MaxKernel is the longest PSP or refractory kernel an SRM config may
// imply, in time steps: the alpha kernel truncated at Epsilon reaches about
// 7.6·tau steps (for Epsilon 0.01), so this bounds the time constants at
// several hundred steps.
const MaxKernel = 4096

// SRM is the config of a layer of N spike response model neurons with
// SLAYER's kernels (layers.SRM gives the equations): Threshold θ (> 0), the
// PSP kernel's time constant TauSR and the refractory kernel's TauRef, both
// in time steps (> 0), the refractory kernel's scale ScaleRef relative to θ
// (> 0), Epsilon, the level below which a kernel is truncated (> 0), and
// RefractoryGrad, which lets the gradient flow through the refractory
// response. Surrogate is the spike's surrogate derivative. The layer has no
// parameters.
type SRM struct {
	N              int       `json:"n"`
	Threshold      float32   `json:"threshold"`
	TauSR          float32   `json:"tau_sr"`
	TauRef         float32   `json:"tau_ref"`
	ScaleRef       float32   `json:"scale_ref"`
	Epsilon        float32   `json:"epsilon"`
	RefractoryGrad bool      `json:"refractory_grad"`
	Surrogate      Surrogate `json:"surrogate"`
}

// Kind returns KindSRM.
func (SRM) Kind() string { return KindSRM }

// Shapes returns [N] and nil (see LIF.Shapes).
func (p SRM) Shapes() (in, out []int) { return []int{p.N}, nil }

// Validate checks the size, that the threshold, time constants, scale and
// Epsilon are positive and finite, that a surrogate is named, and that the
// PSP kernel has a non-zero tap after its first (else no input ever
// reaches the membrane) and neither kernel is longer than MaxKernel.
func (p SRM) Validate() error {
	if err := positive("n", p.N); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    float32
	}{{"threshold", p.Threshold}, {"tau_sr", p.TauSR}, {"tau_ref", p.TauRef}, {"scale_ref", p.ScaleRef}, {"epsilon", p.Epsilon}} {
		if !(f.v > 0) || math.IsInf(float64(f.v), 0) {
			return &FieldError{Field: f.name, Value: f.v, Msg: "must be positive and finite"}
		}
	}
	if p.Surrogate.Name == "" {
		return &FieldError{Field: "surrogate.name", Msg: "is missing"}
	}
	psp, ok := AlphaKernel(p.TauSR, 1, p.Epsilon)
	if !ok {
		return &FieldError{Field: "tau_sr", Value: p.TauSR,
			Msg: fmt.Sprintf("the PSP kernel truncated at epsilon = %v is longer than %d steps", p.Epsilon, MaxKernel)}
	}
	if len(psp) < 2 {
		return &FieldError{Field: "tau_sr", Value: p.TauSR,
			Msg: fmt.Sprintf("the PSP kernel is below epsilon = %v from its second step on: no input would reach the membrane", p.Epsilon)}
	}
	if _, ok := AlphaKernel(p.TauRef, -p.ScaleRef*p.Threshold, p.Epsilon); !ok {
		return &FieldError{Field: "tau_ref", Value: p.TauRef,
			Msg: fmt.Sprintf("the refractory kernel truncated at epsilon = %v is longer than %d steps", p.Epsilon, MaxKernel)}
	}
	return nil
}

// Kernels returns the layer's PSP kernel ε and refractory kernel ν, as
// AlphaKernel gives them: ε with mult 1 and time constant TauSR, ν with
// mult -ScaleRef·Threshold and time constant TauRef. It assumes a valid
// config.
func (p SRM) Kernels() (psp, ref []float32) {
	psp, _ = AlphaKernel(p.TauSR, 1, p.Epsilon)
	ref, _ = AlphaKernel(p.TauRef, -p.ScaleRef*p.Threshold, p.Epsilon)
	return psp, ref
}

// AlphaKernel returns SLAYER's truncated alpha kernel, one value per time
// step k = 0, 1, ...:
//
//	kernel[k] = mult · (k/tau) · exp(1 - k/tau)
//
// computed in float64 and rounded to float32, ending before the first k
// with |kernel[k]| < eps and k > tau (slayerPytorch's
// spikeLayer._calculateAlphaKernel with Ts = 1). kernel[0] is 0, and the
// peak, mult, is at k = tau. ok is false if the kernel would be longer than
// MaxKernel.
func AlphaKernel(tau, mult, eps float32) (kernel []float32, ok bool) {
	t, m, e := float64(tau), float64(mult), float64(eps)
	for k := 0; ; k++ {
		v := m * float64(k) / t * math.Exp(1-float64(k)/t)
		if math.Abs(v) < e && float64(k) > t {
			return kernel, true
		}
		if k == MaxKernel {
			return nil, false
		}
		kernel = append(kernel, float32(v))
	}
}
