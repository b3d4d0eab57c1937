package train

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/spikegrad/spikegrad/datasets"
	"github.com/spikegrad/spikegrad/surrogate"
)

// Config is a training run: what data, what network, how to train it. It is
// read from YAML (ReadYAML) and every option can also be set by a flag
// named after its key (Set, "--train.epochs 3"). Zero values are not
// defaults: DefaultConfig holds the defaults and a YAML file or flags
// override them key by key.
type Config struct {
	Name  string      `yaml:"name" help:"name of the run; the run directory is <out>/<name>-<time>"`
	Seed  uint64      `yaml:"seed" help:"seed of every random choice: initial weights, shuffling, encoding"`
	Out   string      `yaml:"out" help:"folder that holds run directories"`
	Data  DataConfig  `yaml:"data"`
	Model ModelConfig `yaml:"model"`
	Train LoopConfig  `yaml:"train"`
}

// DataConfig selects and encodes the dataset.
type DataConfig struct {
	Dataset    string  `yaml:"dataset" help:"randman (synthetic, no download), mnist, fashion-mnist, an event-camera dataset: nmnist, dvsgesture, ncars, or an audio dataset: fsdd (spoken digits, WAV, turned into spikes by the audio_ keys), shd or ssc (Heidelberg spiking audio, HDF5)"`
	Dir        string  `yaml:"dir" help:"folder with the dataset's files; empty searches $SPIKEGRAD_DATA, the user cache and /usr/share/datasets"`
	Download   bool    `yaml:"download" help:"download a missing dataset from its official mirrors (checksums verified)"`
	Steps      int     `yaml:"steps" help:"time steps T per sample for encoded static images (randman has its own steps)"`
	Encoding   string  `yaml:"encoding" help:"static images as spikes: direct (the image as input current at every step), rate, latency"`
	Gain       float64 `yaml:"gain" help:"rate encoding: spike probability per step = gain * pixel (or * normalised log band energy with audio_encoding rate)"`
	TrainLimit int     `yaml:"train_limit" help:"use only the first N training samples (0: all)"`
	TestLimit  int     `yaml:"test_limit" help:"use only the first N test samples (0: all)"`

	RandmanClasses  int     `yaml:"randman_classes" help:"randman: number of classes"`
	RandmanUnits    int     `yaml:"randman_units" help:"randman: input units"`
	RandmanSteps    int     `yaml:"randman_steps" help:"randman: time steps per sample"`
	RandmanDim      int     `yaml:"randman_dim" help:"randman: dimension of each class manifold"`
	RandmanSamples  int     `yaml:"randman_samples" help:"randman: samples per class"`
	RandmanAlpha    float64 `yaml:"randman_alpha" help:"randman: smoothness of the manifolds"`
	RandmanTestFrac float64 `yaml:"randman_test_frac" help:"randman: fraction of the samples held out for testing"`

	FrameBins   int     `yaml:"frame_bins" help:"event datasets: cut each sample into this many frames (of equal duration or event count: frame_split), the last reaching the last event (one of frame_bins, frame_window, frame_events)"`
	FrameSplit  string  `yaml:"frame_split" help:"event datasets, with frame_bins: frames of equal duration (time; SpikingJelly's split_by \"time\") or of equal event counts (events; split_by \"number\")"`
	FrameWindow int     `yaml:"frame_window" help:"event datasets: frames of this many microseconds; each sample has its own number of frames (batched to the longest of each batch)"`
	FrameEvents int     `yaml:"frame_events" help:"event datasets: frames of this many events; each sample has its own number of frames"`
	Polarities  int     `yaml:"polarities" help:"event datasets: channels of a frame, 2 (OFF and ON events apart) or 1 (merged)"`
	Binary      bool    `yaml:"binary" help:"event datasets: a frame holds 1 where a pixel saw an event, instead of the count"`
	Denoise     int     `yaml:"denoise" help:"event datasets: drop events with no event at a neighbouring pixel in the preceding N microseconds (0: off)"`
	Downsample  int     `yaml:"downsample" help:"event datasets: divide the sensor's width and height by this factor"`
	FlipLR      float64 `yaml:"flip_lr" help:"event datasets, training set only: mirror a sample left-right with this probability"`
	TimeJitter  float64 `yaml:"time_jitter" help:"event datasets, training set only: add normal noise of this standard deviation (microseconds) to every event's time"`
	CropTime    int     `yaml:"crop_time" help:"event datasets, training set only: keep a random window of this many microseconds of each sample (0: off)"`
	Cache       bool    `yaml:"cache" help:"event datasets: keep the frames on disk after the first epoch (with augmentation only the test set's); fsdd: keep each recording's features, so that later runs do not decode the WAV files"`
	CacheDir    string  `yaml:"cache_dir" help:"folder of the frame cache (empty: the user cache folder, spikegrad/cache)"`
	Bucket      int     `yaml:"bucket" help:"samples of their own lengths: sort runs of bucket batches by length so that a batch holds similar lengths (0 or 1: off)"`

	AudioBands      int     `yaml:"audio_bands" help:"fsdd: bands of the filterbank"`
	AudioFilterbank string  `yaml:"audio_filterbank" help:"fsdd: mel (triangles on the HTK mel scale) or gammatone (fourth-order gammatone filters on Glasberg and Moore's ERB-rate scale, a cochlea model)"`
	AudioFrameMS    float64 `yaml:"audio_frame_ms" help:"fsdd: frame length of the filterbank, in milliseconds (Hann window)"`
	AudioHopMS      float64 `yaml:"audio_hop_ms" help:"fsdd: step between frames, in milliseconds: one time step"`
	AudioFMin       float64 `yaml:"audio_fmin" help:"fsdd: lowest frequency of the filterbank, in hertz"`
	AudioFMax       float64 `yaml:"audio_fmax" help:"fsdd: highest frequency of the filterbank, in hertz (0: half the sample rate)"`
	AudioEncoding   string  `yaml:"audio_encoding" help:"fsdd: band energies as spikes: crossing (threshold crossing, up and down channels per band), delta (change between frames, up and down), rate (Bernoulli, gain * level)"`
	AudioThreshold  float64 `yaml:"audio_threshold" help:"fsdd: level step of the crossing and delta codes, in units of each recording's log-energy range"`
	AudioSteps      int     `yaml:"audio_steps" help:"fsdd: frames per sample (longer recordings are cut); shd, ssc: time bins per sample"`
	AudioDT         float64 `yaml:"audio_dt" help:"shd, ssc: length of a time bin in seconds (spikes after audio_steps bins are dropped); 0 stretches each sample over audio_steps bins"`
	AudioClip       bool    `yaml:"audio_clip" help:"shd, ssc: a bin holds 1 for any number of spikes of a channel instead of their count"`
	AudioVarLen     bool    `yaml:"audio_varlen" help:"each sample runs its own steps (fsdd: its frames; shd, ssc: up to its last spike, with audio_dt > 0), batched to the longest of each batch instead of audio_steps"`
}

// ModelConfig describes a feed-forward spiking network: hidden layers of
// neurons and a read-out layer, or any network of the model package's layer
// kinds as a list of layers (Layers, model.layers: convolutional, pooling,
// recurrent, ...), or a saved model (From, model.from).
type ModelConfig struct {
	Hidden          []int              `yaml:"hidden" help:"sizes of the hidden layers, e.g. [1000]"`
	Neuron          string             `yaml:"neuron" help:"hidden neuron model: lif or synaptic"`
	Readout         string             `yaml:"readout" help:"output layer: lif (spiking) or li (leaky integrator, non-spiking)"`
	Beta            float64            `yaml:"beta" help:"membrane decay factor per step, in [0, 1]"`
	Alpha           float64            `yaml:"alpha" help:"synaptic current decay factor per step (synaptic neurons), in [0, 1]"`
	Threshold       float64            `yaml:"threshold" help:"firing threshold, > 0"`
	Reset           string             `yaml:"reset" help:"reset after a spike: subtract, zero or none"`
	ResetGrad       bool               `yaml:"reset_grad" help:"let the gradient flow through the reset (default: detached)"`
	Surrogate       string             `yaml:"surrogate" help:"surrogate derivative of the spike"`
	SurrogateParams map[string]float64 `yaml:"surrogate_params" help:"surrogate hyperparameters, e.g. slope=25"`
	LearnBeta       bool               `yaml:"learn_beta" help:"train the decay factors"`
	LearnThreshold  bool               `yaml:"learn_threshold" help:"train the thresholds"`
	PerNeuron       bool               `yaml:"per_neuron" help:"one decay factor and threshold per neuron instead of per layer"`
	Init            string             `yaml:"init" help:"weight initialisation: pytorch, xavier_uniform, kaiming_normal"`
	Bias            bool               `yaml:"bias" help:"linear layers have biases"`
	From            string             `yaml:"from" help:"start from a saved model instead of the keys above: a model directory (RUN/model), a run directory, or a NIR file (.nir, with model.dt)"`
	DT              float64            `yaml:"dt" help:"with a .nir model.from: the time step, in seconds, one model step stands for"`
	Layers          []LayerSpec        `yaml:"layers" help:"the network as a list of layers instead of the keys above : each {kind: KIND, name: NAME, ...} with the fields of the kind's payload in model.json, e.g. {kind: conv2d, name: c1, in: 1, out: 8, h: 28, w: 28, kernel: [3, 3]}; model.readout names the last layer's kind; as a flag, the same list in JSON or YAML flow style"`
}

// LoopConfig configures the optimisation.
type LoopConfig struct {
	Epochs           int     `yaml:"epochs" help:"passes over the training set"`
	BatchSize        int     `yaml:"batch_size" help:"samples per optimizer step"`
	DropLast         bool    `yaml:"drop_last" help:"skip the last, smaller batch of each epoch (snnTorch's tutorials do)"`
	Optimizer        string  `yaml:"optimizer" help:"adam, adamw or sgd"`
	LR               float64 `yaml:"lr" help:"learning rate"`
	Beta1            float64 `yaml:"beta1" help:"adam: decay of the first moment"`
	Beta2            float64 `yaml:"beta2" help:"adam: decay of the second moment"`
	Eps              float64 `yaml:"eps" help:"adam: added to the root of the second moment"`
	Momentum         float64 `yaml:"momentum" help:"sgd: momentum"`
	Nesterov         bool    `yaml:"nesterov" help:"sgd: Nesterov momentum"`
	WeightDecay      float64 `yaml:"weight_decay" help:"weight decay (decoupled for adamw)"`
	Schedule         string  `yaml:"schedule" help:"learning-rate schedule: constant, step or cosine (per step), plateau (ReduceLROnPlateau, per epoch)"`
	StepSize         int     `yaml:"step_size" help:"step schedule: steps between decays"`
	Gamma            float64 `yaml:"gamma" help:"step schedule: decay factor"`
	Warmup           int     `yaml:"warmup" help:"linear warm-up over this many steps from lr/warmup (0: none; not with plateau)"`
	PlateauMetric    string  `yaml:"plateau_metric" help:"plateau schedule: the test metric watched, test_loss (lower is better) or test_accuracy"`
	PlateauFactor    float64 `yaml:"plateau_factor" help:"plateau schedule: the learning rate is multiplied by this at a plateau, in [0, 1)"`
	PlateauPatience  int     `yaml:"plateau_patience" help:"plateau schedule: epochs without improvement before a reduction"`
	PlateauThreshold float64 `yaml:"plateau_threshold" help:"plateau schedule: least relative improvement that counts"`
	PlateauCooldown  int     `yaml:"plateau_cooldown" help:"plateau schedule: epochs after a reduction before epochs without improvement count again"`
	PlateauMinLR     float64 `yaml:"plateau_min_lr" help:"plateau schedule: the learning rate never goes below this"`
	Loss             string  `yaml:"loss" help:"membrane_ce (cross-entropy of the output membrane at every step, summed; snnTorch's tutorial), count_ce, max_membrane_ce, count_mse"`
	CorrectRate      float64 `yaml:"correct_rate" help:"count_mse: target firing rate of the correct output"`
	IncorrectRate    float64 `yaml:"incorrect_rate" help:"count_mse: target firing rate of the other outputs"`
	Predict          string  `yaml:"predict" help:"prediction: spike_count, membrane_sum or membrane_max (argmax over outputs)"`
	RateL1           float64 `yaml:"rate_l1" help:"weight of an L1 penalty on hidden firing rates"`
	RateMin          float64 `yaml:"rate_min" help:"lower bound of each hidden neuron's firing rate (penalised below; 0: off)"`
	RateMax          float64 `yaml:"rate_max" help:"upper bound of each hidden neuron's firing rate (penalised above; 0: off)"`
	RateBoundWeight  float64 `yaml:"rate_bound_weight" help:"weight of the rate-bound penalties"`
	ClipGradNorm     float64 `yaml:"clip_grad_norm" help:"clip the global gradient norm to this (0: off)"`
	BPTT             string  `yaml:"bptt" help:"backpropagation through time: full; checkpoint (windows of bptt_window steps recomputed in the backward pass: the same gradients, memory growing as sqrt(T), one more forward pass); truncated (no gradient across windows of bptt_window steps)"`
	BPTTWindow       int     `yaml:"bptt_window" help:"time steps per window of train.bptt checkpoint or truncated (0 with checkpoint: ceil(sqrt(T)))"`
	Patience         int     `yaml:"patience" help:"early stopping: stop after this many epochs without a better test accuracy (0: off)"`
	CheckpointEvery  int     `yaml:"checkpoint_every" help:"also save the last checkpoint every N steps inside an epoch (0: at epoch ends only)"`
	Threads          int     `yaml:"threads" help:"threads of the kernels (0: all cores)"`
	LogEvery         int     `yaml:"log_every" help:"record the training loss every N steps"`
	EvalBatchSize    int     `yaml:"eval_batch_size" help:"samples per batch when evaluating (0: batch_size); larger batches need more memory"`
}

// evalBatch is the evaluation batch size: EvalBatchSize, or BatchSize when 0.
func (l LoopConfig) evalBatch() int {
	if l.EvalBatchSize > 0 {
		return l.EvalBatchSize
	}
	return l.BatchSize
}

// DefaultConfig returns the defaults: the synthetic Randman task (Zenke and
// Vogels 2021), which needs no download, with a 100-128-10 network of LIF
// neurons and a non-spiking leaky-integrator read-out whose maximum membrane
// over time is the class score (SpyTorch's recipe for this task), trained by
// Adam at 2e-3.
func DefaultConfig() Config {
	rm := datasets.DefaultRandmanConfig()
	return Config{
		Name: "run", Seed: 0, Out: "runs",
		Data: DataConfig{Dataset: "randman", Steps: 25, Encoding: "direct", Gain: 1,
			AudioBands: 40, AudioFilterbank: "mel", AudioFrameMS: 25, AudioHopMS: 10, AudioEncoding: "crossing", AudioThreshold: 0.1,
			AudioSteps: 100, AudioDT: 0.01,
			RandmanClasses: rm.Classes, RandmanUnits: rm.Units, RandmanSteps: rm.Steps, RandmanDim: rm.ManifoldDim,
			RandmanSamples: rm.SamplesPerClass, RandmanAlpha: rm.Alpha, RandmanTestFrac: 0.2,
			FrameSplit: "time", Polarities: 2, Downsample: 1},
		Model: ModelConfig{Hidden: []int{128}, Neuron: "lif", Readout: "li", Beta: 0.95, Alpha: 0.9,
			Threshold: 1, Reset: "subtract", Surrogate: "fast_sigmoid", SurrogateParams: map[string]float64{"slope": 25},
			Init: "pytorch", Bias: true},
		Train: LoopConfig{Epochs: 5, BatchSize: 128, Optimizer: "adam", LR: 2e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8,
			Schedule: "constant", StepSize: 1000, Gamma: 0.5,
			PlateauMetric: "test_loss", PlateauFactor: 0.1, PlateauPatience: 10, PlateauThreshold: 1e-4, // PyTorch's
			Loss: "max_membrane_ce", CorrectRate: 0.8, IncorrectRate: 0.2,
			Predict: "membrane_max", RateBoundWeight: 1, BPTT: "full", LogEvery: 10, EvalBatchSize: 0},
	}
}

// ConfigError is a config value that cannot be used: it names the key (as
// in the YAML file, dotted), the value and what is allowed.
type ConfigError struct {
	File  string // the YAML file, or "" for flags and defaults
	Line  int    // 1-based line in File, or 0
	Key   string // e.g. "train.batch_size"
	Value string
	Msg   string // e.g. "must be >= 1"
}

// Error returns the message of the ConfigError.
func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("config")
	if e.File != "" {
		b.WriteString(" " + e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Key)
	if e.Value != "" {
		fmt.Fprintf(&b, " = %s", e.Value)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// ReadYAML applies the YAML document b (from file, for messages) on top
// of c. An unknown key, a value of the wrong type or a duplicate key is a
// *ConfigError; range checks are Validate's.
func (c *Config) ReadYAML(b []byte, file string) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return &ConfigError{File: file, Key: "(document)", Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil // empty file
	}
	return decodeNode(doc.Content[0], reflect.ValueOf(c).Elem(), "", file)
}

func decodeNode(n *yaml.Node, v reflect.Value, path, file string) error {
	errAt := func(n *yaml.Node, msg string) error {
		return &ConfigError{File: file, Line: n.Line, Key: keyName(path), Value: nodeText(n), Msg: msg}
	}
	if v.Type() == layerSpecType {
		return decodeLayerSpec(n, v, path, file)
	}
	switch v.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return errAt(n, "must be a mapping of keys to values")
		}
		fields := structKeys(v.Type())
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			key := joinKey(path, k.Value)
			idx, ok := fields[k.Value]
			if !ok {
				return &ConfigError{File: file, Line: k.Line, Key: key, Msg: "unknown key (allowed: " + strings.Join(sortedKeys(fields), ", ") + ")"}
			}
			if seen[k.Value] {
				return &ConfigError{File: file, Line: k.Line, Key: key, Msg: "key given twice"}
			}
			seen[k.Value] = true
			if err := decodeNode(val, v.Field(idx), key, file); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return errAt(n, "must be a mapping, e.g. {slope: 25}")
		}
		m := reflect.MakeMap(v.Type())
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if m.MapIndex(reflect.ValueOf(k.Value)).IsValid() {
				return &ConfigError{File: file, Line: k.Line, Key: joinKey(path, k.Value), Msg: "key given twice"}
			}
			ev := reflect.New(v.Type().Elem()).Elem()
			if err := decodeNode(val, ev, joinKey(path, k.Value), file); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(k.Value), ev)
		}
		v.Set(m)
		return nil
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return errAt(n, "must be a list, e.g. [1000]")
		}
		if len(n.Content) == 0 && v.Type() == reflect.TypeOf([]LayerSpec(nil)) {
			v.SetZero() // "layers: []" is no list, as in the defaults
			return nil
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, e := range n.Content {
			if err := decodeNode(e, s.Index(i), fmt.Sprintf("%s[%d]", path, i), file); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return errAt(n, "must be a single value ("+typeName(v.Type())+")")
	}
	if err := setScalar(v, n.Value, n.Tag == "!!null"); err != nil {
		return errAt(n, err.Error())
	}
	return nil
}

// setScalar parses s into the scalar v.
func setScalar(v reflect.Value, s string, null bool) error {
	if null {
		return fmt.Errorf("must be %s, not empty", typeName(v.Type()))
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return errors.New("must be true or false")
		}
		v.SetBool(b)
	case reflect.Int:
		i, err := strconv.Atoi(s)
		if err != nil {
			return errors.New("must be a whole number")
		}
		v.SetInt(int64(i))
	case reflect.Uint64:
		u, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return errors.New("must be a whole number >= 0")
		}
		v.SetUint(u)
	case reflect.Float64:
		f, err := parseFloat(s)
		if err != nil {
			return errors.New("must be a number")
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return errors.New("must be finite")
		}
		v.SetFloat(f)
	default:
		return fmt.Errorf("unsupported type %s", v.Type())
	}
	return nil
}

// parseFloat reads a number as strconv.ParseFloat does, and also YAML's
// infinities and NaN (.inf, -.inf, .nan, in any case), which are numbers
// that the config refuses as not finite rather than as not numbers.
func parseFloat(s string) (float64, error) {
	switch strings.ToLower(s) {
	case ".inf", "+.inf":
		return math.Inf(1), nil
	case "-.inf":
		return math.Inf(-1), nil
	case ".nan":
		return math.NaN(), nil
	}
	return strconv.ParseFloat(s, 64)
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Uint64:
		return "a whole number"
	case reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "a list"
	case reflect.Map:
		return "a mapping"
	}
	return t.String()
}

func nodeText(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return strconv.Quote(n.Value)
	}
	return ""
}

func keyName(p string) string {
	if p == "" {
		return "(document)"
	}
	return p
}

func joinKey(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func structKeys(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		if tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]; tag != "" && tag != "-" {
			m[tag] = i
		}
	}
	return m
}

func sortedKeys(m map[string]int) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Option is one config key, for flags and help.
type Option struct {
	Key     string // dotted, e.g. "train.epochs"
	Help    string
	Default string // the value in the config Options was called on
	Type    string // "string", "int", "float", "bool", "list of int", "key=value list"
}

// Options lists every key of the config with its help and current value, in
// file order.
func (c *Config) Options() []Option {
	var out []Option
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			key := joinKey(path, strings.Split(f.Tag.Get("yaml"), ",")[0])
			fv := v.Field(i)
			if fv.Kind() == reflect.Struct {
				walk(fv, key)
				continue
			}
			out = append(out, Option{Key: key, Help: f.Tag.Get("help"), Default: formatValue(fv), Type: flagType(fv)})
		}
	}
	walk(reflect.ValueOf(c).Elem(), "")
	return out
}

func flagType(v reflect.Value) string {
	if v.Type() == reflect.TypeOf([]LayerSpec(nil)) {
		return "list of layers"
	}
	switch v.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Uint64:
		return "int"
	case reflect.Float64:
		return "float"
	case reflect.Slice:
		return "list of int"
	case reflect.Map:
		return "key=value,..."
	}
	return v.Type().String()
}

func formatValue(v reflect.Value) string {
	if specs, ok := v.Interface().([]LayerSpec); ok {
		return formatLayers(specs)
	}
	switch v.Kind() {
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = formatValue(v.Index(i))
		}
		return strings.Join(parts, ",")
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k.String() + "=" + formatValue(v.MapIndex(k))
		}
		return strings.Join(parts, ",")
	case reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	}
	return fmt.Sprint(v.Interface())
}

// Set sets the option key (dotted, as in the YAML file) from its text form:
// lists as "1000,500", maps as "slope=25,b=0.5". Errors are *ConfigError.
func (c *Config) Set(key, value string) error {
	v := reflect.ValueOf(c).Elem()
	parts := strings.Split(key, ".")
	path := ""
	for _, p := range parts {
		if v.Kind() != reflect.Struct {
			return &ConfigError{Key: key, Msg: "unknown option"}
		}
		keys := structKeys(v.Type())
		idx, ok := keys[p]
		if !ok {
			return &ConfigError{Key: joinKey(path, p), Msg: "unknown option (allowed: " + strings.Join(sortedKeys(keys), ", ") + ")"}
		}
		path = joinKey(path, p)
		v = v.Field(idx)
	}
	errAt := func(msg string) error { return &ConfigError{Key: key, Value: strconv.Quote(value), Msg: msg} }
	switch v.Kind() {
	case reflect.Struct:
		return &ConfigError{Key: key, Msg: "is a section; set one of its keys"}
	case reflect.Slice:
		if v.Type() == reflect.TypeOf([]LayerSpec(nil)) {
			return setLayers(v, key, value)
		}
		var s []int
		for _, f := range strings.Split(value, ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			i, err := strconv.Atoi(f)
			if err != nil {
				return errAt("must be a comma-separated list of whole numbers")
			}
			s = append(s, i)
		}
		v.Set(reflect.ValueOf(s))
	case reflect.Map:
		m := map[string]float64{}
		for _, kv := range strings.Split(value, ",") {
			kv = strings.TrimSpace(kv)
			if kv == "" {
				continue
			}
			k, val, ok := strings.Cut(kv, "=")
			f, err := parseFloat(strings.TrimSpace(val))
			if !ok || err != nil {
				return errAt("must be a comma-separated list of name=number")
			}
			k = strings.TrimSpace(k)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return errAt(k + " must be finite")
			}
			if _, dup := m[k]; dup {
				return errAt(k + " given twice")
			}
			m[k] = f
		}
		v.Set(reflect.ValueOf(m))
	default:
		if err := setScalar(v, value, false); err != nil {
			return errAt(err.Error())
		}
	}
	return nil
}

// Validate checks every value's range and the combinations of values, and
// returns the first problem as a *ConfigError naming the key.
func (c *Config) Validate() error {
	if c.Name == "" || strings.ContainsAny(c.Name, `/\`) {
		return bad("name", strconv.Quote(c.Name), "must be non-empty and contain no path separator")
	}
	if c.Out == "" {
		return bad("out", `""`, "must name a folder")
	}
	return firstError(c.Data.validate(), c.Model.validate(), c.Train.validate(), c.validateCombinations(), c.validateDelays())
}

// validate checks the range of every key of the data section.
func (d *DataConfig) validate() error {
	return firstError(
		oneOf("data.dataset", d.Dataset, "randman", "mnist", "fashion-mnist", "nmnist", "dvsgesture", "ncars", "fsdd", "shd", "ssc"),
		oneOf("data.encoding", d.Encoding, "direct", "rate", "latency"),
		atLeast("data.steps", d.Steps, 1),
		nonNeg("data.gain", d.Gain),
		atLeast("data.train_limit", d.TrainLimit, 0),
		atLeast("data.test_limit", d.TestLimit, 0),
		atLeast("data.randman_classes", d.RandmanClasses, 2),
		atLeast("data.randman_units", d.RandmanUnits, 1),
		atLeast("data.randman_steps", d.RandmanSteps, 1),
		atLeast("data.randman_dim", d.RandmanDim, 1),
		atLeast("data.randman_samples", d.RandmanSamples, 2),
		positive("data.randman_alpha", d.RandmanAlpha),
		inRange("data.randman_test_frac", d.RandmanTestFrac, 0.01, 0.99),
		atLeast("data.audio_bands", d.AudioBands, 1),
		positive("data.audio_frame_ms", d.AudioFrameMS),
		positive("data.audio_hop_ms", d.AudioHopMS),
		nonNeg("data.audio_fmin", d.AudioFMin),
		nonNeg("data.audio_fmax", d.AudioFMax),
		oneOf("data.audio_filterbank", d.AudioFilterbank, "mel", "gammatone"),
		oneOf("data.audio_encoding", d.AudioEncoding, "crossing", "delta", "rate"),
		positive("data.audio_threshold", d.AudioThreshold),
		atLeast("data.audio_steps", d.AudioSteps, 1),
		nonNeg("data.audio_dt", d.AudioDT),
		d.validateAudio(),
		d.validateEvents(),
	)
}

// validateAudio checks the combinations of the audio keys.
func (d *DataConfig) validateAudio() error {
	switch {
	case d.Dataset == "fsdd" && d.AudioFMax > float64(datasets.FSDDRate)/2:
		return bad("data.audio_fmax", d.AudioFMax, fmt.Sprintf("must not exceed half FSDD's sample rate, %d Hz", datasets.FSDDRate/2))
	case d.AudioFMax > 0 && d.AudioFMin >= d.AudioFMax:
		return bad("data.audio_fmin", d.AudioFMin, fmt.Sprintf("must be below data.audio_fmax = %g", d.AudioFMax))
	case d.Dataset == "fsdd" && d.AudioFrameMS < d.AudioHopMS:
		return bad("data.audio_frame_ms", d.AudioFrameMS, fmt.Sprintf("must be at least data.audio_hop_ms = %g (frames would skip samples)", d.AudioHopMS))
	case (d.Dataset == "shd" || d.Dataset == "ssc") && d.AudioVarLen && d.AudioDT == 0:
		return bad("data.audio_varlen", true, "needs data.audio_dt > 0: with audio_dt 0 every sample is stretched over audio_steps bins")
	case (d.Dataset == "shd" || d.Dataset == "ssc") && d.Cache:
		return bad("data.cache", true, d.Dataset+"'s spikes are read once per run and binned as each batch is filled (tens of thousands of samples per second): there is nothing to cache")
	case d.Dataset == "fsdd" && d.AudioEncoding == "rate" && !(d.Gain > 0):
		return bad("data.gain", d.Gain, "must be > 0 with data.audio_encoding rate")
	}
	return nil
}

// validate checks the range of every key of the model section, and that the
// surrogate with its parameters exists.
func (m *ModelConfig) validate() error {
	if err := m.validateLayers(); err != nil {
		return err
	}
	if err := m.validateFrom(); err != nil {
		return err
	}
	if err := firstError(
		oneOf("model.neuron", m.Neuron, "lif", "synaptic"),
		oneOf("model.readout", m.Readout, "lif", "li"),
		inRange("model.beta", m.Beta, 0, 1),
		inRange("model.alpha", m.Alpha, 0, 1),
		positive("model.threshold", m.Threshold),
		oneOf("model.reset", m.Reset, "subtract", "zero", "none"),
		oneOf("model.init", m.Init, "pytorch", "xavier_uniform", "kaiming_normal"),
	); err != nil {
		return err
	}
	for i, h := range m.Hidden {
		if h < 1 {
			return bad(fmt.Sprintf("model.hidden[%d]", i), h, "must be >= 1")
		}
	}
	if _, err := surrogate.New(m.Surrogate, m.SurrogateParams); err != nil {
		return bad("model.surrogate", strconv.Quote(m.Surrogate), strings.TrimPrefix(strings.TrimPrefix(err.Error(), "surrogate: "), m.Surrogate+": "))
	}
	return nil
}

// validate checks the range of every key of the train section.
func (l *LoopConfig) validate() error {
	return firstError(
		atLeast("train.epochs", l.Epochs, 1),
		atLeast("train.batch_size", l.BatchSize, 1),
		oneOf("train.optimizer", l.Optimizer, "adam", "adamw", "sgd"),
		positive("train.lr", l.LR),
		inRange("train.beta1", l.Beta1, 0, 0.999999),
		inRange("train.beta2", l.Beta2, 0, 0.999999),
		positive("train.eps", l.Eps),
		inRange("train.momentum", l.Momentum, 0, 1),
		nonNeg("train.weight_decay", l.WeightDecay),
		oneOf("train.schedule", l.Schedule, "constant", "step", "cosine", "plateau"),
		atLeast("train.step_size", l.StepSize, 1),
		inRange("train.gamma", l.Gamma, 0, 1),
		atLeast("train.warmup", l.Warmup, 0),
		oneOf("train.plateau_metric", l.PlateauMetric, "test_loss", "test_accuracy"),
		below1("train.plateau_factor", l.PlateauFactor),
		atLeast("train.plateau_patience", l.PlateauPatience, 0),
		nonNeg("train.plateau_threshold", l.PlateauThreshold),
		atLeast("train.plateau_cooldown", l.PlateauCooldown, 0),
		nonNeg("train.plateau_min_lr", l.PlateauMinLR),
		oneOf("train.loss", l.Loss, "membrane_ce", "count_ce", "max_membrane_ce", "count_mse"),
		inRange("train.correct_rate", l.CorrectRate, 0, 1),
		inRange("train.incorrect_rate", l.IncorrectRate, 0, 1),
		oneOf("train.predict", l.Predict, "spike_count", "membrane_sum", "membrane_max"),
		nonNeg("train.rate_l1", l.RateL1),
		inRange("train.rate_min", l.RateMin, 0, 1),
		inRange("train.rate_max", l.RateMax, 0, 1),
		nonNeg("train.rate_bound_weight", l.RateBoundWeight),
		nonNeg("train.clip_grad_norm", l.ClipGradNorm),
		oneOf("train.bptt", l.BPTT, "full", "checkpoint", "truncated"),
		atLeast("train.bptt_window", l.BPTTWindow, 0),
		atLeast("train.patience", l.Patience, 0),
		atLeast("train.checkpoint_every", l.CheckpointEvery, 0),
		atLeast("train.threads", l.Threads, 0),
		atLeast("train.log_every", l.LogEvery, 1),
		atLeast("train.eval_batch_size", l.EvalBatchSize, 0),
	)
}

// validateCombinations checks the values that depend on each other: a
// read-out's loss and prediction, the order of the rate bounds, and a
// warm-up with a plateau schedule.
func (c *Config) validateCombinations() error {
	m, l := &c.Model, &c.Train
	if l.Schedule == "plateau" && l.Warmup > 0 {
		return bad("train.warmup", l.Warmup, "must be 0 with train.schedule plateau, which sets the learning rate per epoch")
	}
	if m.Readout == "li" && l.Predict == "spike_count" {
		return bad("train.predict", `"spike_count"`, "a non-spiking li read-out has no spikes: use membrane_sum or membrane_max")
	}
	if m.Readout == "li" && (l.Loss == "count_ce" || l.Loss == "count_mse") {
		return bad("train.loss", strconv.Quote(l.Loss), "a non-spiking li read-out has no spike counts: use membrane_ce or max_membrane_ce")
	}
	if l.BPTT == "full" && l.BPTTWindow != 0 {
		return bad("train.bptt_window", l.BPTTWindow, "must be 0 with train.bptt full (windows are for checkpoint and truncated)")
	}
	if l.BPTT == "truncated" && l.BPTTWindow == 0 {
		return bad("train.bptt_window", l.BPTTWindow, "train.bptt truncated needs the window's length in time steps, at least 1")
	}
	if l.RateMax > 0 && l.RateMin > l.RateMax {
		return bad("train.rate_min", l.RateMin, fmt.Sprintf("must not exceed train.rate_max = %g", l.RateMax))
	}
	return nil
}

// firstError returns the first non-nil error of errs.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// bad is the *ConfigError of a value out of range.
func bad(key string, value any, msg string) error {
	return &ConfigError{Key: key, Value: fmt.Sprint(value), Msg: msg}
}

func oneOf(key, v string, allowed ...string) error {
	if !slices.Contains(allowed, v) {
		return bad(key, strconv.Quote(v), "must be one of "+strings.Join(allowed, ", "))
	}
	return nil
}

func atLeast(key string, v, lo int) error {
	if v < lo {
		return bad(key, v, fmt.Sprintf("must be >= %d", lo))
	}
	return nil
}

func inRange(key string, v, lo, hi float64) error {
	if !(v >= lo && v <= hi) {
		return bad(key, v, fmt.Sprintf("must be in [%g, %g]", lo, hi))
	}
	return nil
}

// below1 requires v in [0, 1).
func below1(key string, v float64) error {
	if !(v >= 0 && v < 1) {
		return bad(key, v, "must be in [0, 1)")
	}
	return nil
}

func positive(key string, v float64) error {
	if !(v > 0) {
		return bad(key, v, "must be > 0")
	}
	return nil
}

func nonNeg(key string, v float64) error {
	if !(v >= 0) {
		return bad(key, v, "must be >= 0")
	}
	return nil
}

// YAML renders the config as a YAML document with every key: the resolved
// config.yaml of a run directory.
func (c *Config) YAML() []byte {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		panic(err) // a Config always encodes
	}
	enc.Close()
	return b.Bytes()
}

// Hash is the SHA-256 of the resolved YAML, hexadecimal: two configs with
// the same hash describe the same run. (Checkpoints of version 1 recorded
// it; version 2 records the YAML itself, MetaConfig.)
func (c *Config) Hash() string {
	h := sha256.Sum256(c.YAML())
	return hex.EncodeToString(h[:])
}
