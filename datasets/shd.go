package datasets

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/scigolib/hdf5"

	"github.com/spikegrad/spikegrad/internal/h5scan"
)

// SHDChannels is the number of input channels of the Spiking Heidelberg
// Digits and Spiking Speech Commands: the 700 fibres of their cochlea model.
const SHDChannels = 700

// SpikeAudio is a file of spiking audio in the layout of the Heidelberg
// spiking datasets (SHD and SSC): one list of spikes per sample, each
// spike a time and a channel.
type SpikeAudio struct {
	// Path is the file read.
	Path string
	// Times holds, per sample, the spike times in seconds.
	Times [][]float32
	// Units holds, per sample, the channel of each spike, [0, Channels).
	Units [][]uint16
	// Labels holds the class of each sample.
	Labels []int
	// Speakers holds the speaker of each sample (extra/speaker), or nil
	// when the file has none.
	Speakers []int
	// Keys names the classes (extra/keys), or nil.
	Keys []string
	// Channels is the number of input channels (SHDChannels).
	Channels int
}

// LayoutError reports an HDF5 file that does not have the layout a reader
// expects: File names the file, Field the dataset (such as "spikes/times"),
// Index the sample at fault (-1 if none), Msg what is wrong, Err the cause.
// It wraps ErrFormat.
type LayoutError struct {
	File, Field string
	Index       int
	Msg         string
	Err         error
}

// Error returns the message of the LayoutError.
func (e *LayoutError) Error() string {
	s := "datasets: " + e.File
	if e.Field != "" {
		s += ": " + e.Field
	}
	if e.Index >= 0 {
		s += fmt.Sprintf(": sample %d", e.Index)
	}
	s += ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns ErrFormat and the cause.
func (e *LayoutError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrFormat}
	}
	return []error{ErrFormat, e.Err}
}

// ReadSHD reads a file of the Heidelberg spiking datasets (SHD or SSC,
// Cramer et al. 2022, "The Heidelberg Spiking Data Sets for the Systematic
// Evaluation of Spiking Neural Networks"), uncompressed HDF5, in pure Go.
// The layout, as published with the data:
//
//	spikes/times   variable-length float arrays, one per sample: spike times in seconds
//	spikes/units   variable-length unsigned integer arrays: the channel of each spike, 0..699
//	labels         unsigned integers: the class of each sample
//	extra/speaker  the speaker of each sample (optional here)
//	extra/keys     the names of the classes (optional here)
//	extra/meta_info/{gender,age,body_height}  per speaker (not read)
//
// Times may be stored as 16-, 32- or 64-bit floats and units and labels as
// integers of any width; both byte orders are accepted. Every sample must
// have as many times as units, every time must be finite and >= 0, every
// unit below SHDChannels. A file that breaks this gives one *LayoutError
// naming the file, the dataset and the sample, for example
//
//	datasets: shd_train.h5: spikes/times: missing (the file has: labels, spikes/units)
//
// A file that is not HDF5 or that the HDF5 decoder cannot read is a
// *LayoutError too: the file's group links are checked before the decoder
// opens it (a cycle would overflow its stack), and its panics are
// recovered.
func ReadSHD(path string) (sa *SpikeAudio, err error) {
	defer func() {
		if r := recover(); r != nil {
			sa, err = nil, &LayoutError{File: path, Index: -1, Msg: fmt.Sprintf("corrupt HDF5 file (decoder failed: %v)", r)}
		}
	}()
	size, err := checkHDF5(path)
	if err != nil {
		return nil, err
	}
	f, err := hdf5.Open(path)
	if err != nil {
		return nil, &LayoutError{File: path, Index: -1, Msg: "not a readable HDF5 file", Err: err}
	}
	defer f.Close()
	ds := map[string]*hdf5.Dataset{}
	var names []string
	f.Walk(func(p string, obj hdf5.Object) {
		if d, ok := obj.(*hdf5.Dataset); ok {
			p = strings.TrimPrefix(p, "/")
			ds[p] = d
			names = append(names, p)
		}
	})
	need := func(name string) (*hdf5.Dataset, error) {
		d, ok := ds[name]
		if !ok {
			return nil, &LayoutError{File: path, Field: name, Index: -1,
				Msg: fmt.Sprintf("missing (the file has: %s)", strings.Join(names, ", "))}
		}
		return d, nil
	}
	sa = &SpikeAudio{Path: path, Channels: SHDChannels}
	td, err := need("spikes/times")
	if err != nil {
		return nil, err
	}
	ud, err := need("spikes/units")
	if err != nil {
		return nil, err
	}
	ld, err := need("labels")
	if err != nil {
		return nil, err
	}
	r := f.Reader()
	sb := f.Superblock()
	// Deflate's largest ratio is 1032:1: no dataset of a sound file
	// declares more than that many bytes per byte of the file.
	rd := vlenReader{r: r, path: path, offsetSize: int(sb.OffsetSize), lengthSize: int(sb.LengthSize), limit: 1032*size + 1<<20}
	times, tBase, err := rd.read(td, "spikes/times")
	if err != nil {
		return nil, err
	}
	if tBase.class != 1 || (tBase.size != 2 && tBase.size != 4 && tBase.size != 8) {
		return nil, &LayoutError{File: path, Field: "spikes/times", Index: -1, Msg: fmt.Sprintf("elements are %s, want 16-, 32- or 64-bit floats", tBase)}
	}
	units, uBase, err := rd.read(ud, "spikes/units")
	if err != nil {
		return nil, err
	}
	if uBase.class != 0 {
		return nil, &LayoutError{File: path, Field: "spikes/units", Index: -1, Msg: fmt.Sprintf("elements are %s, want integers", uBase)}
	}
	if len(times) != len(units) {
		return nil, &LayoutError{File: path, Field: "spikes/units", Index: -1, Msg: fmt.Sprintf("%d samples, spikes/times has %d", len(units), len(times))}
	}
	labels, err := readInts(ld, path, "labels", len(times))
	if err != nil {
		return nil, err
	}
	sa.Labels = labels
	if d, ok := ds["extra/speaker"]; ok {
		if sa.Speakers, err = readInts(d, path, "extra/speaker", len(times)); err != nil {
			return nil, err
		}
	}
	if d, ok := ds["extra/keys"]; ok {
		if err := checkSize(d, path, "extra/keys", rd.limit); err != nil {
			return nil, err
		}
		if sa.Keys, err = readStrings(d); err != nil {
			return nil, &LayoutError{File: path, Field: "extra/keys", Index: -1, Msg: "unreadable", Err: err}
		}
	}
	sa.Times = make([][]float32, len(times))
	sa.Units = make([][]uint16, len(times))
	for i := range times {
		tb, ub := times[i], units[i]
		if len(tb)%tBase.size != 0 || len(ub)%uBase.size != 0 {
			return nil, &LayoutError{File: path, Field: "spikes/times", Index: i, Msg: "a sequence that is not a whole number of elements"}
		}
		n := len(tb) / tBase.size
		if m := len(ub) / uBase.size; m != n {
			return nil, &LayoutError{File: path, Field: "spikes/units", Index: i, Msg: fmt.Sprintf("%d units for %d times", m, n)}
		}
		ts := make([]float32, n)
		us := make([]uint16, n)
		for j := range n {
			t := tBase.float(tb[j*tBase.size:])
			if !(t >= 0) || math.IsInf(float64(t), 0) {
				return nil, &LayoutError{File: path, Field: "spikes/times", Index: i, Msg: fmt.Sprintf("spike %d at time %g s: want a finite time >= 0", j, t)}
			}
			u := uBase.uint(ub[j*uBase.size:])
			if u >= SHDChannels {
				return nil, &LayoutError{File: path, Field: "spikes/units", Index: i, Msg: fmt.Sprintf("spike %d in channel %d: want 0..%d", j, int64(u), SHDChannels-1)}
			}
			ts[j], us[j] = t, uint16(u)
		}
		sa.Times[i], sa.Units[i] = ts, us
	}
	return sa, nil
}

// checkHDF5 runs h5scan.Check on the file path: a file whose structure
// would crash the HDF5 library (a cycle of group links) is refused first.
// It returns the file's size.
func checkHDF5(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if err := h5scan.Check(f, st.Size()); err != nil {
		return 0, &LayoutError{File: path, Index: -1, Msg: "corrupt HDF5 file", Err: err}
	}
	return st.Size(), nil
}

// infoRE parses the description that hdf5.Dataset.Info gives: the element
// size and the shape.
var infoRE = regexp.MustCompile(`^Dataset: \S+ \(size=(\d+) bytes\), (scalar|\d+D array \[([0-9 x]*)\])`)

// checkSize refuses a dataset whose declared shape needs more bytes than
// limit (what the file could hold, even compressed), before the library
// allocates them.
func checkSize(d *hdf5.Dataset, path, field string, limit int64) error {
	info, err := d.Info()
	if err != nil {
		return &LayoutError{File: path, Field: field, Index: -1, Msg: "unreadable", Err: err}
	}
	m := infoRE.FindStringSubmatch(info)
	if m == nil {
		return &LayoutError{File: path, Field: field, Index: -1, Msg: fmt.Sprintf("unsupported dataset (%s)", info)}
	}
	total, _ := strconv.ParseInt(m[1], 10, 64)
	total = max(total, 1)
	for _, f := range strings.FieldsFunc(m[3], func(r rune) bool { return r == ' ' || r == 'x' }) {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil || v < 0 || v > 0 && total > limit/v {
			return &LayoutError{File: path, Field: field, Index: -1, Msg: fmt.Sprintf("shape [%s] is more than the file can hold", m[3])}
		}
		total *= v
	}
	if total > limit {
		return &LayoutError{File: path, Field: field, Index: -1, Msg: fmt.Sprintf("shape [%s] is more than the file can hold", m[3])}
	}
	return nil
}

// readInts reads the integer dataset d of n elements.
func readInts(d *hdf5.Dataset, path, field string, n int) ([]int, error) {
	if err := checkSize(d, path, field, 8*int64(n)+1<<20); err != nil {
		return nil, err
	}
	v, err := d.Read()
	if err != nil {
		return nil, &LayoutError{File: path, Field: field, Index: -1, Msg: "unreadable", Err: err}
	}
	if len(v) != n {
		return nil, &LayoutError{File: path, Field: field, Index: -1, Msg: fmt.Sprintf("%d values for %d samples", len(v), n)}
	}
	out := make([]int, n)
	for i, x := range v {
		if x != math.Trunc(x) || x < 0 || x > 1<<31 {
			return nil, &LayoutError{File: path, Field: field, Index: i, Msg: fmt.Sprintf("value %g: want an integer >= 0", x)}
		}
		out[i] = int(x)
	}
	return out, nil
}

// readStrings reads a string dataset, fixed- or variable-length.
func readStrings(d *hdf5.Dataset) ([]string, error) {
	if s, err := d.ReadStrings(); err == nil {
		for i := range s {
			s[i] = strings.TrimRight(s[i], "\x00 ")
		}
		return s, nil
	}
	b, err := d.ReadVLenBytes()
	if err != nil {
		return nil, err
	}
	s := make([]string, len(b))
	for i := range b {
		s[i] = string(b[i])
	}
	return s, nil
}

// h5Type is an HDF5 datatype as far as the readers need it: class (0
// integer, 1 float, 9 variable-length), size in bytes, byte order, and
// whether an integer is signed.
type h5Type struct {
	class, size int
	bigEndian   bool
	signed      bool
}

func (t h5Type) String() string {
	switch t.class {
	case 0:
		return fmt.Sprintf("%d-bit integers", 8*t.size)
	case 1:
		return fmt.Sprintf("%d-bit floats", 8*t.size)
	case 3:
		return "strings"
	}
	return fmt.Sprintf("HDF5 class %d of %d bytes", t.class, t.size)
}

func (t h5Type) order() binary.ByteOrder {
	if t.bigEndian {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// float decodes one float of t's size from b.
func (t h5Type) float(b []byte) float32 {
	o := t.order()
	switch t.size {
	case 2:
		return halfToFloat32(o.Uint16(b))
	case 4:
		return math.Float32frombits(o.Uint32(b))
	default:
		return float32(math.Float64frombits(o.Uint64(b)))
	}
}

// uint decodes one integer of t's size from b; a negative signed value
// comes back as a huge unsigned one (and fails the range checks).
func (t h5Type) uint(b []byte) uint64 {
	o := t.order()
	switch t.size {
	case 1:
		if t.signed && int8(b[0]) < 0 {
			return math.MaxUint64
		}
		return uint64(b[0])
	case 2:
		v := o.Uint16(b)
		if t.signed && int16(v) < 0 {
			return math.MaxUint64
		}
		return uint64(v)
	case 4:
		v := o.Uint32(b)
		if t.signed && int32(v) < 0 {
			return math.MaxUint64
		}
		return uint64(v)
	default:
		return o.Uint64(b)
	}
}

// halfToFloat32 converts an IEEE 754 binary16 value.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := int(h>>10) & 0x1f
	frac := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: frac * 2^-24
		v := float32(frac) / (1 << 24)
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | uint32(exp-15+127)<<23 | frac<<13)
}

// parseH5Type decodes a datatype message (HDF5 File Format Specification,
// section IV.A.2.d): byte 0 holds the class (low 4 bits), bytes 1-3 the
// class bit field, bytes 4-7 the size; a variable-length type is followed
// by its base type, which is returned as base.
func parseH5Type(b []byte) (t, base h5Type, err error) {
	if len(b) < 8 {
		return t, base, fmt.Errorf("datatype message of %d bytes", len(b))
	}
	t.class = int(b[0] & 0x0f)
	t.size = int(binary.LittleEndian.Uint32(b[4:8]))
	t.bigEndian = b[1]&1 != 0
	t.signed = t.class == 0 && b[1]&0x08 != 0
	if t.class == 9 {
		if b[1]&0x0f != 0 {
			return t, base, fmt.Errorf("a variable-length string where a sequence belongs")
		}
		base, _, err = parseH5Type(b[8:])
		if err == nil && base.class == 9 {
			err = fmt.Errorf("nested variable-length types")
		}
	}
	return t, base, err
}

// vlenReader reads variable-length datasets with the HDF5 library and finds
// their base type in the dataset's object header, which the library does
// not expose.
type vlenReader struct {
	r                      io.ReaderAt
	path                   string
	offsetSize, lengthSize int
	limit                  int64 // bytes a dataset may declare
}

// read returns the raw bytes of every sequence of d and the base type.
func (v vlenReader) read(d *hdf5.Dataset, field string) ([][]byte, h5Type, error) {
	msg, err := v.datatypeMessage(d.Address())
	if err != nil {
		return nil, h5Type{}, &LayoutError{File: v.path, Field: field, Index: -1, Msg: "unreadable object header", Err: err}
	}
	t, base, err := parseH5Type(msg)
	if err != nil {
		return nil, h5Type{}, &LayoutError{File: v.path, Field: field, Index: -1, Msg: "unreadable datatype", Err: err}
	}
	if t.class != 9 {
		return nil, h5Type{}, &LayoutError{File: v.path, Field: field, Index: -1, Msg: fmt.Sprintf("%s: want variable-length arrays, one per sample", t)}
	}
	if base.size < 1 || base.size > 8 {
		return nil, h5Type{}, &LayoutError{File: v.path, Field: field, Index: -1, Msg: fmt.Sprintf("elements of %d bytes", base.size)}
	}
	if err := checkSize(d, v.path, field, v.limit); err != nil {
		return nil, h5Type{}, err
	}
	b, err := d.ReadVLenBytes()
	if err != nil {
		return nil, h5Type{}, &LayoutError{File: v.path, Field: field, Index: -1, Msg: "unreadable", Err: err}
	}
	return b, base, nil
}

func (v vlenReader) at(addr uint64, n int) ([]byte, error) {
	if addr > math.MaxInt64/2 || n < 0 || n > 1<<24 {
		return nil, fmt.Errorf("%d bytes at byte %d", n, addr)
	}
	b := make([]byte, n)
	if _, err := v.r.ReadAt(b, int64(addr)); err != nil {
		return nil, fmt.Errorf("%d bytes at byte %d: %w", n, addr, err)
	}
	return b, nil
}

func (v vlenReader) addr(b []byte, size int) uint64 {
	var x uint64
	for i := size - 1; i >= 0; i-- {
		x = x<<8 | uint64(b[i])
	}
	return x
}

// datatypeMessage returns the datatype message (type 3) of the object
// header at addr, in version 1 (as h5py writes by default) or version 2
// ("OHDR") format, following continuation blocks (HDF5 File Format
// Specification, section IV.A.1).
func (v vlenReader) datatypeMessage(addr uint64) ([]byte, error) {
	type block struct {
		addr   uint64
		length uint64
		v2     bool
	}
	var queue []block
	head, err := v.at(addr, 16)
	if err != nil {
		return nil, err
	}
	flags := byte(0)
	switch {
	case head[0] == 1: // version 1: 16-byte prefix, then messages aligned to 8 bytes
		size := uint64(binary.LittleEndian.Uint32(head[8:12]))
		queue = append(queue, block{addr + 16, size, false})
	case string(head[0:4]) == "OHDR" && head[4] == 2:
		flags = head[5]
		off := uint64(6)
		if flags&0x20 != 0 {
			off += 16
		}
		if flags&0x10 != 0 {
			off += 4
		}
		width := 1 << (flags & 3)
		b, err := v.at(addr+off, width)
		if err != nil {
			return nil, err
		}
		queue = append(queue, block{addr + off + uint64(width), v.addr(b, width), true})
	default:
		return nil, fmt.Errorf("object header at byte %d: unknown version", addr)
	}
	for n := 0; len(queue) > 0 && n < 64; n++ {
		bl := queue[0]
		queue = queue[1:]
		data, err := v.at(bl.addr, int(min(bl.length, 1<<24)))
		if err != nil {
			return nil, err
		}
		p, end := 0, len(data)
		if bl.v2 && n > 0 { // a continuation block of version 2: "OCHK", messages, checksum
			if len(data) < 8 || string(data[:4]) != "OCHK" {
				return nil, fmt.Errorf("continuation block at byte %d without OCHK", bl.addr)
			}
			p, end = 4, len(data)-4
		}
		for {
			var typ, size, hdr int
			var mflags byte
			if bl.v2 {
				if p+4 > end {
					break
				}
				typ, size, mflags, hdr = int(data[p]), int(binary.LittleEndian.Uint16(data[p+1:])), data[p+3], 4
				if flags&0x04 != 0 {
					hdr += 2
				}
			} else {
				if p+8 > end {
					break
				}
				typ, size, mflags, hdr = int(binary.LittleEndian.Uint16(data[p:])), int(binary.LittleEndian.Uint16(data[p+2:])), data[p+4], 8
			}
			body := p + hdr
			if body+size > end {
				return nil, fmt.Errorf("header message of %d bytes at byte %d runs past its block", size, bl.addr+uint64(p))
			}
			switch typ {
			case 3:
				if mflags&0x02 != 0 {
					return nil, fmt.Errorf("a shared (committed) datatype, which this reader does not follow")
				}
				return data[body : body+size], nil
			case 0x10: // continuation: address, length
				if size < v.offsetSize+v.lengthSize {
					return nil, fmt.Errorf("short continuation message")
				}
				m := data[body:]
				queue = append(queue, block{v.addr(m, v.offsetSize), v.addr(m[v.offsetSize:], v.lengthSize), bl.v2})
			}
			p = body + size
			if !bl.v2 {
				p = (p + 7) &^ 7
			}
		}
	}
	return nil, fmt.Errorf("object header at byte %d has no datatype message", addr)
}
