package datasets

import "fmt"

// FrameConfig says how ToFrames cuts an event stream into frames and what a
// frame holds. Exactly one of TimeWindow, EventCount, TimeBins and EventBins
// is set (positive); it selects the slicing, which is that of tonic's ToFrame
// (tonic.transforms.ToFrame and tonic.slicers, v1.4). With t0 and tN the
// times of the first and last event and N the number of events, frame i
// holds the events with index in [start_i, end_i):
//
//	TimeWindow W, Overlap O (µs): stride S = W − O; the events with time in
//	    [t0 + i·S, t0 + i·S + W); n = ⌊(tN − t0 − W)/S⌋ + 1 frames (⌈·⌉ with
//	    IncludeIncomplete), at least 1.
//	EventCount K, Overlap O (events): stride S = K − O, k = min(K, N);
//	    events [i·S, i·S + k) (cut at N); n = ⌊(N − k)/S⌋ + 1 frames (⌈·⌉
//	    with IncludeIncomplete).
//	TimeBins n, BinOverlap o: window w = ⌊(tN − t0)/n⌋·(1 + o), stride
//	    w·(1 − o) (float64); the events with time in [t0 + i·stride,
//	    t0 + i·stride + w).
//	EventBins n, BinOverlap o: k = int(⌊N/n⌋·(1 + o)), stride
//	    int(k·(1 − o)); events [i·stride, i·stride + k).
//
// The bin slicings keep tonic's integer division, so without LastToEnd the
// last ((tN − t0) mod n µs, or N mod n events) of a stream fall in no frame,
// as in tonic. LastToEnd extends the last frame to the end of the stream,
// which is SpikingJelly's integrate_events_by_fixed_frames_number
// (spikingjelly.datasets, split_by "time" for TimeBins and "number" for
// EventBins, where j_r = N for the last frame): then, without overlap, every
// event falls in exactly one frame.
//
// An empty stream gives TimeBins or EventBins empty frames, or one empty
// frame for TimeWindow and EventCount.
type FrameConfig struct {
	// TimeWindow is the length of a frame in microseconds.
	TimeWindow int64
	// EventCount is the number of events in a frame.
	EventCount int
	// TimeBins is the number of frames, of equal duration.
	TimeBins int
	// EventBins is the number of frames, of equal event count.
	EventBins int
	// Overlap is the overlap of successive frames for TimeWindow (in
	// microseconds) and EventCount (in events); it must be below the
	// window and is refused for the bin slicings.
	Overlap int64
	// BinOverlap is the overlap of successive frames for TimeBins and
	// EventBins, as a fraction of a bin in [0, 1); refused for the others.
	BinOverlap float64
	// IncludeIncomplete keeps the last, shorter frame of TimeWindow and
	// EventCount (tonic's include_incomplete); refused for the bins.
	IncludeIncomplete bool
	// LastToEnd extends the last of TimeBins or EventBins frames to the last
	// event (SpikingJelly); refused for TimeWindow and EventCount.
	LastToEnd bool
	// MergePolarity counts ON and OFF events in one channel (tonic's
	// MergePolarities); otherwise channel c holds the events of polarity c
	// (channel 0 OFF, 1 ON, as tonic and SpikingJelly).
	MergePolarity bool
	// Binary writes 1 where a pixel saw at least one event in the frame
	// (spike = count > 0) instead of the count.
	Binary bool
}

// Frames is a stack of event frames, the input of a convolutional network:
// Data is [Steps, Channels, Height, Width] row-major, so that the value of
// channel c, row y, column x at step t is Data[t·F + c·H·W + y·W + x] with
// F = Channels·Height·Width. One frame is exactly the feature vector that
// layers.Conv2d reads (channel-major, PyTorch's NCHW image flattened), and
// Data is the sequence [Steps, 1, F] of one sample.
type Frames struct {
	Steps, Channels, Height, Width int
	Data                           []float32

	slices [][2]int // the event ranges of the frames, reused by ToFramesInto
}

// Features returns Channels·Height·Width, the values of one frame.
func (f *Frames) Features() int { return f.Channels * f.Height * f.Width }

// ToFrames accumulates the events of s into frames as c says: each event
// adds 1 to the pixel (X, Y) of its polarity's channel (or of the single
// channel with MergePolarity) in every frame whose slice holds it; with
// Binary the frames hold 1 where the count is positive. The stream must pass
// Check (on the sensor, polarity 0 or 1, time never running backwards): the
// error of Check is returned otherwise, and an error naming the field for a
// bad FrameConfig.
func ToFrames(s *EventStream, c FrameConfig) (*Frames, error) {
	f := &Frames{}
	if err := ToFramesInto(f, s, c); err != nil {
		return nil, err
	}
	return f, nil
}

// ToFramesInto is ToFrames writing into f: its Data (and its scratch) are
// reused when their capacity suffices, so that converting many streams
// allocates nothing once f has held the largest. On an error f is left
// unchanged.
func ToFramesInto(f *Frames, s *EventStream, c FrameConfig) error {
	if err := c.check(); err != nil {
		return err
	}
	sl, err := c.cut(s, f.slices)
	if err != nil {
		return err
	}
	f.slices = sl
	f.Steps, f.Channels, f.Height, f.Width = len(sl), c.channels(), s.Height, s.Width
	F := f.Features()
	if n := len(sl) * F; cap(f.Data) >= n {
		f.Data = f.Data[:n]
		clear(f.Data)
	} else {
		f.Data = make([]float32, n)
	}
	c.accumulate(f.Data, F, s, sl)
	return nil
}

// channels returns the number of channels of a frame.
func (c FrameConfig) channels() int {
	if c.MergePolarity {
		return 1
	}
	return 2
}

// fixedSteps returns the number of frames of every stream when it does not
// depend on the stream (TimeBins, EventBins), or 0.
func (c FrameConfig) fixedSteps() int {
	return c.TimeBins + c.EventBins
}

// check returns an error naming the field of c that is wrong.
func (c FrameConfig) check() error {
	set := 0
	for _, on := range []bool{c.TimeWindow != 0, c.EventCount != 0, c.TimeBins != 0, c.EventBins != 0} {
		if on {
			set++
		}
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("datasets: FrameConfig: "+format, args...)
	}
	switch {
	case set != 1:
		return bad("set exactly one of TimeWindow, EventCount, TimeBins and EventBins (have TimeWindow %d µs, EventCount %d, TimeBins %d, EventBins %d)",
			c.TimeWindow, c.EventCount, c.TimeBins, c.EventBins)
	case c.TimeWindow < 0:
		return bad("TimeWindow %d µs is negative", c.TimeWindow)
	case c.EventCount < 0:
		return bad("EventCount %d is negative", c.EventCount)
	case c.TimeBins < 0:
		return bad("TimeBins %d is negative", c.TimeBins)
	case c.EventBins < 0:
		return bad("EventBins %d is negative", c.EventBins)
	case c.Overlap < 0:
		return bad("Overlap %d is negative", c.Overlap)
	case !(c.BinOverlap >= 0 && c.BinOverlap < 1):
		return bad("BinOverlap %g is outside [0, 1)", c.BinOverlap)
	}
	if c.TimeWindow > 0 || c.EventCount > 0 {
		win, unit := c.TimeWindow, "µs"
		if c.EventCount > 0 {
			win, unit = int64(c.EventCount), "events"
		}
		switch {
		case c.Overlap >= win:
			return bad("Overlap %d %s is not below the window of %d %s", c.Overlap, unit, win, unit)
		case c.BinOverlap != 0:
			return bad("BinOverlap %g applies to TimeBins and EventBins only (use Overlap)", c.BinOverlap)
		case c.LastToEnd:
			return bad("LastToEnd applies to TimeBins and EventBins only")
		}
		return nil
	}
	switch {
	case c.Overlap != 0:
		return bad("Overlap %d applies to TimeWindow and EventCount only (use BinOverlap)", c.Overlap)
	case c.IncludeIncomplete:
		return bad("IncludeIncomplete applies to TimeWindow and EventCount only")
	}
	return nil
}

// floorDiv and ceilDiv divide a by b > 0, rounding down and up.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a > 0 {
		q++
	}
	return q
}

// searchTime returns the index of the first event of ev (sorted by time)
// whose time is at least t: numpy.searchsorted(times, t), side "left".
func searchTime(ev []Event, t float64) int {
	lo, hi := 0, len(ev)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if float64(ev[m].T) < t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// maxFrameValues bounds the values of the frames of one stream
// (frames × C·H·W): 2^31 − 1, the most that int32 indices (those of the
// event lists of the kernels) reach. A slicing that would make more is an
// error, not an allocation that fails.
const maxFrameValues = 1<<31 - 1

// frameCount returns the number of frames c cuts from ev (sorted by time;
// c valid), or an error naming the field when they would hold more than
// maxFrameValues values of features each, or when the times of ev span
// more than an int64.
func (c FrameConfig) frameCount(ev []Event, features int) (int, error) {
	N := len(ev)
	var n int64
	switch {
	case c.TimeWindow > 0:
		n = 1
		if N > 0 {
			span := ev[N-1].T - ev[0].T
			if span < 0 {
				return 0, fmt.Errorf("datasets: FrameConfig: the events span from %d µs to %d µs, more than an int64 holds", ev[0].T, ev[N-1].T)
			}
			stride := c.TimeWindow - c.Overlap
			n = floorDiv(span-c.TimeWindow, stride) + 1
			if c.IncludeIncomplete {
				n = ceilDiv(span-c.TimeWindow, stride) + 1
			}
			n = max(n, 1)
		}
	case c.EventCount > 0:
		k, stride := min(c.EventCount, N), int64(c.EventCount)-c.Overlap
		n = floorDiv(int64(N-k), stride) + 1
		if c.IncludeIncomplete {
			n = ceilDiv(int64(N-k), stride) + 1
		}
	case c.TimeBins > 0:
		n = int64(c.TimeBins)
		if N > 0 && ev[N-1].T-ev[0].T < 0 {
			return 0, fmt.Errorf("datasets: FrameConfig: the events span from %d µs to %d µs, more than an int64 holds", ev[0].T, ev[N-1].T)
		}
	default:
		n = int64(c.EventBins)
	}
	if features > 0 && n > maxFrameValues/int64(features) {
		return 0, fmt.Errorf("datasets: FrameConfig: %s cuts the stream into %d frames of %d values, more than %d values",
			c.slicing(), n, features, maxFrameValues)
	}
	return int(n), nil
}

// slicing names the slicing field of c and its value, for messages.
func (c FrameConfig) slicing() string {
	switch {
	case c.TimeWindow > 0:
		return fmt.Sprintf("TimeWindow %d µs", c.TimeWindow)
	case c.EventCount > 0:
		return fmt.Sprintf("EventCount %d", c.EventCount)
	case c.TimeBins > 0:
		return fmt.Sprintf("TimeBins %d", c.TimeBins)
	}
	return fmt.Sprintf("EventBins %d", c.EventBins)
}

// slices returns the [start, end) event index range of every frame of ev,
// which is sorted by time, in dst when its capacity suffices; c is valid
// and n is c.frameCount(ev). The
// window bounds are computed in float64, as numpy computes tonic's.
func (c FrameConfig) slices(dst [][2]int, ev []Event, n int) [][2]int {
	N := len(ev)
	out := dst[:0]
	if cap(out) < n {
		out = make([][2]int, n)
	}
	out = out[:n]
	clear(out)
	switch {
	case c.TimeWindow > 0:
		if N == 0 {
			return out
		}
		t0, stride, w := float64(ev[0].T), float64(c.TimeWindow-c.Overlap), float64(c.TimeWindow)
		for i := range out {
			start := t0 + float64(i)*stride
			a := searchTime(ev, start)
			out[i] = [2]int{a, max(a, searchTime(ev, start+w))}
		}
	case c.EventCount > 0:
		k, stride := min(c.EventCount, N), c.EventCount-int(c.Overlap)
		for i := range out {
			start := min(i*stride, N)
			out[i] = [2]int{start, min(start+k, N)}
		}
	case c.TimeBins > 0:
		if N == 0 {
			return out
		}
		t0 := ev[0].T
		window := float64(floorDiv(ev[N-1].T-t0, int64(c.TimeBins))) * (1 + c.BinOverlap)
		stride := window * (1 - c.BinOverlap)
		for i := range out {
			start := float64(i)*stride + float64(t0)
			a := searchTime(ev, start)
			out[i] = [2]int{a, max(a, searchTime(ev, start+window))}
		}
	default: // EventBins
		k := int(float64(N/c.EventBins) * (1 + c.BinOverlap))
		stride := int(float64(k) * (1 - c.BinOverlap))
		for i := range out {
			start := min(i*stride, N)
			out[i] = [2]int{start, min(start+k, N)}
		}
	}
	if c.LastToEnd && n > 0 {
		out[n-1][1] = N
	}
	return out
}

// cut checks s and returns the slices of its frames (in dst when its
// capacity suffices), or the error of Check or of frameCount.
func (c FrameConfig) cut(s *EventStream, dst [][2]int) ([][2]int, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	n, err := c.frameCount(s.Events, c.channels()*s.Width*s.Height)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, s.Path)
	}
	return c.slices(dst, s.Events, n), nil
}

// accumulate adds the frames of the slices sl of s into dst, which the
// caller has zeroed: frame t occupies dst[t·stride : t·stride+F] (F the
// values of a frame). s has passed Check.
func (c FrameConfig) accumulate(dst []float32, stride int, s *EventStream, sl [][2]int) {
	HW, W := s.Height*s.Width, s.Width
	F := c.channels() * HW
	chStride := HW
	if c.MergePolarity {
		chStride = 0
	}
	for t, r := range sl {
		f := dst[t*stride : t*stride+F]
		if c.Binary {
			for _, e := range s.Events[r[0]:r[1]] {
				f[int(e.P)*chStride+int(e.Y)*W+int(e.X)] = 1
			}
			continue
		}
		for _, e := range s.Events[r[0]:r[1]] {
			f[int(e.P)*chStride+int(e.Y)*W+int(e.X)]++
		}
	}
}

// Events returns, for every step, the flat indices c·H·W + y·W + x of the
// nonzero values of that frame, in ascending order: the per-step event
// lists of a binary input. Each list is exactly what infer.Input.Events
// takes for one step of Engine.Step (the indices of the inputs that spiked,
// each once), so a stream can be fed to the event-driven inference engine
// step by step without building dense frames; a value above 1 (a count) is
// one spike, as the event-driven products take every nonzero value.
func (f *Frames) Events() [][]int {
	F := f.Features()
	out := make([][]int, f.Steps)
	for t := range out {
		frame := f.Data[t*F : (t+1)*F]
		n := 0
		for _, v := range frame {
			if v != 0 {
				n++
			}
		}
		idx := make([]int, 0, n)
		for i, v := range frame {
			if v != 0 {
				idx = append(idx, i)
			}
		}
		out[t] = idx
	}
	return out
}

// StackFrames writes the frames of a batch into x, the time-major sequence
// [T, B, F] of the package (B = len(frames), element (t, b, f) at
// (t·B+b)·F+f), the input of a network's Forward. Every sample must have the
// same number of steps and frame size (TimeBins or EventBins give every
// stream the same number of steps); otherwise the error names the first
// sample that differs. It panics with a *ShapeError if len(x) is not T·B·F.
func StackFrames(x []float32, frames []*Frames) error {
	if len(frames) == 0 {
		if len(x) != 0 {
			shapePanic("StackFrames", "no frames, but a buffer of %d values", len(x))
		}
		return nil
	}
	f0 := frames[0]
	T, F, B := f0.Steps, f0.Features(), len(frames)
	for i, f := range frames {
		if f.Steps != T || f.Channels != f0.Channels || f.Height != f0.Height || f.Width != f0.Width {
			return fmt.Errorf("datasets: StackFrames: sample %d has %d frames of %dx%dx%d, sample 0 has %d of %dx%dx%d",
				i, f.Steps, f.Channels, f.Height, f.Width, T, f0.Channels, f0.Height, f0.Width)
		}
	}
	if len(x) != T*B*F {
		shapePanic("StackFrames", "buffer of %d values for [%d, %d, %d]", len(x), T, B, F)
	}
	for b, f := range frames {
		for t := range T {
			copy(x[(t*B+b)*F:(t*B+b+1)*F], f.Data[t*F:(t+1)*F])
		}
	}
	return nil
}

// FrameSet is a Dataset of event streams served as frames: sample i is
// Streams[i] passed through Transform (when not nil; its random draws come
// from the Batch's Rand, so that a Loader's seed fixes every augmentation)
// and cut by Config, a sequence [Steps, C·H·W] with class Labels[i]. Config
// must use TimeBins or EventBins, so that every sample has the same number
// of steps.
type FrameSet struct {
	Streams   []*EventStream
	Labels    []int
	Transform Transform
	Config    FrameConfig

	steps, features int
}

// NewFrameSet returns the FrameSet of the streams and labels. Every stream
// must have the same sensor size; the error names the first that differs,
// a bad FrameConfig field, or a count of labels that is not the count of
// streams. The streams themselves are checked when a batch is filled.
func NewFrameSet(streams []*EventStream, labels []int, tr Transform, c FrameConfig) (*FrameSet, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if c.fixedSteps() == 0 {
		return nil, fmt.Errorf("datasets: NewFrameSet: TimeWindow and EventCount give each stream its own number of frames; use TimeBins or EventBins")
	}
	if len(streams) != len(labels) {
		return nil, fmt.Errorf("datasets: NewFrameSet: %d streams and %d labels", len(streams), len(labels))
	}
	if len(streams) == 0 {
		return nil, fmt.Errorf("datasets: NewFrameSet: no streams")
	}
	w, h := streams[0].Width, streams[0].Height
	for i, s := range streams {
		if s.Width != w || s.Height != h {
			return nil, fmt.Errorf("datasets: NewFrameSet: stream %d (%s) has a %dx%d sensor, stream 0 (%s) %dx%d",
				i, s.Path, s.Width, s.Height, streams[0].Path, w, h)
		}
	}
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("datasets: NewFrameSet: %s: sensor size %dx%d is not positive", streams[0].Path, w, h)
	}
	if tr != nil {
		w, h = tr.OutputSize(w, h)
	}
	if _, err := c.frameCount(nil, c.channels()*w*h); err != nil {
		return nil, err
	}
	return &FrameSet{Streams: streams, Labels: labels, Transform: tr, Config: c,
		steps: c.fixedSteps(), features: c.channels() * w * h}, nil
}

// Len returns the number of streams.
func (s *FrameSet) Len() int { return len(s.Streams) }

// Shape returns the number of frames and the values of one frame.
func (s *FrameSet) Shape() (steps, features int) { return s.steps, s.features }

// Fill writes the frames of the streams idx into b.X ([Steps, len(idx),
// C·H·W]) and their labels. The error names the stream of a transform or
// stream that fails.
func (s *FrameSet) Fill(b *Batch, idx []int) error {
	B := len(idx)
	b.check("FrameSet.Fill", s.steps, B, s.features)
	for r, i := range idx {
		if i < 0 || i >= len(s.Streams) {
			return fmt.Errorf("datasets: FrameSet.Fill: index %d out of range [0, %d)", i, len(s.Streams))
		}
		st := s.Streams[i]
		if s.Transform != nil {
			out, err := s.Transform.Apply(st, b.Rand)
			if err != nil {
				return fmt.Errorf("datasets: FrameSet.Fill: stream %d: %w", i, err)
			}
			st = out
		}
		if f := s.Config.channels() * st.Width * st.Height; f != s.features {
			return fmt.Errorf("datasets: FrameSet.Fill: stream %d (%s): its frames have %d values, the set %d",
				i, st.Path, f, s.features)
		}
		sl, err := s.Config.cut(st, nil)
		if err != nil {
			return fmt.Errorf("datasets: FrameSet.Fill: stream %d: %w", i, err)
		}
		for t := range s.steps {
			clear(b.X[(t*B+r)*s.features : (t*B+r+1)*s.features])
		}
		s.Config.accumulate(b.X[r*s.features:], B*s.features, st, sl)
		b.Labels[r] = s.Labels[i]
	}
	return nil
}

// FrameSequences is a VarLen Dataset of event streams cut by TimeWindow or
// EventCount, where every stream has its own number of frames: sample i is
// ToFrames(Streams[i], Config), [steps_i, C·H·W], with class Labels[i]. A
// Loader batches the samples to the longest of each batch (not of the
// dataset) and records each sample's length in Batch.Lengths, so that the
// padding after a shorter sample is zeros that the losses, read-outs and
// neuron scans of a variable-length batch do not count (see VarLen).
//
// The frames are cut at every Fill; NewFrameSequences checks every stream
// and counts its frames once. There is no Transform: a random one would
// change a stream's number of frames after the Loader has sized the batch.
// Apply deterministic transforms (Denoise, Downsample, CropTime) to the
// streams beforehand, or augment through a FrameSet with TimeBins or
// EventBins.
type FrameSequences struct {
	Streams []*EventStream
	Labels  []int
	Config  FrameConfig

	steps             []int
	longest, features int
}

// NewFrameSequences returns the FrameSequences of the streams and labels.
// The error names a bad FrameConfig field (it must use TimeWindow or
// EventCount), a stream that fails Check, a stream whose sensor differs
// from the first's, or a count of labels that is not the count of streams.
func NewFrameSequences(streams []*EventStream, labels []int, c FrameConfig) (*FrameSequences, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if c.fixedSteps() != 0 {
		return nil, fmt.Errorf("datasets: NewFrameSequences: TimeBins and EventBins give every stream the same number of frames; use a FrameSet")
	}
	if len(streams) != len(labels) {
		return nil, fmt.Errorf("datasets: NewFrameSequences: %d streams and %d labels", len(streams), len(labels))
	}
	if len(streams) == 0 {
		return nil, fmt.Errorf("datasets: NewFrameSequences: no streams")
	}
	s := &FrameSequences{Streams: streams, Labels: labels, Config: c, steps: make([]int, len(streams))}
	w, h := streams[0].Width, streams[0].Height
	for i, st := range streams {
		if st.Width != w || st.Height != h {
			return nil, fmt.Errorf("datasets: NewFrameSequences: stream %d (%s) has a %dx%d sensor, stream 0 (%s) %dx%d",
				i, st.Path, st.Width, st.Height, streams[0].Path, w, h)
		}
		sl, err := c.cut(st, nil)
		if err != nil {
			return nil, fmt.Errorf("datasets: NewFrameSequences: stream %d: %w", i, err)
		}
		s.steps[i] = len(sl)
		s.longest = max(s.longest, s.steps[i])
	}
	s.features = c.channels() * w * h
	return s, nil
}

// Len returns the number of streams.
func (s *FrameSequences) Len() int { return len(s.Streams) }

// Shape returns the number of frames of the longest stream and the values
// of one frame.
func (s *FrameSequences) Shape() (steps, features int) { return s.longest, s.features }

// SampleSteps returns the number of frames of stream i.
func (s *FrameSequences) SampleSteps(i int) int { return s.steps[i] }

// Fill writes the frames of the streams idx into b.X ([b.Steps, len(idx),
// C·H·W], b.Steps at least the longest of them), zeros after the end of
// each shorter one, and their labels. The error names a stream that no
// longer has the number of frames it had when the set was made.
func (s *FrameSequences) Fill(b *Batch, idx []int) error {
	B, F := len(idx), s.features
	if b.Features != F || b.Size != B {
		return fmt.Errorf("datasets: FrameSequences.Fill: batch [%d, %d, %d] for %d samples of %d values", b.Steps, b.Size, b.Features, B, F)
	}
	for r, i := range idx {
		if i < 0 || i >= len(s.Streams) {
			return fmt.Errorf("datasets: FrameSequences.Fill: index %d out of range [0, %d)", i, len(s.Streams))
		}
		st := s.Streams[i]
		sl, err := s.Config.cut(st, nil)
		if err != nil {
			return fmt.Errorf("datasets: FrameSequences.Fill: stream %d: %w", i, err)
		}
		if len(sl) != s.steps[i] || len(sl) > b.Steps || st.Width*st.Height*s.Config.channels() != F {
			return fmt.Errorf("datasets: FrameSequences.Fill: stream %d (%s) now gives %d frames of %d values; it gave %d of %d (the batch holds %d steps)",
				i, st.Path, len(sl), st.Width*st.Height*s.Config.channels(), s.steps[i], F, b.Steps)
		}
		for t := range b.Steps {
			clear(b.X[(t*B+r)*F : (t*B+r+1)*F])
		}
		s.Config.accumulate(b.X[r*F:], B*F, st, sl)
		b.Labels[r] = s.Labels[i]
	}
	return nil
}
