package datasets

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestReadDATSample(t *testing.T) {
	b := readSample(t, "sample_ncars.dat")
	s, err := ReadDAT(bytes.NewReader(b), "sample_ncars.dat")
	if err != nil {
		t.Fatal(err)
	}
	// 2009 events: ../shared/data/README.md (tonic's fixture); the header
	// ends at byte 91, so (16165 - 91 - 2) / 8 = 2009.
	if len(s.Events) != 2009 {
		t.Fatalf("%d events, want 2009", len(s.Events))
	}
	// The first three events, by hand from `xxd sample_ncars.dat`: after
	// the type and size bytes 00 08 at byte 91, the words
	// 00000000 00020019 (t 0; x = 0x19 = 25, y = 0x20019>>14 = 8, p 0),
	// 00000023 0008c043 (t 35; x = 0xc043&0x3fff = 67, y = 0x8c043>>14 = 35,
	// p 0) and 00000098 100680ca... read little-endian.
	want := []Event{{T: 0, X: 25, Y: 8, P: 0}, {T: 35, X: 67, Y: 35, P: 0}}
	for i, w := range want {
		if s.Events[i] != w {
			t.Errorf("event %d = %+v, want %+v", i, s.Events[i], w)
		}
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	// No Width/Height in N-CARS' header: the bounding sensor.
	if s.Width > NCARSWidth || s.Height > NCARSHeight {
		t.Fatalf("sensor %dx%d", s.Width, s.Height)
	}
}

// datFile builds a DAT file: the header lines, the type and size bytes and
// the events (t, x, y, p) packed as the format says (x bits 0-13, y bits
// 14-27, p bits 28-31, little-endian).
func datFile(header string, typ, size byte, ev ...[4]uint32) []byte {
	b := append([]byte(header), typ, size)
	for _, e := range ev {
		b = binary.LittleEndian.AppendUint32(b, e[0])
		b = binary.LittleEndian.AppendUint32(b, e[1]|e[2]<<14|e[3]<<28)
	}
	return b
}

func TestReadDATHandMade(t *testing.T) {
	hdr := "% Data file containing CD events\n% Version 2\n% Width 4\n% Height 3\n"
	// Hand-packed: (t 10, x 3, y 2, p 1) is the word 3 | 2<<14 | 1<<28 =
	// 0x10008003, bytes 03 80 00 10.
	b := []byte(hdr)
	b = append(b, 0x0C, 8, 10, 0, 0, 0, 0x03, 0x80, 0x00, 0x10, 10, 0, 0, 0, 0, 0, 0, 0)
	s, err := ReadDAT(bytes.NewReader(b), "h.dat")
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{{T: 10, X: 3, Y: 2, P: 1}, {T: 10}}
	if s.Width != 4 || s.Height != 3 || len(s.Events) != 2 || s.Events[0] != want[0] || s.Events[1] != want[1] {
		t.Fatalf("got %dx%d %+v, want 4x3 %+v", s.Width, s.Height, s.Events, want)
	}
	if !bytes.Equal(b, datFile(hdr, 0x0C, 8, [4]uint32{10, 3, 2, 1}, [4]uint32{10, 0, 0, 0})) {
		t.Fatal("datFile does not build the hand-packed bytes")
	}

	off := int64(len(hdr))
	cases := []struct {
		b   []byte
		off int64
		msg string
	}{
		{datFile(hdr, 0x0C, 8, [4]uint32{1, 0, 0, 0})[:len(hdr)+2+5], off + 2, "truncated: the last event has 5 of its 8 bytes"},
		{[]byte(hdr)[:len(hdr)-1], off - 1, "truncated: the event type and size bytes are missing"},
		{datFile("% Version 1\n", 0, 8), 0, `unknown format version "1"`},
		{datFile("% Date x\n", 0, 8), 0, `no "% Version" line`},
		{datFile(hdr, 0x0E, 8), off, "event type 0x0E (external triggers)"},
		{datFile(hdr, 0x07, 8), off, "unknown event type 0x07"},
		{datFile(hdr, 0x0C, 16), off + 1, "event size 16 (want 8)"},
		{datFile(hdr, 0x0C, 8, [4]uint32{1, 0, 0, 2}), off + 2, "polarity 2"},
		{datFile(hdr, 0x0C, 8, [4]uint32{1, 0, 0, 0}, [4]uint32{2, 4, 0, 0}), off + 10, "event at (x 4, y 0) lies outside the 4x3 sensor"},
		{datFile(hdr, 0x0C, 8, [4]uint32{5, 0, 0, 0}, [4]uint32{4, 0, 0, 0}), off + 10, "timestamp 4 µs comes before the previous event's 5 µs"},
		{datFile("% Version 2\n% Width x\n", 0, 8), 0, `header "Width": "x" is not a sensor size`},
	}
	for _, c := range cases {
		_, err := ReadDAT(bytes.NewReader(c.b), "bad.dat")
		wantFormatErr(t, err, "bad.dat", c.off, c.msg)
	}
}

func TestNCARSLayout(t *testing.T) {
	b := readSample(t, "sample_ncars.dat")
	dir := t.TempDir()
	for _, p := range []string{"cars/obj_004396_td.dat", "cars/obj_000001_td.dat", "background/obj_000002_td.dat"} {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	set, err := NCARS(dir)
	if err != nil {
		t.Fatal(err)
	}
	// background first (class 0), then cars (class 1) in name order.
	if set.Len() != 3 || set.Samples[0].Label != 0 || set.Samples[1].Label != 1 || filepath.Base(set.Samples[1].Path) != "obj_000001_td.dat" {
		t.Fatalf("%+v", set.Samples)
	}
	s, err := set.Stream(2)
	if err != nil || s.Width != 120 || s.Height != 100 || len(s.Events) != 2009 {
		t.Fatalf("%v %+v", err, s)
	}
	if _, err := NCARS(t.TempDir()); err == nil {
		t.Fatal("empty folder: no error")
	}
}

// evt2Words builds an EVT 2.0 RAW file: header then little-endian words.
func evt2Words(header string, words ...uint32) []byte {
	b := []byte(header)
	for _, w := range words {
		b = binary.LittleEndian.AppendUint32(b, w)
	}
	return b
}

func evt3Words(header string, words ...uint16) []byte {
	b := []byte(header)
	for _, w := range words {
		b = binary.LittleEndian.AppendUint16(b, w)
	}
	return b
}

const (
	evt2Header = "% evt 2.0\n% format EVT2\n% geometry 640x480\n% end\n"
	evt3Header = "% camera_integrator_name Prophesee\n% evt 3.0\n% format EVT3;height=720;width=1280\n% geometry 1280x720\n% end\n"
)

func TestReadEVT2HandMade(t *testing.T) {
	// Words worked out from Prophesee's "EVT 2.0 Format" (type in bits
	// 31-28; CD: ts LSB 27-22, x 21-11, y 10-0; EVT_TIME_HIGH: ts bits
	// 33-6 in 27-0).
	b := evt2Words(evt2Header,
		0x10000000, // CD_ON before any time high: skipped
		0x80000005, // EVT_TIME_HIGH 5: time base 5<<6 = 320 µs
		0x10C320C8, // CD_ON: 1<<28 | 3<<22 | 100<<11 | 200: (323 µs, x 100, y 200, ON)
		0x0FD3F9DF, // CD_OFF: 63<<22 | 639<<11 | 479: (320+63 = 383 µs, x 639, y 479, OFF)
		0xA0000001, // EXT_TRIGGER: skipped
		0x80000006, // EVT_TIME_HIGH 6: 384 µs
		0x10000000, // CD_ON (384 µs, x 0, y 0)
		0xE0000000, // OTHERS: skipped
		0x80000001, // EVT_TIME_HIGH 1 < 6: the 34-bit counter wrapped
		0x00800801, // CD_OFF 2<<22 | 1<<11 | 1: 2^34 + 1<<6 + 2 = 17179869250 µs
	)
	s, err := ReadEVT(bytes.NewReader(b), "h.raw")
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{{323, 100, 200, 1}, {383, 639, 479, 0}, {384, 0, 0, 1}, {17179869250, 1, 1, 0}}
	if s.Width != 640 || s.Height != 480 || !slices.Equal(s.Events, want) {
		t.Fatalf("got %dx%d %+v, want 640x480 %+v", s.Width, s.Height, s.Events, want)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestReadEVT3HandMade(t *testing.T) {
	// Words worked out from Prophesee's "EVT 3.0 Format" (type in bits
	// 15-12, payload in 11-0).
	b := evt3Words(evt3Header,
		0x2005, // EVT_ADDR_X before any time high: skipped
		0x8001, // EVT_TIME_HIGH 1: 1<<12 = 4096 µs
		0x6010, // EVT_TIME_LOW 16: 4112 µs
		0x0064, // EVT_ADDR_Y 100
		0x2805, // EVT_ADDR_X pol 1, x 5: (4112, 5, 100, ON)
		0x300A, // VECT_BASE_X pol 0, x 10
		0x4805, // VECT_12 mask 0x805 = bits 0, 2, 11: x 10, 12, 21 OFF; base 22
		0x5081, // VECT_8 mask 0x81 = bits 0, 7: x 22, 29 OFF; base 30
		0x7123, // CONTINUED_4: skipped
		0x6020, // EVT_TIME_LOW 32: 4128 µs
		0x02CF, // EVT_ADDR_Y 719
		0x24FF, // EVT_ADDR_X pol 0, x 1279: (4128, 1279, 719, OFF)
		0x8000, // EVT_TIME_HIGH 0 < 1: the 24-bit counter wrapped, 2^24 = 16777216 µs
		0x2800, // EVT_ADDR_X pol 1, x 0: (16777216, 0, 719, ON)
	)
	s, err := ReadEVT(bytes.NewReader(b), "h.raw")
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{
		{4112, 5, 100, 1},
		{4112, 10, 100, 0}, {4112, 12, 100, 0}, {4112, 21, 100, 0},
		{4112, 22, 100, 0}, {4112, 29, 100, 0},
		{4128, 1279, 719, 0},
		{16777216, 0, 719, 1},
	}
	if s.Width != 1280 || s.Height != 720 || !slices.Equal(s.Events, want) {
		t.Fatalf("got %dx%d %+v,\nwant 1280x720 %+v", s.Width, s.Height, s.Events, want)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestReadEVTBad(t *testing.T) {
	h2, h3 := int64(len(evt2Header)), int64(len(evt3Header))
	cases := []struct {
		b   []byte
		off int64
		msg string
	}{
		{evt2Words(evt2Header, 0x80000000, 0x10000000)[:h2+7], h2 + 4, "truncated: the last EVT 2.0 word has 3 of its 4 bytes"},
		{evt3Words(evt3Header, 0x8000)[:h3+1], h3, "truncated: the last EVT 3.0 word has 1 of its 2 bytes"},
		{evt2Words(evt2Header, 0x80000000, 0x20000000), h2 + 4, "unknown EVT 2.0 word type 0x2"},
		{evt3Words(evt3Header, 0x8000, 0x1000), h3 + 2, "unknown EVT 3.0 word type 0x1"},
		{evt2Words(evt2Header, 0x80000000, 640<<11), h2 + 4, "event at (x 640, y 0) lies outside the 640x480 sensor"},
		{evt3Words(evt3Header, 0x8000, 0x02D0, 0x2000), h3 + 4, "event at (x 0, y 720) lies outside the 1280x720 sensor"},
		{evt3Words(evt3Header, 0x8000, 0x300A, 0x4800), h3 + 4, ""}, // x 21 is inside: no error (checked below)
		// VECT_BASE_X 1275, VECT_12 bits 0 and 5: x 1275 and 1280, the second outside.
		{evt3Words(evt3Header, 0x8000, 0x34FB, 0x4021), h3 + 4, "event at (x 1280, y 0) lies outside the 1280x720 sensor"},
		{evt3Words(evt3Header, 0x8000, 0x6020, 0x2000, 0x6010, 0x2000), h3 + 8, "timestamp 16 µs comes before the previous event's 32 µs"},
		{evt2Words(evt2Header, 0x80000000, 5<<22, 4<<22), h2 + 8, "timestamp 4 µs comes before the previous event's 5 µs"},
		{evt3Words("% format EVT21;height=720;width=1280\n% end\n"), 0, `unknown format version "EVT21"`},
		{evt3Words("% evt 4.0\n% end\n"), 0, `unknown format version "evt 4.0"`},
		{evt3Words("% date today\n% end\n"), 0, "the header names no encoding"},
		{evt3Words("% evt 3.0\n% end\n"), 0, "the header gives no sensor size"},
		{evt3Words("% evt 3.0\n% geometry 12\n% end\n"), 0, `header geometry "12" is not WIDTHxHEIGHT`},
	}
	for _, c := range cases {
		s, err := ReadEVT(bytes.NewReader(c.b), "bad.raw")
		if c.msg == "" {
			if err != nil || len(s.Events) != 1 || s.Events[0].X != 21 {
				t.Fatalf("VECT_12 bit 11 from base 10: %v %+v", err, s)
			}
			continue
		}
		wantFormatErr(t, err, "bad.raw", c.off, c.msg)
	}
}

func FuzzReadDAT(f *testing.F) {
	f.Add(datFile("% Version 2\n% Width 4\n% Height 3\n", 0x0C, 8, [4]uint32{10, 3, 2, 1}, [4]uint32{11, 0, 0, 0}))
	f.Add(datFile("% Version 2\n", 0, 8, [4]uint32{10, 3, 2, 1}))
	if b := readSampleOptional("sample_ncars.dat"); b != nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { fuzzCheck(t, b, ReadDAT) })
}

func FuzzReadEVT(f *testing.F) {
	f.Add(evt2Words(evt2Header, 0x10000000, 0x80000005, 0x10C320C8, 0x0FD3F9DF, 0xA0000001, 0x80000006, 0x10000000, 0x80000001, 0x00800801))
	f.Add(evt3Words(evt3Header, 0x2005, 0x8001, 0x6010, 0x0064, 0x2805, 0x300A, 0x4805, 0x5081, 0x7123, 0x6020, 0x02CF, 0x24FF, 0x8000, 0x2800))
	f.Add(evt3Words("% evt 3.0\n% geometry 4x4\n", 0x8000, 0x4FFF))
	f.Fuzz(func(t *testing.T, b []byte) { fuzzCheck(t, b, ReadEVT) })
}
