package h5w

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

// Group is an HDF5 group being built: named members, each a group or a
// dataset. Members are stored by name; a name may be used once.
type Group struct {
	members map[string]any // *Group or *Dataset
}

// NewGroup returns an empty group (the root group of a file, or a member).
func NewGroup() *Group { return &Group{members: map[string]any{}} }

// Class is the element type of a dataset.
type Class int

// The element types a dataset may hold.
const (
	Float32 Class = iota // IEEE 754 binary32, little-endian
	Float64              // IEEE 754 binary64, little-endian
	Int64                // two's complement signed 64-bit, little-endian
	String               // fixed-length, null-padded ASCII
)

// Dataset is an array of one Class: Shape (nil or empty for a scalar) and,
// by class, F32, F64, I64 or Str holding the product of Shape elements in
// row-major order.
type Dataset struct {
	Class Class
	Shape []int
	F32   []float32
	F64   []float64
	I64   []int64
	Str   []string
}

// Group adds the member group name to g and returns it. It panics if name is
// already a member or is empty or holds '/' or '.' alone: names are the
// caller's constants and keys, checked before (see ValidName).
func (g *Group) Group(name string) *Group {
	c := NewGroup()
	g.add(name, c)
	return c
}

// Add adds the dataset d as the member name of g. Its length must match its
// shape; see Group for the name.
func (g *Group) Add(name string, d *Dataset) {
	g.add(name, d)
}

func (g *Group) add(name string, v any) {
	if err := ValidName(name); err != nil {
		panic("h5w: " + err.Error())
	}
	if _, ok := g.members[name]; ok {
		panic("h5w: duplicate member " + name)
	}
	g.members[name] = v
}

// ValidName returns an error for a name that HDF5 cannot store as a link:
// empty, ".", longer than 65535 bytes, or holding '/' or a NUL byte.
func ValidName(name string) error {
	if name == "" || name == "." {
		return fmt.Errorf("invalid member name %q", name)
	}
	if len(name) > math.MaxUint16 {
		return fmt.Errorf("member name of %d bytes is longer than 65535", len(name))
	}
	for i := 0; i < len(name); i++ {
		if name[i] == '/' || name[i] == 0 {
			return fmt.Errorf("member name %q holds '/' or NUL", name)
		}
	}
	return nil
}

func (d *Dataset) count() (int, error) {
	n := 1
	for _, s := range d.Shape {
		if s < 0 {
			return 0, fmt.Errorf("negative dimension %d", s)
		}
		n *= s
	}
	var have int
	switch d.Class {
	case Float32:
		have = len(d.F32)
	case Float64:
		have = len(d.F64)
	case Int64:
		have = len(d.I64)
	case String:
		have = len(d.Str)
	default:
		return 0, fmt.Errorf("unknown class %d", d.Class)
	}
	if have != n {
		return 0, fmt.Errorf("shape %v needs %d elements, have %d", d.Shape, n, have)
	}
	return n, nil
}

const undef = ^uint64(0)

// Encode returns the bytes of an HDF5 file whose root group is root, or an
// error for a dataset whose data does not match its shape or a string that
// is not ASCII.
func Encode(root *Group) ([]byte, error) {
	w := &writer{buf: make([]byte, 48)}
	addr, err := w.group(root, "/")
	if err != nil {
		return nil, err
	}
	sb := w.buf[:0:48]
	sb = append(sb, 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n')
	sb = append(sb, 2, 8, 8, 0)                                   // version, size of offsets, size of lengths, flags
	sb = binary.LittleEndian.AppendUint64(sb, 0)                  // base address
	sb = binary.LittleEndian.AppendUint64(sb, undef)              // superblock extension
	sb = binary.LittleEndian.AppendUint64(sb, uint64(len(w.buf))) // end of file
	sb = binary.LittleEndian.AppendUint64(sb, addr)               // root group object header
	binary.LittleEndian.AppendUint32(sb, lookup3(sb, 0))
	return w.buf, nil
}

type writer struct{ buf []byte }

type message struct {
	typ  byte
	data []byte
}

// header appends a version 2 object header holding msgs and returns its
// address.
func (w *writer) header(msgs []message) uint64 {
	size := 0
	for _, m := range msgs {
		size += 4 + len(m.data)
	}
	addr := uint64(len(w.buf))
	h := []byte("OHDR")
	h = append(h, 2, 2) // version 2; flags: chunk 0 size in 4 bytes
	h = binary.LittleEndian.AppendUint32(h, uint32(size))
	for _, m := range msgs {
		h = append(h, m.typ)
		h = binary.LittleEndian.AppendUint16(h, uint16(len(m.data)))
		h = append(h, 0) // message flags
		h = append(h, m.data...)
	}
	h = binary.LittleEndian.AppendUint32(h, lookup3(h, 0))
	w.buf = append(w.buf, h...)
	return addr
}

func (w *writer) group(g *Group, path string) (uint64, error) {
	names := make([]string, 0, len(g.members))
	for n := range g.members {
		names = append(names, n)
	}
	slices.Sort(names)
	addrs := make([]uint64, len(names))
	for i, n := range names {
		var err error
		switch v := g.members[n].(type) {
		case *Group:
			addrs[i], err = w.group(v, path+n+"/")
		case *Dataset:
			addrs[i], err = w.dataset(v, path+n)
		}
		if err != nil {
			return 0, err
		}
	}
	// Link Info: version 0, flags 0, fractal heap and name index undefined.
	linfo := []byte{0, 0}
	linfo = binary.LittleEndian.AppendUint64(linfo, undef)
	linfo = binary.LittleEndian.AppendUint64(linfo, undef)
	msgs := []message{{0x02, linfo}, {0x0A, []byte{0, 0}}}
	for i, n := range names {
		// Link: version 1; flags: name length in 2 bytes (bit 0), charset
		// present (bit 4), hard link (no type field).
		l := []byte{1, 0x11, 0}
		l = binary.LittleEndian.AppendUint16(l, uint16(len(n)))
		l = append(l, n...)
		l = binary.LittleEndian.AppendUint64(l, addrs[i])
		msgs = append(msgs, message{0x06, l})
	}
	return w.header(msgs), nil
}

func (w *writer) dataset(d *Dataset, path string) (uint64, error) {
	n, err := d.count()
	if err != nil {
		return 0, fmt.Errorf("h5w: dataset %s: %w", path, err)
	}
	var elem int
	var dt []byte
	switch d.Class {
	case Float32:
		elem = 4
		dt = floatType(4, 31, 32, 23, 8, 23, 127)
	case Float64:
		elem = 8
		dt = floatType(8, 63, 64, 52, 11, 52, 1023)
	case Int64:
		elem = 8
		dt = []byte{0x10, 0x08, 0, 0} // version 1, class 0 (fixed-point); signed
		dt = binary.LittleEndian.AppendUint32(dt, 8)
		dt = binary.LittleEndian.AppendUint16(dt, 0)  // bit offset
		dt = binary.LittleEndian.AppendUint16(dt, 64) // precision
	case String:
		elem = 1
		for _, s := range d.Str {
			for i := 0; i < len(s); i++ {
				if s[i] == 0 || s[i] > 0x7f {
					return 0, fmt.Errorf("h5w: dataset %s: string %q is not NUL-free ASCII", path, s)
				}
			}
			elem = max(elem, len(s))
		}
		dt = []byte{0x13, 0x01, 0, 0} // version 1, class 3 (string); null pad, ASCII
		dt = binary.LittleEndian.AppendUint32(dt, uint32(elem))
	}
	raw := make([]byte, 0, n*elem)
	switch d.Class {
	case Float32:
		for _, v := range d.F32 {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
		}
	case Float64:
		for _, v := range d.F64 {
			raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(v))
		}
	case Int64:
		for _, v := range d.I64 {
			raw = binary.LittleEndian.AppendUint64(raw, uint64(v))
		}
	case String:
		for _, s := range d.Str {
			raw = append(raw, s...)
			raw = append(raw, make([]byte, elem-len(s))...)
		}
	}
	dataAddr := undef
	if len(raw) > 0 {
		dataAddr = uint64(len(w.buf))
		w.buf = append(w.buf, raw...)
	}
	// Dataspace: version 2, rank, flags 0 (no max dims), type (0 scalar, 1 simple).
	ds := []byte{2, byte(len(d.Shape)), 0, 0}
	if len(d.Shape) > 0 {
		ds[3] = 1
	}
	if len(d.Shape) > 32 {
		return 0, fmt.Errorf("h5w: dataset %s: rank %d is above HDF5's 32", path, len(d.Shape))
	}
	for _, s := range d.Shape {
		ds = binary.LittleEndian.AppendUint64(ds, uint64(s))
	}
	// Fill value: version 3; flags: allocation time early (1), write time
	// if set (2 << 2), no fill value defined.
	fill := []byte{3, 0x01 | 0x02<<2}
	// Data layout: version 3, contiguous, address, size.
	layout := []byte{3, 1}
	layout = binary.LittleEndian.AppendUint64(layout, dataAddr)
	layout = binary.LittleEndian.AppendUint64(layout, uint64(len(raw)))
	return w.header([]message{{0x01, ds}, {0x03, dt}, {0x05, fill}, {0x08, layout}}), nil
}

// floatType returns a version 1 floating-point Datatype message: IEEE,
// little-endian, implied leading mantissa bit.
func floatType(size uint32, sign, prec, expLoc, expSize, mantSize byte, bias uint32) []byte {
	b := []byte{0x11, 0x20, sign, 0}
	b = binary.LittleEndian.AppendUint32(b, size)
	b = binary.LittleEndian.AppendUint16(b, 0) // bit offset
	b = binary.LittleEndian.AppendUint16(b, uint16(prec))
	b = append(b, expLoc, expSize, 0, mantSize)
	return binary.LittleEndian.AppendUint32(b, bias)
}

// lookup3 is Bob Jenkins' hashlittle (lookup3.c, 2006), the checksum of
// HDF5's version 2 metadata.
func lookup3(k []byte, initval uint32) uint32 {
	a := 0xdeadbeef + uint32(len(k)) + initval
	b, c := a, a
	rot := func(x uint32, r uint) uint32 { return x<<r | x>>(32-r) }
	le := binary.LittleEndian.Uint32
	for len(k) > 12 {
		a += le(k[0:])
		b += le(k[4:])
		c += le(k[8:])
		a -= c
		a ^= rot(c, 4)
		c += b
		b -= a
		b ^= rot(a, 6)
		a += c
		c -= b
		c ^= rot(b, 8)
		b += a
		a -= c
		a ^= rot(c, 16)
		c += b
		b -= a
		b ^= rot(a, 19)
		a += c
		c -= b
		c ^= rot(b, 4)
		b += a
		k = k[12:]
	}
	if len(k) == 0 {
		return c
	}
	var t [12]byte
	copy(t[:], k)
	a += le(t[0:])
	b += le(t[4:])
	c += le(t[8:])
	c ^= b
	c -= rot(b, 14)
	a ^= c
	a -= rot(c, 11)
	b ^= a
	b -= rot(a, 25)
	c ^= b
	c -= rot(b, 16)
	a ^= c
	a -= rot(c, 4)
	b ^= a
	b -= rot(a, 14)
	c ^= b
	c -= rot(b, 24)
	return c
}
