package model

import (
	"slices"
	"strings"
)

// KindLinear is the kind of a fully connected layer; its config is Linear.
const KindLinear = "linear"

// Weight initialisations of a Linear layer (see layers.Init).
const (
	InitPyTorch       = "pytorch"
	InitXavierUniform = "xavier_uniform"
	InitKaimingNormal = "kaiming_normal"
	InitZero          = "zero"
)

// Inits lists the weight initialisations a Linear config may name.
func Inits() []string {
	return []string{InitPyTorch, InitXavierUniform, InitKaimingNormal, InitZero}
}

// Linear is the config of a fully connected layer y = x·W + b: In inputs and
// Out outputs, a bias if Bias. Its parameters are "<name>.weight" [In, Out]
// (input-major: row i holds input i's weights) and, with a bias,
// "<name>.bias" [Out]. Init names how the weights were initialised before
// training (InitPyTorch, ...); trained weights come from the weights file.
type Linear struct {
	In   int    `json:"in"`
	Out  int    `json:"out"`
	Bias bool   `json:"bias"`
	Init string `json:"init"`
}

// Kind returns KindLinear.
func (Linear) Kind() string { return KindLinear }

// Shapes returns [In] and [Out].
func (p Linear) Shapes() (in, out []int) { return []int{p.In}, []int{p.Out} }

// Validate checks that the sizes are positive and Init is known.
func (p Linear) Validate() error {
	if err := positive("in", p.In); err != nil {
		return err
	}
	if err := positive("out", p.Out); err != nil {
		return err
	}
	return oneOf("init", p.Init, Inits())
}

// positive returns a *FieldError unless n >= 1.
func positive(field string, n int) error {
	if n < 1 {
		return &FieldError{Field: field, Value: n, Msg: "must be positive"}
	}
	return nil
}

// oneOf returns a *FieldError unless s is one of allowed.
func oneOf(field, s string, allowed []string) error {
	if !slices.Contains(allowed, s) {
		return &FieldError{Field: field, Value: s, Msg: "must be one of " + strings.Join(allowed, ", ")}
	}
	return nil
}
