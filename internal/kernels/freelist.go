package kernels

import "sync"

// freeList keeps up to freeListMax idle values for reuse, shared by all
// goroutines. Unlike a sync.Pool it is not emptied by the garbage collector
// and a value put on one processor is found by a get on any other, so the
// buffers that values hold survive between calls: the kernels' working
// memory is allocated once, by the first calls of each size, and kept for
// the life of the process.
type freeList[T any] struct {
	mu    sync.Mutex
	items []*T
}

const freeListMax = 8

// get returns an idle value, or a new zero one.
func (f *freeList[T]) get() *T {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := len(f.items); n > 0 {
		x := f.items[n-1]
		f.items = f.items[:n-1]
		return x
	}
	return new(T)
}

// put returns x for reuse; beyond freeListMax idle values it is dropped.
func (f *freeList[T]) put(x *T) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.items) < freeListMax {
		f.items = append(f.items, x)
	}
}
