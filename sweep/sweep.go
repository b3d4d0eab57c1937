package sweep

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
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/spikegrad/spikegrad/rundir"
	"github.com/spikegrad/spikegrad/train"
)

// Metric is the metric that ranks trials: a record of metrics.jsonl
// (split and name) and whether larger or smaller is better.
type Metric struct {
	Name  string `yaml:"name" help:"metric name in metrics.jsonl: accuracy, loss, ..."`
	Split string `yaml:"split" help:"train or test"`
	Goal  string `yaml:"goal" help:"max or min"`
}

// String returns the metric as split/name.
func (m Metric) String() string { return m.Split + "/" + m.Name }

// better reports whether a ranks before b under the goal; NaN ranks last.
func (m Metric) better(a, b float64) bool {
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

// ParseMetric reads a metric written as [split/]name[:max|min]; the
// split defaults to test and the goal to min for names containing "loss"
// and max otherwise.
func ParseMetric(s string) (Metric, error) {
	m := Metric{Split: rundir.SplitTest}
	s, goal, hasGoal := strings.Cut(s, ":")
	if split, name, ok := strings.Cut(s, "/"); ok && (split == rundir.SplitTrain || split == rundir.SplitTest) {
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

// Strategy is the search strategy of a sweep.
type Strategy struct {
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

// Resources bounds the parallel trials of a sweep.
type Resources struct {
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

// Param is one parameter of a sweep.
type Param struct {
	Key    string // config key, dotted; may end in a map entry (model.surrogate_params.slope)
	Kind   ParamKind
	Values []string // ParamValues and ParamRange: the values in train.Config.Set's text form
	Lo, Hi float64  // ParamUniform and ParamLogUniform
	Int    bool     // the option is a whole number: continuous samples are rounded
	Line   int      // line in the sweep file
}

// discrete reports whether the parameter has a finite list of values.
func (p *Param) discrete() bool { return p.Kind == ParamValues || p.Kind == ParamRange }

// sample draws one value.
func (p *Param) sample(rng *rand.Rand) string {
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

func (p *Param) format(v float64) string {
	if p.Int {
		return strconv.FormatInt(int64(math.Round(v)), 10)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// Spec is a parsed sweep file.
type Spec struct {
	File       string // the file it was read from
	Name       string
	Base       train.Config // the resolved base config
	Metric     Metric
	Strategy   Strategy
	Params     []Param // in file order
	Resources  Resources
	baseConfig string         // base_config as written, for messages
	lines      map[string]int // line of each top-level key, for messages
}

// topKeys are the keys of a sweep file, sorted.
var topKeys = []string{"base", "base_config", "metric", "name", "parameters", "resources", "strategy"}

// keyErr is a *train.ConfigError at a key of the sweep file.
func keyErr(file string, k *yaml.Node, key, msg string) error {
	return &train.ConfigError{File: file, Line: k.Line, Key: key, Msg: msg}
}

// sweepErr is a *train.ConfigError at a value of the sweep file.
func sweepErr(file string, n *yaml.Node, key, msg string) error {
	e := &train.ConfigError{File: file, Key: key, Msg: msg}
	if n != nil {
		e.Line = n.Line
		if n.Kind == yaml.ScalarNode {
			e.Value = strconv.Quote(n.Value)
		}
	}
	return e
}

// Read parses the sweep file at path strictly: an unknown key, a value of
// the wrong type, an unknown parameter, an empty range or a strategy that
// cannot be satisfied is a *train.ConfigError naming the dotted key and its
// line. It does not sample trials; Spec.Plan does.
func Read(path string) (*Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	return parseSpec(b, path)
}

// sections are the parts of a sweep file that are read after the top
// level: the base config, given inline or as a file, and the parameters.
type sections struct {
	base, baseConfig, params *yaml.Node
}

// parseSpec parses a sweep file's text b, read from file, and checks it
// whole: the top level, the base config, the name and metric, the
// parameters, then the resources and the strategy against the parameters.
func parseSpec(b []byte, file string) (*Spec, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, &train.ConfigError{File: file, Key: "(document)", Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &train.ConfigError{File: file, Key: "(document)", Msg: "empty sweep file: it needs base or base_config, and parameters"}
	}
	s := &Spec{File: file, Base: train.DefaultConfig(),
		Metric:    Metric{Name: "accuracy", Split: rundir.SplitTest, Goal: ""},
		Strategy:  Strategy{Name: "grid", Eta: 3},
		Resources: Resources{ThreadsPerTrial: 1}, lines: map[string]int{}}
	sec, err := s.readTop(doc.Content[0])
	if err != nil {
		return nil, err
	}
	if err := s.readBase(sec); err != nil {
		return nil, err
	}
	if s.Name == "" {
		s.Name = s.Base.Name
	}
	if s.Name == "" || strings.ContainsAny(s.Name, `/\`) {
		return nil, &train.ConfigError{File: file, Key: "name", Value: strconv.Quote(s.Name), Msg: "must be non-empty and contain no path separator"}
	}
	if s.Metric.Goal == "" {
		s.Metric.Goal = defaultGoal(s.Metric.Name)
	}
	for _, check := range []func() error{s.checkMetric, func() error { return s.readParams(sec.params) }, s.checkResources, s.checkStrategy} {
		if err := check(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// readTop reads the top level of a sweep file: name, metric, strategy,
// resources and base_config into s, and the nodes of the sections read
// after it.
func (s *Spec) readTop(root *yaml.Node) (sections, error) {
	var sec sections
	file := s.File
	if root.Kind != yaml.MappingNode {
		return sec, sweepErr(file, root, "(document)", "must be a mapping of keys to values")
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if !slices.Contains(topKeys, k.Value) {
			return sec, keyErr(file, k, k.Value, "unknown key (allowed: "+strings.Join(topKeys, ", ")+")")
		}
		if _, seen := s.lines[k.Value]; seen {
			return sec, keyErr(file, k, k.Value, "key given twice")
		}
		s.lines[k.Value] = k.Line
		var err error
		switch k.Value {
		case "name":
			err = train.DecodeYAML(v, &s.Name, "name", file)
		case "metric":
			err = train.DecodeYAML(v, &s.Metric, "metric", file)
		case "strategy":
			err = train.DecodeYAML(v, &s.Strategy, "strategy", file)
		case "resources":
			err = train.DecodeYAML(v, &s.Resources, "resources", file)
			if err == nil {
				if verr := s.Resources.Slurm.Validate(); verr != nil {
					err = sweepErr(file, v, "resources.slurm", strings.TrimPrefix(verr.Error(), "sweep: "))
				}
			}
		case "base":
			sec.base = v
		case "base_config":
			sec.baseConfig = v
			err = train.DecodeYAML(v, &s.baseConfig, "base_config", file)
		case "parameters":
			sec.params = v
		}
		if err != nil {
			return sec, err
		}
	}
	return sec, nil
}

// readBase resolves the base config, from base (inline, its keys named
// base.*) or base_config (a file relative to the sweep file), on top of
// the defaults, and validates it.
func (s *Spec) readBase(sec sections) error {
	file := s.File
	switch {
	case sec.base != nil && sec.baseConfig != nil:
		return sweepErr(file, sec.baseConfig, "base_config", "give either base or base_config, not both")
	case sec.baseConfig != nil:
		p := s.baseConfig
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(file), p)
		}
		cb, err := os.ReadFile(p)
		if err != nil {
			return sweepErr(file, sec.baseConfig, "base_config", err.Error())
		}
		if err := s.Base.ReadYAML(cb, p); err != nil {
			return err
		}
	case sec.base != nil:
		if sec.base.Tag != "!!null" {
			if err := train.DecodeYAML(sec.base, &s.Base, "base", file); err != nil {
				return err
			}
		}
	default:
		return &train.ConfigError{File: file, Key: "base", Msg: "missing: give the base training config (base: {...}) or a file (base_config: run.yaml)"}
	}
	if err := s.Base.Validate(); err != nil {
		if ce, ok := err.(*train.ConfigError); ok && sec.baseConfig == nil {
			e := *ce
			e.File, e.Key = file, "base."+ce.Key
			return &e
		}
		return fmt.Errorf("sweep %s: base_config %s: %w", file, s.baseConfig, err)
	}
	return nil
}

// readParams reads the parameters section into s.Params, in file order.
func (s *Spec) readParams(n *yaml.Node) error {
	if n == nil || n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		return sweepErr(s.File, n, "parameters", "must map at least one config key to its values, e.g. train.lr: {log_uniform: [1e-4, 1e-2]}")
	}
	opts := map[string]train.Option{}
	for _, o := range s.Base.Options() {
		opts[o.Key] = o
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		p, err := parseParam(n.Content[i], n.Content[i+1], opts, s.File)
		if err != nil {
			return err
		}
		for _, q := range s.Params {
			if q.Key == p.Key {
				return keyErr(s.File, n.Content[i], "parameters."+p.Key, "key given twice")
			}
		}
		s.Params = append(s.Params, p)
	}
	return nil
}

// checkMetric checks the metric that ranks the trials.
func (s *Spec) checkMetric() error {
	m := s.Metric
	bad := func(key, val, msg string) error {
		return &train.ConfigError{File: s.File, Line: s.lines["metric"], Key: "metric." + key, Value: strconv.Quote(val), Msg: msg}
	}
	switch {
	case m.Name == "":
		return bad("name", m.Name, "must name a metric of metrics.jsonl, e.g. accuracy or loss")
	case m.Split != rundir.SplitTrain && m.Split != rundir.SplitTest:
		return bad("split", m.Split, "must be train or test")
	case m.Goal != "max" && m.Goal != "min":
		return bad("goal", m.Goal, "must be max or min")
	}
	return nil
}

// checkResources checks the resources' counts and sizes.
func (s *Spec) checkResources() error {
	r := s.Resources
	for _, c := range []struct {
		key string
		v   int
		lo  int
	}{{"workers", r.Workers, 0}, {"memory_mb", r.MemoryMB, 0}, {"trial_memory_mb", r.TrialMemoryMB, 0},
		{"threads_per_trial", r.ThreadsPerTrial, 1}, {"slurm.cpus_per_task", r.Slurm.CPUsPerTask, 0}} {
		if c.v < c.lo {
			return &train.ConfigError{File: s.File, Line: s.lines["resources"], Key: "resources." + c.key, Value: strconv.Itoa(c.v), Msg: fmt.Sprintf("must be >= %d", c.lo)}
		}
	}
	return nil
}

// parseParam reads one entry of parameters: the config key k and the
// mapping v that gives its values.
func parseParam(k, v *yaml.Node, opts map[string]train.Option, file string) (Param, error) {
	key := "parameters." + k.Value
	p := Param{Key: k.Value, Line: k.Line}
	opt, err := paramOption(k, opts, file)
	if err != nil {
		return p, err
	}
	p.Int = opt.Type == "int"
	kindNode, stepNode, err := p.readKind(v, file)
	if err != nil {
		return p, err
	}
	kkey := key + "." + p.Kind.String()
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
	if opt.Type != "int" && opt.Type != "float" {
		return p, sweepErr(file, kindNode, kkey, fmt.Sprintf("%s is not a number (%s): give its values", k.Value, opt.Type))
	}
	if err := p.readBounds(kindNode, kkey, file); err != nil {
		return p, err
	}
	if p.Kind == ParamRange {
		return p, p.readRange(kindNode, stepNode, file)
	}
	return p, nil
}

// paramOption returns the config option that the parameter key k names: a
// key of opts, or an entry of a map-valued one (model.surrogate_params.slope,
// a number). A key that is not an option, or one that every trial must
// leave alone (name, out), is an error.
func paramOption(k *yaml.Node, opts map[string]train.Option, file string) (train.Option, error) {
	key := "parameters." + k.Value
	opt, ok := opts[k.Value]
	if !ok {
		if i := strings.LastIndex(k.Value, "."); i > 0 {
			if o, ok2 := opts[k.Value[:i]]; ok2 && o.Type == "key=value,..." && k.Value[i+1:] != "" {
				opt, ok = train.Option{Key: k.Value, Type: "float"}, true
			}
		}
	}
	if !ok {
		// Config.Set names the part of the key that is wrong and what
		// is allowed there.
		msg := "unknown config key"
		probe := train.DefaultConfig()
		if ce, isCE := probe.Set(k.Value, "").(*train.ConfigError); isCE && ce.Value == "" {
			msg = ce.Msg
			if ce.Key != k.Value {
				msg = ce.Key + ": " + msg
			}
		}
		return opt, keyErr(file, k, key, msg)
	}
	switch k.Value {
	case "name", "out":
		return opt, keyErr(file, k, key, "cannot be varied: each trial runs in its own directory of the sweep")
	}
	return opt, nil
}

// readKind reads the keys of a parameter's mapping v: exactly one of
// values, range, uniform and log_uniform (its kind, set in p), and a step
// for a range. It returns the nodes of the kind's list and of the step (nil
// if none).
func (p *Param) readKind(v *yaml.Node, file string) (kindNode, stepNode *yaml.Node, err error) {
	key := "parameters." + p.Key
	if v.Kind != yaml.MappingNode {
		return nil, nil, sweepErr(file, v, key, "must be a mapping with one of values, range (and step), uniform, log_uniform")
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		kk, vv := v.Content[i], v.Content[i+1]
		switch kk.Value {
		case "values", "range", "uniform", "log_uniform":
			if kindNode != nil {
				return nil, nil, keyErr(file, kk, key+"."+kk.Value, "give only one of values, range, uniform, log_uniform")
			}
			kindNode = vv
			p.Kind = ParamKind(slices.Index(paramKindNames[:], kk.Value))
		case "step":
			stepNode = vv
		default:
			return nil, nil, keyErr(file, kk, key+"."+kk.Value, "unknown key (allowed: log_uniform, range, step, uniform, values)")
		}
	}
	if kindNode == nil {
		return nil, nil, sweepErr(file, v, key, "needs one of values, range (and step), uniform, log_uniform")
	}
	if stepNode != nil && p.Kind != ParamRange {
		return nil, nil, sweepErr(file, stepNode, key+".step", "only a range has a step")
	}
	return kindNode, stepNode, nil
}

// readBounds reads [low, high] of a range or a continuous parameter into
// p.Lo and p.Hi and checks that they hold a value of the parameter's type
// (and a positive low for a log-uniform one). kkey names the list.
func (p *Param) readBounds(n *yaml.Node, kkey, file string) error {
	if len(n.Content) != 2 {
		return sweepErr(file, n, kkey, "must be [low, high]")
	}
	var lohi [2]float64
	for i, e := range n.Content {
		f, err := strconv.ParseFloat(e.Value, 64)
		if e.Kind != yaml.ScalarNode || err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return sweepErr(file, e, kkey, "must be [low, high] with finite numbers")
		}
		lohi[i] = f
	}
	p.Lo, p.Hi = lohi[0], lohi[1]
	switch {
	case p.Hi < p.Lo:
		return sweepErr(file, n, kkey, fmt.Sprintf("is an empty range: high %g < low %g", p.Hi, p.Lo))
	case p.Kind == ParamLogUniform && p.Lo <= 0:
		return sweepErr(file, n, kkey, fmt.Sprintf("low %g must be > 0 for a log-uniform range", p.Lo))
	case p.Int && p.Kind != ParamRange && math.Ceil(p.Lo) > math.Floor(p.Hi):
		return sweepErr(file, n, kkey, fmt.Sprintf("holds no whole number for %s", p.Key))
	}
	return nil
}

// readRange turns the range p.Lo to p.Hi with the step of stepNode (1 for
// whole numbers when nil) into p.Values: lo, lo + step, ... up to hi.
func (p *Param) readRange(n, stepNode *yaml.Node, file string) error {
	key := "parameters." + p.Key
	kkey := key + ".range"
	step := 1.0
	if stepNode != nil {
		f, err := strconv.ParseFloat(stepNode.Value, 64)
		if err != nil || !(f > 0) || math.IsInf(f, 0) {
			return sweepErr(file, stepNode, key+".step", "must be a finite number > 0")
		}
		step = f
	} else if !p.Int {
		return sweepErr(file, n, kkey, "a range of a real-valued key needs a step (or use uniform or log_uniform)")
	}
	if p.Int && (step != math.Trunc(step) || p.Lo != math.Trunc(p.Lo)) {
		return sweepErr(file, n, kkey, "a range of a whole-number key needs whole-number low and step")
	}
	// lo + i·step up to hi, with a tolerance of 1e-9 steps for the
	// rounding of decimal steps (0.1 + 0.1 + 0.1 > 0.3 in binary).
	count := int(math.Floor((p.Hi-p.Lo)/step+1e-9)) + 1
	if count > 100000 {
		return sweepErr(file, n, kkey, fmt.Sprintf("has %d values; use a larger step or uniform", count))
	}
	for i := range count {
		// 12 significant digits drop the rounding of lo + i·step
		// (1e-4 + 2·1e-4 = 0.00030000000000000003).
		v, _ := strconv.ParseFloat(strconv.FormatFloat(p.Lo+float64(i)*step, 'g', 12, 64), 64)
		p.Values = append(p.Values, p.format(v))
	}
	p.Lo, p.Hi = 0, 0
	return nil
}

// valueText converts a YAML value into train.Config.Set's text form: scalars as
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
func (s *Spec) checkStrategy() error {
	st := &s.Strategy
	bad := func(key string, v any, msg string) error {
		return &train.ConfigError{File: s.File, Line: s.lines["strategy"], Key: "strategy." + key, Value: fmt.Sprint(v), Msg: msg}
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
				return &train.ConfigError{File: s.File, Line: p.Line, Key: "parameters.train.epochs", Msg: "successive halving sets the epochs of each rung (strategy.min_epochs, max_epochs): do not vary them"}
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

// Trial is one trial of a plan: an ID (t0000, t0001, ...) and its
// parameter values in train.Config.Set's text form.
type Trial struct {
	ID     string
	Params map[string]string
}

// Plan is a planned sweep: the sweep file, every trial in a stable
// order, and the epochs of each rung (one rung, the base config's epochs,
// for grid and random).
type Plan struct {
	Spec   *Spec
	Trials []Trial
	Rungs  []int
}

// ReadPlan reads the sweep file at path and plans its trials (Read, then
// Spec.Plan).
func ReadPlan(path string) (*Plan, error) {
	s, err := Read(path)
	if err != nil {
		return nil, err
	}
	return s.Plan()
}

// sweepStream is the PCG stream of a sweep's samples (the run's own
// streams are 1 to 4).
const sweepStream = 17

// Plan plans the trials of the sweep: the grid's combinations in file order
// (the last parameter varying fastest), or the samples of the strategy's
// seed. Every trial's config is built and validated, so a value that
// spikegrad train would refuse is an error here, before any trial starts.
func (s *Spec) Plan() (*Plan, error) {
	p := &Plan{Spec: s, Rungs: []int{s.Base.Train.Epochs}}
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
		t := Trial{ID: fmt.Sprintf("t%04d", i), Params: map[string]string{}}
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
		return nil, &train.ConfigError{File: s.File, Key: "strategy", Msg: "the plan has no trials"}
	}
	return p, nil
}

// checkValue sets one value on the base config and validates it, naming the
// parameter and its line on failure.
func (s *Spec) checkValue(q Param, v string) error {
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
	if ce, ok := err.(*train.ConfigError); ok {
		msg = ce.Msg
		if ce.Key != q.Key && !strings.HasPrefix(q.Key, ce.Key) {
			// Valid alone, invalid with the rest of the base config.
			msg = "with the base config, " + strings.TrimPrefix(ce.Error(), "config: ")
		}
	}
	return &train.ConfigError{File: s.File, Line: q.Line, Key: "parameters." + q.Key, Value: strconv.Quote(v), Msg: msg}
}

// setParam sets a sweep parameter on c: a config key through train.Config.Set, or
// one entry of a map-valued key (model.surrogate_params.slope).
func setParam(c *train.Config, key, value string) error {
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
func (s *Spec) TrialConfig(t Trial, epochs int) (train.Config, error) {
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

func formatParams(s *Spec, t Trial) string {
	parts := make([]string, len(s.Params))
	for i, q := range s.Params {
		parts[i] = q.Key + "=" + t.Params[q.Key]
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// canonical renders the sweep as a sweep file with its resolved base config
// inline. identity leaves out the resources, which may change between runs
// of the same sweep (more workers, another backend).
func (s *Spec) canonical(identity bool) []byte {
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
		Name       string       `yaml:"name"`
		Metric     Metric       `yaml:"metric"`
		Strategy   Strategy     `yaml:"strategy"`
		Parameters *yaml.Node   `yaml:"parameters"`
		Resources  *Resources   `yaml:"resources,omitempty"`
		Base       train.Config `yaml:"base"`
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
func (s *Spec) fingerprint() string {
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

// paramText is the train.Config.Set text of a plan.json value.
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
