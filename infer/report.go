package infer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spikegrad/spikegrad/internal/atomicfile"
	"github.com/spikegrad/spikegrad/model"
)

// The files of a report directory.
const (
	ReportMarkdown = "report.md"   // the report to read or paste
	ReportJSON     = "report.json" // the same report for programs (spikegrad plot)
)

// ReportVersion is the version of the report.json format.
const ReportVersion = 1

// Report is what an inference run measured and what it would cost on each
// hardware profile: the content of report.md and report.json.
//
// report.json is one JSON object:
//
//	{"version": 1, "model": "...", "data": "...",
//	 "stats": {"samples": ..., "steps": ..., "accuracy": ..., "layers": [{"layer": ..., "kind": ...,
//	           "neurons": ..., "spikes": ..., "rate": ..., "synops": ..., "macs": ...,
//	           "dense_ops": ..., "neuron_updates": ...}, ...]},
//	 "energy": [{"profile": {"name": ..., "title": ..., "mode": ..., "synop": {"pj": [lo, hi],
//	             "kind": ..., "source": ...}, "neuron": {...}, "mac": {...}, "spike": {...},
//	             "notes": ..., "file": ...},
//	            "total_j": [lo, hi], "synops_j": [lo, hi], "macs_j": [lo, hi],
//	            "neurons_j": [lo, hi], "spikes_j": [lo, hi]}, ...]}
//
// Counts are per sample; energies are joules per sample; rates and the
// accuracy are fractions. A reader refuses another version and unknown keys.
type Report struct {
	Version int `json:"version"`
	// Model and Data say what was run on what (a path, a dataset name);
	// free text, may be empty.
	Model string `json:"model,omitempty"`
	Data  string `json:"data,omitempty"`
	// Stats is what the run measured.
	Stats Stats `json:"stats"`
	// Energy is the energy per sample on each profile.
	Energy []Energy `json:"energy"`
}

// NewReport returns the report of a run on the given profiles. It is an
// error for the statistics to hold a negative or non-finite figure.
func NewReport(model, data string, s *Stats, profiles []Profile) (*Report, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return &Report{Version: ReportVersion, Model: model, Data: data, Stats: *s, Energy: s.Energies(profiles)}, nil
}

// WriteJSON writes the report as report.json's format, indented.
func (r *Report) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("infer: report: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// ReadReport reads a report.json, or the report.json inside a directory.
// Errors name the file.
func ReadReport(path string) (*Report, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, ReportJSON)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("infer: report: %w", err)
	}
	r, err := ParseReport(b)
	if err != nil {
		return nil, fmt.Errorf("infer: %s: %w", path, err)
	}
	return r, nil
}

// ParseReport parses report.json's contents, refusing another version,
// unknown keys, trailing data and figures that are negative or not finite.
func ParseReport(b []byte) (*Report, error) {
	var head struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("not a report: %w", err)
	}
	if head.Version != ReportVersion {
		return nil, fmt.Errorf("report version %d: this spikegrad reads version %d", head.Version, ReportVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var r Report
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("report: data after the report object")
	}
	if err := r.Stats.check(); err != nil {
		return nil, err
	}
	for i, e := range r.Energy {
		for _, x := range []struct {
			name string
			v    Range
		}{{"total_j", e.Total}, {"synops_j", e.SynOps}, {"macs_j", e.MACs}, {"neurons_j", e.Neurons}, {"spikes_j", e.Spikes}} {
			if !finiteNonNeg(x.v.Low) || !finiteNonNeg(x.v.High) || x.v.Low > x.v.High {
				return nil, fmt.Errorf("report: energy %d (%q): %s [%v, %v]: want 0 <= low <= high", i, e.Profile.Name, x.name, x.v.Low, x.v.High)
			}
		}
		if e.Profile.Name == "" {
			return nil, fmt.Errorf("report: energy %d: profile without a name", i)
		}
	}
	return &r, nil
}

// Save writes report.md and report.json into dir, creating it, each file
// atomically (a crash leaves the old file or the new one). It returns the
// paths written.
func (r *Report) Save(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("infer: report: %w", err)
	}
	var paths []string
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{{ReportJSON, r.WriteJSON}, {ReportMarkdown, r.Markdown}} {
		path := filepath.Join(dir, f.name)
		if err := atomicfile.Write(path, f.write); err != nil {
			return paths, fmt.Errorf("infer: report: %w", err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// Markdown writes the report as Markdown a user can paste: the accuracy, a
// table per layer (spikes per sample, firing rate, SynOps, MACs, dense
// operations and the fraction of them done), the energy per sample on each
// profile with its range, and every figure used with its kind and source.
func (r *Report) Markdown(w io.Writer) error {
	var b strings.Builder
	s := &r.Stats
	b.WriteString("# Inference report\n\n")
	var what []string
	if r.Model != "" {
		what = append(what, "model `"+r.Model+"`")
	}
	if r.Data != "" {
		what = append(what, "data "+r.Data)
	}
	what = append(what, fmt.Sprintf("%d samples", s.Samples), fmt.Sprintf("%d time steps", s.Steps))
	b.WriteString(strings.Join(what, ", ") + ".\n\n")
	fmt.Fprintf(&b, "**Accuracy: %.2f %%**\n\n", 100*s.Accuracy)

	b.WriteString("## Activity and operations per sample\n\n")
	b.WriteString("| layer | kind | neurons | spikes | firing rate | SynOps | MACs | dense ops | done |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|--:|\n")
	row := func(l LayerStats, bold bool) {
		spikes, rate := "–", "–"
		if l.Spiking() {
			spikes, rate = Count(l.Spikes), percent(l.Rate)
		}
		done := "–"
		if f, ok := l.DoneFraction(); ok {
			done = percent(f)
		}
		synops, macs, dense := Count(l.SynOps), Count(l.MACs), Count(l.DenseOps)
		if l.SynOps == 0 && l.MACs == 0 && l.DenseOps == 0 {
			synops, macs, dense = "–", "–", "–" // a layer without weights
		}
		name, kind, neurons := "`"+l.Layer+"`", l.Kind, strconv.Itoa(l.Neurons)
		if bold {
			name, kind = "**total**", ""
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", name, kind, neurons,
			spikes, rate, synops, macs, dense, done)
	}
	for _, l := range s.Layers {
		row(l, false)
	}
	t := s.Totals()
	row(t, true)
	fmt.Fprintf(&b, "\nNeuron updates per sample: %s. A SynOp is one spike delivered over one synapse; a MAC "+
		"one product of an analog input with a weight; dense ops are the products a dense forward of the layer "+
		"does at every step; done is (SynOps + MACs) / dense ops.", Count(t.NeuronUpdates))
	if f, ok := t.DoneFraction(); ok {
		fmt.Fprintf(&b, " The network did %s of its dense operations.", percent(f))
	}
	b.WriteString("\n\n")

	if len(r.Energy) > 0 {
		b.WriteString("## Energy per sample\n\n")
		b.WriteString("| hardware | profile | charges | energy per sample | synaptic ops | MACs | neuron updates | spikes |\n")
		b.WriteString("|---|---|---|--:|--:|--:|--:|--:|\n")
		for _, e := range r.Energy {
			charges := "what the run did"
			if e.Profile.Mode == ModeDense {
				charges = "a dense forward"
			}
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s | %s | %s | %s |\n", e.Profile.Title, e.Profile.Name, charges,
				Joules(e.Total), Joules(e.SynOps), Joules(e.MACs), Joules(e.Neurons), Joules(e.Spikes))
		}
		b.WriteString("\nEnergies count the operations above times the energy per operation of each profile; " +
			"a range comes from a range in the figures. Chip leakage, memory traffic and I/O are not counted " +
			"unless a figure includes them.\n\n")
		b.WriteString("### Figures and sources\n\n")
		for _, e := range r.Energy {
			p := e.Profile
			fmt.Fprintf(&b, "- **%s** (`%s`, %s, from %s)\n", p.Title, p.Name, p.Mode, p.File)
			for _, f := range []struct {
				what string
				fig  *Figure
			}{{"synaptic op", p.SynOp}, {"neuron update", &p.Neuron}, {"MAC", &p.MAC}, {"spike", p.Spike}} {
				if f.fig == nil {
					continue
				}
				fmt.Fprintf(&b, "  - %s: %s (%s). %s\n", f.what, picojoules(f.fig.PJ), f.fig.Kind, f.fig.Source)
			}
			if p.Notes != "" {
				fmt.Fprintf(&b, "  - %s\n", p.Notes)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Spiking reports whether the layer emits spikes: a spiking neuron kind
// (LIF, Synaptic, IF, ALIF, PLIF, RLIF, RSynaptic, AdLIF, RadLIF), or any layer that counted spikes. A
// silent spiking layer is spiking; a linear layer or an LI read-out is not.
func (l LayerStats) Spiking() bool {
	switch l.Kind {
	case model.KindLIF, model.KindSynaptic, model.KindIF, model.KindALIF, model.KindPLIF, model.KindRLIF, model.KindRSynaptic, model.KindAdLIF, model.KindRadLIF:
		return true
	}
	return l.Spikes > 0 || l.Rate > 0
}

// Count formats a per-sample count: three significant digits, with k, M
// or G from a thousand on ("48.2k", "1.23M"), "0" for zero.
func Count(v float64) string {
	v = round3(v)
	switch {
	case v == 0:
		return "0"
	case v < 1000:
		return strconv.FormatFloat(round3(v), 'f', -1, 64)
	}
	for _, u := range []struct {
		s string
		k float64
	}{{"G", 1e9}, {"M", 1e6}, {"k", 1e3}} {
		if v >= u.k*(1-5e-4) {
			return strconv.FormatFloat(round3(v/u.k), 'f', -1, 64) + u.s
		}
	}
	return strconv.FormatFloat(round3(v), 'f', -1, 64)
}

// round3 rounds v to three significant digits.
func round3(v float64) float64 {
	if v == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	e := math.Pow(10, 2-math.Floor(math.Log10(math.Abs(v))))
	return math.Round(v*e) / e
}

// percent formats a fraction as a percentage with three significant digits.
func percent(f float64) string {
	if f == 0 {
		return "0 %"
	}
	return strconv.FormatFloat(round3(100*f), 'f', -1, 64) + " %"
}

// siEnergy formats joules in the unit that puts the value in [1, 1000).
func siEnergy(j float64) (float64, string) {
	for _, u := range []struct {
		s string
		k float64
	}{{"J", 1}, {"mJ", 1e-3}, {"µJ", 1e-6}, {"nJ", 1e-9}, {"pJ", 1e-12}} {
		if j >= u.k*(1-5e-4) {
			return j / u.k, u.s
		}
	}
	return j / 1e-15, "fJ"
}

// Joules formats an energy range in joules: "4.1 µJ", or "1.2–12 µJ" in the
// unit of the high end, "0" for [0, 0].
func Joules(r Range) string {
	if r.High == 0 {
		return "0"
	}
	hi, unit := siEnergy(r.High)
	k := r.High / hi
	if r.Low == r.High {
		return strconv.FormatFloat(round3(hi), 'f', -1, 64) + " " + unit
	}
	return strconv.FormatFloat(round3(r.Low/k), 'f', -1, 64) + "–" + strconv.FormatFloat(round3(hi), 'f', -1, 64) + " " + unit
}

// picojoules formats a figure's range in picojoules.
func picojoules(r Range) string {
	if r.Low == r.High {
		return strconv.FormatFloat(r.Low, 'f', -1, 64) + " pJ"
	}
	return strconv.FormatFloat(r.Low, 'f', -1, 64) + "–" + strconv.FormatFloat(r.High, 'f', -1, 64) + " pJ"
}
