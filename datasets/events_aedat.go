package datasets

import (
	"bytes"
	"encoding/binary"
	"io"
	"strings"
)

// ReadAEDAT decodes an AEDAT file of jAER or iniVation's DV software from r,
// the version taken from its first line: "#!AER-DAT2.0" or "#!AER-DAT3.1"
// or "#!AER-DAT4.0". name is used in errors. Another first line is an
// unknown format version. Times are the file's own timestamps in µs: from
// the camera's start in AEDAT 2.0 and 3.1, since the Unix epoch in 4.0.
//
// AEDAT 2.0 (jAER, inivation.gitlab.io/dv/dv-docs "AEDAT 2.0"): text header
// lines starting with '#', then big-endian pairs of a 32-bit address and a
// 32-bit timestamp in µs. The address layout depends on the chip, named by
// the header line "# AEChip: <Java class>":
//
//   - DVS128 (and Tmpdiff128; also assumed when there is no AEChip line):
//     bit 0 the polarity (0 = ON), bits 1-7 x, bits 8-14 y, bit 15 a sync
//     event (skipped); jAER mirrors x (x = 127 - bits 1-7) and puts y = 0 at
//     the bottom.
//   - DAVIS240 and DAVIS346: bit 31 set marks a frame (APS) or IMU sample and
//     bit 10 an external-input event (both skipped); bit 11 the polarity (1 =
//     ON), bits 12-21 x, bits 22-30 y; jAER mirrors x (x = W-1 - bits 12-21)
//     and puts y = 0 at the bottom.
//
// The reader takes x as jAER does and turns jAER's bottom-origin y into the
// top-origin row of Event (Y = H-1 - y), so that an image drawn from the
// events looks as jAER shows it. (tonic's read_dvs_128 reads x from bits
// 8-14 and y from bits 1-7, without mirroring: its frames are the transpose.)
// Timestamps are 32-bit and wrap after 2^32 µs: a timestamp more than 2^31
// µs below the one before is read as a wrap, a smaller step back is an error.
//
// AEDAT 3.1 (cAER/libcaer, "AEDAT 3.1"): text header lines from
// "#!AER-DAT3.1" to "#!END-HEADER", then packets. Each packet has a 28-byte
// little-endian header (int16 type, int16 source, int32 event size, int32
// timestamp offset, int32 timestamp overflow, int32 capacity, int32 number,
// int32 valid) followed by capacity x size bytes. Polarity packets (type
// 1, size 8) hold (uint32 data, int32 timestamp) events with bit 0 valid,
// bit 1 the polarity (1 = ON), bits 2-16 y (0 = top row) and bits 17-31 x;
// the full timestamp is overflow<<31 | timestamp. Packets of other types
// are skipped, invalid events dropped. The sensor size comes from the
// "#Source N: <chip>" line (DVS128 128x128, DAVIS240 240x180, DAVIS346
// 346x260, DVXplorer 640x480), or is the bounding box of the events.
//
// AEDAT 4.0 (iniVation's DV and dv-processing, "AEDAT 4.0"): the line
// "#!AER-DAT4.0\r\n"; an int32 length and that many bytes of an IOHeader
// FlatBuffer (identifier "IOHE": compression, dataTablePosition and
// infoNode, an XML text describing the streams); then packets, each an
// int32 stream id, an int32 size and size bytes of a size-prefixed
// FlatBuffer, LZ4-frame-compressed when the header says LZ4 or LZ4_HIGH,
// until dataTablePosition (the file's index of packets) or the end. Packets
// of an event stream (typeIdentifier "EVTS" in the XML) hold an EventPacket
// table whose field 0 is a vector of 16-byte Event structs: int64 t, int16
// x, int16 y, bool on, 3 bytes of padding; packets of other streams
// (frames, IMU, triggers) are skipped. The sensor size is the event
// stream's sizeX and sizeY in the XML. Zstandard-compressed files are
// refused. The FlatBuffers are read by hand (flatbuffers.dev, "Internals"),
// every offset bounds-checked.
//
// A truncated file, a packet whose event size does not fit its type, a
// packet that runs past the end of the file, an event outside the sensor and
// a timestamp that runs backwards are *FormatError naming the byte offset.
func ReadAEDAT(r io.Reader, name string) (*EventStream, error) {
	return readEventStream(r, name, decodeAEDAT)
}

// ReadAEDATFile reads the AEDAT file at path (see ReadAEDAT).
func ReadAEDATFile(path string) (*EventStream, error) {
	return readEventFile(path, decodeAEDAT)
}

func decodeAEDAT(b []byte, name string) (*EventStream, error) {
	first := b
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		first = b[:i]
	}
	v := strings.TrimSpace(string(first))
	switch {
	case v == "#!AER-DAT2.0":
		return decodeAEDAT2(b, name)
	case v == "#!AER-DAT3.1":
		return decodeAEDAT3(b, name)
	case v == "#!AER-DAT4.0":
		return decodeAEDAT4(b, name)
	case strings.HasPrefix(v, "#!AER-DAT"):
		return nil, formatErr(name, 0, "unknown format version %q (AEDAT 2.0, 3.1 and 4.0 are read)", strings.TrimPrefix(v, "#!AER-DAT"))
	}
	if len(first) > 40 {
		first = first[:40]
	}
	return nil, formatErr(name, 0, "first line %q is not \"#!AER-DAT<version>\": not an AEDAT file (or AEDAT 1.0, which is not read)", first)
}

// aedatLayout is the address layout of an AEDAT 2.0 chip.
type aedatLayout struct {
	dvs128 bool
	w, h   int
}

func decodeAEDAT2(b []byte, name string) (*EventStream, error) {
	off := 0
	chip := ""
	for off < len(b) && b[off] == '#' {
		nl := bytes.IndexByte(b[off:], '\n')
		if nl < 0 {
			nl = len(b) - off
		}
		line := strings.TrimSpace(string(b[off+1 : off+nl]))
		off = min(off+nl+1, len(b))
		if c, ok := strings.CutPrefix(line, "AEChip:"); ok {
			chip = strings.TrimSpace(c)
		}
		if strings.EqualFold(line, "End Of ASCII Header") {
			break
		}
	}
	var lay aedatLayout
	lc := strings.ToLower(chip)
	switch {
	case chip == "" || strings.Contains(lc, "dvs128") || strings.Contains(lc, "tmpdiff128"):
		lay = aedatLayout{dvs128: true, w: 128, h: 128}
	case strings.Contains(lc, "davis346"):
		lay = aedatLayout{w: 346, h: 260}
	case strings.Contains(lc, "davis240"):
		lay = aedatLayout{w: 240, h: 180}
	default:
		return nil, formatErr(name, 0, "AEChip %q: address layout not known (DVS128, DAVIS240 and DAVIS346 are read)", chip)
	}
	if rem := (len(b) - off) % 8; rem != 0 {
		return nil, formatErr(name, len(b)-rem, "truncated: the last event has %d of its 8 bytes", rem)
	}
	ev := make([]Event, 0, (len(b)-off)/8)
	var wrap, prev int64
	for ; off+8 <= len(b); off += 8 {
		r := b[off : off+8 : off+8]
		a := binary.BigEndian.Uint32(r)
		t := wrap + int64(binary.BigEndian.Uint32(r[4:]))
		if t < prev {
			if prev-t <= 1<<31 {
				return nil, formatErr(name, off, "timestamp %d µs comes before the previous event's %d µs (AEDAT 2.0 timestamps only run backwards when the 32-bit counter wraps)", t, prev)
			}
			wrap += 1 << 32
			t += 1 << 32
		}
		var x, y int
		var p uint8
		if lay.dvs128 {
			if a&0x8000 != 0 {
				continue // sync event
			}
			if a>>16 != 0 {
				return nil, formatErr(name, off, "address 0x%08X has bits above the DVS128 layout's 16", a)
			}
			x, y, p = 127-int(a>>1&0x7F), 127-int(a>>8&0x7F), uint8(1-a&1)
		} else {
			if a&0x80000000 != 0 || a&0x400 != 0 {
				continue // frame, IMU or external-input event
			}
			rx, ry := int(a>>12&0x3FF), int(a>>22&0x1FF)
			if rx >= lay.w || ry >= lay.h {
				return nil, formatErr(name, off, "event at (x %d, y %d) lies outside the %dx%d sensor", rx, ry, lay.w, lay.h)
			}
			x, y, p = lay.w-1-rx, lay.h-1-ry, uint8(a>>11&1)
		}
		prev = t
		ev = append(ev, Event{T: t, X: uint16(x), Y: uint16(y), P: p})
	}
	return &EventStream{Events: ev, Width: lay.w, Height: lay.h, Path: name}, nil
}

// aedat3Sensors maps the chip names of AEDAT 3.1 "#Source" lines to their
// sensor sizes (libcaer's device headers).
var aedat3Sensors = []struct {
	prefix string
	w, h   int
}{{"DVS128", 128, 128}, {"DAVIS240", 240, 180}, {"DAVIS346", 346, 260}, {"DVXPLORER", 640, 480}}

const aedat3PacketHeader = 28

func decodeAEDAT3(b []byte, name string) (*EventStream, error) {
	end := bytes.Index(b, []byte("#!END-HEADER"))
	if end < 0 {
		return nil, formatErr(name, len(b), "truncated: no \"#!END-HEADER\" line ends the header")
	}
	w, h := 0, 0
	for _, line := range strings.Split(string(b[:end]), "\n") {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, "#Source "); ok {
			_, chip, _ := strings.Cut(rest, ":")
			chip = strings.ToUpper(strings.TrimSpace(chip))
			for _, s := range aedat3Sensors {
				if strings.HasPrefix(chip, s.prefix) {
					w, h = s.w, s.h
				}
			}
		}
	}
	off := end + bytes.IndexByte(b[end:], '\n') + 1
	if off == end {
		off = len(b)
	}
	ev := make([]Event, 0, (len(b)-off)/8)
	var prev int64
	maxX, maxY := -1, -1
	for off < len(b) {
		if len(b)-off < aedat3PacketHeader {
			return nil, formatErr(name, off, "truncated: a packet header has %d of its 28 bytes", len(b)-off)
		}
		ph := b[off : off+aedat3PacketHeader]
		typ := int16(binary.LittleEndian.Uint16(ph))
		size := int32(binary.LittleEndian.Uint32(ph[4:]))
		overflow := int64(int32(binary.LittleEndian.Uint32(ph[12:])))
		capacity := int32(binary.LittleEndian.Uint32(ph[16:]))
		number := int32(binary.LittleEndian.Uint32(ph[20:]))
		if size <= 0 || capacity < 0 || number < 0 || number > capacity || overflow < 0 {
			return nil, formatErr(name, off, "packet header: event size %d, capacity %d, number %d, timestamp overflow %d (want size > 0, 0 <= number <= capacity, overflow >= 0)", size, capacity, number, overflow)
		}
		if typ == 1 && size != 8 {
			return nil, formatErr(name, off+4, "polarity packet with event size %d (a polarity event is 8 bytes)", size)
		}
		body := off + aedat3PacketHeader
		n := int64(size) * int64(capacity)
		if n > int64(len(b)-body) {
			return nil, formatErr(name, off, "truncated: the packet declares %d events of %d bytes (%d bytes), %d remain", capacity, size, n, len(b)-body)
		}
		if typ == 1 {
			for i := range int(number) {
				r := b[body+8*i : body+8*i+8 : body+8*i+8]
				d := binary.LittleEndian.Uint32(r)
				ts := int32(binary.LittleEndian.Uint32(r[4:]))
				if d&1 == 0 {
					continue // invalidated event
				}
				eoff := body + 8*i
				if ts < 0 {
					return nil, formatErr(name, eoff, "negative timestamp %d", ts)
				}
				t := overflow<<31 | int64(ts)
				x, y := int(d>>17&0x7FFF), int(d>>2&0x7FFF)
				if w > 0 && (x >= w || y >= h) {
					return nil, formatErr(name, eoff, "event at (x %d, y %d) lies outside the %dx%d sensor", x, y, w, h)
				}
				if t < prev {
					return nil, formatErr(name, eoff, "timestamp %d µs comes before the previous event's %d µs (AEDAT 3.1 timestamps never decrease; their wraps are counted in the packet's overflow field)", t, prev)
				}
				prev = t
				maxX, maxY = max(maxX, x), max(maxY, y)
				ev = append(ev, Event{T: t, X: uint16(x), Y: uint16(y), P: uint8(d >> 1 & 1)})
			}
		}
		off = body + int(n)
	}
	if w == 0 {
		w, h = max(maxX+1, 1), max(maxY+1, 1)
	}
	return &EventStream{Events: ev, Width: w, Height: h, Path: name}, nil
}
