package infer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"

	"github.com/spikegrad/spikegrad/datasets"
	"github.com/spikegrad/spikegrad/internal/atomicfile"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/safetensors"
)

// Format is the format string of an exported model, kept in the metadata
// key "format" of its file. A reader refuses any other value.
const Format = "spikegrad.infer/v1"

// Metadata keys of an exported model file.
const (
	MetaFormat   = "format"   // Format
	MetaModel    = "model"    // the architecture, as model.Marshal writes model.json
	MetaSteps    = "steps"    // time steps per sample, a decimal integer
	MetaEncoding = "encoding" // the input encoding, the JSON of Encoding
	MetaReadout  = "readout"  // the class read-out rule (Readouts)
	MetaDataset  = "dataset"  // the dataset the model was trained on; informative, may be empty
)

// Input encodings of an exported model (Encoding.Name).
const (
	EncodingDirect  = "direct"  // the static input as an input current at every step
	EncodingRate    = "rate"    // Bernoulli spikes, probability Gain·x per step
	EncodingLatency = "latency" // one spike per input, earlier for larger values
	EncodingSpikes  = "spikes"  // the dataset is already a spike sequence [Steps, B, F]
)

// Read-out rules: how a class is read from the last layer.
const (
	ReadoutSpikeCount  = "spike_count"  // argmax over classes of Σ_t S[t]
	ReadoutMembraneSum = "membrane_sum" // argmax of Σ_t mem[t]
	ReadoutMembraneMax = "membrane_max" // argmax of max_t mem[t]
)

// Readouts lists the read-out rules a model may name.
func Readouts() []string {
	return []string{ReadoutSpikeCount, ReadoutMembraneSum, ReadoutMembraneMax}
}

// Encoding is how a static input becomes the network's input over time, the
// encoders of package datasets with their parameters.
type Encoding struct {
	// Name is EncodingDirect, EncodingRate, EncodingLatency or EncodingSpikes.
	Name string `json:"name"`
	// Gain is the rate encoding's spike probability per step per unit of
	// input (datasets.RateEncoder.Gain); 0 elsewhere.
	Gain float64 `json:"gain"`
	// Latency holds the latency encoder's parameters; nil elsewhere.
	Latency *Latency `json:"latency,omitempty"`
}

// Latency is the parameters of the latency encoding, the fields of
// datasets.LatencyEncoder (which gives their meaning and defaults).
type Latency struct {
	Tau       float32 `json:"tau"`
	Threshold float32 `json:"threshold"`
	Epsilon   float32 `json:"epsilon"`
	Linear    bool    `json:"linear"`
	Normalize bool    `json:"normalize"`
	Clip      bool    `json:"clip"`
}

// Binary reports whether the encoded input is spikes (0 or 1).
func (e Encoding) Binary() bool { return e.Name != EncodingDirect }

// Encoder returns the datasets encoder of a static input, nil for
// EncodingDirect (the input is presented as is, once, as a constant current)
// and EncodingSpikes (the dataset is already a sequence).
func (e Encoding) Encoder() datasets.StaticEncoder {
	switch e.Name {
	case EncodingRate:
		return datasets.RateEncoder{Gain: float32(e.Gain)}
	case EncodingLatency:
		var l Latency
		if e.Latency != nil {
			l = *e.Latency
		}
		return datasets.LatencyEncoder{Tau: l.Tau, Threshold: l.Threshold, Epsilon: l.Epsilon,
			Linear: l.Linear, Normalize: l.Normalize, Clip: l.Clip}
	}
	return nil
}

func (e Encoding) validate() error {
	switch e.Name {
	case EncodingDirect, EncodingSpikes:
	case EncodingRate:
		if !(e.Gain > 0) || math.IsInf(e.Gain, 0) {
			return fmt.Errorf("gain = %v: must be a finite number > 0", e.Gain)
		}
	case EncodingLatency:
		if l := e.Latency; l != nil {
			for _, v := range []struct {
				name string
				v    float32
			}{{"tau", l.Tau}, {"threshold", l.Threshold}, {"epsilon", l.Epsilon}} {
				if v.v < 0 || math.IsNaN(float64(v.v)) || math.IsInf(float64(v.v), 0) {
					return fmt.Errorf("latency.%s = %v: must be a finite number >= 0", v.name, v.v)
				}
			}
			if l.Threshold >= 1 {
				return fmt.Errorf("latency.threshold = %v: must be in (0, 1)", l.Threshold)
			}
		}
	default:
		return fmt.Errorf("name = %q: unknown encoding (allowed: %s, %s, %s, %s)", e.Name,
			EncodingDirect, EncodingRate, EncodingLatency, EncodingSpikes)
	}
	if e.Name != EncodingRate && e.Gain != 0 {
		return fmt.Errorf("gain = %v: only the rate encoding has a gain", e.Gain)
	}
	if e.Name != EncodingLatency && e.Latency != nil {
		return fmt.Errorf("latency: only the latency encoding has latency parameters")
	}
	return nil
}

// Model is an exported inference model: a model.Model (the architecture of
// the training side, unchanged) with its weights, and what the training
// configuration adds to run it on its own: the number of time steps, the
// input encoding and the read-out rule.
type Model struct {
	Arch     *model.Model
	Weights  []safetensors.Tensor // "<layer>.<param>", as model.Save writes them
	Steps    int                  // time steps per sample (> 0)
	Encoding Encoding
	Readout  string // ReadoutSpikeCount, ReadoutMembraneSum or ReadoutMembraneMax
	Dataset  string // the dataset it was trained on ("mnist", ...); informative
}

// Error is an error in an exported model: it names the file (empty for a
// Model built in code) and the field, metadata key or tensor at fault.
type Error struct {
	File  string // the file's path; empty for a Model not read from a file
	Field string // e.g. "steps", "encoding.gain", "tensor fc1.weight", `layer 1 "lif1"`
	Err   error
}

// Error returns the message, e.g. `infer: model.sgi: steps = "0": must be > 0`.
func (e *Error) Error() string {
	where := "infer: "
	if e.File != "" {
		where += e.File + ": "
	}
	if e.Field != "" {
		where += e.Field + ": "
	}
	return where + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Validate checks m: the architecture (model.Model.Validate), that the sizes
// of consecutive layers agree, that the last layer is a neuron layer, that
// every parameter is present once with its shape and finite values and that
// no other tensor is, and the steps, encoding and read-out. Errors are
// *Error values naming the field or tensor.
func (m *Model) Validate() error { return m.validate("") }

func (m *Model) validate(file string) error {
	bad := func(field string, err error) error { return &Error{File: file, Field: field, Err: err} }
	if m.Arch == nil {
		return bad("model", errors.New("no architecture"))
	}
	if err := m.Arch.Validate(); err != nil {
		return bad("model", err)
	}
	if len(m.Arch.Layers) == 0 {
		return bad("model", errors.New("no layers"))
	}
	if m.Steps <= 0 {
		return bad(MetaSteps, fmt.Errorf("%d: must be > 0", m.Steps))
	}
	if err := m.Encoding.validate(); err != nil {
		return bad(MetaEncoding, err)
	}
	if !slices.Contains(Readouts(), m.Readout) {
		return bad(MetaReadout, fmt.Errorf("%q: unknown (allowed: %v)", m.Readout, Readouts()))
	}
	byName := map[string]safetensors.Tensor{}
	for _, t := range m.Weights {
		if _, dup := byName[t.Name]; dup {
			return bad("tensor "+t.Name, errors.New("appears twice"))
		}
		byName[t.Name] = t
	}
	used := map[string]bool{}
	param := func(l model.Layer, p string, shapes ...[]int) error {
		name := l.Name + "." + p
		t, ok := byName[name]
		if !ok {
			return bad("tensor "+name, fmt.Errorf("missing (layer %q, %s)", l.Name, l.Kind))
		}
		used[name] = true
		if !slices.ContainsFunc(shapes, func(s []int) bool { return slices.Equal(s, t.Shape) }) {
			return bad("tensor "+name, fmt.Errorf("shape %v, want %v", t.Shape, shapes[0]))
		}
		if n, _ := safetensors.NumElements(t.Shape); len(t.Data) != n {
			return bad("tensor "+name, fmt.Errorf("%d values for shape %v", len(t.Data), t.Shape))
		}
		for i, v := range t.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return bad("tensor "+name, fmt.Errorf("value %d is %v: must be finite", i, v))
			}
		}
		return nil
	}
	// adlif checks the parameters of an adlif layer or of a radlif's AdLIF part.
	adlif := func(l model.Layer, c *model.AdLIF) (errs []error) {
		for _, name := range []string{"alpha", "beta", "a", "b"} {
			errs = append(errs, param(l, name, []int{c.N}))
		}
		return append(errs, param(l, "threshold", []int{1}, []int{c.N}))
	}
	size := 0 // outputs of the previous layer; 0 before the first
	for i, l := range m.Arch.Layers {
		p, err := l.Payload()
		if err != nil {
			return bad(fmt.Sprintf("layer %d %q", i, l.Name), err)
		}
		in, out := sizes(p)
		if l.Kind == model.KindDropout { // any size: its input's (unknown before the first sized layer)
			in, out = size, size
		}
		var errs []error
		switch c := p.(type) {
		case *model.Linear:
			errs = append(errs, param(l, "weight", []int{c.In, c.Out}))
			if c.Bias {
				errs = append(errs, param(l, "bias", []int{c.Out}))
			}
		case *model.LIF:
			errs = append(errs, param(l, "beta", []int{1}, []int{c.N}), param(l, "threshold", []int{1}, []int{c.N}))
		case *model.Synaptic:
			errs = append(errs, param(l, "alpha", []int{1}, []int{c.N}), param(l, "beta", []int{1}, []int{c.N}),
				param(l, "threshold", []int{1}, []int{c.N}))
		case *model.LI:
			errs = append(errs, param(l, "beta", []int{1}, []int{c.N}))
		case *model.IF:
			errs = append(errs, param(l, "threshold", []int{1}, []int{c.N}))
		case *model.ALIF:
			for _, name := range []string{"beta", "threshold", "rho", "adapt"} {
				errs = append(errs, param(l, name, []int{1}, []int{c.N}))
			}
		case *model.PLIF:
			errs = append(errs, param(l, "w", []int{1}, []int{c.N}), param(l, "threshold", []int{1}, []int{c.N}))
		case *model.AdLIF:
			errs = adlif(l, c)
		case *model.RadLIF:
			errs = append(adlif(l, &c.AdLIF), param(l, "recurrent", []int{c.N, c.N}))
		case *model.Conv2d:
			errs = append(errs, param(l, "weight", []int{c.Out, c.In / c.Groups, c.Kernel[0], c.Kernel[1]}))
			if c.Bias {
				errs = append(errs, param(l, "bias", []int{c.Out}))
			}
		case *model.Conv1d:
			errs = append(errs, param(l, "weight", []int{c.Out, c.In / c.Groups, c.Kernel}))
			if c.Bias {
				errs = append(errs, param(l, "bias", []int{c.Out}))
			}
		case *model.RLIF:
			errs = append(errs, param(l, "beta", []int{1}, []int{c.N}), param(l, "threshold", []int{1}, []int{c.N}),
				param(l, "recurrent", recurrentShape(c.N, c.OneToOne)))
		case *model.RSynaptic:
			errs = append(errs, param(l, "alpha", []int{1}, []int{c.N}), param(l, "beta", []int{1}, []int{c.N}),
				param(l, "threshold", []int{1}, []int{c.N}), param(l, "recurrent", recurrentShape(c.N, c.OneToOne)))
		case *model.BatchNorm:
			shape := []int{c.Channels}
			if c.Mode == model.BNPerStep {
				shape = []int{c.Steps, c.Channels}
			} else {
				errs = append(errs, param(l, "bias", shape))
			}
			for _, name := range []string{"weight", "running_mean", "running_var"} {
				errs = append(errs, param(l, name, shape))
			}
			if t, ok := byName[l.Name+".running_var"]; ok && errors.Join(errs...) == nil {
				for j, v := range t.Data {
					if v < 0 {
						return bad("tensor "+t.Name, fmt.Errorf("value %d is %v: a variance must be >= 0", j, v))
					}
				}
			}
		case *model.Pool2d, *model.Flatten, *model.Dropout: // no parameters
		default:
			return bad(fmt.Sprintf("layer %d %q", i, l.Name), fmt.Errorf("kind %q has no inference implementation", l.Kind))
		}
		if err := errors.Join(errs...); err != nil {
			return err
		}
		if size != 0 && in != size {
			return bad(fmt.Sprintf("layer %d %q", i, l.Name), fmt.Errorf("takes %d inputs, the previous layer gives %d", in, size))
		}
		size = out
	}
	last := m.Arch.Layers[len(m.Arch.Layers)-1]
	switch last.Kind {
	case model.KindLIF, model.KindSynaptic, model.KindIF, model.KindALIF, model.KindPLIF, model.KindRLIF, model.KindRSynaptic, model.KindAdLIF, model.KindRadLIF:
	case model.KindLI:
		if m.Readout == ReadoutSpikeCount {
			return bad(MetaReadout, fmt.Errorf("%q: the last layer %q (li) has no spikes", m.Readout, last.Name))
		}
	default:
		return bad(fmt.Sprintf("layer %d %q", len(m.Arch.Layers)-1, last.Name),
			fmt.Errorf("the last layer is %s: it must be a neuron layer (lif, synaptic, if, alif, plif, rlif, rsynaptic, adlif, radlif, li) to read a class from", last.Kind))
	}
	for _, t := range m.Weights {
		if !used[t.Name] {
			return bad("tensor "+t.Name, errors.New("belongs to no parameter of the model"))
		}
	}
	return nil
}

// sizes returns the inputs and outputs of a layer's payload, as numbers
// of values.
func sizes(p model.Payload) (in, out int) {
	takes, gives := p.Shapes()
	in = 1
	for _, n := range takes {
		in *= n
	}
	if gives == nil {
		return in, in
	}
	out = 1
	for _, n := range gives {
		out *= n
	}
	return in, out
}

// recurrentShape is the shape of a recurrent layer's weight "<name>.recurrent".
func recurrentShape(n int, oneToOne bool) []int {
	if oneToOne {
		return []int{n}
	}
	return []int{n, n}
}

// Inputs returns the number of input features: the inputs of the first
// layer (after any dropout layers, which take any size).
func (m *Model) Inputs() int {
	for _, l := range m.Arch.Layers {
		if l.Kind == model.KindDropout {
			continue
		}
		p, err := l.Payload()
		if err != nil {
			return 0
		}
		in, _ := sizes(p)
		return in
	}
	return 0
}

// Classes returns the number of outputs of the last layer.
func (m *Model) Classes() int {
	p, err := m.Arch.Layers[len(m.Arch.Layers)-1].Payload()
	if err != nil {
		return 0
	}
	_, out := sizes(p)
	return out
}

// Marshal validates m and returns the bytes of its file: one safetensors
// file whose tensors are the weights and neuron parameters and whose
// metadata holds Format, the architecture (MetaModel), the steps, the
// encoding, the read-out and the dataset.
func Marshal(m *Model) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	meta, err := m.meta()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := safetensors.Write(&buf, m.Weights, meta); err != nil {
		return nil, &Error{Field: "weights", Err: err}
	}
	return buf.Bytes(), nil
}

func (m *Model) meta() (map[string]string, error) {
	arch, err := model.Marshal(m.Arch)
	if err != nil {
		return nil, &Error{Field: "model", Err: err}
	}
	enc, err := json.Marshal(m.Encoding)
	if err != nil {
		return nil, &Error{Field: MetaEncoding, Err: err}
	}
	return map[string]string{
		MetaFormat: Format, MetaModel: string(arch), MetaSteps: strconv.Itoa(m.Steps),
		MetaEncoding: string(enc), MetaReadout: m.Readout, MetaDataset: m.Dataset,
	}, nil
}

// Save writes m to path atomically (a temporary file renamed over it, see
// internal/atomicfile), after Validate. It does not check whether path
// exists; the export command refuses to replace a different file unless
// asked.
func Save(path string, m *Model) error {
	b, err := Marshal(m)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.File == "" {
			e.File = path
		}
		return err
	}
	return atomicfile.WriteBytes(path, b)
}

// Load reads and validates the exported model at path. A file that is not
// a safetensors file, is truncated, has another format, lacks a metadata key
// or a tensor, or holds a value outside its domain is an *Error naming the
// file and the field.
func Load(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &Error{File: path, Err: err}
	}
	return Read(f, st.Size(), path)
}

// Read reads and validates an exported model of size bytes from r; name
// is the file's name in errors.
func Read(r io.ReaderAt, size int64, name string) (*Model, error) {
	bad := func(field string, err error) error { return &Error{File: name, Field: field, Err: err} }
	f, err := safetensors.Read(r, size)
	if err != nil {
		return nil, bad("", err)
	}
	get := func(key string) (string, error) {
		v, ok := f.Meta[key]
		if !ok {
			return "", bad(key, errors.New("missing from the metadata"))
		}
		return v, nil
	}
	format, err := get(MetaFormat)
	if err != nil {
		return nil, err
	}
	if format != Format {
		return nil, bad(MetaFormat, fmt.Errorf("%q: not an exported spikegrad model (want %q)", format, Format))
	}
	m := &Model{}
	arch, err := get(MetaModel)
	if err != nil {
		return nil, err
	}
	if m.Arch, err = model.Unmarshal([]byte(arch)); err != nil {
		return nil, bad(MetaModel, err)
	}
	steps, err := get(MetaSteps)
	if err != nil {
		return nil, err
	}
	if m.Steps, err = strconv.Atoi(steps); err != nil {
		return nil, bad(MetaSteps, fmt.Errorf("%q: not an integer", steps))
	}
	enc, err := get(MetaEncoding)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(enc)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m.Encoding); err != nil {
		return nil, bad(MetaEncoding, err)
	}
	if dec.More() {
		return nil, bad(MetaEncoding, errors.New("data after the JSON object"))
	}
	if m.Readout, err = get(MetaReadout); err != nil {
		return nil, err
	}
	m.Dataset = f.Meta[MetaDataset]
	for _, info := range f.Infos {
		if info.DType != safetensors.F32 {
			return nil, bad("tensor "+info.Name, fmt.Errorf("dtype %v: must be F32", info.DType))
		}
	}
	if m.Weights, err = f.Tensors(); err != nil {
		return nil, bad("weights", err)
	}
	if err := m.validate(name); err != nil {
		return nil, err
	}
	return m, nil
}
