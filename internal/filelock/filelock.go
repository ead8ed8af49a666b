// Package filelock holds advisory locks on files (flock) that the kernel
// drops when their process dies, however it dies: a lock that can be taken
// has no living owner. A lock file may be removed by whoever holds it:
// Lock and TryLock only return a lock on the file the path names.
//
// LockDir and RemoveOrphans use them for temporary directories: a process
// killed with SIGKILL cannot remove its own, so the next one to start
// removes those whose owner is gone.
package filelock

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"
)

// ErrLocked is returned by TryLock when another open file holds the lock.
var ErrLocked = errors.New("locked by another process")

// ErrUnsupported is returned where the system has no file locks.
var ErrUnsupported = errors.New("file locks need a Unix system")

// Lock creates path if needed and locks it, waiting for another holder to
// let go or ctx to be done. Close the file to unlock.
func Lock(ctx context.Context, path string) (*os.File, error) {
	for {
		f, err := TryLock(path)
		if !errors.Is(err, ErrLocked) {
			return f, err
		}
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TryLock creates path if needed and locks it if nobody holds it, else
// returns ErrLocked. Close the file to unlock.
func TryLock(path string) (*os.File, error) {
	for {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return nil, err
		}
		if err := tryLock(f); err != nil {
			f.Close()
			return nil, err
		}
		// The holder before us may have removed the file as it let go:
		// then our lock is on a file nobody else will find.
		opened, err1 := f.Stat()
		named, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(opened, named) {
			return f, nil
		}
		f.Close()
		if err1 != nil {
			return nil, err1
		}
	}
}

// OwnerLock is the name of the file by which a temporary directory says it
// is in use (see LockDir).
const OwnerLock = "nplus1.lock"

// LockDir marks dir as in use by this process until the returned file is
// closed (close it after removing dir): it creates dir/OwnerLock, locked.
// The lock is taken on a file of another name, then renamed, so that
// RemoveOrphans never sees an owner lock that is not yet held. Where there
// are no file locks it returns nil and no error: such dirs are left for
// the system's temp cleaner.
func LockDir(dir string) (*os.File, error) {
	staging := filepath.Join(dir, OwnerLock+".new")
	f, err := TryLock(staging)
	if errors.Is(err, ErrUnsupported) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := os.Rename(staging, filepath.Join(dir, OwnerLock)); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// RemoveOrphans removes the directories matching pattern under parent whose
// owner lock nobody holds: their process was killed before it could
// remove them. A directory with no owner lock is being set up, or is not
// ours: it is left alone. Errors are ignored: this is housekeeping.
func RemoveOrphans(parent, pattern string) {
	dirs, _ := filepath.Glob(filepath.Join(parent, pattern))
	for _, dir := range dirs {
		lock := filepath.Join(dir, OwnerLock)
		if _, err := os.Stat(lock); err != nil {
			continue
		}
		if f, err := TryLock(lock); err == nil {
			os.RemoveAll(dir)
			f.Close()
		}
	}
}
