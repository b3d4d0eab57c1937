package layers

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/spikegrad/spikegrad/surrogate"
)

// Kind names a layer type in a model file.
type Kind uint8

const (
	KindLinear   Kind = iota + 1 // "linear"
	KindLIF                      // "lif"
	KindSynaptic                 // "synaptic"
	KindLI                       // "li"
)

var kindNames = map[Kind]string{KindLinear: "linear", KindLIF: "lif", KindSynaptic: "synaptic", KindLI: "li"}

// String returns the kind's name in model files.
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// ParseKind returns the Kind named s.
func ParseKind(s string) (Kind, error) {
	for k, n := range kindNames {
		if n == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown layer kind %q (allowed: linear, lif, synaptic, li)", s)
}

// MarshalText writes the kind's name.
func (k Kind) MarshalText() ([]byte, error) {
	if _, ok := kindNames[k]; !ok {
		return nil, fmt.Errorf("layers: unknown kind %d", uint8(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText reads a kind's name.
func (k *Kind) UnmarshalText(b []byte) error {
	v, err := ParseKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// Spec describes one layer in a model file (model.json): enough to build it
// again. Weights travel separately (safetensors).
type Spec struct {
	Kind           Kind           `json:"kind"`
	Name           string         `json:"name"`
	In             int            `json:"in,omitempty"`   // linear: inputs
	Out            int            `json:"out"`            // linear: outputs; neurons: count
	Bias           bool           `json:"bias,omitempty"` // linear
	Init           string         `json:"init,omitempty"` // linear
	Alpha          float32        `json:"alpha,omitempty"`
	Beta           float32        `json:"beta,omitempty"`
	Threshold      float32        `json:"threshold,omitempty"`
	Reset          string         `json:"reset,omitempty"`
	ResetGrad      bool           `json:"reset_grad,omitempty"`
	Surrogate      *SurrogateSpec `json:"surrogate,omitempty"`
	LearnAlpha     bool           `json:"learn_alpha,omitempty"`
	LearnBeta      bool           `json:"learn_beta,omitempty"`
	LearnThreshold bool           `json:"learn_threshold,omitempty"`
	PerNeuron      bool           `json:"per_neuron,omitempty"`
}

// Build makes the network that specs describe, with parameters initialised
// from rng (load trained weights afterwards). Errors name the layer.
func Build(specs []Spec, rng *rand.Rand) (*Sequential, error) {
	ls := make([]Layer, 0, len(specs))
	for i, s := range specs {
		l, err := s.build(rng)
		if err != nil {
			return nil, fmt.Errorf("layer %d (%q): %w", i, s.Name, err)
		}
		ls = append(ls, l)
	}
	return NewSequential(ls...)
}

func (s Spec) lifConfig() (LIFConfig, error) {
	c := LIFConfig{Beta: s.Beta, Threshold: s.Threshold, ResetGrad: s.ResetGrad,
		LearnBeta: s.LearnBeta, LearnThreshold: s.LearnThreshold, PerNeuron: s.PerNeuron}
	if s.Reset != "" {
		r, err := ParseReset(s.Reset)
		if err != nil {
			return c, err
		}
		c.Reset = r
	}
	if s.Surrogate != nil {
		f, err := s.Surrogate.Func()
		if err != nil {
			return c, err
		}
		c.Surrogate = f
	}
	return c, nil
}

func (s Spec) build(rng *rand.Rand) (Layer, error) {
	switch s.Kind {
	case KindLinear:
		init := InitPyTorch
		if s.Init != "" {
			var err error
			if init, err = ParseInit(s.Init); err != nil {
				return nil, err
			}
		}
		return NewLinear(s.Name, s.In, s.Out, s.Bias, init, rng)
	case KindLIF:
		c, err := s.lifConfig()
		if err != nil {
			return nil, err
		}
		return NewLIF(s.Name, s.Out, c)
	case KindSynaptic:
		c, err := s.lifConfig()
		if err != nil {
			return nil, err
		}
		return NewSynaptic(s.Name, s.Out, SynapticConfig{LIFConfig: c, Alpha: s.Alpha, LearnAlpha: s.LearnAlpha})
	case KindLI:
		return NewLI(s.Name, s.Out, s.Beta, s.LearnBeta, s.PerNeuron)
	}
	return nil, fmt.Errorf("unknown layer kind %v", s.Kind)
}

// SurrogateSpec names a surrogate and its hyperparameters in configs and
// model files, e.g. {"name": "fast_sigmoid", "params": {"slope": 25}}.
// Omitted parameters take the surrogate's documented defaults.
type SurrogateSpec struct {
	Name   string             `json:"name" yaml:"name"`
	Params map[string]float64 `json:"params,omitempty" yaml:"params,omitempty"`
}

// surrogateTable lists every built-in with its parameter names and how to
// build it and read it back.
var surrogateTable = []struct {
	name   string
	params []string
	make   func(p map[string]float32) surrogate.Func
	read   func(f surrogate.Func) (map[string]float32, bool)
}{
	{"fast_sigmoid", []string{"slope"},
		func(p map[string]float32) surrogate.Func { return surrogate.FastSigmoid{Slope: p["slope"]} },
		func(f surrogate.Func) (map[string]float32, bool) {
			s, ok := f.(surrogate.FastSigmoid)
			return map[string]float32{"slope": s.Slope}, ok
		}},
	{"sparse_fast_sigmoid", []string{"slope", "b"},
		func(p map[string]float32) surrogate.Func {
			return surrogate.SparseFastSigmoid{Slope: p["slope"], B: p["b"]}
		},
		func(f surrogate.Func) (map[string]float32, bool) {
			s, ok := f.(surrogate.SparseFastSigmoid)
			return map[string]float32{"slope": s.Slope, "b": s.B}, ok
		}},
	{"slayer", []string{"tau_rho", "scale_rho", "theta"},
		func(p map[string]float32) surrogate.Func {
			return surrogate.SLAYER{TauRho: p["tau_rho"], ScaleRho: p["scale_rho"], Theta: p["theta"]}
		},
		func(f surrogate.Func) (map[string]float32, bool) {
			s, ok := f.(surrogate.SLAYER)
			return map[string]float32{"tau_rho": s.TauRho, "scale_rho": s.ScaleRho, "theta": s.Theta}, ok
		}},
	{"atan", []string{"alpha"},
		func(p map[string]float32) surrogate.Func { return surrogate.Atan{Alpha: p["alpha"]} },
		func(f surrogate.Func) (map[string]float32, bool) {
			s, ok := f.(surrogate.Atan)
			return map[string]float32{"alpha": s.Alpha}, ok
		}},
	{"sigmoid", []string{"slope"},
		func(p map[string]float32) surrogate.Func { return surrogate.Sigmoid{Slope: p["slope"]} },
		func(f surrogate.Func) (map[string]float32, bool) {
			s, ok := f.(surrogate.Sigmoid)
			return map[string]float32{"slope": s.Slope}, ok
		}},
	{"triangle", []string{"half_width", "height"},
		func(p map[string]float32) surrogate.Func {
			return surrogate.Triangle{HalfWidth: p["half_width"], Height: p["height"]}
		},
		func(f surrogate.Func) (map[string]float32, bool) {
			s, ok := f.(surrogate.Triangle)
			return map[string]float32{"half_width": s.HalfWidth, "height": s.Height}, ok
		}},
	{"boxcar", []string{"half_width", "height"},
		func(p map[string]float32) surrogate.Func {
			return surrogate.Boxcar{HalfWidth: p["half_width"], Height: p["height"]}
		},
		func(f surrogate.Func) (map[string]float32, bool) {
			s, ok := f.(surrogate.Boxcar)
			return map[string]float32{"half_width": s.HalfWidth, "height": s.Height}, ok
		}},
	{"straight_through", nil,
		func(map[string]float32) surrogate.Func { return surrogate.StraightThrough{} },
		func(f surrogate.Func) (map[string]float32, bool) {
			_, ok := f.(surrogate.StraightThrough)
			return map[string]float32{}, ok
		}},
	{"gaussian", []string{"sigma"},
		func(p map[string]float32) surrogate.Func { return surrogate.Gaussian{Sigma: p["sigma"]} },
		func(f surrogate.Func) (map[string]float32, bool) {
			s, ok := f.(surrogate.Gaussian)
			return map[string]float32{"sigma": s.Sigma}, ok
		}},
	{"multi_gaussian", []string{"sigma", "h", "s", "gamma"},
		func(p map[string]float32) surrogate.Func {
			return surrogate.MultiGaussian{Sigma: p["sigma"], H: p["h"], S: p["s"], Gamma: p["gamma"]}
		},
		func(f surrogate.Func) (map[string]float32, bool) {
			s, ok := f.(surrogate.MultiGaussian)
			return map[string]float32{"sigma": s.Sigma, "h": s.H, "s": s.S, "gamma": s.Gamma}, ok
		}},
}

// SurrogateNames lists the names SurrogateSpec accepts.
func SurrogateNames() []string {
	var ns []string
	for _, e := range surrogateTable {
		ns = append(ns, e.name)
	}
	return ns
}

// SurrogateParams lists the parameter names of the surrogate called name.
func SurrogateParams(name string) ([]string, bool) {
	for _, e := range surrogateTable {
		if e.name == name {
			return e.params, true
		}
	}
	return nil, false
}

// Func builds the surrogate. An unknown name or parameter is an error that
// lists what is allowed; a bad value is reported by the surrogate's own
// validation (a *surrogate.ParamError) on first use, and checked here too.
func (s SurrogateSpec) Func() (f surrogate.Func, err error) {
	for _, e := range surrogateTable {
		if e.name != s.Name {
			continue
		}
		p := map[string]float32{}
		for k, v := range s.Params {
			if !slices.Contains(e.params, k) {
				return nil, fmt.Errorf("surrogate %s: unknown parameter %q (allowed: %s)", s.Name, k, strings.Join(e.params, ", "))
			}
			p[k] = float32(v)
		}
		f = e.make(p)
		defer func() {
			if r := recover(); r != nil {
				f, err = nil, fmt.Errorf("surrogate %s: %v", s.Name, r)
			}
		}()
		f.Grad(0) // validates the hyperparameters
		return f, nil
	}
	return nil, fmt.Errorf("unknown surrogate %q (allowed: %s)", s.Name, strings.Join(SurrogateNames(), ", "))
}

// SurrogateSpecOf describes a built-in surrogate; for another Func it
// returns a spec with the Func's String as its name (which Func rejects).
func SurrogateSpecOf(f surrogate.Func) *SurrogateSpec {
	for _, e := range surrogateTable {
		if p, ok := e.read(f); ok {
			s := &SurrogateSpec{Name: e.name}
			for k, v := range p {
				if v != 0 {
					if s.Params == nil {
						s.Params = map[string]float64{}
					}
					s.Params[k] = float64(v)
				}
			}
			return s
		}
	}
	return &SurrogateSpec{Name: f.String()}
}

// MarshalModel writes specs as the JSON architecture of a model file.
func MarshalModel(specs []Spec) ([]byte, error) {
	return json.MarshalIndent(struct {
		Format string `json:"format"`
		Layers []Spec `json:"layers"`
	}{"spikegrad.sequential/v1", specs}, "", "  ")
}

// UnmarshalModel reads the JSON architecture written by MarshalModel.
func UnmarshalModel(b []byte) ([]Spec, error) {
	var m struct {
		Format string `json:"format"`
		Layers []Spec `json:"layers"`
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("model architecture: %w", err)
	}
	if m.Format != "spikegrad.sequential/v1" {
		return nil, fmt.Errorf("model architecture: format %q, want spikegrad.sequential/v1", m.Format)
	}
	return m.Layers, nil
}
