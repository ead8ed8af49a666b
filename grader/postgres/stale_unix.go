//go:build unix

package postgres

import (
	"os"
	"path/filepath"
	"syscall"
)

// ownerLock is the file in a throwaway cluster's temp dir that its grader
// holds locked (flock) for as long as the cluster is in use. The kernel
// drops the lock when that process dies, however it dies, so a dir whose
// lock can be taken belongs to nobody.
const ownerLock = "nplus1.lock"

// lockDir creates dir's owner lock and locks it; keep the file open while
// the dir is in use, and close it after removing the dir.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, ownerLock), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// removeOrphans removes the throwaway cluster dirs under parent that a
// grader killed before it could clean up left behind: those whose owner
// lock nobody holds. A dir with no lock file yet is being set up, or is
// not ours: it is left alone. Errors are ignored: this is housekeeping.
func removeOrphans(parent string) {
	dirs, _ := filepath.Glob(filepath.Join(parent, clusterDirPrefix+"*"))
	for _, dir := range dirs {
		f, err := os.Open(filepath.Join(dir, ownerLock))
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			os.RemoveAll(dir)
		}
		f.Close()
	}
}
