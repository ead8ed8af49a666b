package main

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestProgressDisplayPlain(t *testing.T) {
	var buf bytes.Buffer
	d := newProgressDisplay(&buf, false, false)
	g := d.Grader()
	fmt.Fprint(g, "seed: 100 rows\nstart: listen")
	fmt.Fprint(d.Solution(), "hello from the solution\n")
	fmt.Fprint(g, "ing on 127.0.0.1:1\n")
	d.Close()
	want := "nplus1   | seed: 100 rows\nsolution | hello from the solution\nnplus1   | start: listening on 127.0.0.1:1\n"
	if buf.String() != want {
		t.Errorf("plain display:\n%q\nwant\n%q", buf.String(), want)
	}
}

// A line's control characters are shown escaped: a solution's output or a
// directory's name (redteam7/termescape) must not write lines of its own
// or move the cursor over the grader's.
func TestProgressDisplayEscapes(t *testing.T) {
	var buf bytes.Buffer
	d := newProgressDisplay(&buf, false, false)
	fmt.Fprint(d.Grader(), "build: /tmp/x\rPASS\x1b[2K\x1b]52;c;aGk=\x07\u009b\x9b\n")
	fmt.Fprint(d.Solution(), "a\tb\x00\r\n")
	fmt.Fprint(d.Writer("nplus1 x\nPASS | ", false), "a batch's\n") // tagged with a directory's name
	d.Close()
	want := "nplus1   | build: /tmp/x\\x0dPASS\\x1b[2K\\x1b]52;c;aGk=\\x07\\x9b\ufffd\nsolution | a\tb\\x00\nnplus1 x\\x0aPASS | a batch's\n"
	if buf.String() != want {
		t.Errorf("display:\n%q\nwant\n%q", buf.String(), want)
	}
}

func TestProgressDisplayLive(t *testing.T) {
	var buf syncBuffer
	d := newProgressDisplay(&buf, true, true)
	fmt.Fprint(d.Grader(), "measure: 22 requests\n")
	time.Sleep(250 * time.Millisecond)
	d.Close()
	out := buf.String()
	for _, want := range []string{"\x1b[36mnplus1   | \x1b[0mmeasure: 22 requests\n", "\r\x1b[K", " measure 0.", "s"} {
		if !strings.Contains(out, want) {
			t.Errorf("live display %q lacks %q", out, want)
		}
	}
	if !strings.HasSuffix(out, "\r\x1b[K") {
		t.Errorf("live display does not clear its status line at the end: %q", out)
	}
}

func TestLiveOnlyOnATerminal(t *testing.T) {
	if liveTerminal(&bytes.Buffer{}, func(string) string { return "" }) {
		t.Error("a buffer is not a terminal")
	}
}

// syncBuffer is a bytes.Buffer safe for the display's ticker goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
