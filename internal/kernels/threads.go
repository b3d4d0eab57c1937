package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// threads is the number of goroutines a parallel kernel may run on.
var threads atomic.Int64

func init() {
	threads.Store(int64(runtime.GOMAXPROCS(0)))
}

// SetThreads sets the number of goroutines that parallel kernels may run on
// and returns the previous value. n < 1 means 1. The default is
// runtime.GOMAXPROCS(0) at program start.
//
// The thread count changes only the speed: every parallel kernel splits its
// work by a partition that depends on the problem shape alone, so results are
// bit-identical for any thread count.
func SetThreads(n int) int {
	if n < 1 {
		n = 1
	}
	return int(threads.Swap(int64(n)))
}

// Threads returns the number of goroutines that parallel kernels may run on.
func Threads() int {
	return int(threads.Load())
}

// ParallelFor calls fn(lo, hi) once for each of the chunks contiguous ranges
// that partition [0, n): range i is [i*n/chunks, (i+1)*n/chunks), so the
// partition depends on n and chunks only, never on the thread count or on
// GOMAXPROCS. chunks < 1 means 1 and chunks > n means n. The ranges run
// concurrently on up to Threads() goroutines (the caller's among them) in no
// fixed order, and ParallelFor returns when all are done. fn must therefore
// write only to places that its own range owns; a kernel whose ranges write
// disjoint outputs and whose arithmetic for one output never crosses ranges
// gives bit-identical results for every thread count.
//
// Choose chunks from the cost of the work, not from Threads(): a few times
// the expected number of cores balances the load while keeping the results
// fixed. A call with chunks == 1 runs fn(0, n) on the calling goroutine.
//
// Only one parallel region runs at a time: a ParallelFor (or parallel
// kernel) started from inside another, or concurrently from another
// goroutine, runs its ranges one after another on its own goroutine, with
// the same results.
func ParallelFor(n, chunks int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	chunks = max(1, min(chunks, n))
	runChunks(chunks, rangeBody{n: n, chunks: chunks, fn: fn})
}

// chunkBody is a unit of parallel work split into numbered chunks; runChunk
// does chunk i. Kernels that must not allocate pass a pointer to a pooled
// struct (converting a pointer to an interface does not allocate).
type chunkBody interface {
	runChunk(i int)
}

// rangeBody adapts a ParallelFor call to chunkBody.
type rangeBody struct {
	n, chunks int
	fn        func(lo, hi int)
}

func (r rangeBody) runChunk(i int) {
	lo := i * r.n / r.chunks
	hi := (i + 1) * r.n / r.chunks
	if lo < hi {
		r.fn(lo, hi)
	}
}

// Chunker is work split into numbered chunks for ParallelChunks: RunChunk(i)
// does chunk i and writes only to places that chunk owns.
type Chunker interface {
	RunChunk(i int)
}

// ParallelChunks calls body.RunChunk(i) for every i in [0, chunks) on up to
// Threads() goroutines and returns when all are done, under the same rules
// as ParallelFor. Unlike ParallelFor it does not allocate when body is a
// pointer (ParallelFor's closure and range escape to the heap), so a layer
// can run its loops in parallel on a training step that allocates nothing.
func ParallelChunks(chunks int, body Chunker) {
	if chunks <= 0 {
		return
	}
	runTask(chunks, nil, body)
}

// parTask is the one parallel region in flight. Helper goroutines take
// chunk numbers from next until none remain.
type parTask struct {
	body   chunkBody
	ext    Chunker // used instead of body when set (ParallelChunks)
	chunks int64
	next   atomic.Int64
	wg     sync.WaitGroup
}

func (t *parTask) drain() {
	for {
		i := t.next.Add(1) - 1
		if i >= t.chunks {
			return
		}
		if t.ext != nil {
			t.ext.RunChunk(int(i))
		} else {
			t.body.runChunk(int(i))
		}
	}
}

var (
	parBusy    atomic.Bool // held while a parallel region runs
	parCurrent parTask     // guarded by parBusy
	parWork    = make(chan *parTask)
	parHelpers int // helper goroutines started; guarded by parBusy
)

func parHelper() {
	for t := range parWork {
		t.drain()
		t.wg.Done()
	}
}

// runChunks runs body.runChunk(i) for i in [0, chunks) on up to Threads()
// goroutines and returns when all are done. It does not allocate once its
// helper goroutines exist.
func runChunks(chunks int, body chunkBody) {
	runTask(chunks, body, nil)
}

// runTask runs the chunks of body, or of ext if it is set.
func runTask(chunks int, body chunkBody, ext Chunker) {
	t := min(Threads(), chunks)
	if t <= 1 || !parBusy.CompareAndSwap(false, true) {
		for i := 0; i < chunks; i++ {
			if ext != nil {
				ext.RunChunk(i)
			} else {
				body.runChunk(i)
			}
		}
		return
	}
	for parHelpers < t-1 {
		go parHelper()
		parHelpers++
	}
	task := &parCurrent
	task.body, task.ext = body, ext
	task.chunks = int64(chunks)
	task.next.Store(0)
	task.wg.Add(t - 1)
	for i := 0; i < t-1; i++ {
		parWork <- task
	}
	task.drain()
	task.wg.Wait()
	task.body, task.ext = nil, nil
	parBusy.Store(false)
}
