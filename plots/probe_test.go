package plots

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// countedLayer is a hand-made layer of 8 neurons over 9 steps in which
// neuron j spikes on the first counts[j] steps.
func countedLayer(counts []int) NeuronLayer {
	const T = 9
	l := NeuronLayer{Layer: "lif1", Thresholds: []float64{1}}
	for t := range T {
		mem := make([]float32, len(counts))
		spk := make([]float32, len(counts))
		for j, c := range counts {
			mem[j] = 0.5
			if t < c {
				spk[j] = 1
			}
		}
		l.Mem = append(l.Mem, mem)
		l.Spikes = append(l.Spikes, spk)
	}
	return l
}

func TestChooseNeurons(t *testing.T) {
	// Spike counts over T = 9 steps; the score is |3c − 9|, plus 27 for a
	// neuron that fires never or always: neuron 0 (c 0) 36, 1 (c 9) 27,
	// 2 (c 3) 0, 3 (c 2) 3, 4 (c 4) 3, 5 (c 1) 6, 6 (c 3) 0, 7 (c 8) 15.
	// The 5 lowest: 2, 6, 3, 4, 5.
	l := countedLayer([]int{0, 9, 3, 2, 4, 1, 3, 8})
	got, err := ChooseNeurons(l, nil, false)
	if want := []int{2, 3, 4, 5, 6}; err != nil || !slices.Equal(got, want) {
		t.Errorf("ChooseNeurons = %v, %v; want %v", got, err, want)
	}

	// Asked: those the layer has, in the order asked.
	got, err = ChooseNeurons(l, []int{7, 20, 1}, false)
	if want := []int{7, 1}; err != nil || !slices.Equal(got, want) {
		t.Errorf("asked 7, 20, 1: %v, %v; want %v", got, err, want)
	}
	if _, err := ChooseNeurons(l, []int{8, 20}, false); err == nil || !strings.Contains(err.Error(), "layer lif1 has neurons 0 to 7") {
		t.Errorf("asked 8, 20 of 8 neurons: %v, want an error naming the layer's range", err)
	}

	// The read-out: every neuron, up to the 10 colours.
	wide := countedLayer(make([]int, 12))
	wide.Spikes, wide.Thresholds = nil, nil
	got, err = ChooseNeurons(wide, nil, true)
	if want := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}; err != nil || !slices.Equal(got, want) {
		t.Errorf("read-out of 12: %v, %v; want %v", got, err, want)
	}
	// A hidden layer without spikes counts as silent: the first 5.
	got, err = ChooseNeurons(wide, nil, false)
	if want := []int{0, 1, 2, 3, 4}; err != nil || !slices.Equal(got, want) {
		t.Errorf("layer without spikes: %v, %v; want %v", got, err, want)
	}

	// Spikes of another shape than the membranes.
	bad := countedLayer([]int{1, 2})
	bad.Spikes = bad.Spikes[:4]
	if _, err := ChooseNeurons(bad, nil, false); err == nil || !strings.Contains(err.Error(), "spikes [4][2], membranes [9][2]") {
		t.Errorf("spikes of 4 steps, membranes of 9: %v", err)
	}
	if _, err := ChooseNeurons(NeuronLayer{Layer: "x"}, nil, false); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("empty layer: %v", err)
	}
}

// testProbe is a hand-made probe: a spiking hidden layer (lifTrace, 12
// neurons over 30 steps), a non-spiking read-out of 4 classes, the 12 × 8
// weights of weights12x8, rates of the hidden layer and a 4-class
// confusion matrix. The sample is of class 2, predicted as 1.
func testProbe() *Probe {
	mem, spk := lifTrace(30, 12)
	out := make([][]float32, 30)
	for t := range out {
		out[t] = []float32{0.1 * float32(t), 0.2, 0.05 * float32(t), -0.1}
	}
	rates := make([]float64, 12)
	for i := range rates {
		rates[i] = float64(i) / 24
	}
	return &Probe{Sample: 5, Label: 2, Predicted: 1,
		Layers: []NeuronLayer{
			{Layer: "lif1", Spikes: spk, Mem: mem, Thresholds: []float64{1}},
			{Layer: "out", Mem: out},
		},
		Weights:     []LayerWeights{{Name: "fc1", Rows: 12, Cols: 8, Data: weights12x8()}},
		Rates:       []LayerRates{{Layer: "lif1", Rates: rates}},
		TestSamples: 40,
		Confusion:   [][]int{{9, 1, 0, 0}, {0, 8, 2, 0}, {1, 3, 6, 0}, {0, 0, 0, 10}},
	}
}

func TestProbeFigures(t *testing.T) {
	p := testProbe()
	figs, err := ProbeFigures(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range figs {
		names = append(names, f.Name)
	}
	want := []string{"raster_lif1", "membrane_lif1", "membrane_out", "rate_histograms", "weights_fc1", "confusion"}
	if !slices.Equal(names, want) {
		t.Fatalf("figures %q, want %q", names, want)
	}
	sample := "test sample 5: class 2, predicted 1"
	if figs[0].Notes[0] != sample || !slices.Contains(figs[1].Notes, sample) {
		t.Errorf("raster notes %q, traces notes %q; want both to name the sample", figs[0].Notes, figs[1].Notes)
	}
	// The hidden layer's panels are the neurons ChooseNeurons picks.
	chosen, err := ChooseNeurons(p.Layers[0], nil, false)
	if err != nil {
		t.Fatal(err)
	}
	panels := []string{figs[1].Plot.Y.Label.Text}
	for _, pl := range figs[1].Panels {
		panels = append(panels, pl.Y.Label.Text)
	}
	var wantPanels []string
	for _, n := range chosen {
		wantPanels = append(wantPanels, "neuron "+strconv.Itoa(n))
	}
	if !slices.Equal(panels, wantPanels) {
		t.Errorf("hidden trace panels %q, want %q", panels, wantPanels)
	}
	if !slices.Contains(figs[1].Notes, "5 neurons that fire on about a third of this sample's steps") {
		t.Errorf("hidden traces notes %q, want the note on the chosen neurons", figs[1].Notes)
	}
	var labels []string
	for _, e := range figs[2].Legend {
		labels = append(labels, e.Label)
	}
	if want := []string{"neuron 0", "neuron 1 (predicted)", "neuron 2 (true class)", "neuron 3"}; !slices.Equal(labels, want) {
		t.Errorf("read-out legend %q, want %q", labels, want)
	}
	if !strings.HasSuffix(figs[3].Plot.Title.Text, " — test set (40 samples)") {
		t.Errorf("rate histogram title %q", figs[3].Plot.Title.Text)
	}

	// Asked neurons; a correct prediction; no rates and no confusion.
	p.Predicted = 2
	p.Rates, p.Confusion = nil, nil
	figs, err = ProbeFigures(p, []int{1, 3})
	if err != nil {
		t.Fatal(err)
	}
	names = names[:0]
	for _, f := range figs {
		names = append(names, f.Name)
	}
	if want := []string{"raster_lif1", "membrane_lif1", "membrane_out", "weights_fc1"}; !slices.Equal(names, want) {
		t.Errorf("figures %q, want %q", names, want)
	}
	if len(figs[1].Panels) != 1 || slices.ContainsFunc(figs[1].Notes, func(s string) bool { return strings.Contains(s, "a third") }) {
		t.Errorf("asked 2 neurons: %d extra panels, notes %q", len(figs[1].Panels), figs[1].Notes)
	}
	labels = labels[:0]
	for _, e := range figs[2].Legend {
		labels = append(labels, e.Label)
	}
	if want := []string{"neuron 1", "neuron 3"}; !slices.Equal(labels, want) {
		t.Errorf("read-out legend %q, want %q", labels, want)
	}
	if figs, err = ProbeFigures(p, []int{2}); err != nil || figs[2].Legend[0].Label != "neuron 2 (true, predicted)" {
		t.Errorf("read-out of neuron 2, predicted correctly: %v", err)
	}
	if _, err := ProbeFigures(p, []int{40}); err == nil || !strings.Contains(err.Error(), "layer lif1 has neurons 0 to 11") {
		t.Errorf("asked neuron 40: %v", err)
	}
}
