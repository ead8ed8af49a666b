package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nplus1/nplus1/internal/filelock"
	"github.com/nplus1/nplus1/internal/leaktest"
)

// A grader killed with SIGKILL runs no cleanup: the kernel must stop its
// server, and the next start must remove the dir it left.
func TestLocalServerDiesWithTheGrader(t *testing.T) {
	if leaktest.IsStandIn() {
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
	tmp := leaktest.PrivateTmp(t) // the stand-in grader's TMPDIR too
	dir := leaktest.KillStandIn(t, "TestLocalServerDiesWithTheGrader", "dir ", "NPLUS1_TEST_CACHE="+testCache)
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

	inst, err := NewLocal(LocalOptions{CacheDir: testCache}).Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the next start left the orphaned dir %s (%v)", dir, err)
	}
	// Its own dir, and any in use, stay.
	live := inst.(*localInstance).dir
	filelock.RemoveOrphans(tmp, clusterDirPrefix+"*")
	if _, err := os.Stat(filepath.Join(live, "data")); err != nil {
		t.Errorf("RemoveOrphans removed a dir in use: %v", err)
	}
	if err := inst.Terminate(t.Context()); err != nil {
		t.Fatal(err)
	}
	noLeftovers(t, tmp)
}
