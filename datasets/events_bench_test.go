package datasets

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// benchEvents measures a reader three ways on the same file: "read" is
// io.ReadAll of the file (the speed of the disk, or of the page cache when
// the file is cached), "decode" decodes the bytes already in memory (the reader minus its io.ReadAll), "file"
// does both through the reader's File function. Each reports MB/s of the
// encoded bytes; decode and file also report events/s.
func benchEvents(b *testing.B, path string, dec func(b []byte, name string) (*EventStream, error), file func(string) (*EventStream, error)) {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	s, err := dec(data, path)
	if err != nil {
		b.Fatal(err)
	}
	n := float64(len(s.Events))
	b.Run("read", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadAll(f); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := dec(data, path); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(n*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("file", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := file(path); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(n*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}

func BenchmarkReadNMNIST(b *testing.B) {
	benchEvents(b, filepath.Join(sharedData(b, "event-samples"), "sample_nmnist.bin"), decodeNMNIST, ReadNMNISTFile)
}

func BenchmarkReadDAT(b *testing.B) {
	benchEvents(b, filepath.Join(sharedData(b, "event-samples"), "sample_ncars.dat"), decodeDAT, ReadDATFile)
}

// writeBenchFile writes b to a file in a temporary folder and returns its path.
func writeBenchFile(b *testing.B, name string, data []byte) string {
	p := filepath.Join(b.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkReadEVT2 decodes a synthetic EVT 2.0 stream of 2^20 events
// (there is no EVT 2.0 sample file): 16 events per EVT_TIME_HIGH word, at
// pixels spread over a 640x480 sensor.
func BenchmarkReadEVT2(b *testing.B) {
	var words []uint32
	for i := range 1 << 20 {
		if i%16 == 0 {
			words = append(words, 0x80000000|uint32(i/16))
		}
		x, y := uint32(i*7919%640), uint32(i*104729%480)
		words = append(words, uint32(i&1)<<28|uint32(i%16*4)<<22|x<<11|y)
	}
	p := writeBenchFile(b, "bench.raw", evt2Words(evt2Header, words...))
	benchEvents(b, p, decodeEVT, ReadEVTFile)
}

// BenchmarkReadEVT3 decodes a synthetic EVT 3.0 stream of about 2^20
// events on a 1280x720 sensor: per time step one EVT_TIME_LOW, one
// EVT_ADDR_Y, two single EVT_ADDR_X events and a VECT_BASE_X with a VECT_12
// of 6 events (the vectors are what make EVT 3.0 compact).
func BenchmarkReadEVT3(b *testing.B) {
	var words []uint16
	for i := range 1 << 17 {
		if i%4096 == 0 {
			words = append(words, 0x8000|uint16(i/4096))
		}
		y := uint16(i * 104729 % 720)
		x := uint16(i * 7919 % 1200)
		words = append(words, 0x6000|uint16(i%4096), y, 0x2000|x, 0x2800|(x+1), 0x3000|x, 0x4000|0x0A5A)
	}
	p := writeBenchFile(b, "bench.raw", evt3Words(evt3Header, words...))
	benchEvents(b, p, decodeEVT, ReadEVTFile)
}

// BenchmarkReadAEDAT2 decodes a synthetic AEDAT 2.0 DVS128 recording of
// 2^20 events (the AEDAT 2.0 sample has a header only).
func BenchmarkReadAEDAT2(b *testing.B) {
	var pairs []uint32
	for i := range 1 << 20 {
		pairs = append(pairs, uint32(i*104729%128)<<8|uint32(i*7919%128)<<1|uint32(i&1), uint32(i))
	}
	p := writeBenchFile(b, "bench.aedat", aedat2([]byte("#!AER-DAT2.0\r\n# AEChip: DVS128\r\n"), pairs...))
	benchEvents(b, p, decodeAEDAT, ReadAEDATFile)
}

// BenchmarkReadAEDAT3 decodes a synthetic AEDAT 3.1 DVS128 recording of
// 2^20 polarity events in packets of 4096, the shape of DVS128 Gesture's
// files.
func BenchmarkReadAEDAT3(b *testing.B) {
	var packets [][]byte
	for k := range 256 {
		var ev []uint32
		for j := range 4096 {
			i := k*4096 + j
			ev = append(ev, pol(uint32(i*7919%128), uint32(i*104729%128), uint32(i&1), 1), uint32(i))
		}
		packets = append(packets, aedat3Packet(1, 8, 0, ev...))
	}
	p := writeBenchFile(b, "bench.aedat", cat3(packets...))
	benchEvents(b, p, decodeAEDAT, ReadAEDATFile)
}

// BenchmarkReadAEDAT4 decodes the AEDAT 4.0 sample (LZ4-compressed
// packets, 111954 events).
func BenchmarkReadAEDAT4(b *testing.B) {
	benchEvents(b, filepath.Join(sharedData(b, "event-samples"), "sample.aedat4"), decodeAEDAT, ReadAEDATFile)
}
