// Package filelock holds advisory locks on files (flock) that the kernel
// drops when their process dies, however it dies: a lock that can be taken
// has no living owner. A lock file may be removed by whoever holds it:
// Lock and TryLock only return a lock on the file the path names.
package filelock

import (
	"context"
	"errors"
	"os"
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
