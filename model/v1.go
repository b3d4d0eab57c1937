package model

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// v1Layer is a layer of a FormatV1 model: one flat record for every kind,
// with the neuron count in Out and zero fields omitted.
type v1Layer struct {
	Kind           string     `json:"kind"`
	Name           string     `json:"name"`
	In             int        `json:"in,omitempty"`
	Out            int        `json:"out"`
	Bias           bool       `json:"bias,omitempty"`
	Init           string     `json:"init,omitempty"`
	Alpha          float32    `json:"alpha,omitempty"`
	Beta           float32    `json:"beta,omitempty"`
	Threshold      float32    `json:"threshold,omitempty"`
	Reset          string     `json:"reset,omitempty"`
	ResetGrad      bool       `json:"reset_grad,omitempty"`
	Surrogate      *Surrogate `json:"surrogate,omitempty"`
	LearnAlpha     bool       `json:"learn_alpha,omitempty"`
	LearnBeta      bool       `json:"learn_beta,omitempty"`
	LearnThreshold bool       `json:"learn_threshold,omitempty"`
	PerNeuron      bool       `json:"per_neuron,omitempty"`
}

// readV1 converts the layers of a FormatV1 model. An omitted init was
// InitPyTorch, an omitted reset ResetSubtract and an omitted surrogate the
// fast sigmoid at its default slope; fields that a kind does not use were
// ignored, and still are.
func readV1(b json.RawMessage) ([]Layer, error) {
	var ls []v1Layer
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ls); err != nil {
		return nil, fmt.Errorf("model: layers (%s): %w", FormatV1, err)
	}
	out := make([]Layer, len(ls))
	for i, l := range ls {
		var p Payload
		switch l.Kind {
		case KindLinear:
			p = Linear{In: l.In, Out: l.Out, Bias: l.Bias, Init: or(l.Init, InitPyTorch)}
		case KindLIF:
			p = l.lif()
		case KindSynaptic:
			p = Synaptic{LIF: l.lif(), Alpha: l.Alpha, LearnAlpha: l.LearnAlpha}
		case KindLI:
			p = LI{N: l.Out, Beta: l.Beta, LearnBeta: l.LearnBeta, PerNeuron: l.PerNeuron}
		default:
			return nil, &LayerError{Index: i, Name: l.Name, Kind: l.Kind, Err: &FieldError{Field: "kind", Value: l.Kind,
				Msg: fmt.Sprintf("unknown layer kind of %s", FormatV1)}}
		}
		out[i] = NewLayer(l.Name, p)
	}
	return out, nil
}

func (l *v1Layer) lif() LIF {
	s := Surrogate{Name: "fast_sigmoid"}
	if l.Surrogate != nil {
		s = *l.Surrogate
	}
	return LIF{N: l.Out, Beta: l.Beta, Threshold: l.Threshold, Reset: or(l.Reset, ResetSubtract), ResetGrad: l.ResetGrad,
		Surrogate: s, LearnBeta: l.LearnBeta, LearnThreshold: l.LearnThreshold, PerNeuron: l.PerNeuron}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
