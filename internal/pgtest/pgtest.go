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
func Start(t testing.TB) postgres.Instance {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	inst, err := postgres.NewLocal(postgres.LocalOptions{}).Start(ctx)
	if err != nil {
		if errors.Is(err, postgres.ErrNotAvailable) && os.Getenv("CI") == "" {
			t.Skipf("no local PostgreSQL: %v", err)
		}
		t.Fatalf("start local postgres: %v", err)
	}
	t.Cleanup(func() {
		if err := inst.Terminate(context.Background()); err != nil {
			t.Errorf("terminate postgres: %v", err)
		}
	})
	return inst
}
