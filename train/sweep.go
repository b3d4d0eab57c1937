package train

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/spikegrad/spikegrad/runs"
)

// A sweep file is YAML:
//
//	name: lr-beta
//	base: {train: {epochs: 2}}            # config keys as in spikegrad train; or
//	base_config: run.yaml                 # a config file, relative to the sweep file
//	metric: {name: accuracy, split: test, goal: max}
//	strategy: {name: random, trials: 16, seed: 0}
//	parameters:
//	  train.lr: {log_uniform: [1e-4, 1e-2]}
//	  model.beta: {values: [0.9, 0.95, 0.99]}
//	  model.surrogate_params.slope: {range: [5, 25], step: 10}
//	  train.batch_size: {range: [64, 256], step: 64}
//	  train.weight_decay: {uniform: [0, 1e-3]}
//	resources: {workers: 0, memory_mb: 0, trial_memory_mb: 0, threads_per_trial: 1}
//
// A parameter is any config key that spikegrad train accepts (the keys of
// Config.Options), or one entry of a map-valued key such as
// model.surrogate_params.slope.

// SweepMetric is the metric that ranks trials: a record of metrics.jsonl
// (split and name) and whether larger or smaller is better.
type SweepMetric struct {
	Name  string `yaml:"name" help:"metric name in metrics.jsonl: accuracy, loss, ..."`
	Split string `yaml:"split" help:"train or test"`
	Goal  string `yaml:"goal" help:"max or min"`
}

// String returns the metric as split/name.
func (m SweepMetric) String() string { return m.Split + "/" + m.Name }

// better reports whether a ranks before b under the goal; NaN ranks last.
func (m SweepMetric) better(a, b float64) bool {
	switch {
	case math.IsNaN(a):
		return false
	case math.IsNaN(b):
		return true
	case m.Goal == "min":
		return a < b
	}
	return a > b
}

// ParseSweepMetric reads a metric written as [split/]name[:max|min]; the
// split defaults to test and the goal to min for names containing "loss"
// and max otherwise.
func ParseSweepMetric(s string) (SweepMetric, error) {
	m := SweepMetric{Split: runs.SplitTest}
	s, goal, hasGoal := strings.Cut(s, ":")
	if split, name, ok := strings.Cut(s, "/"); ok && (split == runs.SplitTrain || split == runs.SplitTest) {
		m.Split, s = split, name
	}
	m.Name = s
	m.Goal = defaultGoal(s)
	if hasGoal {
		m.Goal = goal
	}
	if m.Name == "" || (m.Goal != "max" && m.Goal != "min") {
		return m, fmt.Errorf("sweep: metric %q: want [train/|test/]name[:max|min], e.g. test/loss:min", s)
	}
	return m, nil
}

func defaultGoal(name string) string {
	if strings.Contains(name, "loss") {
		return "min"
	}
	return "max"
}

// SweepStrategy is the search strategy of a sweep.
type SweepStrategy struct {
	// Name is grid (every combination of the parameters' values), random
	// (Trials samples, seeded) or halving (successive halving over Trials
	// samples, or over the grid when Trials is 0).
	Name   string `yaml:"name" help:"grid, random or halving"`
	Trials int    `yaml:"trials" help:"random and halving: number of trials (halving: 0 runs the grid)"`
	Seed   uint64 `yaml:"seed" help:"random and halving: seed of the samples"`
	// MinEpochs and MaxEpochs are the first and last rung of successive
	// halving; the rungs between are MinEpochs·Eta^k, and each rung keeps
	// the best 1/Eta of the trials that reached it.
	MinEpochs int `yaml:"min_epochs" help:"halving: epochs of the first rung"`
	MaxEpochs int `yaml:"max_epochs" help:"halving: epochs of the last rung"`
	Eta       int `yaml:"eta" help:"halving: each rung keeps the best 1/eta and multiplies the epochs by eta"`
}

// SweepResources bounds the parallel trials of a sweep.
type SweepResources struct {
	Workers         int         `yaml:"workers" help:"trials run at once (0: the number of cores)"`
	MemoryMB        int         `yaml:"memory_mb" help:"memory budget of all trials in MiB (0: 80% of MemAvailable)"`
	TrialMemoryMB   int         `yaml:"trial_memory_mb" help:"memory of one trial in MiB (0: estimated from the config, then measured)"`
	ThreadsPerTrial int         `yaml:"threads_per_trial" help:"kernel threads (GOMAXPROCS) of each trial"`
	Slurm           SlurmConfig `yaml:"slurm"`
}

// SlurmConfig holds the sbatch settings of a sweep run on Slurm.
type SlurmConfig struct {
	Partition   string   `yaml:"partition" help:"sbatch --partition"`
	Time        string   `yaml:"time" help:"sbatch --time per trial, e.g. 01:00:00"`
	CPUsPerTask int      `yaml:"cpus_per_task" help:"sbatch --cpus-per-task (0: threads_per_trial)"`
	Mem         string   `yaml:"mem" help:"sbatch --mem per trial, e.g. 4G"`
	Extra       []string `yaml:"extra" help:"more #SBATCH lines, e.g. --account=abc"`
}

// ParamKind is how a sweep parameter's values are given.
type ParamKind uint8

// The kinds of sweep parameters.
const (
	ParamValues     ParamKind = iota // values: [a, b, ...]
	ParamRange                       // range: [lo, hi] with step (whole numbers: step 1 by default)
	ParamUniform                     // uniform: [lo, hi], continuous
	ParamLogUniform                  // log_uniform: [lo, hi], continuous, lo > 0
)

var paramKindNames = [...]string{"values", "range", "uniform", "log_uniform"}

// String returns the kind's key in the sweep file.
func (k ParamKind) String() string {
	if int(k) < len(paramKindNames) {
		return paramKindNames[k]
	}
	return fmt.Sprintf("ParamKind(%d)", uint8(k))
}

// SweepParam is one parameter of a sweep.
type SweepParam struct {
	Key    string // config key, dotted; may end in a map entry (model.surrogate_params.slope)
	Kind   ParamKind
	Values []string // ParamValues and ParamRange: the values in Config.Set's text form
	Lo, Hi float64  // ParamUniform and ParamLogUniform
	Int    bool     // the option is a whole number: continuous samples are rounded
	Line   int      // line in the sweep file
}

// discrete reports whether the parameter has a finite list of values.
func (p *SweepParam) discrete() bool { return p.Kind == ParamValues || p.Kind == ParamRange }

// sample draws one value.
func (p *SweepParam) sample(rng *rand.Rand) string {
	if p.discrete() {
		return p.Values[rng.IntN(len(p.Values))]
	}
	var v float64
	if p.Kind == ParamLogUniform {
		v = math.Exp(math.Log(p.Lo) + rng.Float64()*(math.Log(p.Hi)-math.Log(p.Lo)))
		v = min(max(v, p.Lo), p.Hi) // exp(log(x)) may round just outside
	} else {
		v = p.Lo + rng.Float64()*(p.Hi-p.Lo)
	}
	if p.Int { // the nearest whole number inside the range
		v = min(max(math.Round(v), math.Ceil(p.Lo)), math.Floor(p.Hi))
	}
	return p.format(v)
}

func (p *SweepParam) format(v float64) string {
	if p.Int {
		return strconv.FormatInt(int64(math.Round(v)), 10)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// Sweep is a parsed sweep file.
type Sweep struct {
	File       string // the file it was read from
	Name       string
	Base       Config // the resolved base config
	Metric     SweepMetric
	Strategy   SweepStrategy
	Params     []SweepParam // in file order
	Resources  SweepResources
	baseConfig string         // base_config as written, for messages
	lines      map[string]int // line of each top-level key, for messages
}

// sweepDoc is the top level of a sweep file; base and parameters are
// decoded by hand.
type sweepDoc struct {
	Name       string         `yaml:"name"`
	Metric     SweepMetric    `yaml:"metric"`
	Strategy   SweepStrategy  `yaml:"strategy"`
	Resources  SweepResources `yaml:"resources"`
	Base       struct{}       `yaml:"base"`
	BaseConfig string         `yaml:"base_config"`
	Parameters struct{}       `yaml:"parameters"`
}

// keyErr is a *ConfigError at a key of the sweep file.
func keyErr(file string, k *yaml.Node, key, msg string) error {
	return &ConfigError{File: file, Line: k.Line, Key: key, Msg: msg}
}

// sweepErr is a *ConfigError at a value of the sweep file.
func sweepErr(file string, n *yaml.Node, key, msg string) error {
	e := &ConfigError{File: file, Key: key, Msg: msg}
	if n != nil {
		e.Line = n.Line
		e.Value = nodeText(n)
	}
	return e
}

// ReadSweep parses the sweep file at path strictly: an unknown key, a value
// of the wrong type, an unknown parameter, an empty range or a strategy
// that cannot be satisfied is a *ConfigError naming the dotted key and its
// line. It does not sample trials; PlanSweep does.
func ReadSweep(path string) (*Sweep, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	return parseSweep(b, path)
}

func parseSweep(b []byte, file string) (*Sweep, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, &ConfigError{File: file, Key: "(document)", Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &ConfigError{File: file, Key: "(document)", Msg: "empty sweep file: it needs base or base_config, and parameters"}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, sweepErr(file, root, "(document)", "must be a mapping of keys to values")
	}
	s := &Sweep{File: file, Base: DefaultConfig(),
		Metric:    SweepMetric{Name: "accuracy", Split: runs.SplitTest, Goal: ""},
		Strategy:  SweepStrategy{Name: "grid", Eta: 3},
		Resources: SweepResources{ThreadsPerTrial: 1}, lines: map[string]int{}}
	fields := structKeys(reflect.TypeOf(sweepDoc{}))
	var baseNode, paramsNode, baseCfgNode *yaml.Node
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if _, ok := fields[k.Value]; !ok {
			return nil, keyErr(file, k, k.Value, "unknown key (allowed: "+strings.Join(sortedKeys(fields), ", ")+")")
		}
		if seen[k.Value] {
			return nil, keyErr(file, k, k.Value, "key given twice")
		}
		seen[k.Value] = true
		s.lines[k.Value] = k.Line
		var err error
		switch k.Value {
		case "name":
			err = decodeNode(v, reflect.ValueOf(&s.Name).Elem(), "name", file)
		case "metric":
			err = decodeNode(v, reflect.ValueOf(&s.Metric).Elem(), "metric", file)
		case "strategy":
			err = decodeNode(v, reflect.ValueOf(&s.Strategy).Elem(), "strategy", file)
		case "resources":
			err = decodeNode(v, reflect.ValueOf(&s.Resources).Elem(), "resources", file)
			if err == nil {
				if verr := s.Resources.Slurm.Validate(); verr != nil {
					err = sweepErr(file, v, "resources.slurm", strings.TrimPrefix(verr.Error(), "sweep: "))
				}
			}
		case "base":
			baseNode = v
		case "base_config":
			baseCfgNode = v
			err = decodeNode(v, reflect.ValueOf(&s.baseConfig).Elem(), "base_config", file)
		case "parameters":
			paramsNode = v
		}
		if err != nil {
			return nil, err
		}
	}
	switch {
	case baseNode != nil && baseCfgNode != nil:
		return nil, sweepErr(file, baseCfgNode, "base_config", "give either base or base_config, not both")
	case baseCfgNode != nil:
		p := s.baseConfig
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(file), p)
		}
		cb, err := os.ReadFile(p)
		if err != nil {
			return nil, sweepErr(file, baseCfgNode, "base_config", err.Error())
		}
		if err := s.Base.ReadYAML(cb, p); err != nil {
			return nil, err
		}
	case baseNode != nil:
		if baseNode.Tag != "!!null" {
			if err := decodeNode(baseNode, reflect.ValueOf(&s.Base).Elem(), "base", file); err != nil {
				return nil, err
			}
		}
	default:
		return nil, &ConfigError{File: file, Key: "base", Msg: "missing: give the base training config (base: {...}) or a file (base_config: run.yaml)"}
	}
	if err := s.Base.Validate(); err != nil {
		if ce, ok := err.(*ConfigError); ok && baseCfgNode == nil {
			e := *ce
			e.File, e.Key = file, "base."+ce.Key
			return nil, &e
		}
		return nil, fmt.Errorf("sweep %s: base_config %s: %w", file, s.baseConfig, err)
	}
	if s.Name == "" {
		s.Name = s.Base.Name
	}
	if s.Name == "" || strings.ContainsAny(s.Name, `/\`) {
		return nil, &ConfigError{File: file, Key: "name", Value: strconv.Quote(s.Name), Msg: "must be non-empty and contain no path separator"}
	}
	if s.Metric.Goal == "" {
		s.Metric.Goal = defaultGoal(s.Metric.Name)
	}
	if err := s.checkMetric(); err != nil {
		return nil, err
	}
	if paramsNode == nil || paramsNode.Kind != yaml.MappingNode || len(paramsNode.Content) == 0 {
		return nil, sweepErr(file, paramsNode, "parameters", "must map at least one config key to its values, e.g. train.lr: {log_uniform: [1e-4, 1e-2]}")
	}
	opts := map[string]Option{}
	for _, o := range s.Base.Options() {
		opts[o.Key] = o
	}
	for i := 0; i+1 < len(paramsNode.Content); i += 2 {
		p, err := parseParam(paramsNode.Content[i], paramsNode.Content[i+1], opts, file)
		if err != nil {
			return nil, err
		}
		for _, q := range s.Params {
			if q.Key == p.Key {
				return nil, keyErr(file, paramsNode.Content[i], "parameters."+p.Key, "key given twice")
			}
		}
		s.Params = append(s.Params, p)
	}
	if err := s.checkResources(); err != nil {
		return nil, err
	}
	if err := s.checkStrategy(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Sweep) checkMetric() error {
	m := s.Metric
	bad := func(key, val, msg string) error {
		return &ConfigError{File: s.File, Line: s.lines["metric"], Key: "metric." + key, Value: strconv.Quote(val), Msg: msg}
	}
	switch {
	case m.Name == "":
		return bad("name", m.Name, "must name a metric of metrics.jsonl, e.g. accuracy or loss")
	case m.Split != runs.SplitTrain && m.Split != runs.SplitTest:
		return bad("split", m.Split, "must be train or test")
	case m.Goal != "max" && m.Goal != "min":
		return bad("goal", m.Goal, "must be max or min")
	}
	return nil
}

func (s *Sweep) checkResources() error {
	r := s.Resources
	for _, c := range []struct {
		key string
		v   int
		lo  int
	}{{"workers", r.Workers, 0}, {"memory_mb", r.MemoryMB, 0}, {"trial_memory_mb", r.TrialMemoryMB, 0},
		{"threads_per_trial", r.ThreadsPerTrial, 1}, {"slurm.cpus_per_task", r.Slurm.CPUsPerTask, 0}} {
		if c.v < c.lo {
			return &ConfigError{File: s.File, Line: s.lines["resources"], Key: "resources." + c.key, Value: strconv.Itoa(c.v), Msg: fmt.Sprintf("must be >= %d", c.lo)}
		}
	}
	return nil
}

// parseParam reads one entry of parameters.
func parseParam(k, v *yaml.Node, opts map[string]Option, file string) (SweepParam, error) {
	key := "parameters." + k.Value
	p := SweepParam{Key: k.Value, Line: k.Line}
	opt, ok := opts[k.Value]
	if !ok {
		// model.surrogate_params.slope: an entry of a map-valued option.
		if i := strings.LastIndex(k.Value, "."); i > 0 {
			if o, ok2 := opts[k.Value[:i]]; ok2 && o.Type == "key=value,..." && k.Value[i+1:] != "" {
				opt, ok = Option{Key: k.Value, Type: "float"}, true
			}
		}
	}
	if !ok {
		msg := "unknown config key"
		probe := DefaultConfig()
		if ce, isCE := probe.Set(k.Value, "").(*ConfigError); isCE && ce.Value == "" {
			msg = ce.Msg
			if ce.Key != k.Value {
				msg = ce.Key + ": " + msg
			}
		}
		return p, keyErr(file, k, key, msg)
	}
	switch k.Value {
	case "name", "out":
		return p, keyErr(file, k, key, "cannot be varied: each trial runs in its own directory of the sweep")
	}
	numeric := opt.Type == "int" || opt.Type == "float"
	p.Int = opt.Type == "int"
	if v.Kind != yaml.MappingNode {
		return p, sweepErr(file, v, key, "must be a mapping with one of values, range (and step), uniform, log_uniform")
	}
	var kindNode, stepNode *yaml.Node
	for i := 0; i+1 < len(v.Content); i += 2 {
		kk, vv := v.Content[i], v.Content[i+1]
		switch kk.Value {
		case "values", "range", "uniform", "log_uniform":
			if kindNode != nil {
				return p, keyErr(file, kk, key+"."+kk.Value, "give only one of values, range, uniform, log_uniform")
			}
			kindNode = vv
			p.Kind = ParamKind(slices.Index(paramKindNames[:], kk.Value))
		case "step":
			stepNode = vv
		default:
			return p, keyErr(file, kk, key+"."+kk.Value, "unknown key (allowed: log_uniform, range, step, uniform, values)")
		}
	}
	if kindNode == nil {
		return p, sweepErr(file, v, key, "needs one of values, range (and step), uniform, log_uniform")
	}
	kkey := key + "." + p.Kind.String()
	if stepNode != nil && p.Kind != ParamRange {
		return p, sweepErr(file, stepNode, key+".step", "only a range has a step")
	}
	if kindNode.Kind != yaml.SequenceNode {
		return p, sweepErr(file, kindNode, kkey, "must be a list")
	}
	if p.Kind == ParamValues {
		if len(kindNode.Content) == 0 {
			return p, sweepErr(file, kindNode, kkey, "is empty: give at least one value")
		}
		for _, e := range kindNode.Content {
			s, err := valueText(e)
			if err != nil {
				return p, sweepErr(file, e, kkey, err.Error())
			}
			p.Values = append(p.Values, s)
		}
		return p, nil
	}
	if !numeric {
		return p, sweepErr(file, kindNode, kkey, fmt.Sprintf("%s is not a number (%s): give its values", k.Value, opt.Type))
	}
	if len(kindNode.Content) != 2 {
		return p, sweepErr(file, kindNode, kkey, "must be [low, high]")
	}
	var lohi [2]float64
	for i, e := range kindNode.Content {
		f, err := strconv.ParseFloat(e.Value, 64)
		if e.Kind != yaml.ScalarNode || err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return p, sweepErr(file, e, kkey, "must be [low, high] with finite numbers")
		}
		lohi[i] = f
	}
	p.Lo, p.Hi = lohi[0], lohi[1]
	if p.Hi < p.Lo {
		return p, sweepErr(file, kindNode, kkey, fmt.Sprintf("is an empty range: high %g < low %g", p.Hi, p.Lo))
	}
	if p.Kind == ParamLogUniform && p.Lo <= 0 {
		return p, sweepErr(file, kindNode, kkey, fmt.Sprintf("low %g must be > 0 for a log-uniform range", p.Lo))
	}
	if p.Int && p.Kind != ParamRange && math.Ceil(p.Lo) > math.Floor(p.Hi) {
		return p, sweepErr(file, kindNode, kkey, fmt.Sprintf("holds no whole number for %s", k.Value))
	}
	if p.Kind == ParamRange {
		step := 1.0
		if stepNode != nil {
			f, err := strconv.ParseFloat(stepNode.Value, 64)
			if err != nil || !(f > 0) || math.IsInf(f, 0) {
				return p, sweepErr(file, stepNode, key+".step", "must be a number > 0")
			}
			step = f
		} else if !p.Int {
			return p, sweepErr(file, kindNode, kkey, "a range of a real-valued key needs a step (or use uniform or log_uniform)")
		}
		if p.Int && (step != math.Trunc(step) || p.Lo != math.Trunc(p.Lo)) {
			return p, sweepErr(file, kindNode, kkey, "a range of a whole-number key needs whole-number low and step")
		}
		// lo + i·step up to hi, with a tolerance of 1e-9 steps for the
		// rounding of decimal steps (0.1 + 0.1 + 0.1 > 0.3 in binary).
		n := int(math.Floor((p.Hi-p.Lo)/step+1e-9)) + 1
		if n > 100000 {
			return p, sweepErr(file, kindNode, kkey, fmt.Sprintf("has %d values; use a larger step or uniform", n))
		}
		for i := range n {
			// 12 significant digits drop the rounding of lo + i·step
			// (1e-4 + 2·1e-4 = 0.00030000000000000003).
			v, _ := strconv.ParseFloat(strconv.FormatFloat(p.Lo+float64(i)*step, 'g', 12, 64), 64)
			p.Values = append(p.Values, p.format(v))
		}
		p.Lo, p.Hi = 0, 0
	}
	return p, nil
}

// valueText converts a YAML value into Config.Set's text form: scalars as
// written, lists as "1,2", mappings as "a=1,b=2".
func valueText(n *yaml.Node) (string, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "", fmt.Errorf("an empty value")
		}
		return n.Value, nil
	case yaml.SequenceNode:
		parts := make([]string, len(n.Content))
		for i, e := range n.Content {
			if e.Kind != yaml.ScalarNode {
				return "", fmt.Errorf("a list value must hold plain values")
			}
			parts[i] = e.Value
		}
		return strings.Join(parts, ","), nil
	case yaml.MappingNode:
		var parts []string
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i+1].Kind != yaml.ScalarNode {
				return "", fmt.Errorf("a mapping value must map names to numbers")
			}
			parts = append(parts, n.Content[i].Value+"="+n.Content[i+1].Value)
		}
		return strings.Join(parts, ","), nil
	}
	return "", fmt.Errorf("unsupported value")
}

// checkStrategy checks the strategy's settings against the parameters.
func (s *Sweep) checkStrategy() error {
	st := &s.Strategy
	bad := func(key string, v any, msg string) error {
		return &ConfigError{File: s.File, Line: s.lines["strategy"], Key: "strategy." + key, Value: fmt.Sprint(v), Msg: msg}
	}
	var continuous string
	gridSize := 1
	for _, p := range s.Params {
		if !p.discrete() {
			if continuous == "" {
				continuous = p.Key
			}
			continue
		}
		gridSize *= len(p.Values)
		if gridSize > 1000000 {
			gridSize = 1000001
		}
	}
	gridErr := func(what string) error {
		if continuous != "" {
			return bad("name", strconv.Quote(st.Name), fmt.Sprintf("%s needs every parameter to have a finite list of values: parameters.%s is continuous (give values, or a range with a step)", what, continuous))
		}
		if gridSize > 1000000 {
			return bad("name", strconv.Quote(st.Name), "the grid has more than 1000000 trials: use random")
		}
		return nil
	}
	switch st.Name {
	case "grid":
		if err := gridErr("a grid"); err != nil {
			return err
		}
	case "random":
		if st.Trials < 1 {
			return bad("trials", st.Trials, "must be >= 1 for a random search")
		}
	case "halving":
		if st.Trials < 0 {
			return bad("trials", st.Trials, "must be >= 0 (0: the grid)")
		}
		if st.Trials == 0 {
			if err := gridErr("halving with trials 0 (the grid)"); err != nil {
				return err
			}
		}
		if st.MinEpochs < 1 {
			return bad("min_epochs", st.MinEpochs, "must be >= 1")
		}
		if st.MaxEpochs < st.MinEpochs {
			return bad("max_epochs", st.MaxEpochs, fmt.Sprintf("must be >= min_epochs = %d", st.MinEpochs))
		}
		if st.Eta < 2 {
			return bad("eta", st.Eta, "must be >= 2")
		}
		for _, p := range s.Params {
			if p.Key == "train.epochs" {
				return &ConfigError{File: s.File, Line: p.Line, Key: "parameters.train.epochs", Msg: "successive halving sets the epochs of each rung (strategy.min_epochs, max_epochs): do not vary them"}
			}
		}
		n := st.Trials
		if n == 0 {
			n = gridSize
		}
		rungs := halvingRungs(st.MinEpochs, st.MaxEpochs, st.Eta)
		need := 1
		for range len(rungs) - 1 {
			need *= st.Eta
		}
		if n < need {
			return bad("trials", n, fmt.Sprintf("successive halving over rungs of %s epochs keeps 1 in %d at each rung and needs at least %d trials", joinInts(rungs), st.Eta, need))
		}
	default:
		return bad("name", strconv.Quote(st.Name), "must be grid, random or halving")
	}
	return nil
}

// halvingRungs returns the epochs of the rungs: lo, lo·eta, lo·eta², ...,
// then hi.
func halvingRungs(lo, hi, eta int) []int {
	r := []int{lo}
	for e := lo; e < hi; {
		e = min(e*eta, hi)
		r = append(r, e)
	}
	return r
}

// SweepTrial is one trial of a plan: an ID (t0000, t0001, ...) and its
// parameter values in Config.Set's text form.
type SweepTrial struct {
	ID     string
	Params map[string]string
}

// SweepPlan is a planned sweep: the sweep file, every trial in a stable
// order, and the epochs of each rung (one rung, the base config's epochs,
// for grid and random).
type SweepPlan struct {
	Sweep  *Sweep
	Trials []SweepTrial
	Rungs  []int
}

// PlanSweep reads the sweep file at path and plans its trials: the grid's
// combinations in file order (the last parameter varying fastest), or the
// samples of the strategy's seed. Every trial's config is built and
// validated, so a value that spikegrad train would refuse is an error here,
// before any trial starts.
func PlanSweep(path string) (*SweepPlan, error) {
	s, err := ReadSweep(path)
	if err != nil {
		return nil, err
	}
	return s.plan()
}

// sweepStream is the PCG stream of a sweep's samples (the run's own
// streams are 1 to 4).
const sweepStream = 17

func (s *Sweep) plan() (*SweepPlan, error) {
	p := &SweepPlan{Sweep: s, Rungs: []int{s.Base.Train.Epochs}}
	st := s.Strategy
	var combos [][]string
	switch {
	case st.Name == "grid" || (st.Name == "halving" && st.Trials == 0):
		combos = [][]string{nil}
		for _, q := range s.Params {
			var next [][]string
			for _, c := range combos {
				for _, v := range q.Values {
					next = append(next, append(slices.Clip(c), v))
				}
			}
			combos = next
		}
	default:
		rng := rand.New(rand.NewPCG(st.Seed, sweepStream))
		for range st.Trials {
			c := make([]string, len(s.Params))
			for i := range s.Params {
				c[i] = s.Params[i].sample(rng)
			}
			combos = append(combos, c)
		}
	}
	if st.Name == "halving" {
		p.Rungs = halvingRungs(st.MinEpochs, st.MaxEpochs, st.Eta)
	}
	// The ends of continuous ranges must be valid too, whatever is sampled.
	for _, q := range s.Params {
		if !q.discrete() {
			lo, hi := q.Lo, q.Hi
			if q.Int {
				lo, hi = math.Ceil(lo), math.Floor(hi)
			}
			for _, v := range []float64{lo, hi} {
				if err := s.checkValue(q, q.format(v)); err != nil {
					return nil, err
				}
			}
		}
	}
	for i, c := range combos {
		t := SweepTrial{ID: fmt.Sprintf("t%04d", i), Params: map[string]string{}}
		for j, q := range s.Params {
			t.Params[q.Key] = c[j]
		}
		for _, q := range s.Params {
			if err := s.checkValue(q, t.Params[q.Key]); err != nil {
				return nil, err
			}
		}
		if _, err := s.TrialConfig(t, p.Rungs[len(p.Rungs)-1]); err != nil {
			return nil, fmt.Errorf("sweep %s: trial %s %s: %w", s.File, t.ID, formatParams(s, t), err)
		}
		p.Trials = append(p.Trials, t)
	}
	if len(p.Trials) == 0 {
		return nil, &ConfigError{File: s.File, Key: "strategy", Msg: "the plan has no trials"}
	}
	return p, nil
}

// checkValue sets one value on the base config and validates it, naming the
// parameter and its line on failure.
func (s *Sweep) checkValue(q SweepParam, v string) error {
	c := s.Base
	c.Model.Hidden = slices.Clone(c.Model.Hidden)
	c.Model.SurrogateParams = maps.Clone(c.Model.SurrogateParams)
	err := setParam(&c, q.Key, v)
	if err == nil {
		err = c.Validate()
	}
	if err == nil {
		return nil
	}
	msg := err.Error()
	if ce, ok := err.(*ConfigError); ok {
		msg = ce.Msg
		if ce.Key != q.Key && !strings.HasPrefix(q.Key, ce.Key) {
			// Valid alone, invalid with the rest of the base config.
			msg = "with the base config, " + strings.TrimPrefix(ce.Error(), "config: ")
		}
	}
	return &ConfigError{File: s.File, Line: q.Line, Key: "parameters." + q.Key, Value: strconv.Quote(v), Msg: msg}
}

// setParam sets a sweep parameter on c: a config key through Config.Set, or
// one entry of a map-valued key (model.surrogate_params.slope).
func setParam(c *Config, key, value string) error {
	err := c.Set(key, value)
	if err == nil {
		return nil
	}
	i := strings.LastIndex(key, ".")
	if i < 0 {
		return err
	}
	mk, entry := key[:i], key[i+1:]
	for _, o := range c.Options() {
		if o.Key != mk || o.Type != "key=value,..." {
			continue
		}
		var parts []string
		for _, kv := range strings.Split(o.Default, ",") {
			if k, _, _ := strings.Cut(kv, "="); kv != "" && k != entry {
				parts = append(parts, kv)
			}
		}
		return c.Set(mk, strings.Join(append(parts, entry+"="+value), ","))
	}
	return err
}

// TrialConfig is the config of trial t trained to epochs epochs (0: the
// base config's): the base config with the trial's parameters set, the
// trial's ID as its name.
func (s *Sweep) TrialConfig(t SweepTrial, epochs int) (Config, error) {
	c := s.Base
	c.Model.Hidden = slices.Clone(c.Model.Hidden)
	c.Model.SurrogateParams = maps.Clone(c.Model.SurrogateParams)
	for _, q := range s.Params {
		v, ok := t.Params[q.Key]
		if !ok {
			return c, fmt.Errorf("sweep: trial %s has no value of %s", t.ID, q.Key)
		}
		if err := setParam(&c, q.Key, v); err != nil {
			return c, err
		}
	}
	if epochs > 0 {
		c.Train.Epochs = epochs
	}
	return c, c.Validate()
}

func formatParams(s *Sweep, t SweepTrial) string {
	parts := make([]string, len(s.Params))
	for i, q := range s.Params {
		parts[i] = q.Key + "=" + t.Params[q.Key]
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// canonical renders the sweep as a sweep file with its resolved base config
// inline. identity leaves out the resources, which may change between runs
// of the same sweep (more workers, another backend).
func (s *Sweep) canonical(identity bool) []byte {
	type param struct {
		Values     []string  `yaml:"values,omitempty,flow"`
		Uniform    []float64 `yaml:"uniform,omitempty,flow"`
		LogUniform []float64 `yaml:"log_uniform,omitempty,flow"`
	}
	params := yaml.Node{Kind: yaml.MappingNode}
	for _, q := range s.Params {
		var pv param
		switch q.Kind {
		case ParamValues, ParamRange:
			pv.Values = q.Values
		case ParamUniform:
			pv.Uniform = []float64{q.Lo, q.Hi}
		case ParamLogUniform:
			pv.LogUniform = []float64{q.Lo, q.Hi}
		}
		var vn yaml.Node
		if err := vn.Encode(pv); err != nil {
			panic(err) // plain values always encode
		}
		params.Content = append(params.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: q.Key}, &vn)
	}
	doc := struct {
		Name       string          `yaml:"name"`
		Metric     SweepMetric     `yaml:"metric"`
		Strategy   SweepStrategy   `yaml:"strategy"`
		Parameters *yaml.Node      `yaml:"parameters"`
		Resources  *SweepResources `yaml:"resources,omitempty"`
		Base       Config          `yaml:"base"`
	}{Name: s.Name, Metric: s.Metric, Strategy: s.Strategy, Parameters: &params, Base: s.Base}
	if !identity {
		doc.Resources = &s.Resources
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		panic(err)
	}
	enc.Close()
	return b.Bytes()
}

// fingerprint identifies a sweep: the SHA-256 of its canonical form without
// the resources.
func (s *Sweep) fingerprint() string {
	h := sha256.Sum256(s.canonical(true))
	return hex.EncodeToString(h[:])
}

// paramJSON is a parameter value as plan.json holds it: a number or a
// boolean where the text is one, a string otherwise. paramText reverses it.
func paramJSON(v string) json.RawMessage {
	if _, err := strconv.ParseInt(v, 10, 64); err == nil && !strings.HasPrefix(v, "+") && (v == "0" || !strings.HasPrefix(strings.TrimPrefix(v, "-"), "0")) {
		return json.RawMessage(v)
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) && !strings.ContainsAny(v, "xXpP_") {
		return json.RawMessage(strconv.FormatFloat(f, 'g', -1, 64))
	}
	if v == "true" || v == "false" {
		return json.RawMessage(v)
	}
	b, _ := json.Marshal(v)
	return b
}

// paramText is the Config.Set text of a plan.json value.
func paramText(raw json.RawMessage) (string, error) {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	switch v.(type) {
	case float64, bool:
		return string(raw), nil
	}
	return "", fmt.Errorf("%s is not a number, a boolean or a string", raw)
}
