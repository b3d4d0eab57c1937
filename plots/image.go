package plots

import (
	"image"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ColorMap maps a position t in [0, 1] to a colour; positions outside are
// clamped.
type ColorMap func(t float64) color.NRGBA

// gradient returns the colour map that interpolates linearly in sRGB
// between evenly spaced anchor colours.
func gradient(anchors ...color.NRGBA) ColorMap {
	return func(t float64) color.NRGBA {
		if math.IsNaN(t) {
			return nanColor
		}
		t = math.Min(1, math.Max(0, t))
		f := t * float64(len(anchors)-1)
		i := min(int(f), len(anchors)-2)
		u := f - float64(i)
		a, b := anchors[i], anchors[i+1]
		mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*(1-u) + float64(y)*u)) }
		return color.NRGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xff}
	}
}

// nanColor is the colour of a cell without a finite value.
var nanColor = color.NRGBA{0xd9, 0xd9, 0xd9, 0xff}

// Colour maps. Anchors: the ColorBrewer schemes (Cynthia Brewer,
// colorbrewer2.org) RdBu with 11 classes, reversed so that negative is blue,
// Blues with 9 classes, and viridis (matplotlib) sampled at 9 points. RdBu
// is a diverging map with white at its centre, for signed values around 0;
// Blues and viridis are sequential; all three stay readable for the common
// forms of colour blindness.
var (
	// Diverging runs from dark blue (0) through white (0.5) to dark red (1).
	Diverging = gradient(
		color.NRGBA{0x05, 0x30, 0x61, 0xff}, color.NRGBA{0x21, 0x66, 0xac, 0xff},
		color.NRGBA{0x43, 0x93, 0xc3, 0xff}, color.NRGBA{0x92, 0xc5, 0xde, 0xff},
		color.NRGBA{0xd1, 0xe5, 0xf0, 0xff}, color.NRGBA{0xf7, 0xf7, 0xf7, 0xff},
		color.NRGBA{0xfd, 0xdb, 0xc7, 0xff}, color.NRGBA{0xf4, 0xa5, 0x82, 0xff},
		color.NRGBA{0xd6, 0x60, 0x4d, 0xff}, color.NRGBA{0xb2, 0x18, 0x2b, 0xff},
		color.NRGBA{0x67, 0x00, 0x1f, 0xff})
	// Blues runs from near white (0) to dark blue (1).
	Blues = gradient(
		color.NRGBA{0xf7, 0xfb, 0xff, 0xff}, color.NRGBA{0xde, 0xeb, 0xf7, 0xff},
		color.NRGBA{0xc6, 0xdb, 0xef, 0xff}, color.NRGBA{0x9e, 0xca, 0xe1, 0xff},
		color.NRGBA{0x6b, 0xae, 0xd6, 0xff}, color.NRGBA{0x42, 0x92, 0xc6, 0xff},
		color.NRGBA{0x21, 0x71, 0xb5, 0xff}, color.NRGBA{0x08, 0x51, 0x9c, 0xff},
		color.NRGBA{0x08, 0x30, 0x6b, 0xff})
	// Viridis runs from dark purple (0) through teal to yellow (1), with
	// lightness rising evenly.
	Viridis = gradient(
		color.NRGBA{0x44, 0x01, 0x54, 0xff}, color.NRGBA{0x47, 0x2d, 0x7b, 0xff},
		color.NRGBA{0x3b, 0x52, 0x8b, 0xff}, color.NRGBA{0x2c, 0x72, 0x8e, 0xff},
		color.NRGBA{0x21, 0x91, 0x8c, 0xff}, color.NRGBA{0x28, 0xae, 0x80, 0xff},
		color.NRGBA{0x5e, 0xc9, 0x62, 0xff}, color.NRGBA{0xad, 0xdc, 0x30, 0xff},
		color.NRGBA{0xfd, 0xe7, 0x25, 0xff})
)

// ColorBar explains the colours of an image: a vertical bar of Map from
// Min (bottom) to Max (top), as tall as the plot area, with ticks and
// Label on its right.
type ColorBar struct {
	Label    string   // what the colours stand for, with unit: "weight", "samples (%)"
	Min, Max float64  // the values at the ends of the map
	Map      ColorMap // position (v−Min)/(Max−Min) to colour
}

// Colour bar geometry, in points.
const (
	barGap   = 10 // between the plot area and the bar
	barWidth = 12 // the bar
	barTick  = 3  // tick length
	barPad   = 3  // between ticks and labels, labels and the title
)

// ticks returns the labelled ticks of the bar.
func (b *ColorBar) ticks() []plot.Tick {
	var ts []plot.Tick
	for _, t := range (niceTicks{}).Ticks(b.Min, b.Max) {
		if t.Label != "" {
			ts = append(ts, t)
		}
	}
	return ts
}

// tickStyle is the style of the bar's tick labels.
func barTickStyle() text.Style {
	return text.Style{Color: color.Black, Font: font.From(sans, tickSize), Handler: plot.DefaultTextHandler,
		XAlign: text.XLeft, YAlign: text.YCenter}
}

// barLabelStyle is the style of the bar's title, read bottom to top.
func barLabelStyle() text.Style {
	return text.Style{Color: color.Black, Font: font.From(sans, labelSize), Handler: plot.DefaultTextHandler,
		XAlign: text.XCenter, YAlign: text.YTop, Rotation: math.Pi / 2}
}

// width returns the room the bar takes right of the plot area.
func (b *ColorBar) width() vg.Length {
	var lw vg.Length
	sty := barTickStyle()
	for _, t := range b.ticks() {
		lw = max(lw, sty.Width(t.Label))
	}
	w := barGap + barWidth + barTick + barPad + lw
	if b.Label != "" {
		w += barPad + barLabelStyle().Height(b.Label)
	}
	return w
}

// draw draws the bar on c beside the plot area da.
func (b *ColorBar) draw(c draw.Canvas, da draw.Canvas) {
	x0 := da.Max.X + barGap
	rect := vg.Rectangle{Min: vg.Point{X: x0, Y: da.Min.Y}, Max: vg.Point{X: x0 + barWidth, Y: da.Max.Y}}
	// 256 rows, top row the Max end: images are drawn top row first. A
	// bar one pixel wide vanishes in some SVG renderers (librsvg draws
	// only its edges), so it is 16.
	const n, w = 256, 16
	img := image.NewNRGBA(image.Rect(0, 0, w, n))
	for i := range n {
		c := b.Map(1 - (float64(i)+0.5)/n)
		for x := range w {
			img.SetNRGBA(x, i, c)
		}
	}
	c.DrawImage(rect, img)
	frame := draw.LineStyle{Color: color.Black, Width: vg.Points(0.5)}
	c.StrokeLines(frame, []vg.Point{rect.Min, {X: rect.Max.X, Y: rect.Min.Y}, rect.Max, {X: rect.Min.X, Y: rect.Max.Y}, rect.Min})
	sty := barTickStyle()
	var lw vg.Length
	span := b.Max - b.Min
	for _, t := range b.ticks() {
		y := rect.Min.Y + vg.Length((t.Value-b.Min)/span)*(rect.Max.Y-rect.Min.Y)
		c.StrokeLine2(frame, rect.Max.X, y, rect.Max.X+barTick, y)
		c.FillText(sty, vg.Point{X: rect.Max.X + barTick + barPad, Y: y}, t.Label)
		lw = max(lw, sty.Width(t.Label))
	}
	if b.Label != "" {
		x := rect.Max.X + barTick + barPad + lw + barPad
		c.FillText(barLabelStyle(), vg.Point{X: x, Y: (rect.Min.Y + rect.Max.Y) / 2}, b.Label)
	}
}

// reduction says how a pixel that covers several cells of a matrix image
// gets its value.
type reduction int

// The reductions.
const (
	// reduceMean draws the mean of the finite cells under the pixel: a
	// weight matrix larger than the image shows its local averages.
	reduceMean reduction = iota
	// reduceMax draws the largest: a single spike among the cells under a
	// pixel stays visible in a raster.
	reduceMax
)

// cellImage is a plotter that draws a matrix of values as an image of
// cells, row r and column c occupying [c, c+1] × [r, r+1] in data
// coordinates (columns cellW wide). It is rasterised at the resolution of the output (for SVG,
// at DefaultDPI, with each cell a whole number of pixels when the matrix is
// smaller than the image), one colour per cell, so there are no seams
// between cells and no blur inside them. Row 0 is drawn at the data
// coordinate 0, at the top with an inverted vertical axis.
type cellImage struct {
	rows, cols int
	vals       []float64 // row-major; NaN is drawn in nanColor
	color      func(v float64) color.NRGBA
	reduce     reduction
	cellW      float64 // width of a column in data units; 0 means 1
}

// colW returns the width of a column in data units.
func (m *cellImage) colW() float64 {
	if m.cellW > 0 {
		return m.cellW
	}
	return 1
}

// DataRange implements plot.DataRanger.
func (m *cellImage) DataRange() (xmin, xmax, ymin, ymax float64) {
	return 0, float64(m.cols) * m.colW(), 0, float64(m.rows)
}

// Plot implements plot.Plotter.
func (m *cellImage) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	x0, x1 := trX(0), trX(float64(m.cols)*m.colW())
	y0, y1 := trY(0), trY(float64(m.rows))
	dpi, exact := float64(DefaultDPI), false
	if d, ok := c.Canvas.(interface{ DPI() float64 }); ok {
		dpi, exact = d.DPI(), true
	}
	pw := pixels(m.cols, (x1 - x0).Dots(dpi), exact)
	ph := pixels(m.rows, math.Abs((y1 - y0).Dots(dpi)), exact)
	img := image.NewNRGBA(image.Rect(0, 0, pw, ph))
	colRange := spans(m.cols, pw)
	rowRange := spans(m.rows, ph)
	for iy := range ph {
		// Image rows run top to bottom; matrix row 0 is at y0.
		ry := iy
		if y0 < y1 {
			ry = ph - 1 - iy
		}
		r0, r1 := rowRange(ry)
		for ix := range pw {
			c0, c1 := colRange(ix)
			img.SetNRGBA(ix, iy, m.color(m.value(r0, r1, c0, c1)))
		}
	}
	rect := vg.Rectangle{Min: vg.Point{X: x0, Y: min(y0, y1)}, Max: vg.Point{X: x1, Y: max(y0, y1)}}
	c.DrawImage(rect, img)
}

// value reduces the cells [r0, r1) × [c0, c1) to one value.
func (m *cellImage) value(r0, r1, c0, c1 int) float64 {
	if r1-r0 == 1 && c1-c0 == 1 {
		return m.vals[r0*m.cols+c0]
	}
	var sum float64
	n := 0
	best := math.Inf(-1)
	for r := r0; r < r1; r++ {
		for _, v := range m.vals[r*m.cols+c0 : r*m.cols+c1] {
			if math.IsNaN(v) {
				continue
			}
			sum += v
			best = max(best, v)
			n++
		}
	}
	switch {
	case n == 0:
		return math.NaN()
	case m.reduce == reduceMax:
		return best
	}
	return sum / float64(n)
}

// pixels returns the number of pixels to rasterise n cells into a length
// of dots: exactly that length for raster output; for vector output a
// whole number of pixels per cell, at least that length, when the cells
// are fewer than the dots, else the dots.
func pixels(n int, dots float64, exact bool) int {
	d := max(1, int(math.Round(dots)))
	if exact || n >= d {
		return d
	}
	return n * ((d + n - 1) / n)
}

// spans returns the cells [lo, hi) that pixel i of px pixels shows for n
// cells: the cell under the pixel's centre when cells are at least a pixel
// wide, else the cells whose start lies in the pixel (every cell counted
// exactly once).
func spans(n, px int) func(i int) (int, int) {
	if px >= n {
		return func(i int) (int, int) {
			c := min(n-1, int((float64(i)+0.5)*float64(n)/float64(px)))
			return c, c + 1
		}
	}
	return func(i int) (int, int) {
		return i * n / px, (i + 1) * n / px
	}
}

// cellTicks labels the cells of a matrix axis at their centres: with
// names, every cell by its name; else indices at multiples of 1, 2 or 5
// times a power of ten, at most maxMajor intervals.
type cellTicks struct {
	n     int
	names []string
}

// Ticks implements plot.Ticker.
func (t cellTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	if t.names != nil {
		for i, name := range t.names {
			ts = append(ts, plot.Tick{Value: float64(i) + 0.5, Label: name})
		}
		return ts
	}
	step, _, _ := niceStep(float64(max(t.n-1, 1)) / maxMajor)
	step = math.Max(1, step)
	for v := 0.0; v <= float64(t.n-1); v += step {
		ts = append(ts, plot.Tick{Value: v + 0.5, Label: fmtIndex(v)})
	}
	return ts
}

// fmtIndex formats a whole number.
func fmtIndex(v float64) string {
	return tickFormat(1, 0, v)(v)
}

// newMatrixPlot returns a plot for an image of rows × cols cells: no grid,
// row 0 at the top, cell centres labelled, ticks outside the image.
func newMatrixPlot(title, xlabel, ylabel string, rows, cols int, rowNames, colNames []string) *plot.Plot {
	p := newPlot(title, xlabel, ylabel)
	p.X.Tick.Marker = cellTicks{n: cols, names: colNames}
	p.Y.Tick.Marker = cellTicks{n: rows, names: rowNames}
	p.Y.Scale = plot.InvertedScale{Normalizer: plot.LinearScale{}}
	// The image meets the axes: no padding between them.
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Min, p.X.Max = 0, float64(cols)
	p.Y.Min, p.Y.Max = 0, float64(rows)
	return p
}
