package train

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

func TestProgress(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

	// Lines: the first update, then one per 5 s, and every summary line.
	var b bytes.Buffer
	p := newProgress(&b, ProgressAuto) // a bytes.Buffer is no terminal
	if p.mode != ProgressLines {
		t.Fatalf("auto on a buffer: mode %v, want lines", p.mode)
	}
	for i := 1; i <= 10; i++ { // one step per second
		p.update(1, 2, i, 10, 0.5, 0.25, 100, time.Duration(i)*time.Second, at(float64(i)))
	}
	p.line("epoch %d done", 1)
	p.update(2, 2, 1, 10, 0.5, 0.25, 100, time.Second, at(11))
	want := "epoch 1/2 step 1/10 (10%): loss 0.5000, accuracy 25.0%, 100 samples/s\n" +
		"epoch 1/2 step 6/10 (60%): loss 0.5000, accuracy 25.0%, 100 samples/s\n" +
		"epoch 1 done\n" +
		"epoch 2/2 step 1/10 (10%): loss 0.5000, accuracy 25.0%, 100 samples/s\n"
	if b.String() != want {
		t.Errorf("lines:\n%s\nwant:\n%s", b.String(), want)
	}

	// Bar: redrawn in place at most every 100 ms and at the end; a summary
	// line starts on a new line.
	b.Reset()
	p = newProgress(&b, ProgressBar)
	p.update(1, 2, 1, 4, 1, 0.5, 10, time.Second, at(1))
	p.update(1, 2, 2, 4, 1, 0.5, 10, 2*time.Second, at(1.05)) // within 100 ms: skipped
	p.update(1, 2, 4, 4, 1, 0.5, 10, 4*time.Second, at(1.06)) // the last: drawn
	p.line("done")
	out := b.String()
	if n := strings.Count(out, "\r"); n != 2 {
		t.Errorf("bar drawn %d times, want 2:\n%q", n, out)
	}
	if !strings.Contains(out, "\repoch 1/2 [") || !strings.Contains(out, "ETA 00:03") || !strings.HasSuffix(out, "ETA 00:00\ndone\n") {
		t.Errorf("bar output %q", out)
	}
	// The bar fills the 80 columns but the last: a full line wraps on some
	// terminals.
	for _, l := range strings.Split(out, "\r")[1:] {
		if line, _, _ := strings.Cut(l, "\n"); len(line) != 79 {
			t.Errorf("bar line of %d columns, want 79: %q", len(line), line)
		}
	}

	// A terminal of 30 columns: "epoch 1/2 " (10 columns), the bar at its
	// least (10 between brackets, 2 of them filled for step 1 of 4), then
	// the stats cut after column 29.
	b.Reset()
	p = newProgress(&b, ProgressBar)
	p.width = 30
	p.update(1, 2, 1, 4, 1, 0.5, 10, time.Second, at(1))
	if want := "\repoch 1/2 [==>       ] 1/4 lo"; b.String() != want {
		t.Errorf("bar on 30 columns: %q, want %q", b.String(), want)
	}

	// Off: nothing.
	b.Reset()
	p = newProgress(&b, ProgressOff)
	p.update(1, 1, 1, 1, 0, 0, 0, 0, at(0))
	p.line("x")
	if b.Len() != 0 {
		t.Errorf("off wrote %q", b.String())
	}

	for _, tc := range []struct {
		d    time.Duration
		want string
	}{{0, "00:00"}, {61 * time.Second, "01:01"}, {3661 * time.Second, "1:01:01"}, {1499 * time.Millisecond, "00:01"}} {
		if got := fmtDuration(tc.d); got != tc.want {
			t.Errorf("fmtDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

// BenchmarkProgressUpdate measures the display's cost per training step:
// "throttled" is a step within 100 ms of the last redraw (most steps),
// "redraw" a step that draws the bar (at most ten a second).
func BenchmarkProgressUpdate(b *testing.B) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, bc := range []struct {
		name string
		gap  time.Duration // clock advance per step
	}{{"throttled", time.Microsecond}, {"redraw", 200 * time.Millisecond}} {
		b.Run(bc.name, func(b *testing.B) {
			p := newProgress(io.Discard, ProgressBar)
			b.ReportAllocs()
			for i := range b.N {
				p.update(1, 1, i%1000+1, 1001, 0.5, 0.5, 1000, time.Second, t0.Add(time.Duration(i)*bc.gap))
			}
		})
	}
}
