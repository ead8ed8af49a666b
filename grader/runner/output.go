package runner

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// maxOutput is how much of a program's output is kept: the last 64 KiB.
const maxOutput = 64 << 10

// tail keeps the last maxOutput bytes written to it, and copies every write
// to live if that is not nil. It is safe for concurrent use.
type tail struct {
	mu      sync.Mutex
	buf     []byte
	dropped int64
	live    io.Writer
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.live != nil {
		_, _ = t.live.Write(p) // a broken live copy must not stop the program
	}
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - maxOutput; over > 0 {
		t.dropped += int64(over)
		t.buf = t.buf[over:]
	}
	return len(p), nil
}

// String is the kept output, after a note saying how much came before it,
// if anything was dropped.
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.dropped == 0 {
		return string(t.buf)
	}
	return fmt.Sprintf("[%d earlier bytes of output dropped]\n", t.dropped) + string(t.buf)
}

// cleanEnv is the grader's environment without anything that may hold
// database credentials (PG*, DATABASE_URL, NPLUS1_*), followed by extra.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PG") || k == "DATABASE_URL" || strings.HasPrefix(k, "NPLUS1_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}
