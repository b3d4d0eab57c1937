package autograd

// Pooled returns a *T that belongs to the tape until its Reset, after which
// a later call hands the same value out again. Ops defined outside the
// package take their Backwarder from it, and a forward pass the struct it
// returns, so that recording them allocates nothing once the tape has seen a
// step:
//
//	o := autograd.Pooled[scanOp](t)
//	*o = scanOp{x: x, ...}
//	t.Record(out, o, x)
//
// The value holds what its previous holder left in it (a new one is zero):
// set every field before reading it. Slices in it keep their capacity, so a
// value that collects results can reuse their backing array with s = s[:0].
// Each type has its own pool on each tape. A tape keeps the values, and what
// they point to, until it hands them out again.
func Pooled[T any](t *Tape) *T {
	key := any((*T)(nil)) // one key per type; a nil pointer in an interface allocates nothing
	for i := range t.pools {
		p := &t.pools[i]
		if p.key != key {
			continue
		}
		if p.n == len(p.items) {
			p.items = append(p.items, new(T))
		}
		p.n++
		return p.items[p.n-1].(*T)
	}
	t.pools = append(t.pools, pool{key: key, items: []any{new(T)}, n: 1})
	return t.pools[len(t.pools)-1].items[0].(*T)
}

// pool is the values of one type that Pooled hands out on a tape: items[:n]
// are in use since the last Reset.
type pool struct {
	key   any // a nil *T
	items []any
	n     int
}
