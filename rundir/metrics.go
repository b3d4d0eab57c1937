package rundir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/spikegrad/spikegrad/internal/atomicfile"
	"github.com/spikegrad/spikegrad/internal/strictjson"
)

// Metric is one record of a run's metrics.jsonl, the contract between the
// training loop that writes it and the plots and sweep reports that read it
// (docs/design.md, "Run directories and the metrics contract"). Each record
// is one line holding one JSON object with the keys in this order:
//
//	{"step": 468, "epoch": 1, "split": "train", "name": "loss", "value": 0.53, "wall": 12.3}
//
// JSON has no NaN or infinity, so a Value that is not finite (a diverged
// loss) is written as null, and null reads back as NaN. Numbers are written
// in the shortest decimal form that reads back to the same float64, in
// exponent form below 1e-6 and from 1e21 up in magnitude (as JavaScript and
// Go's encoding/json write them).
type Metric struct {
	// Step is the number of optimizer steps taken since the run started,
	// from 0, at the time of the record.
	Step int
	// Epoch is the number of completed epochs at the time of the record.
	Epoch int
	// Split is the data the value was measured on: SplitTrain or SplitTest.
	Split string
	// Name is the metric's name: "loss", "accuracy" (a fraction in [0, 1]),
	// "samples_per_s", "lr" or "rate/<layer>" (the fraction of
	// neuron-steps that spike), ...
	Name string
	// Value is the measured value; NaN and ±Inf are written as null, and
	// null reads as NaN.
	Value float64
	// Wall is the wall time in seconds since the run started, continuing
	// across resumes; finite and >= 0.
	Wall float64
}

// check reports what makes m unfit for the file, or nil.
func (m *Metric) check() error {
	switch {
	case m.Step < 0:
		return fmt.Errorf("step %d is negative", m.Step)
	case m.Epoch < 0:
		return fmt.Errorf("epoch %d is negative", m.Epoch)
	case m.Split != SplitTrain && m.Split != SplitTest:
		return fmt.Errorf("split %q, want %q or %q", m.Split, SplitTrain, SplitTest)
	case m.Name == "":
		return errors.New("empty name")
	case !utf8.ValidString(m.Name):
		return fmt.Errorf("name %q is not valid UTF-8", m.Name)
	case !(m.Wall >= 0) || math.IsInf(m.Wall, 1):
		return fmt.Errorf("wall %v, want a finite number of seconds >= 0", m.Wall)
	}
	return nil
}

// appendMetric appends m's line, newline included.
func appendMetric(b []byte, m *Metric) []byte {
	b = append(b, `{"step": `...)
	b = strconv.AppendInt(b, int64(m.Step), 10)
	b = append(b, `, "epoch": `...)
	b = strconv.AppendInt(b, int64(m.Epoch), 10)
	b = append(b, `, "split": `...)
	b = strictjson.AppendString(b, m.Split)
	b = append(b, `, "name": `...)
	b = strictjson.AppendString(b, m.Name)
	b = append(b, `, "value": `...)
	b = appendJSONNumber(b, m.Value)
	b = append(b, `, "wall": `...)
	b = appendJSONNumber(b, m.Wall)
	return append(b, "}\n"...)
}

// appendJSONNumber appends v as a JSON number, or null if v is not finite.
// It uses the shortest decimal that reads back to v, in plain form for
// magnitudes in [1e-6, 1e21) and in exponent form otherwise, as ECMAScript's
// Number::toString does.
func appendJSONNumber(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	if a := math.Abs(v); a != 0 && (a < 1e-6 || a >= 1e21) {
		n := len(b)
		b = strconv.AppendFloat(b, v, 'e', -1, 64)
		// strconv writes at least two exponent digits ("1e-07"); drop the zero.
		if e := b[n:]; len(e) >= 4 && e[len(e)-4] == 'e' && e[len(e)-2] == '0' {
			b[len(b)-2] = b[len(b)-1]
			b = b[:len(b)-1]
		}
		return b
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

// MetricsWriter appends records to a metrics.jsonl file. Each Write is one
// write of one complete line to the file, so a crash loses at most the line
// being written, which ReadMetrics, OpenMetrics and TruncateMetrics then
// ignore. It is safe for concurrent use.
type MetricsWriter struct {
	mu   sync.Mutex
	f    *os.File
	path string
	buf  []byte
}

// OpenMetrics opens the metrics file at path for appending, creating it if
// needed. An existing file is checked first: a torn last line (a crash in
// the middle of a write) is cut off, and a complete last line without its
// newline gets one; a malformed line elsewhere is an error (a *LineError
// naming the file and the line), and the file is left as it is.
//
// To resume a run from a checkpoint at step s, call TruncateMetrics(path, s)
// first.
func OpenMetrics(path string) (*MetricsWriter, error) {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("rundir: opening metrics: %w", err)
	}
	_, good, needNL, err := scanMetrics(data, path)
	if err != nil {
		return nil, err
	}
	if good < len(data) {
		if err := os.Truncate(path, int64(good)); err != nil {
			return nil, fmt.Errorf("rundir: opening metrics: cutting a torn last line: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("rundir: opening metrics: %w", err)
	}
	if needNL {
		if _, err := f.Write([]byte{'\n'}); err != nil {
			f.Close()
			return nil, fmt.Errorf("rundir: opening metrics %s: %w", path, err)
		}
	}
	return &MetricsWriter{f: f, path: path}, nil
}

// Write appends m as one line. It returns an error, and writes nothing, if
// Step or Epoch is negative, Split is not SplitTrain or SplitTest, Name is
// empty or invalid UTF-8, or Wall is negative or not finite.
func (w *MetricsWriter) Write(m Metric) error {
	if err := m.check(); err != nil {
		return fmt.Errorf("rundir: metric %q: %w", m.Name, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return fmt.Errorf("rundir: metrics %s: Write after Close", w.path)
	}
	w.buf = appendMetric(w.buf[:0], &m)
	if _, err := w.f.Write(w.buf); err != nil {
		return fmt.Errorf("rundir: writing metrics: %w", err)
	}
	return nil
}

// Sync commits the file to disk. The training loop calls it before it saves
// a checkpoint, so that after a power loss the metrics are at least as far
// along as the checkpoint.
func (w *MetricsWriter) Sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return fmt.Errorf("rundir: metrics %s: Sync after Close", w.path)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("rundir: syncing metrics: %w", err)
	}
	return nil
}

// Close syncs and closes the file. Closing twice is an error.
func (w *MetricsWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return fmt.Errorf("rundir: metrics %s: closed twice", w.path)
	}
	err := errors.Join(w.f.Sync(), w.f.Close())
	w.f = nil
	if err != nil {
		return fmt.Errorf("rundir: closing metrics: %w", err)
	}
	return nil
}

// ErrNoMetrics is wrapped by the error ReadMetrics returns for a file that
// holds no record: an empty file, or one whose only line is torn.
var ErrNoMetrics = errors.New("no metric records")

// LineError reports a malformed line of a metrics file. It wraps what is
// wrong with the line.
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

// ReadMetrics reads every record of the metrics file at path, in file order.
//
// The reader is strict, so that a file one program accepts is accepted by
// all: any line that is not a record as described on Metric is a *LineError
// naming the file and the line. An empty or blank line, text that is not
// one JSON object, an unknown, missing or duplicated key, a step or epoch
// that is not an integer >= 0, a split other than "train" or "test", a name
// that is not a non-empty string, a value that is neither a number nor null,
// and a wall time that is not a number >= 0 are all errors. Keys may come in
// any order, with any spacing, and lines may end in CRLF.
//
// One exception keeps a crashed run readable: a last line without its
// newline that is not a complete record (a write torn by the crash) is
// ignored. A file without any record is an error wrapping ErrNoMetrics; a
// file that cannot be read is the *fs.PathError of os.ReadFile, which names
// the file.
func ReadMetrics(path string) ([]Metric, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	recs, _, _, err := scanMetrics(data, path)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%s: %w", path, ErrNoMetrics)
	}
	out := make([]Metric, len(recs))
	for i, r := range recs {
		out[i] = r.m
	}
	return out, nil
}

// TruncateMetrics removes from the metrics file at path every record with a
// Step greater than step, and a torn last line, keeping the other lines
// byte for byte. It rewrites the file atomically (a temporary file synced
// and renamed over it), so that a crash leaves the old file or the new one.
// A malformed line is a *LineError, and the file is left as it is; a
// missing file is left missing.
//
// A run resumed from the checkpoint of step s calls TruncateMetrics(path, s)
// and then OpenMetrics: the records logged after the checkpoint are logged
// again by the resumed run, and the file ends up as an uninterrupted run's
// (apart from the wall times). This holds if the loop writes every record of
// step s before it saves the checkpoint of step s, and none after.
func TruncateMetrics(path string, step int) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("rundir: truncating metrics: %w", err)
	}
	recs, _, _, err := scanMetrics(data, path)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		for _, r := range recs {
			if r.m.Step > step {
				continue
			}
			if _, err := w.Write(r.line); err != nil {
				return err
			}
			if _, err := w.Write([]byte{'\n'}); err != nil {
				return err
			}
		}
		return nil
	})
}

// metricRecord is a parsed line and its bytes, without the newline.
type metricRecord struct {
	m    Metric
	line []byte
}

// scanMetrics parses the lines of a metrics file. good is the length of the
// valid prefix: all of data, or all but a torn last line. needNL reports a
// valid last line without its newline.
func scanMetrics(data []byte, file string) (recs []metricRecord, good int, needNL bool, err error) {
	pos := 0
	for line := 1; pos < len(data); line++ {
		end := bytes.IndexByte(data[pos:], '\n')
		if end < 0 {
			seg := data[pos:]
			m, err := parseMetricLine(seg)
			if err != nil {
				return recs, pos, false, nil // torn by a crash
			}
			return append(recs, metricRecord{m, seg}), len(data), true, nil
		}
		seg := data[pos : pos+end]
		m, err := parseMetricLine(seg)
		if err != nil {
			return nil, 0, false, &LineError{Path: file, Line: line, Err: err}
		}
		recs = append(recs, metricRecord{m, seg})
		pos += end + 1
	}
	return recs, len(data), false, nil
}

// parseMetricLine parses one record.
func parseMetricLine(line []byte) (Metric, error) {
	var m Metric
	if len(bytes.TrimSpace(line)) == 0 {
		return m, errors.New("empty line")
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	const (
		hasStep = 1 << iota
		hasEpoch
		hasSplit
		hasName
		hasValue
		hasWall
		hasAll = 1<<iota - 1
	)
	have := 0
	err := strictjson.ReadObject(dec, func(key string) error {
		var raw json.RawMessage
		if err := strictjson.Decode(dec, &raw); err != nil {
			return fmt.Errorf("%q: %v", key, err)
		}
		var err error
		switch key {
		case "step":
			have |= hasStep
			m.Step, err = parseCount(raw)
		case "epoch":
			have |= hasEpoch
			m.Epoch, err = parseCount(raw)
		case "split":
			have |= hasSplit
			m.Split, err = parseString(raw)
			if err == nil && m.Split != SplitTrain && m.Split != SplitTest {
				err = fmt.Errorf("%q, want %q or %q", m.Split, SplitTrain, SplitTest)
			}
		case "name":
			have |= hasName
			m.Name, err = parseString(raw)
			if err == nil && m.Name == "" {
				err = errors.New("empty")
			}
		case "value":
			have |= hasValue
			if string(raw) == "null" {
				m.Value = math.NaN()
			} else {
				m.Value, err = parseNumber(raw)
			}
		case "wall":
			have |= hasWall
			m.Wall, err = parseNumber(raw)
			if err == nil && m.Wall < 0 {
				err = fmt.Errorf("%v is negative", m.Wall)
			}
		default:
			return fmt.Errorf("unknown key %q", key)
		}
		if err != nil {
			return fmt.Errorf("%q: %v", key, err)
		}
		return nil
	})
	if err != nil {
		return m, err
	}
	if rest := line[dec.InputOffset():]; len(bytes.TrimSpace(rest)) != 0 {
		return m, errors.New("text after the JSON object")
	}
	if have != hasAll {
		var missing []string
		for i, k := range []string{"step", "epoch", "split", "name", "value", "wall"} {
			if have&(1<<i) == 0 {
				missing = append(missing, strconv.Quote(k))
			}
		}
		return m, fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	return m, nil
}

// parseCount parses a JSON number that must be an integer >= 0.
func parseCount(raw json.RawMessage) (int, error) {
	v, err := strconv.ParseInt(string(raw), 10, 0)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%s is not an integer >= 0", raw)
	}
	return int(v), nil
}

// parseNumber parses a JSON number (not null) into a finite float64.
func parseNumber(raw json.RawMessage) (float64, error) {
	if len(raw) == 0 || raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return 0, fmt.Errorf("%s is not a number", raw)
	}
	v, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return 0, fmt.Errorf("%s is out of the range of float64", raw)
	}
	return v, nil
}

// parseString parses a JSON string (not null).
func parseString(raw json.RawMessage) (string, error) {
	var s *string
	if err := json.Unmarshal(raw, &s); err != nil || s == nil {
		return "", fmt.Errorf("%s is not a string", raw)
	}
	return *s, nil
}
