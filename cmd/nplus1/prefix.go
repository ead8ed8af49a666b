package main

import (
	"bytes"
	"io"
	"sync"
)

// prefixWriter writes each line with a prefix, so the grader's own lines
// and the solution's output stay apart on one terminal.
type prefixWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix []byte
	bol    bool // at the beginning of a line
}

func newPrefixWriter(w io.Writer, prefix string) *prefixWriter {
	return &prefixWriter{w: w, prefix: []byte(prefix), bol: true}
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []byte
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if p.bol {
			out = append(out, p.prefix...)
		}
		out = append(out, line...)
		p.bol = line[len(line)-1] == '\n'
	}
	if _, err := p.w.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}
