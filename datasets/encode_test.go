package datasets

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestDirectEncoder(t *testing.T) {
	x := []float32{1, 2, 3, 4, 5, 6} // [2, 3]
	dst := make([]float32, 3*6)
	DirectEncoder{}.Encode(dst, x, 3, 2, 3, nil)
	for s := range 3 {
		if !slices.Equal(dst[s*6:(s+1)*6], x) {
			t.Errorf("step %d: %v, want %v", s, dst[s*6:(s+1)*6], x)
		}
	}
}

func TestRateEncoder(t *testing.T) {
	// p = clamp(gain*x + offset, 0, 1): x = 0 never spikes, x = 1 always,
	// x = 0.5 with gain 2 always, x = 0.8 with offset -0.8 never.
	x := []float32{0, 1, 0.5, 0.3}
	const steps = 50
	dst := make([]float32, steps*4)
	rng := rand.New(rand.NewPCG(1, 2))
	RateEncoder{}.Encode(dst, x, steps, 1, 4, rng)
	for s := range steps {
		if dst[s*4] != 0 || dst[s*4+1] != 1 {
			t.Fatalf("step %d: %v", s, dst[s*4:s*4+4])
		}
	}
	RateEncoder{Gain: 2}.Encode(dst, x, steps, 1, 4, rng)
	for s := range steps {
		if dst[s*4+2] != 1 {
			t.Fatalf("gain 2, x 0.5, step %d: no spike", s)
		}
	}
	RateEncoder{Offset: -0.8}.Encode(dst, []float32{0.8, 0.8, 0.8, 0.8}, steps, 1, 4, rng)
	for i, v := range dst {
		if v != 0 {
			t.Fatalf("offset -0.8, x 0.8: spike at %d", i)
		}
	}

	// Mean firing probability of x = 0.3 over 100000 draws: the standard
	// error is sqrt(0.3*0.7/1e5) = 0.00145; allow 4 of them (0.0058).
	const n = 100000
	big := make([]float32, n)
	in := []float32{0.3}
	RateEncoder{}.Encode(big, in, n, 1, 1, rng)
	var mean float64
	for _, v := range big {
		mean += float64(v)
	}
	mean /= n
	if math.Abs(mean-0.3) > 0.0058 {
		t.Errorf("mean rate %v, want 0.3 +- 0.0058", mean)
	}

	// The same seed gives the same spikes.
	a, b := make([]float32, steps*4), make([]float32, steps*4)
	RateEncoder{}.Encode(a, x, steps, 1, 4, rand.New(rand.NewPCG(7, 7)))
	RateEncoder{}.Encode(b, x, steps, 1, 4, rand.New(rand.NewPCG(7, 7)))
	if !slices.Equal(a, b) {
		t.Error("same seed, different spikes")
	}
}

// spikeSteps returns, for each of the n inputs, the step of its spike in
// dst ([steps, n]), -1 if none; it fails on more than one spike.
func spikeSteps(t *testing.T, dst []float32, steps, n int) []int {
	t.Helper()
	out := make([]int, n)
	for i := range out {
		out[i] = -1
		for s := range steps {
			if v := dst[s*n+i]; v == 1 {
				if out[i] >= 0 {
					t.Fatalf("input %d spikes twice", i)
				}
				out[i] = s
			} else if v != 0 {
				t.Fatalf("value %v", v)
			}
		}
	}
	return out
}

func TestLatencyEncoder(t *testing.T) {
	cases := []struct {
		name  string
		enc   LatencyEncoder
		steps int
		x     []float32
		want  []int
	}{
		// snnTorch's docstring of spikegen.latency: [0.02, 0.5, 1], num_steps
		// 5, normalize, linear: spike times 4*(1-x) = [3.92, 2, 0] (its
		// latency_code example), rounded to steps [4, 2, 0].
		{"linear normalized (snnTorch example)", LatencyEncoder{Linear: true, Normalize: true}, 5,
			[]float32{0.02, 0.5, 1}, []int{4, 2, 0}},
		// tau 1: t = 1-x = [0.98, 0.5, 0]: 0.5 rounds half to even, to 0.
		{"linear", LatencyEncoder{Linear: true}, 5, []float32{0.02, 0.5, 1}, []int{1, 0, 0}},
		// tau 5, threshold 0.01: t = 5 ln(x/(x-0.01)):
		// x = 1: 5 ln(1/0.99) = 0.0503 -> 0; x = 0.02: 5 ln 2 = 3.466 -> 3;
		// x = 0.011: 5 ln 11 = 11.99 -> 12, past 10 steps: dropped;
		// x = 0 -> 0.0100001: 5 ln(100001) = 57.56: dropped.
		{"log", LatencyEncoder{Tau: 5}, 10, []float32{1, 0.02, 0.011, 0}, []int{0, 3, -1, -1}},
		// Normalized: times times 9/(5 ln 100001) = 0.156346:
		// 0.0079 -> 0, 0.5419 -> 1, 1.8745 -> 2, 9 -> 9.
		{"log normalized", LatencyEncoder{Tau: 5, Normalize: true}, 10, []float32{1, 0.02, 0.011, 0}, []int{0, 1, 2, 9}},
		// Clip removes x = 0 (below the threshold), keeps x = 0.011.
		{"log normalized clipped", LatencyEncoder{Tau: 5, Normalize: true, Clip: true}, 10, []float32{1, 0.02, 0.011, 0}, []int{0, 1, 2, -1}},
	}
	for _, c := range cases {
		n := len(c.x)
		dst := make([]float32, c.steps*n)
		for i := range dst {
			dst[i] = 7 // must be overwritten
		}
		c.enc.Encode(dst, c.x, c.steps, 1, n, nil)
		if got := spikeSteps(t, dst, c.steps, n); !slices.Equal(got, c.want) {
			t.Errorf("%s: spike steps %v, want %v", c.name, got, c.want)
		}
	}
	// Spike times, unrounded: 5 ln 2 = 3.4657359 (float32 input 0.02 is
	// 0.0199999996, so allow 1e-6).
	if tm, ok := (LatencyEncoder{Tau: 5}).SpikeTime(0.02, 10); !ok || math.Abs(tm-5*math.Ln2) > 1e-6 {
		t.Errorf("SpikeTime(0.02) = %v, want %v", tm, 5*math.Ln2)
	}
}

func TestDeltaEncoder(t *testing.T) {
	// snnTorch's docstring of spikegen.delta: b = [1, 2, 0, 2, 2.9], threshold
	// 1, off_spike: [1, 1, -1, 1, 0]; with padding: [0, 1, -1, 1, 0].
	b := []float32{1, 2, 0, 2, 2.9}
	dst := make([]float32, 5)
	DeltaEncoder{Threshold: 1, Off: true}.Encode(dst, b, 5, 1, 1)
	if want := []float32{1, 1, -1, 1, 0}; !slices.Equal(dst, want) {
		t.Errorf("off: %v, want %v", dst, want)
	}
	DeltaEncoder{Threshold: 1, Off: true, Padding: true}.Encode(dst, b, 5, 1, 1)
	if want := []float32{0, 1, -1, 1, 0}; !slices.Equal(dst, want) {
		t.Errorf("off, padding: %v, want %v", dst, want)
	}
	// a = [1, 2, 2.9, 3, 3.9], threshold 1: the changes are 1, 1, 0.9, 0.1,
	// 0.9, so [1, 1, 0, 0, 0]. (snnTorch's docstring prints [1, 1, 0, 1, 0],
	// which its own code does not produce: 3 - 2.9 < 1.)
	a := []float32{1, 2, 2.9, 3, 3.9}
	DeltaEncoder{Threshold: 1}.Encode(dst, a, 5, 1, 1)
	if want := []float32{1, 1, 0, 0, 0}; !slices.Equal(dst, want) {
		t.Errorf("on: %v, want %v", dst, want)
	}
	// Two channels, two samples of one feature: sample 0 is b, sample 1 is
	// -b. Output [5, 2, 2]: (on, off) of sample 0, then of sample 1.
	frames := make([]float32, 10)
	for s := range 5 {
		frames[2*s], frames[2*s+1] = b[s], -b[s]
	}
	enc := DeltaEncoder{Threshold: 1, Off: true, Channels: true}
	out := make([]float32, 5*2*enc.OutFeatures(1))
	enc.Encode(out, frames, 5, 2, 1)
	want := []float32{
		1, 0, 0, 1, // step 0: +1 / -1 from zero
		1, 0, 0, 1, // step 1: +1 / -1
		0, 1, 1, 0, // step 2: -2 / +2
		1, 0, 0, 1, // step 3: +2 / -2
		0, 0, 0, 0, // step 4: 0.9 / -0.9
	}
	if !slices.Equal(out, want) {
		t.Errorf("channels: %v, want %v", out, want)
	}
}

func TestEncodersNoAlloc(t *testing.T) {
	x := make([]float32, 32*784)
	for i := range x {
		x[i] = float32(i%256) / 255
	}
	dst := make([]float32, 25*len(x))
	rng := rand.New(rand.NewPCG(1, 1))
	encs := []StaticEncoder{DirectEncoder{}, RateEncoder{}, LatencyEncoder{Normalize: true}}
	for _, e := range encs {
		if n := testing.AllocsPerRun(3, func() { e.Encode(dst, x, 25, 32, 784, rng) }); n != 0 {
			t.Errorf("%T: %v allocations per call", e, n)
		}
	}
	if n := testing.AllocsPerRun(3, func() { DeltaEncoder{Threshold: 0.1}.Encode(dst, dst, 25, 32, 784) }); n != 0 {
		t.Errorf("DeltaEncoder: %v allocations per call", n)
	}
}

func TestEncoderShapePanics(t *testing.T) {
	defer func() {
		var se *ShapeError
		if r := recover(); r == nil || !errors.As(r.(error), &se) || se.Op != "DirectEncoder.Encode" {
			t.Errorf("recovered %v, want a *ShapeError of DirectEncoder.Encode", r)
		}
	}()
	DirectEncoder{}.Encode(make([]float32, 5), make([]float32, 2), 3, 1, 2, nil)
}
