package postgres

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/nplus1/nplus1/internal/filelock"
)

// ownerLock is the file in a throwaway cluster's temp dir that its grader
// holds locked for as long as the cluster is in use (see filelock). A dir
// whose lock can be taken belongs to a grader that was killed.
const ownerLock = "nplus1.lock"

// lockDir creates dir's owner lock, locked; keep the file open while the
// dir is in use, and close it after removing the dir. The lock is taken
// on a file of another name, then renamed: removeOrphans never sees an
// owner lock that is not yet locked. Where there are no file locks it
// returns nil: dirs of killed graders are then left for the system's temp
// cleaner.
func lockDir(dir string) (*os.File, error) {
	staging := filepath.Join(dir, ownerLock+".new")
	f, err := filelock.TryLock(staging)
	if errors.Is(err, filelock.ErrUnsupported) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := os.Rename(staging, filepath.Join(dir, ownerLock)); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// removeOrphans removes the throwaway cluster dirs under parent that a
// killed grader left behind: those whose owner lock nobody holds. A dir
// with no lock file is being set up, or is not ours: it is left alone.
// Errors are ignored: this is housekeeping.
func removeOrphans(parent string) {
	dirs, _ := filepath.Glob(filepath.Join(parent, clusterDirPrefix+"*"))
	for _, dir := range dirs {
		lock := filepath.Join(dir, ownerLock)
		if _, err := os.Stat(lock); err != nil {
			continue
		}
		if f, err := filelock.TryLock(lock); err == nil {
			os.RemoveAll(dir)
			f.Close()
		}
	}
}
