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

// cleanEnv is the part of the grader's environment a solution's toolchain
// needs (see passedEnv), followed by extra. The rest stays with the grader:
// a CI runner's environment holds tokens and keys, and a solution prints
// what it likes into its card.
func cleanEnv(extra ...string) []string { return environ(passedEnv, extra...) }

// environ is the grader's environment, each variable whose name keep
// accepts, followed by extra.
func environ(keep func(name string) bool, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); keep(k) {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// passedEnv reports whether the environment variable named k reaches a
// solution: the shell's and locale's, and the toolchains' own (Go,
// Python, Node.js, Ruby, Java, C for cgo). Never PG*, DATABASE_URL or
// NPLUS1_*, which may hold credentials.
func passedEnv(k string) bool {
	switch k {
	case "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TERM", "TMPDIR",
		"XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "LD_LIBRARY_PATH",
		"CC", "CXX", "VIRTUAL_ENV", "JAVA_HOME", "NODE_PATH", "RUBYLIB":
		return true
	}
	for _, prefix := range []string{"LC_", "GO", "CGO_", "PYTHON", "PYENV_", "CONDA_", "NODE_", "NPM_CONFIG_", "GEM_", "BUNDLE_", "RUBY"} {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}
