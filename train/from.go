package train

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spikegrad/spikegrad/layers"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/nir"
	"github.com/spikegrad/spikegrad/rundir"
	"github.com/spikegrad/spikegrad/safetensors"
)

// fromKeysKept are the keys of the model section that model.from does not
// replace: model.from and model.dt themselves, and model.readout, which must
// name the kind of the model's last layer (the losses and predictions it
// allows are checked against it).
var fromKeysKept = map[string]bool{"from": true, "dt": true, "readout": true}

// isNIR reports whether a model.from names a NIR file (by its extension).
func isNIR(from string) bool { return strings.EqualFold(filepath.Ext(from), ".nir") }

// validateFrom checks model.from and model.dt: model.dt is finite and > 0
// with a .nir file and 0 otherwise, and with model.from every key that
// describes the architecture is left at its default.
func (m *ModelConfig) validateFrom() error {
	if math.IsNaN(m.DT) || math.IsInf(m.DT, 0) || m.DT < 0 {
		return bad("model.dt", m.DT, "must be a time step in seconds, finite and > 0")
	}
	switch {
	case m.From == "" && m.DT != 0:
		return bad("model.dt", m.DT, "is the time step of a NIR file: set it only with a .nir model.from")
	case m.From == "":
		return nil
	case isNIR(m.From) && m.DT == 0:
		return bad("model.dt", m.DT, fmt.Sprintf("must be > 0 with model.from %q: the time step, in seconds, one model step stands for (e.g. 1e-3)", m.From))
	case !isNIR(m.From) && m.DT != 0:
		return bad("model.dt", m.DT, fmt.Sprintf("is for a .nir model.from; %q is a model or run directory, whose steps are already discrete", m.From))
	}
	if set := archKeysSet(m, fromKeysKept); len(set) > 0 {
		return bad("model.from", strconv.Quote(m.From), "takes the architecture from the model, but "+setVerb(set))
	}
	return nil
}

// LoadFrom reads the model that model.from names: a model directory
// (model.json and weights.safetensors, as RUN/model), a run directory (its
// final model, RUN/model), or a NIR file, converted with time steps dt
// seconds apart (nir.ToModel). Errors name the file.
func LoadFrom(from string, dt float64) (*model.Model, []safetensors.Tensor, error) {
	if isNIR(from) {
		g, err := nir.Read(from)
		if err != nil {
			return nil, nil, fmt.Errorf("model.from: %w", err)
		}
		m, ts, err := nir.ToModel(g, dt)
		if err != nil {
			return nil, nil, fmt.Errorf("model.from: %s: %w", from, err)
		}
		return m, ts, nil
	}
	dir := from
	if _, err := os.Stat(filepath.Join(dir, model.ArchFile)); errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(filepath.Join(dir, rundir.ModelDir, model.ArchFile)); err == nil {
			dir = filepath.Join(dir, rundir.ModelDir)
		}
	}
	m, ts, err := model.Load(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("model.from: %w (model.from names a model directory with %s, a run directory, or a .nir file)", err, model.ArchFile)
	}
	return m, ts, nil
}

// sizes returns the number of inputs of m's first layer and of outputs of
// its last, passing over layers that take any size (Dropout).
func sizes(m *model.Model) (in, out int, err error) {
	found := false
	for _, l := range m.Layers {
		p, err := l.Payload()
		if err != nil {
			return 0, 0, err
		}
		takes, gives := p.Shapes()
		if takes == nil {
			continue
		}
		if !found {
			in, found = prod(takes), true
		}
		out = prod(takes)
		if gives != nil {
			out = prod(gives)
		}
	}
	if !found {
		return 0, 0, errors.New("the model has no layers of a known size")
	}
	return in, out, nil
}

// networkFrom builds the network of model.from for data of the given
// features and classes, with the model's weights: its input and output
// sizes must be the data's, and its last layer of the kind model.readout
// names.
func networkFrom(m ModelConfig, features, classes int) (*layers.Sequential, error) {
	md, ts, err := LoadFrom(m.From, m.DT)
	if err != nil {
		return nil, err
	}
	in, out, err := sizes(md)
	if err != nil {
		return nil, fmt.Errorf("model.from: %s: %w", m.From, err)
	}
	if in != features || out != classes {
		return nil, fmt.Errorf("model.from: %s: the model has %d inputs and %d outputs, but the data has %d features and %d classes",
			m.From, in, out, features, classes)
	}
	if last := md.Layers[len(md.Layers)-1]; last.Kind != m.Readout {
		return nil, &ConfigError{Key: "model.readout", Value: strconv.Quote(m.Readout),
			Msg: fmt.Sprintf("must be the kind of the last layer of model.from %s: layer %s is %q", m.From, last.Name, last.Kind)}
	}
	net, err := layers.Build(md, rand.New(rand.NewPCG(0, 0))) // every weight is then the model's
	if err != nil {
		return nil, fmt.Errorf("model.from: %s: %w", m.From, err)
	}
	ck := &Checkpoint{Path: m.From}
	for _, t := range ts {
		t.Name = ModelPrefix + t.Name
		ck.Tensors = append(ck.Tensors, t)
	}
	if err := ck.Restore(net.Params()); err != nil {
		return nil, err
	}
	return net, nil
}
