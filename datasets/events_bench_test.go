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
