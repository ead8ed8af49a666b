package sandbox

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The cgroup v2 logic, against a stand-in directory: this machine's
// cgroups are v1, so the kernel's own files cannot be used here; the
// decisions and the writes are what is tested.
func TestMakeCgroup(t *testing.T) {
	parent := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(parent, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	read := func(path string) string {
		b, _ := os.ReadFile(path)
		return string(b)
	}
	write("cgroup.controllers", "cpu io memory pids\n")
	write("cgroup.subtree_control", "cpu\n")
	c, err := makeCgroup(parent, 512<<20, 100)
	if err != nil {
		t.Fatal(err)
	}
	// The controllers were not handed down yet: the grader moved itself
	// into a leaf first, then enabled them.
	if got := read(filepath.Join(parent, "nplus1-grader", "cgroup.procs")); got != strconv.Itoa(os.Getpid()) {
		t.Errorf("the grader's leaf holds %q, want its pid", got)
	}
	if got := read(filepath.Join(parent, "cgroup.subtree_control")); got != "+memory +pids" {
		t.Errorf("subtree_control = %q", got)
	}
	if !strings.HasPrefix(filepath.Base(c.dir), "nplus1-sandbox-") || filepath.Dir(c.dir) != parent {
		t.Errorf("cgroup at %s", c.dir)
	}
	if got := read(filepath.Join(c.dir, "memory.max")); got != strconv.Itoa(512<<20) {
		t.Errorf("memory.max = %q", got)
	}
	if got := read(filepath.Join(c.dir, "pids.max")); got != "100" {
		t.Errorf("pids.max = %q", got)
	}
	if err := c.add(4242); err != nil || read(filepath.Join(c.dir, "cgroup.procs")) != "4242" {
		t.Errorf("add: %v", err)
	}
	if c.describe() != "cgroup v2" || (*cgroup)(nil).describe() != "rlimits" {
		t.Error("describe")
	}

	// Without the controllers delegated there is no cgroup.
	write("cgroup.controllers", "cpu io\n")
	if _, err := makeCgroup(parent, 0, 100); err == nil || !strings.Contains(err.Error(), "not delegated") {
		t.Errorf("makeCgroup without memory and pids: %v", err)
	}
}

func TestOwnCgroup(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cgroup")
	os.WriteFile(file, []byte("12:memory:/a\n0::/user.slice/grader.service\n"), 0o644)
	if got, err := ownCgroup(file); err != nil || got != "/user.slice/grader.service" {
		t.Errorf("ownCgroup = %q, %v", got, err)
	}
	os.WriteFile(file, []byte("12:memory:/a\n"), 0o644)
	if _, err := ownCgroup(file); err == nil {
		t.Error("a v1-only process has a v2 cgroup")
	}
}
