// Package pgtest gives tests a real PostgreSQL from the local provider.
//
// Tests never skip silently in CI: when CI is set and no PostgreSQL can be
// started, the test fails.
package pgtest

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/nplus1/nplus1/grader/postgres"
)

// Start starts a throwaway local instance for the test and terminates it
// when the test ends. Without PostgreSQL it skips, or fails when CI is set.
func Start(t testing.TB) postgres.Instance { return StartWith(t, postgres.LocalOptions{}) }

// StartWith is Start with the local provider's options (server settings).
func StartWith(t testing.TB, opts postgres.LocalOptions) postgres.Instance {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	inst, err := postgres.NewLocal(opts).Start(ctx)
	if errors.Is(err, postgres.ErrNotAvailable) {
		Need(t, "a local PostgreSQL", err)
	}
	if err != nil {
		t.Fatalf("start local postgres: %v", err)
	}
	t.Cleanup(func() {
		if err := inst.Terminate(context.Background()); err != nil {
			t.Errorf("terminate postgres: %v", err)
		}
	})
	return inst
}

// Need fails the test when err says that something it needs (what) is
// missing and CI is set, and skips it elsewhere; a nil err passes.
func Need(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is needed: %v", what, err)
	}
	t.Skipf("%s is not available: %v", what, err)
}
