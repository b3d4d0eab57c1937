package train

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// ProgressMode selects how a run reports its progress on stderr.
type ProgressMode uint8

const (
	// ProgressAuto draws a bar when the writer is a terminal and prints plain
	// lines otherwise.
	ProgressAuto  ProgressMode = iota
	ProgressBar                // a bar redrawn in place
	ProgressLines              // a plain line every few seconds and at each epoch's end
	ProgressOff                // nothing but errors
)

var progressNames = [...]string{"auto", "bar", "lines", "off"}

// String returns the mode's name.
func (m ProgressMode) String() string {
	if int(m) < len(progressNames) {
		return progressNames[m]
	}
	return fmt.Sprintf("ProgressMode(%d)", uint8(m))
}

// ParseProgress returns the mode named s.
func ParseProgress(s string) (ProgressMode, error) {
	for i, n := range progressNames {
		if n == s {
			return ProgressMode(i), nil
		}
	}
	return 0, fmt.Errorf("unknown progress mode %q (allowed: auto, bar, lines, off)", s)
}

// progress reports training progress. Lines mode prints at most one line
// every interval plus one per epoch end, so a log stays short. The bar
// is redrawn in place at most every 100 ms; on a terminal it follows the
// terminal's width, read at every redraw, so that a narrowed window does
// not wrap it onto a new line at each redraw.
//
// The bar is drawn here rather than by github.com/schollz/progressbar/v3:
// that library keeps its own clock, so its ETA jumps (0 s, 41 s, 3 s, 7 s
// for a 4 s epoch) until it has half a second of calls to average, it has
// no call that sets the count and the stats at once (two redraws per
// update), and a redraw costs 60 µs on a terminal against 11 µs here
// (docs/design.md, "Progress display").
type progress struct {
	w        io.Writer
	mode     ProgressMode
	interval time.Duration
	last     time.Time
	drawn    bool // a bar is on screen (needs a newline before other output)
	width    int  // columns of the bar's line, the last one left free
	tty      int  // w's file descriptor if w is a terminal, else -1
}

func newProgress(w io.Writer, mode ProgressMode) *progress {
	p := &progress{w: w, mode: mode, interval: 5 * time.Second, width: 80, tty: -1}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = int(f.Fd())
	}
	if mode == ProgressAuto {
		p.mode = ProgressLines
		if p.tty >= 0 {
			p.mode = ProgressBar
		}
	}
	return p
}

// update reports step i of n of an epoch with the running loss and accuracy.
func (p *progress) update(epoch, epochs, i, n int, loss, acc, rate float64, elapsed time.Duration, now time.Time) {
	switch p.mode {
	case ProgressBar:
		if i < n && now.Sub(p.last) < 100*time.Millisecond {
			return
		}
		p.last = now
		eta := "--:--"
		if i > 0 {
			eta = fmtDuration(time.Duration(float64(elapsed) * float64(n-i) / float64(i)))
		}
		if p.tty >= 0 {
			if cols, _, err := term.GetSize(p.tty); err == nil && cols > 1 {
				p.width = cols
			}
		}
		stats := fmt.Sprintf(" %d/%d loss %.4f acc %5.1f%% %5.0f samples/s ETA %s", i, n, loss, 100*acc, rate, eta)
		head := fmt.Sprintf("epoch %d/%d ", epoch, epochs)
		barW := max(p.width-len(head)-len(stats)-3, 10)
		filled := barW * i / max(n, 1)
		bar := strings.Repeat("=", filled)
		if filled < barW {
			bar += ">" + strings.Repeat(" ", barW-filled-1)
		}
		line := head + "[" + bar + "]" + stats
		// A line as wide as the terminal wraps on some terminals: the
		// last column stays free, and a narrow terminal cuts the stats.
		fmt.Fprintf(p.w, "\r%s", line[:min(len(line), p.width-1)])
		p.drawn = true
	case ProgressLines:
		if now.Sub(p.last) < p.interval {
			return
		}
		p.last = now
		fmt.Fprintf(p.w, "epoch %d/%d step %d/%d (%.0f%%): loss %.4f, accuracy %.1f%%, %.0f samples/s\n",
			epoch, epochs, i, n, 100*float64(i)/float64(max(n, 1)), loss, 100*acc, rate)
	}
}

// line prints a whole line (an epoch summary), ending a bar first.
func (p *progress) line(format string, args ...any) {
	if p.mode == ProgressOff {
		return
	}
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
	fmt.Fprintf(p.w, format+"\n", args...)
	p.last = time.Time{}
}

func fmtDuration(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}
