package datasets

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// wantFormatErr fails unless err is a *FormatError naming file at byte off
// whose message contains msg.
func wantFormatErr(t *testing.T, err error, file string, off int64, msg string) {
	t.Helper()
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("got %v (%T), want a *FormatError", err, err)
	}
	if fe.File != file || fe.Offset != off || !strings.Contains(fe.Error(), msg) {
		t.Fatalf("got %q (file %q, byte %d), want file %q, byte %d and %q", fe.Error(), fe.File, fe.Offset, file, off, msg)
	}
	if !errors.Is(err, ErrFormat) {
		t.Fatalf("%v does not wrap ErrFormat", err)
	}
}

// readSample returns the bytes of a file of ../shared/data/event-samples, or
// nil when the folder is absent and the data is not required (so that a fuzz
// target can still run its hand-made seeds).
func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sharedData(t, "event-samples"), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadNMNISTSample(t *testing.T) {
	b := readSample(t, "sample_nmnist.bin")
	s, err := ReadNMNIST(bytes.NewReader(b), "sample_nmnist.bin")
	if err != nil {
		t.Fatal(err)
	}
	// 4325 events: ../shared/data/README.md (tonic's fixture), and
	// 21625 bytes / 5 bytes per event.
	if len(s.Events) != 4325 || s.Width != 34 || s.Height != 34 {
		t.Fatalf("%d events on %dx%d, want 4325 on 34x34", len(s.Events), s.Width, s.Height)
	}
	// The first two and the last event, decoded by hand from `xxd
	// sample_nmnist.bin`: 07 0f 80 02 8e is x 7, y 15, p 0x80>>7 = 1,
	// t 0x00028e = 654; 13 12 00 0b b7 is x 19, y 18, p 0, t 0x0bb7 = 2999;
	// the last 5 bytes 15 0e 84 bf 87 are x 21, y 14, p 1,
	// t 0x04bf87 = 311175.
	want := []Event{{T: 654, X: 7, Y: 15, P: 1}, {T: 2999, X: 19, Y: 18, P: 0}}
	for i, w := range want {
		if s.Events[i] != w {
			t.Errorf("event %d = %+v, want %+v", i, s.Events[i], w)
		}
	}
	if last := s.Events[len(s.Events)-1]; last != (Event{T: 311175, X: 21, Y: 14, P: 1}) {
		t.Errorf("last event %+v", last)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestReadNMNISTHandMade(t *testing.T) {
	// Two events and an overflow marker between them, by the layout of
	// Orchard et al. (x, y, p<<7 | t>>16, t>>8, t): (3, 4, ON, 0x000123 =
	// 291 µs); a y = 240 marker (adds 2^13 = 8192 µs); (33, 0, OFF,
	// 0x000010 µs), which becomes 16 + 8192 = 8208 µs.
	b := []byte{3, 4, 0x80, 0x01, 0x23, 0, 240, 0, 0, 0, 33, 0, 0x00, 0x00, 0x10}
	s, err := ReadNMNIST(bytes.NewReader(b), "h.bin")
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{{T: 291, X: 3, Y: 4, P: 1}, {T: 8208, X: 33, Y: 0, P: 0}}
	if len(s.Events) != 2 || s.Events[0] != want[0] || s.Events[1] != want[1] {
		t.Fatalf("got %+v, want %+v", s.Events, want)
	}
}

func TestReadNMNISTBad(t *testing.T) {
	ev := func(x, y byte, t int) []byte { return []byte{x, y, byte(t >> 16), byte(t >> 8), byte(t)} }
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	cases := []struct {
		b   []byte
		off int64
		msg string
	}{
		{cat(ev(1, 1, 5), ev(2, 2, 6)[:3]), 5, "truncated: 8 bytes is not a whole number of 5-byte events (the last one has 3 bytes)"},
		{cat(ev(1, 1, 5), ev(34, 2, 6)), 5, "event at (x 34, y 2) lies outside the 34x34 sensor"},
		{cat(ev(1, 1, 5), ev(2, 239, 6)), 5, "(x 2, y 239) lies outside"},
		{cat(ev(1, 1, 5), ev(2, 2, 9), ev(3, 3, 8)), 10, "timestamp 8 µs comes before the previous event's 9 µs (N-MNIST timestamps never decrease)"},
	}
	for _, c := range cases {
		_, err := ReadNMNIST(bytes.NewReader(c.b), "bad.bin")
		wantFormatErr(t, err, "bad.bin", c.off, c.msg)
	}
	// An overflow marker does not excuse time running backwards: 0x012345 =
	// 74565 µs, then 16 + 8192 = 8208 µs, an error at the third record.
	_, err := ReadNMNIST(bytes.NewReader([]byte{3, 4, 0x81, 0x23, 0x45, 0, 240, 0, 0, 0, 33, 0, 0, 0, 0x10}), "o.bin")
	wantFormatErr(t, err, "o.bin", 10, "timestamp 8208 µs comes before the previous event's 74565 µs")
	if _, err := ReadNMNISTFile(filepath.Join(t.TempDir(), "missing.bin")); err == nil || !strings.Contains(err.Error(), "missing.bin") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestNMNISTSubsetReal(t *testing.T) {
	dir := sharedData(t, "nmnist-small")
	mnist := sharedData(t, "mnist")
	for _, c := range []struct {
		split  Split
		n      int
		first  int // id of the first sample
		labels string
		offset int // MNIST index = id - offset
	}{
		// 1000 train samples, ids 1..1000, and 100 test samples, ids
		// 60001..60100: ../shared/data/README.md. A sample id <= 60000 is
		// MNIST train index id-1, a larger one MNIST test index id-60001
		// (same README), so the labels must be MNIST's.
		{Train, 1000, 1, "train-labels-idx1-ubyte.gz", 1},
		{Test, 100, 60001, "t10k-labels-idx1-ubyte.gz", 60001},
	} {
		set, err := NMNIST(dir, c.split)
		if err != nil {
			t.Fatal(err)
		}
		if set.Len() != c.n || set.Classes != 10 {
			t.Fatalf("%v: %d samples, %d classes", c.split, set.Len(), set.Classes)
		}
		lbl, err := ReadIDXFile(filepath.Join(mnist, c.labels), "")
		if err != nil {
			t.Fatal(err)
		}
		streams, err := set.Streams()
		if err != nil {
			t.Fatal(err)
		}
		events := 0
		for i, sm := range set.Samples {
			id := c.first + i
			if filepath.Base(sm.Path) != strconv.Itoa(id)+".bin" {
				t.Fatalf("sample %d is %s, want id %d", i, sm.Path, id)
			}
			if want := int(lbl.Data[id-c.offset]); sm.Label != want {
				t.Errorf("%s: label %d, MNIST says %d", sm.Path, sm.Label, want)
			}
			if err := streams[i].Check(); err != nil {
				t.Error(err)
			}
			events += len(streams[i].Events)
		}
		// Every N-MNIST sample is three saccades of about 100 ms each
		// (Orchard et al. 2015): at least a few hundred events, at most
		// 316 ms long.
		for _, s := range streams {
			if len(s.Events) < 100 || s.Duration() > 316000 {
				t.Errorf("%s: %d events over %d µs", s.Path, len(s.Events), s.Duration())
			}
		}
		t.Logf("%v: %d samples, %d events", c.split, set.Len(), events)
		one, err := set.Stream(0)
		if err != nil || len(one.Events) != len(streams[0].Events) {
			t.Fatalf("Stream(0): %v", err)
		}
	}
}

func TestNMNISTFullLayout(t *testing.T) {
	// The published layout: Train/<digit>/<id>.bin, ids zero-padded to 5
	// digits. Three files, each one event (x, y, p|t...) built by hand.
	dir := t.TempDir()
	files := map[string][]byte{
		"Train/3/00002.bin": {1, 2, 0x80, 0, 7},
		"Train/0/00010.bin": {5, 6, 0x00, 1, 0},
		"Train/9/00001.bin": {33, 33, 0x80, 0, 0},
		"Test/1/00001.bin":  {0, 0, 0, 0, 1},
		"Train/3/notes.txt": []byte("ignored"),
	}
	for p, b := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for d := range 10 {
		for _, sub := range []string{"Train", "Test"} {
			if err := os.MkdirAll(filepath.Join(dir, sub, strconv.Itoa(d)), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	set, err := NMNIST(dir, Train)
	if err != nil {
		t.Fatal(err)
	}
	// Ordered by id: 00001 (class 9), 00002 (class 3), 00010 (class 0).
	wantLabels := []int{9, 3, 0}
	if set.Len() != 3 {
		t.Fatalf("%d samples", set.Len())
	}
	for i, w := range wantLabels {
		if set.Samples[i].Label != w {
			t.Errorf("sample %d (%s): label %d, want %d", i, set.Samples[i].Path, set.Samples[i].Label, w)
		}
	}
	s, err := set.Stream(1)
	if err != nil {
		t.Fatal(err)
	}
	// 1 2 80 00 07: x 1, y 2, ON, 7 µs.
	if len(s.Events) != 1 || s.Events[0] != (Event{T: 7, X: 1, Y: 2, P: 1}) {
		t.Fatalf("%+v", s.Events)
	}
	test, err := NMNIST(dir, Test)
	if err != nil || test.Len() != 1 || test.Samples[0].Label != 1 {
		t.Fatalf("test split: %v %+v", err, test)
	}
	if _, err := set.Stream(3); err == nil {
		t.Error("Stream(3) of 3 samples: no error")
	}
	// A folder with neither layout names both.
	_, err = NMNIST(t.TempDir(), Train)
	if err == nil || !strings.Contains(err.Error(), "Train/<digit>/<id>.bin") || !strings.Contains(err.Error(), "train1K.txt") {
		t.Fatalf("empty folder: %v", err)
	}
}

func TestNMNISTBadLabels(t *testing.T) {
	for _, c := range []struct {
		text string
		off  int64
		msg  string
	}{
		{"#sample #class\n1\t5\r\n2 x\n", 20, `line "2 x": id and class must be non-negative integers`},
		{"#sample #class\n1\t10\n", 15, "class 10 outside [0, 10)"},
		{"1 2 3\n", 0, "want \"<id> <class>\""},
		{"#sample #class\n", 15, "no labels"},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "train1K.txt"), []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := NMNIST(dir, Train)
		wantFormatErr(t, err, filepath.Join(dir, "train1K.txt"), c.off, c.msg)
	}
}

// FuzzReadNMNIST checks that the reader never panics and that whatever it
// returns passes Check, or is a *FormatError naming the input.
func FuzzReadNMNIST(f *testing.F) {
	f.Add([]byte{3, 4, 0x81, 0x23, 0x45, 0, 240, 0, 0, 0, 33, 0, 0x82, 0, 0x10})
	f.Add([]byte{1, 2, 3})
	if b := readSampleOptional("sample_nmnist.bin"); b != nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzCheck(t, b, ReadNMNIST)
	})
}

// readSampleOptional returns the bytes of an event sample, or nil when the
// shared data is absent (fuzz seeds only; the tests proper fail in CI).
func readSampleOptional(name string) []byte {
	b, err := os.ReadFile(filepath.Join(sharedRoot(), "event-samples", name))
	if err != nil {
		return nil
	}
	return b
}

// fuzzCheck runs read on b: a stream must pass Check, an error must be a
// *FormatError naming the input with an offset within it.
func fuzzCheck(t *testing.T, b []byte, read func(r io.Reader, name string) (*EventStream, error)) {
	s, err := read(bytes.NewReader(b), "fuzz")
	if err != nil {
		var fe *FormatError
		if !errors.As(err, &fe) || fe.File != "fuzz" || fe.Offset < 0 || fe.Offset > int64(len(b)) {
			t.Fatalf("error %v (%T) is not a *FormatError naming the input with an offset in [0, %d]", err, err, len(b))
		}
		return
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}
