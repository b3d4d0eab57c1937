package datasets

import (
	"fmt"
	"slices"
)

// VarLen is a Dataset whose samples have lengths of their own: sample i
// runs SampleSteps(i) time steps, from 1 to the steps of Shape, which is
// the longest sample's length (an upper bound).
//
// A Loader batches such a dataset to the longest sample of each batch,
// not of the dataset, and records each sample's length in Batch.Lengths.
// Fill then receives a batch sized [max length in idx, len(idx),
// features] with Lengths set (when a sample is shorter than the batch)
// and writes the steps t < b.Len(r) of each sample r; the Loader sets the
// remaining steps, the padding at the end of each shorter sequence, to
// zero after Fill returns. Fill must not Resize the batch. A batch of
// samples that all have one step is padded to two (when Shape allows more
// than one), since a batch of one step reads as a static input.
type VarLen interface {
	Dataset
	// SampleSteps returns the number of time steps of sample i, in
	// [1, steps of Shape]; i is in [0, Len()).
	SampleSteps(i int) int
}

// IsVarLen reports whether the samples of ds may have lengths of their
// own: ds is VarLen, and for a Subset, its Base is.
func IsVarLen(ds Dataset) bool {
	if s, ok := ds.(*Subset); ok {
		return IsVarLen(s.Base)
	}
	_, ok := ds.(VarLen)
	return ok
}

// SampleSteps returns the number of time steps of sample i of ds: its own
// for a VarLen dataset, otherwise the steps of its Shape.
func SampleSteps(ds Dataset, i int) int {
	if v, ok := ds.(VarLen); ok {
		return v.SampleSteps(i)
	}
	steps, _ := ds.Shape()
	return steps
}

// Len returns the number of valid time steps of sample i of the batch: its
// entry in Lengths, or Steps when Lengths is empty.
func (b *Batch) Len(i int) int {
	if len(b.Lengths) == 0 {
		return b.Steps
	}
	return b.Lengths[i]
}

// Padded reports whether a sample of the batch is shorter than Steps: the
// batch then carries Lengths, and steps t >= Lengths[i] of sample i are
// padding (zeros) that losses, read-outs and metrics must not count.
func (b *Batch) Padded() bool { return len(b.Lengths) > 0 }

// Mask writes the batch's time mask, [Steps, Size], to dst (grown if its
// capacity is short) and returns it: dst[t*Size+i] is 1 where step t of
// sample i is valid (t < b.Len(i)) and 0 where it is padding.
func (b *Batch) Mask(dst []float32) []float32 {
	dst = grow(dst, b.Steps*b.Size)
	for t := range b.Steps {
		row := dst[t*b.Size : (t+1)*b.Size]
		for i := range row {
			row[i] = 0
			if t < b.Len(i) {
				row[i] = 1
			}
		}
	}
	return dst
}

// setLengths sets the batch's lengths from those of its samples, lens
// (len Size): Lengths holds them when one is below Steps and is empty
// otherwise.
func (b *Batch) setLengths(lens []int) {
	b.Lengths = b.Lengths[:0]
	for _, l := range lens {
		if l < b.Steps {
			b.Lengths = append(b.Lengths, lens...)
			return
		}
	}
}

// zeroPadding sets the padded steps of every sample to zero.
func (b *Batch) zeroPadding() {
	if !b.Padded() {
		return
	}
	F := b.Features
	for i, l := range b.Lengths {
		for t := l; t < b.Steps; t++ {
			clear(b.X[(t*b.Size+i)*F : (t*b.Size+i+1)*F])
		}
	}
}

// sampleSteps returns the lengths of the samples idx of ds, and the
// longest. It returns an error for a length outside [1, steps].
func sampleSteps(ds VarLen, idx []int, steps int, dst []int) ([]int, int, error) {
	dst = growInt(dst, len(idx))
	longest := 0
	for r, i := range idx {
		if i < 0 || i >= ds.Len() {
			return dst, 0, fmt.Errorf("datasets: Loader: index %d out of range [0, %d)", i, ds.Len())
		}
		l := ds.SampleSteps(i)
		if l < 1 || l > steps {
			return dst, 0, fmt.Errorf("datasets: Loader: sample %d has %d steps, want 1 to %d (the steps of the dataset's Shape)", i, l, steps)
		}
		dst[r] = l
		longest = max(longest, l)
	}
	return dst, longest, nil
}

// bucket reorders order in place so that batches hold samples of similar
// lengths: it cuts order into runs of k·bs samples, sorts each run by
// length (stably, so the order within a length is kept) and, when rng is
// not nil, shuffles the full batches of the epoch (a short last batch
// stays last).
func bucket(ds VarLen, order []int, bs, k int, shuffle func(n int, swap func(i, j int))) {
	run := k * bs
	for s := 0; s < len(order); s += run {
		r := order[s:min(s+run, len(order))]
		slices.SortStableFunc(r, func(a, b int) int { return ds.SampleSteps(a) - ds.SampleSteps(b) })
	}
	if shuffle == nil {
		return
	}
	full := len(order) / bs
	shuffle(full, func(i, j int) {
		a, b := order[i*bs:(i+1)*bs], order[j*bs:(j+1)*bs]
		for k := range a {
			a[k], b[k] = b[k], a[k]
		}
	})
}

// Sequences is an in-memory VarLen dataset: labelled sequences of their
// own lengths, each [steps, Features] row-major (step-major: element
// (t, f) of sample i is X[i][t*Features+f]).
type Sequences struct {
	// X holds the samples; len(X[i]) is a positive multiple of Features.
	X [][]float32
	// Labels holds each sample's class.
	Labels []int
	// Features is the number of values per step.
	Features int
	longest  int
}

// NewSequences checks and returns the dataset of the samples x with the
// given labels. It returns an error naming the sample whose length is not
// a positive multiple of features, or when x and labels differ in length.
func NewSequences(x [][]float32, labels []int, features int) (*Sequences, error) {
	if features < 1 {
		return nil, fmt.Errorf("datasets: NewSequences: %d features, want >= 1", features)
	}
	if len(x) != len(labels) {
		return nil, fmt.Errorf("datasets: NewSequences: %d samples and %d labels", len(x), len(labels))
	}
	s := &Sequences{X: x, Labels: labels, Features: features}
	for i, v := range x {
		if len(v) == 0 || len(v)%features != 0 {
			return nil, fmt.Errorf("datasets: NewSequences: sample %d has %d values, want a positive multiple of %d features", i, len(v), features)
		}
		s.longest = max(s.longest, len(v)/features)
	}
	if len(x) == 0 {
		s.longest = 1
	}
	return s, nil
}

// Len returns the number of samples.
func (s *Sequences) Len() int { return len(s.X) }

// Shape returns the longest sample's length and the features per step.
func (s *Sequences) Shape() (steps, features int) { return s.longest, s.Features }

// SampleSteps returns the length of sample i.
func (s *Sequences) SampleSteps(i int) int { return len(s.X[i]) / s.Features }

// Fill writes the samples idx and their labels into b, zeros after the end
// of each sample shorter than b.Steps.
func (s *Sequences) Fill(b *Batch, idx []int) error {
	F := s.Features
	if b.Features != F || b.Size != len(idx) {
		return fmt.Errorf("datasets: Sequences.Fill: batch [%d, %d, %d] for %d samples of %d features", b.Steps, b.Size, b.Features, len(idx), F)
	}
	for r, i := range idx {
		if i < 0 || i >= len(s.X) {
			return fmt.Errorf("datasets: Sequences.Fill: index %d out of range [0, %d)", i, len(s.X))
		}
		n := len(s.X[i]) / F
		if n > b.Steps {
			return fmt.Errorf("datasets: Sequences.Fill: sample %d has %d steps, the batch %d", i, n, b.Steps)
		}
		for t := range n {
			copy(b.X[(t*b.Size+r)*F:(t*b.Size+r+1)*F], s.X[i][t*F:(t+1)*F])
		}
		for t := n; t < b.Steps; t++ {
			clear(b.X[(t*b.Size+r)*F : (t*b.Size+r+1)*F])
		}
		b.Labels[r] = s.Labels[i]
	}
	return nil
}

// SampleSteps returns the length of the subset's sample i: Base's when
// Base is VarLen, otherwise the steps of Base's Shape. It makes a Subset of
// a VarLen dataset VarLen too (a Subset of a fixed-length dataset gives
// batches without Lengths, as before).
func (s *Subset) SampleSteps(i int) int {
	return SampleSteps(s.Base, s.Index[i])
}
