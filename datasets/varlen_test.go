package datasets

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// seqs returns n sequences of 2 features: sample i has 1 + (7*i)%11 steps
// and value (i, t) at step t, label i%3.
func seqs(t *testing.T, n int) *Sequences {
	t.Helper()
	x := make([][]float32, n)
	labels := make([]int, n)
	for i := range x {
		L := 1 + (7*i)%11
		for s := range L {
			x[i] = append(x[i], float32(i), float32(s))
		}
		labels[i] = i % 3
	}
	s, err := NewSequences(x, labels, 2)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// dirtyFill is a VarLen dataset whose Fill writes NaN over the padding, so
// that only the Loader's zeroing can clear it.
type dirtyFill struct{ *Sequences }

func (d dirtyFill) Fill(b *Batch, idx []int) error {
	for i := range b.X {
		b.X[i] = float32(math.NaN())
	}
	F := d.Features
	for r, i := range idx {
		for t := range d.SampleSteps(i) {
			copy(b.X[(t*b.Size+r)*F:(t*b.Size+r+1)*F], d.X[i][t*F:(t+1)*F])
		}
		b.Labels[r] = d.Labels[i]
	}
	return nil
}

func TestLoaderVarLen(t *testing.T) {
	s := seqs(t, 40)
	if steps, f := s.Shape(); steps != 11 || f != 2 {
		t.Fatalf("Shape = %d, %d, want 11 (1 + 10, the largest (7i)%%11), 2", steps, f)
	}
	for _, ds := range []Dataset{s, dirtyFill{s}, &Subset{Base: s, Index: []int{3, 5, 7, 9, 11, 13}}} {
		l, err := NewLoader(ds, LoaderConfig{BatchSize: 4, Shuffle: true}, rand.New(rand.NewPCG(2, 3)))
		if err != nil {
			t.Fatal(err)
		}
		ep := l.Epoch(context.Background())
		seen := 0
		for ep.Next() {
			b := ep.Batch()
			longest := 0
			for r := range b.Size {
				longest = max(longest, ds.(VarLen).SampleSteps(b.Index[r]))
			}
			if b.Steps != longest {
				t.Errorf("%T: batch of %v has %d steps, want its longest sample's %d", ds, b.Index, b.Steps, longest)
			}
			mask := b.Mask(nil)
			for r := range b.Size {
				i := b.Index[r]
				if s, ok := ds.(*Subset); ok {
					i = s.Index[i]
				}
				L := len(s.X[i]) / 2
				if b.Len(r) != L {
					t.Errorf("%T: sample %d: Len %d, want %d", ds, i, b.Len(r), L)
				}
				for st := range b.Steps {
					got := b.X[(st*b.Size+r)*2 : (st*b.Size+r+1)*2]
					want, m := []float32{0, 0}, float32(0)
					if st < L {
						want, m = []float32{float32(i), float32(st)}, 1
					}
					if !slices.Equal(got, want) || mask[st*b.Size+r] != m {
						t.Fatalf("%T: sample %d step %d: %v mask %v, want %v mask %v", ds, i, st, got, mask[st*b.Size+r], want, m)
					}
				}
			}
			if b.Padded() != (len(b.Lengths) > 0) || b.Padded() && !slices.ContainsFunc(b.Lengths, func(l int) bool { return l < b.Steps }) {
				t.Errorf("Lengths %v for a batch of %d steps", b.Lengths, b.Steps)
			}
			seen += b.Size
		}
		if err := ep.Close(); err != nil {
			t.Fatal(err)
		}
		if seen != ds.Len() {
			t.Errorf("%T: %d samples served, want %d", ds, seen, ds.Len())
		}
	}
}

// A batch whose samples all have the batch's length carries no Lengths:
// it is a fixed-length batch; but a batch of one step is padded to two.
func TestLoaderVarLenFullBatch(t *testing.T) {
	s, err := NewSequences([][]float32{{1, 2, 3}, {4, 5, 6}, {7}}, []int{0, 1, 0}, 1)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := NewLoader(s, LoaderConfig{BatchSize: 2}, nil)
	ep := l.Epoch(context.Background())
	defer ep.Close()
	want := []struct {
		steps   int
		lengths []int
	}{{3, nil}, {2, []int{1}}} // a batch of one step is a static input: padded to 2
	for k := 0; ep.Next(); k++ {
		b := ep.Batch()
		if b.Steps != want[k].steps || !slices.Equal(b.Lengths, want[k].lengths) || b.Padded() != (want[k].lengths != nil) {
			t.Errorf("batch %d: %d steps, lengths %v, want %d and %v", k, b.Steps, b.Lengths, want[k].steps, want[k].lengths)
		}
		if k == 1 && (b.X[0] != 7 || b.X[1] != 0) {
			t.Errorf("batch of one sample of one step: X %v, want [7 0]", b.X)
		}
	}
}

func TestLoaderBucket(t *testing.T) {
	s := seqs(t, 64)
	pad := func(bucket int) (int, []int) {
		l, err := NewLoader(s, LoaderConfig{BatchSize: 4, Shuffle: true, Bucket: bucket}, rand.New(rand.NewPCG(5, 6)))
		if err != nil {
			t.Fatal(err)
		}
		ep := l.Epoch(context.Background())
		defer ep.Close()
		padding := 0
		var order []int
		for ep.Next() {
			b := ep.Batch()
			for r := range b.Size {
				padding += b.Steps - b.Len(r)
			}
			order = append(order, b.Index...)
		}
		return padding, order
	}
	p0, o0 := pad(0)
	p4, o4 := pad(4)
	p4b, o4b := pad(4)
	if p4 != p4b || !slices.Equal(o4, o4b) {
		t.Error("bucketing with one seed gave two orders")
	}
	slices.Sort(o0)
	slices.Sort(o4)
	if !slices.Equal(o0, o4) || len(o4) != 64 {
		t.Errorf("bucketing served %d samples, not each of the 64 once", len(o4))
	}
	// Runs of 16 samples sorted by length: a batch spans at most a few
	// lengths of the 11, so the padding must fall well below the
	// unbucketed order's.
	if p4 >= p0/2 {
		t.Errorf("padding %d steps with Bucket 4, %d without: want less than half", p4, p0)
	}
	t.Logf("padded steps per epoch: %d without bucketing, %d with Bucket 4", p0, p4)
}

func TestLoaderVarLenBadLength(t *testing.T) {
	s := seqs(t, 5)
	s.longest = 3 // sample 1 has 8 steps
	l, _ := NewLoader(s, LoaderConfig{BatchSize: 2}, nil)
	ep := l.Epoch(context.Background())
	for ep.Next() {
	}
	err := ep.Close()
	if err == nil || !strings.Contains(err.Error(), "sample 1 has 8 steps, want 1 to 3") {
		t.Errorf("err = %v, want one naming sample 1 and its 8 steps", err)
	}
	if _, err := NewSequences([][]float32{{1, 2}, {1, 2, 3}}, []int{0, 1}, 2); err == nil || !strings.Contains(err.Error(), "sample 1 has 3 values") {
		t.Errorf("NewSequences: err = %v, want one naming sample 1", err)
	}
}
