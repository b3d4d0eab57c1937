package datasets

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"

	"github.com/pierrec/lz4/v4"
)

func TestReadAEDAT4Sample(t *testing.T) {
	b := readSample(t, "sample.aedat4")
	s, err := ReadAEDAT(bytes.NewReader(b), "sample.aedat4")
	if err != nil {
		t.Fatal(err)
	}
	// 111954 events in 59 packets of stream 0 (EVTS), on a 320x240
	// DVXplorer (the header's XML): counted by decompressing each packet
	// with the lz4 command-line tool (1.9.4, Debian) and reading the vector
	// length by hand. tonic's test of this file asserts no count (its
	// 118651 comes from reading the file as AEDAT 3.1 packets).
	if len(s.Events) != 111954 || s.Width != 320 || s.Height != 240 {
		t.Fatalf("%d events on %dx%d, want 111954 on 320x240", len(s.Events), s.Width, s.Height)
	}
	// The first three and the last event, from `lz4 -dc` of the first
	// packet (bytes 2342.. of the file): 16-byte structs (int64 t, int16 x,
	// int16 y, bool on) from byte 32 of the decompressed buffer; the last
	// from the last packet.
	want := []Event{{1605537493718345, 154, 204, 0}, {1605537493718348, 149, 206, 0}, {1605537493718349, 148, 199, 1}}
	if !slices.Equal(s.Events[:3], want) {
		t.Fatalf("first events %+v, want %+v", s.Events[:3], want)
	}
	if last := s.Events[len(s.Events)-1]; last != (Event{1605537494308262, 88, 237, 1}) {
		t.Fatalf("last event %+v", last)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}

// fbEventPacket builds an EventPacket FlatBuffer by the FlatBuffers binary
// format, size-prefixed as DV writes it: [size][root offset 16]["EVTS"]
// [vtable: 6, 8, field 0 at +4][table: soffset 6, offset 4 to the vector]
// [length][16-byte events]. It is the layout of the sample's first packet
// (xxd of `lz4 -dc`): 7c390000 10000000 45565453 0000 0600 0800 0400
// 06000000 04000000 96030000 ...
func fbEventPacket(ev ...Event) []byte {
	b := []byte{0, 0, 0, 0, 16, 0, 0, 0, 'E', 'V', 'T', 'S', 0, 0, 6, 0, 8, 0, 4, 0, 6, 0, 0, 0, 4, 0, 0, 0}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(ev)))
	for _, e := range ev {
		b = binary.LittleEndian.AppendUint64(b, uint64(e.T))
		b = binary.LittleEndian.AppendUint16(b, e.X)
		b = binary.LittleEndian.AppendUint16(b, e.Y)
		b = append(b, e.P, 0, 0, 0)
	}
	binary.LittleEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

// fbIOHeader builds an IOHeader FlatBuffer (identifier "IOHE") with
// compression, dataTablePosition and infoNode, laid out as the sample's:
// root table at 24 with vtable (10, 20, +4, +12, +8) at 14.
func fbIOHeader(compression int32, dataTable int64, info string) []byte {
	b := []byte{24, 0, 0, 0, 'I', 'O', 'H', 'E', 0, 0, 0, 0, 0, 0, 10, 0, 20, 0, 4, 0, 12, 0, 8, 0, 10, 0, 0, 0}
	b = binary.LittleEndian.AppendUint32(b, uint32(compression))
	b = binary.LittleEndian.AppendUint32(b, 12) // infoNode: 24+8+12 = 44
	b = binary.LittleEndian.AppendUint64(b, uint64(dataTable))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(info)))
	return append(append(b, info...), 0)
}

const aedat4Info = `<dv version="2.0"><node name="outInfo" path="/"><node name="0" path="/0/">` +
	`<attr key="typeIdentifier" type="string">EVTS</attr><node name="info" path="/0/info/">` +
	`<attr key="sizeX" type="int">640</attr><attr key="sizeY" type="int">480</attr></node></node>` +
	`<node name="1" path="/1/"><attr key="typeIdentifier" type="string">IMUS</attr></node></node></dv>`

// aedat4File assembles a file: version line, header length and header,
// then (stream id, size, bytes) packets.
func aedat4File(header []byte, packets ...[]byte) []byte {
	b := []byte("#!AER-DAT4.0\r\n")
	b = binary.LittleEndian.AppendUint32(b, uint32(len(header)))
	b = append(b, header...)
	for _, p := range packets {
		b = append(b, p...)
	}
	return b
}

func packet(id int32, body []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(id))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(body)))
	return append(b, body...)
}

func lz4Frame(t testing.TB, b []byte) []byte {
	var out bytes.Buffer
	w := lz4.NewWriter(&out)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestReadAEDAT4HandMade(t *testing.T) {
	e1 := []Event{{100, 1, 2, 1}, {105, 639, 479, 0}}
	e2 := []Event{{105, 0, 0, 1}}
	raw := aedat4File(fbIOHeader(0, -1, aedat4Info),
		packet(0, fbEventPacket(e1...)), packet(1, []byte("IMU bytes, skipped")), packet(0, fbEventPacket(e2...)))
	s, err := ReadAEDAT(bytes.NewReader(raw), "raw.aedat4")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Events, append(slices.Clone(e1), e2...)) || s.Width != 640 || s.Height != 480 {
		t.Fatalf("uncompressed: %dx%d %+v", s.Width, s.Height, s.Events)
	}
	// The same packets LZ4-compressed, and a data table after them that
	// must not be read as packets.
	body := slices.Concat(packet(0, lz4Frame(t, fbEventPacket(e1...))), packet(0, lz4Frame(t, fbEventPacket(e2...))))
	hdr := fbIOHeader(1, 0, aedat4Info)
	start := int64(len("#!AER-DAT4.0\r\n") + 4 + len(hdr))
	hdr = fbIOHeader(1, start+int64(len(body)), aedat4Info)
	z := aedat4File(hdr, body, []byte("data table"))
	s, err = ReadAEDAT(bytes.NewReader(z), "z.aedat4")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Events, append(slices.Clone(e1), e2...)) {
		t.Fatalf("lz4: %+v", s.Events)
	}

	hl := int64(len("#!AER-DAT4.0\r\n"))
	ph := hl + 4 + int64(len(fbIOHeader(0, -1, aedat4Info))) // first packet
	cases := []struct {
		b   []byte
		off int64
		msg string
	}{
		{aedat4File(fbIOHeader(0, -1, aedat4Info))[:hl+2], hl, "truncated: the header length is missing"},
		{aedat4File(fbIOHeader(0, -1, aedat4Info))[:hl+20], hl, "truncated: the header declares"},
		{aedat4File(fbIOHeader(3, -1, aedat4Info)), hl + 4, "Zstandard-compressed packets are not read"},
		{aedat4File(fbIOHeader(9, -1, aedat4Info)), hl + 4, "unknown compression 9"},
		{aedat4File(fbIOHeader(0, -1, "<dv></dv>")), hl + 4, "no stream of events"},
		{aedat4File(fbIOHeader(0, -1, aedat4Info), packet(0, fbEventPacket(e1...))[:20]), ph, "packet of stream 0 declares"},
		{aedat4File(fbIOHeader(0, -1, aedat4Info), packet(0, fbEventPacket(Event{1, 640, 0, 0}))), ph, "event 0 at (x 640, y 0) lies outside the 640x480 sensor"},
		{aedat4File(fbIOHeader(0, -1, aedat4Info), packet(0, fbEventPacket(Event{5, 0, 0, 0}, Event{4, 0, 0, 0}))), ph, "event 1 at 4 µs comes before the previous event's 5 µs"},
		{aedat4File(fbIOHeader(1, -1, aedat4Info), packet(0, fbEventPacket(e1...))), ph, "LZ4 frame"},
		{aedat4File(fbIOHeader(0, -1, aedat4Info), packet(0, []byte("0123456789ab"))), ph, `file identifier "4567", want "EVTS"`},
	}
	for _, c := range cases {
		_, err := ReadAEDAT(bytes.NewReader(c.b), "bad.aedat4")
		wantFormatErr(t, err, "bad.aedat4", c.off, c.msg)
	}
}

func FuzzReadAEDAT4(f *testing.F) {
	f.Add(aedat4File(fbIOHeader(0, -1, aedat4Info), packet(0, fbEventPacket(Event{100, 1, 2, 1}, Event{105, 639, 479, 0})), packet(1, []byte("imu"))))
	f.Add(aedat4File(fbIOHeader(1, -1, aedat4Info), packet(0, lz4Frame(f, fbEventPacket(Event{100, 1, 2, 1})))))
	if b := readSampleOptional("sample.aedat4"); b != nil {
		f.Add(b[:20000]) // the header and the first packets: a seed small enough to mutate
	}
	f.Fuzz(func(t *testing.T, b []byte) { fuzzCheck(t, b, ReadAEDAT) })
}
