package plots

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/spikegrad/spikegrad/rundir"
)

// Run is the metrics of one training run under the label its curves carry
// in a legend.
type Run struct {
	Label   string
	Metrics []rundir.Metric
}

// XAxis selects what the horizontal axis of a curve shows.
type XAxis int

// The horizontal axes.
const (
	// ByEpoch shows fractional epochs: a record at optimizer step s sits at
	// s / StepsPerEpoch, so a test record written after epoch e sits at e.
	ByEpoch XAxis = iota
	// ByStep shows optimizer steps.
	ByStep
	// ByWall shows wall time since the start of the run, in seconds,
	// minutes or hours, whichever keeps the longest run under 180 units.
	ByWall
)

// String returns the axis name.
func (a XAxis) String() string {
	switch a {
	case ByEpoch:
		return "epoch"
	case ByStep:
		return "step"
	case ByWall:
		return "wall"
	}
	return fmt.Sprintf("XAxis(%d)", int(a))
}

// CurveOptions controls how curves are drawn. The zero value draws against
// inferred fractional epochs with the default smoothing.
type CurveOptions struct {
	// X selects the horizontal axis.
	X XAxis
	// StepsPerEpoch, if positive, is the number of optimizer steps per epoch
	// of every run, used by ByEpoch instead of the value inferred from each
	// run's records (see StepsPerEpoch).
	StepsPerEpoch float64
	// EMASpan is the span, in points, of the exponential moving average
	// drawn over per-step train values; 1 draws the values unsmoothed.
	// 0 selects the default (see defaultSpan): a hundredth of the length of
	// the longest per-step train series in the figure, at least 5 points
	// (but at most a tenth of the series).
	EMASpan int
}

// ErrNoEpoch is wrapped by the error of a ByEpoch figure for a run whose
// steps per epoch cannot be inferred (no record after the first epoch) and
// are not given in CurveOptions.
var ErrNoEpoch = errors.New("cannot infer steps per epoch: no record with epoch ≥ 1")

// StepsPerEpoch infers the number of optimizer steps per epoch from a run's
// records. For each epoch count e ≥ 1 that occurs, the smallest step among
// the records with that epoch count is the step at which epoch e completed,
// e·S for S steps per epoch; the estimate is Σ step_e / Σ e over those
// epochs, which weighs later epochs more and so makes an off-by-one in the
// writer's step count matter less. The result is false when no record has
// an epoch count of at least 1.
func StepsPerEpoch(ms []rundir.Metric) (float64, bool) {
	first := map[int]int{}
	for _, m := range ms {
		if m.Epoch < 1 {
			continue
		}
		if s, ok := first[m.Epoch]; !ok || m.Step < s {
			first[m.Epoch] = m.Step
		}
	}
	var steps, epochs float64
	for e, s := range first {
		steps += float64(s)
		epochs += float64(e)
	}
	if epochs == 0 || steps <= 0 {
		return 0, false
	}
	return steps / epochs, true
}

// EMA returns the exponential moving average of xs with span n ≥ 1:
// α = 2/(n+1), m_i = (1−α)·m_{i−1} + α·x_i from m_{−1} = 0, divided by
// 1 − (1−α)^(i+1) to remove the bias towards the zero start (the
// correction of Adam and of TensorBoard's smoothing). Each output is a
// weighted mean of the inputs up to it, the latest weighing most; the
// output lags the input by about (n−1)/2 points. Non-finite inputs are
// skipped: their output is NaN and they do not enter later averages.
// A span below 1 is treated as 1, which returns a copy of xs.
func EMA(xs []float64, n int) []float64 {
	n = max(n, 1)
	alpha := 2 / (float64(n) + 1)
	out := make([]float64, len(xs))
	var m, decay float64 = 0, 1
	for i, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			out[i] = math.NaN()
			continue
		}
		m = (1-alpha)*m + alpha*x
		decay *= 1 - alpha
		out[i] = m / (1 - decay)
	}
	return out
}

// defaultSpan returns the default EMA span for a per-step series of n
// points: n/100, so that the lag of about span/2 points stays near half a
// percent of the axis (4 pixels of a default PNG), but at least 5 points,
// or a tenth of a short series, to smooth at all.
func defaultSpan(n int) int {
	return max(1, int(math.Round(float64(n)/100)), min(5, n/10))
}

// panel describes the figure of one metric or metric family.
type panel struct {
	file   string  // file stem
	title  string  // plot title
	ylabel string  // vertical axis label, with unit
	scale  float64 // factor from the stored value to the plotted one
	smooth bool    // per-step train values get a smoothed line
	prefix bool    // metric is a family: names "metric<sub>"
	metric string  // the metric name, or the family's prefix
}

// panelFor returns the figure description of a metric name, or of a family
// when the name ends in "/" ("rate/" selects every "rate/<layer>").
func panelFor(metric string) panel {
	p := panel{file: metric, title: metric, ylabel: metric, scale: 1, smooth: true, metric: metric}
	if strings.HasSuffix(metric, "/") {
		p.prefix = true
		p.file = strings.TrimSuffix(metric, "/")
		p.title, p.ylabel = p.file, p.file
	}
	switch metric {
	case "loss":
		p.title, p.ylabel = "Loss", "loss"
	case "accuracy":
		p.title, p.ylabel, p.scale = "Accuracy", "accuracy (%)", 100
	case "rate/":
		p.file, p.title, p.ylabel, p.scale = "rates", "Firing rate per layer", "firing rate (% of neuron-steps)", 100
	case "samples_per_s":
		p.title, p.ylabel = "Throughput", "throughput (samples/s)"
	case "lr":
		p.title, p.ylabel, p.smooth = "Learning rate", "learning rate", false
	}
	p.file = strings.ReplaceAll(p.file, "/", "_")
	return p
}

// match reports whether a metric name belongs to the panel and returns its
// sub-name within a family ("" for a single metric).
func (p panel) match(name string) (string, bool) {
	if p.prefix {
		if sub, ok := strings.CutPrefix(name, p.metric); ok && sub != "" {
			return sub, true
		}
		return "", false
	}
	return "", name == p.metric
}

// point is one plotted record.
type point struct {
	x, y  float64
	step  int
	epoch int
}

// series is the records of one run, sub-metric and split, in step order.
type series struct {
	run   int
	sub   string
	split string
	pts   []point
}

// dense reports whether the series has more points than epochs, that is,
// it was logged per step rather than once per epoch.
func (s *series) dense() bool {
	epochs := map[int]bool{}
	for _, p := range s.pts {
		epochs[p.epoch] = true
	}
	return len(s.pts) > len(epochs)
}

// wallUnit returns the divisor and name of the wall-time unit that keeps
// maxWall seconds under 180 units.
func wallUnit(maxWall float64) (float64, string) {
	switch {
	case maxWall <= 180:
		return 1, "s"
	case maxWall <= 180*60:
		return 60, "min"
	}
	return 3600, "h"
}

// LearningCurves draws the loss and the accuracy (in percent) of one run
// or of several overlaid, train and test, against the axis opt selects.
// It returns the figures of the metrics present in at least one run, loss
// first; their Name is "loss" and "accuracy". Without either metric the
// error wraps rundir.ErrNoMetrics.
func LearningCurves(runs []Run, opt CurveOptions) ([]*Figure, error) {
	var figs []*Figure
	for _, name := range []string{"loss", "accuracy"} {
		if !hasMetric(runs, name) {
			continue
		}
		f, err := MetricCurves(runs, name, opt)
		if err != nil {
			return nil, err
		}
		figs = append(figs, f)
	}
	if len(figs) == 0 {
		return nil, noMetrics("learning curves", "loss or accuracy", len(runs))
	}
	return figs, nil
}

// noMetrics is the error of a figure without records to draw in n runs:
// it wraps rundir.ErrNoMetrics.
func noMetrics(figure, which string, n int) error {
	return fmt.Errorf("plots: %s: %w: no %s records in %d runs", figure, rundir.ErrNoMetrics, which, n)
}

// hasMetric reports whether any run has a record of the metric (or, for a
// name ending in "/", of the family).
func hasMetric(runs []Run, metric string) bool {
	p := panelFor(metric)
	for _, r := range runs {
		for _, m := range r.Metrics {
			if _, ok := p.match(m.Name); ok {
				return true
			}
		}
	}
	return false
}

// MetricCurves draws one metric of one run or of several overlaid, every
// split, against the axis opt selects. A name ending in "/" draws a family:
// "rate/" draws every "rate/<layer>" metric, one colour per layer. Known
// metrics get their title, axis label and unit: accuracy and rates in
// percent, samples_per_s in samples/s; others are drawn as stored, under
// their name.
//
// Per-step train series (more points than epochs) are drawn as a thin
// translucent line with their EMA (see EMA and CurveOptions.EMASpan) over
// it; per-epoch series and test series as lines with markers, test dashed.
// With one run and one metric, colour tells the splits apart; otherwise
// colour tells runs (and layers) apart and line style tells splits, and the
// legend explains both. Non-finite values (null in the file) are left out
// and the legend notes where they start. The figure's Name is the metric
// name with "/" replaced by "_" ("rate/" gives "rates").
//
// A run without records of the metric contributes nothing; if no run has
// any, the error wraps rundir.ErrNoMetrics. With ByEpoch, a run whose steps per
// epoch can be neither inferred nor taken from opt is an error wrapping
// ErrNoEpoch.
func MetricCurves(runs []Run, metric string, opt CurveOptions) (*Figure, error) {
	p := panelFor(metric)
	ss, xlabel, err := collect(runs, p, opt)
	if err != nil {
		return nil, err
	}
	if len(ss) == 0 {
		return nil, noMetrics(fmt.Sprintf("curves of %q", metric), "such", len(runs))
	}

	groups := seriesGroups(ss)
	single := len(groups) == 1
	label := func(k groupKey) string { return groupLabel(runs, k) }

	span := emaSpan(ss, opt)

	title := p.title
	if len(runs) == 1 && runs[0].Label != "" {
		title += " — " + runs[0].Label
	}
	f := newFigure(p.file, title, xlabel, p.ylabel, opt.X != ByWall)

	// Splits in order of appearance get colours in single mode.
	splitColor := map[string]int{}
	for _, s := range ss {
		if _, ok := splitColor[s.split]; !ok {
			splitColor[s.split] = len(splitColor)
		}
	}

	var entries, keys []LegendEntry
	var notes []string
	keySeen := map[string]bool{}
	addKey := func(e LegendEntry) {
		if !keySeen[e.Label] {
			keySeen[e.Label] = true
			keys = append(keys, e)
		}
	}
	for gi, k := range groups {
		col := palette[gi%len(palette)]
		if !single {
			entries = append(entries, LegendEntry{Label: label(k), Thumbs: []plot.Thumbnailer{lineThumb{draw.LineStyle{Color: col, Width: vg.Points(thickWidth)}}}})
		}
		for _, s := range ss {
			if (groupKey{s.run, s.sub}) != k {
				continue
			}
			if single {
				col = palette[splitColor[s.split]%len(palette)]
			}
			drawn, err := addSeries(f, s, p, span, col)
			if err != nil {
				return nil, err
			}
			for _, d := range drawn {
				if single {
					entries = append(entries, LegendEntry{Label: joinLabel(label(k), d.label), Thumbs: d.thumbs})
				} else {
					addKey(LegendEntry{Label: d.label, Thumbs: d.keyThumbs})
				}
			}
			if i, ok := firstNonFinite(s); ok {
				notes = append(notes, fmt.Sprintf("%s: values not finite from %s on", joinLabel(label(k), s.split), fmtAt(opt.X, xlabel, s.pts[i].x)))
			}
		}
	}
	f.Legend, f.Key, f.Notes = entries, keys, notes
	padRanges(f.Plot)
	return f, nil
}

// groupKey is a group of series drawn in one colour: one run's series of
// one sub-metric (a layer of "rate/"), every split.
type groupKey struct {
	run int
	sub string
}

// seriesGroups returns the groups of the series, in order of appearance.
func seriesGroups(ss []*series) []groupKey {
	var groups []groupKey
	seen := map[groupKey]bool{}
	for _, s := range ss {
		k := groupKey{s.run, s.sub}
		if !seen[k] {
			seen[k] = true
			groups = append(groups, k)
		}
	}
	return groups
}

// groupLabel names a group in the legend: the run's label when there are
// several runs ("run 2" for one without a label), then the sub-metric.
func groupLabel(runs []Run, k groupKey) string {
	var parts []string
	if len(runs) > 1 {
		l := runs[k.run].Label
		if l == "" {
			l = fmt.Sprintf("run %d", k.run+1)
		}
		parts = append(parts, l)
	}
	if k.sub != "" {
		parts = append(parts, k.sub)
	}
	return strings.Join(parts, " ")
}

// emaSpan returns the EMA span of a figure's series: opt.EMASpan, or the
// default span of the longest per-step train series.
func emaSpan(ss []*series, opt CurveOptions) int {
	if opt.EMASpan > 0 {
		return opt.EMASpan
	}
	longest := 0
	for _, s := range ss {
		if s.split == "train" && s.dense() {
			longest = max(longest, len(s.pts))
		}
	}
	return defaultSpan(longest)
}

// joinLabel joins two legend label parts with a space, skipping empty ones.
func joinLabel(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return a + " " + b
}

// fmtAt formats a horizontal position for a note: "epoch 1.82",
// "step 91", "10.1 s".
func fmtAt(x XAxis, xlabel string, v float64) string {
	switch x {
	case ByWall:
		unit := strings.TrimSuffix(xlabel[strings.Index(xlabel, "(")+1:], ")")
		return fmt.Sprintf("%.3g %s", v, unit)
	case ByStep:
		return fmt.Sprintf("step %.0f", v)
	}
	return fmt.Sprintf("%s %.3g", xlabel, v)
}

// firstNonFinite returns the index of the first point of s whose value is
// NaN or infinite.
func firstNonFinite(s *series) (int, bool) {
	for i, p := range s.pts {
		if math.IsNaN(p.y) || math.IsInf(p.y, 0) {
			return i, true
		}
	}
	return 0, false
}

// collect turns the records of every run that match the panel into series,
// and returns the horizontal axis label.
//
// A run resumed from a checkpoint logs again the steps after that
// checkpoint; within a series, a record whose step is not after the
// previous one drops the earlier points at that step and later, so the
// latest attempt is drawn.
func collect(runs []Run, p panel, opt CurveOptions) ([]*series, string, error) {
	var xlabel string
	wallDiv := 1.0
	switch opt.X {
	case ByEpoch:
		xlabel = "epoch"
	case ByStep:
		xlabel = "step"
	case ByWall:
		maxWall := 0.0
		for _, r := range runs {
			for _, m := range r.Metrics {
				if _, ok := p.match(m.Name); ok {
					maxWall = max(maxWall, m.Wall)
				}
			}
		}
		var unit string
		wallDiv, unit = wallUnit(maxWall)
		xlabel = "wall time (" + unit + ")"
	default:
		return nil, "", fmt.Errorf("plots: curves of %q: unknown axis %v", p.metric, opt.X)
	}

	var out []*series
	for ri, r := range runs {
		type key struct{ sub, split string }
		byKey := map[key]*series{}
		spe := opt.StepsPerEpoch
		for _, m := range r.Metrics {
			sub, ok := p.match(m.Name)
			if !ok {
				continue
			}
			if opt.X == ByEpoch && spe <= 0 {
				var ok bool
				if spe, ok = StepsPerEpoch(r.Metrics); !ok {
					return nil, "", fmt.Errorf("plots: curves of %q: run %q: %w", p.metric, r.Label, ErrNoEpoch)
				}
			}
			k := key{sub, m.Split}
			s := byKey[k]
			if s == nil {
				s = &series{run: ri, sub: sub, split: m.Split}
				byKey[k] = s
				out = append(out, s)
			}
			for len(s.pts) > 0 && s.pts[len(s.pts)-1].step >= m.Step {
				s.pts = s.pts[:len(s.pts)-1]
			}
			var x float64
			switch opt.X {
			case ByEpoch:
				x = float64(m.Step) / spe
			case ByStep:
				x = float64(m.Step)
			case ByWall:
				x = m.Wall / wallDiv
			}
			s.pts = append(s.pts, point{x: x, y: m.Value * p.scale, step: m.Step, epoch: m.Epoch})
		}
	}
	return out, xlabel, nil
}

// drawn describes one plotted element of a series for the legend: its
// label, its thumbnails in the series colour and in the neutral key colour.
type drawn struct {
	label     string
	thumbs    []plot.Thumbnailer
	keyThumbs []plot.Thumbnailer
}

// finiteXYs returns the points of s with a finite value.
func finiteXYs(s *series) plotter.XYs {
	xys := make(plotter.XYs, 0, len(s.pts))
	for _, p := range s.pts {
		if !math.IsNaN(p.y) && !math.IsInf(p.y, 0) {
			xys = append(xys, plotter.XY{X: p.x, Y: p.y})
		}
	}
	return xys
}

// addSeries adds the lines and markers of one series to the figure's plot
// in colour col and describes them for the legend: a per-step train series
// as a noisy line (addNoisy), any other as a line with markers
// (addMarked).
func addSeries(f *Figure, s *series, p panel, span int, col color.NRGBA) ([]drawn, error) {
	xys := finiteXYs(s)
	if len(xys) == 0 {
		return nil, nil
	}
	if s.split == "train" && s.dense() {
		return addNoisy(f.Plot, xys, p, span, col)
	}
	d, err := addMarked(f.Plot, xys, s.split, p, col)
	if err != nil {
		return nil, err
	}
	return []drawn{d}, nil
}

// keyStyle returns sty in the neutral colour of the legend's key.
func keyStyle(sty draw.LineStyle) draw.LineStyle {
	sty.Color = keyColor
	return sty
}

// addNoisy draws a per-step train series: a thin translucent line of the
// values under a thick line of their EMA of span span, or, for a metric
// that is not smoothed or a span of 1, one plain line.
func addNoisy(pl *plot.Plot, xys plotter.XYs, p panel, span int, col color.NRGBA) ([]drawn, error) {
	if !p.smooth || span <= 1 {
		sty := draw.LineStyle{Color: col, Width: vg.Points(plainWidth)}
		if err := addLine(pl, xys, sty, p.metric); err != nil {
			return nil, err
		}
		return []drawn{{
			label:     "train",
			thumbs:    []plot.Thumbnailer{lineThumb{sty}},
			keyThumbs: []plot.Thumbnailer{lineThumb{keyStyle(sty)}},
		}}, nil
	}
	raw := draw.LineStyle{Color: withAlpha(col, rawAlpha), Width: vg.Points(rawWidth)}
	if err := addLine(pl, xys, raw, p.metric); err != nil {
		return nil, err
	}
	ys := make([]float64, len(xys))
	for i, xy := range xys {
		ys[i] = xy.Y
	}
	sm := EMA(ys, span)
	smooth := make(plotter.XYs, len(xys))
	for i := range xys {
		smooth[i] = plotter.XY{X: xys[i].X, Y: sm[i]}
	}
	thick := draw.LineStyle{Color: col, Width: vg.Points(thickWidth)}
	if err := addLine(pl, smooth, thick, p.metric); err != nil {
		return nil, err
	}
	rawKey := keyStyle(raw)
	rawKey.Color = withAlpha(keyColor, rawAlpha)
	return []drawn{
		{
			label:     "train, raw",
			thumbs:    []plot.Thumbnailer{lineThumb{raw}},
			keyThumbs: []plot.Thumbnailer{lineThumb{rawKey}},
		},
		{
			label:     fmt.Sprintf("train, EMA (span %d)", span),
			thumbs:    []plot.Thumbnailer{lineThumb{thick}},
			keyThumbs: []plot.Thumbnailer{lineThumb{keyStyle(thick)}},
		},
	}, nil
}

// addMarked draws per-epoch train values, test and other splits: a line
// (train solid, test dashed, others dotted) with markers (train filled
// discs, test rings, others squares) up to maxMarkers points.
func addMarked(pl *plot.Plot, xys plotter.XYs, split string, p panel, col color.NRGBA) (drawn, error) {
	sty := draw.LineStyle{Color: col, Width: vg.Points(thickWidth)}
	glyph := draw.GlyphStyle{Color: col, Radius: vg.Points(markerSize), Shape: hollowGlyph{}}
	switch split {
	case "train":
		glyph.Shape = draw.CircleGlyph{}
	case "test":
		sty.Dashes = []vg.Length{vg.Points(5), vg.Points(2.5)}
	default:
		sty.Dashes = []vg.Length{vg.Points(1.5), vg.Points(2)}
		glyph.Shape = draw.SquareGlyph{}
	}
	if err := addLine(pl, xys, sty, p.metric); err != nil {
		return drawn{}, err
	}
	d := drawn{
		label:     split,
		thumbs:    []plot.Thumbnailer{lineThumb{sty}},
		keyThumbs: []plot.Thumbnailer{lineThumb{keyStyle(sty)}},
	}
	if len(xys) <= maxMarkers {
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			return drawn{}, fmt.Errorf("plots: curves of %q: %w", p.metric, err)
		}
		sc.GlyphStyle = glyph
		pl.Add(sc)
		kg := glyph
		kg.Color = keyColor
		d.thumbs = append(d.thumbs, glyphThumb{glyph})
		d.keyThumbs = append(d.keyThumbs, glyphThumb{kg})
	}
	if split == "train" {
		d.label = "train, per epoch"
	}
	return d, nil
}

// addLine adds a line through xys. The rasteriser of PNG output slows down
// with the square of the length of one stroked path (a 14,000-point noisy
// loss took 0.7 s); pieces of lineChunk points, each sharing its last
// point with the next, draw the same line in a fraction of the time.
func addLine(pl *plot.Plot, xys plotter.XYs, sty draw.LineStyle, metric string) error {
	for lo := 0; lo < len(xys); lo += lineChunk - 1 {
		hi := min(lo+lineChunk, len(xys))
		l, err := plotter.NewLine(xys[lo:hi])
		if err != nil {
			return fmt.Errorf("plots: curves of %q: %w", metric, err)
		}
		l.LineStyle = sty
		pl.Add(l)
		if hi == len(xys) {
			break
		}
	}
	return nil
}

// padRanges starts the horizontal axis at 0 when no data lies left of it
// (epochs, steps and wall time all start there), extends it to the next
// major tick when that is within 2 % of the range, and widens the vertical
// range by 4 % on each side, so that no line runs along the frame.
func padRanges(p *plot.Plot) {
	if p.X.Min > 0 {
		p.X.Min = 0
	}
	// A run logged up to step 14,069 of 14,070 ends a hair before its last
	// epoch; reach the major tick when it is that close, so it is labelled.
	if r := p.X.Max - p.X.Min; r > 0 {
		step, _, _ := niceStep(r / maxMajor)
		if t, ok := p.X.Tick.Marker.(niceTicks); ok && t.integer {
			step = max(step, 1)
		}
		if next := math.Ceil(p.X.Max/step) * step; next-p.X.Max <= 0.02*r {
			p.X.Max = next
		}
	}
	r := p.Y.Max - p.Y.Min
	if r == 0 {
		r = math.Max(math.Abs(p.Y.Max), 1)
	}
	p.Y.Min -= 0.04 * r
	p.Y.Max += 0.04 * r
}
