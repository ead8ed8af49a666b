package grader_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/nplus1/nplus1/grader"
	"github.com/nplus1/nplus1/grader/sandbox"
	"github.com/nplus1/nplus1/reports"
)

// lockedBuffer is a bytes.Buffer written from the runner's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// escapeReport is what testdata/hostile/escape managed before it served.
type escapeReport struct {
	ParentPid       int      `json:"parent_pid"`
	SignalledParent bool     `json:"signalled_parent"`
	Secrets         []string `json:"secrets"`
	Processes       int      `json:"processes"`
	DockerSocket    bool     `json:"docker_socket"`
	HBA             []string `json:"hba"`
	KeyFile         bool     `json:"key_file"`
	Daemon          int      `json:"daemon"`
}

// gradeEscape grades the escaping fixture with the sandbox mode given and
// returns its card and report.
func gradeEscape(t *testing.T, mode string) (*reports.Card, escapeReport) {
	t.Helper()
	t.Setenv("NPLUS1_ESCAPE_SECRET", "s3cret")
	// A key file where a sandbox would show it (not under /tmp), named to
	// the fixture in its directory.
	keyDir, err := os.MkdirTemp("testdata", ".key-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(keyDir) })
	key, _ := filepath.Abs(filepath.Join(keyDir, "nplus1.key"))
	pointer := filepath.Join("testdata", "hostile", "escape", "secretpath")
	for path, text := range map[string]string{key: "secret key", pointer: key} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { os.Remove(pointer) })
	var out lockedBuffer
	card := gradeDir(t, "testdata/hostile/escape", func(o *grader.Options) {
		o.Sandbox = mode
		o.SolutionOutput = &out
		o.Secrets = []string{key}
	})
	var r escapeReport
	for _, line := range strings.Split(out.String(), "\n") {
		if js, ok := strings.CutPrefix(line, "ESCAPE-REPORT: "); ok {
			if err := json.Unmarshal([]byte(js), &r); err != nil {
				t.Fatal(err)
			}
			return card, r
		}
	}
	t.Fatalf("the fixture printed no report; card %s %+v (%s), output:\n%s", card.Verdict, card.Checks, card.Error, out.String())
	return nil, r
}

// Inside its sandbox a hostile solution cannot signal the grader, read its
// environment, see other processes, the Docker socket or the cluster's
// files, or leave a daemon running; it passes through the proxy, and the
// card says it was sandboxed.
func TestSandboxHoldsAHostileSolution(t *testing.T) {
	if err := sandbox.Supported(); err != nil {
		t.Fatalf("this machine must sandbox (CI runs the tests here): %v", err)
	}
	card, r := gradeEscape(t, grader.SandboxRequired)
	t.Logf("report: %+v", r)
	if r.SignalledParent || len(r.Secrets) > 0 || r.Processes > 5 || r.DockerSocket || len(r.HBA) > 0 || r.KeyFile {
		t.Errorf("the solution reached out of its sandbox: %+v", r)
	}
	if r.Daemon == 0 {
		t.Errorf("the daemon did not start, so its end is not tested")
	}
	if card.Verdict != reports.Pass {
		t.Errorf("verdict %s %+v (%s), want pass", card.Verdict, card.Checks, card.Error)
	}
	if !strings.HasPrefix(card.Environment.Sandbox, sandbox.Describe+"; limits by ") {
		t.Errorf("card's sandbox = %q, want %q and its limits", card.Environment.Sandbox, sandbox.Describe)
	}
	assertNoDaemon(t)
}

// Without a sandbox the same solution reads the grader's secret from /proc
// (the reason for the sandbox), and the card says so.
func TestWithoutSandboxTheCardSaysNone(t *testing.T) {
	card, r := gradeEscape(t, grader.SandboxOff)
	if len(r.Secrets) == 0 || !r.KeyFile {
		t.Errorf("unsandboxed, the fixture found no secret or key file: it tests nothing (%+v)", r)
	}
	if !strings.HasPrefix(card.Environment.Sandbox, "none") {
		t.Errorf("card's sandbox = %q, want none", card.Environment.Sandbox)
	}
	md := reports.Markdown(card)
	if !strings.Contains(md, "Sandbox: none (turned off): the solution ran as the grader, unisolated") {
		t.Errorf("result.md does not say the solution ran unsandboxed:\n%s", md)
	}
	assertNoDaemon(t)
}

// assertNoDaemon fails if the fixture's daemon still runs.
func assertNoDaemon(t *testing.T) {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if b, _ := os.ReadFile(p); strings.Contains(string(b), "nplus1-escape-daemon") {
			t.Errorf("the fixture's daemon outlived the grade: %s", p)
		}
	}
}
