package leaktest

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// SharedMemory is what shared memory there was at one moment: System V
// segments by id, and PostgreSQL's POSIX segments in /dev/shm by name.
// Both are read from /proc and /dev/shm (Linux); elsewhere it is empty.
type SharedMemory struct {
	sysv  map[int]SysVSegment
	posix map[string]bool
}

// SysVSegment is one System V shared memory segment as /proc/sysvipc/shm
// lists it.
type SysVSegment struct {
	ID, Creator, Attached int
}

// SnapshotSharedMemory returns the shared memory there is now.
func SnapshotSharedMemory() SharedMemory {
	s := SharedMemory{sysv: map[int]SysVSegment{}, posix: map[string]bool{}}
	for _, seg := range SysVSegments() {
		s.sysv[seg.ID] = seg
	}
	names, _ := filepath.Glob("/dev/shm/PostgreSQL.*")
	for _, n := range names {
		s.posix[n] = true
	}
	return s
}

// SysVSegments lists the System V shared memory segments of the system.
func SysVSegments() []SysVSegment {
	b, _ := os.ReadFile("/proc/sysvipc/shm")
	lines := strings.Split(string(b), "\n")
	var segs []SysVSegment
	for _, l := range lines[min(1, len(lines)):] { // after the header
		f := strings.Fields(l)
		if len(f) < 7 {
			continue
		}
		id, err1 := strconv.Atoi(f[1])
		cpid, err2 := strconv.Atoi(f[4])
		nattch, err3 := strconv.Atoi(f[6])
		if err1 == nil && err2 == nil && err3 == nil {
			segs = append(segs, SysVSegment{ID: id, Creator: cpid, Attached: nattch})
		}
	}
	return segs
}

// AssertNoSharedMemoryLeft fails the test for shared memory made since
// before and left behind: a System V segment no process has attached whose
// creator is gone, or a /dev/shm/PostgreSQL.* segment no process maps
// (what a killed PostgreSQL server leaves). Shared memory of servers that
// still run is not counted; that of other tests that kill servers at the
// same moment may be.
func AssertNoSharedMemoryLeft(t testing.TB, before SharedMemory) {
	t.Helper()
	for _, seg := range SysVSegments() {
		_, old := before.sysv[seg.ID]
		if !old && seg.Attached == 0 && !alive(seg.Creator) {
			t.Errorf("left behind: System V shared memory segment %d, made by process %d (ipcrm -m %d)", seg.ID, seg.Creator, seg.ID)
		}
	}
	names, _ := filepath.Glob("/dev/shm/PostgreSQL.*")
	var left []string
	for _, n := range names {
		if !before.posix[n] {
			left = append(left, n)
		}
	}
	if len(left) == 0 {
		return
	}
	maps, _ := filepath.Glob("/proc/[0-9]*/maps")
	for _, m := range maps {
		b, _ := os.ReadFile(m)
		left = slices.DeleteFunc(left, func(n string) bool { return strings.Contains(string(b), n) })
	}
	for _, n := range left {
		t.Errorf("left behind: %s, mapped by no process", n)
	}
}

// alive reports whether process pid exists (a zombie counts).
func alive(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return err == nil
}
