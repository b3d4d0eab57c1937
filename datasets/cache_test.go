package datasets

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// counted returns a conversion of 6 values [2, 3] that counts its calls.
func counted(n *int, v float32) func() ([]float32, []int, error) {
	return func() ([]float32, []int, error) {
		*n++
		return []float32{v, 1, 2, 3, 4, 5}, []int{2, 3}, nil
	}
}

// testCache returns a source file holding "events" and an empty cache, in
// a temporary folder.
func testCache(t *testing.T) (string, *Cache) {
	dir := t.TempDir()
	src := filepath.Join(dir, "a.bin")
	if err := os.WriteFile(src, []byte("events"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := NewCache(filepath.Join(dir, "cache"))
	if err != nil {
		t.Fatal(err)
	}
	return src, c
}

func TestCacheHitMiss(t *testing.T) {
	src, c := testCache(t)
	calls := 0
	load := func(transform string, v float32) []float32 {
		t.Helper()
		x, shape, err := c.Load(src, transform, counted(&calls, v))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(shape, []int{2, 3}) {
			t.Fatalf("shape %v", shape)
		}
		return x
	}
	first := load("frames 2", 0.5)
	if again := load("frames 2", 9); !slices.Equal(first, again) || calls != 1 {
		t.Errorf("second load: %v after %d conversions, want the first's %v from the cache", again, calls, first)
	}
	if load("frames 3", 7)[0] != 7 || calls != 2 {
		t.Errorf("another transform did not convert again (%d conversions)", calls)
	}
	// A source modified (its time changed) is a new key.
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(src, later, later); err != nil {
		t.Fatal(err)
	}
	if load("frames 2", 8)[0] != 8 || calls != 3 {
		t.Errorf("a modified source did not convert again (%d conversions)", calls)
	}
	if s := c.Stats(); s != (CacheStats{Hits: 1, Misses: 3}) {
		t.Errorf("stats %+v, want 1 hit and 3 misses", s)
	}
	// Keyed by content: a touch changes nothing, new bytes do.
	c.HashSource = true
	load("frames 2", 1)
	if err := os.Chtimes(src, time.Now(), time.Now()); err != nil {
		t.Fatal(err)
	}
	load("frames 2", 1)
	if calls != 4 {
		t.Errorf("keyed by content, a touched source converted again (%d conversions, want 4)", calls)
	}
	if err := os.WriteFile(src, []byte("other events"), 0o644); err != nil {
		t.Fatal(err)
	}
	load("frames 2", 1)
	if calls != 5 {
		t.Errorf("keyed by content, a changed source did not convert again (%d conversions, want 5)", calls)
	}
	// Nothing but entries in the folder: no temporary file left behind.
	ents, _ := os.ReadDir(c.Dir)
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".sgt") || strings.HasPrefix(e.Name(), ".tmp") {
			t.Errorf("cache folder holds %s", e.Name())
		}
	}
	if len(ents) != 5 {
		t.Errorf("%d entries, want 5 (one per conversion)", len(ents))
	}
}

// TestCacheCorrupt damages an entry in each way the reader checks: each is
// reported as a *FormatError naming the entry's file and offset, and the
// entry is made again and then read.
func TestCacheCorrupt(t *testing.T) {
	src, c := testCache(t)
	var reports []error
	c.Report = func(err error) { reports = append(reports, err) }
	calls := 0
	key, _ := c.Key(src, "T")
	path := c.Path(key)
	otherKey, _ := c.Key(src, "U")
	for _, d := range []struct {
		name   string
		damage func(b []byte) []byte
		msg    string
	}{
		{"flipped value", func(b []byte) []byte { b[len(b)-40] ^= 1; return b }, "checksum"},
		{"truncated", func(b []byte) []byte { return b[:len(b)-7] }, "checksum"},
		{"tiny", func(b []byte) []byte { return b[:10] }, "truncated: 10 bytes"},
		{"magic", func(b []byte) []byte { b[0] = 'X'; return b }, "magic"},
		{"another key", func([]byte) []byte {
			if err := writeEntry(c.Dir, path, otherKey, []float32{1}, []int{1}, true); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(path)
			return b
		}, "another key"},
	} {
		if _, _, err := c.Load(src, "T", counted(&calls, 3)); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, d.damage(b), 0o644); err != nil {
			t.Fatal(err)
		}
		before := calls
		reports = nil
		x, _, err := c.Load(src, "T", counted(&calls, 3))
		if err != nil || x[0] != 3 || calls != before+1 {
			t.Fatalf("%s: %v, %v after %d conversions", d.name, x, err, calls-before)
		}
		var fe *FormatError
		if len(reports) != 1 || !errors.As(reports[0], &fe) || fe.File != path || !strings.Contains(fe.Msg, d.msg) {
			t.Errorf("%s: reports %v, want one *FormatError on %s saying %q", d.name, reports, path, d.msg)
		}
		if _, _, err := c.Load(src, "T", counted(&calls, 3)); err != nil || calls != before+1 {
			t.Errorf("%s: the entry made again is not read (%v, %d conversions)", d.name, err, calls-before)
		}
	}
	if s := c.Stats(); s.Corrupt != 5 {
		t.Errorf("stats %+v, want 5 corrupt", s)
	}
}

func TestCacheErrors(t *testing.T) {
	src, c := testCache(t)
	dir := filepath.Dir(src)
	if _, _, err := c.Load(filepath.Join(dir, "missing.bin"), "T", nil); err == nil || !strings.Contains(err.Error(), "missing.bin") {
		t.Errorf("missing source: %v", err)
	}
	bad := errors.New("decoding failed")
	if _, _, err := c.Load(src, "T", func() ([]float32, []int, error) { return nil, nil, bad }); !errors.Is(err, bad) {
		t.Errorf("failed conversion: %v", err)
	}
	if _, _, err := c.Load(src, "T", func() ([]float32, []int, error) { return []float32{1, 2}, []int{3}, nil }); err == nil ||
		!strings.Contains(err.Error(), "gave 2 values for the shape [3]") {
		t.Errorf("conversion of the wrong length: %v", err)
	}
	key, _ := c.Key(src, "T")
	if _, err := os.Stat(c.Path(key)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed conversion left an entry: %v", err)
	}
	if d, err := DefaultCacheDir(); err == nil && !strings.HasSuffix(d, filepath.Join("spikegrad", "cache")) {
		t.Errorf("DefaultCacheDir = %s", d)
	}
}

// nmnistFiles writes n N-MNIST files of random events (5 bytes each:
// x, y, polarity<<7 | t>>16, t>>8, t; N-MNIST's format) and returns their
// EventSet, labels i%10.
func nmnistFiles(t testing.TB, n, events int) *EventSet {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	set := &EventSet{Name: "nmnist synthetic", Classes: 10, Width: NMNISTWidth, Height: NMNISTHeight, Read: ReadNMNISTFile}
	for i := range n {
		b := make([]byte, 0, 5*events)
		for e := range events {
			ts := e * 50 // µs, increasing
			b = append(b, byte(rng.IntN(34)), byte(rng.IntN(34)), byte(rng.IntN(2))<<7|byte(ts>>16), byte(ts>>8), byte(ts))
		}
		p := filepath.Join(dir, fmt.Sprintf("%05d.bin", i))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		set.Samples = append(set.Samples, EventSample{Path: p, Label: i % 10})
	}
	return set
}

// TestEventFramesCached serves event files as frames through a Loader
// twice: with a cache, the second epoch converts nothing and gives the
// same batches bit for bit as the first and as the uncached set.
func TestEventFramesCached(t *testing.T) {
	set := nmnistFiles(t, 10, 200)
	fc := FrameConfig{TimeBins: 5}
	cache, err := NewCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cached, err := EventFrames(set, Downsample{Factor: 2}, fc, cache)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := EventFrames(set, Downsample{Factor: 2}, fc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if steps, f := cached.Shape(); steps != 5 || f != 2*17*17 {
		t.Fatalf("shape %d, %d, want 5 bins of 2 polarities x 17 x 17 (34 halved)", steps, f)
	}
	epoch := func(ds Dataset) []float32 {
		l, err := NewLoader(ds, LoaderConfig{BatchSize: 4}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ep := l.Epoch(context.Background())
		defer ep.Close()
		var all []float32
		for ep.Next() {
			all = append(all, ep.Batch().X...)
		}
		if err := ep.Err(); err != nil {
			t.Fatal(err)
		}
		return all
	}
	e1 := epoch(cached)
	if s := cache.Stats(); s.Misses != 10 || s.Hits != 0 {
		t.Errorf("epoch 1: %+v, want 10 misses", s)
	}
	e2 := epoch(cached)
	if s := cache.Stats(); s.Misses != 10 || s.Hits != 10 {
		t.Errorf("epoch 2: %+v, want 10 hits and no new miss", s)
	}
	if !slices.Equal(e1, e2) || !slices.Equal(e1, epoch(plain)) || !slices.ContainsFunc(e1, func(v float32) bool { return v != 0 }) {
		t.Error("cached epochs differ from each other or from the uncached set (or hold no event)")
	}
	// Another transform is another key.
	other, _ := EventFrames(set, Downsample{Factor: 4}, fc, cache)
	if other.Transform == cached.Transform {
		t.Errorf("two downsamplings have one description %q", other.Transform)
	}
	if DescribeTransform(Compose{Denoise{FilterTime: 5}, FlipLR{P: 1}}) != "Compose[datasets.Denoise{FilterTime:5 Diagonals:false}, datasets.FlipLR{P:1}]" {
		t.Errorf("DescribeTransform(Compose) = %s", DescribeTransform(Compose{Denoise{FilterTime: 5}, FlipLR{P: 1}}))
	}
}

// BenchmarkCacheEpoch measures one epoch over 200 samples of the N-MNIST
// subset (../shared/data/nmnist-small) cut into 10 time bins, as a Loader
// serves them in batches of 32, without a transform and after Denoise (10
// ms): "decode" converts every file at every epoch (no cache), "epoch1"
// with an empty cache (converting and writing each entry; "epoch1-nosync"
// with Cache.NoSync), "epoch2" with
// the cache filled (reading and verifying the entries). Run with -count to
// interleave them.
func BenchmarkCacheEpoch(b *testing.B) {
	full, err := NMNIST(sharedData(b, "nmnist-small"), Train)
	if err != nil {
		b.Fatal(err)
	}
	set := *full
	set.Samples = set.Samples[:200]
	fc := FrameConfig{TimeBins: 10}
	var tr Transform
	run := func(name string, cache func(b *testing.B) *Cache) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				c := cache(b)
				ds, err := EventFrames(&set, tr, fc, c)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				benchEpoch(b, ds)
			}
			b.ReportMetric(float64(b.N*len(set.Samples))/b.Elapsed().Seconds(), "samples/s")
		})
	}
	for _, tr = range []Transform{nil, Denoise{FilterTime: 10000}} {
		name := "none/"
		if tr != nil {
			name = "denoise/"
		}
		warm, err := NewCache(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		run(name+"decode", func(*testing.B) *Cache { return nil })
		run(name+"epoch1", freshCache)
		run(name+"epoch1-nosync", func(b *testing.B) *Cache {
			c := freshCache(b)
			c.NoSync = true
			return c
		})
		run(name+"epoch2", func(b *testing.B) *Cache {
			if warm.Stats().Misses == 0 {
				ds, _ := EventFrames(&set, tr, fc, warm)
				benchEpoch(b, ds)
			}
			return warm
		})
	}
}

// FuzzCacheEntry reads arbitrary bytes as a cache entry: an error or a
// tensor whose length is its shape's product, never a panic.
func FuzzCacheEntry(f *testing.F) {
	dir := f.TempDir()
	for i, data := range [][]float32{{1, 2, 3, 4, 5, 6}, {0.5, -1, 2, 3, 4, 5}} {
		p := filepath.Join(dir, fmt.Sprint(i))
		if err := writeEntry(dir, p, "k", data, []int{2, 3}, false); err != nil {
			f.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "e.sgt")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		data, shape, err := readEntry(p, "k")
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) || fe.File != p {
				t.Fatalf("error %v is not a *FormatError naming the entry", err)
			}
			return
		}
		n := 1
		for _, d := range shape {
			n *= d
		}
		if n != len(data) {
			t.Fatalf("shape %v for %d values", shape, len(data))
		}
	})
}

// BenchmarkCacheEpochAudio measures one epoch over 200 recordings of the
// Free Spoken Digit Dataset (../shared/data/fsdd) turned into 80 frames of
// 40 mel-band log energies (AudioFeatures, as NewAudioSet computes them),
// served by a Loader in batches of 32: "decode" reads and transforms every
// file at every epoch, "epoch1" with an empty cache, "epoch2" with the
// cache filled.
func BenchmarkCacheEpochAudio(b *testing.B) {
	dir := sharedData(b, "fsdd")
	ents, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	var paths []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".wav") && len(paths) < 200 {
			paths = append(paths, filepath.Join(dir, e.Name()))
		}
	}
	fb, err := NewFilterbank(FilterbankConfig{Rate: FSDDRate})
	if err != nil {
		b.Fatal(err)
	}
	set := func(c *Cache) *CachedSet {
		return &CachedSet{Sources: paths, Labels: make([]int, len(paths)), Steps: 80, Features: fb.Config().Bands, Cache: c,
			Transform: fmt.Sprintf("mel log energies %+v, 80 steps, floor 1e-6", fb.Config()),
			Convert: func(i int) ([]float32, error) {
				x, _, err := ReadWAVFile(paths[i])
				if err != nil {
					return nil, err
				}
				f := AudioFeatures(fb, x, 80, 1e-6) // [frames <= 80, bands]: padded to 80 frames
				return append(f, make([]float32, 80*fb.Config().Bands-len(f))...), nil
			}}
	}
	warm, err := NewCache(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	benchEpoch(b, set(warm))
	for _, c := range []struct {
		name  string
		cache func(b *testing.B) *Cache
	}{
		{"decode", func(*testing.B) *Cache { return nil }},
		{"epoch1", freshCache},
		{"epoch2", func(*testing.B) *Cache { return warm }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				ds := set(c.cache(b))
				b.StartTimer()
				benchEpoch(b, ds)
			}
			b.ReportMetric(float64(b.N*len(paths))/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// benchEpoch reads one epoch of ds through a Loader in batches of 32.
func benchEpoch(b *testing.B, ds Dataset) {
	l, err := NewLoader(ds, LoaderConfig{BatchSize: 32}, nil)
	if err != nil {
		b.Fatal(err)
	}
	ep := l.Epoch(context.Background())
	for ep.Next() {
	}
	if err := ep.Close(); err != nil {
		b.Fatal(err)
	}
}

// freshCache returns an empty cache in a new folder.
func freshCache(b *testing.B) *Cache {
	c, err := NewCache(filepath.Join(b.TempDir(), fmt.Sprint(rand.Int64())))
	if err != nil {
		b.Fatal(err)
	}
	return c
}
