package plots

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// WeightImage draws the weight matrix of a fully connected layer as an
// image: w is row-major [rows, cols] with rows the inputs and cols the
// outputs (spikegrad's Linear stores its weight [In, Out]). Input i is row
// i from the top, output j column j from the left. The colour map is
// Diverging, centred at 0 (white) and symmetric, ±max|w|, so the sign of a
// weight reads from its hue; the colour bar on the right gives the values.
// A matrix with more cells than the image has pixels shows the mean of the
// weights under each pixel. The figure's Name is "weights_<name>".
//
// It returns an error if len(w) is not rows·cols or a size is not
// positive.
func WeightImage(name string, w []float32, rows, cols int) (*Figure, error) {
	if rows <= 0 || cols <= 0 || len(w) != rows*cols {
		return nil, fmt.Errorf("plots: weight image %q: %d values for %d × %d", name, len(w), rows, cols)
	}
	vals := make([]float64, len(w))
	var m float64
	for i, v := range w {
		vals[i] = float64(v)
		if a := math.Abs(vals[i]); !math.IsInf(a, 0) && !math.IsNaN(a) {
			m = max(m, a)
		}
	}
	if m == 0 {
		m = 1
	}
	bar := &ColorBar{Label: "weight", Min: -m, Max: m, Map: Diverging}
	p := newMatrixPlot(fmt.Sprintf("Weights — %s (%d inputs × %d outputs)", name, rows, cols),
		"output neuron", "input neuron", rows, cols, nil, nil)
	p.Add(&cellImage{rows: rows, cols: cols, vals: vals, reduce: reduceMean,
		color: func(v float64) color.NRGBA { return Diverging((v + m) / (2 * m)) }})
	return &Figure{Name: "weights_" + name, Plot: p, ColorBar: bar,
		Width: DefaultWidth, Height: DefaultHeight, DPI: DefaultDPI}, nil
}

// maxAnnotated is the largest number of classes whose confusion matrix
// cells carry their numbers: at the default size a cell of 20 classes is
// about 14 points wide, room for three digits in 8-point text.
const maxAnnotated = 20

// ConfusionMatrix draws a confusion matrix: counts[i][j] is the number of
// samples of true class i predicted as class j; row i is true class i from
// the top, column j predicted class j from the left. With normalize, each
// row is drawn in percent of its true class (the row's recall on the
// diagonal), else as counts. The colour map is Blues from 0 to the largest
// cell (100 % when normalised). Up to 20 classes, every cell is annotated
// with its number, in white on dark cells. classNames label the classes
// (nil: 0, 1, 2, ...). The title gives the accuracy, the diagonal's share
// of all samples. The figure's Name is "confusion".
//
// It returns an error for a matrix that is not square, is empty, has a
// negative count, or whose classNames have another length.
func ConfusionMatrix(counts [][]int, classNames []string, normalize bool) (*Figure, error) {
	n := len(counts)
	if n == 0 {
		return nil, fmt.Errorf("plots: confusion matrix: no classes")
	}
	if classNames != nil && len(classNames) != n {
		return nil, fmt.Errorf("plots: confusion matrix: %d class names for %d classes", len(classNames), n)
	}
	vals := make([]float64, n*n)
	var total, diag int
	for i, row := range counts {
		if len(row) != n {
			return nil, fmt.Errorf("plots: confusion matrix: row %d has %d columns, want %d", i, len(row), n)
		}
		var rowSum int
		for j, c := range row {
			if c < 0 {
				return nil, fmt.Errorf("plots: confusion matrix: negative count %d at [%d][%d]", c, i, j)
			}
			rowSum += c
		}
		for j, c := range row {
			vals[i*n+j] = float64(c)
			if normalize {
				vals[i*n+j] = math.NaN()
				if rowSum > 0 {
					vals[i*n+j] = 100 * float64(c) / float64(rowSum)
				}
			}
		}
		total += rowSum
		diag += row[i]
	}
	hi := 100.0
	label := "samples (% of true class)"
	if !normalize {
		label = "samples"
		hi = 1
		for _, v := range vals {
			hi = max(hi, v)
		}
	}
	title := "Confusion matrix"
	if total > 0 {
		title = fmt.Sprintf("Confusion matrix — accuracy %.1f %% of %d", 100*float64(diag)/float64(total), total)
	}
	if classNames == nil {
		classNames = make([]string, n)
		for i := range classNames {
			classNames[i] = strconv.Itoa(i)
		}
	}
	names := classNames
	if n > maxAnnotated {
		names = nil // index ticks
	}
	p := newMatrixPlot(title, "predicted class", "true class", n, n, names, names)
	colorOf := func(v float64) color.NRGBA { return Blues(v / hi) }
	p.Add(&cellImage{rows: n, cols: n, vals: vals, color: colorOf, reduce: reduceMean})
	if n <= maxAnnotated {
		p.Add(&cellLabels{n: n, vals: vals, color: colorOf, percent: normalize})
	}
	// A square image: the figure is as much taller than wide as the axes,
	// title and colour bar need.
	return &Figure{Name: "confusion", Plot: p, ColorBar: &ColorBar{Label: label, Min: 0, Max: hi, Map: Blues},
		Width: DefaultWidth, Height: DefaultWidth * 0.92, DPI: DefaultDPI}, nil
}

// cellLabels is a plotter that writes each cell's value at its centre,
// in white on dark cells and black on light ones.
type cellLabels struct {
	n       int
	vals    []float64
	color   func(v float64) color.NRGBA
	percent bool
}

// Plot implements plot.Plotter.
func (l *cellLabels) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	cell := trX(1) - trX(0)
	size := vg.Length(tickSize)
	if cell < 2.2*size {
		size = vg.Length(math.Max(6, float64(cell)/2.4))
	}
	sty := text.Style{Font: font.From(sans, size), Handler: plot.DefaultTextHandler,
		XAlign: text.XCenter, YAlign: text.YCenter}
	for i := range l.n {
		for j := range l.n {
			v := l.vals[i*l.n+j]
			if math.IsNaN(v) {
				continue
			}
			s := strconv.FormatFloat(v, 'f', 0, 64)
			if l.percent && v > 0 && v < 0.5 {
				s = "<1"
			}
			sty.Color = color.Black
			if luminance(l.color(v)) < 0.45 {
				sty.Color = color.White
			}
			c.FillText(sty, vg.Point{X: trX(float64(j) + 0.5), Y: trY(float64(i) + 0.5)}, s)
		}
	}
}

// luminance returns the relative luminance of c in [0, 1] (ITU-R BT.709
// weights on linearised sRGB).
func luminance(c color.NRGBA) float64 {
	lin := func(u uint8) float64 {
		v := float64(u) / 255
		if v <= 0.04045 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
}
