package plots

import (
	"image/color"
	"math"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// palette is the Tableau 10 palette (the default colour cycle of
// matplotlib), whose colours stay distinct for most colour-blind readers in
// the first few entries that a learning-curve figure uses.
var palette = []color.NRGBA{
	{0x1f, 0x77, 0xb4, 0xff}, // blue
	{0xff, 0x7f, 0x0e, 0xff}, // orange
	{0x2c, 0xa0, 0x2c, 0xff}, // green
	{0xd6, 0x27, 0x28, 0xff}, // red
	{0x94, 0x67, 0xbd, 0xff}, // purple
	{0x8c, 0x56, 0x4b, 0xff}, // brown
	{0xe3, 0x77, 0xc2, 0xff}, // pink
	{0x7f, 0x7f, 0x7f, 0xff}, // grey
	{0xbc, 0xbd, 0x22, 0xff}, // olive
	{0x17, 0xbe, 0xcf, 0xff}, // cyan
}

// keyColor is the neutral colour of the legend entries that explain line
// styles when colours stand for runs or layers.
var keyColor = color.NRGBA{0x44, 0x44, 0x44, 0xff}

// withAlpha returns c with opacity a in [0, 1].
func withAlpha(c color.NRGBA, a float64) color.NRGBA {
	c.A = uint8(a*255 + 0.5)
	return c
}

// Line widths and marker size, in points.
const (
	rawWidth    = 0.8  // per-step values under a smoothed line
	rawAlpha    = 0.45 // their opacity
	plainWidth  = 1.2  // per-step values drawn without smoothing
	thickWidth  = 1.8  // smoothed lines and per-epoch lines
	markerSize  = 2.8  // marker radius
	maxMarkers  = 60   // a series with more points is drawn without markers
	lineChunk   = 64   // points per stroked piece of a line
	gridWidth   = 0.5  // grid lines
	gridGreyish = 0xe0 // grid line grey level
)

// newGrid returns light grid lines at the major ticks, drawn under the data.
func newGrid() *plotter.Grid {
	g := plotter.NewGrid()
	sty := draw.LineStyle{Color: color.Gray{Y: gridGreyish}, Width: vg.Points(gridWidth)}
	g.Vertical, g.Horizontal = sty, sty
	return g
}

// lineThumb is a legend thumbnail: a horizontal line sample.
type lineThumb struct{ sty draw.LineStyle }

// Thumbnail draws the line across the middle of c.
func (t lineThumb) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(t.sty, c.Min.X, y, c.Max.X, y)
}

// glyphThumb is a legend thumbnail: one marker in the middle.
type glyphThumb struct{ sty draw.GlyphStyle }

// Thumbnail draws the marker at the centre of c.
func (t glyphThumb) Thumbnail(c *draw.Canvas) {
	c.DrawGlyphNoClip(t.sty, c.Center())
}

// hollowGlyph is a marker drawn as a white disc with a ring of the style's
// colour, so that a test point stays visible on top of a train line of the
// same colour.
type hollowGlyph struct{}

// ringWidth is the width of the ring of hollowGlyph, in points.
const ringWidth = 1.3

// DrawGlyph implements draw.GlyphDrawer.
func (hollowGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	p := make(vg.Path, 0, 3)
	p.Move(vg.Point{X: pt.X + sty.Radius, Y: pt.Y})
	p.Arc(pt, sty.Radius, 0, 2*math.Pi)
	p.Close()
	c.SetColor(color.White)
	c.Fill(p)
	c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: vg.Points(ringWidth)})
	c.Stroke(p)
}
