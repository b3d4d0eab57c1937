package datasets

import "fmt"

// Event is one event of an event camera (a dynamic vision sensor): at time T
// in microseconds, the pixel at column X and row Y saw its log brightness
// rise (P = 1, an ON event) or fall (P = 0, an OFF event) by more than its
// contrast threshold. Row 0 is the top row of the sensor, as in tonic and the
// formats' own documentation. T is the file's own clock, with its counter
// wraps unrolled: most formats count from the start of the recording, AEDAT
// 4.0 from the Unix epoch; the readers do not shift it, and the transforms
// that cut by time work relative to a stream's first event.
type Event struct {
	T    int64
	X, Y uint16
	P    uint8
}

// EventStream is a recording of an event camera: its events in the order of
// the file (sorted by time unless the reader that made it says otherwise)
// and the size of the sensor they come from. Path names the file it was read
// from, for error messages.
type EventStream struct {
	Events        []Event
	Width, Height int
	Path          string
}

// Duration returns the time from the first to the last event in
// microseconds, or 0 for fewer than two events.
func (s *EventStream) Duration() int64 {
	if len(s.Events) < 2 {
		return 0
	}
	return s.Events[len(s.Events)-1].T - s.Events[0].T
}

// Check verifies that every event lies on the sensor, has polarity 0 or 1,
// and that time never runs backwards. The error names the stream's path and
// the index of the first offending event.
func (s *EventStream) Check() error {
	if s.Width <= 0 || s.Height <= 0 {
		return fmt.Errorf("datasets: %s: sensor size %dx%d is not positive", s.Path, s.Width, s.Height)
	}
	for i, e := range s.Events {
		if int(e.X) >= s.Width || int(e.Y) >= s.Height {
			return fmt.Errorf("datasets: %s: event %d at (x %d, y %d) lies outside the %dx%d sensor",
				s.Path, i, e.X, e.Y, s.Width, s.Height)
		}
		if e.P > 1 {
			return fmt.Errorf("datasets: %s: event %d has polarity %d (want 0 or 1)", s.Path, i, e.P)
		}
		if i > 0 && e.T < s.Events[i-1].T {
			return fmt.Errorf("datasets: %s: event %d at %d µs comes before event %d at %d µs: time runs backwards",
				s.Path, i, e.T, i-1, s.Events[i-1].T)
		}
	}
	return nil
}
