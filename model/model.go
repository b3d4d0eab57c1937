package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Format is the format string of the architecture that Marshal writes.
// FormatV1 is the earlier flat format, which Unmarshal still reads.
const (
	Format   = "spikegrad.sequential/v2"
	FormatV1 = "spikegrad.sequential/v1"
)

// Model is a network's architecture: its layers in the order in which they
// run, each applied to the previous one's output. The weights travel beside
// it (see Save).
type Model struct {
	Format string  `json:"format"`
	Layers []Layer `json:"layers"`
}

// Layer is one layer of a Model: its kind (KindLinear, KindLIF, ...), its
// name, which prefixes its parameters' names ("<name>.weight"), and its
// config, the JSON of the payload type of its kind (Linear, LIF, ...).
type Layer struct {
	Kind   string          `json:"kind"`
	Name   string          `json:"name"`
	Config json.RawMessage `json:"config"`
}

// Payload is the typed config of one layer kind: Linear, LIF, Synaptic, LI.
type Payload interface {
	// Kind returns the kind whose config the payload is.
	Kind() string
	// Validate returns a *FieldError for a value outside its field's
	// domain, or nil.
	Validate() error
	// Shapes returns the shapes of the values the layer takes and gives:
	// [n] for flat values, [C, H, W] or [C, L] for images and signals. A
	// nil out means the layer gives its values in the shape it takes them
	// (a neuron layer); a nil in means it takes any number of values and
	// passes them on (Dropout).
	Shapes() (in, out []int)
}

// payloads makes a new value of the payload type of every layer kind, in
// the order of Kinds.
var payloads = []func() Payload{
	func() Payload { return new(Linear) },
	func() Payload { return new(LIF) },
	func() Payload { return new(Synaptic) },
	func() Payload { return new(LI) },
	func() Payload { return new(Conv2d) },
	func() Payload { return new(Conv1d) },
	func() Payload { return &Pool2d{Op: KindMaxPool2d} },
	func() Payload { return &Pool2d{Op: KindAvgPool2d} },
	func() Payload { return &Pool2d{Op: KindSumPool2d} },
	func() Payload { return new(Flatten) },
	func() Payload { return new(RLIF) },
	func() Payload { return new(RSynaptic) },
	func() Payload { return new(IF) },
	func() Payload { return new(ALIF) },
	func() Payload { return new(PLIF) },
	func() Payload { return new(AdLIF) },
	func() Payload { return new(RadLIF) },
	func() Payload { return new(Dropout) },
	func() Payload { return new(SRM) },
	func() Payload { return new(Delay) },
	func() Payload { return new(BatchNorm) },
}

// Kinds lists the layer kinds that a model may hold.
func Kinds() []string {
	ks := make([]string, len(payloads))
	for i, p := range payloads {
		ks[i] = p().Kind()
	}
	return ks
}

// NewLayer returns the layer called name whose config is p.
func NewLayer(name string, p Payload) Layer {
	b, err := json.Marshal(p)
	if err != nil {
		panic(err) // the payload types hold numbers, strings and booleans only
	}
	return Layer{Kind: p.Kind(), Name: name, Config: b}
}

// Payload decodes the layer's config into the payload type of its kind
// (*Linear for KindLinear, ...) and validates it. Decoding is strict: an
// unknown field or a value of the wrong type is an error, a *FieldError
// naming the field. The error does not name the layer; Model.Validate's do.
func (l Layer) Payload() (Payload, error) {
	i := slices.Index(Kinds(), l.Kind)
	if i < 0 {
		return nil, &FieldError{Field: "kind", Value: l.Kind,
			Msg: "unknown layer kind (allowed: " + strings.Join(Kinds(), ", ") + ")"}
	}
	p := payloads[i]()
	if err := decodeStrict(l.Config, p); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// decodeStrict decodes the JSON object b into the struct that p points to,
// refusing unknown fields, and names the field of a type error.
func decodeStrict(b []byte, p any) error {
	if len(bytes.TrimSpace(b)) == 0 || bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return &FieldError{Field: "config", Msg: "is missing"}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err := dec.Decode(p)
	if err == nil && dec.More() {
		err = errors.New("data after the config object")
	}
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return &FieldError{Field: "config", Msg: "must be an object, got " + te.Value}
		}
		return &FieldError{Field: te.Field, Msg: "must be " + typeName(te.Type) + ", got " + te.Value}
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &FieldError{Field: strings.Trim(f, `"`),
			Msg: "unknown field (allowed: " + strings.Join(jsonFields(reflect.TypeOf(p).Elem()), ", ") + ")"}
	}
	return fmt.Errorf("config: %w", err)
}

// typeName describes a Go type of a payload field as a JSON value.
func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Int, reflect.Int64:
		return "a whole number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}

// jsonFields lists the JSON keys of a payload struct, those of embedded
// structs included.
func jsonFields(t reflect.Type) []string {
	var fs []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			fs = append(fs, jsonFields(f.Type)...)
			continue
		}
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
			fs = append(fs, name)
		}
	}
	return fs
}

// Validate checks the model: its format (Format, or empty for a Model
// built in code), and layers with unique non-empty names whose configs
// decode into their kind's payload and hold valid values. Its errors name
// the layer (a *LayerError).
func (m *Model) Validate() error {
	if m.Format != Format && m.Format != "" {
		return fmt.Errorf("model: format %q, want %s", m.Format, Format)
	}
	seen := make(map[string]bool, len(m.Layers))
	for i, l := range m.Layers {
		var err error
		switch {
		case l.Name == "":
			err = &FieldError{Field: "name", Msg: "is missing"}
		case seen[l.Name]:
			err = &FieldError{Field: "name", Value: l.Name, Msg: "another layer has this name (parameters are named after their layer)"}
		default:
			_, err = l.Payload()
		}
		if err != nil {
			return &LayerError{Index: i, Name: l.Name, Kind: l.Kind, Err: err}
		}
		seen[l.Name] = true
	}
	return nil
}

// Marshal validates m and returns it as indented JSON, the contents of a
// model.json. An empty Format is written as Format.
func Marshal(m *Model) ([]byte, error) {
	c := *m
	if c.Format == "" {
		c.Format = Format
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return json.MarshalIndent(&c, "", "  ")
}

// Unmarshal reads the JSON of a model.json and validates it (see
// Model.Validate). It reads Format and FormatV1; a FormatV1 model is
// returned in Format, with the same layers.
func Unmarshal(b []byte) (*Model, error) {
	var head struct {
		Format string          `json:"format"`
		Layers json.RawMessage `json:"layers"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&head); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	m := &Model{Format: Format}
	switch head.Format {
	case Format:
		dec := json.NewDecoder(bytes.NewReader(head.Layers))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m.Layers); err != nil {
			return nil, fmt.Errorf("model: layers: %w", err)
		}
	case FormatV1:
		var err error
		if m.Layers, err = readV1(head.Layers); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("model: format %q, want %s (or %s)", head.Format, Format, FormatV1)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// LayerError is an error in one layer of a model; it names the layer.
type LayerError struct {
	Index int    // the layer's position, from 0
	Name  string // the layer's name
	Kind  string // the layer's kind
	Err   error  // what is wrong, often a *FieldError
}

// Error returns the message of the LayerError, e.g. `model: layer 1 "lif1"
// (lif): beta = 1.5: must be in [0, 1]`.
func (e *LayerError) Error() string {
	return fmt.Sprintf("model: layer %d %q (%s): %v", e.Index, e.Name, e.Kind, e.Err)
}

// Unwrap returns the error of the layer.
func (e *LayerError) Unwrap() error { return e.Err }

// FieldError is a field of a layer that is missing, of the wrong type, or
// outside its domain.
type FieldError struct {
	Field string // the JSON key, e.g. "beta" or "surrogate.name"
	Value any    // the value given; nil when there is none to show
	Msg   string // what is wrong, e.g. "must be in [0, 1]"
}

// Error returns the message of the FieldError, e.g. "beta = 1.5: must be in
// [0, 1]".
func (e *FieldError) Error() string {
	switch v := e.Value.(type) {
	case nil:
		return e.Field + ": " + e.Msg
	case string:
		return fmt.Sprintf("%s = %q: %s", e.Field, v, e.Msg)
	default:
		return fmt.Sprintf("%s = %v: %s", e.Field, v, e.Msg)
	}
}
