package plots

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Inference is an inference report as the inference figures draw it:
// spikegrad plot fills it from an infer report (report.json).
type Inference struct {
	// Samples and Steps are the size of the test set and the time steps
	// per sample.
	Samples, Steps int
	// Layers holds the neuron layers in network order.
	Layers []LayerActivity
	// Energy holds the energy per sample on each hardware profile, in the
	// order to draw them (top to bottom).
	Energy []EnergyEstimate
}

// LayerActivity is what one neuron layer did per sample.
type LayerActivity struct {
	Layer   string
	Neurons int
	// Spikes is the layer's output spikes per sample, summed over time
	// and neurons.
	Spikes float64
	// Rate is the fraction of neuron-steps with a spike, in [0, 1].
	Rate float64
}

// EnergyEstimate is the energy per sample of a run on one hardware
// profile, in joules, a range [Low, High] (Low = High for a single
// figure).
type EnergyEstimate struct {
	// Name is the profile's key, Title the hardware's name.
	Name, Title string
	// Dense marks a profile charged for a dense forward of the network
	// rather than for what the event-driven run did.
	Dense     bool
	Low, High float64
}

// InferenceFigures returns the figures of an inference report: the
// activity per layer (ActivityBars) when it has neuron layers and the
// energy per sample across profiles (EnergyBars) when it has profiles.
func InferenceFigures(in *Inference) ([]*Figure, error) {
	var figs []*Figure
	if len(in.Layers) > 0 {
		f, err := ActivityBars(in.Layers, in.Samples, in.Steps)
		if err != nil {
			return nil, err
		}
		figs = append(figs, f)
	}
	if len(in.Energy) > 0 {
		f, err := EnergyBars(in.Energy)
		if err != nil {
			return nil, err
		}
		figs = append(figs, f)
	}
	if len(figs) == 0 {
		return nil, fmt.Errorf("plots: inference report: no neuron layer and no energy profile to draw")
	}
	return figs, nil
}

// ActivityBars draws the activity of each neuron layer as two bar charts
// side by side, one bar per layer in network order: the spikes per sample
// and the firing rate in percent of neuron-steps, each bar with its value
// above it. samples and steps go into the title (0 leaves them out). The
// figure's Name is "activity".
//
// It returns an error for no layers, and for a count or rate that is
// negative or not finite or a rate above 1, naming the layer.
func ActivityBars(layers []LayerActivity, samples, steps int) (*Figure, error) {
	if len(layers) == 0 {
		return nil, fmt.Errorf("plots: activity: no layers")
	}
	var spikes, rates []float64
	var names []string
	for _, l := range layers {
		if !(l.Spikes >= 0) || math.IsInf(l.Spikes, 0) {
			return nil, fmt.Errorf("plots: activity: layer %q: %v spikes per sample", l.Layer, l.Spikes)
		}
		if !(l.Rate >= 0 && l.Rate <= 1) {
			return nil, fmt.Errorf("plots: activity: layer %q: rate %v outside [0, 1]", l.Layer, l.Rate)
		}
		spikes = append(spikes, l.Spikes)
		rates = append(rates, 100*l.Rate)
		names = append(names, l.Layer)
	}
	left := newBarPlot("", "spikes per sample", names, spikes, palette[0], func(v float64) string { return compact(v) })
	right := newBarPlot("", "firing rate (% of neuron-steps)", names, rates, palette[2], func(v float64) string { return compact(v) + " %" })
	title := "Activity per layer"
	switch {
	case samples > 0 && steps > 0:
		title += fmt.Sprintf(" — %d samples, %d steps", samples, steps)
	case steps > 0:
		title += fmt.Sprintf(" — %d steps", steps)
	}
	return &Figure{Name: "activity", Title: title, Plot: left, Panels: []*plot.Plot{right}, Cols: 2,
		Width: DefaultWidth, Height: DefaultHeight, DPI: DefaultDPI}, nil
}

// newBarPlot returns a plot of vertical bars, one per category, from 0,
// each with its value above it.
func newBarPlot(title, ylabel string, names []string, vals []float64, col color.NRGBA, label func(float64) string) *plot.Plot {
	p := newPlot(title, "", ylabel)
	var ts []plot.Tick
	for i, n := range names {
		ts = append(ts, plot.Tick{Value: float64(i), Label: n})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ts)
	p.X.Min, p.X.Max = -0.6, float64(len(names))-0.4
	p.Y.Tick.Marker = niceTicks{}
	top := 0.0
	for _, v := range vals {
		top = max(top, v)
	}
	if top == 0 {
		top = 1
	}
	// Room above the tallest bar for its label.
	p.Y.Min, p.Y.Max = 0, top*1.15
	g := newGrid()
	g.Vertical.Color = nil
	p.Add(g)
	p.Add(&bars{vals: vals, col: col, label: label})
	return p
}

// bars draws vertical bars at x = 0, 1, ... from 0 to each value, with a
// label above each.
type bars struct {
	vals  []float64
	col   color.NRGBA
	label func(float64) string
}

// barSpan is the thickness of a bar in category units.
const barSpan = 0.6

// Plot implements plot.Plotter.
func (b *bars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := valueStyle(text.XCenter, text.YBottom)
	for i, v := range b.vals {
		x0, x1 := trX(float64(i)-barSpan/2), trX(float64(i)+barSpan/2)
		y0, y1 := trY(0), trY(v)
		c.SetColor(b.col)
		c.Fill(rectPath(x0, y0, x1, y1))
		c.FillText(sty, vg.Point{X: (x0 + x1) / 2, Y: y1 + vg.Points(2)}, b.label(v))
	}
}

// rectPath returns the closed path of a rectangle.
func rectPath(x0, y0, x1, y1 vg.Length) vg.Path {
	var r vg.Path
	r.Move(vg.Point{X: x0, Y: y0})
	r.Line(vg.Point{X: x1, Y: y0})
	r.Line(vg.Point{X: x1, Y: y1})
	r.Line(vg.Point{X: x0, Y: y1})
	r.Close()
	return r
}

// valueStyle is the style of the value labels at bars: tick-sized, dark grey.
func valueStyle(x text.XAlignment, y text.YAlignment) text.Style {
	return text.Style{Color: color.Gray{Y: 0x30}, Font: font.From(sans, tickSize), Handler: plot.DefaultTextHandler,
		XAlign: x, YAlign: y}
}

// compact formats a value with three significant digits, with k or M from
// ten thousand on ("48.2k").
func compact(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(sig3(v/1e6), 'f', -1, 64) + "M"
	case v >= 1e4:
		return strconv.FormatFloat(sig3(v/1e3), 'f', -1, 64) + "k"
	}
	return strconv.FormatFloat(sig3(v), 'f', -1, 64)
}

// sig3 rounds v to three significant digits.
func sig3(v float64) float64 {
	if v == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	e := math.Pow(10, 2-math.Floor(math.Log10(math.Abs(v))))
	return math.Round(v*e) / e
}

// EnergyBars draws the energy per sample on each hardware profile as
// horizontal bars on a logarithmic axis, one row per profile from the top
// in the given order, labelled with the hardware's title. A profile given
// as a range [Low, High] has a bar to the range's geometric mean
// √(Low·High), its centre on the log axis, and whiskers from Low to High;
// a single figure a bar to it. Each row carries its value ("250–330 nJ")
// to the right. Event-driven profiles (what the run did) are blue, dense
// ones (a dense forward of the network) orange. The axis is labelled in
// SI units of joules. A profile whose energy is 0 cannot be drawn on a log
// axis: it is left out and named in a note. The figure's Name is "energy".
//
// It returns an error for no profiles, a range that is negative, not
// finite or has Low > High, naming the profile, and when no profile has a
// positive energy.
func EnergyBars(es []EnergyEstimate) (*Figure, error) {
	if len(es) == 0 {
		return nil, fmt.Errorf("plots: energy: no profiles")
	}
	var rows []EnergyEstimate
	var zero []string
	lo, hi := math.Inf(1), 0.0
	for _, e := range es {
		if !(e.Low >= 0) || math.IsInf(e.High, 0) || !(e.High >= e.Low) {
			return nil, fmt.Errorf("plots: energy: profile %q: range [%v, %v] J: want 0 <= low <= high, finite", e.Name, e.Low, e.High)
		}
		if e.Low == 0 {
			zero = append(zero, e.Name)
			continue
		}
		rows = append(rows, e)
		lo, hi = min(lo, e.Low), max(hi, e.High)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("plots: energy: every profile has zero energy: nothing to draw on a log axis")
	}
	p := newPlot("Energy per sample by hardware", "energy per sample (J, log scale)", "")
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = energyTicks{}
	// Room at the left for the smallest whisker and at the right for the
	// largest row's value label (about 1.3 decades at the default size).
	p.X.Min, p.X.Max = lo/2.5, hi*25
	n := len(rows)
	var ts []plot.Tick
	for i, e := range rows {
		label := e.Title
		if label == "" {
			label = e.Name
		}
		ts = append(ts, plot.Tick{Value: float64(n - 1 - i), Label: wrapLabel(label, rowLabelWidth)})
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ts)
	p.Y.Min, p.Y.Max = -0.6, float64(n)-0.4
	g := newGrid()
	g.Horizontal.Color = nil
	p.Add(g)
	p.Add(&energyRows{rows: rows, floor: p.X.Min})
	// Row labels are drawn about 2 % wider than gonum/plot measures them.
	f := &Figure{Name: "energy", Plot: p, PadLeft: vg.Points(8), Width: DefaultWidth, Height: DefaultHeight, DPI: DefaultDPI}
	var anyEvent, anyDense, anyRange bool
	for _, e := range rows {
		anyEvent = anyEvent || !e.Dense
		anyDense = anyDense || e.Dense
		anyRange = anyRange || e.Low < e.High
	}
	if anyEvent {
		f.Legend = append(f.Legend, LegendEntry{Label: "event-driven: what the run did", Thumbs: []plot.Thumbnailer{boxThumb{energyColor(false)}}})
	}
	if anyDense {
		f.Legend = append(f.Legend, LegendEntry{Label: "dense forward of the same network", Thumbs: []plot.Thumbnailer{boxThumb{energyColor(true)}}})
	}
	if anyRange {
		f.Notes = append(f.Notes, "a range: bar to its geometric mean, whiskers from its low to its high end")
	}
	if len(zero) > 0 {
		f.Notes = append(f.Notes, "zero energy, not drawn: "+strings.Join(zero, ", "))
	}
	// A row per profile: grow the figure past 12 rows so labels keep apart.
	if n > 12 {
		f.Height += vg.Length(n-12) * vg.Points(18)
	}
	return f, nil
}

// rowLabelWidth is the longest line of a row label of EnergyBars, in
// characters: about a third of the default figure's width at 10 pt.
const rowLabelWidth = 24

// wrapLabel breaks s into lines of at most width characters at spaces (a
// longer word keeps its own line).
func wrapLabel(s string, width int) string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		switch {
		case line == "":
			line = w
		case len([]rune(line))+1+len([]rune(w)) <= width:
			line += " " + w
		default:
			lines = append(lines, line)
			line = w
		}
	}
	return strings.Join(append(lines, line), "\n")
}

// energyColor returns the bar colour of an event-driven or a dense profile.
func energyColor(dense bool) color.NRGBA {
	if dense {
		return palette[1]
	}
	return palette[0]
}

// boxThumb is a legend thumbnail: a filled box.
type boxThumb struct{ col color.Color }

// Thumbnail fills the middle of c.
func (b boxThumb) Thumbnail(c *draw.Canvas) {
	h := (c.Max.Y - c.Min.Y) * 0.35
	y := c.Center().Y
	c.SetColor(b.col)
	c.Fill(rectPath(c.Min.X+vg.Points(4), y-h, c.Max.X-vg.Points(4), y+h))
}

// energyRows draws EnergyBars' rows: a bar from floor, whiskers and the
// value label.
type energyRows struct {
	rows  []EnergyEstimate
	floor float64
}

// Plot implements plot.Plotter.
func (r *energyRows) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	n := len(r.rows)
	whisker := draw.LineStyle{Color: color.Gray{Y: 0x20}, Width: vg.Points(1.2)}
	sty := valueStyle(text.XLeft, text.YCenter)
	for i, e := range r.rows {
		y := float64(n - 1 - i)
		mid := math.Sqrt(e.Low * e.High)
		y0, y1 := trY(y-barSpan/2), trY(y+barSpan/2)
		c.SetColor(energyColor(e.Dense))
		c.Fill(rectPath(trX(r.floor), y0, trX(mid), y1))
		xr := trX(e.High)
		if e.Low < e.High {
			xl, yc, cap := trX(e.Low), trY(y), (y1-y0)*0.3
			c.StrokeLine2(whisker, xl, yc, xr, yc)
			c.StrokeLine2(whisker, xl, yc-cap, xl, yc+cap)
			c.StrokeLine2(whisker, xr, yc-cap, xr, yc+cap)
		}
		c.FillText(sty, vg.Point{X: xr + vg.Points(4), Y: trY(y)}, joules(e.Low, e.High))
	}
}

// siUnits are the units of energy labels, largest first.
var siUnits = []struct {
	s string
	k float64
}{{"J", 1}, {"mJ", 1e-3}, {"µJ", 1e-6}, {"nJ", 1e-9}, {"pJ", 1e-12}, {"fJ", 1e-15}}

// si returns the unit that puts j in [1, 1000) (fJ below).
func si(j float64) (string, float64) {
	for _, u := range siUnits {
		if j >= u.k*(1-5e-4) {
			return u.s, u.k
		}
	}
	return "fJ", 1e-15
}

// joules formats an energy range: "4.1 µJ", or "0.12–1.2 µJ" in the unit of
// the high end.
func joules(lo, hi float64) string {
	unit, k := si(hi)
	if lo == hi {
		return strconv.FormatFloat(sig3(hi/k), 'f', -1, 64) + " " + unit
	}
	return strconv.FormatFloat(sig3(lo/k), 'f', -1, 64) + "–" + strconv.FormatFloat(sig3(hi/k), 'f', -1, 64) + " " + unit
}

// energyTicks are the ticks of a logarithmic energy axis: logTicks'
// positions, labelled in SI units ("10 nJ", "1 µJ").
type energyTicks struct{}

// Ticks implements plot.Ticker.
func (energyTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := logTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = joules(ts[i].Value, ts[i].Value)
		}
	}
	return ts
}
