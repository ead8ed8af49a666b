// Package leaktest checks that a test left nothing behind: no file in a
// private TMPDIR, no process running from it or from a given directory.
package leaktest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// PrivateTmp points TMPDIR at a fresh directory that the postgres user can
// traverse, so that this test's leftovers alone can be seen. It is removed
// when the test ends.
func PrivateTmp(t testing.TB) string {
	t.Helper()
	tmp, err := os.MkdirTemp("", "nplus1-test-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(tmp, 0o755)
	t.Setenv("TMPDIR", tmp)
	t.Cleanup(func() { os.RemoveAll(tmp) })
	return tmp
}

// AssertNothingLeft fails the test if a file remains in tmp, or a live
// process has tmp in its command line, its working directory or its
// TMPDIR: everything the grader starts inherits TMPDIR, so this finds the
// test's own leftovers and not those of tests running beside it.
func AssertNothingLeft(t testing.TB, tmp string) {
	t.Helper()
	entries, _ := os.ReadDir(tmp)
	for _, e := range entries {
		t.Errorf("left behind in TMPDIR: %s", e.Name())
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		status, _ := os.ReadFile(filepath.Join(p, "status"))
		if strings.Contains(string(status), "State:\tZ") {
			continue // a zombie is already dead; only its parent can reap it
		}
		cmdline, _ := os.ReadFile(filepath.Join(p, "cmdline"))
		environ, _ := os.ReadFile(filepath.Join(p, "environ"))
		cwd, _ := os.Readlink(filepath.Join(p, "cwd"))
		cmd := strings.ReplaceAll(string(cmdline), "\x00", " ")
		ours := strings.Contains(cmd, tmp) || strings.HasPrefix(cwd, tmp) ||
			strings.Contains("\x00"+string(environ), "\x00TMPDIR="+tmp+"\x00")
		if ours && filepath.Base(p) != strconv.Itoa(os.Getpid()) {
			t.Errorf("process left running: %s %s (cwd %s)", filepath.Base(p), cmd, cwd)
		}
	}
}

// IsStandIn reports whether this test binary runs as a stand-in grader
// started by KillStandIn: the test should then do the grader's part, print
// the line KillStandIn waits for, and wait to be killed.
func IsStandIn() bool { return os.Getenv("NPLUS1_TEST_GRADER") == "1" }

// KillStandIn runs this test binary again as a stand-in grader for the
// test named test (see IsStandIn), with env added to its environment,
// reads its output until a line starts with prefix, kills it with SIGKILL
// (no cleanup of its own runs) and returns the rest of that line. It
// fails the test if no such line comes.
func KillStandIn(t *testing.T, test, prefix string, env ...string) string {
	t.Helper()
	grader := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	grader.Env = append(append(os.Environ(), "NPLUS1_TEST_GRADER=1"), env...)
	out, err := grader.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := grader.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	rest, found := "", false
	sc := bufio.NewScanner(out)
	for !found && sc.Scan() {
		lines = append(lines, sc.Text())
		rest, found = strings.CutPrefix(sc.Text(), prefix)
	}
	grader.Process.Kill()
	grader.Wait()
	if !found {
		t.Fatalf("the stand-in grader printed no %q line:\n%s", prefix, strings.Join(lines, "\n"))
	}
	return rest
}
