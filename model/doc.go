// Package model is the saved form of a trained network: its architecture as
// JSON (model.json) and its weights as safetensors (weights.safetensors), in
// one model directory. It depends on no part of the training engine, so
// that tools which only read models (inference, export) need nothing else.
//
// # Architecture
//
// A Model is a list of layers that run in order, each applied to the
// previous one's output. Each Layer has a kind, a name and a config: the
// JSON of the payload type of its kind.
//
//	{
//	  "format": "spikegrad.sequential/v2",
//	  "layers": [
//	    {"kind": "linear", "name": "fc1",
//	     "config": {"in": 784, "out": 1000, "bias": true, "init": "pytorch"}},
//	    {"kind": "lif", "name": "lif1",
//	     "config": {"n": 1000, "beta": 0.95, "threshold": 1, "reset": "subtract", "reset_grad": false,
//	                "surrogate": {"name": "fast_sigmoid", "params": {"slope": 25}},
//	                "learn_beta": false, "learn_threshold": false, "per_neuron": false}},
//	    ...
//	  ]
//	}
//
//	kind       payload   parameters (in the weights file)
//	linear     Linear    <name>.weight [in, out], <name>.bias [out]
//	lif        LIF       <name>.beta, <name>.threshold: [1] or [n]
//	synaptic   Synaptic  <name>.alpha, <name>.beta, <name>.threshold: [1] or [n]
//	li         LI        <name>.beta: [1] or [n]
//	batchnorm  BatchNorm <name>.weight, <name>.bias, <name>.running_mean, <name>.running_var: [channels]
//	                     (per_step: [steps, channels] and no bias)
//
// Layer.Payload decodes a layer's config into its payload (*Linear, *LIF,
// ...) strictly: an unknown field, a value of the wrong type or outside its
// domain is an error that names the field. Model.Validate, Marshal and
// Unmarshal check every layer and name the layer in their errors
// (*LayerError wrapping a *FieldError). A config holds everything needed to
// run its layer: sizes, neuron constants, reset rule and surrogate. A model
// written by spikegrad states every field, defaults included, so that a
// reader needs no defaults of its own.
//
// Package layers builds a network from a Model (layers.Build) and describes
// a network as one (Sequential.Model); a new layer kind adds its payload
// type here and its layer type there.
//
// # Model directory
//
// Save writes a model directory: ArchFile (model.json) and WeightsFile
// (weights.safetensors, float32 tensors named "<layer>.<param>" as in the
// table above, with the metadata {"format": Format}), each atomically. Load
// reads one back. A training run keeps its final model in the model
// directory of its run directory.
//
// # Formats
//
// Format, "spikegrad.sequential/v2", is the format above. Unmarshal also
// reads FormatV1, "spikegrad.sequential/v1", the flat format of earlier
// versions (one record with every field of every kind, the neuron count
// under "out"), and returns it in Format.
//
// # Examples
//
// Example writes a two-layer model as model.json and reads it back,
// ExampleUnmarshal shows the error of a value outside its domain, and
// ExampleSave writes and loads a model directory.
package model
