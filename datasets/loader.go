package datasets

import (
	"context"
	"fmt"
	"math/rand/v2"
)

// Dataset is a finite, indexable set of labelled samples. Every sample has
// the same shape: steps time steps of features values (steps is 1 for a
// static input such as an image), unless the dataset is also VarLen, whose
// samples have lengths of their own up to steps.
type Dataset interface {
	// Len returns the number of samples.
	Len() int
	// Shape returns the number of time steps and features of one sample.
	Shape() (steps, features int)
	// Fill writes the samples idx into b. b arrives sized by Resize to
	// [steps, len(idx), features] with len(idx) labels; Fill writes every
	// element of b.X (it is not cleared beforehand) and every label. A
	// stochastic dataset draws its randomness from b.Rand. Fill returns an
	// error for an index out of range.
	Fill(b *Batch, idx []int) error
}

// Batch is a batch of samples, time-major: X is [Steps, Size, Features]
// row-major, so X[(t*Size+i)*Features+f] is feature f of sample i at step t.
// Buffers are reused: Resize keeps the capacity.
type Batch struct {
	// Steps, Size and Features are the shape of X.
	Steps, Size, Features int
	// X holds the inputs, [Steps, Size, Features].
	X []float32
	// Labels holds the class of each sample, [Size].
	Labels []int
	// Index holds the dataset index of each sample, [Size].
	Index []int
	// Lengths holds the number of valid time steps of each sample, [Size],
	// when one is shorter than Steps (a batch of a VarLen dataset): steps
	// t >= Lengths[i] of sample i are padding, zeros at the end of its
	// sequence. It is empty when every sample runs all Steps steps. Len and
	// Mask read it.
	Lengths []int
	// Rand is the source for datasets and encoders that draw random numbers
	// while filling (rate coding). The Loader sets it; it may be nil for
	// deterministic datasets.
	Rand *rand.Rand

	scratch []float32 // the static input of Encoded
	mapped  []int     // the base indices of Subset
}

// NewBatch returns a batch of the given shape.
func NewBatch(steps, size, features int) *Batch {
	b := &Batch{}
	b.Resize(steps, size, features)
	return b
}

// Resize sets the shape of b, reusing its buffers when they are large
// enough, and empties Lengths. The contents are unspecified afterwards.
func (b *Batch) Resize(steps, size, features int) {
	if steps < 1 || size < 0 || features < 1 {
		shapePanic("Batch.Resize", "shape [%d, %d, %d]: want steps >= 1, size >= 0, features >= 1", steps, size, features)
	}
	b.Steps, b.Size, b.Features = steps, size, features
	b.X = grow(b.X, steps*size*features)
	b.Labels = growInt(b.Labels, size)
	b.Index = growInt(b.Index, size)
	b.Lengths = b.Lengths[:0]
}

func grow(s []float32, n int) []float32 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float32, n)
}

func growInt(s []int, n int) []int {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]int, n)
}

// check panics with a *ShapeError unless b has the given shape.
func (b *Batch) check(op string, steps, size, features int) {
	if b.Steps != steps || b.Size != size || b.Features != features ||
		len(b.X) != steps*size*features || len(b.Labels) != size {
		shapePanic(op, "batch is [%d, %d, %d] with %d values and %d labels, want [%d, %d, %d]",
			b.Steps, b.Size, b.Features, len(b.X), len(b.Labels), steps, size, features)
	}
}

// LoaderConfig configures a Loader.
type LoaderConfig struct {
	// BatchSize is the number of samples per batch; it must be at least 1.
	BatchSize int
	// Shuffle draws a new order of the samples for every epoch from the
	// loader's random source; without it the order is 0, 1, 2, ...
	Shuffle bool
	// DropLast drops the last batch of an epoch if it is smaller than
	// BatchSize.
	DropLast bool
	// Prefetch is the number of batches prepared ahead of the consumer;
	// 0 means 2 (double buffering).
	Prefetch int
	// Bucket, for a VarLen dataset, groups samples of similar lengths so
	// that batches carry little padding: the epoch's order (shuffled or
	// not) is cut into runs of Bucket·BatchSize samples, each run is sorted
	// by length (stably), and with Shuffle the full batches are then
	// shuffled among themselves (a short last batch stays last). 0 or 1
	// means off; it is ignored for other datasets.
	Bucket int
}

// Loader serves a Dataset in batches, epoch after epoch, prepared by a
// background goroutine while the caller works on the previous batch.
//
// The batches of an epoch, their order and their contents depend only on the
// dataset, the config and the state of the random source when Epoch is
// called, never on timing: the order is drawn before the goroutine starts,
// and the goroutine fills batches in order from its own source, itself
// seeded from the loader's. The loader owns its random source: the caller
// must not use it while the loader lives. A Loader and its epochs are used
// from one goroutine; the Dataset's Fill runs on the epoch's own goroutine,
// one call at a time.
type Loader struct {
	ds   Dataset
	cfg  LoaderConfig
	rng  *rand.Rand
	pool []*Batch
	cur  *Epoch
}

// NewLoader returns a loader over ds. rng is required when cfg.Shuffle is
// set or when ds draws random numbers while filling; otherwise it may be nil.
func NewLoader(ds Dataset, cfg LoaderConfig, rng *rand.Rand) (*Loader, error) {
	if cfg.BatchSize < 1 {
		return nil, fmt.Errorf("datasets: NewLoader: batch size %d, want >= 1", cfg.BatchSize)
	}
	if cfg.Bucket < 0 {
		return nil, fmt.Errorf("datasets: NewLoader: bucket %d, want >= 0", cfg.Bucket)
	}
	if cfg.Prefetch < 0 {
		return nil, fmt.Errorf("datasets: NewLoader: prefetch %d, want >= 0", cfg.Prefetch)
	}
	if cfg.Prefetch == 0 {
		cfg.Prefetch = 2
	}
	if cfg.Shuffle && rng == nil {
		return nil, fmt.Errorf("datasets: NewLoader: Shuffle needs a random source, got nil")
	}
	if steps, features := ds.Shape(); steps < 1 || features < 1 {
		return nil, fmt.Errorf("datasets: NewLoader: dataset shape [%d steps, %d features]", steps, features)
	}
	return &Loader{ds: ds, cfg: cfg, rng: rng}, nil
}

// NumBatches returns the number of batches in one epoch.
func (l *Loader) NumBatches() int {
	n, bs := l.ds.Len(), l.cfg.BatchSize
	if l.cfg.DropLast {
		return n / bs
	}
	return (n + bs - 1) / bs
}

// Epoch starts one pass over the dataset and returns its iterator. An epoch
// still open on this loader is closed first. The caller must Close the
// epoch (also after reading it to the end) to release its goroutine;
// cancelling ctx stops it too.
//
//	ep := loader.Epoch(ctx)
//	defer ep.Close()
//	for ep.Next() {
//		b := ep.Batch() // valid until the next call of Next
//	}
//	if err := ep.Err(); err != nil { ... }
func (l *Loader) Epoch(ctx context.Context) *Epoch {
	if l.cur != nil {
		l.cur.Close()
	}
	n := l.ds.Len()
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if l.cfg.Shuffle {
		l.rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	if v, ok := l.ds.(VarLen); ok && IsVarLen(l.ds) && l.cfg.Bucket > 1 {
		var shuffle func(int, func(int, int))
		if l.cfg.Shuffle {
			shuffle = l.rng.Shuffle
		}
		bucket(v, order, l.cfg.BatchSize, l.cfg.Bucket, shuffle)
	}
	var fillRng *rand.Rand
	if l.rng != nil {
		fillRng = rand.New(rand.NewPCG(l.rng.Uint64(), l.rng.Uint64()))
	}
	nbuf := l.cfg.Prefetch + 1
	for len(l.pool) < nbuf {
		l.pool = append(l.pool, &Batch{})
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	e := &Epoch{
		l:      l,
		parent: parent,
		cancel: cancel,
		free:   make(chan *Batch, nbuf),
		ready:  make(chan *Batch, l.cfg.Prefetch),
		done:   make(chan struct{}),
	}
	for _, b := range l.pool[:nbuf] {
		e.free <- b
	}
	l.cur = e
	go e.produce(ctx, order, l.NumBatches(), fillRng)
	return e
}

// Epoch iterates over the batches of one epoch. Its methods are for one
// goroutine, the consumer.
type Epoch struct {
	l      *Loader
	parent context.Context
	cancel context.CancelFunc
	free   chan *Batch
	ready  chan *Batch
	done   chan struct{}
	err    error // written by the producer before it closes ready
	cur    *Batch
	closed bool
}

func (e *Epoch) produce(ctx context.Context, order []int, nb int, rng *rand.Rand) {
	defer close(e.done)
	defer close(e.ready)
	defer func() {
		if r := recover(); r != nil {
			e.err = fmt.Errorf("datasets: Loader: Fill panicked: %v", r)
		}
	}()
	steps, features := e.l.ds.Shape()
	bs := e.l.cfg.BatchSize
	vl, varlen := e.l.ds.(VarLen)
	varlen = varlen && IsVarLen(e.l.ds)
	var lens []int
	for k := range nb {
		var b *Batch
		select {
		case b = <-e.free:
		case <-ctx.Done():
			e.err = ctx.Err()
			return
		}
		idx := order[k*bs : min((k+1)*bs, len(order))]
		T := steps
		if varlen {
			var err error
			if lens, T, err = sampleSteps(vl, idx, steps, lens); err != nil {
				e.err = err
				return
			}
			if T == 1 && steps > 1 {
				T = 2 // one step would read as a static input: pad to two
			}
		}
		b.Resize(T, len(idx), features)
		if varlen {
			b.setLengths(lens)
		}
		copy(b.Index, idx)
		b.Rand = rng
		if err := e.l.ds.Fill(b, b.Index); err != nil {
			e.err = err
			return
		}
		b.zeroPadding()
		select {
		case e.ready <- b:
		case <-ctx.Done():
			e.err = ctx.Err()
			return
		}
	}
}

// Next advances to the next batch and reports whether there is one. It
// returns false at the end of the epoch, after an error and after
// cancellation; Err tells which.
func (e *Epoch) Next() bool {
	if e.closed {
		return false
	}
	if e.cur != nil {
		e.free <- e.cur // never blocks: free holds every buffer
		e.cur = nil
	}
	b, ok := <-e.ready
	if !ok {
		<-e.done // the producer closes done right after ready
		return false
	}
	e.cur = b
	return true
}

// Batch returns the current batch. It stays valid until the next call of
// Next or Close; the loader then reuses its buffers.
func (e *Epoch) Batch() *Batch { return e.cur }

// Err returns the error that ended the epoch early, if any: a Fill error or
// the context's error. It is meaningful after Next has returned false.
func (e *Epoch) Err() error {
	select {
	case <-e.done:
		return e.err
	default:
		return nil
	}
}

// Close stops the epoch's goroutine, waits for it to end and returns Err.
// It is safe to call more than once.
func (e *Epoch) Close() error {
	if e.closed {
		return e.Err()
	}
	e.closed = true
	e.cancel()
	for range e.ready { // unblock the producer and wait for it to finish
	}
	<-e.done
	e.cur = nil
	if e.l.cur == e {
		e.l.cur = nil
	}
	// Cancellation by Close itself is not an error of the epoch.
	if e.err == context.Canceled && e.parent.Err() == nil {
		e.err = nil
	}
	return e.err
}
