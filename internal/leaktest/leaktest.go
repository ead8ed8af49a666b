// Package leaktest checks that a test left nothing behind: no file in a
// private TMPDIR, no process running from it or from a given directory.
package leaktest

import (
	"os"
	"path/filepath"
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

// AssertNothingLeft fails the test if a file remains in tmp, or a process
// runs with tmp in its command line or working directory, or with its
// working directory in one of dirs.
func AssertNothingLeft(t testing.TB, tmp string, dirs ...string) {
	t.Helper()
	entries, _ := os.ReadDir(tmp)
	for _, e := range entries {
		t.Errorf("left behind in TMPDIR: %s", e.Name())
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		cmdline, _ := os.ReadFile(filepath.Join(p, "cmdline"))
		cwd, _ := os.Readlink(filepath.Join(p, "cwd"))
		status, _ := os.ReadFile(filepath.Join(p, "status"))
		if strings.Contains(string(status), "State:\tZ") {
			continue // a zombie is already dead; only its parent can reap it
		}
		cmd := strings.ReplaceAll(string(cmdline), "\x00", " ")
		left := strings.Contains(cmd, tmp) || strings.HasPrefix(cwd, tmp)
		for _, d := range dirs {
			left = left || cwd == d
		}
		if left {
			t.Errorf("process left running: %s %s (cwd %s)", filepath.Base(p), cmd, cwd)
		}
	}
}
