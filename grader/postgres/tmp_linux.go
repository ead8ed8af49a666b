package postgres

import (
	"os"
	"syscall"
)

const tmpfsMagic = 0x01021994

// clusterParent is where throwaway clusters go: $TMPDIR when it is set,
// else /dev/shm when it is a writable memory file system (copying the
// cluster's thousand files there is several times faster than to a disk,
// and the data is thrown away anyway), else the system's temp dir.
func clusterParent() string {
	if os.Getenv("TMPDIR") != "" {
		return os.TempDir()
	}
	var st syscall.Statfs_t
	if syscall.Statfs("/dev/shm", &st) == nil && st.Type == tmpfsMagic && syscall.Access("/dev/shm", 2) == nil {
		return "/dev/shm"
	}
	return os.TempDir()
}
