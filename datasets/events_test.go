package datasets

import (
	"strings"
	"testing"
)

func TestEventStreamCheck(t *testing.T) {
	ok := &EventStream{Width: 34, Height: 34, Path: "x.bin", Events: []Event{
		{T: 0, X: 0, Y: 0, P: 1}, {T: 5, X: 33, Y: 33, P: 0}, {T: 5, X: 1, Y: 2, P: 1},
	}}
	if err := ok.Check(); err != nil {
		t.Fatal(err)
	}
	// 5 µs from the first to the last event of the stream above.
	if d := ok.Duration(); d != 5 {
		t.Fatalf("duration %d, want 5", d)
	}
	cases := []struct {
		ev   []Event
		want string
	}{
		{[]Event{{X: 34}}, "event 0 at (x 34, y 0) lies outside the 34x34 sensor"},
		{[]Event{{}, {Y: 40}}, "event 1 at (x 0, y 40) lies outside"},
		{[]Event{{P: 2}}, "event 0 has polarity 2"},
		{[]Event{{T: 9}, {T: 3}}, "event 1 at 3 µs comes before event 0 at 9 µs"},
	}
	for _, c := range cases {
		s := &EventStream{Width: 34, Height: 34, Path: "x.bin", Events: c.ev}
		err := s.Check()
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "x.bin") {
			t.Errorf("%v: got %v, want an error naming x.bin and %q", c.ev, err, c.want)
		}
	}
	if err := (&EventStream{Path: "y"}).Check(); err == nil {
		t.Error("a 0x0 sensor passed Check")
	}
}
