package infer

import (
	_ "embed"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// builtinProfiles is the profile file that ships with the engine.
//
//go:embed profiles.yaml
var builtinProfiles []byte

// BuiltinProfilesFile is the name the built-in profiles go by in errors and
// reports.
const BuiltinProfilesFile = "profiles.yaml (built in)"

// ProfilesVersion is the version of the profile file format.
const ProfilesVersion = 1

// Range is a closed interval [Low, High]; a single figure has Low = High.
// It is written to JSON as [low, high].
type Range struct{ Low, High float64 }

// Point returns the range [v, v].
func Point(v float64) Range { return Range{v, v} }

// Scale returns the range multiplied by k >= 0.
func (r Range) Scale(k float64) Range { return Range{r.Low * k, r.High * k} }

// Add returns the sum of two ranges.
func (r Range) Add(o Range) Range { return Range{r.Low + o.Low, r.High + o.High} }

// MarshalJSON writes [low, high].
func (r Range) MarshalJSON() ([]byte, error) {
	if !finiteNonNeg(r.Low) || !finiteNonNeg(r.High) {
		return nil, fmt.Errorf("range [%v, %v] is not finite and non-negative", r.Low, r.High)
	}
	return []byte("[" + strconv.FormatFloat(r.Low, 'g', -1, 64) + "," + strconv.FormatFloat(r.High, 'g', -1, 64) + "]"), nil
}

// UnmarshalJSON reads [low, high].
func (r *Range) UnmarshalJSON(b []byte) error {
	var v []float64
	if err := jsonUnmarshal(b, &v); err != nil || len(v) != 2 {
		return fmt.Errorf("want [low, high], got %s", b)
	}
	r.Low, r.High = v[0], v[1]
	return nil
}

// Evidence kinds of a figure, as the profile file names them.
const (
	KindMeasured  = "measured"  // measured on fabricated silicon
	KindSimulated = "simulated" // pre-silicon circuit simulation by the designers
	KindDatasheet = "datasheet" // a vendor's specification
	KindEstimate  = "estimate"  // a published estimate for a technology node, not one chip
	KindDerived   = "derived"   // arithmetic on published figures, shown in the source
	KindOverview  = "overview"  // a range quoted by a secondary overview
	KindIncluded  = "included"  // inside another figure of the profile; 0 pJ
)

var kinds = []string{KindMeasured, KindSimulated, KindDatasheet, KindEstimate, KindDerived, KindOverview, KindIncluded}

// Figure is the energy of one operation on a piece of hardware.
type Figure struct {
	// PJ is the energy per operation in picojoules, a range where the
	// source gives one.
	PJ Range `json:"pj"`
	// Kind is the kind of evidence (KindMeasured, ...).
	Kind string `json:"kind"`
	// Source names the paper, datasheet or overview, with its table or
	// page where there is one, and any arithmetic done on it.
	Source string `json:"source"`
}

// Modes of a profile.
const (
	// ModeEvent charges what the event-driven run did: SynOps, MACs,
	// neuron updates and output spikes.
	ModeEvent = "event"
	// ModeDense charges what a dense forward of the same network does:
	// every product of every layer (DenseOps) and the neuron updates.
	ModeDense = "dense"
)

// Profile is the energy per operation of one piece of hardware.
type Profile struct {
	// Name is the key users select the profile by ("loihi").
	Name string `json:"name"`
	// Title is the hardware's name as a reader knows it.
	Title string `json:"title"`
	// Mode is ModeEvent or ModeDense.
	Mode string `json:"mode"`
	// SynOp is the energy of one synaptic operation (one spike delivered
	// over one synapse); nil for a dense profile.
	SynOp *Figure `json:"synop,omitempty"`
	// Neuron is the energy of one neuron state update.
	Neuron Figure `json:"neuron"`
	// MAC is the energy of one multiply-accumulate: the dense products of
	// analog inputs (event mode) or of every layer (dense mode).
	MAC Figure `json:"mac"`
	// Spike is the energy of one output spike's routing, nil where the
	// profile has no separate figure.
	Spike *Figure `json:"spike,omitempty"`
	// Notes says what the figures leave out or how to read them.
	Notes string `json:"notes,omitempty"`
	// File is the file the profile was read from (BuiltinProfilesFile for
	// the built-in ones).
	File string `json:"file"`
}

// BuiltinProfiles returns the hardware profiles that ship with the engine
// (infer/profiles.yaml): Loihi, Loihi 2, SpiNNaker 2, Speck, Akida,
// NorthPole, 32-bit float arithmetic at 45 nm (event-driven and dense) and
// an NVIDIA A100 GPU (dense).
func BuiltinProfiles() []Profile {
	ps, err := ParseProfiles(BuiltinProfilesFile, builtinProfiles)
	if err != nil {
		panic(err) // the embedded file is checked by TestBuiltinProfiles
	}
	return ps
}

// ReadProfiles reads a profile file (the schema of the built-in
// profiles.yaml). Errors name the file, and the profile and field at fault.
func ReadProfiles(path string) ([]Profile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("infer: profiles: %w", err)
	}
	return ParseProfiles(path, b)
}

// LoadProfiles returns the built-in profiles extended by the profile files
// at paths, in order: a profile whose name is already known replaces the
// earlier one in place, a new name is appended. replaced lists the names
// that were replaced, each as "name (file)".
func LoadProfiles(paths ...string) (ps []Profile, replaced []string, err error) {
	ps = BuiltinProfiles()
	for _, path := range paths {
		more, err := ReadProfiles(path)
		if err != nil {
			return nil, nil, err
		}
		var r []string
		ps, r = MergeProfiles(ps, more)
		replaced = append(replaced, r...)
	}
	return ps, replaced, nil
}

// MergeProfiles returns base with the profiles of extra: one of a name in
// base replaces it in place, a new one is appended. replaced names the
// replaced profiles as "name (file)". base is not modified.
func MergeProfiles(base, extra []Profile) (merged []Profile, replaced []string) {
	merged = slices.Clone(base)
	for _, p := range extra {
		i := slices.IndexFunc(merged, func(q Profile) bool { return q.Name == p.Name })
		if i >= 0 {
			merged[i] = p
			replaced = append(replaced, p.Name+" ("+p.File+")")
			continue
		}
		merged = append(merged, p)
	}
	return merged, replaced
}

// FindProfile returns the profile named name, or an error listing the
// names there are.
func FindProfile(ps []Profile, name string) (Profile, error) {
	var names []string
	for _, p := range ps {
		if p.Name == name {
			return p, nil
		}
		names = append(names, p.Name)
	}
	return Profile{}, fmt.Errorf("infer: no hardware profile %q (have %s)", name, strings.Join(names, ", "))
}

// profileError is an error at a place in a profile file.
type profileError struct {
	file    string
	line    int
	profile string
	field   string
	msg     string
}

func (e *profileError) Error() string {
	var b strings.Builder
	b.WriteString("infer: ")
	b.WriteString(e.file)
	if e.line > 0 {
		fmt.Fprintf(&b, ":%d", e.line)
	}
	if e.profile != "" {
		fmt.Fprintf(&b, ": profile %q", e.profile)
	}
	if e.field != "" {
		b.WriteString(": " + e.field)
	}
	b.WriteString(": " + e.msg)
	return b.String()
}

// ParseProfiles parses a profile file's contents; file names it in errors.
//
// The file is a mapping with version (1) and profiles, a list of profiles
// with name, title, mode (event or dense), the figures synop (event mode
// only, required there), neuron and mac (required), spike (optional), and
// notes. A figure has pj (a number or [low, high], picojoules), kind (one
// of measured, simulated, datasheet, estimate, derived, overview, included)
// and source, all required. It is an error for a key to be unknown or
// repeated, a figure to be missing, negative, not finite or a range with
// low > high, an included figure to be other than 0, a name to be empty or
// repeated within the file, and for the file to have no profile.
func ParseProfiles(file string, data []byte) ([]Profile, error) {
	fail := func(n *yaml.Node, profile, field, format string, args ...any) error {
		line := 0
		if n != nil {
			line = n.Line
		}
		return &profileError{file: file, line: line, profile: profile, field: field, msg: fmt.Sprintf(format, args...)}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("infer: %s: %w", file, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, fail(nil, "", "", "empty file: want version and profiles")
	}
	top, err := mapping(doc.Content[0], []string{"version", "profiles"}, func(n *yaml.Node, f string) error { return fail(n, "", "", "%s", f) })
	if err != nil {
		return nil, err
	}
	v, ok := top["version"]
	if !ok {
		return nil, fail(doc.Content[0], "", "version", "missing (want %d)", ProfilesVersion)
	}
	if v.Kind != yaml.ScalarNode || v.Value != strconv.Itoa(ProfilesVersion) {
		return nil, fail(v, "", "version", "%q: this spikegrad reads version %d", v.Value, ProfilesVersion)
	}
	list, ok := top["profiles"]
	if !ok {
		return nil, fail(doc.Content[0], "", "profiles", "missing")
	}
	if list.Kind != yaml.SequenceNode || len(list.Content) == 0 {
		return nil, fail(list, "", "profiles", "want a list of at least one profile")
	}
	var out []Profile
	seen := map[string]int{}
	for i, pn := range list.Content {
		id := fmt.Sprintf("#%d", i+1)
		// Name first, so that later errors can name the profile.
		if pn.Kind == yaml.MappingNode {
			for k := 0; k+1 < len(pn.Content); k += 2 {
				if pn.Content[k].Value == "name" && pn.Content[k+1].Value != "" {
					id = pn.Content[k+1].Value
				}
			}
		}
		fields, err := mapping(pn, []string{"name", "title", "mode", "synop", "neuron", "mac", "spike", "notes"},
			func(n *yaml.Node, f string) error { return fail(n, id, "", "%s", f) })
		if err != nil {
			return nil, err
		}
		p := Profile{File: file}
		str := func(key string, required bool) (string, error) {
			n, ok := fields[key]
			if !ok {
				if required {
					return "", fail(pn, id, key, "missing")
				}
				return "", nil
			}
			if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || strings.TrimSpace(n.Value) == "" {
				return "", fail(n, id, key, "want non-empty text")
			}
			return strings.TrimSpace(n.Value), nil
		}
		if p.Name, err = str("name", true); err != nil {
			return nil, err
		}
		if j, dup := seen[p.Name]; dup {
			return nil, fail(fields["name"], id, "name", "repeated (profile #%d has it too)", j+1)
		}
		seen[p.Name] = i
		if p.Title, err = str("title", true); err != nil {
			return nil, err
		}
		if p.Mode, err = str("mode", true); err != nil {
			return nil, err
		}
		if p.Mode != ModeEvent && p.Mode != ModeDense {
			return nil, fail(fields["mode"], id, "mode", "%q: want event or dense", p.Mode)
		}
		if p.Notes, err = str("notes", false); err != nil {
			return nil, err
		}
		figure := func(key string) (*Figure, error) {
			n, ok := fields[key]
			if !ok {
				return nil, nil
			}
			return parseFigure(n, func(n *yaml.Node, field, format string, args ...any) error {
				return fail(n, id, key+"."+field, format, args...)
			}, func(n *yaml.Node, f string) error { return fail(n, id, key, "%s", f) })
		}
		for _, req := range []struct {
			key string
			dst *Figure
		}{{"neuron", &p.Neuron}, {"mac", &p.MAC}} {
			f, err := figure(req.key)
			if err != nil {
				return nil, err
			}
			if f == nil {
				return nil, fail(pn, id, req.key, "missing (every profile needs neuron and mac)")
			}
			*req.dst = *f
		}
		if p.SynOp, err = figure("synop"); err != nil {
			return nil, err
		}
		switch {
		case p.Mode == ModeEvent && p.SynOp == nil:
			return nil, fail(pn, id, "synop", "missing (an event profile needs the energy of a synaptic operation)")
		case p.Mode == ModeDense && p.SynOp != nil:
			return nil, fail(fields["synop"], id, "synop", "given for a dense profile, which charges every product as a mac: remove it or use mode: event")
		}
		if p.Spike, err = figure("spike"); err != nil {
			return nil, err
		}
		if p.Mode == ModeDense && p.Spike != nil {
			return nil, fail(fields["spike"], id, "spike", "given for a dense profile, which has no spikes to route")
		}
		out = append(out, p)
	}
	return out, nil
}

// mapping checks that n is a mapping whose keys are in allowed and not
// repeated, and returns its values by key.
func mapping(n *yaml.Node, allowed []string, fail func(*yaml.Node, string) error) (map[string]*yaml.Node, error) {
	if n.Kind != yaml.MappingNode {
		return nil, fail(n, "want a mapping of "+strings.Join(allowed, ", "))
	}
	m := map[string]*yaml.Node{}
	for k := 0; k+1 < len(n.Content); k += 2 {
		key := n.Content[k].Value
		if !slices.Contains(allowed, key) {
			return nil, fail(n.Content[k], fmt.Sprintf("unknown key %q (want %s)", key, strings.Join(allowed, ", ")))
		}
		if _, dup := m[key]; dup {
			return nil, fail(n.Content[k], fmt.Sprintf("key %q repeated", key))
		}
		m[key] = n.Content[k+1]
	}
	return m, nil
}

// parseFigure reads a figure: pj, kind and source.
func parseFigure(n *yaml.Node, fail func(n *yaml.Node, field, format string, args ...any) error, failMap func(*yaml.Node, string) error) (*Figure, error) {
	fields, err := mapping(n, []string{"pj", "kind", "source"}, failMap)
	if err != nil {
		return nil, err
	}
	f := &Figure{}
	pj, ok := fields["pj"]
	if !ok {
		return nil, fail(n, "pj", "missing (energy per operation in picojoules, a number or [low, high])")
	}
	num := func(v *yaml.Node) (float64, error) {
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			return 0, fail(v, "pj", "want a number or [low, high]")
		}
		x, err := strconv.ParseFloat(v.Value, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, fail(v, "pj", "%q is not a finite number", v.Value)
		}
		if x < 0 {
			return 0, fail(v, "pj", "%v is negative", x)
		}
		return x, nil
	}
	switch pj.Kind {
	case yaml.SequenceNode:
		if len(pj.Content) != 2 {
			return nil, fail(pj, "pj", "a range has two numbers [low, high], got %d", len(pj.Content))
		}
		if f.PJ.Low, err = num(pj.Content[0]); err != nil {
			return nil, err
		}
		if f.PJ.High, err = num(pj.Content[1]); err != nil {
			return nil, err
		}
		if f.PJ.Low > f.PJ.High {
			return nil, fail(pj, "pj", "range [%v, %v] has low > high", f.PJ.Low, f.PJ.High)
		}
	default:
		x, err := num(pj)
		if err != nil {
			return nil, err
		}
		f.PJ = Point(x)
	}
	for _, key := range []string{"kind", "source"} {
		v, ok := fields[key]
		if !ok {
			return nil, fail(n, key, "missing")
		}
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" || strings.TrimSpace(v.Value) == "" {
			return nil, fail(v, key, "want non-empty text")
		}
		if key == "kind" {
			f.Kind = v.Value
		} else {
			f.Source = strings.Join(strings.Fields(v.Value), " ")
		}
	}
	if !slices.Contains(kinds, f.Kind) {
		return nil, fail(fields["kind"], "kind", "%q: want one of %s", f.Kind, strings.Join(kinds, ", "))
	}
	if f.Kind == KindIncluded && f.PJ.High != 0 {
		return nil, fail(pj, "pj", "an included figure is inside another one and must be 0")
	}
	return f, nil
}
