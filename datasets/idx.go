package datasets

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"
)

// IDX is a decoded IDX file of unsigned bytes (type code 0x08), the format of
// MNIST, Fashion-MNIST, KMNIST and their look-alikes.
//
// The layout, big-endian: two zero bytes; the type code; the number of
// dimensions d; d uint32 sizes; then the values, row-major, last dimension
// fastest. Image files are [N, H, W] (magic 0x00000803, 16-byte header),
// label files [N] (magic 0x00000801, 8-byte header).
type IDX struct {
	// Dims are the sizes of the dimensions, outermost first.
	Dims []int
	// Data holds the values, row-major; len(Data) is the product of Dims.
	Data []byte
}

// idxTypeUint8 is the only IDX type code this package decodes. The others
// (0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64) are named
// in errors.
const idxTypeUint8 = 0x08

// maxIDXDims bounds the number of dimensions accepted. The format allows 255;
// no dataset of this kind uses more than 4.
const maxIDXDims = 16

// maxIDXBytes bounds the declared payload (16 GiB), so that a corrupt header
// cannot make the reader promise an absurd size.
const maxIDXBytes = 1 << 34

var idxTypeNames = map[byte]string{
	0x08: "uint8", 0x09: "int8", 0x0B: "int16", 0x0C: "int32", 0x0D: "float32", 0x0E: "float64",
}

// ReadIDX decodes an IDX stream from r, raw or gzip-compressed: a stream that
// starts with the gzip magic bytes 0x1f 0x8b is decompressed, whatever its
// name. name is used in errors only. The header is validated (zero bytes,
// type 0x08, 1 to 16 non-zero dimensions) and the payload must have exactly
// the declared length: a short stream and trailing bytes are both errors.
// Malformed input yields a *FormatError.
func ReadIDX(r io.Reader, name string) (*IDX, error) {
	return readIDX(r, name, -1, "")
}

// ReadIDXFile reads the IDX file at path, raw or gzip-compressed (detected
// from its first bytes). For a raw file, the declared size is checked against
// the file's length before the payload is read. If wantMD5 is not empty, the
// MD5 digest of the decoded (decompressed) bytes, header included, must equal
// it, or a *ChecksumError is returned: so a re-compressed copy of a file
// still verifies, and a corrupt one does not.
func ReadIDXFile(path, wantMD5 string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("datasets: read idx: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("datasets: read idx: %w", err)
	}
	return readIDX(f, path, st.Size(), wantMD5)
}

// readIDX decodes from r. size is the length of the (possibly compressed)
// file, or -1 when unknown.
func readIDX(r io.Reader, name string, size int64, wantMD5 string) (*IDX, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, err := br.Peek(2)
	if err != nil && len(magic) < 2 {
		return nil, &FormatError{File: name, Offset: int64(len(magic)), Msg: "file shorter than an IDX header (4 bytes)", Err: io.ErrUnexpectedEOF}
	}
	var src io.Reader = br
	compressed := magic[0] == 0x1f && magic[1] == 0x8b
	if compressed {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &FormatError{File: name, Offset: 0, Msg: "bad gzip header", Err: err}
		}
		defer zr.Close()
		src = zr
		size = -1 // the decoded length is unknown until read
	}
	var h hash.Hash
	if wantMD5 != "" {
		h = md5.New()
		src = io.TeeReader(src, h)
	}
	cr := &countReader{r: src}
	idx, err := decodeIDX(cr, name, size, compressed)
	if err != nil {
		return nil, err
	}
	if h != nil {
		got := hex.EncodeToString(h.Sum(nil))
		if !strings.EqualFold(got, wantMD5) {
			return nil, &ChecksumError{File: name, Algorithm: "md5", Want: strings.ToLower(wantMD5), Got: got}
		}
	}
	return idx, nil
}

// countReader counts the bytes read through it, for error offsets.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func decodeIDX(cr *countReader, name string, size int64, compressed bool) (*IDX, error) {
	fail := func(off int64, err error, format string, args ...any) error {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return &FormatError{File: name, Offset: off, Msg: fmt.Sprintf(format, args...), Err: err}
	}
	var head [4]byte
	if _, err := io.ReadFull(cr, head[:]); err != nil {
		return nil, fail(cr.n, err, "truncated magic number")
	}
	if head[0] != 0 || head[1] != 0 {
		return nil, fail(0, nil, "bad magic %#08x: an IDX file starts with two zero bytes", binary.BigEndian.Uint32(head[:]))
	}
	if head[2] != idxTypeUint8 {
		tn, ok := idxTypeNames[head[2]]
		if !ok {
			tn = "unknown"
		}
		return nil, fail(2, nil, "type code %#02x (%s): only 0x08 (uint8) is supported", head[2], tn)
	}
	nd := int(head[3])
	if nd == 0 || nd > maxIDXDims {
		return nil, fail(3, nil, "%d dimensions: want 1 to %d", nd, maxIDXDims)
	}
	dimBytes := make([]byte, 4*nd)
	if _, err := io.ReadFull(cr, dimBytes); err != nil {
		return nil, fail(cr.n, err, "truncated header: %d dimensions need %d header bytes", nd, 4+4*nd)
	}
	dims := make([]int, nd)
	total := uint64(1)
	for i := range dims {
		d := binary.BigEndian.Uint32(dimBytes[4*i:])
		if d == 0 {
			return nil, fail(int64(4+4*i), nil, "dimension %d has size 0", i)
		}
		dims[i] = int(d)
		if uint64(d) > maxIDXBytes/total { // total*d > maxIDXBytes, without overflow
			total = maxIDXBytes + 1
		} else {
			total *= uint64(d)
		}
		if total > maxIDXBytes {
			return nil, fail(int64(4+4*i), nil, "declared size %v exceeds %d bytes", dims[:i+1], uint64(maxIDXBytes))
		}
	}
	hdr := int64(4 + 4*nd)
	if size >= 0 && !compressed && size-hdr != int64(total) {
		return nil, fail(hdr, nil, "header declares %s = %d data bytes, file has %d after the %d-byte header",
			dimString(dims), total, size-hdr, hdr)
	}
	// Read through a growing buffer rather than allocating the declared size
	// up front: a corrupt header then costs no more memory than the data.
	var buf bytes.Buffer
	if size >= 0 {
		buf.Grow(int(total))
	}
	n, err := io.CopyN(&buf, cr, int64(total))
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fail(hdr+n, io.ErrUnexpectedEOF, "truncated: header declares %s = %d data bytes, stream ends after %d", dimString(dims), total, n)
		}
		return nil, fail(hdr+n, err, "reading data")
	}
	var one [1]byte
	switch m, err := io.ReadFull(cr, one[:]); {
	case m > 0:
		return nil, fail(hdr+int64(total), nil, "trailing data after the %d declared data bytes", total)
	case errors.Is(err, io.EOF):
	default:
		return nil, fail(hdr+int64(total), err, "reading past the data")
	}
	return &IDX{Dims: dims, Data: buf.Bytes()}, nil
}

func dimString(dims []int) string {
	var b strings.Builder
	for i, d := range dims {
		if i > 0 {
			b.WriteByte('x')
		}
		fmt.Fprint(&b, d)
	}
	return b.String()
}

// EncodeIDX writes dims and data as an uncompressed IDX file of uint8 values
// (type 0x08). It is the inverse of ReadIDX, used for fixtures and for
// exporting data. It returns an error if len(data) is not the product of
// dims or a dimension is out of range.
func EncodeIDX(w io.Writer, dims []int, data []byte) error {
	if len(dims) == 0 || len(dims) > maxIDXDims {
		return fmt.Errorf("datasets: EncodeIDX: %d dimensions, want 1 to %d", len(dims), maxIDXDims)
	}
	hdr := make([]byte, 4+4*len(dims))
	hdr[2] = idxTypeUint8
	hdr[3] = byte(len(dims))
	total := 1
	for i, d := range dims {
		if d <= 0 || uint64(d) > 0xFFFFFFFF {
			return fmt.Errorf("datasets: EncodeIDX: dimension %d has size %d", i, d)
		}
		binary.BigEndian.PutUint32(hdr[4+4*i:], uint32(d))
		total *= d
	}
	if total != len(data) {
		return fmt.Errorf("datasets: EncodeIDX: dims %s hold %d values, data has %d", dimString(dims), total, len(data))
	}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	_, err := w.Write(data)
	return err
}
