package model

import (
	"fmt"
	"math"
)

// KindBatchNorm is the layer kind of batch normalisation through time.
const KindBatchNorm = "batchnorm"

// Normalisation modes of a BatchNorm layer (see layers.BatchNorm).
const (
	// BNShared normalises each channel with statistics over every time
	// step, sample and pixel (T·B·H·W values), as SpikingJelly's
	// SeqToANNContainer(BatchNorm2d).
	BNShared = "shared"
	// BNPerStep keeps separate statistics and a separate scale γ for
	// each time step, and no shift β: BNTT (Kim and Panda 2021).
	BNPerStep = "per_step"
	// BNTD is tdBN (Zheng et al. 2021): BNShared's statistics with the
	// normalised value scaled by Alpha·Threshold.
	BNTD = "tdbn"
)

// BNModes lists the modes a BatchNorm config may name.
func BNModes() []string { return []string{BNShared, BNPerStep, BNTD} }

// BatchNorm is the config of a batch-normalisation layer
// (layers.BatchNorm) over N features per frame, read as Channels channels
// of N/Channels values each, channel-major (a convolution's C·H·W, or C
// features after a Linear layer with N = Channels). Mode is BNShared,
// BNPerStep or BNTD; Steps is the number of time steps of a BNPerStep
// layer (0 in the other modes); Eps is added to the variance (PyTorch's
// default 1e-5); Momentum weighs the batch in the running statistics
// (PyTorch's default 0.1). Alpha and Threshold (V_th of the neurons that
// follow) scale the normalised value in mode BNTD and are 0 otherwise.
//
// Its parameters are "<name>.weight" (γ) and "<name>.bias" (β), each
// [Channels], and the running statistics "<name>.running_mean" and
// "<name>.running_var", [Channels], kept frozen (not trained by the
// optimizer, but saved with the weights); in mode BNPerStep γ and the
// running statistics are [Steps, Channels] and there is no bias.
type BatchNorm struct {
	N         int     `json:"n"`
	Channels  int     `json:"channels"`
	Mode      string  `json:"mode"`
	Steps     int     `json:"steps"`
	Eps       float32 `json:"eps"`
	Momentum  float32 `json:"momentum"`
	Alpha     float32 `json:"alpha"`
	Threshold float32 `json:"threshold"`
}

// Kind returns KindBatchNorm.
func (BatchNorm) Kind() string { return KindBatchNorm }

// Shapes returns [N] and nil: the layer gives its values in the shape it
// takes them (an image stays an image).
func (p BatchNorm) Shapes() (in, out []int) { return []int{p.N}, nil }

// Validate checks the sizes (Channels divides N), the mode, that Steps is
// positive in mode BNPerStep and 0 otherwise, eps > 0, 0 ≤ momentum ≤ 1,
// and that Alpha and Threshold are positive in mode BNTD and 0 otherwise.
func (p BatchNorm) Validate() error {
	if err := positive("n", p.N); err != nil {
		return err
	}
	if err := positive("channels", p.Channels); err != nil {
		return err
	}
	if p.N%p.Channels != 0 {
		return &FieldError{Field: "channels", Value: p.Channels, Msg: fmt.Sprintf("must divide n = %d", p.N)}
	}
	if err := oneOf("mode", p.Mode, BNModes()); err != nil {
		return err
	}
	if p.Mode == BNPerStep {
		if err := positive("steps", p.Steps); err != nil {
			return err
		}
	} else if p.Steps != 0 {
		return &FieldError{Field: "steps", Value: p.Steps, Msg: "only mode per_step has steps: must be 0"}
	}
	if !(p.Eps > 0) || math.IsInf(float64(p.Eps), 0) {
		return &FieldError{Field: "eps", Value: p.Eps, Msg: "must be a positive number (PyTorch's default is 1e-5)"}
	}
	if !(p.Momentum >= 0 && p.Momentum <= 1) {
		return &FieldError{Field: "momentum", Value: p.Momentum, Msg: "must be in [0, 1] (PyTorch's default is 0.1)"}
	}
	for _, f := range []struct {
		name string
		v    float32
	}{{"alpha", p.Alpha}, {"threshold", p.Threshold}} {
		if p.Mode == BNTD {
			if !(f.v > 0) || math.IsInf(float64(f.v), 0) {
				return &FieldError{Field: f.name, Value: f.v, Msg: "must be a positive number in mode tdbn"}
			}
		} else if f.v != 0 {
			return &FieldError{Field: f.name, Value: f.v, Msg: "only mode tdbn has " + f.name + ": must be 0"}
		}
	}
	return nil
}
