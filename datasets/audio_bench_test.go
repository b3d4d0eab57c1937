package datasets

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// fsddBenchFiles reads the first 300 FSDD recordings (in file-name order)
// into memory, skipping b when the data is absent.
func fsddBenchFiles(b *testing.B) (raws [][]byte, total int64) {
	dir := sharedData(b, "fsdd")
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range entries[:min(300, len(entries))] {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		raws = append(raws, raw)
		total += int64(len(raw))
	}
	return raws, total
}

// BenchmarkFSDDReadFiles is the floor: reading 300 FSDD files from disk
// (the page cache, after the first round).
func BenchmarkFSDDReadFiles(b *testing.B) {
	dir := sharedData(b, "fsdd")
	entries, _ := os.ReadDir(dir)
	entries = entries[:min(300, len(entries))]
	var bytesRead int64
	b.ReportAllocs()
	for b.Loop() {
		for _, e := range entries {
			raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				b.Fatal(err)
			}
			bytesRead += int64(len(raw))
		}
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(bytesRead)/s/1e6, "MB/s")
	b.ReportMetric(float64(b.N*len(entries))/s, "samples/s")
}

// BenchmarkFSDDDecode turns 300 FSDD recordings held in memory into spike
// trains: WAV decoding, the 40-band mel filterbank (25 ms frames, 10 ms
// hop, 256-point FFT), log and normalisation, and the threshold-crossing
// code over 80 steps, the work of LoadFSDD and Fill.
func BenchmarkFSDDDecode(b *testing.B) {
	raws, total := fsddBenchFiles(b)
	cfg := AudioConfig{}.withDefaults(FSDDRate)
	fb, err := NewFilterbank(cfg.Filterbank)
	if err != nil {
		b.Fatal(err)
	}
	bands := fb.Config().Bands
	dst := make([]float32, cfg.Steps*2*bands)
	b.ReportAllocs()
	for b.Loop() {
		for i, raw := range raws {
			x, _, err := ReadWAV(bytes.NewReader(raw), "bench")
			if err != nil {
				b.Fatal(i, err)
			}
			f := AudioFeatures(fb, x, cfg.Steps, cfg.Floor)
			n := len(f) / bands
			EncodeAudio(AudioCrossing, dst[:n*2*bands], 2*bands, 0, f, n, bands, cfg.Threshold, 1, nil)
		}
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(total)*float64(b.N)/s/1e6, "MB/s")
	b.ReportMetric(float64(b.N*len(raws))/s, "samples/s")
}

// BenchmarkWAVDecode is the WAV decoding alone of the same 300 recordings.
func BenchmarkWAVDecode(b *testing.B) {
	raws, total := fsddBenchFiles(b)
	b.ReportAllocs()
	for b.Loop() {
		for _, raw := range raws {
			if _, _, err := ReadWAV(bytes.NewReader(raw), "bench"); err != nil {
				b.Fatal(err)
			}
		}
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(total)*float64(b.N)/s/1e6, "MB/s")
	b.ReportMetric(float64(b.N*len(raws))/s, "samples/s")
}
