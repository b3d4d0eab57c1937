package train

import (
	"sync"

	"github.com/spikegrad/spikegrad/autograd"
)

// The kernels' thread count is one setting of the process
// (autograd.SetThreads), and the kernels run one parallel region at a time,
// so runs in one process cannot each have their own. Runs that ask for a
// count (the Threads option, train.threads) share it through threadLease:
// while such runs overlap, the kernels use the largest count any of them
// asked for, and when the last one ends the setting from before the first
// comes back. A run's results do not depend on the count (the kernels
// partition their work by the problem's shape alone); only its speed does.
var threadLease threadRequests

type threadRequests struct {
	sync.Mutex
	asks   map[*int]int // the active runs' counts
	before int          // the setting before the first active run
}

// useThreads applies a run's thread count n (n <= 0: no request) and
// returns the function that withdraws it when the run ends.
func useThreads(n int) (release func()) {
	if n <= 0 {
		return func() {}
	}
	l := &threadLease
	l.Lock()
	defer l.Unlock()
	if len(l.asks) == 0 {
		l.asks = map[*int]int{}
		l.before = autograd.Threads()
	}
	key := new(int)
	l.asks[key] = n
	autograd.SetThreads(l.largest())
	return func() {
		l.Lock()
		defer l.Unlock()
		delete(l.asks, key)
		if len(l.asks) == 0 {
			autograd.SetThreads(l.before)
			return
		}
		autograd.SetThreads(l.largest())
	}
}

// largest is the largest count asked for.
func (l *threadRequests) largest() int {
	m := 0
	for _, n := range l.asks {
		m = max(m, n)
	}
	return m
}
