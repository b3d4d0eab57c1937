package train

import (
	"encoding"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/optim"
	"github.com/spikegrad/spikegrad/safetensors"
)

// CheckpointVersion is the version of the checkpoint layout that
// SaveCheckpoint writes. It changes when the names or meanings of the
// tensors and metadata below change. Version 2 holds Fit's loop state as
// one value (MetaLoop) and the config or options of the run (MetaConfig,
// MetaSettings) where version 1 had a key per counter and the hash of the
// run's config.yaml. LoadCheckpoint reads both (their tensors are the
// same), and Run resumes both: a version-1 run's config is its
// config.yaml, provided the recorded hash is that file's.
const CheckpointVersion = 2

// Tensor name prefixes and metadata keys of a checkpoint. A checkpoint is a
// safetensors file of F32 tensors:
//
//   - "model.<param name>": a Param's values, with its shape;
//   - "optim.<param name>.<buffer>": an optimizer buffer of that Param, with
//     the Param's shape (buffer names as in PyTorch: "exp_avg",
//     "exp_avg_sq", "max_exp_avg_sq", "momentum_buffer");
//
// and its "__metadata__" holds strings:
//
//   - MetaVersion: CheckpointVersion in decimal, written by SaveCheckpoint;
//   - MetaOptimizer: the optimizer's algorithm, learning rate, and per-Param
//     step counts and buffer names, as JSON (see SetOptimizer);
//   - "rng.<name>": a random source's state, hexadecimal (see SetRNG);
//   - the state and provenance that Fit records: MetaLoop, MetaArchitecture,
//     and MetaConfig or MetaSettings.
const (
	ModelPrefix = "model."
	OptimPrefix = "optim."

	MetaVersion      = "spikegrad_checkpoint_version"
	MetaArchitecture = "architecture" // the model's architecture, JSON as in model/model.json
	MetaOptimizer    = "optim"        // optimizer state other than buffers, JSON
	MetaRNGPrefix    = "rng."         // followed by a source's name
)

// Checkpoint is everything a run needs to resume bit-identically: the
// weights and optimizer buffers as tensors, and the rest as metadata strings.
// See ModelPrefix for the layout.
type Checkpoint struct {
	// Path is the file the checkpoint was loaded from, used in error
	// messages; empty for one built in memory.
	Path    string
	Tensors []safetensors.Tensor
	Meta    map[string]string
}

// CheckpointFromParams returns a checkpoint holding a copy of each Param as
// the tensor "model.<Name>", and an empty Meta.
func CheckpointFromParams(params []*autograd.Param) *Checkpoint {
	c := &Checkpoint{Meta: map[string]string{}}
	for _, p := range params {
		c.Tensors = append(c.Tensors, safetensors.Tensor{Name: ModelPrefix + p.Name, Shape: slices.Clone(p.Shape()), Data: slices.Clone(p.Data)})
	}
	return c
}

// SaveCheckpoint writes c to path as a safetensors file, atomically
// (temporary file, sync, rename): after a crash, path holds either the previous checkpoint
// or this one. Meta is written with MetaVersion set to CheckpointVersion,
// whatever c.Meta holds under that key; c itself is not modified.
func SaveCheckpoint(path string, c *Checkpoint) error {
	meta := maps.Clone(c.Meta)
	if meta == nil {
		meta = map[string]string{}
	}
	meta[MetaVersion] = strconv.Itoa(CheckpointVersion)
	return safetensors.Save(path, c.Tensors, meta)
}

// LoadCheckpoint reads and validates the checkpoint at path. It returns a
// *safetensors.FormatError naming the file (as a "checkpoint file") that
// wraps safetensors.ErrTruncated for a file cut short (a copy interrupted by
// a crash), safetensors.ErrVersion for a safetensors file that is not a
// spikegrad checkpoint or is one of a version above CheckpointVersion, and
// safetensors.ErrMalformed for any other violation of the format.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("train: loading checkpoint: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("train: loading checkpoint: %w", err)
	}
	return readCheckpoint(fh, st.Size())
}

// readCheckpoint decodes a checkpoint of size bytes from r, named in
// messages by r's Name method if it has one (as safetensors.Read does).
func readCheckpoint(r io.ReaderAt, size int64) (*Checkpoint, error) {
	asCheckpoint := func(err error) error {
		var fe *safetensors.FormatError
		if errors.As(err, &fe) {
			fe.Format = "checkpoint"
		}
		return err
	}
	f, err := safetensors.Read(r, size)
	if err != nil {
		return nil, asCheckpoint(err)
	}
	v, ok := f.Meta[MetaVersion]
	if !ok {
		return nil, &safetensors.FormatError{File: f.Name, Format: "checkpoint", Err: safetensors.ErrVersion,
			Msg: fmt.Sprintf("not a spikegrad checkpoint: the metadata has no %q", MetaVersion)}
	}
	if n, err := strconv.Atoi(v); err != nil || n < 1 || n > CheckpointVersion {
		return nil, &safetensors.FormatError{File: f.Name, Format: "checkpoint", Err: safetensors.ErrVersion,
			Msg: fmt.Sprintf("checkpoint format version %q; this build reads versions 1 to %d", v, CheckpointVersion)}
	}
	tensors, err := f.Tensors()
	if err != nil {
		return nil, asCheckpoint(err)
	}
	return &Checkpoint{Path: f.Name, Tensors: tensors, Meta: f.Meta}, nil
}

// Tensor returns the named tensor (the full name, with its prefix).
func (c *Checkpoint) Tensor(name string) (safetensors.Tensor, bool) {
	for _, t := range c.Tensors {
		if t.Name == name {
			return t, true
		}
	}
	return safetensors.Tensor{}, false
}

// where names the checkpoint in messages.
func (c *Checkpoint) where() string {
	if c.Path == "" {
		return "checkpoint"
	}
	return "checkpoint " + c.Path
}

// MetaInt returns Meta[key] parsed as a decimal integer, with an error
// naming the checkpoint and the key if it is missing or not an integer.
func (c *Checkpoint) MetaInt(key string) (int64, error) {
	s, ok := c.Meta[key]
	if !ok {
		return 0, fmt.Errorf("train: %s: metadata %q missing", c.where(), key)
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("train: %s: metadata %q = %q is not an integer", c.where(), key, s)
	}
	return v, nil
}

// MetaFloat returns Meta[key] parsed as a finite decimal number, with an
// error naming the checkpoint and the key if it is missing or not one.
func (c *Checkpoint) MetaFloat(key string) (float64, error) {
	s, ok := c.Meta[key]
	if !ok {
		return 0, fmt.Errorf("train: %s: metadata %q missing", c.where(), key)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("train: %s: metadata %q = %q is not a finite number", c.where(), key, s)
	}
	return v, nil
}

// SetRNG stores the state of a random source (a *rand.PCG or *rand.ChaCha8
// of math/rand/v2) under the metadata key "rng.<name>", in hexadecimal.
func (c *Checkpoint) SetRNG(name string, src encoding.BinaryMarshaler) error {
	b, err := src.MarshalBinary()
	if err != nil {
		return fmt.Errorf("train: checkpoint: saving random source %q: %w", name, err)
	}
	if c.Meta == nil {
		c.Meta = map[string]string{}
	}
	c.Meta[MetaRNGPrefix+name] = hex.EncodeToString(b)
	return nil
}

// RestoreRNG sets the state of a random source from the metadata key
// "rng.<name>" written by SetRNG.
func (c *Checkpoint) RestoreRNG(name string, dst encoding.BinaryUnmarshaler) error {
	s, ok := c.Meta[MetaRNGPrefix+name]
	if !ok {
		return fmt.Errorf("train: %s: metadata %q missing", c.where(), MetaRNGPrefix+name)
	}
	b, err := hex.DecodeString(s)
	if err == nil {
		err = dst.UnmarshalBinary(b)
	}
	if err != nil {
		return fmt.Errorf("train: %s: random source %q: %w", c.where(), name, err)
	}
	return nil
}

// ShapeMismatch is a Param whose checkpoint tensor has another shape.
type ShapeMismatch struct {
	Name       string // the Param's name
	Param      []int  // the Param's shape
	Checkpoint []int  // the shape in the checkpoint
}

// RestoreError reports a checkpoint whose "model." tensors do not match the
// Params given to Restore: most likely a checkpoint of another architecture.
// Names are Param names, without the "model." prefix.
type RestoreError struct {
	File       string          // the checkpoint's Path
	Missing    []string        // Params without a tensor in the checkpoint
	Unexpected []string        // tensors without a Param
	Mismatched []ShapeMismatch // tensors whose shape differs from the Param's
	Duplicate  []string        // names given to more than one Param
}

// Error returns the message of the RestoreError.
func (e *RestoreError) Error() string {
	var b strings.Builder
	b.WriteString("train: ")
	if e.File != "" {
		b.WriteString("checkpoint " + e.File)
	} else {
		b.WriteString("checkpoint")
	}
	b.WriteString(" does not fit the model (a checkpoint of another architecture?); nothing restored:")
	list := func(what string, names []string) {
		if len(names) > 0 {
			fmt.Fprintf(&b, " %d %s (%s);", len(names), what, strings.Join(names, ", "))
		}
	}
	list("params missing from the checkpoint", e.Missing)
	list("tensors without a param", e.Unexpected)
	if len(e.Mismatched) > 0 {
		fmt.Fprintf(&b, " %d with another shape (", len(e.Mismatched))
		for i, m := range e.Mismatched {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s: param %v, checkpoint %v", m.Name, m.Param, m.Checkpoint)
		}
		b.WriteString(");")
	}
	list("param names used twice", e.Duplicate)
	return strings.TrimSuffix(b.String(), ";")
}

// Restore copies the "model.<Name>" tensors of c into the Params' Data,
// matching by Name. It is all-or-nothing: it returns a *RestoreError listing
// every missing, unexpected and mismatched tensor, and changes no Param,
// unless each Param has a tensor of its shape and each "model." tensor has
// a Param. Tensors of other prefixes (the optimizer's) are ignored.
func (c *Checkpoint) Restore(params []*autograd.Param) error {
	model := map[string]*safetensors.Tensor{}
	for i := range c.Tensors {
		t := &c.Tensors[i]
		name, ok := strings.CutPrefix(t.Name, ModelPrefix)
		if !ok {
			continue
		}
		if n, ok := safetensors.NumElements(t.Shape); !ok || n != len(t.Data) {
			return fmt.Errorf("train: %s: tensor %q: shape %v does not hold its %d values", c.where(), t.Name, t.Shape, len(t.Data))
		}
		model[name] = t
	}
	e := &RestoreError{File: c.Path}
	seen := map[string]bool{}
	for i, p := range params {
		if p == nil {
			return fmt.Errorf("train: %s: Restore: param %d is nil", c.where(), i)
		}
		if seen[p.Name] {
			e.Duplicate = append(e.Duplicate, p.Name)
			continue
		}
		seen[p.Name] = true
		t, ok := model[p.Name]
		switch {
		case !ok:
			e.Missing = append(e.Missing, p.Name)
		case !slices.Equal(t.Shape, p.Shape()):
			e.Mismatched = append(e.Mismatched, ShapeMismatch{Name: p.Name, Param: slices.Clone(p.Shape()), Checkpoint: slices.Clone(t.Shape)})
		}
	}
	for name := range model {
		if !seen[name] {
			e.Unexpected = append(e.Unexpected, name)
		}
	}
	slices.Sort(e.Unexpected)
	if len(e.Missing)+len(e.Unexpected)+len(e.Mismatched)+len(e.Duplicate) > 0 {
		return e
	}
	for _, p := range params {
		copy(p.Data, model[p.Name].Data)
	}
	return nil
}

// optimMeta is the JSON of the MetaOptimizer metadata.
type optimMeta struct {
	Algorithm string            `json:"algorithm"`
	LR        float64           `json:"lr"`
	Params    []optimParamEntry `json:"params"`
}

type optimParamEntry struct {
	Name    string   `json:"name"`
	Step    int64    `json:"step"`
	Buffers []string `json:"buffers"` // sorted
}

// SetOptimizer stores o's state in c: each buffer as the tensor
// "optim.<param>.<buffer>" with its Param's shape, and the algorithm, the
// learning rate and the per-Param step counts as JSON under MetaOptimizer,
// for example {"algorithm":"Adam","lr":0.001,"params":[{"name":"fc1.weight",
// "step":468,"buffers":["exp_avg","exp_avg_sq"]}]}. Numbers are written
// exactly (the shortest decimal that reads back to the same float64). It
// replaces any optimizer state c already holds.
func (c *Checkpoint) SetOptimizer(o optim.Optimizer) error {
	s := o.State()
	params := o.Params()
	if len(s.Params) != len(params) {
		return fmt.Errorf("train: checkpoint: %s state has %d params, the optimizer %d", s.Algorithm, len(s.Params), len(params))
	}
	c.Tensors = slices.DeleteFunc(c.Tensors, func(t safetensors.Tensor) bool { return strings.HasPrefix(t.Name, OptimPrefix) })
	m := optimMeta{Algorithm: s.Algorithm, LR: s.LR, Params: make([]optimParamEntry, len(s.Params))}
	for i, ps := range s.Params {
		names := slices.Sorted(maps.Keys(ps.Buffers))
		m.Params[i] = optimParamEntry{Name: ps.Name, Step: ps.Step, Buffers: names}
		for _, b := range names {
			if strings.Contains(b, ".") {
				return fmt.Errorf("train: checkpoint: optimizer buffer name %q contains a dot", b)
			}
			c.Tensors = append(c.Tensors, safetensors.Tensor{Name: OptimPrefix + ps.Name + "." + b,
				Shape: slices.Clone(params[i].Shape()), Data: slices.Clone(ps.Buffers[b])})
		}
	}
	js, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("train: checkpoint: %s state: %w", s.Algorithm, err)
	}
	if c.Meta == nil {
		c.Meta = map[string]string{}
	}
	c.Meta[MetaOptimizer] = string(js)
	return nil
}

// RestoreOptimizer sets o's state from what SetOptimizer stored. It returns
// an error naming the checkpoint, and leaves o unchanged, if the state is
// missing, malformed, or does not fit o (another algorithm, configuration
// or set of Params: see optim.Optimizer.SetState).
func (c *Checkpoint) RestoreOptimizer(o optim.Optimizer) error {
	js, ok := c.Meta[MetaOptimizer]
	if !ok {
		return fmt.Errorf("train: %s: metadata %q missing: no optimizer state", c.where(), MetaOptimizer)
	}
	var m optimMeta
	dec := json.NewDecoder(strings.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return fmt.Errorf("train: %s: metadata %q: %w", c.where(), MetaOptimizer, err)
	}
	index := map[string]int{}
	for i, t := range c.Tensors {
		if strings.HasPrefix(t.Name, OptimPrefix) {
			index[t.Name] = i
		}
	}
	s := optim.State{Algorithm: m.Algorithm, LR: m.LR, Params: make([]optim.ParamState, len(m.Params))}
	for i, e := range m.Params {
		ps := optim.ParamState{Name: e.Name, Step: e.Step, Buffers: make(map[string][]float32, len(e.Buffers))}
		for _, b := range e.Buffers {
			name := OptimPrefix + e.Name + "." + b
			j, ok := index[name]
			if !ok {
				return fmt.Errorf("train: %s: optimizer tensor %q missing", c.where(), name)
			}
			delete(index, name)
			ps.Buffers[b] = slices.Clone(c.Tensors[j].Data)
		}
		s.Params[i] = ps
	}
	if len(index) > 0 {
		return fmt.Errorf("train: %s: optimizer tensors not described by %q: %s", c.where(), MetaOptimizer,
			strings.Join(slices.Sorted(maps.Keys(index)), ", "))
	}
	if err := o.SetState(s); err != nil {
		return fmt.Errorf("train: %s: %w", c.where(), err)
	}
	return nil
}
