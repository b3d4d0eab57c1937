package model

import (
	"fmt"
	"math"
)

// KindDelay is the layer kind of a learnable axonal delay; its config is
// Delay.
const KindDelay = "delay"

// Delay is the config of a layer that delays each of its N features by a
// learnable number of time steps (layers.Delay gives the definition):
// MaxDelay is the largest delay, in steps (>= 1; the sequences it runs on
// must be longer), Init the initial delay of every feature, in [0,
// MaxDelay], and Fixed freezes the delays. Its parameter is "<name>.delay",
// [N].
type Delay struct {
	N        int     `json:"n"`
	MaxDelay int     `json:"max_delay"`
	Init     float32 `json:"init"`
	Fixed    bool    `json:"fixed"`
}

// Kind returns KindDelay.
func (Delay) Kind() string { return KindDelay }

// Shapes returns [N] and nil: the layer gives its values in the shape it
// takes them.
func (p Delay) Shapes() (in, out []int) { return []int{p.N}, nil }

// Validate checks the size, that MaxDelay is at least 1 and Init in [0,
// MaxDelay].
func (p Delay) Validate() error {
	if err := positive("n", p.N); err != nil {
		return err
	}
	if p.MaxDelay < 1 {
		return &FieldError{Field: "max_delay", Value: p.MaxDelay, Msg: "must be at least 1 (a delay layer of max_delay 0 is the identity)"}
	}
	if !(p.Init >= 0 && p.Init <= float32(p.MaxDelay)) || math.IsNaN(float64(p.Init)) {
		return &FieldError{Field: "init", Value: p.Init, Msg: fmt.Sprintf("must be in [0, max_delay = %d]", p.MaxDelay)}
	}
	return nil
}

// CheckSteps returns a *FieldError naming max_delay unless the layer can
// run on sequences of steps time steps: every delay must be shorter than
// the sequence.
func (p Delay) CheckSteps(steps int) error {
	if p.MaxDelay >= steps {
		return &FieldError{Field: "max_delay", Value: p.MaxDelay,
			Msg: fmt.Sprintf("must be less than the number of time steps (%d): a longer delay shifts the whole sequence out", steps)}
	}
	return nil
}
