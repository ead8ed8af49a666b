package postgres

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A grader killed with SIGKILL runs no cleanup: the kernel must stop its
// server, and the next start must remove the dir it left.
func TestLocalServerDiesWithTheGrader(t *testing.T) {
	if os.Getenv("NPLUS1_TEST_GRADER") == "1" {
		// The stand-in grader: start a server, say its dir, wait to be killed.
		inst, err := NewLocal(LocalOptions{CacheDir: testCache}).Start(context.Background())
		if err != nil {
			fmt.Println("error", err)
			return
		}
		fmt.Println("dir", inst.(*localInstance).dir)
		time.Sleep(time.Minute)
		return
	}
	needLocal(t)
	tmp, err := os.MkdirTemp("", "nplus1-orphan-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	if err := os.Chmod(tmp, 0o755); err != nil { // reachable by the server's user when root
		t.Fatal(err)
	}
	grader := exec.Command(os.Args[0], "-test.run=^TestLocalServerDiesWithTheGrader$")
	grader.Env = append(os.Environ(), "NPLUS1_TEST_GRADER=1", "TMPDIR="+tmp)
	out, _ := grader.StdoutPipe()
	if err := grader.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	dir := ""
	for dir == "" && sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "error "); ok {
			t.Error("the stand-in grader could not start a server:", rest)
		}
		if rest, ok := strings.CutPrefix(sc.Text(), "dir "); ok {
			dir = rest
		}
	}
	grader.Process.Kill()
	grader.Wait()
	if dir == "" {
		t.Fatal("the stand-in grader started no server")
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(processesUsing(dir)) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	for _, p := range processesUsing(dir) {
		t.Errorf("still running after the grader was killed: %s", p)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the killed grader's dir is already gone (%v): nothing to test", err)
	}

	t.Setenv("TMPDIR", tmp)
	inst, err := NewLocal(LocalOptions{CacheDir: testCache}).Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the next start left the orphaned dir %s (%v)", dir, err)
	}
	// Its own dir, and any in use, stay.
	live := inst.(*localInstance).dir
	removeOrphans(tmp)
	if _, err := os.Stat(filepath.Join(live, "data")); err != nil {
		t.Errorf("removeOrphans removed a dir in use: %v", err)
	}
	if err := inst.Terminate(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The killed test binary's own cache (its TestMain made it) is no
	// grader's business.
	caches, _ := filepath.Glob(filepath.Join(tmp, "nplus1-test-cache-*"))
	for _, c := range caches {
		os.RemoveAll(c)
	}
	noLeftovers(t, tmp)
}
