package datasets

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// aedat2 appends big-endian (address, timestamp) pairs to a header.
func aedat2(header []byte, pairs ...uint32) []byte {
	b := slices.Clone(header)
	for _, v := range pairs {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return b
}

func TestReadAEDAT2Header(t *testing.T) {
	b := readSample(t, "sample_aedat_header.aedat")
	s, err := ReadAEDAT(bytes.NewReader(b), "sample_aedat_header.aedat")
	if err != nil {
		t.Fatal(err)
	}
	// The file is the 599-byte header of a DAVIS346 recording ("# AEChip:
	// eu.seebetter.ini.chips.davis.Davis346red") and no event. tonic's test
	// reports data_start 598 for it: its look-ahead of one byte steps back
	// from the end of file; the header proper ends at byte 599.
	if len(b) != 599 || len(s.Events) != 0 || s.Width != 346 || s.Height != 260 {
		t.Fatalf("%d bytes, %d events, %dx%d", len(b), len(s.Events), s.Width, s.Height)
	}
}

func TestReadAEDAT2HandMade(t *testing.T) {
	hdr := readSample(t, "sample_aedat_header.aedat")
	// DAVIS346 addresses by jAER's layout (bits 22-30 y, 12-21 x, 11
	// polarity; bit 31 APS/IMU, bit 10 external input): X = 345 - x and
	// Y = 259 - y (jAER mirrors x; its y counts from the bottom).
	b := aedat2(hdr,
		0x00000800, 5, // x 0, y 0, ON at 5 µs: (345, 259, 1)
		0x80000000, 5, // APS sample: skipped
		0x00000400, 6, // external input: skipped
		259<<22|345<<12, 0xFFFFFFF0, // x 345, y 259, OFF: (0, 0, 0) at 2^32-16 µs
		1<<22|2<<12|1<<11, 0x10, // x 2, y 1, ON; the counter wrapped: 2^32 + 16 µs
	)
	s, err := ReadAEDAT(bytes.NewReader(b), "d.aedat")
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{{5, 345, 259, 1}, {0xFFFFFFF0, 0, 0, 0}, {1<<32 + 16, 343, 258, 1}}
	if !slices.Equal(s.Events, want) {
		t.Fatalf("got %+v, want %+v", s.Events, want)
	}

	// DVS128 (jAER's DVS128 extractor: bit 0 polarity with 0 = ON, bits
	// 1-7 x mirrored, bits 8-14 y from the bottom, bit 15 sync).
	dvs := []byte("#!AER-DAT2.0\r\n# AEChip: ch.unizh.ini.jaer.chip.retina.DVS128\r\n")
	b = aedat2(dvs,
		10<<8|3<<1|0, 100, // x 3, y 10, ON: (124, 117, 1)
		0x8000, 101, // sync: skipped
		127<<8|127<<1|1, 102, // x 127, y 127, OFF: (0, 0, 0)
	)
	s, err = ReadAEDAT(bytes.NewReader(b), "d.aedat")
	if err != nil {
		t.Fatal(err)
	}
	want = []Event{{100, 124, 117, 1}, {102, 0, 0, 0}}
	if !slices.Equal(s.Events, want) || s.Width != 128 || s.Height != 128 {
		t.Fatalf("got %dx%d %+v, want %+v", s.Width, s.Height, s.Events, want)
	}

	h := int64(len(hdr))
	d := int64(len(dvs))
	cases := []struct {
		b   []byte
		off int64
		msg string
	}{
		{aedat2(hdr, 0x800, 5, 0x800)[:h+12], h + 8, "truncated: the last event has 4 of its 8 bytes"},
		{aedat2(hdr, 346<<12, 5), h, "event at (x 346, y 0) lies outside the 346x260 sensor"},
		{aedat2(hdr, 0x800, 9, 0x800, 8), h + 8, "timestamp 8 µs comes before the previous event's 9 µs"},
		{aedat2(dvs, 0x10000, 1), d, "address 0x00010000 has bits above the DVS128 layout's 16"},
		{[]byte("#!AER-DAT2.0\r\n# AEChip: ch.unizh.ini.jaer.chip.cochlea.CochleaAMS1c\r\n"), 0, `AEChip "ch.unizh.ini.jaer.chip.cochlea.CochleaAMS1c": address layout not known`},
		{[]byte("#!AER-DAT1.5\r\n"), 0, `unknown format version "1.5"`},
		{[]byte("hello\n"), 0, `first line "hello" is not "#!AER-DAT<version>"`},
	}
	for _, c := range cases {
		_, err := ReadAEDAT(bytes.NewReader(c.b), "bad.aedat")
		wantFormatErr(t, err, "bad.aedat", c.off, c.msg)
	}
}

const aedat3Header = "#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n#Start-Time: 2017-01-11 16:18:46 (TZ-0800)\r\n#!END-HEADER\r\n"

// aedat3Packet builds an AEDAT 3.1 packet: the 28-byte little-endian header
// (type, source, size, timestamp offset, overflow, capacity, number, valid)
// and the events as (uint32 data, int32 timestamp) pairs.
func aedat3Packet(typ int16, size, overflow int32, ev ...uint32) []byte {
	n := int32(len(ev) / 2)
	b := binary.LittleEndian.AppendUint16(nil, uint16(typ))
	b = binary.LittleEndian.AppendUint16(b, 1)
	for _, v := range []int32{size, 4, overflow, n, n, n} {
		b = binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	for _, v := range ev {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	return b
}

// pol packs an AEDAT 3.1 polarity event: bit 0 valid, bit 1 polarity, bits
// 2-16 y, bits 17-31 x (libcaer's polarity event).
func pol(x, y, p, valid uint32) uint32 { return x<<17 | y<<2 | p<<1 | valid }

func TestReadAEDAT3HandMade(t *testing.T) {
	b := []byte(aedat3Header)
	b = append(b, aedat3Packet(1, 8, 0,
		pol(5, 7, 1, 1), 100, // (100, 5, 7, ON); data 0x000A001F
		pol(6, 7, 0, 0), 101, // invalid: dropped
		pol(127, 0, 0, 1), 102, // (102, 127, 0, OFF)
	)...)
	b = append(b, aedat3Packet(0, 8, 0, 0x12345678, 103)...)      // a special-event packet: skipped
	b = append(b, aedat3Packet(1, 8, 1, pol(0, 127, 1, 1), 3)...) // overflow 1: 1<<31 | 3
	if pol(5, 7, 1, 1) != 0x000A001F {
		t.Fatal("pol does not pack as worked out by hand")
	}
	s, err := ReadAEDAT(bytes.NewReader(b), "g.aedat")
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{{100, 5, 7, 1}, {102, 127, 0, 0}, {1<<31 | 3, 0, 127, 1}}
	if !slices.Equal(s.Events, want) || s.Width != 128 || s.Height != 128 {
		t.Fatalf("got %dx%d %+v, want 128x128 %+v", s.Width, s.Height, s.Events, want)
	}

	h := int64(len(aedat3Header))
	p1 := aedat3Packet(1, 8, 0, pol(1, 1, 1, 1), 10)
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	cases := []struct {
		b   []byte
		off int64
		msg string
	}{
		{cat([]byte(aedat3Header), p1[:20]), h, "truncated: a packet header has 20 of its 28 bytes"},
		{cat([]byte(aedat3Header), p1[:32]), h, "truncated: the packet declares 1 events of 8 bytes (8 bytes), 4 remain"},
		{cat([]byte(aedat3Header), aedat3Packet(1, 16, 0, 0, 0, 0, 0)), h + 4, "polarity packet with event size 16"},
		{cat([]byte(aedat3Header), aedat3Packet(1, 8, 0, pol(128, 0, 1, 1), 1)), h + 28, "event at (x 128, y 0) lies outside the 128x128 sensor"},
		{cat([]byte(aedat3Header), aedat3Packet(1, 8, 0, pol(1, 1, 1, 1), 9, pol(1, 1, 1, 1), 8)), h + 36, "timestamp 8 µs comes before the previous event's 9 µs"},
		{cat([]byte(aedat3Header), aedat3Packet(1, 0, 0)), h, "packet header: event size 0"},
		{[]byte("#!AER-DAT3.1\r\n#Format: RAW\r\n"), 28, `truncated: no "#!END-HEADER" line`},
	}
	for _, c := range cases {
		_, err := ReadAEDAT(bytes.NewReader(c.b), "bad.aedat")
		wantFormatErr(t, err, "bad.aedat", c.off, c.msg)
	}
}

func TestDVSGestureLayout(t *testing.T) {
	dir := t.TempDir()
	rec := cat3(aedat3Packet(1, 8, 0,
		pol(1, 1, 1, 1), 1000, pol(2, 2, 0, 1), 1500, pol(3, 3, 1, 1), 2500, pol(4, 4, 0, 1), 3000))
	files := map[string]string{
		"user01_fluorescent.aedat":      string(rec),
		"user01_fluorescent_labels.csv": "class,startTime_usec,endTime_usec\r\n3,2000,3001\r\n1,1000,2000\r\n",
		"user24_led.aedat":              string(rec),
		"user24_led_labels.csv":         "class,startTime_usec,endTime_usec\n11,0,5000\n",
	}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	train, err := DVSGesture(dir, Train)
	if err != nil {
		t.Fatal(err)
	}
	// user01 is a training user (1-23); its gestures sorted by start: class
	// 1 (label 0) over [1000, 2000), class 3 (label 2) over [2000, 3001).
	if train.Len() != 2 || train.Samples[0].Label != 0 || train.Samples[1].Label != 2 {
		t.Fatalf("%+v", train.Samples)
	}
	ss, err := train.Streams()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ss[0].Events, []Event{{1000, 1, 1, 1}, {1500, 2, 2, 0}}) || !slices.Equal(ss[1].Events, []Event{{2500, 3, 3, 1}, {3000, 4, 4, 0}}) {
		t.Fatalf("cuts %+v / %+v", ss[0].Events, ss[1].Events)
	}
	test, err := DVSGesture(dir, Test)
	if err != nil || test.Len() != 1 || test.Samples[0].Label != 10 {
		t.Fatalf("test: %v %+v", err, test)
	}
	// A list file, when present, decides the split.
	if err := os.WriteFile(filepath.Join(dir, "trials_to_train.txt"), []byte("user24_led.aedat\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	train, err = DVSGesture(dir, Train)
	if err != nil || train.Len() != 1 || filepath.Base(train.Samples[0].Path) != "user24_led.aedat" {
		t.Fatalf("listed: %v %+v", err, train)
	}
	for _, c := range []struct {
		csv string
		off int64
		msg string
	}{
		{"class,startTime_usec,endTime_usec\n12,0,5\n", 34, "class 12 outside 1..11"},
		{"class,startTime_usec,endTime_usec\n1,5,5\n", 34, "want 0 <= start < end"},
		{"1,x,5\n", 0, "class and times must be integers"},
		{"1,2\n", 0, "want class,startTime_usec,endTime_usec"},
		{"class,startTime_usec,endTime_usec\n", 34, "no gestures"},
	} {
		p := filepath.Join(dir, "user24_led_labels.csv")
		if err := os.WriteFile(p, []byte(c.csv), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := DVSGesture(dir, Train)
		wantFormatErr(t, err, p, c.off, c.msg)
	}
}

func cat3(packets ...[]byte) []byte {
	return append([]byte(aedat3Header), bytes.Join(packets, nil)...)
}

func FuzzReadAEDAT(f *testing.F) {
	f.Add(cat3(aedat3Packet(1, 8, 0, pol(5, 7, 1, 1), 100, pol(127, 0, 0, 1), 102), aedat3Packet(0, 8, 0, 1, 103), aedat3Packet(1, 8, 1, pol(0, 127, 1, 1), 3)))
	f.Add(aedat2([]byte("#!AER-DAT2.0\r\n# AEChip: DVS128\r\n"), 10<<8|3<<1, 100, 0x8000, 101, 127<<8|127<<1|1, 102))
	if h := readSampleOptional("sample_aedat_header.aedat"); h != nil {
		f.Add(h)
		f.Add(aedat2(h, 0x800, 5, 0x80000000, 5, 259<<22|345<<12, 0xFFFFFFF0, 1<<22|2<<12|1<<11, 0x10))
	}
	f.Fuzz(func(t *testing.T, b []byte) { fuzzCheck(t, b, ReadAEDAT) })
}
