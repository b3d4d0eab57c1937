package infer

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// testStats is a hand-made run of a 784-100-10 network of LIF layers at
// T = 25: fc1 delivers 2000 input spikes' worth of SynOps per sample out
// of 784·100·25 = 1,960,000 dense products, lif1 fires 250 spikes
// (rate 250 / (100·25) = 0.1) with 100·25 = 2500 updates, fc2 delivers
// those 250 spikes to 10 outputs (2500 SynOps of 100·10·25 = 25,000),
// lif2 fires 20 spikes (20 / 250 = 0.08) with 250 updates.
func testStats() *Stats {
	return &Stats{Samples: 10, Steps: 25, Accuracy: 0.9, Layers: []LayerStats{
		{Layer: "fc1", Kind: "linear", Neurons: 100, SynOps: 2000, DenseOps: 1960000},
		{Layer: "lif1", Kind: "lif", Neurons: 100, Spikes: 250, Rate: 0.1, NeuronUpdates: 2500},
		{Layer: "fc2", Kind: "linear", Neurons: 10, SynOps: 2500, DenseOps: 25000},
		{Layer: "lif2", Kind: "lif", Neurons: 10, Spikes: 20, Rate: 0.08, NeuronUpdates: 250},
	}}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(math.Abs(a), math.Abs(b)) }

func TestTotals(t *testing.T) {
	s := testStats()
	tot := s.Totals()
	// Sums of the layers above: SynOps 2000 + 2500, dense 1,960,000 +
	// 25,000, updates 2500 + 250, spikes 250 + 20 over 110 neurons·25 steps.
	if tot.SynOps != 4500 || tot.DenseOps != 1985000 || tot.NeuronUpdates != 2750 || tot.Spikes != 270 || tot.Neurons != 110 {
		t.Errorf("totals %+v", tot)
	}
	if !near(tot.Rate, 270.0/2750) {
		t.Errorf("total rate %v, want 270/2750", tot.Rate)
	}
	f, ok := s.DoneFraction()
	if !ok || !near(f, 4500.0/1985000) {
		t.Errorf("done fraction %v %v, want 4500/1985000", f, ok)
	}
	if _, ok := s.Layers[1].DoneFraction(); ok {
		t.Error("a neuron layer without weights has a done fraction")
	}
}

func TestBuiltinProfiles(t *testing.T) {
	ps := BuiltinProfiles()
	for _, name := range []string{"loihi", "loihi2", "spinnaker2", "speck", "akida", "northpole", "fp32-45nm", "fp32-45nm-dense", "gpu-a100"} {
		if _, err := FindProfile(ps, name); err != nil {
			t.Error(err)
		}
	}
	l, _ := FindProfile(ps, "loihi")
	// Davies et al. 2018, IEEE Micro, Table 2: 23.6 pJ per synaptic spike
	// op (min), 52 / 81 pJ per neuron update (inactive / active).
	if l.SynOp.PJ != Point(23.6) || l.Neuron.PJ != (Range{52, 81}) || !strings.Contains(l.SynOp.Source, "Table 2") {
		t.Errorf("loihi: synop %v (%s), neuron %v", l.SynOp.PJ, l.SynOp.Source, l.Neuron.PJ)
	}
	// Horowitz, ISSCC 2014: FP32 multiply 3.7 pJ + add 0.9 pJ = 4.6 pJ.
	c, _ := FindProfile(ps, "fp32-45nm-dense")
	if c.MAC.PJ != Point(4.6) || c.Mode != ModeDense {
		t.Errorf("fp32-45nm-dense: mac %v, mode %s", c.MAC.PJ, c.Mode)
	}
	for _, p := range ps {
		if p.File != BuiltinProfilesFile {
			t.Errorf("%s: file %q", p.Name, p.File)
		}
	}
	if _, err := FindProfile(ps, "tpu"); err == nil || !strings.Contains(err.Error(), "loihi, loihi2") {
		t.Errorf("unknown profile: %v", err)
	}
}

func TestEnergy(t *testing.T) {
	s := testStats()
	ps := BuiltinProfiles()
	l, _ := FindProfile(ps, "loihi")
	e := s.Energy(l)
	// 4500 SynOps × 23.6 pJ = 106,200 pJ; 2750 updates × [52, 81] pJ =
	// [143,000, 222,750] pJ; 270 spikes × [1.7, 5.7] pJ = [459, 1539] pJ.
	want := Range{(106200 + 143000 + 459) * 1e-12, (106200 + 222750 + 1539) * 1e-12}
	if !near(e.Total.Low, want.Low) || !near(e.Total.High, want.High) || e.MACs != (Range{}) {
		t.Errorf("loihi: %+v, want total %v", e, want)
	}
	d, _ := FindProfile(ps, "fp32-45nm-dense")
	e = s.Energy(d)
	// Dense: 1,985,000 products × 4.6 pJ + 2750 updates × 6.4 pJ =
	// 9,131,000 + 17,600 pJ; SynOps and spikes are not charged.
	if !near(e.Total.Low, 9148600e-12) || e.Total.Low != e.Total.High || e.SynOps != (Range{}) || e.Spikes != (Range{}) {
		t.Errorf("dense: %+v, want 9,148,600 pJ", e)
	}
	// An event profile charges MACs of analog inputs at the mac figure:
	// 1000 MACs × 4.6 pJ on fp32-45nm.
	s.Layers[0].MACs = 1000
	ev, _ := FindProfile(ps, "fp32-45nm")
	if e := s.Energy(ev); !near(e.MACs.Low, 4600e-12) {
		t.Errorf("event MACs %v, want 4600 pJ", e.MACs)
	}
}

// writeFile writes a profile file into a temporary directory.
func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// goodProfile is a valid user profile; the error cases change one line.
const goodProfile = `version: 1
profiles:
  - name: mychip
    title: My chip
    mode: event
    synop: {pj: [2, 3], kind: measured, source: lab bench 2026}
    neuron: {pj: 5, kind: measured, source: lab bench 2026}
    mac: {pj: 3, kind: derived, source: one synop}
`

func TestProfileErrors(t *testing.T) {
	if _, err := ParseProfiles("my.yaml", []byte(goodProfile)); err != nil {
		t.Fatalf("good profile: %v", err)
	}
	cases := []struct {
		name, from, to string
		want           []string // substrings of the error
	}{
		{"missing figure", "    mac: {pj: 3, kind: derived, source: one synop}\n", "", []string{`profile "mychip"`, "mac: missing"}},
		{"missing synop of an event profile", "    synop: {pj: [2, 3], kind: measured, source: lab bench 2026}\n", "", []string{`profile "mychip"`, "synop: missing"}},
		{"negative", "neuron: {pj: 5,", "neuron: {pj: -5,", []string{`profile "mychip"`, "neuron.pj", "negative"}},
		{"negative in a range", "pj: [2, 3]", "pj: [-2, 3]", []string{"synop.pj", "negative"}},
		{"low above high", "pj: [2, 3]", "pj: [3, 2]", []string{`profile "mychip"`, "synop.pj", "low > high"}},
		{"not a number", "neuron: {pj: 5,", "neuron: {pj: five,", []string{"neuron.pj", "not a finite number"}},
		{"NaN", "neuron: {pj: 5,", "neuron: {pj: .nan,", []string{"neuron.pj", "not a finite number"}},
		{"missing pj", "neuron: {pj: 5, ", "neuron: {", []string{"neuron.pj: missing"}},
		{"missing source", "mac: {pj: 3, kind: derived, source: one synop}", "mac: {pj: 3, kind: derived}", []string{"mac.source: missing"}},
		{"unknown key in a profile", "    title: My chip\n", "    title: My chip\n    watts: 3\n", []string{`profile "mychip"`, `unknown key "watts"`}},
		{"unknown key in a figure", "kind: derived, source: one synop}", "kind: derived, source: one synop, unit: nJ}", []string{`profile "mychip"`, "mac", `unknown key "unit"`}},
		{"unknown top key", "version: 1\n", "version: 1\nchips: []\n", []string{`unknown key "chips"`}},
		{"unknown kind", "kind: derived", "kind: guessed", []string{"mac.kind", `"guessed"`}},
		{"included but not zero", "neuron: {pj: 5, kind: measured", "neuron: {pj: 5, kind: included", []string{"neuron.pj", "must be 0"}},
		{"synop on a dense profile", "mode: event", "mode: dense", []string{"synop", "dense profile"}},
		{"bad mode", "mode: event", "mode: sparse", []string{"mode", `"sparse"`}},
		{"version", "version: 1", "version: 2", []string{"version", "reads version 1"}},
		{"no profiles", "profiles:\n", "other:\n", []string{`unknown key "other"`}},
	}
	for _, c := range cases {
		body := strings.Replace(goodProfile, c.from, c.to, 1)
		if body == goodProfile {
			t.Fatalf("%s: %q not in the good profile", c.name, c.from)
		}
		path := writeFile(t, "my.yaml", body)
		_, err := ReadProfiles(path)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range append(c.want, path) {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %q", c.name, err, w)
			}
		}
	}
	// A repeated name within one file.
	body := goodProfile + strings.SplitN(goodProfile, "profiles:\n", 2)[1]
	if _, err := ParseProfiles("my.yaml", []byte(body)); err == nil || !strings.Contains(err.Error(), "repeated") {
		t.Errorf("repeated name: %v", err)
	}
	if _, err := ReadProfiles(filepath.Join(t.TempDir(), "none.yaml")); err == nil || !strings.Contains(err.Error(), "none.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

func TestLoadProfiles(t *testing.T) {
	// A user file that replaces loihi and adds mychip.
	body := strings.Replace(goodProfile, "profiles:\n", `profiles:
  - name: loihi
    title: Loihi, measured by us
    mode: event
    synop: {pj: 30, kind: measured, source: our board}
    neuron: {pj: 60, kind: measured, source: our board}
    mac: {pj: 30, kind: derived, source: one synop}
`, 1)
	path := writeFile(t, "user.yaml", body)
	ps, replaced, err := LoadProfiles(path)
	if err != nil {
		t.Fatal(err)
	}
	builtin := BuiltinProfiles()
	if len(ps) != len(builtin)+1 {
		t.Errorf("%d profiles, want %d built in + 1 new", len(ps), len(builtin))
	}
	if len(replaced) != 1 || replaced[0] != "loihi ("+path+")" {
		t.Errorf("replaced %q", replaced)
	}
	// Replaced in place: still first, with the user's figure and file.
	if ps[0].Name != "loihi" || ps[0].SynOp.PJ != Point(30) || ps[0].File != path {
		t.Errorf("first profile %+v", ps[0])
	}
	if ps[len(ps)-1].Name != "mychip" {
		t.Errorf("last profile %q, want mychip", ps[len(ps)-1].Name)
	}
	if _, _, err := LoadProfiles(writeFile(t, "bad.yaml", "version: 1\nprofiles: []\n")); err == nil || !strings.Contains(err.Error(), "at least one profile") {
		t.Errorf("empty list: %v", err)
	}
}

func TestReport(t *testing.T) {
	ps := BuiltinProfiles()
	r, err := NewReport("run/model", "fmnist test", testStats(), ps)
	if err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	if err := r.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"**Accuracy: 90.00 %**",
		// fc1: 2000 of 1,960,000 products = 0.102 %.
		"| `fc1` | linear | 100 | – | – | 2k | 0 | 1.96M | 0.102 % |",
		// lif1: 250 spikes, rate 0.1.
		"| `lif1` | lif | 100 | 250 | 10 % | – | – | – | – |",
		// Total: 4500 of 1,985,000 = 0.227 %; rate 270/2750 = 9.82 %.
		"| **total** |  | 110 | 270 | 9.82 % | 4.5k | 0 | 1.99M | 0.227 % |",
		// Loihi: [249,659, 330,489] pJ (TestEnergy).
		"| Intel Loihi (14 nm) | `loihi` | what the run did | 250–330 nJ |",
		// Dense 45 nm: 9,148,600 pJ.
		"| FP32 arithmetic, 45 nm (dense) | `fp32-45nm-dense` | a dense forward | 9.15 µJ |",
		"synaptic op: 23.6 pJ (simulated). Davies et al.",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
	dir := filepath.Join(t.TempDir(), "report")
	paths, err := r.Save(dir)
	if err != nil || len(paths) != 2 {
		t.Fatal(paths, err)
	}
	back, err := ReadReport(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, r) {
		t.Errorf("report.json did not read back the same:\n%+v\n%+v", back, r)
	}
}

func TestReportErrors(t *testing.T) {
	s := testStats()
	s.Layers[1].Spikes = math.NaN()
	if _, err := NewReport("", "", s, nil); err == nil || !strings.Contains(err.Error(), `"lif1"`) {
		t.Errorf("NaN spikes: %v", err)
	}
	r, err := NewReport("", "", testStats(), BuiltinProfiles()[:1])
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	good := b.String()
	cases := []struct{ name, from, to, want string }{
		{"version", `"version": 1`, `"version": 2`, "version 2"},
		{"unknown key", `"samples": 10`, `"samples": 10, "batch": 3`, `unknown field "batch"`},
		{"negative", `"spikes": 250`, `"spikes": -250`, `"lif1"`},
		{"range", `"total_j": [`, `"total_j": [1, 0], "x": [`, `unknown field "x"`},
	}
	for _, c := range cases {
		body := strings.Replace(good, c.from, c.to, 1)
		if body == good {
			t.Fatalf("%s: %q not in the report", c.name, c.from)
		}
		path := writeFile(t, "report.json", body)
		if _, err := ReadReport(path); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v (want %q and the path)", c.name, err, c.want)
		}
	}
}

func TestFormats(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{Count(0), "0"}, {Count(0.5), "0.5"}, {Count(999), "999"}, {Count(48210), "48.2k"}, {Count(1234567), "1.23M"},
		{Count(999.9), "1k"},
		{Joules(Range{}), "0"}, {Joules(Point(4.1e-6)), "4.1 µJ"}, {Joules(Range{1.2e-7, 1.2e-6}), "0.12–1.2 µJ"},
		{Joules(Point(3e-13)), "300 fJ"}, {percent(0.00102), "0.102 %"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
