package datasets

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"strconv"

	"github.com/pierrec/lz4/v4"
)

// aedat4Compression values of the IOHeader (dv-processing's CompressionType).
const (
	aedat4None     = 0
	aedat4LZ4      = 1
	aedat4LZ4High  = 2
	aedat4Zstd     = 3
	aedat4ZstdHigh = 4
)

// dvNode is a node of the XML description of an AEDAT 4.0 file.
type dvNode struct {
	Name  string   `xml:"name,attr"`
	Attrs []dvAttr `xml:"attr"`
	Nodes []dvNode `xml:"node"`
}

type dvAttr struct {
	Key   string `xml:"key,attr"`
	Value string `xml:",chardata"`
}

func (n *dvNode) attr(key string) string {
	for _, a := range n.Attrs {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

func decodeAEDAT4(b []byte, name string) (*EventStream, error) {
	off := bytes.IndexByte(b, '\n') + 1
	if len(b)-off < 4 {
		return nil, formatErr(name, off, "truncated: the header length is missing")
	}
	hlen := int64(int32(binary.LittleEndian.Uint32(b[off:])))
	off += 4
	if hlen <= 0 || hlen > int64(len(b)-off) {
		return nil, formatErr(name, off-4, "truncated: the header declares %d bytes, %d remain", hlen, len(b)-off)
	}
	hdr, err := fbRoot(b[off:off+int(hlen)], "IOHE")
	if err != nil {
		return nil, &FormatError{File: name, Offset: int64(off), Msg: "IOHeader: " + err.Error()}
	}
	compression := int64(aedat4None)
	if p, ok := hdr.field(0); ok {
		if compression, err = hdr.scalar(p, 4); err != nil {
			return nil, formatErr(name, off, "IOHeader compression: %v", err)
		}
	}
	dataTable := int64(-1)
	if p, ok := hdr.field(1); ok {
		if dataTable, err = hdr.scalar(p, 8); err != nil {
			return nil, formatErr(name, off, "IOHeader dataTablePosition: %v", err)
		}
	}
	info, err := hdr.str(2)
	if err != nil {
		return nil, formatErr(name, off, "IOHeader infoNode: %v", err)
	}
	switch compression {
	case aedat4None, aedat4LZ4, aedat4LZ4High:
	case aedat4Zstd, aedat4ZstdHigh:
		return nil, formatErr(name, off, "Zstandard-compressed packets are not read (only LZ4 and uncompressed)")
	default:
		return nil, formatErr(name, off, "unknown compression %d", compression)
	}
	var root dvNode
	if err := xml.Unmarshal([]byte(info), &root); err != nil {
		return nil, &FormatError{File: name, Offset: int64(off), Msg: "IOHeader infoNode is not XML", Err: err}
	}
	events := map[int32]bool{}
	w, h := 0, 0
	for _, out := range root.Nodes {
		if out.Name != "outInfo" {
			continue
		}
		for _, s := range out.Nodes {
			if s.attr("typeIdentifier") != "EVTS" {
				continue
			}
			id, err := strconv.Atoi(s.Name)
			if err != nil {
				return nil, formatErr(name, off, "IOHeader: event stream %q has no numeric id", s.Name)
			}
			events[int32(id)] = true
			for _, in := range s.Nodes {
				if in.Name == "info" {
					w, _ = strconv.Atoi(in.attr("sizeX"))
					h, _ = strconv.Atoi(in.attr("sizeY"))
				}
			}
		}
	}
	if len(events) == 0 {
		return nil, formatErr(name, off, "IOHeader: no stream of events (typeIdentifier EVTS)")
	}
	if w <= 0 || h <= 0 || w > 1<<15 || h > 1<<15 {
		return nil, formatErr(name, off, "IOHeader: event stream size %dx%d (sizeX, sizeY) is not a sensor size", w, h)
	}
	off += int(hlen)
	end := len(b)
	if dataTable >= 0 {
		if dataTable < int64(off) || dataTable > int64(len(b)) {
			return nil, formatErr(name, off, "IOHeader dataTablePosition %d lies outside the packets [%d, %d]", dataTable, off, len(b))
		}
		end = int(dataTable)
	}
	s := &EventStream{Width: w, Height: h, Path: name}
	// Size the events from the packets' bytes (16 bytes per event, LZ4
	// rarely more than halves them), so that appending seldom copies.
	evBytes := 0
	for p := off; p+8 <= end; {
		size := int(int32(binary.LittleEndian.Uint32(b[p+4:])))
		if size < 0 || size > end-p-8 {
			break // reported by the loop below
		}
		if events[int32(binary.LittleEndian.Uint32(b[p:]))] {
			evBytes += size
		}
		p += 8 + size
	}
	if compression != aedat4None {
		evBytes *= 2
	}
	s.Events = make([]Event, 0, evBytes/16)
	var zr *lz4.Reader
	var buf bytes.Buffer
	prev := int64(-1 << 63)
	for off < end {
		if end-off < 8 {
			return nil, formatErr(name, off, "truncated: a packet header has %d of its 8 bytes", end-off)
		}
		id := int32(binary.LittleEndian.Uint32(b[off:]))
		size := int64(int32(binary.LittleEndian.Uint32(b[off+4:])))
		if size < 0 || size > int64(end-off-8) {
			return nil, formatErr(name, off, "packet of stream %d declares %d bytes, %d remain", id, size, end-off-8)
		}
		body := b[off+8 : off+8+int(size)]
		if events[id] {
			if compression != aedat4None {
				if zr == nil {
					zr = lz4.NewReader(nil)
				}
				zr.Reset(bytes.NewReader(body))
				buf.Reset()
				if _, err := buf.ReadFrom(zr); err != nil {
					return nil, &FormatError{File: name, Offset: int64(off), Msg: fmt.Sprintf("packet of stream %d: LZ4 frame", id), Err: err}
				}
				body = buf.Bytes()
			}
			if s.Events, prev, err = appendEventPacket(s.Events, body, w, h, prev); err != nil {
				return nil, formatErr(name, off, "packet of stream %d: %v", id, err)
			}
		}
		off += 8 + int(size)
	}
	return s, nil
}

// appendEventPacket appends the events of an EventPacket FlatBuffer.
func appendEventPacket(ev []Event, buf []byte, w, h int, prev int64) ([]Event, int64, error) {
	if len(buf) >= 12 && string(buf[8:12]) == "EVTS" {
		buf = buf[4:] // size-prefixed, as DV writes them
	}
	t, err := fbRoot(buf, "EVTS")
	if err != nil {
		return ev, prev, err
	}
	start, n, err := t.vector(0, 16)
	if err != nil {
		return ev, prev, fmt.Errorf("elements: %v", err)
	}
	for i := range n {
		r := buf[start+16*i : start+16*i+16 : start+16*i+16]
		tm := int64(binary.LittleEndian.Uint64(r))
		x, y := int16(binary.LittleEndian.Uint16(r[8:])), int16(binary.LittleEndian.Uint16(r[10:]))
		if x < 0 || y < 0 || int(x) >= w || int(y) >= h {
			return ev, prev, fmt.Errorf("event %d at (x %d, y %d) lies outside the %dx%d sensor", i, x, y, w, h)
		}
		if r[12] > 1 {
			return ev, prev, fmt.Errorf("event %d: polarity byte %d (a bool is 0 or 1)", i, r[12])
		}
		if tm < prev {
			return ev, prev, fmt.Errorf("event %d at %d µs comes before the previous event's %d µs (AEDAT 4.0 timestamps never decrease)", i, tm, prev)
		}
		prev = tm
		ev = append(ev, Event{T: tm, X: uint16(x), Y: uint16(y), P: r[12]})
	}
	return ev, prev, nil
}

// fbTable is a table of a FlatBuffer (flatbuffers.dev, "Internals"): at pos
// an int32 offset back to its vtable, which holds its own size, the table's
// size and one uint16 offset per field (0 = absent). Every read is bounds
// checked, so a corrupt buffer gives an error, never a panic.
type fbTable struct {
	buf     []byte
	pos, vt int
	vtLen   int
}

// fbRoot returns the root table of buf (a uint32 offset to it at byte 0),
// checking the 4-byte file identifier at bytes 4-8.
func fbRoot(buf []byte, ident string) (fbTable, error) {
	if len(buf) < 8 {
		return fbTable{}, fmt.Errorf("a FlatBuffer of %d bytes is too short", len(buf))
	}
	if string(buf[4:8]) != ident {
		return fbTable{}, fmt.Errorf("file identifier %q, want %q", buf[4:8], ident)
	}
	pos := int64(binary.LittleEndian.Uint32(buf))
	if pos+4 > int64(len(buf)) {
		return fbTable{}, fmt.Errorf("root offset %d lies outside the %d-byte buffer", pos, len(buf))
	}
	vt := pos - int64(int32(binary.LittleEndian.Uint32(buf[pos:])))
	if vt < 0 || vt+4 > int64(len(buf)) {
		return fbTable{}, fmt.Errorf("vtable offset %d lies outside the %d-byte buffer", vt, len(buf))
	}
	vtLen := int64(binary.LittleEndian.Uint16(buf[vt:]))
	if vtLen < 4 || vt+vtLen > int64(len(buf)) {
		return fbTable{}, fmt.Errorf("vtable of %d bytes at %d does not fit the %d-byte buffer", vtLen, vt, len(buf))
	}
	return fbTable{buf: buf, pos: int(pos), vt: int(vt), vtLen: int(vtLen)}, nil
}

// field returns the position of field i, or false when it is absent.
func (t fbTable) field(i int) (int, bool) {
	o := 4 + 2*i
	if o+2 > t.vtLen {
		return 0, false
	}
	f := int(binary.LittleEndian.Uint16(t.buf[t.vt+o:]))
	if f == 0 {
		return 0, false
	}
	return t.pos + f, true
}

// scalar reads a little-endian signed integer of n bytes (4 or 8) at p.
func (t fbTable) scalar(p, n int) (int64, error) {
	if p+n > len(t.buf) {
		return 0, fmt.Errorf("field at %d runs past the %d-byte buffer", p, len(t.buf))
	}
	if n == 4 {
		return int64(int32(binary.LittleEndian.Uint32(t.buf[p:]))), nil
	}
	return int64(binary.LittleEndian.Uint64(t.buf[p:])), nil
}

// vector returns the start and length of the vector of field i, whose
// elements are elem bytes each; an absent field is an empty vector.
func (t fbTable) vector(i, elem int) (start, n int, err error) {
	p, ok := t.field(i)
	if !ok {
		return 0, 0, nil
	}
	if p+4 > len(t.buf) {
		return 0, 0, fmt.Errorf("offset at %d runs past the %d-byte buffer", p, len(t.buf))
	}
	v := int64(p) + int64(binary.LittleEndian.Uint32(t.buf[p:]))
	if v+4 > int64(len(t.buf)) {
		return 0, 0, fmt.Errorf("vector at %d lies outside the %d-byte buffer", v, len(t.buf))
	}
	cnt := int64(binary.LittleEndian.Uint32(t.buf[v:]))
	if cnt*int64(elem) > int64(len(t.buf))-v-4 {
		return 0, 0, fmt.Errorf("vector of %d elements of %d bytes at %d runs past the %d-byte buffer", cnt, elem, v, len(t.buf))
	}
	return int(v + 4), int(cnt), nil
}

// str returns the string of field i ("" when absent).
func (t fbTable) str(i int) (string, error) {
	start, n, err := t.vector(i, 1)
	if err != nil {
		return "", err
	}
	return string(t.buf[start : start+n]), nil
}
