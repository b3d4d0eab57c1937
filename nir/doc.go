// Package nir reads and writes NIR (Neuromorphic Intermediate Representation)
// graphs.
package nir
