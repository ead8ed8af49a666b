package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode"
)

// progressDisplay shows the grader's progress lines and, with --verbose,
// the solution's output, each tagged so the two stay apart. On a terminal
// (and not in CI) a status line at the bottom names the phase under way and
// its elapsed time, redrawn as it runs; elsewhere every line is printed
// plainly as it comes. Colour is used only on a terminal without NO_COLOR.
type progressDisplay struct {
	mu      sync.Mutex
	w       io.Writer
	live    bool
	color   bool
	phase   string
	since   time.Time
	spin    int
	stop    chan struct{}
	stopped chan struct{}
}

// newProgressDisplay makes a display on w; live asks for the status line.
func newProgressDisplay(w io.Writer, live, color bool) *progressDisplay {
	d := &progressDisplay{w: w, live: live, color: color}
	if live {
		d.stop, d.stopped = make(chan struct{}), make(chan struct{})
		go d.tick()
	}
	return d
}

// liveTerminal reports whether w is a terminal that should get the live
// display: not in CI, not redirected.
func liveTerminal(w io.Writer, getenv func(string) string) bool {
	f, ok := w.(*os.File)
	if !ok || getenv("CI") != "" || getenv("TERM") == "dumb" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Grader returns the writer for the grader's own progress lines.
func (d *progressDisplay) Grader() io.Writer { return d.Writer("nplus1   | ", true) }

// Solution returns the writer for the solution's output.
func (d *progressDisplay) Solution() io.Writer { return d.Writer("solution | ", false) }

// Writer returns a writer whose lines are shown with tag; phase says the
// lines are the grader's ("seed: ...") and name the phase under way.
func (d *progressDisplay) Writer(tag string, phase bool) io.Writer {
	colour := "\x1b[33m" // the solution's output
	if phase || strings.HasPrefix(tag, "nplus1") {
		colour = "\x1b[36m"
	}
	return &taggedLines{d: d, tag: escapeControls(tag), colour: colour, phase: phase}
}

// Close stops the status line.
func (d *progressDisplay) Close() {
	if !d.live {
		return
	}
	close(d.stop)
	<-d.stopped
	d.mu.Lock()
	defer d.mu.Unlock()
	fmt.Fprint(d.w, "\r\x1b[K")
}

func (d *progressDisplay) tick() {
	defer close(d.stopped)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
			d.mu.Lock()
			d.spin++
			d.status()
			d.mu.Unlock()
		}
	}
}

// status redraws the status line; d.mu is held.
func (d *progressDisplay) status() {
	if d.phase == "" {
		return
	}
	frames := `|/-\`
	fmt.Fprintf(d.w, "\r\x1b[K%c %s %.1fs", frames[d.spin%len(frames)], d.phase, time.Since(d.since).Seconds())
}

// line prints one complete line above the status line.
func (d *progressDisplay) line(tag, colour, text string, phase bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if phase {
		if name, _, ok := strings.Cut(text, ":"); ok && !strings.Contains(name, " ") && name != d.phase {
			d.phase, d.since = name, time.Now()
		}
	}
	if d.live {
		fmt.Fprint(d.w, "\r\x1b[K")
	}
	if d.color {
		fmt.Fprintf(d.w, "%s%s\x1b[0m%s\n", colour, tag, text)
	} else {
		fmt.Fprintf(d.w, "%s%s\n", tag, text)
	}
	if d.live {
		d.status()
	}
}

// taggedLines splits writes into lines for the display.
type taggedLines struct {
	d      *progressDisplay
	tag    string
	colour string
	phase  bool // lines name grader phases ("seed: ...")
	mu     sync.Mutex
	buf    []byte
}

func (t *taggedLines) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	for {
		i := bytes.IndexByte(t.buf, '\n')
		if i < 0 {
			break
		}
		t.d.line(t.tag, t.colour, escapeControls(strings.TrimRight(string(t.buf[:i]), "\r")), t.phase)
		t.buf = t.buf[i+1:]
	}
	return len(p), nil
}

// escapeControls shows the control characters of a line (but tab) as
// \xNN: the solution's output, and a directory's name in the grader's
// lines, must not move a terminal's cursor, retitle it, write its
// clipboard or start a line of their own in a CI log.
func escapeControls(s string) string {
	var b strings.Builder // a byte that is no UTF-8 becomes U+FFFD
	for _, r := range s {
		if isEscaped(r) {
			fmt.Fprintf(&b, `\x%02x`, r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isEscaped reports whether escapeControls escapes r.
func isEscaped(r rune) bool { return r != '\t' && unicode.IsControl(r) }
