package datasets

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Transform changes an event stream: a filter (Denoise, CropTime), a
// change of the sensor (Downsample), or an augmentation drawn at random
// (TimeJitter, FlipLR, FlipUD, TimeReversal, RandomCropTime). Apply never
// modifies its input; it returns a new stream with the same Path. The
// random transforms draw only from rng (and need one unless their
// probability makes the outcome certain); the others ignore it. Apply
// returns an error naming the transform and the field for a bad parameter,
// and the error of EventStream.Check for a stream that does not pass it.
//
// OutputSize returns the sensor size of the output for an input of
// width×height pixels, which only Downsample changes.
type Transform interface {
	Apply(s *EventStream, rng *rand.Rand) (*EventStream, error)
	OutputSize(width, height int) (int, int)
}

// Compose applies its transforms in order, each to the output of the one
// before (tonic.transforms.Compose):
//
//	aug := datasets.Compose{datasets.Denoise{FilterTime: 10000}, datasets.FlipLR{P: 0.5}}
type Compose []Transform

// Apply applies the transforms of c in order; the error of a transform is
// returned naming its place in c.
func (c Compose) Apply(s *EventStream, rng *rand.Rand) (*EventStream, error) {
	if len(c) == 0 {
		return s.clone(s.Events), nil
	}
	for i, t := range c {
		out, err := t.Apply(s, rng)
		if err != nil {
			return nil, fmt.Errorf("datasets: Compose[%d]: %w", i, err)
		}
		s = out
	}
	return s, nil
}

// OutputSize returns the sensor size after every transform of c.
func (c Compose) OutputSize(width, height int) (int, int) {
	for _, t := range c {
		width, height = t.OutputSize(width, height)
	}
	return width, height
}

// clone returns a stream with the sensor and path of s and the events ev.
func (s *EventStream) clone(ev []Event) *EventStream {
	return &EventStream{Events: ev, Width: s.Width, Height: s.Height, Path: s.Path}
}

// draw reports whether an event of probability p happens, drawing from rng
// only when p is strictly between 0 and 1.
func draw(name string, p float64, rng *rand.Rand) (bool, error) {
	switch {
	case !(p >= 0 && p <= 1):
		return false, fmt.Errorf("datasets: %s: P %g is outside [0, 1]", name, p)
	case p == 0:
		return false, nil
	case p == 1:
		return true, nil
	case rng == nil:
		return false, fmt.Errorf("datasets: %s: P %g needs a *rand.Rand, got nil", name, p)
	}
	return rng.Float64() < p, nil
}

// Denoise drops the events that no other event supports: an event at
// pixel (x, y) and time t is kept when one of its 4 neighbours (x±1, y),
// (x, y±1) (with Diagonals also the 4 diagonal ones, the 8-neighbourhood)
// had an event at a time t' with t − t' < FilterTime, earlier in the stream
// (t' ≤ t). The pixel's own earlier events do not count. This is tonic's
// Denoise (tonic.functional.denoise_numpy: a memory of t' + filter_time per
// pixel, the event kept when a neighbour's memory exceeds t), with one
// difference: tonic starts every pixel's memory at filter_time, as if each
// had fired at time 0, so that in tonic every event before filter_time with
// a neighbour on the sensor is kept; here a pixel that has not fired
// supports nothing.
type Denoise struct {
	// FilterTime is the time window in microseconds; it must be positive.
	FilterTime int64
	// Diagonals adds the diagonal neighbours (the 8-neighbourhood).
	Diagonals bool
}

// Apply returns the events of s that Denoise keeps, in their order.
func (d Denoise) Apply(s *EventStream, _ *rand.Rand) (*EventStream, error) {
	if d.FilterTime <= 0 {
		return nil, fmt.Errorf("datasets: Denoise: FilterTime %d µs must be positive", d.FilterTime)
	}
	if err := s.Check(); err != nil {
		return nil, err
	}
	W, H := s.Width, s.Height
	// expiry[y·W+x] = t' + FilterTime of the pixel's last event, or
	// MinInt64 before its first; the memory has a border of one pixel on
	// every side so that the neighbours need no bounds checks.
	W2 := W + 2
	expiry := make([]int64, W2*(H+2))
	for i := range expiry {
		expiry[i] = math.MinInt64
	}
	out := make([]Event, 0, len(s.Events))
	for _, e := range s.Events {
		p := (int(e.Y)+1)*W2 + int(e.X) + 1
		t := e.T
		if t > math.MaxInt64-d.FilterTime {
			expiry[p] = math.MaxInt64 // t + FilterTime, saturated
		} else {
			expiry[p] = t + d.FilterTime
		}
		keep := expiry[p-1] > t || expiry[p+1] > t || expiry[p-W2] > t || expiry[p+W2] > t
		if !keep && d.Diagonals {
			keep = expiry[p-W2-1] > t || expiry[p-W2+1] > t || expiry[p+W2-1] > t || expiry[p+W2+1] > t
		}
		if keep {
			out = append(out, e)
		}
	}
	return s.clone(out), nil
}

// OutputSize returns the size unchanged.
func (Denoise) OutputSize(w, h int) (int, int) { return w, h }

// Downsample reduces the sensor by an integer Factor in both directions:
// x' = ⌊x/Factor⌋, y' = ⌊y/Factor⌋, on a sensor of ⌈W/Factor⌉×⌈H/Factor⌉.
// Every event is kept (a frame then counts the events of Factor×Factor
// pixels in one). This is tonic's Downsample with spatial_factor
// 1/Factor (tonic multiplies by the float factor and truncates, which for
// some coordinates, such as 49·(1/49) = 0.999…, lands one pixel lower; the
// integer division here does not).
type Downsample struct {
	// Factor is the number of sensor pixels per output pixel along each
	// axis; it must be at least 1.
	Factor int
}

// Apply returns the events of s on the smaller sensor.
func (d Downsample) Apply(s *EventStream, _ *rand.Rand) (*EventStream, error) {
	if d.Factor < 1 || d.Factor > math.MaxUint16 {
		return nil, fmt.Errorf("datasets: Downsample: Factor %d must be between 1 and 65535", d.Factor)
	}
	if err := s.Check(); err != nil {
		return nil, err
	}
	out := make([]Event, len(s.Events))
	f := uint16(d.Factor)
	for i, e := range s.Events {
		e.X /= f
		e.Y /= f
		out[i] = e
	}
	o := s.clone(out)
	o.Width, o.Height = d.OutputSize(s.Width, s.Height)
	return o, nil
}

// OutputSize returns ⌈width/Factor⌉, ⌈height/Factor⌉.
func (d Downsample) OutputSize(w, h int) (int, int) {
	if d.Factor < 1 {
		return w, h
	}
	return (w + d.Factor - 1) / d.Factor, (h + d.Factor - 1) / d.Factor
}

// TimeJitter adds to every timestamp an independent normal deviate of mean
// 0 and standard deviation Std microseconds, rounded to the nearest
// microsecond, then sorts the events by time again (a stable sort, so that
// events that end at the same time keep their order) and drops those whose
// time became negative unless KeepNegative. This is tonic's TimeJitter with
// clip_negative (its default) and sort_timestamps; tonic truncates the
// shifted time toward zero when it stores it back in its integer field,
// here it is rounded.
type TimeJitter struct {
	// Std is the standard deviation of the shift in microseconds, finite
	// and not negative; 0 leaves the times unchanged.
	Std float64
	// KeepNegative keeps the events shifted before time 0.
	KeepNegative bool
}

// Apply returns the jittered stream; it draws one normal deviate per event
// from rng, in the order of the events.
func (j TimeJitter) Apply(s *EventStream, rng *rand.Rand) (*EventStream, error) {
	if !(j.Std >= 0) || math.IsInf(j.Std, 0) {
		return nil, fmt.Errorf("datasets: TimeJitter: Std %g µs must be finite and not negative", j.Std)
	}
	if j.Std > 0 && rng == nil {
		return nil, fmt.Errorf("datasets: TimeJitter: Std %g µs needs a *rand.Rand, got nil", j.Std)
	}
	if err := s.Check(); err != nil {
		return nil, err
	}
	out := make([]Event, 0, len(s.Events))
	for _, e := range s.Events {
		if j.Std > 0 {
			e.T += int64(math.Round(rng.NormFloat64() * j.Std))
		}
		if e.T >= 0 || j.KeepNegative {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b Event) int { return cmp.Compare(a.T, b.T) })
	return s.clone(out), nil
}

// OutputSize returns the size unchanged.
func (TimeJitter) OutputSize(w, h int) (int, int) { return w, h }

// FlipLR mirrors the stream left to right with probability P:
// x' = Width − 1 − x (tonic's RandomFlipLR). One draw decides for the whole
// stream. FlipLR{P: 1} always flips; the zero value never does.
type FlipLR struct {
	// P is the probability of flipping, in [0, 1].
	P float64
}

// Apply returns the stream, mirrored or not.
func (f FlipLR) Apply(s *EventStream, rng *rand.Rand) (*EventStream, error) {
	return flip(s, rng, "FlipLR", f.P, true)
}

// OutputSize returns the size unchanged.
func (FlipLR) OutputSize(w, h int) (int, int) { return w, h }

// FlipUD mirrors the stream top to bottom with probability P:
// y' = Height − 1 − y (tonic's RandomFlipUD). One draw decides for the
// whole stream.
type FlipUD struct {
	// P is the probability of flipping, in [0, 1].
	P float64
}

// Apply returns the stream, mirrored or not.
func (f FlipUD) Apply(s *EventStream, rng *rand.Rand) (*EventStream, error) {
	return flip(s, rng, "FlipUD", f.P, false)
}

// OutputSize returns the size unchanged.
func (FlipUD) OutputSize(w, h int) (int, int) { return w, h }

func flip(s *EventStream, rng *rand.Rand, name string, p float64, lr bool) (*EventStream, error) {
	do, err := draw(name, p, rng)
	if err != nil {
		return nil, err
	}
	if err := s.Check(); err != nil {
		return nil, err
	}
	out := slices.Clone(s.Events)
	if do {
		w, h := uint16(s.Width-1), uint16(s.Height-1)
		for i := range out {
			if lr {
				out[i].X = w - out[i].X
			} else {
				out[i].Y = h - out[i].Y
			}
		}
	}
	return s.clone(out), nil
}

// TimeReversal plays the stream backwards with probability P: with tN the
// time of the last event, every event moves to t' = tN − t, the order of
// the events is reversed (so that time runs forward again), and the
// polarities are swapped (ON ↔ OFF: a brightness rise played backwards is a
// fall) unless KeepPolarity. This is tonic's RandomTimeReversal
// (flip_polarities True by default). The first event of the output is at
// time 0.
type TimeReversal struct {
	// P is the probability of reversing, in [0, 1].
	P float64
	// KeepPolarity leaves the polarities as they are.
	KeepPolarity bool
}

// Apply returns the stream, reversed or not.
func (r TimeReversal) Apply(s *EventStream, rng *rand.Rand) (*EventStream, error) {
	do, err := draw("TimeReversal", r.P, rng)
	if err != nil {
		return nil, err
	}
	if err := s.Check(); err != nil {
		return nil, err
	}
	if !do {
		return s.clone(slices.Clone(s.Events)), nil
	}
	n := len(s.Events)
	if n > 0 && s.Events[n-1].T-s.Events[0].T < 0 {
		return nil, fmt.Errorf("datasets: TimeReversal: %s: the events span from %d µs to %d µs, more than an int64 holds",
			s.Path, s.Events[0].T, s.Events[n-1].T)
	}
	out := make([]Event, n)
	for i, e := range s.Events {
		e.T = s.Events[n-1].T - e.T
		if !r.KeepPolarity {
			e.P = 1 - e.P
		}
		out[n-1-i] = e
	}
	return s.clone(out), nil
}

// OutputSize returns the size unchanged.
func (TimeReversal) OutputSize(w, h int) (int, int) { return w, h }

// CropTime keeps the events with Min ≤ t ≤ Max (tonic's CropTime, whose
// bounds are inclusive). Max = 0 means no upper bound (tonic's max=None).
// The times are not shifted.
type CropTime struct {
	// Min and Max are times in microseconds; Max, unless 0, is not below Min.
	Min, Max int64
}

// Apply returns the events of s inside the bounds.
func (c CropTime) Apply(s *EventStream, _ *rand.Rand) (*EventStream, error) {
	if c.Max != 0 && c.Max < c.Min {
		return nil, fmt.Errorf("datasets: CropTime: Max %d µs is below Min %d µs", c.Max, c.Min)
	}
	if err := s.Check(); err != nil {
		return nil, err
	}
	hi := int64(math.MaxInt64)
	if c.Max != 0 {
		hi = c.Max
	}
	return s.clone(cropTime(s.Events, c.Min, hi)), nil
}

// cropTime returns a copy of the events of ev (sorted by time) with
// lo ≤ t ≤ hi.
func cropTime(ev []Event, lo, hi int64) []Event {
	a := searchTime(ev, float64(lo))
	b := a
	for b < len(ev) && ev[b].T <= hi {
		b++
	}
	return slices.Clone(ev[a:b])
}

// OutputSize returns the size unchanged.
func (CropTime) OutputSize(w, h int) (int, int) { return w, h }

// RandomCropTime keeps a window of Duration microseconds at a random place
// in the stream: with t0 and tN the times of the first and last event, the
// start s is drawn uniformly among the integers of [t0, max(t0, tN −
// Duration + 1)] and the events with s ≤ t < s + Duration are kept, so that
// every window lies within the recording and the last event can be in it. A
// stream shorter than Duration is kept whole. It is the time counterpart of
// tonic's spatial RandomCrop; the times are not shifted.
type RandomCropTime struct {
	// Duration is the length of the window in microseconds; it must be
	// positive.
	Duration int64
}

// Apply returns the events of a random window of s; it draws once from rng
// when the stream is longer than Duration.
func (c RandomCropTime) Apply(s *EventStream, rng *rand.Rand) (*EventStream, error) {
	if c.Duration <= 0 {
		return nil, fmt.Errorf("datasets: RandomCropTime: Duration %d µs must be positive", c.Duration)
	}
	if err := s.Check(); err != nil {
		return nil, err
	}
	n := len(s.Events)
	if n == 0 || s.Duration() < c.Duration {
		return s.clone(slices.Clone(s.Events)), nil
	}
	if rng == nil {
		return nil, fmt.Errorf("datasets: RandomCropTime: Duration %d µs needs a *rand.Rand, got nil", c.Duration)
	}
	// The start is t0 plus one of the span − Duration + 2 offsets
	// 0 … span − Duration + 1, counted in uint64 so that a span near the
	// largest int64 does not overflow.
	t0 := s.Events[0].T
	start := t0 + int64(rng.Uint64N(uint64(s.Duration()-c.Duration+1)+1))
	return s.clone(cropTime(s.Events, start, start+c.Duration-1)), nil
}

// OutputSize returns the size unchanged.
func (RandomCropTime) OutputSize(w, h int) (int, int) { return w, h }
