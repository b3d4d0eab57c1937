package rundir

import (
	"bytes"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestMetricsLineFormat checks the exact bytes of records against the
// example of docs/design.md and the number rules documented on Metric.
func TestMetricsLineFormat(t *testing.T) {
	cases := []struct {
		m    Metric
		want string
	}{
		// The example line of docs/design.md, "Run directories and the metrics contract".
		{Metric{468, 1, "train", "loss", 0.53, 12.3},
			`{"step": 468, "epoch": 1, "split": "train", "name": "loss", "value": 0.53, "wall": 12.3}`},
		{Metric{0, 0, "test", "accuracy", 1, 0},
			`{"step": 0, "epoch": 0, "split": "test", "name": "accuracy", "value": 1, "wall": 0}`},
		// Not finite: null.
		{Metric{5, 0, "train", "loss", math.NaN(), 1.5},
			`{"step": 5, "epoch": 0, "split": "train", "name": "loss", "value": null, "wall": 1.5}`},
		{Metric{5, 0, "train", "loss", math.Inf(-1), 1.5},
			`{"step": 5, "epoch": 0, "split": "train", "name": "loss", "value": null, "wall": 1.5}`},
		// Exponent form below 1e-6 and from 1e21; plain in between (1e-6 itself is plain).
		{Metric{1, 0, "train", "lr", 1e-7, 2},
			`{"step": 1, "epoch": 0, "split": "train", "name": "lr", "value": 1e-7, "wall": 2}`},
		{Metric{1, 0, "train", "lr", 1e-6, 2},
			`{"step": 1, "epoch": 0, "split": "train", "name": "lr", "value": 0.000001, "wall": 2}`},
		{Metric{1, 0, "train", "samples_per_s", 1e21, 2},
			`{"step": 1, "epoch": 0, "split": "train", "name": "samples_per_s", "value": 1e+21, "wall": 2}`},
		{Metric{1, 0, "train", "samples_per_s", 123456789, 2},
			`{"step": 1, "epoch": 0, "split": "train", "name": "samples_per_s", "value": 123456789, "wall": 2}`},
		{Metric{1, 0, "train", "x", -2.5e-300, 2},
			`{"step": 1, "epoch": 0, "split": "train", "name": "x", "value": -2.5e-300, "wall": 2}`},
		// The float64 next above 0.3 (0.1+0.2 in float64 arithmetic) needs
		// 17 digits to read back exactly.
		{Metric{1, 0, "train", "x", math.Nextafter(0.3, 1), 2},
			`{"step": 1, "epoch": 0, "split": "train", "name": "x", "value": 0.30000000000000004, "wall": 2}`},
		{Metric{1, 0, "test", "rate/lif1", 0.25, 2},
			`{"step": 1, "epoch": 0, "split": "test", "name": "rate/lif1", "value": 0.25, "wall": 2}`},
		{Metric{1, 0, "test", "a\"b\\c\n", 0, 2},
			`{"step": 1, "epoch": 0, "split": "test", "name": "a\"b\\c\n", "value": 0, "wall": 2}`},
	}
	for _, c := range cases {
		got := string(appendMetric(nil, &c.m))
		if got != c.want+"\n" {
			t.Errorf("%+v:\n got %s\nwant %s", c.m, got, c.want)
		}
		m, err := parseMetricLine([]byte(c.want))
		if err != nil {
			t.Errorf("%s: %v", c.want, err)
			continue
		}
		if !sameMetric(m, c.m) && !(math.IsInf(c.m.Value, 0) && math.IsNaN(m.Value)) {
			t.Errorf("%s read as %+v", c.want, m)
		}
	}
}

// sameMetric compares two records, NaN equal to NaN.
func sameMetric(a, b Metric) bool {
	sameValue := a.Value == b.Value || math.IsNaN(a.Value) && math.IsNaN(b.Value)
	return a.Step == b.Step && a.Epoch == b.Epoch && a.Split == b.Split && a.Name == b.Name && sameValue && a.Wall == b.Wall
}

func writeMetrics(t *testing.T, path string, ms []Metric) {
	t.Helper()
	w, err := OpenMetrics(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if err := w.Write(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// stepRecords returns the records a run logs at step s.
func stepRecords(s int) []Metric {
	ms := []Metric{{s, s / 4, SplitTrain, "loss", 1 / float64(s+1), float64(s) * 0.5}}
	if s%4 == 3 { // end of an epoch of 4 steps
		ms = append(ms, Metric{s, s/4 + 1, SplitTest, "accuracy", float64(s) / 10, float64(s)*0.5 + 0.25})
	}
	return ms
}

// TestMetricsResume simulates a run that crashes in the middle of a line
// after its checkpoint at step 5, and resumes: its file must end up byte for
// byte as an uninterrupted run's (the wall times here are the same in both).
func TestMetricsResume(t *testing.T) {
	dir := t.TempDir()
	straight := filepath.Join(dir, "straight.jsonl")
	var all []Metric
	for s := range 10 {
		all = append(all, stepRecords(s)...)
	}
	writeMetrics(t, straight, all)

	resumed := filepath.Join(dir, "resumed.jsonl")
	var first []Metric
	for s := range 8 {
		first = append(first, stepRecords(s)...)
	}
	writeMetrics(t, resumed, first)
	// The crash: half of the line of step 8.
	torn := appendMetric(nil, &stepRecords(8)[0])
	f, err := os.OpenFile(resumed, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(torn[:len(torn)/2])
	f.Close()

	got, err := ReadMetrics(resumed)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(first) {
		t.Fatalf("read %d records of a file with a torn last line, want %d", len(got), len(first))
	}

	if err := TruncateMetrics(resumed, 5); err != nil {
		t.Fatal(err)
	}
	var resume []Metric
	for s := 6; s < 10; s++ {
		resume = append(resume, stepRecords(s)...)
	}
	writeMetrics(t, resumed, resume)
	a, _ := os.ReadFile(straight)
	b, _ := os.ReadFile(resumed)
	if !bytes.Equal(a, b) {
		t.Errorf("resumed file differs:\n%s\nuninterrupted:\n%s", b, a)
	}
	back, err := ReadMetrics(resumed)
	if err != nil {
		t.Fatal(err)
	}
	for i := range all {
		if !sameMetric(back[i], all[i]) {
			t.Fatalf("record %d: %+v, want %+v", i, back[i], all[i])
		}
	}
	// No temporary file of the rewrite may survive.
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("directory holds %d files, want resumed.jsonl and straight.jsonl", len(entries))
	}
}

// TestOpenMetricsRepairsTail checks the two ways a crash can leave the last
// line: torn (cut off) and complete without its newline (kept, newline added).
func TestOpenMetricsRepairsTail(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "metrics.jsonl")
	l0 := appendMetric(nil, &Metric{0, 0, SplitTrain, "loss", 2, 0.1})
	l1 := appendMetric(nil, &Metric{1, 0, SplitTrain, "loss", 1, 0.2})
	l2 := appendMetric(nil, &Metric{2, 0, SplitTrain, "loss", 0.5, 0.3})
	for _, c := range []struct {
		name     string
		existing []byte
		want     []byte
	}{
		{"torn", append(append([]byte{}, l0...), l1[:10]...), append(append([]byte{}, l0...), l2...)},
		{"zeros after a crash", append(append([]byte{}, l0...), 0, 0, 0, 0), append(append([]byte{}, l0...), l2...)},
		{"no newline", append(append([]byte{}, l0...), l1[:len(l1)-1]...), append(append(append([]byte{}, l0...), l1...), l2...)},
		{"empty", nil, l2},
	} {
		if err := os.WriteFile(path, c.existing, 0o644); err != nil {
			t.Fatal(err)
		}
		writeMetrics(t, path, []Metric{{2, 0, SplitTrain, "loss", 0.5, 0.3}})
		got, _ := os.ReadFile(path)
		if !bytes.Equal(got, c.want) {
			t.Errorf("%s: file\n%q\nwant\n%q", c.name, got, c.want)
		}
	}
	os.Remove(path)
	writeMetrics(t, path, nil)
	if st, err := os.Stat(path); err != nil || st.Size() != 0 {
		t.Errorf("OpenMetrics on a missing file: %v, %v", st, err)
	}
}

// TestReadMetricsStrict checks that every malformed line other than a torn
// last one is an error naming the file and the line.
func TestReadMetricsStrict(t *testing.T) {
	good := `{"step": 1, "epoch": 0, "split": "train", "name": "loss", "value": 0.5, "wall": 1}`
	cases := []struct {
		line, msg string
	}{
		{``, "empty line"},
		{`   `, "empty line"},
		{`garbage`, "invalid character"},
		{`[1]`, "object was expected"},
		{`{oops`, "invalid character"},
		{`{"step":1,`, "JSON text ends early"},
		{`[1,2]`, "object was expected"},
		{`{"step": 1, "epoch": 0, "split": "train", "name": "loss", "value": 0.5}`, `missing "wall"`},
		{`{"step": 1, "epoch": 0, "split": "train", "name": "loss", "wall": 1}`, `missing "value"`},
		{`{}`, `missing "step", "epoch", "split", "name", "value", "wall"`},
		{`{"step": 1, "step": 1, "epoch": 0, "split": "train", "name": "loss", "value": 0.5, "wall": 1}`, `duplicate key "step"`},
		{`{"step": 1, "epoch": 0, "split": "train", "name": "loss", "value": 0.5, "wall": 1, "x": 2}`, `unknown key "x"`},
		{`{"step": 0, "epoch": 0, "split": "train", "name": "loss", "value": 1, "wall": 0, "host": "a"}`, `unknown key "host"`},
		{`{"STEP": 1, "epoch": 0, "split": "train", "name": "loss", "value": 0.5, "wall": 1}`, `unknown key "STEP"`},
		{`{"step": 1.5, "epoch": 0, "split": "train", "name": "loss", "value": 0.5, "wall": 1}`, `"step": 1.5 is not an integer`},
		{`{"step": -1, "epoch": 0, "split": "train", "name": "loss", "value": 0.5, "wall": 1}`, `"step": -1 is not an integer >= 0`},
		{`{"step": "1", "epoch": 0, "split": "train", "name": "loss", "value": 0.5, "wall": 1}`, `"step": "1" is not`},
		{`{"step": null, "epoch": 0, "split": "train", "name": "loss", "value": 0.5, "wall": 1}`, `"step": null is not`},
		{`{"step": 1, "epoch": -1, "split": "train", "name": "loss", "value": 0.5, "wall": 1}`, `"epoch": -1 is not an integer >= 0`},
		{`{"step": 1, "epoch": 1e2, "split": "train", "name": "loss", "value": 0.5, "wall": 1}`, `"epoch": 1e2 is not`},
		{`{"step": 1, "epoch": 0, "split": "valid", "name": "loss", "value": 0.5, "wall": 1}`, `"split": "valid", want "train" or "test"`},
		{`{"step": 1, "epoch": 0, "split": null, "name": "loss", "value": 0.5, "wall": 1}`, `"split": null is not a string`},
		{`{"step": 1, "epoch": 0, "split": "", "name": "loss", "value": 0.5, "wall": 1}`, `"split": "", want "train" or "test"`},
		{`{"step": 1, "epoch": 0, "split": "train", "name": "", "value": 0.5, "wall": 1}`, `"name": empty`},
		{`{"step": 1, "epoch": 0, "split": "train", "name": "loss", "value": "NaN", "wall": 1}`, `"value": "NaN" is not a number`},
		{`{"step": 1, "epoch": 0, "split": "train", "name": "loss", "value": 1e999, "wall": 1}`, `"value": 1e999 is out of the range`},
		{`{"step": 1, "epoch": 0, "split": "train", "name": "loss", "value": 0.5, "wall": null}`, `"wall": null is not a number`},
		{`{"step": 1, "epoch": 0, "split": "train", "name": "loss", "value": 0.5, "wall": -1}`, `"wall": -1 is negative`},
		{good + ` {}`, "text after the JSON object"},
		{good + `,`, "text after the JSON object"},
	}
	path := filepath.Join(t.TempDir(), "metrics.jsonl")
	for _, c := range cases {
		// The bad line is line 2 of 3, so that it is not a torn last line.
		if err := os.WriteFile(path, []byte(good+"\n"+c.line+"\n"+good+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadMetrics(path)
		var le *LineError
		if !errors.As(err, &le) || le.Path != path || le.Line != 2 {
			t.Errorf("%s: error %v, want a *LineError at %s:2", c.line, err, path)
			continue
		}
		if s := err.Error(); !strings.HasPrefix(s, path+":2: ") || !strings.Contains(s, c.msg) {
			t.Errorf("%s: error %q does not begin with %s:2: or say %q", c.line, s, path, c.msg)
		}
		// OpenMetrics and TruncateMetrics refuse the file and leave it alone.
		if _, err := OpenMetrics(path); err == nil {
			t.Errorf("%s: OpenMetrics accepted the file", c.line)
		}
		if err := TruncateMetrics(path, 0); err == nil {
			t.Errorf("%s: TruncateMetrics accepted the file", c.line)
		}
		if b, _ := os.ReadFile(path); string(b) != good+"\n"+c.line+"\n"+good+"\n" {
			t.Errorf("%s: the file was changed", c.line)
		}
	}
	// Tolerated: CRLF line ends, spacing, key order, the underflow of 1e-999 to 0.
	ok := "{\"wall\":1,\"value\":1e-999,\"name\":\"loss\",\"split\":\"test\",\"epoch\":0,\"step\":0}\r\n"
	if err := os.WriteFile(path, []byte(ok), 0o644); err != nil {
		t.Fatal(err)
	}
	ms, err := ReadMetrics(path)
	if err != nil || len(ms) != 1 || ms[0].Value != 0 || ms[0].Split != SplitTest {
		t.Errorf("%q: %+v, %v", ok, ms, err)
	}
	// A malformed last line that has its newline was written whole: it is
	// an error, not a torn line.
	if err := os.WriteFile(path, []byte(good+"\n"+good+"\n"+"[1,2]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var le *LineError
	if _, err := ReadMetrics(path); !errors.As(err, &le) || le.Line != 3 {
		t.Errorf("malformed terminated last line: %v, want a *LineError at line 3", err)
	}
}

// TestReadMetricsTolerant checks what a reader of a crashed run's file
// accepts: a torn last line is dropped, a complete one without its newline
// is kept; and CRLF line ends.
func TestReadMetricsTolerant(t *testing.T) {
	const good = `{"step":0,"epoch":0,"split":"train","name":"loss","value":2.3,"wall":0.1}` + "\n"
	for _, tc := range []struct {
		name    string
		content string
		n       int // records expected
	}{
		{"torn final line", good + `{"step":1,"epoch":0,"split":"tr`, 1},
		{"unterminated valid final line", good + strings.TrimSuffix(good, "\n"), 2},
		{"CRLF line ends", strings.ReplaceAll(good+good, "\n", "\r\n"), 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := ReadMetrics(writeFile(t, tc.content))
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) != tc.n {
				t.Errorf("got %d records, want %d", len(ms), tc.n)
			}
		})
	}
}

func TestReadMetricsNull(t *testing.T) {
	ms, err := ReadMetrics(writeFile(t, `{"step":7,"epoch":0,"split":"train","name":"loss","value":null,"wall":1.5}`+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(ms[0].Value) || ms[0].Step != 7 || ms[0].Wall != 1.5 {
		t.Errorf("got %+v, want step 7, NaN value, wall 1.5", ms[0])
	}
}

// TestReadMetricsEmptyAndMissing checks the two errors of a file without
// records: ErrNoMetrics for an empty file or a lone torn line, the
// *fs.PathError of a missing file; both name the file.
func TestReadMetricsEmptyAndMissing(t *testing.T) {
	for _, content := range []string{"", `{"step":0,"epoch":0,"split":"tr`} {
		p := writeFile(t, content)
		_, err := ReadMetrics(p)
		if !errors.Is(err, ErrNoMetrics) || !strings.Contains(err.Error(), p) {
			t.Errorf("content %q: got %v, want ErrNoMetrics naming %s", content, err, p)
		}
	}
	p := filepath.Join(t.TempDir(), "absent.jsonl")
	_, err := ReadMetrics(p)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), p) {
		t.Errorf("got %v, want fs.ErrNotExist naming %s", err, p)
	}
}

// writeFile writes content to metrics.jsonl in a fresh temporary directory
// and returns its path.
func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "metrics.jsonl")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMetricsWriterRejects(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metrics.jsonl")
	w, err := OpenMetrics(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		m   Metric
		msg string
	}{
		{Metric{-1, 0, SplitTrain, "loss", 0, 0}, "step -1 is negative"},
		{Metric{0, -1, SplitTrain, "loss", 0, 0}, "epoch -1 is negative"},
		{Metric{0, 0, "val", "loss", 0, 0}, `split "val"`},
		{Metric{0, 0, SplitTrain, "", 0, 0}, "empty name"},
		{Metric{0, 0, SplitTrain, "\xff", 0, 0}, "UTF-8"},
		{Metric{0, 0, SplitTrain, "loss", 0, math.NaN()}, "wall NaN"},
		{Metric{0, 0, SplitTrain, "loss", 0, math.Inf(1)}, "wall +Inf"},
		{Metric{0, 0, SplitTrain, "loss", 0, -1}, "wall -1"},
	} {
		if err := w.Write(c.m); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%+v: %v, want an error saying %q", c.m, err, c.msg)
		}
	}
	if err := w.Sync(); err != nil {
		t.Error(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); len(b) != 0 {
		t.Errorf("rejected records were written: %q", b)
	}
	if err := w.Write(Metric{0, 0, SplitTrain, "loss", 0, 0}); err == nil {
		t.Error("Write after Close succeeded")
	}
	if err := w.Close(); err == nil {
		t.Error("second Close succeeded")
	}
	if err := w.Sync(); err == nil {
		t.Error("Sync after Close succeeded")
	}
}

// TestMetricsWriterConcurrent writes from several goroutines: every line
// must stay whole.
func TestMetricsWriterConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metrics.jsonl")
	w, err := OpenMetrics(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 100 {
				w.Write(Metric{i, g, SplitTrain, "rate/layer" + string(rune('0'+g)), float64(i), 1})
			}
		})
	}
	wg.Wait()
	w.Close()
	ms, err := ReadMetrics(path)
	if err != nil || len(ms) != 400 {
		t.Errorf("%d records, %v; want 400", len(ms), err)
	}
}

// FuzzMetrics checks that the reader never panics, that its errors name a
// line, and that what it accepts is written back and read again unchanged.
func FuzzMetrics(f *testing.F) {
	var seed []byte
	for s := range 5 {
		for _, m := range stepRecords(s) {
			seed = appendMetric(seed, &m)
		}
	}
	f.Add(seed)
	f.Add(seed[:len(seed)-7])
	f.Add([]byte(`{"step": 1, "epoch": 0, "split": "train", "name": "loss", "value": null, "wall": 1e-7}`))
	f.Add([]byte("{\"wall\":0,\"value\":-0,\"name\":\"\\u0000\",\"split\":\"test\",\"epoch\":0,\"step\":0}\r\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, good, needNL, err := scanMetrics(data, "fuzz.jsonl")
		if err != nil {
			var le *LineError
			if !errors.As(err, &le) || le.Line < 1 || le.Path != "fuzz.jsonl" {
				t.Fatalf("error %v", err)
			}
			return
		}
		if good > len(data) || needNL && good != len(data) {
			t.Fatalf("good = %d, needNL = %v for %d bytes", good, needNL, len(data))
		}
		var out []byte
		for _, r := range recs {
			if err := r.m.check(); err != nil {
				t.Fatalf("accepted a record the writer refuses: %+v: %v", r.m, err)
			}
			out = appendMetric(out, &r.m)
		}
		back, _, _, err := scanMetrics(out, "rewritten")
		if err != nil || len(back) != len(recs) {
			t.Fatalf("rewritten file: %d records, %v; want %d", len(back), err, len(recs))
		}
		for i := range back {
			if !sameMetric(back[i].m, recs[i].m) {
				t.Fatalf("record %d: %+v became %+v", i, recs[i].m, back[i].m)
			}
		}
	})
}
