package datasets

import (
	"context"
	"errors"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// countDS has n samples of 2 features: sample i is (i, -i) with label i%7.
// Fill fails for index failAt (if >= 0) and panics for panicAt.
type countDS struct {
	n, failAt, panicAt int
}

func (d *countDS) Len() int                     { return d.n }
func (d *countDS) Shape() (steps, features int) { return 1, 2 }
func (d *countDS) Fill(b *Batch, idx []int) error {
	b.check("countDS.Fill", 1, len(idx), 2)
	for r, i := range idx {
		if i == d.failAt {
			return errors.New("sample 25 is broken")
		}
		if i == d.panicAt {
			panic("boom")
		}
		b.X[2*r], b.X[2*r+1] = float32(i), -float32(i)
		b.Labels[r] = i % 7
	}
	return nil
}

func TestLoaderCoversEpoch(t *testing.T) {
	ds := &countDS{n: 103, failAt: -1, panicAt: -1}
	for _, c := range []struct {
		shuffle, dropLast bool
		batches, last     int
	}{
		{false, false, 11, 3}, {false, true, 10, 10}, {true, false, 11, 3}, {true, true, 10, 10},
	} {
		l, err := NewLoader(ds, LoaderConfig{BatchSize: 10, Shuffle: c.shuffle, DropLast: c.dropLast}, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		if l.NumBatches() != c.batches {
			t.Errorf("%+v: NumBatches %d, want %d", c, l.NumBatches(), c.batches)
		}
		ep := l.Epoch(context.Background())
		var seen []int
		nb := 0
		for ep.Next() {
			b := ep.Batch()
			nb++
			for r, i := range b.Index {
				if b.X[2*r] != float32(i) || b.X[2*r+1] != -float32(i) || b.Labels[r] != i%7 {
					t.Fatalf("row %d holds %v, label %d, for sample %d", r, b.X[2*r:2*r+2], b.Labels[r], i)
				}
			}
			seen = append(seen, b.Index...)
			if nb == c.batches && b.Size != c.last {
				t.Errorf("%+v: last batch has %d samples, want %d", c, b.Size, c.last)
			}
		}
		if err := ep.Close(); err != nil {
			t.Fatal(err)
		}
		if nb != c.batches {
			t.Errorf("%+v: %d batches, want %d", c, nb, c.batches)
		}
		ordered := slices.IsSorted(seen)
		slices.Sort(seen)
		seen = slices.Compact(seen)
		if len(seen) != 10*c.batches-10+c.last {
			t.Errorf("%+v: %d distinct samples", c, len(seen))
		}
		if ordered == c.shuffle {
			t.Errorf("%+v: order sorted = %v", c, ordered)
		}
	}
	if _, err := NewLoader(ds, LoaderConfig{BatchSize: 0}, nil); err == nil {
		t.Error("batch size 0: no error")
	}
	if _, err := NewLoader(ds, LoaderConfig{BatchSize: 1, Shuffle: true}, nil); err == nil {
		t.Error("Shuffle without rng: no error")
	}
}

// epochDigest runs epochs of a rate-coded, shuffled loader and hashes every
// batch; a slow consumer sleeps between batches.
func epochDigest(t *testing.T, seed uint64, slow bool) uint64 {
	t.Helper()
	dims, pixels, labels := fixtureImages()
	imgs, err := NewImageSet(&IDX{Dims: dims, Data: pixels}, &IDX{Dims: []int{3}, Data: labels}, ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// 3 images repeated into 60 samples through a Subset.
	idx := make([]int, 60)
	for i := range idx {
		idx[i] = i % 3
	}
	ds, err := Encoded(&Subset{Base: imgs, Index: idx}, 8, RateEncoder{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewLoader(ds, LoaderConfig{BatchSize: 7, Shuffle: true, Prefetch: 1}, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		t.Fatal(err)
	}
	h := fnv.New64a()
	var buf [4]byte
	for range 3 {
		ep := l.Epoch(context.Background())
		for ep.Next() {
			b := ep.Batch()
			if b.Steps != 8 || b.Features != 4 {
				t.Fatalf("batch shape [%d, %d, %d]", b.Steps, b.Size, b.Features)
			}
			for _, v := range b.X {
				u := math.Float32bits(v)
				buf = [4]byte{byte(u), byte(u >> 8), byte(u >> 16), byte(u >> 24)}
				h.Write(buf[:])
			}
			for r := range b.Size {
				h.Write([]byte{byte(b.Index[r]), byte(b.Labels[r])})
			}
			if slow {
				time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
			}
		}
		if err := ep.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return h.Sum64()
}

func TestLoaderDeterministic(t *testing.T) {
	a, b, c := epochDigest(t, 42, false), epochDigest(t, 42, true), epochDigest(t, 43, false)
	if a != b {
		t.Error("same seed, fast and slow consumers saw different batches")
	}
	if a == c {
		t.Error("different seeds, same batches")
	}
}

func waitGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, want <= %d:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLoaderNoLeak(t *testing.T) {
	base := runtime.NumGoroutine()
	ds := &countDS{n: 1000, failAt: -1, panicAt: -1}
	l, err := NewLoader(ds, LoaderConfig{BatchSize: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Closed after two batches.
	ep := l.Epoch(context.Background())
	ep.Next()
	ep.Next()
	if err := ep.Close(); err != nil {
		t.Errorf("Close after a partial epoch: %v", err)
	}
	ep.Close() // twice is fine
	// Abandoned: the next Epoch closes it.
	ep = l.Epoch(context.Background())
	ep.Next()
	ep = l.Epoch(context.Background())
	// Cancelled through the context.
	ctx, cancel := context.WithCancel(context.Background())
	ep.Close()
	ep = l.Epoch(ctx)
	ep.Next()
	cancel()
	for ep.Next() {
	}
	if err := ep.Err(); !errors.Is(err, context.Canceled) {
		t.Errorf("Err after cancel = %v, want context.Canceled", err)
	}
	if err := ep.Close(); !errors.Is(err, context.Canceled) {
		t.Errorf("Close after cancel = %v, want context.Canceled", err)
	}
	// Read to the end, then closed.
	ep = l.Epoch(context.Background())
	for ep.Next() {
	}
	ep.Close()
	waitGoroutines(t, base)
}

func TestLoaderFillErrors(t *testing.T) {
	base := runtime.NumGoroutine()
	for _, c := range []struct {
		ds   *countDS
		want string
	}{
		{&countDS{n: 50, failAt: 25, panicAt: -1}, "sample 25 is broken"},
		{&countDS{n: 50, failAt: -1, panicAt: 33}, "Fill panicked: boom"},
	} {
		l, err := NewLoader(c.ds, LoaderConfig{BatchSize: 10}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ep := l.Epoch(context.Background())
		n := 0
		for ep.Next() {
			n++
		}
		if err := ep.Err(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Err = %v, want %q", err, c.want)
		}
		if n != 2 && n != 3 {
			t.Errorf("%d batches before the error, want the 2 or 3 before the broken sample", n)
		}
		ep.Close()
	}
	waitGoroutines(t, base)
}

func TestLoaderAllocs(t *testing.T) {
	// A whole epoch of 250 batches allocates a fixed set of objects (the
	// order, the channels, the goroutine), none per batch.
	ds := &countDS{n: 1000, failAt: -1, panicAt: -1}
	l, err := NewLoader(ds, LoaderConfig{BatchSize: 4, Shuffle: true}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	run := func() {
		ep := l.Epoch(context.Background())
		for ep.Next() {
		}
		ep.Close()
	}
	run()
	if n := testing.AllocsPerRun(5, run); n > 40 {
		t.Errorf("%v allocations per epoch of 250 batches, want <= 40", n)
	} else {
		t.Logf("%v allocations per epoch of 250 batches", n)
	}
}
