package plots

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fixture is a hand-made 3-epoch run: 50 optimizer steps per epoch, train
// loss and accuracy every step, rate/hidden, rate/output, samples_per_s and
// lr every 5th step, test loss, accuracy and rates after each epoch (at
// steps 50, 100 and 150 with epoch counts 1, 2 and 3).
const fixture = "testdata/run3/metrics.jsonl"

// writeFile writes content to a file in a fresh temporary directory and
// returns its path.
func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "metrics.jsonl")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadMetricsFixture(t *testing.T) {
	ms, err := ReadMetrics(fixture)
	if err != nil {
		t.Fatal(err)
	}
	// 432 = `wc -l testdata/run3/metrics.jsonl`: 150 steps × 2 (loss,
	// accuracy) + 30 logging steps × 4 + 3 epochs × 4 test records.
	if len(ms) != 432 {
		t.Fatalf("got %d records, want 432", len(ms))
	}
	// The first line of the file.
	want := Metric{Step: 0, Epoch: 0, Split: "train", Name: "loss", Value: 2.245, Wall: 0.11}
	if ms[0] != want {
		t.Errorf("first record %+v, want %+v", ms[0], want)
	}
	// The last line: the test rate of the output layer after epoch 3.
	want = Metric{Step: 150, Epoch: 3, Split: "test", Name: "rate/output", Value: 0.032, Wall: 22.78}
	if got := ms[len(ms)-1]; got != want {
		t.Errorf("last record %+v, want %+v", got, want)
	}
}

func TestReadMetricsTolerant(t *testing.T) {
	const good = `{"step":0,"epoch":0,"split":"train","name":"loss","value":2.3,"wall":0.1}` + "\n"
	for _, tc := range []struct {
		name    string
		content string
		n       int // records expected
	}{
		{"torn final line", good + `{"step":1,"epoch":0,"split":"tr`, 1},
		{"unterminated valid final line", good + strings.TrimSuffix(good, "\n"), 2},
		{"blank lines", "\n" + good + "  \n" + good, 2},
		{"CRLF line ends", strings.ReplaceAll(good+good, "\n", "\r\n"), 2},
		{"unknown field", `{"step":0,"epoch":0,"split":"train","name":"loss","value":1,"wall":0,"host":"a"}` + "\n", 1},
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

func TestReadMetricsErrors(t *testing.T) {
	const good = `{"step":0,"epoch":0,"split":"train","name":"loss","value":2.3,"wall":0.1}` + "\n"
	for _, tc := range []struct {
		name    string
		content string
		line    int    // line the error names
		msg     string // part of the message
	}{
		{"garbage in the middle", good + "{oops\n" + good, 2, "invalid character"},
		{"malformed terminated final line", good + `{"step":1,` + "\n", 2, "unexpected end"},
		{"not an object", good + good + "[1,2]\n", 3, "cannot unmarshal array"},
		{"fractional step", `{"step":1.5,"epoch":0,"split":"train","name":"loss","value":1,"wall":0}` + "\n", 1, "step"},
		{"string value", `{"step":1,"epoch":0,"split":"train","name":"loss","value":"NaN","wall":0}` + "\n", 1, "not a number or null"},
		{"missing value", `{"step":1,"epoch":0,"split":"train","name":"loss","wall":0}` + "\n", 1, `"value"`},
		{"missing wall", `{"step":1,"epoch":0,"split":"train","name":"loss","value":1}` + "\n", 1, `"wall"`},
		{"null step", `{"step":null,"epoch":0,"split":"train","name":"loss","value":1,"wall":0}` + "\n", 1, `"step"`},
		{"negative epoch", `{"step":1,"epoch":-1,"split":"train","name":"loss","value":1,"wall":0}` + "\n", 1, "negative epoch"},
		{"empty name", `{"step":1,"epoch":0,"split":"train","name":"","value":1,"wall":0}` + "\n", 1, "empty name"},
		{"empty split", `{"step":1,"epoch":0,"split":"","name":"loss","value":1,"wall":0}` + "\n", 1, "empty split"},
		{"negative wall", `{"step":1,"epoch":0,"split":"train","name":"loss","value":1,"wall":-2}` + "\n", 1, "negative wall"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, tc.content)
			_, err := ReadMetrics(p)
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("got error %v, want a *LineError", err)
			}
			if le.Path != p || le.Line != tc.line {
				t.Errorf("error at %s:%d, want %s:%d", le.Path, le.Line, p, tc.line)
			}
			prefix := p + ":" + strconv.Itoa(tc.line) + ": "
			if msg := err.Error(); !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, tc.msg) {
				t.Errorf("message %q, want prefix %q and %q in it", msg, prefix, tc.msg)
			}
		})
	}
}

func TestReadMetricsEmptyAndMissing(t *testing.T) {
	for _, content := range []string{"", "\n\n", `{"step":0,"epoch":0,"split":"tr`} {
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
