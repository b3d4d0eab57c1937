package plots

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// TimeStep gives the duration of one simulation step. The zero value
// labels time axes in steps ("time step"); with Dt > 0, in Unit
// ("time (ms)"), step t spanning [t·Dt, (t+1)·Dt].
type TimeStep struct {
	Dt   float64 // duration of a step in Unit
	Unit string  // "ms", "s", ...
}

// label returns the axis label.
func (ts TimeStep) label() string {
	if ts.Dt > 0 {
		if ts.Unit == "" {
			return "time"
		}
		return "time (" + ts.Unit + ")"
	}
	return "time step"
}

// width returns the width of a step in axis units.
func (ts TimeStep) width() float64 {
	if ts.Dt > 0 {
		return ts.Dt
	}
	return 1
}

// checkSeq validates a [T][N] sequence and returns T and N.
func checkSeq(what, layer string, seq [][]float32) (int, int, error) {
	if len(seq) == 0 || len(seq[0]) == 0 {
		return 0, 0, fmt.Errorf("plots: %s of %q: empty sequence (want [T][N] with T, N > 0)", what, layer)
	}
	n := len(seq[0])
	for t, row := range seq {
		if len(row) != n {
			return 0, 0, fmt.Errorf("plots: %s of %q: step %d has %d neurons, step 0 has %d", what, layer, t, len(row), n)
		}
	}
	return len(seq), n, nil
}

// checkMemSpikes validates a layer's [T][N] membranes and, if not nil, its
// spikes of the same shape, and returns T and N.
func checkMemSpikes(layer string, mem, spikes [][]float32) (int, int, error) {
	T, N, err := checkSeq("membrane traces", layer, mem)
	if err != nil || spikes == nil {
		return T, N, err
	}
	st, sn, err := checkSeq("membrane traces", layer, spikes)
	if err != nil {
		return 0, 0, err
	}
	if st != T || sn != N {
		return 0, 0, fmt.Errorf("plots: membrane traces of %q: spikes [%d][%d], membranes [%d][%d]", layer, st, sn, T, N)
	}
	return T, N, nil
}

// SpikeRaster draws the spikes of one layer for one sample: spikes is
// [T][N], nonzero where neuron n spiked at step t. Neuron n is the row
// [n, n+1] from the bottom, step t the column [t, t+1] (in ts units); a
// spike is a black cell. Where the image has fewer pixels than cells, a
// pixel is black if any cell under it holds a spike. A note under the plot
// counts the spikes, the rate in percent of neuron-steps and the silent
// neurons. The figure's Name is "raster_<layer>".
func SpikeRaster(layer string, spikes [][]float32, ts TimeStep) (*Figure, error) {
	T, N, err := checkSeq("spike raster", layer, spikes)
	if err != nil {
		return nil, err
	}
	vals := make([]float64, N*T)
	total := 0
	silent := 0
	for n := range N {
		k := 0
		for t := range T {
			if spikes[t][n] != 0 {
				vals[n*T+t] = 1
				k++
			}
		}
		total += k
		if k == 0 {
			silent++
		}
	}
	p := newPlot("Spike raster — "+layer, ts.label(), "neuron index")
	p.Y.Tick.Marker = cellTicks{n: N}
	if ts.Dt > 0 {
		p.X.Tick.Marker = niceTicks{}
	} else {
		p.X.Tick.Marker = cellTicks{n: T}
	}
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Min, p.X.Max = 0, float64(T)*ts.width()
	p.Y.Min, p.Y.Max = 0, float64(N)
	p.Add(&cellImage{rows: N, cols: T, vals: vals, reduce: reduceMax, cellW: ts.width(),
		color: func(v float64) color.NRGBA {
			if v > 0 {
				return color.NRGBA{0x10, 0x10, 0x10, 0xff}
			}
			return color.NRGBA{0xff, 0xff, 0xff, 0xff}
		}})
	f := &Figure{Name: "raster_" + layer, Plot: p, Width: DefaultWidth, Height: DefaultHeight, DPI: DefaultDPI}
	f.Notes = []string{fmt.Sprintf("%d spikes in %d steps × %d neurons: %.2f %% of neuron-steps; %d of %d neurons silent",
		total, T, N, 100*float64(total)/float64(T*N), silent, N)}
	return f, nil
}

// MembraneTraces draws the membrane potential of chosen neurons of one
// layer over time: mem is [T][N], neurons the indices to draw (nil: all),
// at most 10, one colour each. Step t is drawn at the middle of its
// column, t + 1/2 (in ts units), as in SpikeRaster.
//
// threshold holds the firing threshold of a spiking layer, one value for
// the layer or one per neuron. With it, each neuron gets a panel of its
// own, stacked over a shared time axis and a shared vertical range, its
// potential drawn in threshold units, v/θ, under a dashed grey threshold
// line at 1: spiking traces cross each other too often to be read
// overlaid. spikes, if not nil, is the layer's [T][N] output: each spike
// is marked by a dot on the trace at its step.
//
// Without threshold (nil: a non-spiking read-out, whose potentials are
// compared with each other), the traces are overlaid in one plot as they
// are, and the legend names the neurons.
//
// The figure's Name is "membrane_<layer>".
func MembraneTraces(layer string, mem [][]float32, neurons []int, threshold []float64, spikes [][]float32, ts TimeStep) (*Figure, error) {
	tr := traces{layer: layer, mem: mem, spikes: spikes, threshold: threshold, w: ts.width()}
	neurons, err := tr.check(neurons)
	if err != nil {
		return nil, err
	}
	stacked := threshold != nil
	title := "Membrane potential — " + layer
	f := newFigure("membrane_"+layer, title, ts.label(), "membrane potential", ts.Dt == 0)
	thrSty := draw.LineStyle{Color: keyColor, Width: vg.Points(plainWidth), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}
	ylo, yhi := math.Inf(1), math.Inf(-1)
	var dots int
	var panels []*plot.Plot
	for i, n := range neurons {
		p := f.Plot
		if stacked {
			if i > 0 {
				p = newFigure("", "", "", "", ts.Dt == 0).Plot
			}
			if err := tr.panel(p, n, ts.label(), thrSty); err != nil {
				return nil, err
			}
			panels = append(panels, p)
		}
		xys, hits := tr.trace(n)
		if len(xys) == 0 {
			continue
		}
		for _, xy := range xys {
			ylo, yhi = min(ylo, xy.Y), max(yhi, xy.Y)
		}
		sty := draw.LineStyle{Color: palette[i], Width: vg.Points(plainWidth)}
		if err := tr.add(p, xys, hits, sty); err != nil {
			return nil, err
		}
		dots += len(hits)
		if !stacked {
			f.Legend = append(f.Legend, LegendEntry{Label: fmt.Sprintf("neuron %d", n), Thumbs: []plot.Thumbnailer{lineThumb{sty}}})
		}
	}
	if stacked {
		ylo, yhi = min(ylo, 0), max(yhi, 1)
		f.Key = append(f.Key, LegendEntry{Label: "threshold", Thumbs: []plot.Thumbnailer{lineThumb{thrSty}}})
	}
	if dots > 0 {
		g := draw.GlyphStyle{Color: keyColor, Radius: vg.Points(markerSize), Shape: draw.CircleGlyph{}}
		f.Key = append(f.Key, LegendEntry{Label: "spike", Thumbs: []plot.Thumbnailer{glyphThumb{g}}})
	}
	if !stacked {
		panels = []*plot.Plot{f.Plot}
	}
	if ylo > yhi {
		ylo, yhi = 0, 1
	}
	for i, p := range panels {
		p.X.Min, p.X.Max = 0, float64(len(mem))*tr.w
		p.Y.Min, p.Y.Max = ylo, yhi
		padY(p)
		if stacked && i < len(panels)-1 {
			// One time axis, under the last panel.
			p.X.Label.Text = ""
			p.X.Tick.Marker = unlabelled{p.X.Tick.Marker}
		}
	}
	if stacked {
		f.Title = title + " (threshold units)"
		f.Plot, f.Panels, f.Cols = panels[0], panels[1:], 1
		f.Height = max(DefaultHeight, vg.Length(len(panels))*1.2*vg.Inch+1.3*vg.Inch)
	}
	return f, nil
}

// traces is the data of MembraneTraces.
type traces struct {
	layer       string
	mem, spikes [][]float32 // [T][N]; spikes may be nil
	threshold   []float64   // nil, one value or one per neuron
	w           float64     // the width of a step on the time axis
}

// check validates the data and the chosen neurons (nil: all) and returns
// the neurons to draw.
func (tr traces) check(neurons []int) ([]int, error) {
	_, N, err := checkMemSpikes(tr.layer, tr.mem, tr.spikes)
	if err != nil {
		return nil, err
	}
	if neurons == nil {
		neurons = make([]int, N)
		for i := range neurons {
			neurons[i] = i
		}
	}
	switch {
	case len(neurons) == 0:
		return nil, fmt.Errorf("plots: membrane traces of %q: no neuron chosen", tr.layer)
	case len(neurons) > len(palette):
		return nil, fmt.Errorf("plots: membrane traces of %q: %d neurons, at most %d (one colour each)", tr.layer, len(neurons), len(palette))
	case tr.threshold != nil && len(tr.threshold) != 1 && len(tr.threshold) != N:
		return nil, fmt.Errorf("plots: membrane traces of %q: %d thresholds for %d neurons (want 1 or %d)", tr.layer, len(tr.threshold), N, N)
	}
	for _, n := range neurons {
		if n < 0 || n >= N {
			return nil, fmt.Errorf("plots: membrane traces of %q: neuron %d out of range [0, %d)", tr.layer, n, N)
		}
	}
	for _, n := range neurons {
		if th := tr.thr(n); !(th > 0) || math.IsInf(th, 0) {
			return nil, fmt.Errorf("plots: membrane traces of %q: threshold %g of neuron %d must be positive and finite", tr.layer, th, n)
		}
	}
	return neurons, nil
}

// thr returns the threshold of neuron n, 1 without thresholds.
func (tr traces) thr(n int) float64 {
	switch {
	case tr.threshold == nil:
		return 1
	case len(tr.threshold) == 1:
		return tr.threshold[0]
	}
	return tr.threshold[n]
}

// trace returns the potential of neuron n in threshold units, step t at
// (t + 1/2)·w, without the values that are not finite, and its points at
// the steps where the neuron spiked.
func (tr traces) trace(n int) (xys, hits plotter.XYs) {
	th := tr.thr(n)
	xys = make(plotter.XYs, 0, len(tr.mem))
	for t := range tr.mem {
		v := float64(tr.mem[t][n]) / th
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		xy := plotter.XY{X: (float64(t) + 0.5) * tr.w, Y: v}
		xys = append(xys, xy)
		if tr.spikes != nil && tr.spikes[t][n] != 0 {
			hits = append(hits, xy)
		}
	}
	return xys, hits
}

// panel makes p the stacked panel of neuron n: no title, the neuron's
// name on the vertical axis, the threshold line at 1.
func (tr traces) panel(p *plot.Plot, n int, xlabel string, thrSty draw.LineStyle) error {
	p.Title.Text = ""
	p.X.Label.Text = xlabel
	p.Y.Label.Text = fmt.Sprintf("neuron %d", n)
	l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 1}, {X: float64(len(tr.mem)) * tr.w, Y: 1}})
	if err != nil {
		return fmt.Errorf("plots: membrane traces of %q: %w", tr.layer, err)
	}
	l.LineStyle = thrSty
	p.Add(l)
	return nil
}

// add draws a trace and dots of its colour at its spikes.
func (tr traces) add(p *plot.Plot, xys, hits plotter.XYs, sty draw.LineStyle) error {
	l, err := plotter.NewLine(xys)
	if err != nil {
		return fmt.Errorf("plots: membrane traces of %q: %w", tr.layer, err)
	}
	l.LineStyle = sty
	p.Add(l)
	if len(hits) > 0 {
		sc, err := plotter.NewScatter(hits)
		if err != nil {
			return fmt.Errorf("plots: membrane traces of %q: %w", tr.layer, err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: sty.Color, Radius: vg.Points(markerSize), Shape: draw.CircleGlyph{}}
		p.Add(sc)
	}
	return nil
}

// unlabelled keeps the positions of another ticker's ticks and drops their
// labels (the time axis of all but the lowest of stacked panels).
type unlabelled struct{ plot.Ticker }

// Ticks implements plot.Ticker.
func (u unlabelled) Ticks(lo, hi float64) []plot.Tick {
	ts := u.Ticker.Ticks(lo, hi)
	for i := range ts {
		ts[i].Label = ""
	}
	return ts
}

// padY widens the vertical range by 4 % on each side, so that no line runs
// along the frame.
func padY(p *plot.Plot) {
	r := p.Y.Max - p.Y.Min
	if r == 0 {
		r = math.Max(math.Abs(p.Y.Max), 1)
	}
	p.Y.Min -= 0.04 * r
	p.Y.Max += 0.04 * r
}

// LayerRates is the firing rate of every neuron of one layer: the fraction
// of time steps, in [0, 1], in which it spiked.
type LayerRates struct {
	Layer string
	Rates []float64
}

// rateBins is the number of histogram bins.
const rateBins = 20

// RateHistograms draws the distribution of per-neuron firing rates of one
// or more layers, overlaid, one colour per layer, in the order given. The
// horizontal axis is the rate in percent of time steps, from 0 to the
// smallest of 1, 2, 4, 5, 10, 20, 30, 40, 50, 60, 80 and 100 % that holds
// the highest rate (so that the bins have round widths), in 20 bins (the first bin closed on both sides); the vertical axis is
// the share of each layer's neurons in a bin, so that layers of different
// sizes compare. A note per layer gives its mean rate and how many of its
// neurons never spiked (silent) or spiked at every step (saturated). The
// figure's Name is "rate_histograms".
//
// It returns an error for no layers, a layer without neurons, or a rate
// outside [0, 1].
func RateHistograms(layers []LayerRates) (*Figure, error) {
	if len(layers) == 0 {
		return nil, fmt.Errorf("plots: rate histograms: no layers")
	}
	hi := 0.0
	for _, l := range layers {
		if len(l.Rates) == 0 {
			return nil, fmt.Errorf("plots: rate histograms: layer %q has no neurons", l.Layer)
		}
		for i, r := range l.Rates {
			if !(r >= 0 && r <= 1) {
				return nil, fmt.Errorf("plots: rate histograms: layer %q neuron %d: rate %g outside [0, 1]", l.Layer, i, r)
			}
			hi = max(hi, r)
		}
	}
	top := 100.0
	for _, c := range []float64{1, 2, 4, 5, 10, 20, 30, 40, 50, 60, 80, 100} {
		if 100*hi <= c {
			top = c
			break
		}
	}
	f := newFigure("rate_histograms", "Firing rates per neuron", "firing rate (% of time steps)", "neurons (% of layer)", false)
	binW := top / rateBins
	for i, l := range layers {
		col := palette[i%len(palette)]
		counts := make([]float64, rateBins)
		var silent, saturated int
		var sum float64
		for _, r := range l.Rates {
			b := min(rateBins-1, int(100*r/binW))
			counts[b]++
			sum += r
			if r == 0 {
				silent++
			}
			if r == 1 {
				saturated++
			}
		}
		// A staircase along the tops of the bins, closed at the axis.
		xys := plotter.XYs{{X: 0, Y: 0}}
		for b, c := range counts {
			y := 100 * c / float64(len(l.Rates))
			xys = append(xys, plotter.XY{X: float64(b) * binW, Y: y}, plotter.XY{X: float64(b+1) * binW, Y: y})
		}
		xys = append(xys, plotter.XY{X: top, Y: 0})
		line, err := plotter.NewLine(xys)
		if err != nil {
			return nil, fmt.Errorf("plots: rate histograms: %w", err)
		}
		sty := draw.LineStyle{Color: col, Width: vg.Points(thickWidth)}
		line.LineStyle = sty
		line.FillColor = withAlpha(col, 0.15)
		f.Plot.Add(line)
		f.Legend = append(f.Legend, LegendEntry{Label: fmt.Sprintf("%s (%d neurons)", l.Layer, len(l.Rates)), Thumbs: []plot.Thumbnailer{lineThumb{sty}}})
		note := fmt.Sprintf("%s: mean %.2f %%, %d silent", l.Layer, 100*sum/float64(len(l.Rates)), silent)
		if saturated > 0 {
			note += fmt.Sprintf(", %d saturated", saturated)
		}
		f.Notes = append(f.Notes, note)
	}
	f.Plot.X.Min, f.Plot.X.Max = 0, top
	f.Plot.Y.Min = 0
	f.Plot.Y.Max *= 1.04
	return f, nil
}
