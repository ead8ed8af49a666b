// Package filelock holds advisory locks on files (flock) that the kernel
// drops when their process dies, however it dies: a lock that can be taken
// has no living owner.
package filelock

import (
	"context"
	"errors"
	"os"
	"time"
)

// ErrLocked is returned by TryLock when another open file holds the lock.
var ErrLocked = errors.New("locked by another process")

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
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := tryLock(f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
