package sandbox

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
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
	if !strings.HasPrefix(filepath.Base(c.dirs[0]), "nplus1-sandbox-") || filepath.Dir(c.dirs[0]) != parent {
		t.Errorf("cgroup at %s", c.dirs[0])
	}
	if got := read(filepath.Join(c.dirs[0], "memory.max")); got != strconv.Itoa(512<<20) {
		t.Errorf("memory.max = %q", got)
	}
	if got := read(filepath.Join(c.dirs[0], "pids.max")); got != "100" {
		t.Errorf("pids.max = %q", got)
	}
	if err := c.add(4242); err != nil || read(filepath.Join(c.dirs[0], "cgroup.procs")) != "4242" {
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

// This machine's cgroups: v1, where root gets a memory and a pids cgroup
// for each sandbox, which count and cap what no resident set shows (a file
// of its private /tmp tmpfs written with write(); a memfd was the same, and
// the seccomp filter now refuses it), and the kernel's kill for that limit
// is reported. A grader that is not root gets none here.
func TestCgroupOnThisMachine(t *testing.T) {
	var st syscall.Statfs_t
	v2 := syscall.Statfs(cgroupRoot, &st) == nil && st.Type == cgroup2Magic
	_, v1Err := os.Stat("/sys/fs/cgroup/memory/memory.stat")
	sb, err := Start(Spec{Binds: []Bind{{Path: "/usr/bin"}}, Memory: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Kill()
	switch {
	case v2:
		t.Logf("cgroup v2 here: %s (TestMakeCgroup covers its logic)", sb.Limits())
		return
	case os.Geteuid() != 0:
		if got := sb.Limits(); got != "rlimits" {
			t.Fatalf("limits %q for a grader that is not root on cgroup v1, want rlimits", got)
		}
		return
	case v1Err != nil:
		t.Fatalf("neither a cgroup v2 nor a v1 memory hierarchy here: %v", v1Err)
	}
	if got := sb.Limits(); got != "cgroup v1" {
		t.Fatalf("limits %q as root on cgroup v1, want cgroup v1", got)
	}
	hold := "import os, time\nfd = os.open('/tmp/hold', os.O_WRONLY | os.O_CREAT)\nfor _ in range(%d): os.write(fd, b'x' * (1 << 20))\nprint('held', flush=True)\ntime.sleep(60)\n"
	out, err := os.CreateTemp("", "nplus1-cgroup-*")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(out.Name())
	sb.Kill()
	<-sb.Reaped()

	// 32 MiB held in the tmpfs: counted.
	sb, err = Start(Spec{Binds: []Bind{{Path: "/usr/bin"}}, Memory: 64 << 20, Output: out})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Kill()
	if err := sb.Exec([]string{"/usr/bin/python3", "-c", fmt.Sprintf(hold, 32)}, nil, "/"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(out.Name())
		if strings.Contains(string(b), "held") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the program did not hold its file; it said: %s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if used, ok := sb.MemoryUsed(); !ok || used < 32<<20 {
		t.Fatalf("memory used %d (known %v), want at least the 32 MiB file", used, ok)
	}
	sb.Kill()
	<-sb.Reaped()
	if _, killed := sb.OutOfMemory(); killed {
		t.Fatal("a sandbox under its limit, killed by the grader, reported out of memory")
	}

	// 128 MiB in the tmpfs against 64: the kernel kills it, and says so.
	sb, err = Start(Spec{Binds: []Bind{{Path: "/usr/bin"}}, Memory: 64 << 20, Output: out})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Kill()
	if err := sb.Exec([]string{"/usr/bin/python3", "-c", fmt.Sprintf(hold, 128)}, nil, "/"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sb.Exited():
	case <-time.After(30 * time.Second):
		t.Fatal("a program holding twice its memory in its tmpfs was not stopped")
	}
	peak, killed := sb.OutOfMemory()
	if !killed || peak < 60<<20 {
		t.Fatalf("out of memory %v, peak %d: want killed near 64 MiB", killed, peak)
	}
}

// A cgroup left by a grader that was killed is removed by the next one;
// those of live graders (this one, or another running) are kept.
func TestRemoveStaleCgroups(t *testing.T) {
	parent := t.TempDir()
	dead := exec.Command("/bin/true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{
		fmt.Sprintf("nplus1-sandbox-%d-1", dead.Process.Pid): false, // its grader is gone
		fmt.Sprintf("nplus1-sandbox-%d-1", os.Getpid()):      true,
		"nplus1-sandbox-1-1":                                 true, // pid 1 lives
		"other":                                              true,
	}
	for name := range names {
		if err := os.Mkdir(filepath.Join(parent, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	removeStale(parent)
	for name, kept := range names {
		if _, err := os.Stat(filepath.Join(parent, name)); (err == nil) != kept {
			t.Errorf("%s: kept %v, want %v", name, err == nil, kept)
		}
	}
}
