package datasets

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
)

// EventSample is one labelled sample of an event-camera dataset: the events
// of the file Path whose time T lies in [Start, End), with class Label. End
// 0 means the whole recording (the sample is the file, as in N-MNIST and
// N-CARS); DVS128 Gesture cuts several samples from one recording.
type EventSample struct {
	Path  string
	Label int
	// Start and End bound the sample in the recording's own time, in
	// microseconds: Start inclusive, End exclusive. End 0: no bound.
	Start, End int64
}

// EventSet is a labelled event-camera dataset on disk: its samples and the
// reader of their files. Nothing is decoded until asked for: Stream decodes
// one sample, Streams decodes them all, reading each file once.
type EventSet struct {
	// Name is the dataset's name, for messages ("nmnist train").
	Name string
	// Samples are the samples, in a fixed order (sorted by file name and
	// start time, never by the order a folder happens to list them).
	Samples []EventSample
	// Classes is the number of classes; every Label is in [0, Classes).
	Classes int
	// Width and Height are the size of the sensor, in pixels.
	Width, Height int
	// Read decodes the file at a path (ReadNMNISTFile, ReadAEDATFile, ...).
	Read func(path string) (*EventStream, error)
}

// Len returns the number of samples.
func (s *EventSet) Len() int { return len(s.Samples) }

// Stream decodes sample i: the events of its file within [Start, End), in
// the recording's own time (a cut is not shifted to start at 0).
func (s *EventSet) Stream(i int) (*EventStream, error) {
	if i < 0 || i >= len(s.Samples) {
		return nil, fmt.Errorf("datasets: %s: sample %d out of range [0, %d)", s.Name, i, len(s.Samples))
	}
	sm := s.Samples[i]
	st, err := s.Read(sm.Path)
	if err != nil {
		return nil, err
	}
	return cutStream(st, sm.Start, sm.End), nil
}

// Streams decodes every sample, reading each file once even when several
// samples are cut from it; out[i] is sample i.
func (s *EventSet) Streams() ([]*EventStream, error) {
	out := make([]*EventStream, len(s.Samples))
	var last *EventStream
	lastPath := ""
	for i, sm := range s.Samples {
		if last == nil || sm.Path != lastPath {
			st, err := s.Read(sm.Path)
			if err != nil {
				return nil, err
			}
			last, lastPath = st, sm.Path
		}
		out[i] = cutStream(last, sm.Start, sm.End)
	}
	return out, nil
}

// cutStream returns the events of st with start <= T < end (end 0: no upper
// bound). The events are copied when the cut is a part of the stream, so
// that samples never share memory.
func cutStream(st *EventStream, start, end int64) *EventStream {
	if start == 0 && end == 0 {
		return st
	}
	var ev []Event
	for _, e := range st.Events {
		if e.T >= start && (end == 0 || e.T < end) {
			ev = append(ev, e)
		}
	}
	return &EventStream{Events: ev, Width: st.Width, Height: st.Height, Path: st.Path}
}

// readEventFile reads the whole file at path and decodes it with dec. Event
// files are read whole: the decoded events (16 bytes each) take more memory
// than the encoded bytes (4 to 8 per event), so holding the bytes costs at
// most as much again, and decoding from memory is what makes the readers fast.
func readEventFile(path string, dec func(b []byte, name string) (*EventStream, error)) (*EventStream, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("datasets: read events: %w", err)
	}
	return dec(b, path)
}

// readEventStream reads r to its end and decodes the bytes with dec.
func readEventStream(r io.Reader, name string, dec func(b []byte, name string) (*EventStream, error)) (*EventStream, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, &FormatError{File: name, Offset: int64(len(b)), Msg: "read failed", Err: err}
	}
	return dec(b, name)
}

// formatErr returns a *FormatError for the file name at byte off.
func formatErr(name string, off int, format string, args ...any) *FormatError {
	return &FormatError{File: name, Offset: int64(off), Msg: fmt.Sprintf(format, args...)}
}

// forEachLine calls fn with the byte offset and the text (space trimmed) of
// every line of b, stopping at the first error.
func forEachLine(b []byte, fn func(off int, line string) error) error {
	for off := 0; off < len(b); {
		line := b[off:]
		next := len(b)
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line, next = line[:i], off+i+1
		}
		if err := fn(off, strings.TrimSpace(string(line))); err != nil {
			return err
		}
		off = next
	}
	return nil
}
