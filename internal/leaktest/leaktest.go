// Package leaktest checks that a test left nothing behind: no file in a
// private TMPDIR, no process running from it or from a given directory.
package leaktest

import (
	"os"
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
