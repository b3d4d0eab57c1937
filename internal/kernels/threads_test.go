package kernels

import (
	"sync"
	"testing"
)

func TestSetThreads(t *testing.T) {
	orig := Threads()
	defer SetThreads(orig)
	if prev := SetThreads(3); prev != orig {
		t.Fatalf("SetThreads(3) returned %d, want the previous value %d", prev, orig)
	}
	if got := Threads(); got != 3 {
		t.Fatalf("Threads() = %d after SetThreads(3)", got)
	}
	for _, n := range []int{0, -5} {
		SetThreads(n)
		if got := Threads(); got != 1 {
			t.Fatalf("Threads() = %d after SetThreads(%d), want 1", got, n)
		}
	}
}

// TestParallelFor checks that the ranges cover [0, n) exactly once and are
// the documented fixed partition, whatever the thread count, including a
// nested call (which runs serially).
func TestParallelFor(t *testing.T) {
	defer SetThreads(SetThreads(1))
	for _, th := range []int{1, 2, 5} {
		SetThreads(th)
		for _, tc := range []struct{ n, chunks int }{{0, 4}, {1, 4}, {10, 3}, {100, 7}, {7, 100}, {50, 0}} {
			var mu sync.Mutex
			hits := make([]int, tc.n)
			ranges := map[[2]int]bool{}
			ParallelFor(tc.n, tc.chunks, func(lo, hi int) {
				// A nested region must work (it runs on this goroutine).
				ParallelFor(2, 2, func(int, int) {})
				mu.Lock()
				defer mu.Unlock()
				ranges[[2]int{lo, hi}] = true
				for i := lo; i < hi; i++ {
					hits[i]++
				}
			})
			for i, h := range hits {
				if h != 1 {
					t.Fatalf("threads=%d n=%d chunks=%d: index %d visited %d times", th, tc.n, tc.chunks, i, h)
				}
			}
			chunks := max(1, min(tc.chunks, tc.n))
			for i := 0; i < chunks && tc.n > 0; i++ {
				r := [2]int{i * tc.n / chunks, (i + 1) * tc.n / chunks}
				if !ranges[r] {
					t.Fatalf("threads=%d n=%d chunks=%d: range %v missing from %v", th, tc.n, tc.chunks, r, ranges)
				}
			}
		}
	}
}

// countChunks records how often each chunk ran.
type countChunks struct {
	mu   sync.Mutex
	hits []int
}

func (c *countChunks) RunChunk(i int) {
	// A nested region must work (it runs on this goroutine).
	ParallelFor(2, 2, func(int, int) {})
	c.mu.Lock()
	c.hits[i]++
	c.mu.Unlock()
}

// TestParallelChunks checks that every chunk runs exactly once for any
// thread count, and that a call with a pointer body allocates nothing once
// the helper goroutines exist.
func TestParallelChunks(t *testing.T) {
	defer SetThreads(SetThreads(1))
	for _, th := range []int{1, 2, 5} {
		SetThreads(th)
		for _, chunks := range []int{0, 1, 3, 64} {
			c := &countChunks{hits: make([]int, max(chunks, 0))}
			ParallelChunks(chunks, c)
			for i, h := range c.hits {
				if h != 1 {
					t.Fatalf("threads=%d chunks=%d: chunk %d ran %d times", th, chunks, i, h)
				}
			}
		}
	}
	SetThreads(2)
	b := &sumChunks{out: make([]int, 8)}
	ParallelChunks(8, b)
	if n := testing.AllocsPerRun(50, func() { ParallelChunks(8, b) }); n != 0 {
		t.Errorf("ParallelChunks: %v allocations per call, want 0", n)
	}
	for i, v := range b.out {
		if v != 52*i { // 1 + 1 + 50 calls, each adding i
			t.Errorf("chunk %d: sum %d, want %d", i, v, 52*i)
		}
	}
}

// sumChunks adds each chunk's number to its own slot.
type sumChunks struct{ out []int }

func (s *sumChunks) RunChunk(i int) { s.out[i] += i }
