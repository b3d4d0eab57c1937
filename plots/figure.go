package plots

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/spikegrad/spikegrad/internal/atomicfile"
)

// Default figure size and raster resolution. 6.4 × 4.8 in is the usual
// size of a single-column figure; at 150 dots per inch the PNG is 960 × 720
// pixels, sharp on a screen without being heavy.
const (
	DefaultWidth  = 6.4 * vg.Inch
	DefaultHeight = 4.8 * vg.Inch
	DefaultDPI    = 150
)

// Font sizes in points. The smallest text (ticks, legend) is 10 pt: at the
// default size and resolution that is 21 pixels high.
const (
	titleSize  = 13
	labelSize  = 11
	tickSize   = 10
	legendSize = 10
)

// sans is the typeface of every text: Liberation Sans, built into
// gonum/plot and metric-compatible with Arial and Helvetica.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// Figure is a plot with its legend, which is drawn in a band below the plot
// area so that it never hides data. The band holds, from the top, the
// legend entries, the key entries and the notes, each block centred.
type Figure struct {
	// Name is the file stem the figure is saved under by SaveRunPlots:
	// "loss", "accuracy", "rates", ...
	Name string
	// Plot holds the title, axes and data.
	Plot *plot.Plot
	// Legend lists what the colours stand for (splits, runs, layers), in
	// as many columns as fit the width, filled column by column.
	Legend []LegendEntry
	// Key lists what the line styles stand for when colours stand for runs
	// or layers, laid out like Legend below it.
	Key []LegendEntry
	// Notes are lines of text under the legend, such as where a run's
	// values stopped being finite.
	Notes []string
	// Title, if set, is drawn centred above Plot and Panels: the title of
	// a grid of panels. A single plot carries its title in Plot.Title.
	Title string
	// Panels are further plots drawn beside Plot, which comes first, in a
	// grid of Cols columns filled row by row (SweepScatter draws one panel
	// per parameter). Nil for a figure of one plot.
	Panels []*plot.Plot
	// Cols is the number of columns of the grid of Plot and Panels; 0 or
	// less puts them side by side in one row.
	Cols int
	// ColorBar, if set, is drawn to the right of the plot area, as tall as
	// it, and explains the colours of an image (weights, counts).
	ColorBar *ColorBar
	// PadLeft is extra room at the left edge, for tick labels of text that
	// gonum/plot measures a little narrower than it draws them.
	PadLeft vg.Length
	// Width and Height are the size of the whole figure, legend included.
	Width, Height vg.Length
	// DPI is the resolution of raster output (PNG), in dots per inch.
	DPI int
}

// LegendEntry is one entry of a figure's legend: a label after the
// superposition of its thumbnails (a line sample, a marker).
type LegendEntry struct {
	Label  string
	Thumbs []plot.Thumbnailer
}

// newFigure returns a figure of the default size with a new plot whose
// texts use the package's fonts and sizes.
func newFigure(name, title, xlabel, ylabel string, integerX bool) *Figure {
	p := newPlot(title, xlabel, ylabel)
	p.X.Tick.Marker = niceTicks{integer: integerX}
	p.Y.Tick.Marker = niceTicks{}
	p.Add(newGrid())
	return &Figure{Name: name, Plot: p, Width: DefaultWidth, Height: DefaultHeight, DPI: DefaultDPI}
}

// newPlot returns a plot whose texts use the package's fonts and sizes,
// without grid or tick placement.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sans, titleSize)
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, labelSize)
		a.Tick.Label.Font = font.From(sans, tickSize)
		a.Label.Padding = vg.Points(4)
	}
	return p
}

// legendStyle returns the text style of legend labels.
func legendStyle() text.Style {
	return text.Style{
		Color:   color.Black,
		Font:    font.From(sans, legendSize),
		Handler: plot.DefaultTextHandler,
		XAlign:  text.XLeft,
		YAlign:  text.YCenter,
	}
}

// Outer margins of the plot, in points: room for the last marker and the
// last tick label on the right, air above the title.
const (
	marginRight = 14
	marginTop   = 4
)

// Legend geometry, in points.
const (
	legendThumb  = 24 // thumbnail width
	legendGap    = 5  // between thumbnail and label
	legendColGap = 16 // between columns
	legendRowGap = 3  // between rows
	legendMargin = 6  // above the band and below it
)

// grid is the layout of one block of legend entries.
type grid struct {
	entries    []LegendEntry
	colw       vg.Length // column width
	cols, rows int
}

// layoutGrid fits entries into columns of equal width within width.
func layoutGrid(entries []LegendEntry, width vg.Length) grid {
	g := grid{entries: entries}
	if len(entries) == 0 {
		return g
	}
	sty := legendStyle()
	for _, e := range entries {
		g.colw = max(g.colw, legendThumb+legendGap+sty.Width(e.Label))
	}
	avail := width - 2*legendMargin
	g.cols = min(len(entries), max(1, int((avail+legendColGap)/(g.colw+legendColGap))))
	g.rows = (len(entries) + g.cols - 1) / g.cols
	// The fewest columns that keep the row count balance the block.
	g.cols = (len(entries) + g.rows - 1) / g.rows
	return g
}

// rowHeight returns the height of one legend row.
func rowHeight() vg.Length {
	return legendStyle().Height("Ag") + legendRowGap
}

// legendBlocks returns the blocks of the legend band and the band's height.
func (f *Figure) legendBlocks(width vg.Length) ([]grid, vg.Length) {
	notes := make([]LegendEntry, len(f.Notes))
	for i, n := range f.Notes {
		notes[i] = LegendEntry{Label: n}
	}
	var gs []grid
	var rows int
	for _, es := range [][]LegendEntry{f.Legend, f.Key} {
		if g := layoutGrid(es, width); g.rows > 0 {
			gs = append(gs, g)
			rows += g.rows
		}
	}
	// Notes: one per row, whatever their width.
	if len(notes) > 0 {
		g := layoutGrid(notes, width)
		g.cols, g.rows = 1, len(notes)
		gs = append(gs, g)
		rows += g.rows
	}
	if rows == 0 {
		return nil, 0
	}
	return gs, vg.Length(rows)*rowHeight() + 2*legendMargin
}

// Draw draws the figure onto c: the plot in the upper part, the legend in a
// band along the bottom edge.
func (f *Figure) Draw(c draw.Canvas) {
	gs, band := f.legendBlocks(c.Size().X)
	if f.Plot.BackgroundColor != nil {
		c.SetColor(f.Plot.BackgroundColor)
		c.Fill(c.Rectangle.Path())
	}
	f.drawPlots(draw.Crop(c, f.PadLeft, -marginRight, band, -marginTop))
	sty := legendStyle()
	rowh := rowHeight()
	h := sty.Height("Ag")
	top := c.Min.Y + band - legendMargin
	for _, g := range gs {
		total := vg.Length(g.cols)*g.colw + vg.Length(g.cols-1)*legendColGap
		x0 := c.Min.X + (c.Size().X-total)/2
		for i, e := range g.entries {
			// Column-major order, as a reader scans a legend.
			col, row := i/g.rows, i%g.rows
			x := x0 + vg.Length(col)*(g.colw+legendColGap)
			y := top - vg.Length(row)*rowh - rowh/2
			tx := x
			if len(e.Thumbs) > 0 {
				thumb := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
					Min: vg.Point{X: x, Y: y - h/2},
					Max: vg.Point{X: x + legendThumb, Y: y + h/2},
				}}
				for _, t := range e.Thumbs {
					t.Thumbnail(&thumb)
				}
				tx += legendThumb + legendGap
			}
			c.FillText(sty, vg.Point{X: tx, Y: y}, e.Label)
		}
		top -= vg.Length(g.rows) * rowh
	}
}

// drawPlots draws Plot and Panels into c in a grid, and the colour bar to
// the right of Plot's data area.
func (f *Figure) drawPlots(c draw.Canvas) {
	if f.Title != "" {
		sty := text.Style{Color: color.Black, Font: font.From(sans, titleSize), Handler: plot.DefaultTextHandler,
			XAlign: text.XCenter, YAlign: text.YTop}
		c.FillText(sty, vg.Point{X: c.Center().X, Y: c.Max.Y}, f.Title)
		c.Max.Y -= sty.Height(f.Title) + vg.Points(6)
	}
	if f.ColorBar != nil {
		c = draw.Crop(c, 0, -f.ColorBar.width(), 0, 0)
	}
	ps := append([]*plot.Plot{f.Plot}, f.Panels...)
	if len(ps) == 1 {
		f.Plot.Draw(c)
		if f.ColorBar != nil {
			f.ColorBar.draw(c, f.Plot.DataCanvas(c))
		}
		return
	}
	cols := f.Cols
	if cols <= 0 || cols > len(ps) {
		cols = len(ps)
	}
	rows := (len(ps) + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
		for col := range grid[r] {
			if i := r*cols + col; i < len(ps) {
				grid[r][col] = ps[i]
			}
		}
	}
	// Align sizes the cells so that every data area has the same size
	// and the areas line up across rows and columns.
	cells := plot.Align(grid, draw.Tiles{Rows: rows, Cols: cols, PadX: panelGap, PadY: panelGap}, c)
	for r, row := range grid {
		for col, p := range row {
			if p == nil {
				continue
			}
			p.Draw(cells[r][col])
			if r == 0 && col == 0 && f.ColorBar != nil {
				f.ColorBar.draw(c, p.DataCanvas(cells[r][col]))
			}
		}
	}
}

// panelGap is the space between the panels of a grid, in points.
const panelGap = 10

// Format is an output file format.
type Format int

// The output formats.
const (
	PNG Format = iota // raster, at the figure's DPI
	SVG               // vector; text stays text (fonts are not embedded)
)

// String returns the format's file extension without the dot.
func (f Format) String() string {
	switch f {
	case PNG:
		return "png"
	case SVG:
		return "svg"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// FormatOf returns the format named by a file's extension (.png or .svg,
// any case).
func FormatOf(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		return PNG, nil
	case ".svg":
		return SVG, nil
	}
	return 0, fmt.Errorf("plots: %s: unsupported extension %q (want .png or .svg)", path, filepath.Ext(path))
}

// svgFamily is the font-family the SVG output names: gonum/plot writes the
// bare family of the face; the fallbacks keep the text metrics on machines
// without Liberation Sans (Arial and Helvetica have the same advance widths).
const svgFamily = "font-family:'Liberation Sans',Arial,Helvetica,sans-serif;"

// Encode writes the figure to w in the given format.
func (f *Figure) Encode(w io.Writer, format Format) error {
	if f.Width <= 0 || f.Height <= 0 {
		return fmt.Errorf("plots: figure %q: size %v × %v must be positive", f.Name, f.Width, f.Height)
	}
	switch format {
	case PNG:
		dpi := f.DPI
		if dpi <= 0 {
			dpi = DefaultDPI
		}
		c := vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(dpi))
		f.Draw(draw.New(c))
		_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
		return err
	case SVG:
		c := vgsvg.New(f.Width, f.Height)
		f.Draw(draw.New(c))
		var buf bytes.Buffer
		if _, err := c.WriteTo(&buf); err != nil {
			return err
		}
		out := bytes.ReplaceAll(buf.Bytes(), []byte("font-family:Liberation Sans;"), []byte(svgFamily))
		// gonum/plot labels the PNGs it embeds (images of matrices, colour
		// bars) as JPEG, which strict viewers refuse; leaves SVG's default
		// preserveAspectRatio, which letterboxes an image whose pixel
		// proportions differ from its rectangle (a colour bar 16 pixels
		// wide shrank to two thirds of its height in librsvg); and lets
		// viewers smooth the pixels, which blurs the edges of cells.
		out = bytes.ReplaceAll(out, []byte(`xlink:href="data:image/jpg;base64,`),
			[]byte(`preserveAspectRatio="none" style="image-rendering:pixelated" xlink:href="data:image/png;base64,`))
		_, err := w.Write(out)
		return err
	}
	return fmt.Errorf("plots: figure %q: unknown format %v", f.Name, format)
}

// Save writes the figure to path in the format its extension names (.png
// or .svg). It writes a temporary file in the same directory, syncs it and
// renames it over path, so that a crash leaves either the old file or the
// new one, never a partial plot. Errors name the file.
func (f *Figure) Save(path string) error {
	format, err := FormatOf(path)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := f.Encode(&buf, format); err != nil {
		return fmt.Errorf("plots: %s: %w", path, err)
	}
	if err := atomicfile.WriteBytes(path, buf.Bytes()); err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	return nil
}
