package train

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// changedConfig differs from DefaultConfig in every key.
func changedConfig() Config {
	return Config{
		Name: "other", Seed: 18446744073709551615, Out: "elsewhere/runs",
		Data: DataConfig{Dataset: "fashion-mnist", Dir: "/data/x y", Download: true, Steps: 7, Encoding: "latency",
			Gain: 0.25, TrainLimit: 100, TestLimit: 50, RandmanClasses: 3, RandmanUnits: 9, RandmanSteps: 11,
			RandmanDim: 2, RandmanSamples: 13, RandmanAlpha: 1.5, RandmanTestFrac: 0.3,
			FrameBins: 10, FrameSplit: "events", FrameWindow: 1000, FrameEvents: 500, Polarities: 1, Binary: true, Denoise: 10000, Downsample: 2,
			FlipLR: 0.5, TimeJitter: 100, CropTime: 200000, Cache: true, CacheDir: "/cache/x y", Bucket: 4,
			AudioBands: 64, AudioFilterbank: "gammatone", AudioFrameMS: 32, AudioHopMS: 8, AudioFMin: 20, AudioFMax: 3800,
			AudioEncoding: "delta", AudioThreshold: 0.05, AudioSteps: 50, AudioDT: 0.004, AudioClip: true, AudioVarLen: true},
		Model: ModelConfig{Hidden: []int{300, 100}, Neuron: "synaptic", Readout: "lif", Beta: 0.5, Alpha: 0.25,
			Threshold: 0.75, Reset: "zero", ResetGrad: true, Surrogate: "atan",
			SurrogateParams: map[string]float64{"alpha": 2}, LearnBeta: true, LearnThreshold: true, PerNeuron: true,
			Init: "kaiming_normal", Bias: false, From: "models/base.nir", DT: 1e-3,
			Layers: []LayerSpec{{Kind: "li", Name: "out", Config: map[string]any{"n": 10, "beta": 0.5}}}},
		Train: LoopConfig{Epochs: 9, BatchSize: 17, DropLast: true, Optimizer: "sgd", LR: 1e-7, Beta1: 0.5,
			Beta2: 0.75, Eps: 1e-12, Momentum: 0.9, Nesterov: true, WeightDecay: 5e-4, Schedule: "cosine",
			StepSize: 3, Gamma: 0.1, Warmup: 4, PlateauMetric: "test_accuracy", PlateauFactor: 0.5, PlateauPatience: 2,
			PlateauThreshold: 0.01, PlateauCooldown: 1, PlateauMinLR: 1e-6, Loss: "count_mse", CorrectRate: 0.7, IncorrectRate: 0.1,
			Predict: "spike_count", RateL1: 0.01, RateMin: 0.01, RateMax: 0.5, RateBoundWeight: 2,
			ClipGradNorm: 1.5, BPTT: "checkpoint", BPTTWindow: 6, Patience: 3, CheckpointEvery: 50, Threads: 2, LogEvery: 5, EvalBatchSize: 33},
	}
}

// leaves lists the dotted key of every non-struct field of a value of type
// t, walking the struct independently of Options.
func leaves(t reflect.Type, prefix string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		key := f.Tag.Get("yaml")
		if prefix != "" {
			key = prefix + "." + key
		}
		if f.Type.Kind() == reflect.Struct {
			out = append(out, leaves(f.Type, key)...)
		} else {
			out = append(out, key)
		}
	}
	return out
}

// TestChangedConfigCoversEveryKey keeps changedConfig honest: each leaf
// differs from the default.
func TestChangedConfigCoversEveryKey(t *testing.T) {
	d, c := DefaultConfig(), changedConfig()
	do, co := d.Options(), c.Options()
	for i := range do {
		if do[i].Default == co[i].Default {
			t.Errorf("changedConfig keeps the default of %s (%s)", do[i].Key, do[i].Default)
		}
	}
	// model.layers and model.from exclude each other and the keys of an
	// architecture, which changedConfig changes too: it is refused with
	// both, valid without model.layers, model.from and model.dt, and
	// refused with model.from naming the keys (TestModelFromErrors and
	// TestLayersErrors test more).
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "so does model.from") {
		t.Errorf("changedConfig: %v, want an error naming model.layers and model.from", err)
	}
	c.Model.Layers = nil
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "model.hidden, model.neuron, model.beta") {
		t.Errorf("changedConfig with model.from: %v, want an error naming model.hidden, model.neuron, model.beta, ...", err)
	}
	c.Model.From, c.Model.DT = "", 0
	if err := c.Validate(); err != nil {
		t.Errorf("changedConfig: %v", err)
	}
}

func TestConfigYAMLRoundTrip(t *testing.T) {
	for _, c := range []Config{DefaultConfig(), changedConfig()} {
		y := c.YAML()
		// onto the defaults, as a config file is read, and onto the other config
		for _, base := range []Config{DefaultConfig(), changedConfig()} {
			if err := base.ReadYAML(y, "config.yaml"); err != nil {
				t.Fatalf("ReadYAML of YAML():\n%s\n%v", y, err)
			}
			if !reflect.DeepEqual(base, c) {
				t.Errorf("round trip:\n%s\ngave\n%s", y, base.YAML())
			}
		}
	}
	// Every key is in the file.
	d := DefaultConfig()
	y := string(d.YAML())
	for _, k := range leaves(reflect.TypeFor[Config](), "") {
		last := k[strings.LastIndex(k, ".")+1:]
		if !strings.Contains(y, last+":") {
			t.Errorf("YAML() has no key %s:\n%s", k, y)
		}
	}
}

func TestConfigHash(t *testing.T) {
	a, b := DefaultConfig(), DefaultConfig()
	if a.Hash() != b.Hash() || len(a.Hash()) != 64 {
		t.Errorf("hashes %q and %q of equal configs", a.Hash(), b.Hash())
	}
	b.Train.LR = 3e-3
	if a.Hash() == b.Hash() {
		t.Error("configs that differ in train.lr have the same hash")
	}
}

func TestDefaultsValidate(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	tc := tinyConfig()
	if err := tc.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestExampleConfigs reads the configs of the examples folder (the sweep
// files, sweep-*.yaml, are the sweep package's).
func TestExampleConfigs(t *testing.T) {
	files, _ := filepath.Glob("../examples/*.yaml")
	n := 0
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "sweep-") {
			continue
		}
		n++
		c := DefaultConfig()
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.ReadYAML(b, f); err != nil {
			t.Errorf("%s: %v", f, err)
		} else if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if n < 2 {
		t.Errorf("examples: %v, want the two tutorial configs", files)
	}
}

func configErr(t *testing.T, err error) *ConfigError {
	t.Helper()
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T), want a *ConfigError", err, err)
	}
	return ce
}

func allowed(t reflect.Type) string {
	var ks []string
	for i := range t.NumField() {
		ks = append(ks, t.Field(i).Tag.Get("yaml"))
	}
	slices.Sort(ks)
	return "(allowed: " + strings.Join(ks, ", ") + ")"
}

func TestConfigUnknownKey(t *testing.T) {
	for _, tc := range []struct {
		doc, key string
		line     int
		allowed  string
	}{
		{"name: a\nnmae: b\n", "nmae", 2, allowed(reflect.TypeFor[Config]())},
		{"data:\n  dataset: mnist\n  datset: mnist\n", "data.datset", 3, allowed(reflect.TypeFor[DataConfig]())},
		{"model:\n  hidden: [10]\n\n  hiden: [10]\n", "model.hiden", 4, allowed(reflect.TypeFor[ModelConfig]())},
		{"train: {epochs: 2, epoch: 3}\n", "train.epoch", 1, allowed(reflect.TypeFor[LoopConfig]())},
	} {
		c := DefaultConfig()
		ce := configErr(t, c.ReadYAML([]byte(tc.doc), "run.yaml"))
		want := "config run.yaml:" + string(rune('0'+tc.line)) + ": " + tc.key + ": unknown key " + tc.allowed
		if ce.Error() != want {
			t.Errorf("%q:\n got %s\nwant %s", tc.doc, ce, want)
		}
	}
	// The exact text at the top level.
	c := DefaultConfig()
	err := c.ReadYAML([]byte("seed: 1\nepochs: 3\n"), "run.yaml")
	if want := "config run.yaml:2: epochs: unknown key (allowed: data, model, name, out, seed, train)"; err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func TestConfigWrongType(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"train:\n  epochs: two\n", `config f.yaml:2: train.epochs = "two": must be a whole number`},
		{"train: {epochs: 1.5}\n", `config f.yaml:1: train.epochs = "1.5": must be a whole number`},
		{"train:\n  epochs:\n", `config f.yaml:2: train.epochs = "": must be a whole number, not empty`},
		{"train: {lr: fast}\n", `config f.yaml:1: train.lr = "fast": must be a number`},
		{"train: {lr: [1]}\n", `config f.yaml:1: train.lr: must be a single value (a number)`},
		// YAML's infinities and NaN are numbers, but not finite ones.
		{"train:\n  lr: .inf\n", `config f.yaml:2: train.lr = ".inf": must be finite`},
		{"train: {clip_grad_norm: -.Inf}\n", `config f.yaml:1: train.clip_grad_norm = "-.Inf": must be finite`},
		{"data: {gain: +.INF}\n", `config f.yaml:1: data.gain = "+.INF": must be finite`},
		{"model:\n  beta: .nan\n", `config f.yaml:2: model.beta = ".nan": must be finite`},
		{"model: {surrogate_params: {slope: .NaN}}\n", `config f.yaml:1: model.surrogate_params.slope = ".NaN": must be finite`},
		{"seed: -1\n", `config f.yaml:1: seed = "-1": must be a whole number >= 0`},
		{"model: {bias: yes}\n", `config f.yaml:1: model.bias = "yes": must be true or false`},
		{"model:\n  hidden: 16\n", `config f.yaml:2: model.hidden = "16": must be a list, e.g. [1000]`},
		{"model:\n  hidden: [16, a]\n", `config f.yaml:2: model.hidden[1] = "a": must be a whole number`},
		{"model: {surrogate_params: 25}\n", `config f.yaml:1: model.surrogate_params = "25": must be a mapping, e.g. {slope: 25}`},
		{"model: {surrogate_params: {slope: x}}\n", `config f.yaml:1: model.surrogate_params.slope = "x": must be a number`},
		{"model: {surrogate_params: {slope: 1, slope: 2}}\n", `config f.yaml:1: model.surrogate_params.slope: key given twice`},
		{"data: 3\n", `config f.yaml:1: data = "3": must be a mapping of keys to values`},
		{"- 3\n", `config f.yaml:1: (document): must be a mapping of keys to values`},
		{"train:\n  epochs: 1\n  epochs: 2\n", `config f.yaml:3: train.epochs: key given twice`},
		{"name: [\n", `config f.yaml: (document): not valid YAML: line 1: did not find expected node content`},
	} {
		c := DefaultConfig()
		ce := configErr(t, c.ReadYAML([]byte(tc.doc), "f.yaml"))
		if ce.Error() != tc.want {
			t.Errorf("%q:\n got %s\nwant %s", tc.doc, ce, tc.want)
		}
	}
	// An empty file changes nothing.
	c := DefaultConfig()
	if err := c.ReadYAML(nil, "empty.yaml"); err != nil || !reflect.DeepEqual(c, DefaultConfig()) {
		t.Errorf("empty file: %v", err)
	}
}

func TestConfigOutOfRange(t *testing.T) {
	for _, tc := range []struct {
		key, value string
		want       string // the whole message, or "" to check the key only
	}{
		{"train.batch_size", "0", "config: train.batch_size = 0: must be >= 1"},
		{"model.beta", "1.5", "config: model.beta = 1.5: must be in [0, 1]"},
		{"train.lr", "0", "config: train.lr = 0: must be > 0"},
		{"train.optimizer", "rmsprop", `config: train.optimizer = "rmsprop": must be one of adam, adamw, sgd`},
		{"model.hidden", "16,0", "config: model.hidden[1] = 0: must be >= 1"},
		{"name", "a/b", `config: name = "a/b": must be non-empty and contain no path separator`},
		{"data.dataset", "cifar", ""},
		{"data.encoding", "delta", ""},
		{"data.steps", "0", ""},
		{"data.gain", "-1", ""},
		{"data.train_limit", "-1", ""},
		{"data.randman_classes", "1", ""},
		{"data.randman_test_frac", "1", ""},
		{"model.neuron", "izhikevich", ""},
		{"model.readout", "softmax", ""},
		{"model.alpha", "-0.1", ""},
		{"model.threshold", "0", ""},
		{"model.reset", "hard", ""},
		{"model.init", "zeros", ""},
		{"model.surrogate", "nonsense", ""},
		{"train.epochs", "0", ""},
		{"train.beta2", "1", ""},
		{"train.eps", "0", ""},
		{"train.momentum", "2", ""},
		{"train.weight_decay", "-1", ""},
		{"train.schedule", "linear", ""},
		{"train.step_size", "0", ""},
		{"train.gamma", "1.5", ""},
		{"train.warmup", "-1", ""},
		{"train.loss", "hinge", ""},
		{"train.predict", "vote", ""},
		{"train.rate_max", "2", ""},
		{"train.clip_grad_norm", "-1", ""},
		{"train.bptt", "online", `config: train.bptt = "online": must be one of full, checkpoint, truncated`},
		{"train.bptt_window", "-1", ""},
		{"train.patience", "-1", ""},
		{"train.threads", "-1", ""},
		{"train.log_every", "0", ""},
		{"train.eval_batch_size", "-1", ""},
	} {
		c := DefaultConfig()
		if err := c.Set(tc.key, tc.value); err != nil {
			t.Fatalf("Set(%s, %s): %v", tc.key, tc.value, err)
		}
		ce := configErr(t, c.Validate())
		if !strings.HasPrefix(ce.Key, tc.key) || ce.Value == "" || ce.Msg == "" {
			t.Errorf("%s = %s: %v, want an error naming the key, the value and what is allowed", tc.key, tc.value, ce)
		}
		if tc.want != "" && ce.Error() != tc.want {
			t.Errorf("%s = %s:\n got %s\nwant %s", tc.key, tc.value, ce, tc.want)
		}
	}
}

func TestConfigCombinations(t *testing.T) {
	for _, tc := range []struct {
		sets map[string]string
		key  string
	}{
		{map[string]string{"model.readout": "li", "train.predict": "spike_count"}, "train.predict"},
		{map[string]string{"model.readout": "li", "train.loss": "count_ce"}, "train.loss"},
		{map[string]string{"model.readout": "li", "train.loss": "count_mse"}, "train.loss"},
		{map[string]string{"train.rate_min": "0.5", "train.rate_max": "0.2"}, "train.rate_min"},
		{map[string]string{"model.surrogate_params": "slope=25,width=3"}, "model.surrogate"},
		{map[string]string{"train.bptt_window": "5"}, "train.bptt_window"},
		{map[string]string{"train.bptt": "truncated"}, "train.bptt_window"},
	} {
		c := DefaultConfig()
		for k, v := range tc.sets {
			if err := c.Set(k, v); err != nil {
				t.Fatal(err)
			}
		}
		if ce := configErr(t, c.Validate()); ce.Key != tc.key {
			t.Errorf("%v: error %v, want one about %s", tc.sets, ce, tc.key)
		}
	}
	// A spiking read-out allows every loss and prediction.
	c := DefaultConfig()
	c.Model.Readout = "lif"
	for _, loss := range []string{"membrane_ce", "count_ce", "max_membrane_ce", "count_mse"} {
		for _, pred := range []string{"spike_count", "membrane_sum", "membrane_max"} {
			c.Train.Loss, c.Train.Predict = loss, pred
			if err := c.Validate(); err != nil {
				t.Errorf("lif read-out, %s, %s: %v", loss, pred, err)
			}
		}
	}
}

func TestConfigSet(t *testing.T) {
	c := DefaultConfig()
	for _, kv := range [][2]string{
		{"model.hidden", "300, 100"},
		{"model.surrogate_params", "slope=10, beta=0.5"},
		{"model.bias", "false"},
		{"train.nesterov", "true"},
		{"seed", "18446744073709551615"},
		{"train.lr", "1e-4"},
		{"data.dir", ""},
	} {
		if err := c.Set(kv[0], kv[1]); err != nil {
			t.Fatalf("Set(%q, %q): %v", kv[0], kv[1], err)
		}
	}
	if !slices.Equal(c.Model.Hidden, []int{300, 100}) || !reflect.DeepEqual(c.Model.SurrogateParams, map[string]float64{"slope": 10, "beta": 0.5}) ||
		c.Model.Bias || !c.Train.Nesterov || c.Seed != 1<<64-1 || c.Train.LR != 1e-4 || c.Data.Dir != "" {
		t.Errorf("after Set: %+v", c)
	}
	// An empty list: no hidden layer.
	if err := c.Set("model.hidden", ""); err != nil || len(c.Model.Hidden) != 0 {
		t.Errorf("Set(model.hidden, \"\"): %v, %v", err, c.Model.Hidden)
	}
	for _, tc := range []struct{ key, value, want string }{
		{"train.epochs", "many", `config: train.epochs = "many": must be a whole number`},
		{"model.bias", "maybe", `config: model.bias = "maybe": must be true or false`},
		{"model.hidden", "10,x", `config: model.hidden = "10,x": must be a comma-separated list of whole numbers`},
		{"model.surrogate_params", "slope", `config: model.surrogate_params = "slope": must be a comma-separated list of name=number`},
		{"model.surrogate_params", "slope=1,slope=2", `config: model.surrogate_params = "slope=1,slope=2": slope given twice`},
		{"train.lr", "NaN", `config: train.lr = "NaN": must be finite`},
		{"train.lr", "-.inf", `config: train.lr = "-.inf": must be finite`},
		{"model.surrogate_params", "slope=.inf", `config: model.surrogate_params = "slope=.inf": slope must be finite`},
		{"train.epoch", "3", "config: train.epoch: unknown option " + allowed(reflect.TypeFor[LoopConfig]())},
		{"epochs", "3", "config: epochs: unknown option (allowed: data, model, name, out, seed, train)"},
		{"train", "3", "config: train: is a section; set one of its keys"},
		{"train.epochs.x", "3", "config: train.epochs.x: unknown option"},
	} {
		c := DefaultConfig()
		err := c.Set(tc.key, tc.value)
		if ce := configErr(t, err); ce.Error() != tc.want {
			t.Errorf("Set(%q, %q):\n got %s\nwant %s", tc.key, tc.value, ce, tc.want)
		}
		if !reflect.DeepEqual(c, DefaultConfig()) {
			t.Errorf("a failed Set(%q, %q) changed the config", tc.key, tc.value)
		}
	}
}

// TestOptions checks that Options lists every leaf key of Config in file
// order, each with help, and that setting each option to its listed value
// leaves the config as it was.
func TestOptions(t *testing.T) {
	for _, c := range []Config{DefaultConfig(), changedConfig()} {
		opts := c.Options()
		var keys []string
		for _, o := range opts {
			keys = append(keys, o.Key)
			if o.Help == "" || o.Type == "" {
				t.Errorf("option %s has no help or type", o.Key)
			}
			d := c
			d.Model.Hidden = slices.Clone(c.Model.Hidden)
			if err := d.Set(o.Key, o.Default); err != nil {
				t.Errorf("Set(%s, %q) of its listed value: %v", o.Key, o.Default, err)
			} else if !reflect.DeepEqual(c, d) {
				t.Errorf("Set(%s, %q) of its listed value changed the config", o.Key, o.Default)
			}
		}
		if want := leaves(reflect.TypeFor[Config](), ""); !slices.Equal(keys, want) {
			t.Errorf("Options keys\n%v\nwant\n%v", keys, want)
		}
	}
}

func FuzzReadYAML(f *testing.F) {
	d, c := DefaultConfig(), changedConfig()
	f.Add(d.YAML())
	f.Add(c.YAML())
	f.Add([]byte("train: {epochs: 2, lr: 1e-3}\nmodel:\n  hidden: [16, 8]\n"))
	f.Add([]byte("model: {surrogate_params: {slope: 1}}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := DefaultConfig()
		if err := c.ReadYAML(b, "fuzz.yaml"); err != nil {
			configErr(t, err)
			return
		}
		// What was read survives the round trip.
		d := DefaultConfig()
		if err := d.ReadYAML(c.YAML(), "again.yaml"); err != nil {
			t.Fatalf("YAML() of a config read from %q does not read back: %v", b, err)
		}
		if c.Hash() != d.Hash() {
			t.Fatalf("round trip of %q:\n%s\n%s", b, c.YAML(), d.YAML())
		}
	})
}
