package datasets

import (
	"maps"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sixEvents is a stream of six events on a 3×2 sensor, the input of the
// hand-worked frames below. In a frame of two channels the flat index of
// (p, y, x) is p·6 + y·3 + x: e0 → 6, e1 → 1, e2 and e3 → 11, e4 → 3,
// e5 → 10.
func sixEvents() *EventStream {
	return &EventStream{Width: 3, Height: 2, Path: "six", Events: []Event{
		{T: 0, X: 0, Y: 0, P: 1},  // e0
		{T: 3, X: 1, Y: 0, P: 0},  // e1
		{T: 5, X: 2, Y: 1, P: 1},  // e2
		{T: 5, X: 2, Y: 1, P: 1},  // e3
		{T: 9, X: 0, Y: 1, P: 0},  // e4
		{T: 10, X: 1, Y: 1, P: 1}, // e5
	}}
}

// nonzero returns the nonzero values of every frame of f by flat index.
func nonzero(f *Frames) []map[int]float32 {
	F := f.Features()
	out := make([]map[int]float32, f.Steps)
	for t := range out {
		out[t] = map[int]float32{}
		for i, v := range f.Data[t*F : (t+1)*F] {
			if v != 0 {
				out[t][i] = v
			}
		}
	}
	return out
}

type m = map[int]float32

// TestToFramesHandWorked checks every slicing on sixEvents against frames
// worked out by hand from the definitions in FrameConfig's comment (t0 = 0,
// tN = 10, N = 6); each is also what a transcription of tonic's slicers and
// to_frame_numpy (tonic v1.4, numpy.searchsorted and numpy.add.at) gives.
func TestToFramesHandWorked(t *testing.T) {
	cases := []struct {
		name string
		c    FrameConfig
		want []m
	}{
		// S = 4, n = ⌊(10−4)/4⌋+1 = 2: [0,4) holds e0 e1, [4,8) e2 e3; e4 e5 fall after.
		{"window", FrameConfig{TimeWindow: 4}, []m{{6: 1, 1: 1}, {11: 2}}},
		// n = ⌈6/4⌉+1 = 3: [8,12) holds e4 e5.
		{"window incomplete", FrameConfig{TimeWindow: 4, IncludeIncomplete: true}, []m{{6: 1, 1: 1}, {11: 2}, {3: 1, 10: 1}}},
		// S = 2, n = ⌊6/2⌋+1 = 4: [0,4) [2,6) [4,8) [6,10); e5 at 10 is outside the last.
		{"window overlap", FrameConfig{TimeWindow: 4, Overlap: 2}, []m{{6: 1, 1: 1}, {1: 1, 11: 2}, {11: 2}, {3: 1}}},
		// k = 4, n = ⌊2/4⌋+1 = 1: e0..e3.
		{"count", FrameConfig{EventCount: 4}, []m{{6: 1, 1: 1, 11: 2}}},
		// n = ⌈2/4⌉+1 = 2: [4,8) cut at 6 holds e4 e5.
		{"count incomplete", FrameConfig{EventCount: 4, IncludeIncomplete: true}, []m{{6: 1, 1: 1, 11: 2}, {3: 1, 10: 1}}},
		// S = 2, n = ⌊2/2⌋+1 = 2: e0..e3 and e2..e5.
		{"count overlap", FrameConfig{EventCount: 4, Overlap: 2}, []m{{6: 1, 1: 1, 11: 2}, {11: 2, 3: 1, 10: 1}}},
		// w = ⌊10/3⌋ = 3: [0,3) e0, [3,6) e1 e2 e3, [6,9) nothing; e4 e5 lost (tonic).
		{"time bins", FrameConfig{TimeBins: 3}, []m{{6: 1}, {1: 1, 11: 2}, {}}},
		// The same, the last bin running to the end (SpikingJelly split_by "time"): e4 e5 join it.
		{"time bins to end", FrameConfig{TimeBins: 3, LastToEnd: true}, []m{{6: 1}, {1: 1, 11: 2}, {3: 1, 10: 1}}},
		// w = 5·1.5 = 7.5, stride 3.75: [0,7.5) e0..e3, [3.75,11.25) e2..e5.
		{"time bins overlap", FrameConfig{TimeBins: 2, BinOverlap: 0.5}, []m{{6: 1, 1: 1, 11: 2}, {11: 2, 3: 1, 10: 1}}},
		// k = ⌊6/4⌋ = 1: one event per frame, e4 e5 lost (tonic).
		{"event bins", FrameConfig{EventBins: 4}, []m{{6: 1}, {1: 1}, {11: 1}, {11: 1}}},
		// SpikingJelly split_by "number": the last frame is [3, 6).
		{"event bins to end", FrameConfig{EventBins: 4, LastToEnd: true}, []m{{6: 1}, {1: 1}, {11: 1}, {11: 1, 3: 1, 10: 1}}},
		// k = int(3·1.5) = 4, stride int(4·0.5) = 2: e0..e3, e2..e5.
		{"event bins overlap", FrameConfig{EventBins: 2, BinOverlap: 0.5}, []m{{6: 1, 1: 1, 11: 2}, {11: 2, 3: 1, 10: 1}}},
		// One channel: index y·3 + x; e2 e3 at (2, 1) → 5.
		{"merged", FrameConfig{TimeWindow: 4, IncludeIncomplete: true, MergePolarity: true}, []m{{0: 1, 1: 1}, {5: 2}, {3: 1, 4: 1}}},
		// e2 and e3 make one spike at 11.
		{"binary", FrameConfig{TimeWindow: 4, Binary: true}, []m{{6: 1, 1: 1}, {11: 1}}},
	}
	for _, c := range cases {
		f, err := ToFrames(sixEvents(), c.c)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		ch := 2
		if c.c.MergePolarity {
			ch = 1
		}
		if f.Channels != ch || f.Height != 2 || f.Width != 3 || len(f.Data) != f.Steps*ch*6 {
			t.Errorf("%s: frames %d×%d×%d×%d with %d values", c.name, f.Steps, f.Channels, f.Height, f.Width, len(f.Data))
		}
		got := nonzero(f)
		if !slices.EqualFunc(got, c.want, maps.Equal) {
			t.Errorf("%s: frames %v, want %v", c.name, got, c.want)
		}
	}
}

// TestToFramesEmpty: an empty stream gives the bins' number of empty
// frames, and one empty frame for a window or a count.
func TestToFramesEmpty(t *testing.T) {
	s := &EventStream{Width: 2, Height: 2, Path: "empty"}
	for c, steps := range map[FrameConfig]int{{TimeWindow: 5}: 1, {EventCount: 3}: 1, {TimeBins: 4}: 4, {EventBins: 2, LastToEnd: true}: 2} {
		f, err := ToFrames(s, c)
		if err != nil {
			t.Fatal(err)
		}
		if f.Steps != steps || slices.ContainsFunc(f.Data, func(v float32) bool { return v != 0 }) {
			t.Errorf("%+v: %d frames %v, want %d empty", c, f.Steps, f.Data, steps)
		}
	}
}

// randomStream returns n events on a w×h sensor at increasing times with
// gaps of 0 to 99 µs.
func randomStream(n, w, h int, seed uint64) *EventStream {
	rng := rand.New(rand.NewPCG(seed, 7))
	s := &EventStream{Width: w, Height: h, Path: "random"}
	var tt int64
	for range n {
		tt += rng.Int64N(100)
		s.Events = append(s.Events, Event{T: tt, X: uint16(rng.IntN(w)), Y: uint16(rng.IntN(h)), P: uint8(rng.IntN(2))})
	}
	return s
}

// sum32 returns the sum of x.
func sum32(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return s
}

// TestToFramesConserves: the slicings that put every event in exactly one
// frame (bins running to the end, counts with the incomplete frame, all
// without overlap) conserve the number of events, and per pixel the sum of
// the frames is the pixel's histogram; Binary is count > 0; Events lists
// exactly the nonzero values.
func TestToFramesConserves(t *testing.T) {
	for seed := range uint64(5) {
		s := randomStream(500+int(seed)*37, 7, 5, seed)
		hist := make([]float32, 2*5*7)
		for _, e := range s.Events {
			hist[int(e.P)*35+int(e.Y)*7+int(e.X)]++
		}
		for _, c := range []FrameConfig{{TimeBins: 7, LastToEnd: true}, {EventBins: 9, LastToEnd: true}, {EventCount: 60, IncludeIncomplete: true}, {TimeBins: 1, LastToEnd: true}} {
			f, err := ToFrames(s, c)
			if err != nil {
				t.Fatal(err)
			}
			if got := sum32(f.Data); got != float64(len(s.Events)) {
				t.Errorf("seed %d %+v: frames hold %v events, the stream %d", seed, c, got, len(s.Events))
			}
			acc := make([]float32, len(hist))
			for tt := range f.Steps {
				for i, v := range f.Data[tt*70 : (tt+1)*70] {
					acc[i] += v
				}
			}
			if !slices.Equal(acc, hist) {
				t.Errorf("seed %d %+v: per-pixel totals differ from the histogram", seed, c)
			}
			c.Binary = true
			b, err := ToFrames(s, c)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range f.Data {
				if want := float32(min(v, 1)); b.Data[i] != want {
					t.Fatalf("seed %d %+v: binary value %d is %v, count %v", seed, c, i, b.Data[i], v)
				}
			}
			ev := b.Events()
			re := make([]float32, len(b.Data))
			for tt, idx := range ev {
				if !slices.IsSorted(idx) {
					t.Fatalf("step %d: indices not ascending", tt)
				}
				for _, i := range idx {
					re[tt*70+i] = 1
				}
			}
			if !slices.Equal(re, b.Data) {
				t.Errorf("seed %d %+v: Events does not rebuild the binary frames", seed, c)
			}
		}
	}
}

// TestFrameConfigErrors: every bad configuration is an error naming the
// field.
func TestFrameConfigErrors(t *testing.T) {
	cases := []struct {
		c    FrameConfig
		want string
	}{
		{FrameConfig{}, "set exactly one of TimeWindow, EventCount, TimeBins and EventBins"},
		{FrameConfig{TimeWindow: 5, TimeBins: 3}, "set exactly one of"},
		{FrameConfig{TimeWindow: -5}, "TimeWindow -5 µs is negative"},
		{FrameConfig{EventCount: -1}, "EventCount -1 is negative"},
		{FrameConfig{TimeBins: -2}, "TimeBins -2 is negative"},
		{FrameConfig{EventBins: -2}, "EventBins -2 is negative"},
		{FrameConfig{TimeWindow: 5, Overlap: -1}, "Overlap -1 is negative"},
		{FrameConfig{TimeWindow: 5, Overlap: 5}, "Overlap 5 µs is not below the window of 5 µs"},
		{FrameConfig{EventCount: 5, Overlap: 6}, "Overlap 6 events is not below the window of 5 events"},
		{FrameConfig{TimeBins: 5, BinOverlap: 1}, "BinOverlap 1 is outside [0, 1)"},
		{FrameConfig{TimeBins: 5, BinOverlap: -0.1}, "BinOverlap -0.1 is outside [0, 1)"},
		{FrameConfig{TimeWindow: 5, BinOverlap: 0.5}, "BinOverlap 0.5 applies to TimeBins and EventBins only"},
		{FrameConfig{EventBins: 5, Overlap: 1}, "Overlap 1 applies to TimeWindow and EventCount only"},
		{FrameConfig{TimeBins: 5, IncludeIncomplete: true}, "IncludeIncomplete applies to TimeWindow and EventCount only"},
		{FrameConfig{EventCount: 5, LastToEnd: true}, "LastToEnd applies to TimeBins and EventBins only"},
	}
	for _, c := range cases {
		_, err := ToFrames(sixEvents(), c.c)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want an error containing %q", c.c, err, c.want)
		}
	}
	// Too many frames: an error naming the slicing, not an allocation that
	// fails. 2^30 bins of 12 values exceed 2^31 − 1 values; so do 1 µs
	// windows over a stream of 10^12 µs.
	if _, err := ToFrames(sixEvents(), FrameConfig{TimeBins: 1 << 30}); err == nil || !strings.Contains(err.Error(), "TimeBins 1073741824 cuts the stream into 1073741824 frames of 12 values") {
		t.Errorf("2^30 bins: %v", err)
	}
	long := sixEvents()
	long.Events[5].T = 1e12
	if _, err := ToFrames(long, FrameConfig{TimeWindow: 1}); err == nil || !strings.Contains(err.Error(), "TimeWindow 1 µs cuts the stream into") || !strings.Contains(err.Error(), "(six)") {
		t.Errorf("10^12 windows: %v", err)
	}
	if _, err := NewFrameSet([]*EventStream{sixEvents()}, []int{0}, nil, FrameConfig{EventBins: 1 << 30}); err == nil || !strings.Contains(err.Error(), "EventBins 1073741824 cuts") {
		t.Errorf("FrameSet of 2^30 bins: %v", err)
	}
	wide := sixEvents()
	wide.Events[0].T = math.MinInt64
	if _, err := ToFrames(wide, FrameConfig{TimeWindow: 4}); err == nil || !strings.Contains(err.Error(), "more than an int64 holds") {
		t.Errorf("span beyond int64: %v", err)
	}
	// A stream that fails Check: its error, naming the path and event.
	bad := sixEvents()
	bad.Events[2].X = 3
	if _, err := ToFrames(bad, FrameConfig{TimeBins: 2}); err == nil || !strings.Contains(err.Error(), "six: event 2 at (x 3, y 1) lies outside the 3x2 sensor") {
		t.Errorf("event off the sensor: %v", err)
	}
}

func TestStackFrames(t *testing.T) {
	a, _ := ToFrames(sixEvents(), FrameConfig{TimeBins: 3, LastToEnd: true})
	s2 := sixEvents()
	s2.Events = s2.Events[1:]
	b, _ := ToFrames(s2, FrameConfig{TimeBins: 3, LastToEnd: true})
	x := make([]float32, 3*2*12)
	if err := StackFrames(x, []*Frames{a, b}); err != nil {
		t.Fatal(err)
	}
	for tt := range 3 {
		for i, f := range []*Frames{a, b} {
			if !slices.Equal(x[(tt*2+i)*12:(tt*2+i+1)*12], f.Data[tt*12:(tt+1)*12]) {
				t.Errorf("step %d sample %d: not the sample's frame", tt, i)
			}
		}
	}
	c, _ := ToFrames(sixEvents(), FrameConfig{TimeBins: 2})
	if err := StackFrames(x, []*Frames{a, c}); err == nil || !strings.Contains(err.Error(), "sample 1 has 2 frames of 2x2x3, sample 0 has 3") {
		t.Errorf("different step counts: %v", err)
	}
}

// TestFrameSet serves sixEvents and a flipped copy through a Loader-sized
// batch: the batch holds each stream's frames at its place in [T, B, F],
// and a transform's randomness comes from the batch's Rand.
func TestFrameSet(t *testing.T) {
	c := FrameConfig{TimeBins: 3, LastToEnd: true}
	set, err := NewFrameSet([]*EventStream{sixEvents(), sixEvents()}, []int{4, 7}, FlipLR{P: 1}, c)
	if err != nil {
		t.Fatal(err)
	}
	if st, f := set.Shape(); st != 3 || f != 12 || set.Len() != 2 {
		t.Fatalf("shape %d, %d, len %d; want 3, 12, 2", st, f, set.Len())
	}
	b := NewBatch(3, 2, 12)
	for i := range b.X {
		b.X[i] = 7 // a reused batch: Fill must overwrite every value
	}
	if err := set.Fill(b, []int{1, 0}); err != nil {
		t.Fatal(err)
	}
	flipped, _ := FlipLR{P: 1}.Apply(sixEvents(), nil)
	want, _ := ToFrames(flipped, c)
	for tt := range 3 {
		for r := range 2 {
			if !slices.Equal(b.X[(tt*2+r)*12:(tt*2+r+1)*12], want.Data[tt*12:(tt+1)*12]) {
				t.Errorf("step %d row %d: not the flipped stream's frame", tt, r)
			}
		}
	}
	if !slices.Equal(b.Labels, []int{7, 4}) {
		t.Errorf("labels %v, want [7 4]", b.Labels)
	}
	// Downsampling changes the frame size the set reports: ⌈3/2⌉·⌈2/2⌉·2 = 4.
	ds, err := NewFrameSet([]*EventStream{sixEvents()}, []int{0}, Compose{Downsample{Factor: 2}}, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, f := ds.Shape(); f != 4 {
		t.Errorf("downsampled frame size %d, want 4", f)
	}
	// A random transform without a source is an error naming the stream.
	rnd, _ := NewFrameSet([]*EventStream{sixEvents()}, []int{0}, FlipUD{P: 0.5}, c)
	if err := rnd.Fill(NewBatch(3, 1, 12), []int{0}); err == nil || !strings.Contains(err.Error(), "stream 0: datasets: FlipUD: P 0.5 needs a *rand.Rand") {
		t.Errorf("no Rand: %v", err)
	}
	for _, bad := range []struct {
		c    FrameConfig
		s    []*EventStream
		l    []int
		want string
	}{
		{FrameConfig{TimeWindow: 4}, []*EventStream{sixEvents()}, []int{0}, "use TimeBins or EventBins"},
		{c, []*EventStream{sixEvents()}, []int{0, 1}, "1 streams and 2 labels"},
		{c, []*EventStream{sixEvents(), {Width: 4, Height: 2, Path: "wide"}}, []int{0, 1}, "stream 1 (wide) has a 4x2 sensor, stream 0 (six) 3x2"},
	} {
		if _, err := NewFrameSet(bad.s, bad.l, nil, bad.c); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("got %v, want an error containing %q", err, bad.want)
		}
	}
}

// TestToFramesNMNIST cuts the real N-MNIST sample of ../shared/data
// (4325 events, as its README states) into frames: every slicing that
// covers the whole stream holds 4325 events.
func TestToFramesNMNIST(t *testing.T) {
	path := filepath.Join(sharedData(t, "event-samples"), "sample_nmnist.bin")
	s, err := ReadNMNISTFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const N = 4325 // ../shared/data/README.md: sample_nmnist.bin, 4325 events
	if len(s.Events) != N {
		t.Fatalf("%d events, want %d", len(s.Events), N)
	}
	for _, c := range []FrameConfig{
		{TimeBins: 10, LastToEnd: true}, {EventBins: 16, LastToEnd: true},
		{EventCount: 1000, IncludeIncomplete: true}, {TimeBins: 10, LastToEnd: true, MergePolarity: true},
	} {
		f, err := ToFrames(s, c)
		if err != nil {
			t.Fatal(err)
		}
		if got := sum32(f.Data); got != N {
			t.Errorf("%+v: frames hold %v events, want %d", c, got, N)
		}
	}
	// tonic's n_time_bins (without LastToEnd) drops the events after
	// t0 + n·⌊(tN − t0)/n⌋: count them independently of the slicer.
	f, err := ToFrames(s, FrameConfig{TimeBins: 10})
	if err != nil {
		t.Fatal(err)
	}
	t0, tN := s.Events[0].T, s.Events[N-1].T
	end := t0 + 10*((tN-t0)/10)
	lost := 0
	for _, e := range s.Events {
		if e.T >= end {
			lost++
		}
	}
	if got := sum32(f.Data); got != float64(N-lost) {
		t.Errorf("tonic time bins: frames hold %v events, want %d − %d after %d µs", got, N, lost, end)
	}
}

// TestFrameSetNMNISTSubset serves the 100 test samples of ../shared/data's
// N-MNIST subset through a FrameSet and a Loader: every sample's frames
// hold all of its events (TimeBins with LastToEnd loses none), and the
// labels are those of the set.
func TestFrameSetNMNISTSubset(t *testing.T) {
	set, err := NMNIST(sharedData(t, "nmnist-small"), Test)
	if err != nil {
		t.Fatal(err)
	}
	streams, err := set.Streams()
	if err != nil {
		t.Fatal(err)
	}
	labels := make([]int, set.Len())
	for i, sm := range set.Samples {
		labels[i] = sm.Label
	}
	fs, err := NewFrameSet(streams, labels, nil, FrameConfig{TimeBins: 8, LastToEnd: true})
	if err != nil {
		t.Fatal(err)
	}
	if st, f := fs.Shape(); st != 8 || f != 2*34*34 {
		t.Fatalf("shape %d, %d; want 8, 2312", st, f)
	}
	l, err := NewLoader(fs, LoaderConfig{BatchSize: 32}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	ep := l.Epoch(t.Context())
	defer ep.Close()
	seen := 0
	for ep.Next() {
		b := ep.Batch()
		for r := range b.Size {
			i := b.Index[r]
			var got float64
			for tt := range b.Steps {
				got += sum32(b.X[(tt*b.Size+r)*b.Features : (tt*b.Size+r+1)*b.Features])
			}
			if got != float64(len(streams[i].Events)) || b.Labels[r] != labels[i] {
				t.Errorf("sample %d: frames hold %v events, the file %d; label %d, want %d", i, got, len(streams[i].Events), b.Labels[r], labels[i])
			}
			seen++
		}
	}
	if err := ep.Err(); err != nil {
		t.Fatal(err)
	}
	if seen != 100 { // ../shared/data/README.md: 100 test samples
		t.Errorf("%d samples served, want 100", seen)
	}
}

// TestFrameSequences batches streams of 3, 2 and 1 frames of 4 µs
// (sixEvents spans 10 µs: ⌈6/4⌉+1 = 3 frames with IncludeIncomplete; its
// first three events span 5: ⌈1/4⌉+1 = 2; one event: 1) through a Loader:
// the batch is as long as its longest sample, Lengths holds 3, 2, 1, each
// sample's valid steps are its ToFrames and the padding is zero.
func TestFrameSequences(t *testing.T) {
	c := FrameConfig{TimeWindow: 4, IncludeIncomplete: true}
	a, b3, one := sixEvents(), sixEvents(), sixEvents()
	b3.Events, one.Events = b3.Events[:3], one.Events[:1]
	streams := []*EventStream{a, b3, one}
	set, err := NewFrameSequences(streams, []int{5, 6, 7}, c)
	if err != nil {
		t.Fatal(err)
	}
	if st, f := set.Shape(); st != 3 || f != 12 || !IsVarLen(set) {
		t.Fatalf("shape %d, %d, VarLen %v; want 3, 12, true", st, f, IsVarLen(set))
	}
	// The last batch of 2 holds one sample of one step: the Loader pads a
	// batch of one step to two (one step would read as a static input).
	for bs, wantSteps := range map[int][]int{3: {3}, 2: {3, 2}} {
		l, err := NewLoader(set, LoaderConfig{BatchSize: bs}, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		ep := l.Epoch(t.Context())
		var steps []int
		for ep.Next() {
			bt := ep.Batch()
			steps = append(steps, bt.Steps)
			for r := range bt.Size {
				i := bt.Index[r]
				f, _ := ToFrames(streams[i], c)
				if bt.Len(r) != f.Steps || bt.Labels[r] != 5+i {
					t.Errorf("batch size %d, sample %d: length %d, label %d; want %d, %d", bs, i, bt.Len(r), bt.Labels[r], f.Steps, 5+i)
				}
				for tt := range bt.Steps {
					got := bt.X[(tt*bt.Size+r)*12 : (tt*bt.Size+r+1)*12]
					want := make([]float32, 12)
					if tt < f.Steps {
						want = f.Data[tt*12 : (tt+1)*12]
					}
					if !slices.Equal(got, want) {
						t.Errorf("batch size %d, sample %d, step %d: %v, want %v", bs, i, tt, got, want)
					}
				}
			}
		}
		if err := ep.Close(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(steps, wantSteps) {
			t.Errorf("batch size %d: batches of %v steps, want %v", bs, steps, wantSteps)
		}
	}
	for _, bad := range []struct {
		c    FrameConfig
		s    []*EventStream
		want string
	}{
		{FrameConfig{TimeBins: 3}, streams, "use a FrameSet"},
		{c, []*EventStream{a, {Width: 3, Height: 2, Path: "back", Events: []Event{{T: 5}, {T: 4}}}, one}, "stream 1: datasets: back: event 1 at 4 µs comes before event 0"},
		{c, []*EventStream{a, {Width: 4, Height: 2, Path: "wide"}, one}, "stream 1 (wide) has a 4x2 sensor"},
	} {
		if _, err := NewFrameSequences(bad.s, []int{0, 1, 2}, bad.c); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("got %v, want an error containing %q", err, bad.want)
		}
	}
	// A stream changed after the set was made: an error, not a panic.
	one.Events = append(one.Events, Event{T: 50, X: 9})
	if err := set.Fill(NewBatch(3, 1, 12), []int{2}); err == nil || !strings.Contains(err.Error(), "stream 2: datasets: six: event 1 at (x 9, y 0) lies outside") {
		t.Errorf("changed stream: %v", err)
	}
	one.Events[1].X = 0 // now 50 µs long: ⌈(50−4)/4⌉+1 = 13 frames
	if err := set.Fill(NewBatch(3, 1, 12), []int{2}); err == nil || !strings.Contains(err.Error(), "stream 2 (six) now gives 13 frames of 12 values; it gave 1") {
		t.Errorf("longer stream: %v", err)
	}
}

// TestToFramesInto: reusing one Frames for streams of different sizes gives
// what ToFrames gives, allocates nothing once it has held the largest, and
// leaves the Frames unchanged on an error.
func TestToFramesInto(t *testing.T) {
	var f Frames
	big, small := randomStream(900, 7, 5, 1), sixEvents()
	for _, c := range []FrameConfig{{TimeWindow: 500, Overlap: 100}, {EventBins: 4, Binary: true}, {TimeBins: 3, LastToEnd: true, MergePolarity: true}} {
		for _, s := range []*EventStream{big, small, big} {
			if err := ToFramesInto(&f, s, c); err != nil {
				t.Fatal(err)
			}
			want, _ := ToFrames(s, c)
			if f.Steps != want.Steps || f.Channels != want.Channels || f.Height != want.Height || f.Width != want.Width || !slices.Equal(f.Data, want.Data) {
				t.Errorf("%+v on %s: ToFramesInto differs from ToFrames", c, s.Path)
			}
		}
	}
	c := FrameConfig{TimeWindow: 500}
	if err := ToFramesInto(&f, big, c); err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(20, func() { _ = ToFramesInto(&f, big, c) }); a != 0 {
		t.Errorf("%v allocations per reuse, want 0", a)
	}
	before := slices.Clone(f.Data)
	bad := sixEvents()
	bad.Events[0].P = 2
	if err := ToFramesInto(&f, bad, c); err == nil || !slices.Equal(f.Data, before) || f.Width != 7 {
		t.Errorf("bad stream: error %v, frames changed %v", err, !slices.Equal(f.Data, before))
	}
}
