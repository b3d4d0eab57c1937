package plots

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spikegrad/spikegrad/rundir"
)

// Sweep is a hyperparameter sweep as SweepFigures draws it.
type Sweep struct {
	// Metric ranks the trials.
	Metric SweepMetric
	// Params are the swept parameters in the order of their axes (the
	// sweep file's). Log set puts a parameter on a logarithmic axis (one
	// sampled log-uniformly); a parameter that SweepParams puts on one
	// gets one too. Nil: SweepParams(Trials).
	Params []SweepParam
	// Trials holds every trial, best first by Metric.
	Trials []SweepTrial
}

// Overlaid is the number of trials whose learning curves SweepFigures
// overlays: the best ones. More would repeat the palette's colours.
const Overlaid = 10

// SweepFigures returns the figures of a sweep, in this order: the learning
// curves (LearningCurves, against epochs) of the best Overlaid trials that
// have completed an epoch, overlaid and named "trials_<metric>"; the
// metric against each parameter (SweepScatter); and the parallel
// coordinates of all trials (ParallelCoordinates).
//
// A trial's curves are read from RunDir/metrics.jsonl (SweepTrial.RunDir);
// a trial without a readable metrics file is left out of the overlay. When
// more trials have a metrics file than the overlay shows, its note says
// "the best k of n trials by <metric>".
//
// It returns an error for no trials and for the errors of SweepScatter and
// ParallelCoordinates.
func SweepFigures(s *Sweep) ([]*Figure, error) {
	// Rows come best first; the overlay takes the best trials that have
	// completed an epoch.
	var overlay []Run
	withMetrics := 0
	for _, t := range s.Trials {
		if t.RunDir == "" {
			continue
		}
		path := filepath.Join(t.RunDir, rundir.MetricsFile)
		if _, err := os.Stat(path); err == nil {
			withMetrics++
		}
		if len(overlay) == Overlaid {
			continue
		}
		ms, err := rundir.ReadMetrics(path)
		if err != nil {
			continue
		}
		if _, ok := StepsPerEpoch(ms); ok {
			overlay = append(overlay, Run{Label: t.ID, Metrics: ms})
		}
	}
	var figs []*Figure
	if len(overlay) > 0 {
		curves, err := LearningCurves(overlay, CurveOptions{X: ByEpoch})
		if err != nil && !errors.Is(err, rundir.ErrNoMetrics) {
			return nil, err
		}
		for _, f := range curves {
			f.Name = "trials_" + f.Name
			if withMetrics > len(overlay) {
				f.Notes = append(f.Notes, fmt.Sprintf("the best %d of %d trials by %s", len(overlay), withMetrics, s.Metric.Name))
			}
			figs = append(figs, f)
		}
	}
	params := paramAxes(s)
	sc, err := SweepScatter(s.Trials, params, s.Metric)
	if err != nil {
		return nil, err
	}
	pc, err := ParallelCoordinates(s.Trials, params, s.Metric)
	if err != nil {
		return nil, err
	}
	return append(figs, sc, pc), nil
}

// sweepAxes returns the parameter axes of a sweep: its Params, each on a
// log axis if asked or if SweepParams puts it on one; without Params,
// SweepParams of its trials.
func paramAxes(s *Sweep) []SweepParam {
	auto := SweepParams(s.Trials)
	if s.Params == nil {
		return auto
	}
	log := map[string]bool{}
	for _, p := range auto {
		log[p.Name] = p.Log
	}
	params := make([]SweepParam, len(s.Params))
	for i, p := range s.Params {
		params[i] = SweepParam{Name: p.Name, Log: p.Log || log[p.Name]}
	}
	return params
}
