package model

// KindDropout is the layer kind of Dropout.
const KindDropout = "dropout"

// Dropout is the config of a dropout layer (layers.Dropout): in training,
// each feature of each sample is zeroed with probability P, once per
// sequence, and the kept ones are scaled by 1/(1−P); in inference the layer
// is the identity. It has no parameters. P = 0 keeps every feature.
type Dropout struct {
	P float32 `json:"p"`
}

// Kind returns KindDropout.
func (Dropout) Kind() string { return KindDropout }

// Shapes returns nil twice: Dropout takes any number of values and passes
// them on.
func (Dropout) Shapes() (in, out []int) { return nil, nil }

// Validate requires 0 ≤ P < 1 (P = 1 would drop everything and scale by
// 1/0).
func (p Dropout) Validate() error {
	if !(p.P >= 0 && p.P < 1) {
		return &FieldError{Field: "p", Value: p.P, Msg: "must be in [0, 1)"}
	}
	return nil
}
