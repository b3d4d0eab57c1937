package plots

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// sweepTrials is a hand-made sweep of 12 trials over a learning rate
// (1e-4 to 1e-2, log-uniform), a decay factor and a neuron model. The
// accuracy peaks at lr 1e-3 and grows with beta: 0.9 − 0.1·|log10(lr) + 3|
// + 0.2·(beta − 0.9), minus 0.05 for the synaptic model. Trial t0004
// failed (diverged), t0009 has no value yet (pending), t0006 was stopped
// by successive halving.
func sweepTrials() []SweepTrial {
	lrs := []float64{1e-4, 2e-4, 5e-4, 1e-3, 3e-2, 2e-3, 5e-3, 1e-2, 3e-4, 8e-4, 4e-3, 1.5e-3}
	var ts []SweepTrial
	for i, lr := range lrs {
		beta := 0.8 + 0.015*float64(i)
		neuron := "lif"
		if i%3 == 2 {
			neuron = "synaptic"
		}
		acc := 0.9 - 0.1*math.Abs(math.Log10(lr)+3) + 0.2*(beta-0.9)
		if neuron == "synaptic" {
			acc -= 0.05
		}
		t := SweepTrial{ID: "t" + strconv.Itoa(10000 + i)[1:], Metric: acc, State: "done",
			Params: map[string]string{
				"train.lr":     strconv.FormatFloat(lr, 'g', -1, 64),
				"model.beta":   strconv.FormatFloat(beta, 'g', 4, 64),
				"model.neuron": neuron,
			}}
		switch i {
		case 4:
			t.State, t.Metric = "failed", math.NaN()
		case 9:
			t.State, t.Metric = "pending", math.NaN()
		case 6:
			t.State = "stopped"
		}
		ts = append(ts, t)
	}
	return ts
}

func TestSweepParams(t *testing.T) {
	got := SweepParams(sweepTrials())
	// lr spans 1e-4 to 3e-2, a factor 300 ≥ 20: log. beta spans 0.8 to
	// 0.965, neuron is categorical.
	want := []SweepParam{{"model.beta", false}, {"model.neuron", false}, {"train.lr", true}}
	if !slices.Equal(got, want) {
		t.Errorf("SweepParams = %v, want %v", got, want)
	}
}

func TestSweepScatterGolden(t *testing.T) {
	f, err := SweepScatter(sweepTrials(), nil, SweepMetric{Name: "test/accuracy"})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Panels) != 2 || f.Plot.Y.Label.Text != "test accuracy (%)" {
		t.Errorf("%d extra panels, y label %q; want 2 and test accuracy (%%)", len(f.Panels), f.Plot.Y.Label.Text)
	}
	// 9 done, 1 stopped, 2 without a value.
	var labels []string
	for _, e := range f.Legend {
		labels = append(labels, e.Label)
	}
	want := []string{"done (9)", "not finished: stopped, running, interrupted (1)", "failed or no value yet (2)"}
	if !slices.Equal(labels, want) {
		t.Errorf("legend %q, want %q", labels, want)
	}
	checkGolden(t, "sweep_scatter", f)
}

func TestParallelCoordinatesGolden(t *testing.T) {
	f, err := ParallelCoordinates(sweepTrials(), nil, SweepMetric{Name: "test/accuracy"})
	if err != nil {
		t.Fatal(err)
	}
	// The best trial is t0003 (lr 1e-3, beta 0.845, lif): 0.9 − 0 +
	// 0.2·(−0.055) = 0.889; t0011 (lr 1.5e-3, beta 0.965, synaptic) has
	// 0.9 − 0.0176 + 0.013 − 0.05 = 0.845; t0010 (lr 4e-3, beta 0.95, lif)
	// 0.9 − 0.0602 + 0.01 = 0.8498.
	if f.Legend[0].Label != "best: t0003" {
		t.Errorf("legend %q, want best: t0003 first", f.Legend[0].Label)
	}
	checkGolden(t, "sweep_parallel", f)

	// A loss, smaller is better: with the values 1 − accuracy, the best
	// trial is t0003 again.
	ts := sweepTrials()
	for i := range ts {
		ts[i].Metric = 1 - ts[i].Metric
	}
	f, err = ParallelCoordinates(ts, nil, SweepMetric{Name: "test/loss", Minimize: true})
	if err != nil {
		t.Fatal(err)
	}
	if f.Legend[0].Label != "best: t0003" || f.ColorBar.Label != "test loss" {
		t.Errorf("loss: legend %q, colour bar %q; want best: t0003 and test loss", f.Legend[0].Label, f.ColorBar.Label)
	}
}

func TestLogTicks(t *testing.T) {
	labels := func(lo, hi float64) []string {
		var ls []string
		for _, tk := range (logTicks{}).Ticks(lo, hi) {
			if tk.Label != "" {
				ls = append(ls, tk.Label)
			}
		}
		return ls
	}
	// Over two decades: powers of ten only, exponent form below 0.01.
	if got, want := labels(8e-5, 4e-2), []string{"1e-4", "1e-3", "1e-2"}; !slices.Equal(got, want) {
		t.Errorf("ticks of [8e-5, 4e-2] = %q, want %q", got, want)
	}
	// Under two decades: 1, 2, 5 times powers of ten, plain.
	if got, want := labels(0.1, 3), []string{"0.1", "0.2", "0.5", "1", "2"}; !slices.Equal(got, want) {
		t.Errorf("ticks of [0.1, 3] = %q, want %q", got, want)
	}
}

// sweepDirs gives the first n of trials a run directory holding the
// fixture's metrics (3 epochs of 50 steps) and returns them.
func sweepDirs(t *testing.T, trials []SweepTrial, n int) []SweepTrial {
	t.Helper()
	b, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	for i := range n {
		trials[i].RunDir = filepath.Join(root, trials[i].ID)
		if err := os.MkdirAll(trials[i].RunDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(trials[i].RunDir, "metrics.jsonl"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return trials
}

func TestSweepFigures(t *testing.T) {
	// All 12 trials have metrics: the overlay shows the first Overlaid
	// (10) and says so.
	s := &Sweep{Metric: SweepMetric{Name: "test/accuracy"}, Trials: sweepDirs(t, sweepTrials(), 12)}
	figs, err := SweepFigures(s)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range figs {
		names = append(names, f.Name)
	}
	if want := []string{"trials_loss", "trials_accuracy", "sweep_scatter", "sweep_parallel"}; !slices.Equal(names, want) {
		t.Fatalf("figures %q, want %q", names, want)
	}
	if len(figs[0].Legend) != 10 || figs[0].Legend[9].Label != "t0009" {
		t.Errorf("overlay legend %v, want the 10 trials t0000 to t0009", figs[0].Legend)
	}
	if !slices.Contains(figs[0].Notes, "the best 10 of 12 trials by test/accuracy") {
		t.Errorf("overlay notes %q", figs[0].Notes)
	}
	// Without Params, the axes are SweepParams': the same figure as
	// SweepScatter's golden.
	checkGolden(t, "sweep_scatter", figs[2])

	// Three trials with metrics, one of them still in its first epoch: two
	// curves, of the three trials with metrics.
	s.Trials = sweepDirs(t, sweepTrials(), 3)
	first := []byte(`{"step":0,"epoch":0,"split":"train","name":"loss","value":2.2,"wall":0.1}` + "\n")
	if err := os.WriteFile(filepath.Join(s.Trials[1].RunDir, "metrics.jsonl"), first, 0o644); err != nil {
		t.Fatal(err)
	}
	figs, err = SweepFigures(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(figs[0].Legend) != 2 || !slices.Contains(figs[0].Notes, "the best 2 of 3 trials by test/accuracy") {
		t.Errorf("overlay with a trial in its first epoch: legend %v, notes %q", figs[0].Legend, figs[0].Notes)
	}

	// No trial with metrics: the scatter and the parallel coordinates only.
	s.Trials = sweepTrials()
	if figs, err = SweepFigures(s); err != nil || len(figs) != 2 {
		t.Errorf("no metrics: %d figures, %v; want 2", len(figs), err)
	}
	if _, err := SweepFigures(&Sweep{}); err == nil {
		t.Error("a sweep without trials drew figures")
	}
}

func TestParamAxes(t *testing.T) {
	// Params in the sweep file's order; beta asked on a log axis (its
	// values are positive), lr put on one by SweepParams (a factor 300).
	s := &Sweep{Trials: sweepTrials(), Params: []SweepParam{{"model.neuron", false}, {"model.beta", true}, {"train.lr", false}}}
	want := []SweepParam{{"model.neuron", false}, {"model.beta", true}, {"train.lr", true}}
	if got := paramAxes(s); !slices.Equal(got, want) {
		t.Errorf("sweepAxes = %v, want %v", got, want)
	}
	s.Params = nil
	if got, want := paramAxes(s), SweepParams(s.Trials); !slices.Equal(got, want) {
		t.Errorf("sweepAxes without Params = %v, want SweepParams: %v", got, want)
	}
}
