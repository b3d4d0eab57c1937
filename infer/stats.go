package infer

// Stats is what an inference run over a dataset measured, per sample averages.
type Stats struct {
	Samples, Steps int
	Accuracy       float64
	Layers         []LayerStats
}

// LayerStats is one layer's part of Stats, per sample.
type LayerStats struct {
	Layer, Kind   string  // layer name and model kind ("linear", "lif", ...)
	Neurons       int     // outputs of the layer
	Spikes        float64 // output spikes per sample, summed over time (0 for non-spiking layers)
	Rate          float64 // Spikes / (Neurons·Steps)
	SynOps        float64 // per sample: input spikes delivered × fan-out (event-driven products)
	MACs          float64 // per sample: multiply-accumulates done densely (analog inputs)
	DenseOps      float64 // per sample: the MACs a dense forward of this layer would do
	NeuronUpdates float64 // per sample: neuron state updates (Neurons·Steps for neuron layers)
}
