// Package nir is the place of the reader and writer of NIR (Neuromorphic
// Intermediate Representation) graphs (docs/design.md, "Layout"). It has no
// API yet: today a trained model is saved as safetensors weights with a JSON
// architecture, a model directory that model.Load reads.
package nir
