package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spikegrad/spikegrad/plots"
	"github.com/spikegrad/spikegrad/runs"
	"github.com/spikegrad/spikegrad/train"
)

const plotUsage = `Usage: spikegrad plot [--sample N] [--neurons 1,2,3] [--format png,svg] RUN_DIR
       spikegrad plot [--format png,svg] SWEEP_DIR

Draws the figures of a run directory into RUN_DIR/plots: the learning curves
(loss, accuracy, firing rates, throughput, learning rate) and, once the run has
a final model, what the network does: for one test sample the spike raster and
the membrane traces of every neuron layer, the firing-rate histograms and the
confusion matrix over the test set, and the weights of every linear layer.

On a sweep directory (one with sweep.yaml or plan.json) it draws into
SWEEP_DIR/plots the learning curves of the best 10 trials overlaid, the sweep
metric against each parameter, and the parallel coordinates of all trials.

Options:
  --sample N          the test sample of the raster and traces (default 0)
  --neurons LIST      neurons whose membranes are drawn, e.g. 1,2,3, at most 10
                      (default: 5 intermittently firing neurons of each hidden layer and every
                      output neuron, up to 10)
  --format LIST       png, svg or both (default png,svg)
`

const plotShortUsage = "usage: spikegrad plot RUN_DIR (options: --sample N, --neurons LIST, --format LIST)"

// plotArgs are the parsed arguments of plot.
type plotArgs struct {
	dir     string
	sample  int
	neurons []int
	formats []plots.Format
}

func parsePlot(args []string, stdout io.Writer) (*plotArgs, error) {
	pa := &plotArgs{formats: []plots.Format{plots.PNG, plots.SVG}}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			if pa.dir != "" {
				return nil, &usageError{fmt.Sprintf("plot: one directory expected, got %q and %q; %s", pa.dir, a, plotShortUsage)}
			}
			pa.dir = a
			continue
		}
		key, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if key == "h" || key == "help" {
			fmt.Fprint(stdout, plotUsage)
			return nil, errUsageShown
		}
		if !hasVal {
			if i+1 >= len(args) {
				return nil, &usageError{fmt.Sprintf("plot: --%s needs a value", key)}
			}
			i++
			val = args[i]
		}
		switch key {
		case "sample":
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 {
				return nil, &usageError{fmt.Sprintf("plot: --sample %q: must be a whole number >= 0", val)}
			}
			pa.sample = n
		case "neurons":
			pa.neurons = nil
			for _, f := range strings.Split(val, ",") {
				n, err := strconv.Atoi(strings.TrimSpace(f))
				if err != nil || n < 0 {
					return nil, &usageError{fmt.Sprintf("plot: --neurons %q: want neuron indices >= 0 separated by commas", val)}
				}
				pa.neurons = append(pa.neurons, n)
			}
			if len(pa.neurons) > 10 {
				return nil, &usageError{fmt.Sprintf("plot: --neurons: %d neurons, at most 10 (one colour each)", len(pa.neurons))}
			}
		case "format":
			pa.formats = nil
			for _, f := range strings.Split(val, ",") {
				format, err := plots.FormatOf("x." + strings.TrimSpace(f))
				if err != nil {
					return nil, &usageError{fmt.Sprintf("plot: --format %q: want png, svg or png,svg", val)}
				}
				if !slices.Contains(pa.formats, format) {
					pa.formats = append(pa.formats, format)
				}
			}
		default:
			return nil, &usageError{fmt.Sprintf("plot: unknown option --%s\n\n%s", key, plotUsage)}
		}
	}
	if pa.dir == "" {
		return nil, &usageError{"plot: " + plotShortUsage}
	}
	return pa, nil
}

// cmdPlot runs spikegrad plot. It takes no context (its signature is the
// one run dispatches to): drawing is not interruptible, and the test set
// it loads for the network figures is generated (Randman) or read from
// disk, or downloaded if the run's config allows it.
func cmdPlot(args []string, stdout, stderr io.Writer) error {
	ctx := context.Background()
	pa, err := parsePlot(args, stdout)
	if err != nil {
		return err
	}
	if isSweepDir(pa.dir) {
		paths, err := saveSweepFigures(pa)
		for _, p := range paths {
			fmt.Fprintln(stdout, p)
		}
		return err
	}
	if _, err := os.Stat(filepath.Join(pa.dir, "metrics.jsonl")); err != nil {
		return fmt.Errorf("plot: %s is not a run directory: %w", pa.dir, err)
	}
	paths, err := saveRunFigures(ctx, pa, stderr)
	for _, p := range paths {
		fmt.Fprintln(stdout, p)
	}
	return err
}

// isSweepDir reports whether dir holds a sweep (sweep.yaml or plan.json).
func isSweepDir(dir string) bool {
	for _, name := range []string{train.SweepFile, train.PlanFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}

// saveRunFigures writes the standard set of a run directory: the learning
// curves, and, if the run has a final model, the figures of a probe of it.
// A run without a final model (still training, or failed) gets its curves
// and a note on stderr.
func saveRunFigures(ctx context.Context, pa *plotArgs, stderr io.Writer) ([]string, error) {
	figs, err := plots.RunCurves(pa.dir)
	if err != nil {
		return nil, err
	}
	out := filepath.Join(pa.dir, "plots")
	paths, err := plots.SaveFigures(out, figs, pa.formats...)
	if err != nil {
		return paths, err
	}
	if _, err := os.Stat(filepath.Join(pa.dir, runs.ModelArch)); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "plot: %s has no final model yet: learning curves only\n", pa.dir)
		return paths, nil
	}
	pr, err := train.Probe(ctx, pa.dir, pa.sample, stderr)
	if err != nil {
		return paths, err
	}
	figs, err = probeFigures(pr, pa.neurons)
	if err != nil {
		return paths, err
	}
	more, err := plots.SaveFigures(out, figs, pa.formats...)
	return append(paths, more...), err
}

// probeFigures draws what a probe found: per neuron layer the raster (of
// a spiking layer) and the membrane traces, the rate histograms of the
// spiking layers, the weights, and the confusion matrix.
func probeFigures(pr *train.ProbeResult, neurons []int) ([]*plots.Figure, error) {
	var figs []*plots.Figure
	sampleNote := fmt.Sprintf("test sample %d: class %d, predicted %d", pr.Sample, pr.Label, pr.Predicted)
	for i, np := range pr.Neurons {
		output := i == len(pr.Neurons)-1
		if np.Spiking {
			f, err := plots.SpikeRaster(np.Layer, np.Spikes, plots.TimeStep{})
			if err != nil {
				return nil, err
			}
			f.Notes = append([]string{sampleNote}, f.Notes...)
			figs = append(figs, f)
		}
		chosen, err := chooseNeurons(np, neurons, output)
		if err != nil {
			return nil, err
		}
		f, err := plots.MembraneTraces(np.Layer, np.Mem, chosen, np.Thresholds, np.Spikes, plots.TimeStep{})
		if err != nil {
			return nil, err
		}
		f.Notes = append(f.Notes, sampleNote)
		if output {
			// The read-out's neurons are the classes: say which is which.
			for j := range f.Legend {
				switch f.Legend[j].Label {
				case fmt.Sprintf("neuron %d", pr.Label):
					f.Legend[j].Label += " (true class)"
					if pr.Predicted == pr.Label {
						f.Legend[j].Label = fmt.Sprintf("neuron %d (true, predicted)", pr.Label)
					}
				case fmt.Sprintf("neuron %d", pr.Predicted):
					f.Legend[j].Label += " (predicted)"
				}
			}
		}
		if neurons == nil && !output {
			f.Notes = append(f.Notes, fmt.Sprintf("%d neurons that fire on about a third of this sample's steps", len(chosen)))
		}
		figs = append(figs, f)
	}
	var rates []plots.LayerRates
	for _, r := range pr.Eval.Rates {
		rates = append(rates, plots.LayerRates{Layer: r.Layer, Rates: r.Neurons})
	}
	if len(rates) > 0 {
		f, err := plots.RateHistograms(rates)
		if err != nil {
			return nil, err
		}
		f.Plot.Title.Text += fmt.Sprintf(" — test set (%d samples)", pr.Eval.Samples)
		figs = append(figs, f)
	}
	for _, w := range pr.Weights {
		f, err := plots.WeightImage(w.Name, w.Data, w.Rows, w.Cols)
		if err != nil {
			return nil, err
		}
		figs = append(figs, f)
	}
	f, err := plots.ConfusionMatrix(pr.Eval.Confusion, nil, false)
	if err != nil {
		return nil, err
	}
	figs = append(figs, f)
	return figs, nil
}

// maxTraces is the number of neurons whose membranes are drawn by default
// in a hidden layer.
const maxTraces = 5

// chooseNeurons returns the neurons whose membranes are drawn: the ones
// asked for (those the layer has), else every neuron of the output layer
// up to 10, else maxTraces neurons that fire on about a third of the
// sample's steps (neurons that fire always or never come last).
func chooseNeurons(np train.NeuronProbe, asked []int, output bool) ([]int, error) {
	n := len(np.Mem[0])
	if asked != nil {
		var in []int
		for _, a := range asked {
			if a < n {
				in = append(in, a)
			}
		}
		if len(in) == 0 {
			return nil, fmt.Errorf("plot: --neurons %v: layer %s has neurons 0 to %d", asked, np.Layer, n-1)
		}
		return in, nil
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	if output {
		return all[:min(n, 10)], nil
	}
	// Neurons that fire on every step (or never) show no dynamics: prefer
	// those that fire on about a third of the steps, where integration and
	// reset are both visible; ties go to the lower index.
	T := len(np.Mem)
	count := make([]int, n)
	for t := range np.Mem {
		for j := range count {
			if np.Spikes != nil && np.Spikes[t][j] != 0 {
				count[j]++
			}
		}
	}
	score := func(j int) int {
		c := count[j]
		d := 3*c - T // 0 when c = T/3
		if d < 0 {
			d = -d
		}
		if c == 0 || c == T {
			d += 3 * T // after every intermittent neuron
		}
		return d
	}
	slices.SortStableFunc(all, func(a, b int) int { return score(a) - score(b) })
	chosen := all[:min(n, maxTraces)]
	slices.Sort(chosen)
	return chosen, nil
}

// maxOverlaid is the number of trials whose learning curves a sweep's
// overlay draws: the best ones; more colours would repeat.
const maxOverlaid = 10

// saveSweepFigures writes the sweep set into DIR/plots: the learning
// curves of the best trials overlaid, the metric against each parameter,
// and the parallel coordinates of all trials.
func saveSweepFigures(pa *plotArgs) ([]string, error) {
	if pa.neurons != nil || pa.sample != 0 {
		return nil, &usageError{fmt.Sprintf("plot: %s is a sweep directory: --sample and --neurons apply to run directories", pa.dir)}
	}
	rep, err := train.SweepReport(pa.dir)
	if err != nil {
		return nil, err
	}
	metric := plots.SweepMetric{Name: rep.Metric.String(), Minimize: rep.Metric.Goal == "min"}
	var trials []plots.SweepTrial
	var overlay []plots.Run
	var ranked int
	for _, row := range rep.Rows {
		trials = append(trials, plots.SweepTrial{ID: row.Trial.ID, Params: row.Trial.Params, Metric: row.Final, State: row.State})
		// Rows come best first; the overlay takes the best trials that
		// have completed an epoch.
		if len(overlay) == maxOverlaid {
			continue
		}
		ms, err := runs.ReadMetrics(filepath.Join(pa.dir, train.TrialsDir, row.Trial.ID, runs.MetricsFile))
		if err != nil {
			continue
		}
		if _, ok := plots.StepsPerEpoch(ms); ok {
			overlay = append(overlay, plots.Run{Label: row.Trial.ID, Metrics: ms})
			ranked++
		}
	}
	// Log axes: the sweep file's log-uniform parameters, and numeric
	// values spread over more than a factor 20.
	auto := map[string]bool{}
	for _, p := range plots.SweepParams(trials) {
		auto[p.Name] = p.Log
	}
	var params []plots.SweepParam
	for _, p := range rep.Plan.Sweep.Params {
		params = append(params, plots.SweepParam{Name: p.Key, Log: p.Kind == train.ParamLogUniform || auto[p.Key]})
	}
	var figs []*plots.Figure
	if len(overlay) > 0 {
		curves, err := plots.LearningCurves(overlay, plots.CurveOptions{X: plots.ByEpoch})
		if err != nil && !errors.Is(err, runs.ErrNoMetrics) {
			return nil, err
		}
		for _, f := range curves {
			f.Name = "trials_" + f.Name
			if n := countWithMetrics(pa.dir, rep); n > ranked {
				f.Notes = append(f.Notes, fmt.Sprintf("the best %d of %d trials by %s", ranked, n, metric.Name))
			}
			figs = append(figs, f)
		}
	}
	sc, err := plots.SweepScatter(trials, params, metric)
	if err != nil {
		return nil, err
	}
	pc, err := plots.ParallelCoordinates(trials, params, metric)
	if err != nil {
		return nil, err
	}
	figs = append(figs, sc, pc)
	return plots.SaveFigures(filepath.Join(pa.dir, "plots"), figs, pa.formats...)
}

// countWithMetrics returns the number of trials with a metrics file.
func countWithMetrics(dir string, rep *train.Report) int {
	n := 0
	for _, row := range rep.Rows {
		if _, err := os.Stat(filepath.Join(dir, train.TrialsDir, row.Trial.ID, runs.MetricsFile)); err == nil {
			n++
		}
	}
	return n
}
