package plots

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"math"
	"regexp"
	"strings"
	"testing"
)

// encodeBoth renders f as SVG and PNG.
func encodeBoth(t *testing.T, f *Figure) (svg, pngb []byte) {
	t.Helper()
	var s, p bytes.Buffer
	if err := f.Encode(&s, SVG); err != nil {
		t.Fatal(err)
	}
	if err := f.Encode(&p, PNG); err != nil {
		t.Fatal(err)
	}
	return s.Bytes(), p.Bytes()
}

// checkGolden compares the SVG of f exactly and its PNG within the PNG
// tolerance with testdata/golden/<name>.svg and .png.
func checkGolden(t *testing.T, name string, f *Figure) {
	t.Helper()
	svg, pngb := encodeBoth(t, f)
	golden(t, name+".svg", svg, sameSVG)
	golden(t, name+".png", pngb, samePNG)
}

// embedded matches an image embedded in an SVG by Figure.Encode.
var embedded = regexp.MustCompile(`data:image/png;base64,([A-Za-z0-9+/=]+)`)

// sameSVG compares SVGs as text, except that embedded PNGs are compared by
// their pixels, within the PNG tolerance of pngLevel: their bytes depend on
// the zlib compressor of the Go release, their pixels only on this package.
func sameSVG(t *testing.T, got, want []byte) {
	t.Helper()
	gi, wi := embedded.FindAllSubmatch(got, -1), embedded.FindAllSubmatch(want, -1)
	if len(gi) != len(wi) {
		t.Errorf("%d embedded images, golden has %d", len(gi), len(wi))
		return
	}
	for i := range gi {
		g, err := decodePNG64(gi[i][1])
		if err != nil {
			t.Fatal(err)
		}
		w, err := decodePNG64(wi[i][1])
		if err != nil {
			t.Fatal(err)
		}
		if g.Bounds() != w.Bounds() {
			t.Errorf("embedded image %d: size %v, golden %v", i, g.Bounds(), w.Bounds())
			return
		}
		if n, worst := pixelDiff(g, w); n > 0 {
			t.Errorf("embedded image %d: %d pixels differ (worst by %d levels)", i, n, worst)
		}
	}
	placeholder := []byte("data:image/png;base64,…")
	sameText(t, embedded.ReplaceAll(got, placeholder), embedded.ReplaceAll(want, placeholder))
}

// decodePNG64 decodes a base64 PNG.
func decodePNG64(b []byte) (image.Image, error) {
	raw, err := base64.StdEncoding.DecodeString(string(b))
	if err != nil {
		return nil, err
	}
	return png.Decode(bytes.NewReader(raw))
}

// rasterSpikes is a hand-made [40][30] raster: neuron n spikes at the
// steps t with (t·(n+3)) mod 17 < 2, except neuron 7, which is silent, and
// neuron 29, which spikes at every step.
func rasterSpikes() [][]float32 {
	s := make([][]float32, 40)
	for t := range s {
		s[t] = make([]float32, 30)
		for n := range s[t] {
			if n != 7 && (n == 29 || (t*(n+3))%17 < 2) {
				s[t][n] = 1
			}
		}
	}
	return s
}

// lifTrace simulates by hand n LIF neurons with constant input current
// 0.08·(n+1), decay 0.9, threshold 1, reset by subtraction (the update of
// layers.LIF): mem[t] = 0.9·mem[t−1] + I − S[t−1], S[t] = mem[t] > 1.
func lifTrace(T, n int) (mem, spk [][]float32) {
	mem = make([][]float32, T)
	spk = make([][]float32, T)
	prev := make([]float32, n)
	prevS := make([]float32, n)
	for t := range T {
		mem[t] = make([]float32, n)
		spk[t] = make([]float32, n)
		for i := range n {
			m := 0.9*prev[i] + 0.08*float32(i+1) - prevS[i]
			mem[t][i] = m
			if m > 1 {
				spk[t][i] = 1
			}
		}
		prev, prevS = mem[t], spk[t]
	}
	return mem, spk
}

func TestSpikeRasterGolden(t *testing.T) {
	f, err := SpikeRaster("lif1", rasterSpikes(), TimeStep{})
	if err != nil {
		t.Fatal(err)
	}
	// Spikes counted by hand from the rule of rasterSpikes would be long;
	// the note is checked for the two special neurons instead: neuron 7 is
	// silent and the others spike at least once (n = 0: t = 0, 17, 34).
	if len(f.Notes) != 1 || !strings.Contains(f.Notes[0], "1 of 30 neurons silent") {
		t.Errorf("notes %q, want one note with 1 of 30 neurons silent", f.Notes)
	}
	checkGolden(t, "raster", f)
}

func TestMembraneTracesGolden(t *testing.T) {
	mem, spk := lifTrace(60, 12)
	f, err := MembraneTraces("lif1", mem, []int{2, 5, 11}, []float64{1}, spk, TimeStep{Dt: 1, Unit: "ms"})
	if err != nil {
		t.Fatal(err)
	}
	// A spiking layer: one panel per neuron, in threshold units.
	if f.Title != "Membrane potential — lif1 (threshold units)" || len(f.Panels) != 2 || f.Plot.Y.Label.Text != "neuron 2" {
		t.Errorf("title %q, %d extra panels, first labelled %q; want threshold units, 2, neuron 2", f.Title, len(f.Panels), f.Plot.Y.Label.Text)
	}
	checkGolden(t, "membrane", f)

	// A read-out without threshold: overlaid, as they are.
	f, err = MembraneTraces("out", mem[:30], []int{0, 4, 8}, nil, nil, TimeStep{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Panels) != 0 || len(f.Legend) != 3 || f.Plot.Y.Label.Text != "membrane potential" {
		t.Errorf("%d extra panels, %d legend entries, y label %q; want one plot, 3 entries, membrane potential", len(f.Panels), len(f.Legend), f.Plot.Y.Label.Text)
	}
	checkGolden(t, "membrane_readout", f)
}

func TestRateHistogramsGolden(t *testing.T) {
	// lif1: 40 neurons at rates 0, 0.005, ..., 0.195 (rate i/200);
	// out: 10 neurons at 0.02·i, the last at 0.18.
	var hidden, out []float64
	for i := range 40 {
		hidden = append(hidden, float64(i)/200)
	}
	for i := range 10 {
		out = append(out, 0.02*float64(i))
	}
	f, err := RateHistograms([]LayerRates{{"lif1", hidden}, {"out", out}})
	if err != nil {
		t.Fatal(err)
	}
	// The highest rate, 19.5 %, fits under 20 %: the axis ends there.
	if f.Plot.X.Max != 20 {
		t.Errorf("x max %v, want 20", f.Plot.X.Max)
	}
	// Means: lif1 (0+…+39)/40/200 = 19.5/200 = 9.75 %; out 0.02·4.5 = 9 %.
	want := []string{"lif1: mean 9.75 %, 1 silent", "out: mean 9.00 %, 1 silent"}
	for i, w := range want {
		if f.Notes[i] != w {
			t.Errorf("note %d = %q, want %q", i, f.Notes[i], w)
		}
	}
	checkGolden(t, "rate_histograms", f)
}

// weights12x8 is a hand-made [12, 8] weight matrix, 0.3·sin(0.7 i)·cos(0.5 j),
// with w[0][7] = −0.6, the largest magnitude.
func weights12x8() []float32 {
	w := make([]float32, 12*8)
	for i := range 12 {
		for j := range 8 {
			w[i*8+j] = float32(0.3 * math.Sin(0.7*float64(i)) * math.Cos(0.5*float64(j)))
		}
	}
	w[7] = -0.6
	return w
}

func TestWeightImageGolden(t *testing.T) {
	f, err := WeightImage("fc1", weights12x8(), 12, 8)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "weights", f)
}

// TestWeightImageOrientation renders a matrix whose only nonzero weight
// is input 0, output 0 (row 0, column 0) and checks that its cell is the
// top left one of the PNG: the darkest red pixel lies in the upper left
// part of the image.
func TestWeightImageOrientation(t *testing.T) {
	w := make([]float32, 4*6)
	w[0] = 1
	f, err := WeightImage("corner", w, 4, 6)
	if err != nil {
		t.Fatal(err)
	}
	_, pngb := encodeBoth(t, f)
	img, err := png.Decode(bytes.NewReader(pngb))
	if err != nil {
		t.Fatal(err)
	}
	red := Diverging(1)
	minX, minY, maxX, maxY := findColor(img, red)
	if minX < 0 {
		t.Fatal("no cell in the colour of weight +1")
	}
	b := img.Bounds()
	// The plot area spans most of the figure; the red cell, a sixth of its
	// width and a quarter of its height, must sit in the left half and the
	// upper half, and be wider than tall (cells of 6 columns × 4 rows in
	// a landscape plot area).
	if maxX > b.Dx()/2 || maxY > b.Dy()/2 {
		t.Errorf("cell [0][0] drawn at x %d–%d, y %d–%d of %v: not the upper left", minX, maxX, minY, maxY, b)
	}
}

// findColor returns the bounding box of the pixels of colour c, or −1s.
func findColor(img image.Image, c color.NRGBA) (minX, minY, maxX, maxY int) {
	minX, minY, maxX, maxY = -1, -1, -1, -1
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA) == c {
				if minX < 0 || x < minX {
					minX = x
				}
				if minY < 0 {
					minY = y
				}
				maxX, maxY = max(maxX, x), y
			}
		}
	}
	return minX, minY, maxX, maxY
}

// confusion4 is a hand-made confusion matrix of 4 classes, 50 samples
// each except the last (12): accuracy (45+40+30+12)/162 = 78.4 %.
var confusion4 = [][]int{
	{45, 3, 2, 0},
	{5, 40, 5, 0},
	{0, 10, 30, 10},
	{0, 0, 0, 12},
}

func TestConfusionMatrixGolden(t *testing.T) {
	names := []string{"cat", "dog", "bird", "fish"}
	f, err := ConfusionMatrix(confusion4, names, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Confusion matrix — accuracy 78.4 % of 162"; f.Plot.Title.Text != want {
		t.Errorf("title %q, want %q", f.Plot.Title.Text, want)
	}
	checkGolden(t, "confusion", f)
	f, err = ConfusionMatrix(confusion4, names, true)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "confusion_percent", f)
}

func TestMatrixErrors(t *testing.T) {
	if _, err := WeightImage("fc1", make([]float32, 5), 2, 3); err == nil || !strings.Contains(err.Error(), "5 values for 2 × 3") {
		t.Errorf("wrong length: %v", err)
	}
	if _, err := ConfusionMatrix([][]int{{1, 2}, {3}}, nil, false); err == nil || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("ragged matrix: %v", err)
	}
	if _, err := ConfusionMatrix([][]int{{1}}, []string{"a", "b"}, false); err == nil {
		t.Error("two names for one class accepted")
	}
	if _, err := SpikeRaster("x", [][]float32{{1, 0}, {1}}, TimeStep{}); err == nil || !strings.Contains(err.Error(), "step 1") {
		t.Errorf("ragged raster: %v", err)
	}
	mem, _ := lifTrace(5, 3)
	if _, err := MembraneTraces("x", mem, []int{3}, nil, nil, TimeStep{}); err == nil || !strings.Contains(err.Error(), "neuron 3") {
		t.Errorf("neuron out of range: %v", err)
	}
	if _, err := MembraneTraces("x", mem, nil, []float64{1, 1}, nil, TimeStep{}); err == nil || !strings.Contains(err.Error(), "2 thresholds") {
		t.Errorf("threshold count: %v", err)
	}
	if _, err := RateHistograms([]LayerRates{{"x", []float64{1.5}}}); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Errorf("rate 1.5: %v", err)
	}
}

// TestSpans checks the pixel-to-cell mapping of matrix images: every cell
// is covered, none twice when downsampling, and upsampled cells get equal
// whole pixel counts.
func TestSpans(t *testing.T) {
	// 10 cells into 4 pixels: [0,2) [2,5) [5,7) [7,10) (i·10/4 floored).
	f := spans(10, 4)
	var got [][2]int
	for i := range 4 {
		lo, hi := f(i)
		got = append(got, [2]int{lo, hi})
	}
	want := [][2]int{{0, 2}, {2, 5}, {5, 7}, {7, 10}}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("spans(10, 4)(%d) = %v, want %v", i, got[i], want[i])
		}
	}
	// 3 cells into 9 pixels: 3 pixels per cell, by the pixel centres.
	f = spans(3, 9)
	for i := range 9 {
		if lo, hi := f(i); lo != i/3 || hi != i/3+1 {
			t.Errorf("spans(3, 9)(%d) = [%d, %d), want [%d, %d)", i, lo, hi, i/3, i/3+1)
		}
	}
	// SVG: 7 cells in 100 dots get 15 pixels each (105 ≥ 100); PNG the dots.
	if n := pixels(7, 100, false); n != 105 {
		t.Errorf("pixels(7, 100, svg) = %d, want 105", n)
	}
	if n := pixels(7, 100.4, true); n != 100 {
		t.Errorf("pixels(7, 100.4, png) = %d, want 100", n)
	}
	// Downsampling keeps the mean of a weight block and the maximum of a
	// raster block: cells {1, 2, NaN, 5} → mean 8/3, max 5.
	m := &cellImage{rows: 2, cols: 2, vals: []float64{1, 2, math.NaN(), 5}}
	if v := m.value(0, 2, 0, 2); math.Abs(v-8.0/3) > 1e-15 {
		t.Errorf("mean = %v, want 8/3", v)
	}
	m.reduce = reduceMax
	if v := m.value(0, 2, 0, 2); v != 5 {
		t.Errorf("max = %v, want 5", v)
	}
}
