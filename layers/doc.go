// Package layers holds the building blocks of spiking networks: Linear,
// neuron models (each a layer type, a config and a caller-owned state),
// initialisers and Sequential. Feed-forward layers run over the whole sequence
// [T, B, N] at once; neuron layers scan their state over T in one fused kernel.
package layers
