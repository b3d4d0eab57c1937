package datasets

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// apply runs tr on s with rng and fails the test on an error; it also
// checks that s was not modified and that the output passes Check.
func apply(t *testing.T, tr Transform, s *EventStream, rng *rand.Rand) *EventStream {
	t.Helper()
	before := slices.Clone(s.Events)
	out, err := tr.Apply(s, rng)
	if err != nil {
		t.Fatalf("%T: %v", tr, err)
	}
	if !slices.Equal(s.Events, before) {
		t.Fatalf("%T modified its input", tr)
	}
	if err := out.Check(); err != nil {
		t.Fatalf("%T: output fails Check: %v", tr, err)
	}
	if out.Path != s.Path {
		t.Fatalf("%T: path %q, want %q", tr, out.Path, s.Path)
	}
	return out
}

// TestDenoiseHandWorked: seven events on a 4×3 sensor, FilterTime 10 µs.
//
//	a (1,1) t=0:  no neighbour has fired           → dropped
//	b (2,1) t=5:  left neighbour a at 0, 5 < 10     → kept
//	c (3,2) t=6:  only diagonal b at 5              → kept with Diagonals
//	d (1,1) t=20: right b at 5, 15 ≥ 10; own a does not count → dropped
//	e (1,2) t=24: up d at 20, 4 < 10                → kept
//	g (2,2) t=24: left e at 24, earlier in the stream, 0 < 10 → kept
//	f (0,0) t=30: only diagonal d at 20, 10 is not < 10 → dropped
//
// A transcription of tonic's denoise_numpy keeps a, b, c, e, g: its memory
// starts as if every pixel fired at time 0, so a (t=0) and c (t=6 < 10)
// pass there; after the first FilterTime the two agree.
func TestDenoiseHandWorked(t *testing.T) {
	s := &EventStream{Width: 4, Height: 3, Path: "denoise", Events: []Event{
		{T: 0, X: 1, Y: 1}, {T: 5, X: 2, Y: 1}, {T: 6, X: 3, Y: 2}, {T: 20, X: 1, Y: 1},
		{T: 24, X: 1, Y: 2}, {T: 24, X: 2, Y: 2}, {T: 30, X: 0, Y: 0},
	}}
	ev := s.Events
	if got := apply(t, Denoise{FilterTime: 10}, s, nil).Events; !slices.Equal(got, []Event{ev[1], ev[4], ev[5]}) {
		t.Errorf("4-neighbourhood: %v, want b, e, g", got)
	}
	if got := apply(t, Denoise{FilterTime: 10, Diagonals: true}, s, nil).Events; !slices.Equal(got, []Event{ev[1], ev[2], ev[4], ev[5]}) {
		t.Errorf("8-neighbourhood: %v, want b, c, e, g", got)
	}
	// FilterTime 11: f's diagonal d at 20 is 10 < 11 before it.
	if got := apply(t, Denoise{FilterTime: 11, Diagonals: true}, s, nil).Events; !slices.Contains(got, ev[6]) {
		t.Errorf("FilterTime 11 with diagonals drops f: %v", got)
	}
	// Times near the end of int64: t + FilterTime saturates instead of
	// wrapping to a negative expiry.
	late := &EventStream{Width: 2, Height: 1, Path: "late", Events: []Event{{T: math.MaxInt64 - 2}, {T: math.MaxInt64 - 1, X: 1}}}
	if got := apply(t, Denoise{FilterTime: 1 << 40}, late, nil).Events; !slices.Equal(got, late.Events[1:]) {
		t.Errorf("late events: %v, want the second", got)
	}
	// Events on the border of the sensor look outside it without error.
	corner := &EventStream{Width: 2, Height: 2, Path: "corner", Events: []Event{{T: 0}, {T: 1, X: 1, Y: 1}, {T: 2, X: 1}}}
	if got := apply(t, Denoise{FilterTime: 5, Diagonals: true}, corner, nil).Events; !slices.Equal(got, corner.Events[1:]) {
		t.Errorf("corners: %v, want the last two", got)
	}
}

func TestDownsample(t *testing.T) {
	// sixEvents on 3×2 with Factor 2: x/2 maps 0, 1 → 0 and 2 → 1, y/2 = 0,
	// on a ⌈3/2⌉×⌈2/2⌉ = 2×1 sensor.
	out := apply(t, Downsample{Factor: 2}, sixEvents(), nil)
	if out.Width != 2 || out.Height != 1 {
		t.Errorf("sensor %dx%d, want 2x1", out.Width, out.Height)
	}
	want := []Event{{T: 0, P: 1}, {T: 3, P: 0}, {T: 5, X: 1, P: 1}, {T: 5, X: 1, P: 1}, {T: 9}, {T: 10, P: 1}}
	if !slices.Equal(out.Events, want) {
		t.Errorf("events %v, want %v", out.Events, want)
	}
	// Factor 1 changes nothing; frames of a downsampled stream sum the
	// frames of the blocks of the original: on N-MNIST's 34×34 sensor with
	// factor 4 the sensor is 9×9 and the counts are conserved.
	s := randomStream(800, 34, 34, 9)
	if got := apply(t, Downsample{Factor: 1}, s, nil); !slices.Equal(got.Events, s.Events) || got.Width != 34 {
		t.Error("Factor 1 changed the stream")
	}
	d := apply(t, Downsample{Factor: 4}, s, nil)
	if d.Width != 9 || d.Height != 9 {
		t.Errorf("34/4: sensor %dx%d, want 9x9", d.Width, d.Height)
	}
	big, _ := ToFrames(s, FrameConfig{TimeBins: 3, LastToEnd: true})
	small, _ := ToFrames(d, FrameConfig{TimeBins: 3, LastToEnd: true})
	for tt := range 3 {
		for c := range 2 {
			for y := range 34 {
				for x := range 34 {
					small.Data[tt*162+c*81+y/4*9+x/4] -= big.Data[tt*2312+c*1156+y*34+x]
				}
			}
		}
	}
	if slices.ContainsFunc(small.Data, func(v float32) bool { return v != 0 }) {
		t.Error("a downsampled frame is not the sum of the 4×4 blocks of the frame")
	}
	for _, f := range []int{0, -2, 70000} {
		if _, err := (Downsample{Factor: f}).Apply(sixEvents(), nil); err == nil || !strings.Contains(err.Error(), "Downsample: Factor") {
			t.Errorf("Factor %d: %v, want an error naming Factor", f, err)
		}
	}
}

func TestFlips(t *testing.T) {
	// sixEvents on 3×2: LR maps x 0↔2, 1↔1; UD maps y 0↔1.
	lr := apply(t, FlipLR{P: 1}, sixEvents(), nil)
	if xs := []uint16{lr.Events[0].X, lr.Events[1].X, lr.Events[2].X, lr.Events[4].X}; !slices.Equal(xs, []uint16{2, 1, 0, 2}) {
		t.Errorf("LR x: %v, want [2 1 0 2]", xs)
	}
	ud := apply(t, FlipUD{P: 1}, sixEvents(), nil)
	if ys := []uint16{ud.Events[0].Y, ud.Events[2].Y, ud.Events[4].Y}; !slices.Equal(ys, []uint16{1, 0, 0}) {
		t.Errorf("UD y: %v, want [1 0 0]", ys)
	}
	// Involutions; P 0 is the identity.
	s := randomStream(300, 34, 34, 2)
	for _, tr := range []Transform{FlipLR{P: 1}, FlipUD{P: 1}} {
		if twice := apply(t, tr, apply(t, tr, s, nil), nil); !slices.Equal(twice.Events, s.Events) {
			t.Errorf("%T twice is not the identity", tr)
		}
	}
	for _, tr := range []Transform{FlipLR{}, FlipUD{}} {
		if got := apply(t, tr, s, nil); !slices.Equal(got.Events, s.Events) {
			t.Errorf("%T with P 0 changed the stream", tr)
		}
	}
	// P 0.5: 1000 draws flip 500 ± 5σ (σ = √(1000·0.25) ≈ 15.8) times.
	rng := rand.New(rand.NewPCG(1, 2))
	n := 0
	for range 1000 {
		if apply(t, FlipLR{P: 0.5}, sixEvents(), rng).Events[0].X == 2 {
			n++
		}
	}
	if n < 421 || n > 579 {
		t.Errorf("P 0.5 flipped %d of 1000 streams", n)
	}
	for _, c := range []struct {
		tr   Transform
		rng  *rand.Rand
		want string
	}{
		{FlipLR{P: 1.5}, rng, "FlipLR: P 1.5 is outside [0, 1]"},
		{FlipUD{P: math.NaN()}, rng, "FlipUD: P NaN is outside [0, 1]"},
		{FlipUD{P: -0.1}, rng, "FlipUD: P -0.1 is outside [0, 1]"},
		{FlipLR{P: 0.5}, nil, "FlipLR: P 0.5 needs a *rand.Rand"},
		{TimeReversal{P: 2}, rng, "TimeReversal: P 2 is outside [0, 1]"},
	} {
		if _, err := c.tr.Apply(sixEvents(), c.rng); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.tr, err, c.want)
		}
	}
}

func TestTimeReversal(t *testing.T) {
	// sixEvents, tN = 10: t' = 10 − t in reverse order, polarities swapped.
	got := apply(t, TimeReversal{P: 1}, sixEvents(), nil).Events
	want := []Event{
		{T: 0, X: 1, Y: 1, P: 0}, {T: 1, X: 0, Y: 1, P: 1}, {T: 5, X: 2, Y: 1, P: 0},
		{T: 5, X: 2, Y: 1, P: 0}, {T: 7, X: 1, Y: 0, P: 1}, {T: 10, X: 0, Y: 0, P: 0},
	}
	if !slices.Equal(got, want) {
		t.Errorf("reversed %v, want %v", got, want)
	}
	keep := apply(t, TimeReversal{P: 1, KeepPolarity: true}, sixEvents(), nil).Events
	if keep[0].P != 1 || keep[5].P != 1 {
		t.Errorf("KeepPolarity: polarities %d, %d, want 1, 1", keep[0].P, keep[5].P)
	}
	// tN − t must not overflow: a span beyond int64 is an error.
	huge := &EventStream{Width: 1, Height: 1, Path: "huge", Events: []Event{{T: math.MinInt64}, {T: math.MaxInt64}}}
	if _, err := (TimeReversal{P: 1}).Apply(huge, nil); err == nil || !strings.Contains(err.Error(), "huge: the events span from") {
		t.Errorf("span beyond int64: %v", err)
	}
	// A stream that starts at 0 comes back after two reversals.
	s := randomStream(300, 8, 8, 4)
	s.Events[0].T = 0
	if twice := apply(t, TimeReversal{P: 1}, apply(t, TimeReversal{P: 1}, s, nil), nil); !slices.Equal(twice.Events, s.Events) {
		t.Error("two reversals are not the identity")
	}
}

func TestTimeJitter(t *testing.T) {
	s := randomStream(2000, 34, 34, 5)
	if got := apply(t, TimeJitter{}, s, nil); !slices.Equal(got.Events, s.Events) {
		t.Error("Std 0 changed the stream")
	}
	// With KeepNegative nothing is lost: the same number of events, the
	// same multiset of (x, y, p), in time order (apply checks the order).
	rng := rand.New(rand.NewPCG(3, 3))
	j := apply(t, TimeJitter{Std: 300, KeepNegative: true}, s, rng)
	if len(j.Events) != len(s.Events) {
		t.Fatalf("KeepNegative: %d events of %d", len(j.Events), len(s.Events))
	}
	key := func(e Event) int { return int(e.P)<<20 | int(e.Y)<<10 | int(e.X) }
	a, b := make([]int, len(s.Events)), make([]int, len(s.Events))
	for i := range a {
		a[i], b[i] = key(s.Events[i]), key(j.Events[i])
	}
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) {
		t.Error("jitter changed the pixels or polarities")
	}
	// Clipping drops exactly the negative times: the same draws (same
	// seed) without KeepNegative give the non-negative events.
	c := apply(t, TimeJitter{Std: 300}, s, rand.New(rand.NewPCG(3, 3)))
	var nonneg []Event
	for _, e := range j.Events {
		if e.T >= 0 {
			nonneg = append(nonneg, e)
		}
	}
	if !slices.Equal(c.Events, nonneg) || len(nonneg) == len(j.Events) {
		t.Errorf("clipping kept %d events, want the %d of %d with t ≥ 0 (some must be negative: the first events lie within 300 µs of 0)",
			len(c.Events), len(nonneg), len(j.Events))
	}
	// The shifts: events 10^6 µs apart cannot swap, so t' − t are the
	// rounded deviates. For 4000 of them with Std 100, the mean lies within
	// 5 standard errors (5·100/√4000 ≈ 7.9 µs) of 0 and the standard
	// deviation within 5 % of 100 (its standard error is 100/√8000 ≈ 1.1 %).
	far := &EventStream{Width: 1, Height: 1, Path: "far"}
	for i := range 4000 {
		far.Events = append(far.Events, Event{T: int64(i+1) * 1_000_000})
	}
	fj := apply(t, TimeJitter{Std: 100}, far, rand.New(rand.NewPCG(8, 8)))
	var m, v float64
	for i, e := range fj.Events {
		d := float64(e.T - far.Events[i].T)
		m += d
		v += d * d
	}
	m /= 4000
	sd := math.Sqrt(v/4000 - m*m)
	if math.Abs(m) > 7.9 || math.Abs(sd-100) > 5 {
		t.Errorf("shifts: mean %.2f µs, sd %.2f µs; want 0 ± 7.9 and 100 ± 5", m, sd)
	}
	for _, c := range []struct {
		j    TimeJitter
		rng  *rand.Rand
		want string
	}{
		{TimeJitter{Std: -1}, rng, "TimeJitter: Std -1 µs must be finite and not negative"},
		{TimeJitter{Std: math.Inf(1)}, rng, "Std +Inf µs"},
		{TimeJitter{Std: math.NaN()}, rng, "Std NaN µs"},
		{TimeJitter{Std: 3}, nil, "Std 3 µs needs a *rand.Rand"},
	} {
		if _, err := c.j.Apply(s, c.rng); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.j, err, c.want)
		}
	}
}

func TestCropTime(t *testing.T) {
	ev := sixEvents().Events
	// Inclusive bounds: 3 ≤ t ≤ 9 holds e1..e4.
	if got := apply(t, CropTime{Min: 3, Max: 9}, sixEvents(), nil).Events; !slices.Equal(got, ev[1:5]) {
		t.Errorf("[3, 9]: %v", got)
	}
	// Max 0: no upper bound; t ≥ 5 holds e2..e5.
	if got := apply(t, CropTime{Min: 5}, sixEvents(), nil).Events; !slices.Equal(got, ev[2:]) {
		t.Errorf("[5, ∞): %v", got)
	}
	if _, err := (CropTime{Min: 5, Max: 4}).Apply(sixEvents(), nil); err == nil || !strings.Contains(err.Error(), "CropTime: Max 4 µs is below Min 5 µs") {
		t.Errorf("Max < Min: %v", err)
	}
}

func TestRandomCropTime(t *testing.T) {
	// sixEvents spans 0..10 µs; Duration 4 draws a start s in [0, 7] and
	// keeps [s, s+4): s = 0 → e0 e1; 1 → e1; 2, 3 → e1 e2 e3; 4, 5 → e2 e3;
	// 6 → e4; 7 → e4 e5: six different outputs, all of which 400 draws of
	// probability ≥ 1/8 each give (a miss has probability below 8·(7/8)^400).
	ev := sixEvents().Events
	want := [][]Event{ev[0:2], ev[1:2], ev[1:4], ev[2:4], ev[4:5], ev[4:6]}
	seen := make([]bool, len(want))
	rng := rand.New(rand.NewPCG(4, 4))
	for range 400 {
		got := apply(t, RandomCropTime{Duration: 4}, sixEvents(), rng).Events
		i := slices.IndexFunc(want, func(w []Event) bool { return slices.Equal(w, got) })
		if i < 0 {
			t.Fatalf("window %v is none of the possible ones", got)
		}
		seen[i] = true
	}
	if slices.Contains(seen, false) {
		t.Errorf("windows seen %v: want all", seen)
	}
	// Shorter than Duration: whole, without a draw (nil rng).
	if got := apply(t, RandomCropTime{Duration: 11}, sixEvents(), nil).Events; !slices.Equal(got, ev) {
		t.Errorf("Duration 11 > 10: %v", got)
	}
	for _, d := range []int64{0, -3} {
		if _, err := (RandomCropTime{Duration: d}).Apply(sixEvents(), rng); err == nil || !strings.Contains(err.Error(), "RandomCropTime: Duration") {
			t.Errorf("Duration %d: %v", d, err)
		}
	}
	if _, err := (RandomCropTime{Duration: 4}).Apply(sixEvents(), nil); err == nil || !strings.Contains(err.Error(), "needs a *rand.Rand") {
		t.Errorf("nil rng: %v", err)
	}
}

func TestCompose(t *testing.T) {
	c := Compose{Downsample{Factor: 2}, FlipLR{P: 1}}
	if w, h := c.OutputSize(3, 2); w != 2 || h != 1 {
		t.Errorf("OutputSize %d, %d; want 2, 1", w, h)
	}
	// Downsampled x (0 0 1 1 0 0) on a 2-wide sensor, then mirrored: 1 − x.
	got := apply(t, c, sixEvents(), nil)
	var xs []uint16
	for _, e := range got.Events {
		xs = append(xs, e.X)
	}
	if !slices.Equal(xs, []uint16{1, 1, 0, 0, 1, 1}) || got.Width != 2 {
		t.Errorf("x %v on width %d, want [1 1 0 0 1 1] on 2", xs, got.Width)
	}
	if _, err := (Compose{FlipLR{}, Denoise{}}).Apply(sixEvents(), nil); err == nil || !strings.Contains(err.Error(), "Compose[1]: datasets: Denoise: FilterTime 0 µs must be positive") {
		t.Errorf("bad second transform: %v", err)
	}
	// The same seed gives the same augmented stream.
	aug := Compose{TimeJitter{Std: 50}, FlipLR{P: 0.5}, FlipUD{P: 0.5}, TimeReversal{P: 0.5}, RandomCropTime{Duration: 20000}, Denoise{FilterTime: 5000}}
	s := randomStream(1000, 34, 34, 6)
	a := apply(t, aug, s, rand.New(rand.NewPCG(9, 9)))
	b := apply(t, aug, s, rand.New(rand.NewPCG(9, 9)))
	if !slices.Equal(a.Events, b.Events) {
		t.Error("the same seed gave different streams")
	}
	// A stream that fails Check is refused by every transform.
	bad := sixEvents()
	bad.Events[1].T = -1
	for _, tr := range []Transform{Denoise{FilterTime: 1}, Downsample{Factor: 1}, TimeJitter{}, FlipLR{}, FlipUD{}, TimeReversal{}, CropTime{}, RandomCropTime{Duration: 1}} {
		if _, err := tr.Apply(bad, nil); err == nil || !strings.Contains(err.Error(), "six: event 1 at -1 µs comes before event 0") {
			t.Errorf("%T: %v, want the error of Check", tr, err)
		}
	}
}

// TestTransformsNMNIST runs the transforms on the real N-MNIST sample:
// 4325 events (../shared/data/README.md) that Downsample, the flips, time
// reversal and jitter keep, and that Denoise thins.
func TestTransformsNMNIST(t *testing.T) {
	s, err := ReadNMNISTFile(filepath.Join(sharedData(t, "event-samples"), "sample_nmnist.bin"))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for _, tr := range []Transform{Downsample{Factor: 2}, FlipLR{P: 1}, FlipUD{P: 1}, TimeReversal{P: 1}, TimeJitter{Std: 100, KeepNegative: true}} {
		if n := len(apply(t, tr, s, rng).Events); n != 4325 {
			t.Errorf("%T: %d events, want 4325", tr, n)
		}
	}
	// 3998 kept, 3996 of them at 10 ms or later: an independent Python
	// transcription of Denoise's rule run over the file. A transcription of
	// tonic's denoise_numpy keeps 4012: the same 3996 after 10 ms, and 16
	// instead of 2 before, where its memory acts as if every pixel fired
	// at time 0.
	d := apply(t, Denoise{FilterTime: 10000}, s, nil)
	late := 0
	for _, e := range d.Events {
		if e.T >= 10000 {
			late++
		}
	}
	if len(d.Events) != 3998 || late != 3996 {
		t.Errorf("Denoise{FilterTime: 10000} keeps %d events, %d of them from 10 ms; want 3998 and 3996", len(d.Events), late)
	}
}
