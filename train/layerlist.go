package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/spikegrad/spikegrad/layers"
	"github.com/spikegrad/spikegrad/model"
	"gopkg.in/yaml.v3"
)

// LayerSpec is one entry of model.layers: a layer of the kind Kind (one of
// model.Kinds) called Name, whose other keys are the fields of the kind's
// model payload, named as in model.json (in, out, h, w, kernel, beta, ...):
//
//   - {kind: conv2d, name: c1, in: 1, out: 8, h: 28, w: 28, kernel: [3, 3], padding: [1, 1]}
type LayerSpec struct {
	Kind   string         `yaml:"kind"`
	Name   string         `yaml:"name"`
	Config map[string]any `yaml:",inline"`
}

// layerSpecType is the type that decodeNode hands to decodeLayerSpec.
var layerSpecType = reflect.TypeOf(LayerSpec{})

// Layer returns the spec as a model layer.
func (s LayerSpec) Layer() model.Layer {
	cfg := s.Config
	if cfg == nil {
		cfg = map[string]any{}
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		panic(err) // decodeLayerSpec keeps only values that JSON encodes
	}
	return model.Layer{Kind: s.Kind, Name: s.Name, Config: b}
}

// decodeLayerSpec decodes one entry of model.layers strictly: a mapping
// with kind and name whose other keys decode into the kind's payload
// (model.Layer.Payload). Errors name the entry (model.layers[2]), the
// layer, the field, the file and the line of the field.
func decodeLayerSpec(n *yaml.Node, v reflect.Value, path, file string) error {
	if n.Kind != yaml.MappingNode {
		return &ConfigError{File: file, Line: n.Line, Key: path, Value: nodeText(n),
			Msg: "must be a mapping: {kind: KIND, name: NAME, ...fields of the kind}"}
	}
	s := LayerSpec{Config: map[string]any{}}
	lines := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if _, ok := lines[k.Value]; ok {
			return &ConfigError{File: file, Line: k.Line, Key: path + "." + k.Value, Msg: "key given twice"}
		}
		lines[k.Value] = k.Line
		switch k.Value {
		case "kind", "name":
			if val.Kind != yaml.ScalarNode || val.Tag == "!!null" {
				return &ConfigError{File: file, Line: val.Line, Key: path + "." + k.Value, Value: nodeText(val), Msg: "must be a string"}
			}
			if k.Value == "kind" {
				s.Kind = val.Value
			} else {
				s.Name = val.Value
			}
		default:
			var x any
			if err := val.Decode(&x); err != nil {
				return &ConfigError{File: file, Line: val.Line, Key: path + "." + k.Value, Msg: err.Error()}
			}
			if _, err := json.Marshal(x); err != nil {
				return &ConfigError{File: file, Line: val.Line, Key: path + "." + k.Value, Msg: "must be a number, string, boolean, list or mapping"}
			}
			s.Config[k.Value] = x
		}
	}
	at := func(line int, key string, err error) error {
		return &ConfigError{File: file, Line: line, Key: fmt.Sprintf("%s (layer %q, %s).%s", path, s.Name, s.Kind, key), Msg: err.Error()}
	}
	switch {
	case s.Kind == "":
		return at(n.Line, "kind", errors.New("is missing (allowed: "+strings.Join(model.Kinds(), ", ")+")"))
	case s.Name == "":
		return at(n.Line, "name", errors.New("is missing: each layer needs a name, which prefixes its parameters' names"))
	}
	if _, err := s.Layer().Payload(); err != nil {
		var fe *model.FieldError
		if errors.As(err, &fe) {
			line := n.Line
			if l, ok := lines[strings.SplitN(fe.Field, ".", 2)[0]]; ok {
				line = l
			}
			return &ConfigError{File: file, Line: line, Key: fmt.Sprintf("%s (layer %q, %s).%s", path, s.Name, s.Kind, fe.Field),
				Value: fieldValue(fe.Value), Msg: fe.Msg}
		}
		return at(n.Line, "config", err)
	}
	v.Set(reflect.ValueOf(s))
	return nil
}

func fieldValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return strconv.Quote(v)
	}
	return fmt.Sprint(v)
}

// layersModel returns the model that model.layers lists.
func layersModel(specs []LayerSpec) *model.Model {
	md := &model.Model{Format: model.Format}
	for _, s := range specs {
		md.Layers = append(md.Layers, s.Layer())
	}
	return md
}

// validateLayers checks model.layers: not with model.from, every
// architecture key other than model.readout left at its default, valid
// layers (model.Model.Validate) whose sizes chain, and a last layer of the
// kind model.readout names.
func (m *ModelConfig) validateLayers() error {
	if len(m.Layers) == 0 {
		return nil
	}
	if m.From != "" {
		return bad("model.layers", "", fmt.Sprintf("describes the network, and so does model.from %q: keep one", m.From))
	}
	if set := archKeysSet(m, layersKeysKept); len(set) > 0 {
		return bad("model.layers", "", "lists the architecture, but "+setVerb(set))
	}
	md := layersModel(m.Layers)
	if err := md.Validate(); err != nil {
		var le *model.LayerError
		if errors.As(err, &le) {
			return bad(fmt.Sprintf("model.layers[%d] (layer %q, %s)", le.Index, le.Name, le.Kind), "", le.Err.Error())
		}
		return bad("model.layers", "", err.Error())
	}
	if _, _, err := chainSizes(md); err != nil {
		return err
	}
	if last := m.Layers[len(m.Layers)-1]; last.Kind != m.Readout {
		return &ConfigError{Key: "model.readout", Value: strconv.Quote(m.Readout),
			Msg: fmt.Sprintf("must be the kind of the last layer of model.layers: layer %q is %q", last.Name, last.Kind)}
	}
	return nil
}

// validateDelays checks that every delay layer of model.layers is shorter
// than the sequences of the data: data.randman_steps for randman,
// data.frame_bins for event frames in bins, data.steps for the image sets.
// Event frames by window or count have lengths known only from the data.
func (c *Config) validateDelays() error {
	steps := c.Data.Steps
	switch {
	case c.Data.Dataset == "randman":
		steps = c.Data.RandmanSteps
	case isEventDataset(c.Data.Dataset) && c.Data.FrameBins > 0:
		steps = c.Data.FrameBins
	case isEventDataset(c.Data.Dataset):
		return nil
	}
	for i, s := range c.Model.Layers {
		if s.Kind != model.KindDelay {
			continue
		}
		p, err := s.Layer().Payload()
		if err != nil {
			continue // Model.validate names it
		}
		var fe *model.FieldError
		if errors.As(p.(*model.Delay).CheckSteps(steps), &fe) {
			return &ConfigError{Key: fmt.Sprintf("model.layers[%d] (layer %q, %s).%s", i, s.Name, s.Kind, fe.Field),
				Value: fmt.Sprint(fe.Value), Msg: fe.Msg}
		}
	}
	return nil
}

// layersKeysKept are the keys of the model section that model.layers does
// not replace.
var layersKeysKept = map[string]bool{"layers": true, "readout": true}

// archKeysSet lists the keys of the model section, other than those kept,
// that are not at their defaults.
func archKeysSet(m *ModelConfig, kept map[string]bool) []string {
	def := reflect.ValueOf(DefaultConfig().Model)
	v := reflect.ValueOf(*m)
	var set []string
	for i := 0; i < v.NumField(); i++ {
		key := v.Type().Field(i).Tag.Get("yaml")
		if !kept[key] && !reflect.DeepEqual(v.Field(i).Interface(), def.Field(i).Interface()) {
			set = append(set, "model."+key)
		}
	}
	return set
}

// setVerb says that the keys set must be removed.
func setVerb(set []string) string {
	if len(set) == 1 {
		return set[0] + " is set (not to its default): remove it"
	}
	return strings.Join(set, ", ") + " are set (not to their defaults): remove them"
}

// chainSizes checks that each layer of md takes what the layer before it
// gives: as many values, and the same channels × height × width (or
// channels × length) where both layers know the shape. It returns the
// number of inputs of the first layer and of outputs of the last. Errors
// name the layer that does not fit.
func chainSizes(md *model.Model) (in, out int, err error) {
	var shape []int // the shape of the values between layers; nil: flat
	first := 0      // the first layer that knows its input size
	for i, l := range md.Layers {
		p, err := l.Payload()
		if err != nil {
			return 0, 0, err
		}
		takes, gives := p.Shapes()
		if takes == nil { // any size: passes the values on
			if i == first {
				first++
			}
			continue
		}
		var needShape, outShape []int
		n, o := prod(takes), prod(gives)
		switch {
		case gives == nil: // neurons: the values keep their shape
			o, outShape = n, shape
		case len(gives) > 1:
			outShape = gives
		}
		if len(takes) > 1 {
			needShape = takes
		}
		key := fmt.Sprintf("model.layers[%d] (layer %q, %s)", i, l.Name, l.Kind)
		if i == first {
			in = n
		} else {
			prev := md.Layers[i-1]
			if n != out {
				return 0, 0, bad(key, "", fmt.Sprintf("takes %d values, but layer %q before it gives %d%s", n, prev.Name, out, shapeText(shape)))
			}
			if needShape != nil && shape != nil && !slices.Equal(needShape, shape) {
				return 0, 0, bad(key, "", fmt.Sprintf("takes %s, but layer %q before it gives %s", strings.Trim(shapeText(needShape), " ()"), prev.Name, strings.Trim(shapeText(shape), " ()")))
			}
		}
		if outShape != nil && len(outShape) > 0 && o != prod(outShape) {
			outShape = nil
		}
		shape, out = outShape, o
	}
	return in, out, nil
}

func prod(s []int) int {
	n := 1
	for _, x := range s {
		n *= x
	}
	return n
}

// shapeText formats a shape as " (8×14×14)", or "" for none.
func shapeText(s []int) string {
	if s == nil {
		return ""
	}
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = strconv.Itoa(x)
	}
	return " (" + strings.Join(parts, "×") + ")"
}

// networkLayers builds the network of model.layers for data of the given
// features and classes, with initial weights from rng: the first layer
// takes the data's features and the last gives its classes.
func networkLayers(m ModelConfig, features, classes int, rng *rand.Rand) (*layers.Sequential, error) {
	md := layersModel(m.Layers)
	in, out, err := chainSizes(md)
	if err != nil {
		return nil, err
	}
	if in != features || out != classes {
		return nil, bad("model.layers", "", fmt.Sprintf("take %d inputs and give %d outputs, but the data has %d features and %d classes: the first layer must take %d values and the last give %d",
			in, out, features, classes, features, classes))
	}
	net, err := layers.Build(md, rng)
	if err != nil {
		return nil, fmt.Errorf("model.layers: %w", err)
	}
	return net, nil
}

// formatLayers writes model.layers on one line, as JSON (which is also
// YAML flow style): the text form of the option, which setLayers reads.
func formatLayers(specs []LayerSpec) string {
	if len(specs) == 0 {
		return ""
	}
	ms := make([]map[string]any, len(specs))
	for i, s := range specs {
		m := map[string]any{"kind": s.Kind, "name": s.Name}
		for k, v := range s.Config {
			m[k] = v
		}
		ms[i] = m
	}
	b, err := json.Marshal(ms)
	if err != nil {
		panic(err) // decodeLayerSpec keeps only values that JSON encodes
	}
	return string(b)
}

// setLayers sets model.layers from its text form (formatLayers'): a list
// in JSON or YAML flow style, or "" for none.
func setLayers(v reflect.Value, key, value string) error {
	if strings.TrimSpace(value) == "" {
		v.SetZero()
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(value), &doc); err != nil || len(doc.Content) == 0 {
		return &ConfigError{Key: key, Value: strconv.Quote(value), Msg: "must be a list of layers, e.g. [{kind: li, name: out, n: 10, beta: 0.9}]"}
	}
	nv := reflect.New(v.Type()).Elem()
	if err := decodeNode(doc.Content[0], nv, key, ""); err != nil {
		return err
	}
	v.Set(nv)
	return nil
}
