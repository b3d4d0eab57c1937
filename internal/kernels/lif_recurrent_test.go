package kernels

import (
	"errors"
	"strings"
	"testing"
)

// TestRecurrentScanErrors: arguments that do not fit the shape panic with a
// *ScanError naming the call and the argument. (The values and gradients of
// the scan are checked against the step-by-step definition built from tape
// ops in package layers: TestFusedMatchesStep, TestRecurrentEventDriven,
// TestRecurrentStateGradients.)
func TestRecurrentScanErrors(t *testing.T) {
	const T, B, N = 2, 1, 3
	ok := func() RecurrentScan {
		return RecurrentScan{T: T, B: B, N: N, Beta: []float32{0.5}, Thr: []float32{1}, V: make([]float32, N*N)}
	}
	seq, st := make([]float32, T*B*N), make([]float32, B*N)
	for _, c := range []struct {
		f    func()
		want string
	}{
		{func() { p := ok(); p.V = p.V[:4]; p.Forward(seq, RecurrentState{}, nil, seq, seq) }, "RecurrentScan.Forward [T=2, B=1, N=3]: V has length 4, want 9"},
		{func() { p := ok(); p.OneToOne = true; p.Forward(seq, RecurrentState{}, nil, seq, seq) }, "V has length 9, want 3"},
		{func() { p := ok(); p.Forward(seq[:5], RecurrentState{}, nil, seq, seq) }, "in has length 5, want 6"},
		{func() { p := ok(); p.Alpha = []float32{0.5}; p.Forward(seq, RecurrentState{}, nil, seq, seq) }, "syn has length 0, want 6"},
		{func() { p := ok(); p.Alpha = []float32{0.5, 0.5}; p.Forward(seq, RecurrentState{}, seq, seq, seq) }, "Alpha has length 2, want 3 or 1"},
		{func() { p := ok(); p.Forward(seq, RecurrentState{Mem: st[:2]}, nil, seq, seq) }, "mem0 has length 2, want 3"},
		{func() { p := ok(); p.Backward(RecurrentState{}, nil, seq, seq, &RecurrentGrad{}) }, "RecurrentScan.Backward [T=2, B=1, N=3]: DIn has length 0, want 6"},
		{func() {
			p := ok()
			p.Backward(RecurrentState{}, nil, seq, seq, &RecurrentGrad{DIn: seq, FastSigmoid: 5, DV: make([]float32, 2)})
		}, "DV has length 2, want 9"},
	} {
		func() {
			defer func() {
				var se *ScanError
				err, _ := recover().(error)
				if !errors.As(err, &se) || !strings.Contains(err.Error(), c.want) {
					t.Errorf("panic %v, want a *ScanError with %q", err, c.want)
				}
			}()
			c.f()
		}()
	}
}
