package plots

import (
	"fmt"
	"slices"
)

// Probe is what a trained network does, as the network figures draw it:
// the activity of every neuron layer for one sample, the weights of every
// linear layer, and the per-neuron firing rates and confusion matrix over
// a test set. spikegrad plot fills it from train.Probe; a notebook can
// fill it from any forward pass.
type Probe struct {
	// Sample is the index of the probed sample in its set, Label its class
	// and Predicted the network's prediction for it.
	Sample, Label, Predicted int
	// Layers holds the neuron layers in network order; the last is the
	// read-out, whose neurons are the classes.
	Layers []NeuronLayer
	// Weights holds the linear layers in network order.
	Weights []LayerWeights
	// Rates holds each spiking layer's per-neuron firing rates over the
	// test set; none leaves out the rate histograms.
	Rates []LayerRates
	// TestSamples is the number of test samples behind Rates and
	// Confusion.
	TestSamples int
	// Confusion[i][j] counts test samples of class i predicted as j; nil
	// leaves out the confusion matrix.
	Confusion [][]int
}

// NeuronLayer is one neuron layer's activity for one sample.
type NeuronLayer struct {
	Layer string
	// Spikes[t][n] is nonzero if neuron n spiked at step t; [T][N]. It is
	// nil for a non-spiking read-out (LI), whose output is its membrane.
	Spikes [][]float32
	// Mem[t][n] is the membrane potential of neuron n at step t; [T][N].
	Mem [][]float32
	// Thresholds holds the firing threshold of a spiking layer, one value
	// for the layer or one per neuron; nil for a non-spiking read-out.
	Thresholds []float64
}

// LayerWeights is the weight matrix of one linear layer, [Rows, Cols]
// row-major, rows the inputs and columns the outputs.
type LayerWeights struct {
	Name       string
	Rows, Cols int
	Data       []float32
}

// ProbeFigures returns the network figures of a probe, in this order: for
// each neuron layer its spike raster (a spiking layer only) and its
// membrane traces, then the firing-rate histograms of the spiking layers,
// the weight image of each linear layer, and the confusion matrix.
//
// The raster and the traces carry a note naming the sample, its class and
// the prediction. The traces show the neurons ChooseNeurons picks with
// neurons as the asked ones (nil: the default choice); in the read-out's
// legend, the true and the predicted class are named. The rate histograms'
// title names the size of the test set.
//
// It returns an error for a neuron list that no neuron of a layer is in,
// and for data the figure functions refuse (see SpikeRaster,
// MembraneTraces, RateHistograms, WeightImage, ConfusionMatrix).
func ProbeFigures(p *Probe, neurons []int) ([]*Figure, error) {
	var figs []*Figure
	sampleNote := fmt.Sprintf("test sample %d: class %d, predicted %d", p.Sample, p.Label, p.Predicted)
	for i, l := range p.Layers {
		output := i == len(p.Layers)-1
		if l.Spikes != nil {
			f, err := SpikeRaster(l.Layer, l.Spikes, TimeStep{})
			if err != nil {
				return nil, err
			}
			f.Notes = append([]string{sampleNote}, f.Notes...)
			figs = append(figs, f)
		}
		chosen, err := ChooseNeurons(l, neurons, output)
		if err != nil {
			return nil, err
		}
		f, err := MembraneTraces(l.Layer, l.Mem, chosen, l.Thresholds, l.Spikes, TimeStep{})
		if err != nil {
			return nil, err
		}
		f.Notes = append(f.Notes, sampleNote)
		if output {
			nameClasses(f, p.Label, p.Predicted)
		}
		if neurons == nil && !output {
			f.Notes = append(f.Notes, fmt.Sprintf("%d neurons that fire on about a third of this sample's steps", len(chosen)))
		}
		figs = append(figs, f)
	}
	if len(p.Rates) > 0 {
		f, err := RateHistograms(p.Rates)
		if err != nil {
			return nil, err
		}
		f.Plot.Title.Text += fmt.Sprintf(" — test set (%d samples)", p.TestSamples)
		figs = append(figs, f)
	}
	for _, w := range p.Weights {
		f, err := WeightImage(w.Name, w.Data, w.Rows, w.Cols)
		if err != nil {
			return nil, err
		}
		figs = append(figs, f)
	}
	if p.Confusion != nil {
		f, err := ConfusionMatrix(p.Confusion, nil, false)
		if err != nil {
			return nil, err
		}
		figs = append(figs, f)
	}
	return figs, nil
}

// nameClasses marks, in the legend of the read-out's traces, whose
// neurons are the classes, the true class and the predicted one.
func nameClasses(f *Figure, label, predicted int) {
	for j := range f.Legend {
		switch f.Legend[j].Label {
		case fmt.Sprintf("neuron %d", label):
			f.Legend[j].Label += " (true class)"
			if predicted == label {
				f.Legend[j].Label = fmt.Sprintf("neuron %d (true, predicted)", label)
			}
		case fmt.Sprintf("neuron %d", predicted):
			f.Legend[j].Label += " (predicted)"
		}
	}
}

// Traces is the number of neurons of a hidden layer whose membranes
// ChooseNeurons picks by default.
const Traces = 5

// ChooseNeurons returns, in increasing order, the neurons of layer l whose
// membranes the network figures draw:
//
//   - asked not nil: those of the asked neurons that the layer has (an
//     error if it has none of them);
//   - else, for the read-out (output): every neuron, up to 10, the colours
//     MembraneTraces has;
//   - else the Traces neurons that fire closest to a third of the steps,
//     where both integration and reset are visible. A neuron that fires on
//     every step or never shows no dynamics and comes after every
//     intermittent one; ties go to the lower index. A layer without spikes
//     (Spikes nil) counts as silent: its first Traces neurons.
//
// It returns an error for an empty layer or spikes whose shape differs
// from the membranes'.
func ChooseNeurons(l NeuronLayer, asked []int, output bool) ([]int, error) {
	T, n, err := checkMemSpikes(l.Layer, l.Mem, l.Spikes)
	if err != nil {
		return nil, err
	}
	if asked != nil {
		var in []int
		for _, a := range asked {
			if a < n {
				in = append(in, a)
			}
		}
		if len(in) == 0 {
			return nil, fmt.Errorf("plots: neurons %v: layer %s has neurons 0 to %d", asked, l.Layer, n-1)
		}
		return in, nil
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	if output {
		return all[:min(n, len(palette))], nil
	}
	count := make([]int, n)
	for t := range l.Spikes {
		for j := range count {
			if l.Spikes[t][j] != 0 {
				count[j]++
			}
		}
	}
	score := func(j int) int {
		c := count[j]
		d := 3*c - T // 0 when c = T/3
		if d < 0 {
			d = -d
		}
		if c == 0 || c == T {
			d += 3 * T // after every intermittent neuron
		}
		return d
	}
	slices.SortStableFunc(all, func(a, b int) int { return score(a) - score(b) })
	chosen := all[:min(n, Traces)]
	slices.Sort(chosen)
	return chosen, nil
}
