// Package h5scan checks the structure of an HDF5 file before the HDF5
// library (github.com/scigolib/hdf5) opens it, for the corruptions that the
// library cannot survive: group links that form a cycle (the library
// recurses until the stack overflows, which no recover catches), trees of
// absurd size, and heaps that claim more bytes than the file holds (the
// library allocates what they claim). Check returns an error for such a
// file and nil for anything it does not understand, which the library then
// judges. The readers of NIR graphs (nir) and of spiking audio (datasets)
// run it first.
package h5scan
