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

	"github.com/spikegrad/spikegrad/infer"
	"github.com/spikegrad/spikegrad/plots"
	"github.com/spikegrad/spikegrad/rundir"
	"github.com/spikegrad/spikegrad/sweep"
	"github.com/spikegrad/spikegrad/train"
)

const plotUsage = `Usage: spikegrad plot [--sample N] [--neurons 1,2,3] [--format png,svg] RUN_DIR
       spikegrad plot [--format png,svg] SWEEP_DIR
       spikegrad plot [--format png,svg] REPORT_DIR | REPORT.json

Draws the figures of a run directory into RUN_DIR/plots: the learning curves
(loss, accuracy, firing rates, throughput, learning rate) and, once the run has
a final model, what the network does: for one test sample the spike raster and
the membrane traces of every neuron layer, the firing-rate histograms and the
confusion matrix over the test set, and the weights of every linear layer.

On a sweep directory (one with sweep.yaml or plan.json) it draws into
SWEEP_DIR/plots the learning curves of the best 10 trials overlaid, the sweep
metric against each parameter, and the parallel coordinates of all trials.

On an inference report (a directory with report.json, as spikegrad infer
--report writes it, or the report.json itself) it draws into the report's
folder's plots/ the spikes per sample and firing rate of each spiking layer
(activity) and the energy per sample on each hardware profile (energy).

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
	if isReport(pa.dir) {
		paths, err := saveReportFigures(pa)
		for _, p := range paths {
			fmt.Fprintln(stdout, p)
		}
		return err
	}
	if isSweepDir(pa.dir) {
		paths, err := saveSweepFigures(pa)
		for _, p := range paths {
			fmt.Fprintln(stdout, p)
		}
		return err
	}
	if _, err := os.Stat(filepath.Join(pa.dir, rundir.MetricsFile)); err != nil {
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
	for _, name := range []string{sweep.SweepFile, sweep.PlanFile} {
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
	out := filepath.Join(pa.dir, rundir.PlotsDir)
	paths, err := plots.SaveFigures(out, figs, pa.formats...)
	if err != nil {
		return paths, err
	}
	if _, err := os.Stat(filepath.Join(pa.dir, rundir.ModelArch)); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "plot: %s has no final model yet: learning curves only\n", pa.dir)
		return paths, nil
	}
	pr, err := train.Probe(ctx, pa.dir, pa.sample, stderr)
	if err != nil {
		return paths, err
	}
	figs, err = plots.ProbeFigures(probeData(pr), pa.neurons)
	if err != nil {
		return paths, err
	}
	more, err := plots.SaveFigures(out, figs, pa.formats...)
	return append(paths, more...), err
}

// probeData converts a probe of a run's final model into the data of the
// network figures.
func probeData(pr *train.ProbeResult) *plots.Probe {
	p := &plots.Probe{Sample: pr.Sample, Label: pr.Label, Predicted: pr.Predicted,
		TestSamples: pr.Eval.Samples, Confusion: pr.Eval.Confusion}
	for _, np := range pr.Neurons {
		p.Layers = append(p.Layers, plots.NeuronLayer{Layer: np.Layer, Spikes: np.Spikes, Mem: np.Mem, Thresholds: np.Thresholds})
	}
	for _, w := range pr.Weights {
		p.Weights = append(p.Weights, plots.LayerWeights{Name: w.Name, Rows: w.Rows, Cols: w.Cols, Data: w.Data})
	}
	for _, r := range pr.Eval.Rates {
		p.Rates = append(p.Rates, plots.LayerRates{Layer: r.Layer, Rates: r.Neurons})
	}
	return p
}

// isReport reports whether path is an inference report: a .json file, or
// a directory with report.json and without metrics.jsonl (a run directory
// is drawn as a run).
func isReport(path string) bool {
	fi, err := os.Stat(path)
	if err != nil {
		return strings.EqualFold(filepath.Ext(path), ".json")
	}
	if !fi.IsDir() {
		return strings.EqualFold(filepath.Ext(path), ".json")
	}
	if _, err := os.Stat(filepath.Join(path, rundir.MetricsFile)); err == nil {
		return false
	}
	_, err = os.Stat(filepath.Join(path, infer.ReportJSON))
	return err == nil
}

// saveReportFigures writes the figures of an inference report into the
// plots folder beside its report.json.
func saveReportFigures(pa *plotArgs) ([]string, error) {
	if pa.neurons != nil || pa.sample != 0 {
		return nil, &usageError{fmt.Sprintf("plot: %s is an inference report: --sample and --neurons apply to run directories", pa.dir)}
	}
	r, err := infer.ReadReport(pa.dir)
	if err != nil {
		return nil, err
	}
	figs, err := plots.InferenceFigures(reportData(r))
	if err != nil {
		return nil, err
	}
	dir := pa.dir
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		dir = filepath.Dir(dir)
	}
	return plots.SaveFigures(filepath.Join(dir, rundir.PlotsDir), figs, pa.formats...)
}

// reportData converts an inference report into the data of the inference
// figures: the spiking layers and the energy on every profile.
func reportData(r *infer.Report) *plots.Inference {
	in := &plots.Inference{Samples: r.Stats.Samples, Steps: r.Stats.Steps}
	for _, l := range r.Stats.Layers {
		if l.Spiking() {
			in.Layers = append(in.Layers, plots.LayerActivity{Layer: l.Layer, Neurons: l.Neurons, Spikes: l.Spikes, Rate: l.Rate})
		}
	}
	for _, e := range r.Energy {
		in.Energy = append(in.Energy, plots.EnergyEstimate{Name: e.Profile.Name, Title: e.Profile.Title,
			Dense: e.Profile.Mode == infer.ModeDense, Low: e.Total.Low, High: e.Total.High})
	}
	return in
}

// saveSweepFigures writes the figures of a sweep directory into
// DIR/plots (plots.SweepFigures).
func saveSweepFigures(pa *plotArgs) ([]string, error) {
	if pa.neurons != nil || pa.sample != 0 {
		return nil, &usageError{fmt.Sprintf("plot: %s is a sweep directory: --sample and --neurons apply to run directories", pa.dir)}
	}
	rep, err := sweep.ReadReport(pa.dir)
	if err != nil {
		return nil, err
	}
	s := &plots.Sweep{Metric: plots.SweepMetric{Name: rep.Metric.String(), Minimize: rep.Metric.Goal == "min"}}
	for _, p := range rep.Plan.Spec.Params {
		s.Params = append(s.Params, plots.SweepParam{Name: p.Key, Log: p.Kind == sweep.ParamLogUniform})
	}
	for _, row := range rep.Rows {
		s.Trials = append(s.Trials, plots.SweepTrial{ID: row.Trial.ID, Params: row.Trial.Params, Metric: row.Final, State: row.State,
			RunDir: filepath.Join(pa.dir, sweep.TrialsDir, row.Trial.ID)})
	}
	figs, err := plots.SweepFigures(s)
	if err != nil {
		return nil, err
	}
	return plots.SaveFigures(filepath.Join(pa.dir, rundir.PlotsDir), figs, pa.formats...)
}
