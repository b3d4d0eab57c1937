package layers

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/model"
)

// Layer is one stage of a network. Forward runs it over a whole sequence
// [T, B, F] (or, for layers without dynamics, any [..., F]) from its zero
// state. Layers hold parameters but no state: the caller owns neuron states.
// Spec describes the layer for a model file; Build makes it again from that.
type Layer interface {
	Name() string
	Params() []*autograd.Param
	Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var
	Spec() model.Layer
}

// ConfigError is a layer size or config value that cannot be used. The
// constructors (NewLinear, NewLIF, ...) panic with it, since a bad literal
// in code is a programmer error; Build returns it for a model that holds
// such a value.
type ConfigError struct {
	Kind  string // the layer kind, as in model files ("linear", "lif", ...), or "sequential"
	Layer string // the layer's name
	Field string // the config field, named as in model files ("n", "beta", "surrogate", ...)
	Value any    // the value given; nil when there is none to show
	Msg   string // what is wrong
	Err   error  // the underlying error, if any (e.g. a *surrogate.ParamError)
}

// Error returns the message of the ConfigError, e.g.
// `layers: lif "hidden": beta = 2: must be in [0, 1]`.
func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("layers: " + e.Kind)
	if e.Layer != "" {
		fmt.Fprintf(&b, " %q", e.Layer)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString((&model.FieldError{Field: e.Field, Value: e.Value, Msg: e.Msg}).Error())
	} else {
		b.WriteString(e.Msg)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

// check validates the payload p that a constructor made from its Go config,
// and returns the *ConfigError naming the layer.
func check(name string, p model.Payload) error {
	err := p.Validate()
	var fe *model.FieldError
	if errors.As(err, &fe) {
		return &ConfigError{Kind: p.Kind(), Layer: name, Field: fe.Field, Value: fe.Value, Msg: fe.Msg}
	}
	return err
}

// must returns l, or panics with err.
func must[L any](l L, err error) L {
	if err != nil {
		panic(err)
	}
	return l
}

// builder makes a layer called name from its model config p (the payload
// type of its kind) and, for layers with random initial weights, rng.
type builder func(name string, p model.Payload, rng *rand.Rand) (Layer, error)

// builders maps each model kind to its builder. Every layer type fills in
// its kind in its own file, at initialisation, and Build reads it.
var builders = map[string]builder{}

func register(kind string, b builder) { builders[kind] = b }

// Build makes the network that m describes, with weights initialised from
// rng (nil: from math/rand/v2's global source; load trained weights
// afterwards). Built from the same model and an equally seeded rng, two
// networks have the same initial weights. Errors name the layer: a
// *model.LayerError for a model that does not validate, a *ConfigError for
// a value that the layer refuses (such as an unknown surrogate).
func Build(m *model.Model, rng *rand.Rand) (*Sequential, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	ls := make([]Layer, len(m.Layers))
	for i, ml := range m.Layers {
		b, ok := builders[ml.Kind]
		if !ok {
			return nil, &model.LayerError{Index: i, Name: ml.Name, Kind: ml.Kind, Err: errors.New("no layer type of this package builds this kind")}
		}
		p, err := ml.Payload()
		if err != nil {
			return nil, err // not reached: Validate decoded it
		}
		if ls[i], err = b(ml.Name, p, rng); err != nil {
			return nil, err
		}
	}
	return newSequential(ls)
}
