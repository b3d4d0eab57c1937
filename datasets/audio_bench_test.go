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

// shdBenchFile writes an SHD-layout file of 1000 samples with 0 to 8000
// spikes each (4000 on average; float32 times, uint16 units) for the
// benchmarks, and returns its path and size.
func shdBenchFile(b *testing.B) (string, int64) {
	path := filepath.Join(b.TempDir(), "shd_bench.h5")
	writeSHD(b, shdSpec{Path: path, TimesDtype: "float32", Chunked: true, Random: &shdRandom{N: 1000, MaxSpikes: 8000, Seed: 1}})
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return path, st.Size()
}

// BenchmarkSHDReadBytes is the floor: reading the file's bytes.
func BenchmarkSHDReadBytes(b *testing.B) {
	path, size := shdBenchFile(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := os.ReadFile(path); err != nil {
			b.Fatal(err)
		}
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(size)*float64(b.N)/s/1e6, "MB/s")
	b.ReportMetric(float64(1000*b.N)/s, "samples/s")
}

// BenchmarkReadSHD decodes the whole file with ReadSHD.
func BenchmarkReadSHD(b *testing.B) {
	path, size := shdBenchFile(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadSHD(path); err != nil {
			b.Fatal(err)
		}
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(size)*float64(b.N)/s/1e6, "MB/s")
	b.ReportMetric(float64(1000*b.N)/s, "samples/s")
}

// BenchmarkSpikeAudioSetFill bins batches of 32 samples of the file into
// [100, 32, 700] tensors (10 ms steps).
func BenchmarkSpikeAudioSetFill(b *testing.B) {
	path, _ := shdBenchFile(b)
	sa, err := ReadSHD(path)
	if err != nil {
		b.Fatal(err)
	}
	set, _ := NewSpikeAudioSet(sa, SpikeBinning{Steps: 100, DT: 0.01})
	batch := NewBatch(100, 32, 700)
	idx := make([]int, 32)
	next := 0
	b.ReportAllocs()
	for b.Loop() {
		for i := range idx {
			idx[i] = next % 1000
			next++
		}
		if err := set.Fill(batch, idx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(32*b.N)/b.Elapsed().Seconds(), "samples/s")
}
