package postgres

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nplus1/nplus1/internal/leaktest"
)

// A server killed with SIGKILL frees no shared memory of its own:
// Terminate must leave none behind, in /dev/shm or System V.
func TestLocalKilledServerLeavesNoSharedMemory(t *testing.T) {
	needLocal(t)
	tmp := leaktest.PrivateTmp(t)
	before := leaktest.SnapshotSharedMemory()
	inst, err := NewLocal(LocalOptions{CacheDir: testCache}).Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	li := inst.(*localInstance)
	pid := li.cmd.Process.Pid
	maps, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/maps")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(maps), "/dev/shm/PostgreSQL.") {
		t.Errorf("the server maps POSIX shared memory in /dev/shm, which a killed server leaves behind:\n%s", maps)
	}
	if !strings.Contains(string(maps), "pg_dynshmem") {
		t.Errorf("the server's dynamic shared memory is not in its data directory:\n%s", maps)
	}
	made := false
	for _, seg := range leaktest.SysVSegments() {
		made = made || seg.Creator == pid
	}
	if !made {
		t.Fatalf("the server %d made no System V segment: nothing to test", pid)
	}

	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-li.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not die of SIGKILL")
	}
	if err := inst.Terminate(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, seg := range leaktest.SysVSegments() {
		if seg.Creator == pid {
			t.Errorf("left behind: the killed server's System V segment %d (%d attached)", seg.ID, seg.Attached)
		}
	}
	leaktest.AssertNoSharedMemoryLeft(t, before)
	noLeftovers(t, tmp)
}
