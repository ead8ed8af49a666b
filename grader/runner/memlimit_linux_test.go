package runner

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The memory limit holds for the program and for every process it forked,
// even those it forked before the limit was set.
func TestMemoryLimitCoversTheGroup(t *testing.T) {
	const limit = 200 << 20
	b := mustBuild(t, mustDetect(t, "testdata/spawner"))
	p, err := b.Start(context.Background(), StartOptions{Port: mustPort(t), ReadyTimeout: 20 * time.Second, MemoryLimit: limit})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { p.Stop() })
	members, _ := groupMembers(p.Pid())
	if len(members) < 3 {
		t.Fatalf("group members = %+v, want the server and two sleeps", members)
	}
	for _, m := range members {
		if got := dataLimit(t, m.pid); got != strconv.Itoa(limit) {
			t.Errorf("process %d: Max data size = %s, want %d", m.pid, got, limit)
		}
	}
}

// Without a limit the program keeps the grader's own.
func TestNoMemoryLimit(t *testing.T) {
	b := mustBuild(t, mustDetect(t, "testdata/gosolution"))
	p, err := b.Start(context.Background(), StartOptions{Port: mustPort(t)})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { p.Stop() })
	if got, want := dataLimit(t, p.Pid()), dataLimit(t, os.Getpid()); got != want {
		t.Errorf("Max data size = %s, want the grader's %s", got, want)
	}
}

// dataLimit reads the soft "Max data size" of process pid.
func dataLimit(t *testing.T, pid int) string {
	t.Helper()
	limits, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "limits"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(limits), "\n") {
		if rest, ok := strings.CutPrefix(line, "Max data size"); ok {
			return strings.Fields(rest)[0]
		}
	}
	t.Fatalf("no Max data size in /proc/%d/limits", pid)
	return ""
}
