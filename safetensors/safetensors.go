package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spikegrad/spikegrad/internal/atomicfile"
	"github.com/spikegrad/spikegrad/internal/strictjson"
)

// MaxHeader is the largest header Read accepts, in bytes: the limit of the
// reference implementation (MAX_HEADER_SIZE), which keeps a hostile file
// from making the reader parse an enormous JSON text.
const MaxHeader = 100_000_000

// metadataKey is the header key that holds the free-form string metadata.
const metadataKey = "__metadata__"

// DType is the element type of a tensor in a safetensors file. The reader
// knows every fixed-width dtype of the specification, so that it can validate
// any file; the writer and Tensor hold F32 only. Counters and random-number
// state belong in the metadata as decimal strings, which are exact for any
// 64-bit integer and which Python reads with int().
type DType uint8

// The dtypes of the safetensors specification, with their header names.
const (
	Bool   DType = iota + 1 // "BOOL", 1 byte
	U8                      // "U8", 1 byte
	I8                      // "I8", 1 byte
	F8E5M2                  // "F8_E5M2", 1 byte
	F8E4M3                  // "F8_E4M3", 1 byte
	I16                     // "I16", 2 bytes
	U16                     // "U16", 2 bytes
	F16                     // "F16", 2 bytes
	BF16                    // "BF16", 2 bytes
	I32                     // "I32", 4 bytes
	U32                     // "U32", 4 bytes
	F32                     // "F32", 4 bytes
	F64                     // "F64", 8 bytes
	I64                     // "I64", 8 bytes
	U64                     // "U64", 8 bytes
)

var dtypeNames = [...]string{
	Bool: "BOOL", U8: "U8", I8: "I8", F8E5M2: "F8_E5M2", F8E4M3: "F8_E4M3",
	I16: "I16", U16: "U16", F16: "F16", BF16: "BF16",
	I32: "I32", U32: "U32", F32: "F32",
	F64: "F64", I64: "I64", U64: "U64",
}

var dtypeSizes = [...]uint64{
	Bool: 1, U8: 1, I8: 1, F8E5M2: 1, F8E4M3: 1,
	I16: 2, U16: 2, F16: 2, BF16: 2,
	I32: 4, U32: 4, F32: 4,
	F64: 8, I64: 8, U64: 8,
}

// String returns the dtype's name in the header, such as "F32".
func (d DType) String() string {
	if d == 0 || int(d) >= len(dtypeNames) {
		return "DType(" + strconv.Itoa(int(d)) + ")"
	}
	return dtypeNames[d]
}

// Size is the size of one element in bytes; 0 for an invalid DType.
func (d DType) Size() int {
	if d == 0 || int(d) >= len(dtypeSizes) {
		return 0
	}
	return int(dtypeSizes[d])
}

func parseDType(s string) (DType, bool) {
	for d := Bool; int(d) < len(dtypeNames); d++ {
		if dtypeNames[d] == s {
			return d, true
		}
	}
	return 0, false
}

// Tensor is a named float32 tensor, row-major: the unit of safetensors files
// (weights and checkpoints). len(Data) is the product of Shape (1 for the
// scalar shape []; see NumElements).
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// Errors that a *FormatError wraps, to tell with errors.Is what kind of
// problem a file has.
var (
	// ErrTruncated: the file ends before the data its header announces,
	// typically a write that did not complete.
	ErrTruncated = errors.New("truncated")
	// ErrMalformed: the file breaks a rule of its format.
	ErrMalformed = errors.New("malformed")
	// ErrVersion: the file is of another format or format version. The
	// codec itself does not return it; formats stored in safetensors files,
	// such as train's checkpoints, report their version mismatches with it.
	ErrVersion = errors.New("unsupported format version")
)

// FormatError reports a safetensors file that cannot be read, as
// "<Format> file <File>: tensor <Tensor>: <Msg>". Err is ErrTruncated,
// ErrMalformed, ErrVersion, or the underlying I/O error.
type FormatError struct {
	File string // the file's path; empty when the reader was given no name
	// Format is "safetensors", or the name of a format stored in
	// safetensors files whose reader relabels the error, such as
	// "checkpoint".
	Format string
	Tensor string // the tensor concerned, if any
	Msg    string // what is wrong, with the numbers involved
	Err    error
}

// Error returns the message of the FormatError.
func (e *FormatError) Error() string {
	var b strings.Builder
	if e.File != "" {
		fmt.Fprintf(&b, "%s file %s: ", e.Format, e.File)
	} else {
		fmt.Fprintf(&b, "%s data: ", e.Format)
	}
	if e.Tensor != "" {
		fmt.Fprintf(&b, "tensor %q: ", e.Tensor)
	}
	b.WriteString(e.Msg)
	switch e.Err {
	case nil, ErrMalformed:
	case ErrTruncated:
		b.WriteString(" (file truncated)")
	case ErrVersion:
	default:
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns Err.
func (e *FormatError) Unwrap() error { return e.Err }

// TensorInfo describes one tensor of a safetensors file.
type TensorInfo struct {
	Name  string
	DType DType
	Shape []int
	// Begin and End delimit the tensor's bytes in the byte buffer that
	// follows the header: the data_offsets of the header.
	Begin, End int64
}

// File is a validated safetensors file: its header, and the source of its
// bytes. The tensor data is read on demand by Float32 and Tensors.
type File struct {
	// Name is the file's path, used in error messages: the path given to
	// Load, or the Name() of the io.ReaderAt given to Read if it has one
	// (an *os.File does).
	Name string
	// Meta holds the header's "__metadata__"; nil when the file has none.
	Meta map[string]string
	// Infos lists the tensors in the order of their data.
	Infos []TensorInfo

	r       io.ReaderAt
	dataOff int64 // where the byte buffer begins: 8 + header length
	index   map[string]int
}

// Write writes tensors and meta to w as a safetensors file of F32 tensors.
// The output is deterministic: the metadata keys and the tensors are sorted
// by name, and the header is padded with spaces to a multiple of 8 bytes, as
// the reference writer does. meta may be nil; a non-empty meta is written as
// "__metadata__".
//
// It returns an error, before writing anything, if a name is invalid UTF-8,
// duplicated or "__metadata__", if a shape has a negative dimension, or if
// len(Data) differs from the product of Shape.
func Write(w io.Writer, tensors []Tensor, meta map[string]string) error {
	header, order, err := makeHeader(tensors, meta)
	if err != nil {
		return err
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(header)))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	if _, err := w.Write(header); err != nil {
		return err
	}
	buf := make([]byte, 0, 1<<16)
	for _, i := range order {
		for _, v := range tensors[i].Data {
			if len(buf)+4 > cap(buf) {
				if _, err := w.Write(buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
	}
	_, err = w.Write(buf)
	return err
}

// makeHeader validates the tensors and builds the padded header. It
// returns the order in which the tensors' data follows it.
func makeHeader(tensors []Tensor, meta map[string]string) ([]byte, []int, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("safetensors: "+format, args...)
	}
	order := make([]int, len(tensors))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(tensors[a].Name, tensors[b].Name) })
	for k, i := range order {
		t := &tensors[i]
		switch {
		case !utf8.ValidString(t.Name):
			return nil, nil, fail("tensor name %q is not valid UTF-8", t.Name)
		case t.Name == metadataKey:
			return nil, nil, fail("%q is reserved for the metadata and cannot name a tensor", metadataKey)
		case k > 0 && tensors[order[k-1]].Name == t.Name:
			return nil, nil, fail("two tensors are named %q", t.Name)
		}
		n, ok := shapeLen(t.Shape)
		if !ok {
			return nil, nil, fail("tensor %q: shape %v has a negative dimension or too many elements", t.Name, t.Shape)
		}
		if n != uint64(len(t.Data)) {
			return nil, nil, fail("tensor %q: shape %v holds %d values, Data has %d", t.Name, t.Shape, n, len(t.Data))
		}
	}
	for k, v := range meta {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, nil, fail("metadata %q: key or value is not valid UTF-8", k)
		}
	}

	b := []byte{'{'}
	if len(meta) > 0 {
		b = strictjson.AppendString(b, metadataKey)
		b = append(b, ":{"...)
		keys := make([]string, 0, len(meta))
		for k := range meta {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = strictjson.AppendString(b, k)
			b = append(b, ':')
			b = strictjson.AppendString(b, meta[k])
		}
		b = append(b, '}')
	}
	var off uint64
	for k, i := range order {
		t := &tensors[i]
		if k > 0 || len(meta) > 0 {
			b = append(b, ',')
		}
		b = strictjson.AppendString(b, t.Name)
		b = append(b, `:{"dtype":"F32","shape":[`...)
		for j, d := range t.Shape {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(d), 10)
		}
		end := off + 4*uint64(len(t.Data))
		b = append(b, `],"data_offsets":[`...)
		b = strconv.AppendUint(b, off, 10)
		b = append(b, ',')
		b = strconv.AppendUint(b, end, 10)
		b = append(b, "]}"...)
		off = end
	}
	b = append(b, '}')
	for len(b)%8 != 0 {
		b = append(b, ' ')
	}
	if len(b) > MaxHeader {
		return nil, nil, fail("header of %d bytes exceeds the limit of %d", len(b), MaxHeader)
	}
	return b, order, nil
}

// NumElements returns the number of values a tensor of the given shape
// holds: the product of the dimensions, 1 for the scalar shape []. It
// returns false if a dimension is negative or the product overflows an int.
func NumElements(shape []int) (int, bool) {
	n, ok := shapeLen(shape)
	if !ok || n > math.MaxInt {
		return 0, false
	}
	return int(n), true
}

// shapeLen returns the number of elements of shape, and false if a
// dimension is negative or the product overflows 63 bits.
func shapeLen(shape []int) (uint64, bool) {
	n := uint64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			return 0, false
		}
		n = lo
	}
	return n, true
}

// Load reads and validates the safetensors file at path, as Read does. The
// whole file is read into memory, so the returned file needs no closing.
// Errors are *FormatError values naming the file, or the error of
// os.ReadFile.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	f, err := read(bytes.NewReader(data), int64(len(data)), path)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Save writes tensors and meta to the safetensors file at path, as Write
// does, atomically: a temporary file in the same folder, synced and renamed
// over path, so that after a crash path holds the old file or the new one.
func Save(path string, tensors []Tensor, meta map[string]string) error {
	return atomicfile.Write(path, func(w io.Writer) error { return Write(w, tensors, meta) })
}

// Read reads and validates the header of the safetensors data of size bytes
// in r. It checks every rule of the format before it returns: the header
// length (at most MaxHeader and within the file), the header (valid UTF-8
// JSON object beginning with '{', no duplicate keys, string metadata), each
// tensor (known dtype, shape of non-negative integers, data_offsets whose
// length is the product of the shape times the dtype's size), and the
// layout (tensors packed from offset 0 to the end of the file, without gap
// or overlap). Memory use is bounded by size: a hostile header cannot make
// it allocate for data the file does not hold.
//
// The tensor data is read later, by Float32 and Tensors, from r, which must
// stay valid. Errors are *FormatError values wrapping ErrTruncated (the file
// is shorter than its header says), ErrMalformed, or the I/O error; they
// name the file if r has a Name() string method, as *os.File does.
func Read(r io.ReaderAt, size int64) (*File, error) {
	name := ""
	if n, ok := r.(interface{ Name() string }); ok {
		name = n.Name()
	}
	return read(r, size, name)
}

func read(r io.ReaderAt, size int64, name string) (*File, error) {
	ferr := func(tensor string, kind error, format string, args ...any) error {
		return &FormatError{File: name, Format: "safetensors", Tensor: tensor, Msg: fmt.Sprintf(format, args...), Err: kind}
	}
	if size < 8 {
		return nil, ferr("", ErrTruncated, "%d bytes, fewer than the 8 of the header length", max(size, 0))
	}
	var nb [8]byte
	if err := readFull(r, nb[:], 0); err != nil {
		return nil, ferr("", err, "reading the header length")
	}
	n := binary.LittleEndian.Uint64(nb[:])
	if n > MaxHeader {
		return nil, ferr("", ErrMalformed, "header length %d exceeds the limit of %d bytes", n, MaxHeader)
	}
	if n > uint64(size-8) {
		return nil, ferr("", ErrTruncated, "header length %d, but only %d bytes follow the length", n, size-8)
	}
	header := make([]byte, n)
	if err := readFull(r, header, 8); err != nil {
		return nil, ferr("", err, "reading the header")
	}
	f := &File{Name: name, r: r, dataOff: 8 + int64(n)}
	if err := f.parseHeader(header); err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			fe.File = name
			return nil, fe
		}
		return nil, ferr("", ErrMalformed, "header: %v", err)
	}
	if err := f.checkLayout(uint64(size) - 8 - n); err != nil {
		err.(*FormatError).File = name
		return nil, err
	}
	return f, nil
}

// readFull reads len(b) bytes at off, mapping a short read to ErrTruncated.
// A full read that reports io.EOF (which io.ReaderAt allows at the end of
// the input) succeeds.
func readFull(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || err == io.EOF || err == io.ErrUnexpectedEOF {
		return ErrTruncated
	}
	return err
}

// parseHeader decodes the JSON header into f.Meta and f.Infos. Errors that
// concern one tensor are *FormatError values; others are plain errors that
// the caller wraps.
func (f *File) parseHeader(header []byte) error {
	if !utf8.Valid(header) {
		return errors.New("not valid UTF-8")
	}
	if len(header) == 0 || header[0] != '{' {
		return errors.New("does not begin with '{'")
	}
	dec := json.NewDecoder(bytes.NewReader(header))
	err := strictjson.ReadObject(dec, func(key string) error {
		if key == metadataKey {
			return f.parseMeta(dec)
		}
		info, err := parseTensorInfo(dec, key)
		if err != nil {
			return &FormatError{Format: "safetensors", Tensor: key, Msg: err.Error(), Err: ErrMalformed}
		}
		f.Infos = append(f.Infos, info)
		return nil
	})
	if err != nil {
		return err
	}
	if rest := header[dec.InputOffset():]; len(bytes.TrimLeft(rest, " \t\r\n")) != 0 {
		return fmt.Errorf("%d bytes after the JSON object are not whitespace padding", len(rest))
	}
	return nil
}

// parseMeta decodes the "__metadata__" value: null or an object of strings.
func (f *File) parseMeta(dec *json.Decoder) error {
	var raw json.RawMessage
	if err := strictjson.Decode(dec, &raw); err != nil {
		return fmt.Errorf("%s: %v", metadataKey, err)
	}
	if string(raw) == "null" {
		return nil
	}
	f.Meta = map[string]string{}
	mdec := json.NewDecoder(bytes.NewReader(raw))
	err := strictjson.ReadObject(mdec, func(key string) error {
		var v *string
		if err := strictjson.Decode(mdec, &v); err != nil {
			return fmt.Errorf("value of %q: %v", key, err)
		}
		if v == nil {
			return fmt.Errorf("value of %q is null, want a string", key)
		}
		f.Meta[key] = *v
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", metadataKey, err)
	}
	return nil
}

// parseTensorInfo decodes one tensor entry of the header. Keys other than
// dtype, shape and data_offsets are ignored, as the reference reader does.
func parseTensorInfo(dec *json.Decoder, name string) (TensorInfo, error) {
	info := TensorInfo{Name: name}
	var dtype *string
	var shape, offsets *[]json.RawMessage
	err := strictjson.ReadObject(dec, func(key string) error {
		var err error
		switch key {
		case "dtype":
			err = strictjson.Decode(dec, &dtype)
		case "shape":
			err = strictjson.Decode(dec, &shape)
		case "data_offsets":
			err = strictjson.Decode(dec, &offsets)
		default:
			err = strictjson.Decode(dec, new(json.RawMessage))
		}
		if err != nil {
			return fmt.Errorf("%s: %v", key, err)
		}
		return nil
	})
	if err != nil {
		return info, err
	}
	switch {
	case dtype == nil:
		return info, errors.New("dtype missing")
	case shape == nil:
		return info, errors.New("shape missing")
	case offsets == nil:
		return info, errors.New("data_offsets missing")
	}
	d, ok := parseDType(*dtype)
	if !ok {
		return info, fmt.Errorf("unknown dtype %q", *dtype)
	}
	info.DType = d
	info.Shape = make([]int, len(*shape))
	for i, raw := range *shape {
		v, err := strconv.ParseUint(string(raw), 10, 63)
		if err != nil {
			return info, fmt.Errorf("shape[%d] = %s is not a non-negative integer below 2^63", i, raw)
		}
		info.Shape[i] = int(v)
	}
	if len(*offsets) != 2 {
		return info, fmt.Errorf("data_offsets has %d values, want [BEGIN, END]", len(*offsets))
	}
	var off [2]int64
	for i, raw := range *offsets {
		v, err := strconv.ParseUint(string(raw), 10, 63)
		if err != nil {
			return info, fmt.Errorf("data_offsets[%d] = %s is not a non-negative integer below 2^63", i, raw)
		}
		off[i] = int64(v)
	}
	info.Begin, info.End = off[0], off[1]
	if info.End < info.Begin {
		return info, fmt.Errorf("data_offsets [%d, %d] end before they begin", info.Begin, info.End)
	}
	n, ok := shapeLen(info.Shape)
	var bytesHi, nbytes uint64
	if ok {
		bytesHi, nbytes = bits.Mul64(n, dtypeSizes[d])
	}
	if !ok || bytesHi != 0 || nbytes > math.MaxInt64 {
		return info, fmt.Errorf("%v shape %v has more bytes than a file can hold", d, info.Shape)
	}
	if uint64(info.End-info.Begin) != nbytes {
		return info, fmt.Errorf("data_offsets [%d, %d] hold %d bytes, but %v shape %v needs %d",
			info.Begin, info.End, info.End-info.Begin, d, info.Shape, nbytes)
	}
	return info, nil
}

// checkLayout sorts the tensors by offset and checks that they tile the byte
// buffer of bufLen bytes exactly.
func (f *File) checkLayout(bufLen uint64) error {
	ferr := func(tensor string, kind error, format string, args ...any) error {
		return &FormatError{Format: "safetensors", Tensor: tensor, Msg: fmt.Sprintf(format, args...), Err: kind}
	}
	slices.SortFunc(f.Infos, func(a, b TensorInfo) int {
		if a.Begin != b.Begin {
			return cmpInt64(a.Begin, b.Begin)
		}
		if a.End != b.End {
			return cmpInt64(a.End, b.End)
		}
		return strings.Compare(a.Name, b.Name)
	})
	f.index = make(map[string]int, len(f.Infos))
	var end int64
	for i, t := range f.Infos {
		f.index[t.Name] = i
		switch {
		case t.Begin > end && i == 0:
			return ferr(t.Name, ErrMalformed, "data_offsets [%d, %d] leave the buffer's first %d bytes unused", t.Begin, t.End, t.Begin)
		case t.Begin > end:
			return ferr(t.Name, ErrMalformed, "data_offsets [%d, %d] leave bytes [%d, %d) after tensor %q unused",
				t.Begin, t.End, end, t.Begin, f.Infos[i-1].Name)
		case t.Begin < end:
			return ferr(t.Name, ErrMalformed, "data_offsets [%d, %d] overlap tensor %q, which ends at %d",
				t.Begin, t.End, f.Infos[i-1].Name, end)
		}
		end = t.End
	}
	switch {
	case uint64(end) > bufLen:
		last := f.Infos[len(f.Infos)-1]
		return ferr(last.Name, ErrTruncated, "data_offsets [%d, %d] end beyond the %d bytes of data in the file",
			last.Begin, last.End, bufLen)
	case uint64(end) < bufLen:
		return ferr("", ErrMalformed, "%d bytes after the last tensor's data", bufLen-uint64(end))
	}
	return nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Info returns the description of the named tensor.
func (f *File) Info(name string) (TensorInfo, bool) {
	i, ok := f.index[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.Infos[i], true
}

// Float32 reads the data of the named F32 tensor. It returns a *FormatError
// if the file has no such tensor, if its dtype is not F32, or if the data
// cannot be read.
func (f *File) Float32(name string) ([]float32, error) {
	i, ok := f.index[name]
	if !ok {
		return nil, &FormatError{File: f.Name, Format: "safetensors", Tensor: name, Msg: "no such tensor", Err: ErrMalformed}
	}
	return f.float32(f.Infos[i])
}

func (f *File) float32(t TensorInfo) ([]float32, error) {
	if t.DType != F32 {
		return nil, &FormatError{File: f.Name, Format: "safetensors", Tensor: t.Name,
			Msg: fmt.Sprintf("dtype %v, but spikegrad reads tensors of dtype F32 only", t.DType), Err: ErrMalformed}
	}
	out := make([]float32, (t.End-t.Begin)/4)
	buf := make([]byte, min(t.End-t.Begin, 1<<16))
	for k := 0; k < len(out); {
		chunk := buf[:min(len(buf), 4*(len(out)-k))]
		if err := readFull(f.r, chunk, f.dataOff+t.Begin+4*int64(k)); err != nil {
			return nil, &FormatError{File: f.Name, Format: "safetensors", Tensor: t.Name, Msg: "reading the data", Err: err}
		}
		for j := 0; j < len(chunk); j += 4 {
			out[k] = math.Float32frombits(binary.LittleEndian.Uint32(chunk[j:]))
			k++
		}
	}
	return out, nil
}

// Tensors reads every tensor, in the order of Infos. Every tensor must be
// F32.
func (f *File) Tensors() ([]Tensor, error) {
	out := make([]Tensor, len(f.Infos))
	for i, t := range f.Infos {
		data, err := f.float32(t)
		if err != nil {
			return nil, err
		}
		out[i] = Tensor{Name: t.Name, Shape: slices.Clone(t.Shape), Data: data}
	}
	return out, nil
}
