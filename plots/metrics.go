package plots

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// Metric is one record of a run's metrics.jsonl.
type Metric struct {
	// Step is the optimizer step count at the time of the record, from 0.
	Step int
	// Epoch is the number of completed epochs at the time of the record.
	Epoch int
	// Split is the data split the value was measured on: "train" or "test".
	Split string
	// Name is the metric name: "loss", "accuracy" (a fraction in [0, 1]),
	// "samples_per_s", "lr" or "rate/<layer>" (fraction of neuron-steps that
	// spike).
	Name string
	// Value is the measured value; NaN where the file holds null.
	Value float64
	// Wall is the wall time in seconds since the run started, continuing
	// across resumes.
	Wall float64
}

// ErrNoMetrics is wrapped by the error ReadMetrics returns for a file that
// holds no record.
var ErrNoMetrics = errors.New("no metric records")

// LineError is the error ReadMetrics returns for a malformed line. It wraps
// the decoding or validation error.
type LineError struct {
	Path string // the metrics file
	Line int    // 1-based line number
	Err  error  // what is wrong with the line
}

// Error formats the error as "path:line: message", the form editors and
// terminals link to the line.
func (e *LineError) Error() string {
	return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err)
}

// Unwrap returns the underlying error.
func (e *LineError) Unwrap() error { return e.Err }

// record mirrors one JSON line. Pointers tell a missing field from a zero
// one; Value stays raw so that null (NaN) can be told from a missing field.
type record struct {
	Step  *int            `json:"step"`
	Epoch *int            `json:"epoch"`
	Split *string         `json:"split"`
	Name  *string         `json:"name"`
	Value json.RawMessage `json:"value"`
	Wall  *float64        `json:"wall"`
}

// ReadMetrics reads a metrics.jsonl file: one JSON object per line with the
// fields step, epoch, split, name, value and wall (see Metric). The records
// are returned in file order.
//
// The reader is strict: a line that is not a JSON object, lacks a field,
// holds a field of the wrong type, a negative step, epoch or wall time, or an
// empty split or name is an error of type *LineError naming the file and the
// line. Two exceptions keep a crashed run readable: a final line without its
// terminating newline that does not decode (a write torn by the crash) is
// dropped, and blank lines are skipped. Unknown fields are ignored, so that a
// newer writer may add fields. A value of null reads as NaN.
//
// A file without any record is an error wrapping ErrNoMetrics; a file that
// cannot be opened is the *os.PathError of os.Open, which names the file.
func ReadMetrics(path string) ([]Metric, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ms, err := readMetrics(f, path)
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("%s: %w", path, ErrNoMetrics)
	}
	return ms, nil
}

func readMetrics(r io.Reader, path string) ([]Metric, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var ms []Metric
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		terminated := err == nil
		if t := bytes.TrimSpace(b); len(t) > 0 {
			m, perr := parseRecord(t)
			switch {
			case perr == nil:
				ms = append(ms, m)
			case !terminated:
				// Torn final line: the writer died before the newline.
			default:
				return nil, &LineError{Path: path, Line: line, Err: perr}
			}
		}
		if !terminated {
			return ms, nil
		}
	}
}

// parseRecord decodes and validates one line.
func parseRecord(b []byte) (Metric, error) {
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return Metric{}, err
	}
	switch {
	case r.Step == nil:
		return Metric{}, errors.New(`missing or null field "step"`)
	case r.Epoch == nil:
		return Metric{}, errors.New(`missing or null field "epoch"`)
	case r.Split == nil:
		return Metric{}, errors.New(`missing or null field "split"`)
	case r.Name == nil:
		return Metric{}, errors.New(`missing or null field "name"`)
	case r.Value == nil:
		return Metric{}, errors.New(`missing field "value"`)
	case r.Wall == nil:
		return Metric{}, errors.New(`missing or null field "wall"`)
	case *r.Step < 0:
		return Metric{}, fmt.Errorf("negative step %d", *r.Step)
	case *r.Epoch < 0:
		return Metric{}, fmt.Errorf("negative epoch %d", *r.Epoch)
	case *r.Split == "":
		return Metric{}, errors.New("empty split")
	case *r.Name == "":
		return Metric{}, errors.New("empty name")
	case *r.Wall < 0:
		return Metric{}, fmt.Errorf("negative wall time %g", *r.Wall)
	}
	v := math.NaN()
	if !bytes.Equal(r.Value, []byte("null")) {
		if err := json.Unmarshal(r.Value, &v); err != nil {
			return Metric{}, fmt.Errorf("value %s of %q is not a number or null", r.Value, *r.Name)
		}
	}
	return Metric{Step: *r.Step, Epoch: *r.Epoch, Split: *r.Split, Name: *r.Name, Value: v, Wall: *r.Wall}, nil
}
