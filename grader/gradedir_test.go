package grader_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nplus1/nplus1/challenges"
	"github.com/nplus1/nplus1/grader"
	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/internal/leaktest"
	"github.com/nplus1/nplus1/reports"
)

// python is the interpreter that has psycopg2 (Debian's on CI machines).
func python() string {
	if p := os.Getenv("NPLUS1_PYTHON"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return "python3"
}

// gradeDir grades a solution with the local provider in a private TMPDIR
// and checks that nothing is left behind afterwards: files, processes,
// shared memory.
func gradeDir(t *testing.T, dir string, tweak func(*grader.Options)) *reports.Card {
	t.Helper()
	tmp := leaktest.PrivateTmp(t)
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	opts := grader.Options{
		Solution:   abs,
		Challenge:  "orders-users",
		Provider:   postgres.NewLocal(postgres.LocalOptions{}),
		Requests:   3,
		Python:     python(),
		Version:    "test",
		NoBaseline: true,
	}
	if tweak != nil {
		tweak(&opts)
	}
	shm := leaktest.SnapshotSharedMemory()
	card, err := grader.Grade(context.Background(), opts)
	if err != nil {
		t.Fatalf("Grade: %v", err)
	}
	if card.Verdict == reports.Error && os.Getenv("CI") == "" && strings.Contains(card.Error, postgres.ErrNotAvailable.Error()) {
		t.Skipf("no local PostgreSQL: %s", card.Error)
	}
	leaktest.AssertNothingLeft(t, tmp)
	leaktest.AssertNoSharedMemoryLeft(t, shm)
	return card
}

func check(t *testing.T, card *reports.Card, name string) *reports.Check {
	t.Helper()
	c := card.Check(name)
	if c == nil {
		t.Fatalf("card has no %q check: %+v", name, card.Checks)
	}
	return c
}

// referenceWith is a copy of the orders-users Go reference with old
// replaced by new in its main.go: a fix with one mistake.
func referenceWith(t *testing.T, old, new string) string {
	t.Helper()
	ch, err := challenges.Load("orders-users")
	if err != nil {
		t.Fatal(err)
	}
	files, err := ch.ProgramFiles("reference", "go") // with a pinned go.mod, as nplus1 init writes it
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(files["main.go"]), old) {
		t.Fatalf("the reference has no %q to replace", old)
	}
	files["main.go"] = []byte(strings.Replace(string(files["main.go"]), old, new, 1))
	dir := t.TempDir()
	if _, err := challenges.WriteFiles(dir, files); err != nil {
		t.Fatal(err)
	}
	return dir
}
