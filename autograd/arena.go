package autograd

// arena is a bump allocator of float32 buffers in large chunks. reset rewinds
// it without freeing, so a tape that asks for the same sizes in the same order
// after every Reset reuses the same memory.
type arena struct {
	chunks [][]float32
	cur    int // index of the chunk being filled
	off    int // next free offset in chunks[cur]
	peak   int // most floats in use at once since the arena was made
	used   int // floats handed out since the last reset (including alignment)
}

const (
	arenaChunk = 1 << 20 // floats in a default chunk (4 MiB)
	arenaAlign = 16      // floats: every buffer starts on a 64-byte boundary of its chunk
)

// raw returns n floats whose contents are undefined.
func (a *arena) raw(n int) []float32 {
	if n == 0 {
		return []float32{}
	}
	for a.cur < len(a.chunks) {
		c := a.chunks[a.cur]
		if a.off+n <= len(c) {
			s := c[a.off : a.off+n : a.off+n]
			step := (n + arenaAlign - 1) &^ (arenaAlign - 1)
			a.off = min(a.off+step, len(c))
			a.used += step
			a.peak = max(a.peak, a.used)
			return s
		}
		a.used += len(c) - a.off
		a.cur++
		a.off = 0
	}
	size := max(n, arenaChunk)
	a.chunks = append(a.chunks, make([]float32, size))
	a.cur = len(a.chunks) - 1
	a.off = 0
	return a.raw(n)
}

// zeroed returns n floats set to zero.
func (a *arena) zeroed(n int) []float32 {
	s := a.raw(n)
	clear(s)
	return s
}

func (a *arena) reset() {
	a.cur, a.off, a.used = 0, 0, 0
}

// capacity is the number of floats the arena holds.
func (a *arena) capacity() int {
	n := 0
	for _, c := range a.chunks {
		n += len(c)
	}
	return n
}
