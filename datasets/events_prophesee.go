package datasets

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// propheseeHeader is the text header of a Prophesee DAT or RAW file: lines
// "% keyword value", one per line, until a line that does not start with
// '%' (DAT) or "% " (RAW), or the line "% end" (RAW). Keys are kept as
// written, values without surrounding space.
type propheseeHeader struct {
	kv  map[string]string
	end int // offset of the first byte after the header
}

func readPropheseeHeader(b []byte, raw bool) propheseeHeader {
	h := propheseeHeader{kv: map[string]string{}}
	off := 0
	for off < len(b) && b[off] == '%' && (!raw || off+1 < len(b) && b[off+1] == ' ') {
		nl := bytes.IndexByte(b[off:], '\n')
		if nl < 0 {
			nl = len(b) - off // the file ends inside the header
		}
		line := strings.TrimSpace(string(b[off+1 : off+nl]))
		off = min(off+nl+1, len(b))
		key, val, _ := strings.Cut(line, " ")
		h.kv[key] = strings.TrimSpace(val)
		if raw && line == "end" {
			break
		}
	}
	h.end = off
	return h
}

// size parses the header value of key as a positive size, or returns 0
// when the key is absent.
func (h propheseeHeader) size(name, key string) (int, error) {
	v, ok := h.kv[key]
	if !ok {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 || n > 1<<16 {
		return 0, formatErr(name, 0, "header %q: %q is not a sensor size", key, v)
	}
	return n, nil
}

// DAT event types (the first byte after the header) of Prophesee's DAT
// format: Event2d 0x00, EventCd 0x0C, EventExtTrigger 0x0E.
const (
	datEvent2d     = 0x00
	datEventCd     = 0x0C
	datExtTrigger  = 0x0E
	datEventSize   = 8
	datMaxSize     = 1 << 14 // x and y are 14-bit fields
	datHeaderLimit = 1 << 20
)

// ReadDAT decodes a Prophesee DAT file (version 2; the format of N-CARS and
// of Prophesee's early datasets) from r; name is used in errors.
//
// The layout (docs.prophesee.ai, "DAT File Format"), little-endian: text
// header lines starting with '%' ("% Version 2" is required; "% Width" and
// "% Height" give the sensor size when present); one byte of event type
// (0x00 Event2d or 0x0C EventCd; 0x0E, external triggers, is refused) and
// one byte of event size (8); then 8 bytes per event: a uint32 timestamp in
// µs and a uint32 with x in bits 0-13, y in bits 14-27 and the polarity in
// bits 28-31 (0 or 1 for a CD event).
//
// Without Width and Height in the header (N-CARS has none) the sensor is
// the smallest that holds every event; NCARS sets N-CARS' 120 x 100 instead.
// A truncated event, a size other than 8, another version, a polarity
// above 1, an event outside the header's sensor and a timestamp smaller
// than the one before (the format's 32-bit µs timestamps do not wrap within
// a file) are *FormatError.
func ReadDAT(r io.Reader, name string) (*EventStream, error) {
	return readEventStream(r, name, decodeDAT)
}

// ReadDATFile reads the Prophesee DAT file at path (see ReadDAT).
func ReadDATFile(path string) (*EventStream, error) {
	return readEventFile(path, decodeDAT)
}

func decodeDAT(b []byte, name string) (*EventStream, error) {
	h := readPropheseeHeader(b, false)
	v, ok := h.kv["Version"]
	if !ok {
		return nil, formatErr(name, 0, "no \"%% Version\" line in the header: not a Prophesee DAT file, or a version-1 file (only version 2 is read)")
	}
	if v != "2" {
		return nil, formatErr(name, 0, "unknown format version %q (only DAT version 2 is read)", v)
	}
	w, err := h.size(name, "Width")
	if err != nil {
		return nil, err
	}
	ht, err := h.size(name, "Height")
	if err != nil {
		return nil, err
	}
	off := h.end
	if len(b)-off < 2 {
		return nil, formatErr(name, off, "truncated: the event type and size bytes are missing")
	}
	typ, size := b[off], b[off+1]
	switch typ {
	case datEvent2d, datEventCd:
	case datExtTrigger:
		return nil, formatErr(name, off, "event type 0x0E (external triggers): not change-detection events")
	default:
		return nil, formatErr(name, off, "unknown event type 0x%02X (want 0x00 Event2d or 0x0C EventCd)", typ)
	}
	if size != datEventSize {
		return nil, formatErr(name, off+1, "event size %d (want 8)", size)
	}
	off += 2
	if rem := (len(b) - off) % datEventSize; rem != 0 {
		return nil, formatErr(name, len(b)-rem, "truncated: the last event has %d of its 8 bytes", rem)
	}
	ev := make([]Event, 0, (len(b)-off)/datEventSize)
	var prev int64
	maxX, maxY := -1, -1
	for ; off+8 <= len(b); off += 8 {
		r := b[off : off+8 : off+8]
		t := int64(binary.LittleEndian.Uint32(r))
		d := binary.LittleEndian.Uint32(r[4:])
		x, y, p := int(d&0x3FFF), int(d>>14&0x3FFF), d>>28
		if p > 1 {
			return nil, formatErr(name, off, "polarity %d (a CD event has 0 or 1)", p)
		}
		if w > 0 && x >= w || ht > 0 && y >= ht {
			return nil, formatErr(name, off, "event at (x %d, y %d) lies outside the %dx%d sensor of the header", x, y, w, ht)
		}
		if t < prev {
			return nil, formatErr(name, off, "timestamp %d µs comes before the previous event's %d µs (DAT timestamps never decrease)", t, prev)
		}
		prev = t
		maxX, maxY = max(maxX, x), max(maxY, y)
		ev = append(ev, Event{T: t, X: uint16(x), Y: uint16(y), P: uint8(p)})
	}
	if w == 0 {
		w = max(maxX+1, 1)
	}
	if ht == 0 {
		ht = max(maxY+1, 1)
	}
	return &EventStream{Events: ev, Width: w, Height: ht, Path: name}, nil
}

// N-CARS' sensor: 120 x 100 pixels, the largest crop of the ATIS recordings
// (Sironi et al. 2018, "HATS: Histograms of averaged time surfaces", CVPR;
// tonic's NCARS.sensor_size).
const (
	NCARSWidth  = 120
	NCARSHeight = 100
)

// NCARS returns one split of N-CARS from dir: dir/{background,cars}/*.dat
// (the layout of n-cars_train.zip and n-cars_test.zip unpacked; pass the
// split's folder), class 0 background and 1 car, files in name order. Every
// stream is 120 x 100 pixels; an event outside is an error.
func NCARS(dir string) (*EventSet, error) {
	set := &EventSet{Name: "ncars " + dir, Classes: 2, Width: NCARSWidth, Height: NCARSHeight, Read: readNCARSFile}
	for label, sub := range []string{"background", "cars"} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			return nil, fmt.Errorf("datasets: ncars: %w (want %s/{background,cars}/*.dat)", err, dir)
		}
		var names []string
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".dat") && e.Type().IsRegular() {
				names = append(names, e.Name())
			}
		}
		slices.Sort(names)
		for _, n := range names {
			set.Samples = append(set.Samples, EventSample{Path: filepath.Join(dir, sub, n), Label: label})
		}
	}
	if len(set.Samples) == 0 {
		return nil, fmt.Errorf("datasets: ncars: no .dat files under %s/{background,cars}", dir)
	}
	return set, nil
}

func readNCARSFile(path string) (*EventStream, error) {
	s, err := ReadDATFile(path)
	if err != nil {
		return nil, err
	}
	if s.Width > NCARSWidth || s.Height > NCARSHeight {
		return nil, fmt.Errorf("datasets: %s: events reach (x %d, y %d), outside N-CARS' %dx%d sensor", path, s.Width-1, s.Height-1, NCARSWidth, NCARSHeight)
	}
	s.Width, s.Height = NCARSWidth, NCARSHeight
	return s, nil
}

// ReadEVT decodes a Prophesee RAW file in the EVT 2.0 or EVT 3.0 encoding
// from r (the native output of Prophesee's Gen3 and Gen4/IMX636 cameras);
// name is used in errors.
//
// The header (docs.prophesee.ai, "RAW File Format") is text lines
// "% keyword value", optionally closed by "% end". The encoding comes from
// "% format EVT2" or "% format EVT3;height=H;width=W" (or the older
// "% evt 2.0" / "% evt 3.0"), the sensor size from the format's height and
// width or from "% geometry WxH". Any other encoding is an unknown format
// version.
//
// EVT 2.0 (docs.prophesee.ai, "EVT 2.0 Format") is little-endian 32-bit
// words whose 4 high bits are the type: CD_OFF 0x0 and CD_ON 0x1 carry the
// 6 low bits of the timestamp (bits 27-22), x (bits 21-11) and y (10-0);
// EVT_TIME_HIGH 0x8 carries the 28 high bits of the 34-bit timestamp;
// EXT_TRIGGER 0xA, OTHERS 0xE and CONTINUED 0xF carry no CD event and are
// skipped. EVT 3.0 ("EVT 3.0 Format") is little-endian 16-bit words, type in
// the 4 high bits: EVT_ADDR_Y 0x0 sets y (bits 10-0); EVT_ADDR_X 0x2 is one
// event at x (bits 10-0) with polarity bit 11; VECT_BASE_X 0x3 sets a base
// x and polarity; VECT_12 0x4 and VECT_8 0x5 are events at base x + i for
// each set bit i of their 12 or 8 low bits, after which the base moves on
// by 12 or 8; EVT_TIME_LOW 0x6 and EVT_TIME_HIGH 0x8 set the low and high
// 12 bits of the 24-bit timestamp; CONTINUED_4 0x7, EXT_TRIGGER 0xA, OTHERS
// 0xE and CONTINUED_12 0xF are skipped. A new EVT_TIME_HIGH clears the low
// part until the next EVT_TIME_LOW.
//
// As in Prophesee's own decoders, words before the first EVT_TIME_HIGH are
// skipped (the time base is unknown until then). The timestamp counter
// wraps (every 2^34 µs in EVT 2.0, 2^24 µs = 16.8 s in EVT 3.0): a time
// high smaller than the one before is read as a wrap and adds one period,
// so times keep increasing. A low part that runs backwards under the same
// high part, an event outside the sensor, a truncated word and an unknown
// word type are *FormatError naming the byte offset.
func ReadEVT(r io.Reader, name string) (*EventStream, error) {
	return readEventStream(r, name, decodeEVT)
}

// ReadEVTFile reads the Prophesee RAW file at path (see ReadEVT).
func ReadEVTFile(path string) (*EventStream, error) {
	return readEventFile(path, decodeEVT)
}

func decodeEVT(b []byte, name string) (*EventStream, error) {
	h := readPropheseeHeader(b, true)
	format := ""
	w, ht := 0, 0
	if f, ok := h.kv["format"]; ok {
		parts := strings.Split(f, ";")
		format = parts[0]
		for _, p := range parts[1:] {
			k, v, _ := strings.Cut(p, "=")
			n, err := strconv.Atoi(v)
			if k != "width" && k != "height" {
				continue
			}
			if err != nil || n <= 0 || n > 2048 {
				return nil, formatErr(name, 0, "header format %q: %s %q is not a sensor size", f, k, v)
			}
			if k == "width" {
				w = n
			} else {
				ht = n
			}
		}
	} else if e, ok := h.kv["evt"]; ok {
		format = map[string]string{"2.0": "EVT2", "3.0": "EVT3"}[e]
		if format == "" {
			format = "evt " + e
		}
	}
	if g, ok := h.kv["geometry"]; ok && (w == 0 || ht == 0) {
		ws, hs, _ := strings.Cut(g, "x")
		gw, err1 := strconv.Atoi(ws)
		gh, err2 := strconv.Atoi(hs)
		if err1 != nil || err2 != nil || gw <= 0 || gh <= 0 || gw > 2048 || gh > 2048 {
			return nil, formatErr(name, 0, "header geometry %q is not WIDTHxHEIGHT", g)
		}
		w, ht = gw, gh
	}
	switch format {
	case "EVT2", "EVT3":
	case "":
		return nil, formatErr(name, 0, "the header names no encoding (\"%% format EVT3;...\" or \"%% evt 3.0\"): not a Prophesee RAW file")
	default:
		return nil, formatErr(name, 0, "unknown format version %q (EVT2 and EVT3 are read)", format)
	}
	if w == 0 || ht == 0 {
		return nil, formatErr(name, 0, "the header gives no sensor size (\"%% geometry WxH\" or the format's width and height)")
	}
	s := &EventStream{Width: w, Height: ht, Path: name}
	var err error
	if format == "EVT2" {
		s.Events, err = decodeEVT2(b, h.end, name, w, ht)
	} else {
		s.Events, err = decodeEVT3(b, h.end, name, w, ht)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

func decodeEVT2(b []byte, off int, name string, w, h int) ([]Event, error) {
	if rem := (len(b) - off) % 4; rem != 0 {
		return nil, formatErr(name, len(b)-rem, "truncated: the last EVT 2.0 word has %d of its 4 bytes", rem)
	}
	ev := make([]Event, 0, (len(b)-off)/4)
	var high, base, prev int64
	seenHigh := false
	for ; off+4 <= len(b); off += 4 {
		word := binary.LittleEndian.Uint32(b[off : off+4 : off+4])
		switch word >> 28 {
		case 0x0, 0x1:
			if !seenHigh {
				continue
			}
			x, y := int(word>>11&0x7FF), int(word&0x7FF)
			t := base + (high<<6 | int64(word>>22&0x3F))
			if x >= w || y >= h {
				return nil, formatErr(name, off, "event at (x %d, y %d) lies outside the %dx%d sensor", x, y, w, h)
			}
			if t < prev {
				return nil, formatErr(name, off, "timestamp %d µs comes before the previous event's %d µs under the same EVT_TIME_HIGH", t, prev)
			}
			prev = t
			ev = append(ev, Event{T: t, X: uint16(x), Y: uint16(y), P: uint8(word >> 28)})
		case 0x8:
			nh := int64(word & 0x0FFFFFFF)
			if seenHigh && nh < high {
				base += 1 << 34 // the 34-bit counter wrapped
			}
			high, seenHigh = nh, true
		case 0xA, 0xE, 0xF:
		default:
			return nil, formatErr(name, off, "unknown EVT 2.0 word type 0x%X", word>>28)
		}
	}
	return ev, nil
}

func decodeEVT3(b []byte, off int, name string, w, h int) ([]Event, error) {
	if rem := (len(b) - off) % 2; rem != 0 {
		return nil, formatErr(name, len(b)-rem, "truncated: the last EVT 3.0 word has 1 of its 2 bytes")
	}
	// Count the events first (one per EVT_ADDR_X, one per set bit of a
	// vector), so that the events are allocated once.
	n := 0
	for p := off; p+2 <= len(b); p += 2 {
		switch word := binary.LittleEndian.Uint16(b[p : p+2 : p+2]); word >> 12 {
		case 0x2:
			n++
		case 0x4:
			n += bits.OnesCount16(word & 0xFFF)
		case 0x5:
			n += bits.OnesCount16(word & 0xFF)
		}
	}
	ev := make([]Event, 0, n)
	var high, low, base, cur, prev int64
	var y, baseX int
	var vecPol uint8
	seenHigh := false
	for ; off+2 <= len(b); off += 2 {
		word := binary.LittleEndian.Uint16(b[off : off+2 : off+2])
		typ, v := word>>12, int(word&0xFFF)
		if !seenHigh && typ != 0x8 {
			continue
		}
		switch typ {
		case 0x0: // EVT_ADDR_Y
			y = v & 0x7FF
		case 0x2, 0x4, 0x5: // EVT_ADDR_X; VECT_12, VECT_8
			x, mask, n, p := v&0x7FF, 1, 0, uint8(v>>11)
			if typ != 0x2 {
				x, mask, n, p = baseX, v, 12, vecPol
				if typ == 0x5 {
					mask, n = v&0xFF, 8
				}
				baseX += n
				if mask == 0 {
					continue
				}
			}
			if top := x + bits.Len(uint(mask)) - 1; top >= w || y >= h {
				return nil, formatErr(name, off, "event at (x %d, y %d) lies outside the %dx%d sensor", top, y, w, h)
			}
			if cur < prev {
				return nil, formatErr(name, off, "timestamp %d µs comes before the previous event's %d µs under the same EVT_TIME_HIGH", cur, prev)
			}
			prev = cur
			for m := uint(mask); m != 0; m &= m - 1 {
				ev = append(ev, Event{T: cur, X: uint16(x + bits.TrailingZeros(m)), Y: uint16(y), P: p})
			}
		case 0x3: // VECT_BASE_X
			vecPol, baseX = uint8(v>>11), v&0x7FF
		case 0x6: // EVT_TIME_LOW
			low = int64(v)
			cur = base + (high<<12 | low)
		case 0x8: // EVT_TIME_HIGH
			nh := int64(v)
			if seenHigh && nh < high {
				base += 1 << 24 // the 24-bit counter wrapped
			}
			high, low, seenHigh = nh, 0, true
			cur = base + high<<12
		case 0x7, 0xA, 0xE, 0xF:
		default:
			return nil, formatErr(name, off, "unknown EVT 3.0 word type 0x%X", typ)
		}
	}
	return ev, nil
}
