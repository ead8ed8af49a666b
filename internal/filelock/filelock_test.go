package filelock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	held, err := Lock(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TryLock(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("TryLock of a held lock: %v, want ErrLocked", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := Lock(ctx, path); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock of a held lock: %v, want it to wait until ctx is done", err)
	}
	held.Close()
	again, err := TryLock(path)
	if err != nil {
		t.Fatalf("TryLock once released: %v", err)
	}
	again.Close()
}

// A holder may remove the lock file as it lets go: a waiter then locks the
// file the path names afresh, not the removed one.
func TestLockAfterRemoval(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	held, err := TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		f, err := Lock(context.Background(), path)
		if err == nil {
			_, err = TryLock(path)
			if errors.Is(err, ErrLocked) {
				err = nil // the lock the waiter holds is the one others see
			} else {
				err = fmt.Errorf("a third TryLock: %v, want ErrLocked", err)
			}
			f.Close()
		}
		got <- err
	}()
	time.Sleep(100 * time.Millisecond) // the waiter has opened the old file
	os.Remove(path)
	held.Close()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}
