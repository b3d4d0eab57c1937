// Package h5w writes the small subset of HDF5 that NIR graphs use: groups,
// and contiguous datasets of little-endian float32, float64 and int64 arrays
// of any rank (rank 0 included) and of fixed-length strings, scalar or
// arrays. It needs no C library.
//
// # File layout
//
// The file starts with a version 2 superblock (48 bytes, offsets and lengths
// of 8 bytes). Every object has a version 2 object header ("OHDR", one
// chunk, Jenkins lookup3 checksum). A group is a compact "new style" group:
// a Link Info message (no fractal heap, no name index), a Group Info
// message, and one hard-link message per member. A dataset has a version 2
// Dataspace message (scalar for rank 0, simple otherwise), a Datatype
// message, a version 3 Fill Value message (allocation early, no fill
// value) and a version 3 contiguous Data Layout message whose raw data lies
// just before the header. Strings are fixed-length, null-padded ASCII (what
// numpy's "S" dtype is in h5py); a zero-length array stores no data and the
// undefined address. Objects are written children first, so that every
// link points back to an object already placed; the superblock is written
// last, with the end-of-file address and the root group's address.
//
// The format is the HDF5 File Format Specification version 3.0
// (superblock version 2, object header version 2). The package's tests open
// every file it writes with h5py (libhdf5) when python3 with h5py is present.
package h5w
