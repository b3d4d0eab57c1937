package plots

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/rundir"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got with testdata/golden/name, or rewrites the file
// under -update.
func golden(t *testing.T, name string, got []byte, same func(t *testing.T, got, want []byte)) {
	t.Helper()
	p := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	same(t, got, want)
}

// sameText requires identical bytes and reports the first differing line.
// SVG output is text with numbers printed to 5 significant digits by the
// same code on every machine, so it is compared exactly.
func sameText(t *testing.T, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(gl), len(wl)) {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Errorf("differs from golden at line %d:\ngot:  %.200s\nwant: %.200s\n(run go test -update and look at the images if the change is intended)", i+1, g, w)
			return
		}
	}
}

// PNG tolerance. The rasteriser is pure Go, so on this machine the bytes
// are identical; elsewhere the anti-aliased coverage of edge pixels may
// move by a few levels when floating-point rounding differs (fused
// multiply-add on other architectures). A pixel counts as different when a
// channel moves by more than pngLevel of 255; at most pngFraction of the
// pixels may differ. A real change of layout (a shifted tick label, a
// moved line) changes thousands of pixels of the 960 × 720 image, several
// times the 0.1 % = 691 allowed.
const (
	pngLevel    = 24
	pngFraction = 0.001
)

// samePNG compares two PNG images pixel by pixel within the tolerance.
func samePNG(t *testing.T, got, want []byte) {
	t.Helper()
	g, err := png.Decode(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	w, err := png.Decode(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	if g.Bounds() != w.Bounds() {
		t.Fatalf("size %v, golden %v", g.Bounds(), w.Bounds())
	}
	n, worst := pixelDiff(g, w)
	total := g.Bounds().Dx() * g.Bounds().Dy()
	if float64(n) > pngFraction*float64(total) {
		t.Errorf("%d of %d pixels differ by more than %d levels (worst %d), more than %.1f %%", n, total, pngLevel, worst, 100*pngFraction)
	}
}

// pixelDiff counts the pixels with a channel differing by more than
// pngLevel and returns the largest channel difference.
func pixelDiff(a, b image.Image) (n int, worst int) {
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ar, ag, ab, aa := a.At(x, y).RGBA()
			br, bg, bb, ba := b.At(x, y).RGBA()
			d := 0
			for _, p := range [][2]uint32{{ar, br}, {ag, bg}, {ab, bb}, {aa, ba}} {
				d = max(d, int(math.Abs(float64(p[0]>>8)-float64(p[1]>>8))))
			}
			worst = max(worst, d)
			if d > pngLevel {
				n++
			}
		}
	}
	return n, worst
}

// fixture is a hand-made 3-epoch run: 50 optimizer steps per epoch, train
// loss and accuracy every step, rate/hidden, rate/output, samples_per_s and
// lr every 5th step, test loss, accuracy and rates after each epoch (at
// steps 50, 100 and 150 with epoch counts 1, 2 and 3).
const fixture = "testdata/run3/metrics.jsonl"

func TestReadMetricsFixture(t *testing.T) {
	ms, err := rundir.ReadMetrics(fixture)
	if err != nil {
		t.Fatal(err)
	}
	// 432 = `wc -l testdata/run3/metrics.jsonl`: 150 steps × 2 (loss,
	// accuracy) + 30 logging steps × 4 + 3 epochs × 4 test records.
	if len(ms) != 432 {
		t.Fatalf("got %d records, want 432", len(ms))
	}
	// The first line of the file.
	want := rundir.Metric{Step: 0, Epoch: 0, Split: "train", Name: "loss", Value: 2.245, Wall: 0.11}
	if ms[0] != want {
		t.Errorf("first record %+v, want %+v", ms[0], want)
	}
	// The last line: the test rate of the output layer after epoch 3.
	want = rundir.Metric{Step: 150, Epoch: 3, Split: "test", Name: "rate/output", Value: 0.032, Wall: 22.78}
	if got := ms[len(ms)-1]; got != want {
		t.Errorf("last record %+v, want %+v", got, want)
	}
}

func readFixture(t *testing.T) []rundir.Metric {
	t.Helper()
	ms, err := rundir.ReadMetrics(fixture)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func TestStepsPerEpoch(t *testing.T) {
	// The fixture has 50 steps per epoch: its first records with epoch
	// counts 1, 2, 3 are at steps 50, 100, 150, and (50+100+150)/(1+2+3) = 50.
	if spe, ok := StepsPerEpoch(readFixture(t)); !ok || spe != 50 {
		t.Errorf("StepsPerEpoch(fixture) = %v, %v; want 50, true", spe, ok)
	}
	// A writer that counts one step short: epochs complete at 467 and 935
	// instead of 468 and 936; (467+935)/(1+2) = 467.33.
	ms := []rundir.Metric{{Step: 467, Epoch: 1}, {Step: 935, Epoch: 2}, {Step: 0, Epoch: 0}}
	if spe, ok := StepsPerEpoch(ms); !ok || math.Abs(spe-1402.0/3) > 1e-12 {
		t.Errorf("StepsPerEpoch = %v, %v; want 467.33, true", spe, ok)
	}
	if _, ok := StepsPerEpoch([]rundir.Metric{{Step: 10, Epoch: 0}}); ok {
		t.Error("StepsPerEpoch inferred a value without a completed epoch")
	}
}

func TestEMA(t *testing.T) {
	// Span 3: α = 2/(3+1) = 0.5. By hand:
	//   m0 = 0.5·4 = 2,            debias 1−0.5 = 0.5   → 4
	//   m1 = 0.5·2 + 0.5·8 = 5,    debias 1−0.25 = 0.75 → 6.6667
	//   NaN skipped                                      → NaN
	//   m2 = 0.5·5 + 0.5·2 = 3.5,  debias 1−0.125       → 4
	got := EMA([]float64{4, 8, math.NaN(), 2}, 3)
	want := []float64{4, 20.0 / 3, math.NaN(), 4}
	for i := range want {
		if math.IsNaN(want[i]) != math.IsNaN(got[i]) || (!math.IsNaN(want[i]) && math.Abs(got[i]-want[i]) > 1e-12) {
			t.Errorf("EMA[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	// Span 1 is the identity; a constant stays constant (the debiasing).
	if got := EMA([]float64{1, 5, 2}, 1); !slices.Equal(got, []float64{1, 5, 2}) {
		t.Errorf("EMA span 1 = %v, want the input", got)
	}
	for i, v := range EMA([]float64{0.7, 0.7, 0.7, 0.7}, 10) {
		if math.Abs(v-0.7) > 1e-15 {
			t.Errorf("EMA of a constant [%d] = %v, want 0.7", i, v)
		}
	}
}

func TestNiceTicks(t *testing.T) {
	labels := func(tk niceTicks, lo, hi float64) string {
		var ls []string
		for _, t := range tk.Ticks(lo, hi) {
			if t.Label != "" {
				ls = append(ls, t.Label)
			}
		}
		return strings.Join(ls, " ")
	}
	for _, tc := range []struct {
		tk     niceTicks
		lo, hi float64
		want   string
	}{
		// Range/6 = 0.5 → step 0.5, but epochs take integer steps.
		{niceTicks{integer: true}, 0, 3, "0 1 2 3"},
		// Range/6 = 0.37 → step 0.5, one decimal.
		{niceTicks{}, 0.17, 2.39, "0.5 1.0 1.5 2.0"},
		// Range/6 = 15.8 → step 20.
		{niceTicks{}, 5.2, 100, "20 40 60 80 100"},
		// Range/6 = 1.7e-4 → step 2e-4, exponent labels.
		{niceTicks{}, 0, 1e-3, "0 2e-4 4e-4 6e-4 8e-4 1e-3"},
		// Range/6 = 5e5 → step 5e5, magnitude ≥ 1e6.
		{niceTicks{}, 0, 3e6, "0 5e5 1e6 1.5e6 2e6 2.5e6 3e6"},
		// Negative and positive: no "-0".
		{niceTicks{}, -1, 1, "-1.0 -0.5 0.0 0.5 1.0"},
	} {
		if got := labels(tc.tk, tc.lo, tc.hi); got != tc.want {
			t.Errorf("ticks of [%g, %g] = %q, want %q", tc.lo, tc.hi, got, tc.want)
		}
	}
	if ts := (niceTicks{}).Ticks(1, 1); ts != nil {
		t.Errorf("ticks of an empty range = %v, want none", ts)
	}
}

// TestSaveRunPlotsGolden writes the standard figures of the fixture run and
// compares every SVG with its golden file, and loss.png within the PNG
// tolerance.
func TestSaveRunPlotsGolden(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run3")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "metrics.jsonl"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	paths, err := SaveRunPlots(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	want := []string{"loss.png", "loss.svg", "accuracy.png", "accuracy.svg", "rates.png", "rates.svg",
		"samples_per_s.png", "samples_per_s.svg", "lr.png", "lr.svg"}
	if !slices.Equal(names, want) {
		t.Fatalf("wrote %v, want %v", names, want)
	}
	// Nothing else in plots/: no temporary file left behind.
	entries, err := os.ReadDir(filepath.Join(dir, "plots"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Errorf("plots/ holds %d files, want %d", len(entries), len(want))
	}
	for _, p := range paths {
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		switch name := filepath.Base(p); {
		case strings.HasSuffix(name, ".svg"):
			golden(t, name, got, sameText)
		case name == "loss.png":
			golden(t, name, got, samePNG)
		default:
			if _, err := png.Decode(bytes.NewReader(got)); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
}

// TestOverlayGolden draws three runs against wall time, one of which
// diverges (null values from step 91), and compares the SVG.
func TestOverlayGolden(t *testing.T) {
	figs, err := LearningCurves(overlayRuns(t), CurveOptions{X: ByWall})
	if err != nil {
		t.Fatal(err)
	}
	if len(figs) != 2 || figs[0].Name != "loss" || figs[1].Name != "accuracy" {
		t.Fatalf("got %d figures, want loss and accuracy", len(figs))
	}
	loss := figs[0]
	// The diverging run's notes: its wall times are the fixture's × 0.8;
	// its train loss turns NaN at step 91, which the fixture logs at
	// 12.59 s (× 0.8 = 10.07 s); its test loss at step 100, 15.16 s in the
	// fixture (× 0.8 = 12.13 s).
	wantNotes := []string{
		"lr=1e-2 train: values not finite from 10.1 s on",
		"lr=1e-2 test: values not finite from 12.1 s on",
	}
	if !slices.Equal(loss.Notes, wantNotes) {
		t.Errorf("notes %q, want %q", loss.Notes, wantNotes)
	}
	if got := loss.Plot.X.Label.Text; got != "wall time (s)" {
		t.Errorf("x label %q, want %q", got, "wall time (s)")
	}
	var buf bytes.Buffer
	if err := loss.Encode(&buf, SVG); err != nil {
		t.Fatal(err)
	}
	golden(t, "overlay_loss_wall.svg", buf.Bytes(), sameText)
}

// overlayRuns returns the fixture under three labels: as is; with values
// 10 % higher (accuracy 5 % lower) and 1.7 times slower; and 1.25 times
// faster with loss and accuracy null from step 91 on.
func overlayRuns(t *testing.T) []Run {
	ms := readFixture(t)
	var slow, diverged []rundir.Metric
	for _, m := range ms {
		s := m
		s.Value *= 1.1
		if m.Name == "accuracy" {
			s.Value = m.Value * 0.95
		}
		s.Wall *= 1.7
		slow = append(slow, s)
		d := m
		d.Wall *= 0.8
		if m.Step >= 91 && (m.Name == "loss" || m.Name == "accuracy") {
			d.Value = math.NaN()
		}
		diverged = append(diverged, d)
	}
	return []Run{{Label: "lr=1e-3", Metrics: ms}, {Label: "lr=3e-3", Metrics: slow}, {Label: "lr=1e-2", Metrics: diverged}}
}

func TestWallUnits(t *testing.T) {
	// 180 units is the largest count of one unit before the next is used.
	for _, tc := range []struct {
		wall float64
		div  float64
		unit string
	}{{180, 1, "s"}, {181, 60, "min"}, {3 * 3600, 60, "min"}, {3*3600 + 1, 3600, "h"}} {
		if div, unit := wallUnit(tc.wall); div != tc.div || unit != tc.unit {
			t.Errorf("wallUnit(%v) = %v %s, want %v %s", tc.wall, div, unit, tc.div, tc.unit)
		}
	}
}

func TestResumedRunKeepsLatestAttempt(t *testing.T) {
	// Steps 0..3 logged, crash, resume from the checkpoint at step 2:
	// steps 2 and 3 are logged again with other values. The series must be
	// 0, 1 (first attempt), 2, 3 (second attempt).
	ms := []rundir.Metric{
		{Step: 0, Split: "train", Name: "loss", Value: 4},
		{Step: 1, Split: "train", Name: "loss", Value: 3},
		{Step: 2, Split: "train", Name: "loss", Value: 9},
		{Step: 3, Split: "train", Name: "loss", Value: 9},
		{Step: 2, Split: "train", Name: "loss", Value: 2},
		{Step: 3, Split: "train", Name: "loss", Value: 1},
	}
	ss, _, err := collect([]Run{{Metrics: ms}}, panelFor("loss"), CurveOptions{X: ByStep})
	if err != nil {
		t.Fatal(err)
	}
	var got []float64
	for _, p := range ss[0].pts {
		got = append(got, p.y)
	}
	if want := []float64{4, 3, 2, 1}; !slices.Equal(got, want) {
		t.Errorf("series %v, want %v", got, want)
	}
}

func TestCurveErrors(t *testing.T) {
	inFirstEpoch := []rundir.Metric{{Step: 3, Epoch: 0, Split: "train", Name: "loss", Value: 1}}
	if _, err := LearningCurves([]Run{{Label: "new", Metrics: inFirstEpoch}}, CurveOptions{}); !errors.Is(err, ErrNoEpoch) {
		t.Errorf("by epoch without a completed epoch: got %v, want ErrNoEpoch", err)
	}
	if _, err := LearningCurves([]Run{{Metrics: inFirstEpoch}}, CurveOptions{StepsPerEpoch: 10}); err != nil {
		t.Errorf("with StepsPerEpoch given: %v", err)
	}
	onlyLR := []rundir.Metric{{Step: 3, Epoch: 1, Split: "train", Name: "lr", Value: 1}}
	if _, err := LearningCurves([]Run{{Metrics: onlyLR}}, CurveOptions{}); !errors.Is(err, rundir.ErrNoMetrics) {
		t.Errorf("without loss or accuracy: got %v, want ErrNoMetrics", err)
	}
	if _, err := MetricCurves([]Run{{Metrics: onlyLR}}, "rate/", CurveOptions{}); !errors.Is(err, rundir.ErrNoMetrics) {
		t.Errorf("rates without rate records: got %v, want ErrNoMetrics", err)
	}
	if _, err := MetricCurves([]Run{{Metrics: onlyLR}}, "lr", CurveOptions{X: XAxis(7)}); err == nil || !strings.Contains(err.Error(), "XAxis(7)") {
		t.Errorf("unknown axis: got %v, want an error naming XAxis(7)", err)
	}
}

func TestSaveRunPlotsErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := SaveRunPlots(dir)
	want := filepath.Join(dir, "metrics.jsonl")
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("missing metrics: got %v, want an error naming %s", err, want)
	}
	if err := os.WriteFile(want, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = SaveRunPlots(dir)
	if !errors.Is(err, rundir.ErrNoMetrics) || !strings.Contains(err.Error(), want) {
		t.Errorf("empty metrics: got %v, want ErrNoMetrics naming %s", err, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "plots")); err == nil {
		t.Error("plots/ created for a run without metrics")
	}
}

func TestSaveRunPlotsFirstEpochUsesSteps(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for s := range 20 {
		fmt.Fprintf(&b, `{"step":%d,"epoch":0,"split":"train","name":"loss","value":%g,"wall":%g}`+"\n", s, 2.0-0.05*float64(s), 0.1*float64(s))
	}
	if err := os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	paths, err := SaveRunPlots(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 2 {
		t.Fatalf("wrote %v, want loss.png and loss.svg", paths)
	}
	svg, err := os.ReadFile(paths[1])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(svg, []byte(">step</text>")) {
		t.Error("the x axis of a run in its first epoch is not labelled step")
	}
}

func TestSaveWritesAtomically(t *testing.T) {
	figs, err := LearningCurves([]Run{{Label: "r", Metrics: readFixture(t)}}, CurveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "loss.svg")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := figs[0].Save(p); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(got, []byte("<?xml")) || !bytes.HasSuffix(bytes.TrimSpace(got), []byte("</svg>")) {
		t.Errorf("loss.svg is not a whole SVG document: %.40q…", got)
	}
	if err := figs[0].Save(filepath.Join(dir, "loss.gif")); err == nil || !strings.Contains(err.Error(), "loss.gif") {
		t.Errorf("unsupported extension: got %v, want an error naming loss.gif", err)
	}
	if err := figs[0].Save(filepath.Join(dir, "absent", "loss.png")); err == nil {
		t.Error("saving into a missing directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after the failures, want only loss.svg", len(entries))
	}
}
