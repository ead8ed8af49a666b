package grader_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nplus1/nplus1/grader"
	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/internal/leaktest"
	"github.com/nplus1/nplus1/reports"
)

// A grader whose temp directory is missing or full cannot grade (error,
// the directory named): that is never the solution's failed build.
func TestGraderTempDirUnusable(t *testing.T) {
	const solution = "../challenges/orders-users/reference/go"
	wantError := func(t *testing.T, card *reports.Card, want ...string) {
		t.Helper()
		t.Logf("card error: %s", card.Error)
		for _, w := range want {
			if card.Verdict != reports.Error || !strings.Contains(card.Error, w) {
				t.Errorf("verdict %s (%q), checks %+v; want error saying %q", card.Verdict, card.Error, card.Checks, w)
			}
		}
	}

	t.Run("missing", func(t *testing.T) {
		card := gradeDir(t, solution, func(o *grader.Options) { t.Setenv("TMPDIR", "/nonexistent/nplus1-tmp") })
		wantError(t, card, "the grader's temp directory /nonexistent/nplus1-tmp (TMPDIR) cannot be used: ", "no such file or directory")
	})

	t.Run("full", func(t *testing.T) {
		dir := tinyTmpfs(t, "64k")
		filler := filepath.Join(dir, "filler")
		os.WriteFile(filler, make([]byte, 64<<10), 0o600) // until it is full
		card := gradeDir(t, solution, func(o *grader.Options) { t.Setenv("TMPDIR", dir) })
		wantError(t, card, "the grader's temp directory "+dir+" (TMPDIR) cannot be used: ", "no space left on device")
		os.Remove(filler)
		leaktest.AssertNothingLeft(t, dir)
	})

	// The build fills TMPDIR: straight from go build, or as the program
	// is copied from a build cache that holds it (a copy cut short must
	// not be taken for a built program).
	for _, cache := range []string{"off", "warm"} {
		t.Run("full during the build, cache "+cache, func(t *testing.T) {
			// The server outside the small TMPDIR, in one of its own; the
			// build inside it.
			dir := tinyTmpfs(t, "4m")
			outer := os.TempDir()
			serverTmp := leaktest.PrivateTmp(t)
			inst, err := postgres.NewLocal(postgres.LocalOptions{}).Start(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			t.Setenv("TMPDIR", outer)
			defer func() {
				inst.Terminate(context.Background())
				leaktest.AssertNothingLeft(t, serverTmp)
			}()
			if cache == "warm" {
				cache = t.TempDir()
				card := gradeDir(t, solution, func(o *grader.Options) {
					o.Provider = postgres.NewURL(inst.ConnectionString())
					o.BuildCache = cache
				})
				if card.Verdict != reports.Pass {
					t.Fatalf("warming the build cache: verdict %s (%s), checks %+v", card.Verdict, card.Error, card.Checks)
				}
			}
			card := gradeDir(t, solution, func(o *grader.Options) {
				t.Setenv("TMPDIR", dir)
				o.Provider = postgres.NewURL(inst.ConnectionString())
				o.BuildCache = cache
			})
			wantError(t, card, "the build ran out of disk space (", "no space left on device", "the grader's temp directory "+dir+" (TMPDIR) has ")
			leaktest.AssertNothingLeft(t, dir)
		})
	}
}

// tinyTmpfs mounts a memory file system of the given size (as mount's
// size= option takes it) for the test, and unmounts it afterwards.
func tinyTmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small file system needs root")
	}
	dir := t.TempDir()
	os.Chmod(filepath.Dir(dir), 0o755) // a root grader's sandbox reaches TMPDIR
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0755", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a %s tmpfs: %v\n%s", size, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v\n%s", dir, err, out)
		}
	})
	return dir
}
