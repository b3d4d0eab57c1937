package autograd_test

import (
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
)

// scaleOp and shiftOp are two op structs of ops defined outside the
// package, as neuron layers write them.
type scaleOp struct {
	k   float32
	buf []float32
}

type shiftOp struct{ d float32 }

// TestPooled: within one recording every call hands out a distinct value;
// after Reset the same values come back in the same order, with what was
// left in them (a slice keeps its capacity); each type has its own pool,
// each tape its own values; and in steady state nothing is allocated.
func TestPooled(t *testing.T) {
	tp := autograd.NewTape()
	a, b := autograd.Pooled[scaleOp](tp), autograd.Pooled[scaleOp](tp)
	c := autograd.Pooled[shiftOp](tp)
	if a == b {
		t.Fatal("two values of one recording are the same")
	}
	if a.k != 0 || a.buf != nil || *c != (shiftOp{}) {
		t.Fatalf("new values are not zero: %+v %+v", *a, *c)
	}
	a.k, a.buf = 2, make([]float32, 0, 8)
	c.d = 3
	tp.Reset()
	if a2 := autograd.Pooled[scaleOp](tp); a2 != a || a2.k != 2 || cap(a2.buf) != 8 {
		t.Errorf("after Reset: %p %+v, want %p with its contents", a2, *a2, a)
	}
	if c2 := autograd.Pooled[shiftOp](tp); c2 != c || c2.d != 3 {
		t.Errorf("after Reset, the other type: %p %+v, want %p", c2, *c2, c)
	}
	if b2 := autograd.Pooled[scaleOp](tp); b2 != b {
		t.Errorf("second value after Reset: %p, want %p", b2, b)
	}
	if o := autograd.Pooled[scaleOp](autograd.NewTape()); o == a || o == b {
		t.Error("another tape hands out this tape's value")
	}
	step := func() {
		tp.Reset()
		for range 3 {
			autograd.Pooled[scaleOp](tp).k = 1
			autograd.Pooled[shiftOp](tp).d = 1
		}
	}
	step()
	if n := testing.AllocsPerRun(50, step); n != 0 {
		t.Errorf("%v allocations per step, want 0", n)
	}
}
