//go:build linux || (darwin && !ios)

package postgres

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// removeSharedMemory removes the System V shared memory segment of the
// server whose data directory is data, if it is still there: a server that
// shut down removed it itself, one that was killed (SIGKILL) left it, and
// it would stay until the machine restarts. postmaster.pid names the
// segment (line 7: key and id) and the server (line 1); a segment of that
// id made by another process is left alone. The server's other processes
// stay attached to it until they notice that the postmaster is gone: it
// waits for them, up to stopTimeout. It is best effort.
func removeSharedMemory(data string) {
	b, err := os.ReadFile(filepath.Join(data, "postmaster.pid"))
	if err != nil {
		return // a clean shutdown removes it, with the segment
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 7 {
		return
	}
	pid, err1 := strconv.Atoi(strings.TrimSpace(lines[0]))
	shm := strings.Fields(lines[6])
	if err1 != nil || len(shm) != 2 {
		return
	}
	id, err := strconv.Atoi(shm[1])
	if err != nil {
		return
	}
	for deadline := time.Now().Add(stopTimeout); ; time.Sleep(10 * time.Millisecond) {
		var desc unix.SysvShmDesc
		if _, err := unix.SysvShmCtl(id, unix.IPC_STAT, &desc); err != nil || int(desc.Cpid) != pid {
			return
		}
		if desc.Nattch == 0 || time.Now().After(deadline) {
			break
		}
	}
	// Removed once the last process that has it attached is gone.
	unix.SysvShmCtl(id, unix.IPC_RMID, nil)
}
