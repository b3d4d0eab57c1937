package plots

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// SweepTrial is one trial of a hyperparameter sweep as the sweep figures
// draw it.
type SweepTrial struct {
	// ID names the trial ("t0007").
	ID string
	// Params holds the trial's parameter values as text, keyed by
	// parameter name ("train.lr": "0.001", "model.neuron": "lif"). A
	// parameter whose values all parse as numbers is numeric; otherwise its
	// values are categories.
	Params map[string]string
	// Metric is the trial's value of the sweep's metric, as stored
	// (accuracy as a fraction); NaN when it has none.
	Metric float64
	// State is the trial's state: "done", "failed", "stopped" (halted by
	// successive halving), "running", "interrupted" or "pending".
	State string
	// RunDir is the trial's run directory, whose metrics.jsonl gives its
	// learning curves in SweepFigures; "" when it has none. The other
	// sweep figures do not use it.
	RunDir string
}

// SweepMetric names the metric that ranks a sweep's trials.
type SweepMetric struct {
	// Name is "split/name" as in metrics.jsonl ("test/accuracy"), or a
	// bare name; accuracy and rates are drawn in percent.
	Name string
	// Minimize says that smaller values are better (a loss).
	Minimize bool
}

// SweepParam is a swept parameter: its name and whether its values are
// drawn on a logarithmic axis (a parameter sampled log-uniformly, such as
// a learning rate).
type SweepParam struct {
	Name string
	Log  bool
}

// SweepParams returns the parameters of trials in name order, each on a
// logarithmic axis when its values are numbers, all positive, and the
// largest is at least 20 times the smallest.
func SweepParams(trials []SweepTrial) []SweepParam {
	var names []string
	for _, t := range trials {
		for k := range t.Params {
			if !slices.Contains(names, k) {
				names = append(names, k)
			}
		}
	}
	slices.Sort(names)
	ps := make([]SweepParam, len(names))
	for i, n := range names {
		ps[i] = SweepParam{Name: n}
		lo, hi, ok := numericRange(trials, n)
		ps[i].Log = ok && lo > 0 && hi >= 20*lo
	}
	return ps
}

// numericRange returns the range of a parameter's values if all of them
// are numbers.
func numericRange(trials []SweepTrial, name string) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, t := range trials {
		s, present := t.Params[name]
		if !present {
			continue
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, 0, false
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi, lo <= hi
}

// sweepAxis maps one parameter's values to positions: numbers to
// themselves, categories to 0, 1, ... in order of first appearance.
type sweepAxis struct {
	param      SweepParam
	numeric    bool
	lo, hi     float64  // numeric range
	categories []string // categorical values
}

func newSweepAxis(trials []SweepTrial, p SweepParam) (sweepAxis, error) {
	a := sweepAxis{param: p}
	a.lo, a.hi, a.numeric = numericRange(trials, p.Name)
	if a.numeric {
		if p.Log && !(a.lo > 0) {
			return a, fmt.Errorf("plots: sweep: parameter %q on a log axis has the value %g (want > 0)", p.Name, a.lo)
		}
		return a, nil
	}
	p.Log = false
	a.param = p
	for _, t := range trials {
		if s, ok := t.Params[p.Name]; ok && !slices.Contains(a.categories, s) {
			a.categories = append(a.categories, s)
		}
	}
	if len(a.categories) == 0 {
		return a, fmt.Errorf("plots: sweep: no trial has the parameter %q", p.Name)
	}
	return a, nil
}

// pos returns the position of a trial's value on the axis, false if the
// trial lacks the parameter.
func (a sweepAxis) pos(t SweepTrial) (float64, bool) {
	s, ok := t.Params[a.param.Name]
	if !ok {
		return 0, false
	}
	if a.numeric {
		v, _ := strconv.ParseFloat(s, 64)
		return v, true
	}
	return float64(slices.Index(a.categories, s)), true
}

// norm returns a position scaled to [0, 1] over the axis (log for log
// axes; the middle when all values are equal).
func (a sweepAxis) norm(v float64) float64 {
	if !a.numeric {
		if len(a.categories) == 1 {
			return 0.5
		}
		return v / float64(len(a.categories)-1)
	}
	lo, hi := a.lo, a.hi
	if a.param.Log {
		v, lo, hi = math.Log(v), math.Log(lo), math.Log(hi)
	}
	if hi == lo {
		return 0.5
	}
	return (v - lo) / (hi - lo)
}

// metricLabel returns the axis label and the scale of a metric named
// "split/name" or "name": accuracy and rates in percent, as in the
// learning curves.
func metricLabel(metric string) (string, float64) {
	split, name, ok := strings.Cut(metric, "/")
	if !ok {
		split, name = "", metric
	}
	if strings.HasPrefix(name, "rate/") {
		name = "rate/"
	}
	p := panelFor(name)
	if strings.HasPrefix(metric, "rate/") || name == "rate/" {
		p.ylabel = metric + " (%)"
		split = ""
	}
	return joinLabel(split, p.ylabel), p.scale
}

// hasValue reports whether a trial has a finite metric value.
func (t SweepTrial) hasValue() bool { return !math.IsNaN(t.Metric) && !math.IsInf(t.Metric, 0) }

// Marker styles of the sweep figures.
var (
	doneGlyph    = draw.GlyphStyle{Color: palette[0], Radius: vg.Points(3.2), Shape: draw.CircleGlyph{}}
	partialGlyph = draw.GlyphStyle{Color: palette[7], Radius: vg.Points(3.2), Shape: hollowGlyph{}}
	failedGlyph  = draw.GlyphStyle{Color: palette[3], Radius: vg.Points(3.5), Shape: draw.CrossGlyph{}}
)

// failedBand is the share of a sweep panel's height kept free under the
// data for the marks of trials without a value.
const failedBand = 0.12

// SweepScatter draws the sweep's metric against each parameter, one panel
// per parameter in the order of params (nil: SweepParams(trials)), in up
// to three columns with a shared vertical range. A numeric parameter has
// its values on the horizontal axis, logarithmic when Log; a categorical
// one has its categories side by side, the trials of a category spread a
// little sideways so that equal values do not hide each other. Finished
// trials are filled discs; trials with a value that did not finish
// (stopped by successive halving, running, interrupted) are grey rings;
// trials without a value (failed, diverged, pending) are red crosses in a
// band along the bottom of each panel. Accuracy is drawn in percent. The
// figure's Name is "sweep_scatter".
//
// It returns an error for no trials, or a parameter that no trial has.
func SweepScatter(trials []SweepTrial, params []SweepParam, metric SweepMetric) (*Figure, error) {
	if len(trials) == 0 {
		return nil, fmt.Errorf("plots: sweep scatter: no trials")
	}
	if params == nil {
		params = SweepParams(trials)
	}
	if len(params) == 0 {
		return nil, fmt.Errorf("plots: sweep scatter: no parameters")
	}
	label, scale := metricLabel(metric.Name)
	yr := newScatterRange(trials, scale)
	cols := min(3, len(params))
	rows := (len(params) + cols - 1) / cols
	var plots []*plot.Plot
	for i, prm := range params {
		ax, err := newSweepAxis(trials, prm)
		if err != nil {
			return nil, err
		}
		ylabel := ""
		if i%cols == 0 {
			ylabel = label
		}
		xlabel := prm.Name
		if prm.Log {
			xlabel += " (log scale)"
		}
		p, err := scatterPanel(trials, ax, xlabel, ylabel, yr)
		if err != nil {
			return nil, err
		}
		plots = append(plots, p)
	}
	f := &Figure{Name: "sweep_scatter", Plot: plots[0], Panels: plots[1:], Cols: cols,
		Width: DefaultWidth * vg.Length(min(cols, 2)) * 0.75, Height: vg.Length(rows)*3.2*vg.Inch + 0.6*vg.Inch, DPI: DefaultDPI}
	f.Width = max(f.Width, DefaultWidth)
	f.Title = fmt.Sprintf("Sweep: %s against each parameter (%d trials)", label, len(trials))
	f.Legend = sweepLegend(yr.done, yr.partial, yr.failed)
	return f, nil
}

// scatterRange is the vertical range that the panels of the sweep scatter
// share, in drawn units (accuracy in percent), and the number of trials in
// each state.
type scatterRange struct {
	scale    float64 // drawn units per stored unit
	min, max float64 // the panels' range, the band included
	// band is the top of the band along the bottom that holds the trials
	// without a value: the lowest value less a margin (the range's min
	// when every trial has a value).
	band                  float64
	done, partial, failed int
}

func newScatterRange(trials []SweepTrial, scale float64) scatterRange {
	yr := scatterRange{scale: scale}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, t := range trials {
		switch {
		case !t.hasValue():
			yr.failed++
			continue
		case t.State == "done":
			yr.done++
		default:
			yr.partial++
		}
		lo, hi = min(lo, t.Metric*scale), max(hi, t.Metric*scale)
	}
	if lo > hi {
		lo, hi = 0, 1
	}
	r := hi - lo
	if r == 0 {
		r = math.Max(math.Abs(hi), 1)
	}
	yr.band, yr.max = lo-0.04*r, hi+0.04*r
	yr.min = yr.band
	if yr.failed > 0 {
		yr.min -= failedBand * r
	}
	return yr
}

// scatterPanel returns the panel of one parameter of the sweep scatter.
// The trials of a category are spread a little sideways.
func scatterPanel(trials []SweepTrial, ax sweepAxis, xlabel, ylabel string, yr scatterRange) (*plot.Plot, error) {
	p := newPlot("", xlabel, ylabel)
	p.Add(newGrid())
	p.Y.Tick.Marker = niceTicks{}
	p.Y.Min, p.Y.Max = yr.min, yr.max
	var done, partial plotter.XYs
	var failed []float64
	for k, t := range trials {
		x, ok := ax.pos(t)
		if !ok {
			continue
		}
		if !ax.numeric {
			// Spread by the golden-ratio sequence: deterministic and
			// even for any number of trials.
			x += 0.3 * (math.Mod(float64(k)*0.6180339887, 1) - 0.5)
		}
		switch {
		case !t.hasValue():
			failed = append(failed, x)
		case t.State == "done":
			done = append(done, plotter.XY{X: x, Y: t.Metric * yr.scale})
		default:
			partial = append(partial, plotter.XY{X: x, Y: t.Metric * yr.scale})
		}
	}
	for _, s := range []struct {
		xys plotter.XYs
		sty draw.GlyphStyle
	}{{partial, partialGlyph}, {done, doneGlyph}} {
		if len(s.xys) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(s.xys)
		if err != nil {
			return nil, fmt.Errorf("plots: sweep scatter: %w", err)
		}
		sc.GlyphStyle = s.sty
		p.Add(sc)
	}
	if yr.failed > 0 {
		p.Add(&bottomMarks{xs: failed, sty: failedGlyph})
		// The band has its own label instead of values.
		p.Y.Tick.Marker = bandTicks{top: yr.band, mid: yr.min + (yr.band-yr.min)/2}
	}
	setParamAxis(p, ax)
	return p, nil
}

// setParamAxis sets the horizontal axis of a scatter panel: categories
// side by side, a logarithmic axis with a factor 1.25 of room at both
// ends, or a linear one with 6 % of the range.
func setParamAxis(p *plot.Plot, ax sweepAxis) {
	switch {
	case !ax.numeric:
		var ts []plot.Tick
		for j, c := range ax.categories {
			ts = append(ts, plot.Tick{Value: float64(j), Label: c})
		}
		p.X.Tick.Marker = plot.ConstantTicks(ts)
		p.X.Min, p.X.Max = -0.5, float64(len(ax.categories))-0.5
	case ax.param.Log:
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = logTicks{}
		p.X.Min, p.X.Max = ax.lo/1.25, ax.hi*1.25
	default:
		p.X.Tick.Marker = niceTicks{}
		pad := 0.06 * (ax.hi - ax.lo)
		if pad == 0 {
			pad = math.Max(math.Abs(ax.hi)*0.1, 1)
		}
		p.X.Min, p.X.Max = ax.lo-pad, ax.hi+pad
	}
}

// sweepLegend returns the legend of the trial states that occur.
func sweepLegend(nDone, nPartial, nFailed int) []LegendEntry {
	var es []LegendEntry
	if nDone > 0 {
		es = append(es, LegendEntry{Label: fmt.Sprintf("done (%d)", nDone), Thumbs: []plot.Thumbnailer{glyphThumb{doneGlyph}}})
	}
	if nPartial > 0 {
		es = append(es, LegendEntry{Label: fmt.Sprintf("not finished: stopped, running, interrupted (%d)", nPartial), Thumbs: []plot.Thumbnailer{glyphThumb{partialGlyph}}})
	}
	if nFailed > 0 {
		es = append(es, LegendEntry{Label: fmt.Sprintf("failed or no value yet (%d)", nFailed), Thumbs: []plot.Thumbnailer{glyphThumb{failedGlyph}}})
	}
	return es
}

// bottomMarks is a plotter that draws a glyph at each horizontal position
// in the middle of the band kept free along the bottom of the plot area.
type bottomMarks struct {
	xs  []float64
	sty draw.GlyphStyle
}

// Plot implements plot.Plotter.
func (b *bottomMarks) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	band := (c.Max.Y - c.Min.Y) * failedBand / (1 + failedBand + 0.08)
	y := c.Min.Y + band/2
	// A dashed line parts the band from the values, and says what it holds.
	sep := draw.LineStyle{Color: color.Gray{Y: 0xa0}, Width: vg.Points(0.6), Dashes: []vg.Length{vg.Points(2), vg.Points(2)}}
	c.StrokeLine2(sep, c.Min.X, c.Min.Y+band, c.Max.X, c.Min.Y+band)
	for _, x := range b.xs {
		c.DrawGlyph(b.sty, vg.Point{X: trX(x), Y: y})
	}
}

// bandTicks are the ticks of a sweep panel's vertical axis with a band
// for trials without a value below top: niceTicks above it, and the label
// "no value" at mid.
type bandTicks struct{ top, mid float64 }

// Ticks implements plot.Ticker.
func (b bandTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := []plot.Tick{{Value: b.mid, Label: "no value"}}
	for _, t := range (niceTicks{}).Ticks(b.top, hi) {
		ts = append(ts, t)
	}
	return ts
}

// logTicks places major ticks of a logarithmic axis at powers of ten, and
// at 2 and 5 times them when the axis spans less than two decades; minor
// ticks at the other whole multiples. Labels are in exponent form ("1e-3")
// when the axis reaches below 0.01 or to 10^4 and beyond, else plain.
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) {
		return nil
	}
	mults := map[int]bool{1: true}
	if hi/lo < 100 {
		mults[2], mults[5] = true, true
	}
	exp := lo < 0.01 || hi >= 1e4
	var ts []plot.Tick
	for e := int(math.Floor(math.Log10(lo))); e <= int(math.Ceil(math.Log10(hi))); e++ {
		for m := 1; m <= 9; m++ {
			v := float64(m) * math.Pow(10, float64(e))
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if mults[m] {
				if exp {
					t.Label = strconv.Itoa(m) + "e" + strconv.Itoa(e)
				} else {
					t.Label = strconv.FormatFloat(v, 'g', -1, 64)
				}
			}
			ts = append(ts, t)
		}
	}
	return ts
}

// ParallelCoordinates draws every trial as a line across parallel
// vertical axes, one per parameter in the order of params (nil:
// SweepParams(trials)) and the metric last. Each axis runs from its
// smallest value (bottom) to its largest (top), logarithmically for log
// parameters, categories evenly spaced; its ends and categories are
// labelled beside it. A trial's line is coloured by its metric (Viridis,
// yellow at the better end; the colour bar gives the values) and the best
// trial's line (the largest value, or the smallest with Minimize) is drawn
// thicker, on top. Trials without a value are dashed red lines across the
// parameter axes that end in a cross below the metric axis. Accuracy is
// drawn in percent. The figure's Name is "sweep_parallel".
//
// It returns an error for no trials, or a parameter that no trial has.
func ParallelCoordinates(trials []SweepTrial, params []SweepParam, metric SweepMetric) (*Figure, error) {
	if len(trials) == 0 {
		return nil, fmt.Errorf("plots: parallel coordinates: no trials")
	}
	if params == nil {
		params = SweepParams(trials)
	}
	label, scale := metricLabel(metric.Name)
	var axes []sweepAxis
	for _, prm := range params {
		ax, err := newSweepAxis(trials, prm)
		if err != nil {
			return nil, err
		}
		axes = append(axes, ax)
	}
	m := newMetricAxis(trials, scale, metric.Minimize)
	p := parallelFrame(fmt.Sprintf("Sweep: parameters and %s (%d trials)", label, len(trials)), label, axes)
	var nFailed int
	for _, i := range drawOrder(trials, m) {
		if err := addTrialLine(p, trials[i], i == m.best, axes, m); err != nil {
			return nil, err
		}
		if !trials[i].hasValue() {
			nFailed++
		}
	}
	p.Add(&pcAxes{axes: axes, mlo: m.lo, mhi: m.hi})

	k := len(axes)
	f := &Figure{Name: "sweep_parallel", Plot: p, Width: max(DefaultWidth, vg.Length(k+1)*1.35*vg.Inch), Height: DefaultHeight, DPI: DefaultDPI}
	f.ColorBar = m.colorBar(label)
	if m.best >= 0 {
		sty := draw.LineStyle{Color: keyColor, Width: vg.Points(3)}
		f.Legend = append(f.Legend, LegendEntry{Label: "best: " + trials[m.best].ID, Thumbs: []plot.Thumbnailer{lineThumb{sty}}})
	}
	if nFailed > 0 {
		f.Legend = append(f.Legend, LegendEntry{Label: fmt.Sprintf("failed or no value yet (%d)", nFailed),
			Thumbs: []plot.Thumbnailer{lineThumb{failedLine}, glyphThumb{failedGlyph}}})
	}
	return f, nil
}

// failedLine is the line of a trial without a value in the parallel
// coordinates.
var failedLine = draw.LineStyle{Color: withAlpha(palette[3], 0.7), Width: vg.Points(1), Dashes: []vg.Length{vg.Points(3), vg.Points(2)}}

// metricAxis is the metric's axis of the parallel coordinates: the range
// of the trials' values, in drawn units (accuracy in percent), and the
// best trial.
type metricAxis struct {
	lo, hi float64 // the range; 0 to 1 when no trial has a value
	scale  float64 // drawn units per stored unit
	lower  bool    // smaller is better
	best   int     // the best trial's index, -1 when none has a value
}

func newMetricAxis(trials []SweepTrial, scale float64, lower bool) metricAxis {
	m := metricAxis{lo: math.Inf(1), hi: math.Inf(-1), scale: scale, lower: lower, best: -1}
	for i, t := range trials {
		if !t.hasValue() {
			continue
		}
		v := t.Metric * scale
		m.lo, m.hi = min(m.lo, v), max(m.hi, v)
		if m.best < 0 || (!lower && t.Metric > trials[m.best].Metric) || (lower && t.Metric < trials[m.best].Metric) {
			m.best = i
		}
	}
	if m.lo > m.hi {
		m.lo, m.hi = 0, 1
	}
	return m
}

// norm returns the position of a drawn value on the axis, 0 at the
// bottom and 1 at the top (the middle when all values are equal).
func (m metricAxis) norm(v float64) float64 {
	if m.hi == m.lo {
		return 0.5
	}
	return (v - m.lo) / (m.hi - m.lo)
}

// color returns the colour of a drawn value.
func (m metricAxis) color(v float64) color.NRGBA { return colorFor(m.norm(v), m.lower) }

// colorBar returns the colour bar of the metric. It spans the metric's
// range, from the worst trial to the best: padding it to line up with the
// plot's margins would show values no trial has (a negative loss).
func (m metricAxis) colorBar(label string) *ColorBar {
	lo, hi := m.lo, m.hi
	if lo == hi {
		lo, hi = lo-0.5, hi+0.5
	}
	cmap := func(t float64) color.NRGBA { return m.color(lo + t*(hi-lo)) }
	return &ColorBar{Label: label, Min: lo, Max: hi, Map: cmap}
}

// parallelFrame returns the empty plot of the parallel coordinates: one
// position per parameter axis and the metric's last, named below.
func parallelFrame(title, label string, axes []sweepAxis) *plot.Plot {
	k := len(axes)
	p := newPlot(title, "", "")
	p.HideY()
	p.X.Padding = 0
	// Room for the names under the first and last axes and for the
	// labels right of the last.
	p.X.Min, p.X.Max = -0.35, float64(k)+0.45
	p.Y.Min, p.Y.Max = -0.12, 1.04
	var names []plot.Tick
	for i, ax := range axes {
		name := lastKey(ax.param.Name)
		if ax.param.Log {
			name += " (log)"
		}
		names = append(names, plot.Tick{Value: float64(i), Label: name})
	}
	names = append(names, plot.Tick{Value: float64(k), Label: label})
	p.X.Tick.Marker = plot.ConstantTicks(names)
	p.X.LineStyle.Width = 0
	p.X.Tick.LineStyle.Width = 0
	return p
}

// drawOrder returns the trials' indices in the order their lines are
// drawn: trials without a value first, then by metric, so that the best
// lines end up on top, the best last.
func drawOrder(trials []SweepTrial, m metricAxis) []int {
	order := make([]int, 0, len(trials))
	for i := range trials {
		order = append(order, i)
	}
	rank := func(i int) float64 {
		t := trials[i]
		switch {
		case !t.hasValue():
			return math.Inf(-1)
		case i == m.best:
			return math.Inf(1)
		case m.lower:
			return -t.Metric
		}
		return t.Metric
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ra, rb := rank(a), rank(b)
		switch {
		case ra < rb:
			return -1
		case ra > rb:
			return 1
		}
		return 0
	})
	return order
}

// addTrialLine adds one trial's line to the parallel coordinates: across
// the parameter axes it has to the metric axis, coloured by its value
// (thick for the best trial), or, without a value, dashed red across the
// parameter axes and a cross below the metric axis.
func addTrialLine(p *plot.Plot, t SweepTrial, best bool, axes []sweepAxis, m metricAxis) error {
	k := len(axes)
	var xys plotter.XYs
	for j, ax := range axes {
		v, ok := ax.pos(t)
		if !ok {
			continue
		}
		xys = append(xys, plotter.XY{X: float64(j), Y: ax.norm(v)})
	}
	sty := failedLine
	if t.hasValue() {
		v := t.Metric * m.scale
		xys = append(xys, plotter.XY{X: float64(k), Y: m.norm(v)})
		c := m.color(v)
		sty = draw.LineStyle{Color: withAlpha(c, 0.85), Width: vg.Points(1.4)}
		if best {
			sty.Color, sty.Width = c, vg.Points(3)
		}
	}
	if len(xys) >= 2 {
		l, err := plotter.NewLine(xys)
		if err != nil {
			return fmt.Errorf("plots: parallel coordinates: %w", err)
		}
		l.LineStyle = sty
		p.Add(l)
	}
	if !t.hasValue() {
		sc, err := plotter.NewScatter(plotter.XYs{{X: float64(k), Y: -0.07}})
		if err != nil {
			return fmt.Errorf("plots: parallel coordinates: %w", err)
		}
		sc.GlyphStyle = failedGlyph
		p.Add(sc)
	}
	return nil
}

// colorFor returns the Viridis colour of a metric at position t of its
// range, clamped to [0, 1]: yellow is the better end.
func colorFor(t float64, lower bool) color.NRGBA {
	t = math.Min(1, math.Max(0, t))
	if lower {
		t = 1 - t
	}
	return Viridis(t)
}

// lastKey returns the last part of a dotted config key ("train.lr" → "lr").
func lastKey(k string) string {
	if i := strings.LastIndex(k, "."); i >= 0 {
		return k[i+1:]
	}
	return k
}

// pcAxes draws the vertical axes of a parallel-coordinates plot with their
// labels: the ends of numeric axes (and the middle), every category.
type pcAxes struct {
	axes     []sweepAxis
	mlo, mhi float64
}

// Plot implements plot.Plotter.
func (a *pcAxes) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	line := draw.LineStyle{Color: color.Gray{Y: 0x30}, Width: vg.Points(1)}
	sty := text.Style{Color: color.Black, Font: font.From(sans, 9), Handler: plot.DefaultTextHandler,
		XAlign: text.XLeft, YAlign: text.YCenter}
	label := func(x vg.Length, y float64, s string) {
		pt := vg.Point{X: x + 3, Y: trY(y)}
		w, h := sty.Width(s), sty.Height(s)
		bg := vg.Rectangle{Min: vg.Point{X: pt.X - 1, Y: pt.Y - h/2}, Max: vg.Point{X: pt.X + w + 1, Y: pt.Y + h/2}}
		c.SetColor(color.NRGBA{0xff, 0xff, 0xff, 0xd0})
		c.Fill(bg.Path())
		c.FillText(sty, pt, s)
	}
	for i := 0; i <= len(a.axes); i++ {
		x := trX(float64(i))
		c.StrokeLine2(line, x, trY(0), x, trY(1))
		if i == len(a.axes) {
			label(x, 0, fmtValue(a.mlo))
			label(x, 1, fmtValue(a.mhi))
			continue
		}
		ax := a.axes[i]
		if !ax.numeric {
			for j, cat := range ax.categories {
				label(x, ax.norm(float64(j)), cat)
			}
			continue
		}
		label(x, 0, fmtValue(ax.lo))
		if ax.hi != ax.lo {
			label(x, 1, fmtValue(ax.hi))
			mid := (ax.lo + ax.hi) / 2
			if ax.param.Log {
				mid = math.Sqrt(ax.lo * ax.hi)
			}
			label(x, 0.5, fmtValue(mid))
		}
	}
}

// fmtValue formats an axis end: 3 significant digits, exponent form for
// small and large magnitudes.
func fmtValue(v float64) string {
	return strconv.FormatFloat(v, 'g', 3, 64)
}
