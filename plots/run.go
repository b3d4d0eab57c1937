package plots

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spikegrad/spikegrad/rundir"
)

// runFigures lists the metrics SaveRunPlots draws, in order: the learning
// curves, then the firing rates, the throughput and the learning rate
// where the run logged them.
var runFigures = []string{"loss", "accuracy", "rate/", "samples_per_s", "lr"}

// SaveRunPlots reads runDir/metrics.jsonl and writes the standard figures
// of the run to runDir/plots/, each as PNG and SVG: loss, accuracy (in
// percent), rates (the rate/<layer> metrics, in percent), samples_per_s and
// lr, each only if the run logged the metric. The horizontal axis is
// fractional epochs, or optimizer steps while the run has not completed an
// epoch. The run's label is the directory's base name.
//
// Every file is written atomically (see Figure.Save). SaveRunPlots returns
// the paths written, in order; after an error, the paths written before it.
// A missing metrics file, or one without records, is an error that names
// the file.
func SaveRunPlots(runDir string) ([]string, error) {
	figs, err := RunCurves(runDir)
	if err != nil {
		return nil, err
	}
	return SaveFigures(filepath.Join(runDir, rundir.PlotsDir), figs, PNG, SVG)
}

// RunCurves reads runDir/metrics.jsonl and returns the figures SaveRunPlots
// writes, in the same order, without writing them.
func RunCurves(runDir string) ([]*Figure, error) {
	path := filepath.Join(runDir, rundir.MetricsFile)
	ms, err := rundir.ReadMetrics(path)
	if err != nil {
		return nil, fmt.Errorf("plots: run plots: %w", err)
	}
	abs, err := filepath.Abs(runDir)
	if err != nil {
		return nil, fmt.Errorf("plots: run plots: %w", err)
	}
	rs := []Run{{Label: filepath.Base(abs), Metrics: ms}}
	opt := CurveOptions{X: ByEpoch}
	if _, ok := StepsPerEpoch(ms); !ok {
		opt.X = ByStep
	}
	var figs []*Figure
	for _, metric := range runFigures {
		f, err := MetricCurves(rs, metric, opt)
		if errors.Is(err, rundir.ErrNoMetrics) {
			continue
		}
		if err != nil {
			return nil, err
		}
		figs = append(figs, f)
	}
	return figs, nil
}

// SaveFigures writes every figure to dir/<Name>.<format> in each of the
// formats, creating dir if needed, and returns the paths written, in order
// (figure by figure); after an error, the paths written before it. Every
// file is written atomically (see Figure.Save).
func SaveFigures(dir string, figs []*Figure, formats ...Format) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("plots: %w", err)
	}
	var written []string
	for _, f := range figs {
		for _, format := range formats {
			p := filepath.Join(dir, f.Name+"."+format.String())
			if err := f.Save(p); err != nil {
				return written, err
			}
			written = append(written, p)
		}
	}
	return written, nil
}
