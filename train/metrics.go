package train

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
	"github.com/spikegrad/spikegrad/safetensors"
)

// The splits of a metrics record.
const (
	SplitTrain = "train"
	SplitTest  = "test"
)

// Metric is one record of a run's metrics.jsonl, the contract between train
// and plots (docs/design.md, "Run directories and the metrics contract").
// Each record is one line holding one JSON object with the keys in this
// order:
//
//	{"step": 468, "epoch": 1, "split": "train", "name": "loss", "value": 0.53, "wall": 12.3}
//
// JSON has no NaN or infinity, so a Value that is not finite (a diverged
// loss) is written as null, and null reads back as NaN. Numbers are written
// in the shortest decimal form that reads back to the same float64, in
// exponent form below 1e-6 and from 1e21 up in magnitude (as JavaScript and
// Go's encoding/json write them).
type Metric struct {
	Step  int     // optimizer steps taken since the run started, from 0
	Epoch int     // completed epochs
	Split string  // SplitTrain or SplitTest
	Name  string  // "loss", "accuracy", "samples_per_s", "lr", "rate/<layer>", ...
	Value float64 // the value; NaN and ±Inf are written as null
	Wall  float64 // seconds since the run started, continuing across resumes; finite, >= 0
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
// newline gets one; a malformed line elsewhere is an error (*FormatError
// naming the file and the line), and the file is left as it is.
//
// To resume a run from a checkpoint at step s, call TruncateMetrics(path, s)
// first.
func OpenMetrics(path string) (*MetricsWriter, error) {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("train: opening metrics: %w", err)
	}
	_, good, needNL, err := scanMetrics(data, path)
	if err != nil {
		return nil, err
	}
	if good < len(data) {
		if err := os.Truncate(path, int64(good)); err != nil {
			return nil, fmt.Errorf("train: opening metrics: cutting a torn last line: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("train: opening metrics: %w", err)
	}
	if needNL {
		if _, err := f.Write([]byte{'\n'}); err != nil {
			f.Close()
			return nil, fmt.Errorf("train: opening metrics %s: %w", path, err)
		}
	}
	return &MetricsWriter{f: f, path: path}, nil
}

// Write appends m as one line. It returns an error, and writes nothing, if
// Step or Epoch is negative, Split is not SplitTrain or SplitTest, Name is
// empty or invalid UTF-8, or Wall is negative or not finite.
func (w *MetricsWriter) Write(m Metric) error {
	if err := m.check(); err != nil {
		return fmt.Errorf("train: metric %q: %w", m.Name, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return fmt.Errorf("train: metrics %s: Write after Close", w.path)
	}
	w.buf = appendMetric(w.buf[:0], &m)
	if _, err := w.f.Write(w.buf); err != nil {
		return fmt.Errorf("train: writing metrics: %w", err)
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
		return fmt.Errorf("train: metrics %s: Sync after Close", w.path)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("train: syncing metrics: %w", err)
	}
	return nil
}

// Close syncs and closes the file. Closing twice is an error.
func (w *MetricsWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return fmt.Errorf("train: metrics %s: closed twice", w.path)
	}
	err := errors.Join(w.f.Sync(), w.f.Close())
	w.f = nil
	if err != nil {
		return fmt.Errorf("train: closing metrics: %w", err)
	}
	return nil
}

// ReadMetrics reads every record of the metrics file at path, in file order.
// A torn last line (no newline, not a complete record: a crash in the middle
// of a write) is ignored; any other line that is not a record as described
// on Metric is an error, a *FormatError naming the file and the line.
// Unknown, missing or duplicated keys, a step or epoch that is not a
// non-negative integer, a split other than "train" or "test", an empty name
// and a wall time that is not a number >= 0 are all errors; an empty file
// holds no records.
func ReadMetrics(path string) ([]Metric, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("train: reading metrics: %w", err)
	}
	recs, _, _, err := scanMetrics(data, path)
	if err != nil {
		return nil, err
	}
	out := make([]Metric, len(recs))
	for i, r := range recs {
		out[i] = r.m
	}
	return out, nil
}

// TruncateMetrics removes from the metrics file at path every record with a
// Step greater than step, and a torn last line, keeping the other lines
// byte for byte; it rewrites the file atomically (temporary file, sync, rename). A
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
		return fmt.Errorf("train: truncating metrics: %w", err)
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
			return nil, 0, false, &safetensors.FormatError{File: file, Format: "metrics", Msg: fmt.Sprintf("line %d: %v", line, err), Err: safetensors.ErrMalformed}
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
