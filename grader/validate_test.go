package grader_test

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nplus1/nplus1/challenges"
	"github.com/nplus1/nplus1/grader"
	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/internal/leaktest"
)

// Every bundled challenge validates: references pass, starters fail on
// statements with an N+1 finding, in Go, in Python and in every ORM stack.
func TestCatalogValidates(t *testing.T) {
	all, err := challenges.List()
	if err != nil {
		t.Fatal(err)
	}
	// Two challenges at a time (each on a server of its own, its programs
	// one after another): 90 programs, which take about four and a half
	// minutes so (the 20 Java ones a javac and a JVM start each, some 2 s
	// more than a Go program's). Nothing may be left once all are done.
	tmp := leaktest.PrivateTmp(t)
	t.Cleanup(func() { leaktest.AssertNothingLeft(t, tmp) })
	for _, ch := range all {
		t.Run(ch.ID, func(t *testing.T) {
			t.Parallel()
			results, err := grader.Validate(context.Background(), ch, "", grader.Options{
				Provider: postgres.NewLocal(postgres.LocalOptions{}), Python: python(), Requests: 3, Version: "test", Seed: 4242,
			})
			if err != nil {
				t.Fatal(err)
			}
			ran := map[string]bool{}
			for _, r := range results {
				ran[r.Program] = true
				if !r.OK {
					t.Errorf("%s: %s", r.Program, r.Message)
				}
				// The cards of the hand-written Go and Python programs are
				// pinned as golden files (-update rewrites them).
				if lang := path.Base(r.Program); r.Card != nil && (lang == "go" || lang == "python") {
					t.Run(strings.ReplaceAll(r.Program, "/", "-"), func(t *testing.T) { goldenCard(t, goldenName(t), r.Card) })
				}
				// An ORM starter's N+1 finding names the brief's fix in its stack.
				if name, fix := ch.StackFix(path.Base(r.Program)); r.Card != nil && fix != "" && strings.HasPrefix(r.Program, "starter/") {
					if len(r.Card.Findings) == 0 || !strings.HasSuffix(r.Card.Findings[0].Message, "; the brief's fix for "+name+": "+fix) {
						t.Errorf("%s: the N+1 finding does not name the brief's fix for %s (%s): %+v", r.Program, name, fix, r.Card.Findings)
					}
				}
			}
			// Every stack's programs ran: none is skipped, and one whose
			// packages are missing failed above.
			for _, stack := range []string{"go", "python", "sqlalchemy", "django", "gorm", "node", "rails", "java", "hibernate"} {
				for _, kind := range []string{"reference", "starter"} {
					if !ran[kind+"/"+stack] {
						t.Errorf("%s/%s was not validated", kind, stack)
					}
				}
			}
		})
	}
}

// A challenge whose SQL is wrong is told once, at the file and line, before
// any program runs; one without a starter does not validate.
func TestValidateBrokenChallenges(t *testing.T) {
	tests := []struct {
		name, file, find, replace, want string
	}{
		{"schema", "schema.sql", "CREATE TABLE", "CREATE TABEL", "schema.sql:"},
		{"expected rows", "expected.sql", ";", " UNION ALL SELECT '[]'::json;", "returns 2 rows; it must return one row of one json column"},
		{"expected no row", "expected.sql", ";", " LIMIT 0;", "returns 0 rows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "orders-users")
			if err := os.CopyFS(dir, os.DirFS("../challenges/orders-users")); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, tt.file)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			i := strings.LastIndex(string(b), tt.find)
			if tt.find == "CREATE TABLE" {
				i = strings.Index(string(b), tt.find)
			}
			if i < 0 {
				t.Fatalf("%s has no %q", tt.file, tt.find)
			}
			if tt.want == "schema.sql:" { // the line of the mistake
				tt.want = fmt.Sprintf("schema.sql:%d: ERROR: syntax error", strings.Count(string(b[:i]), "\n")+1)
			}
			broken := string(b[:i]) + tt.replace + string(b[i+len(tt.find):])
			if err := os.WriteFile(path, []byte(broken), 0o644); err != nil {
				t.Fatal(err)
			}
			results := validateDir(t, dir)
			if len(results) != 1 || results[0].OK || !strings.Contains(results[0].Message, tt.want) {
				t.Errorf("results %+v, want one failure with %q", results, tt.want)
			}
		})
	}
	t.Run("no starter", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "orders-users")
		if err := os.CopyFS(dir, os.DirFS("../challenges/orders-users")); err != nil {
			t.Fatal(err)
		}
		if err := os.RemoveAll(filepath.Join(dir, "starter")); err != nil {
			t.Fatal(err)
		}
		results := validateDir(t, dir)
		found := false
		for _, r := range results {
			if r.Program == "starter" && !r.OK && strings.Contains(r.Message, "has no starter") {
				found = true
			}
		}
		if !found {
			t.Errorf("results %+v, want one saying the challenge has no starter", results)
		}
	})
}

// validateDir validates the challenge in dir, as challenges validate does.
func validateDir(t *testing.T, dir string) []grader.ProgramResult {
	t.Helper()
	ch, err := challenges.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	results, err := grader.Validate(context.Background(), ch, dir, grader.Options{
		Provider: postgres.NewLocal(postgres.LocalOptions{}), Python: python(), Requests: 3, Version: "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	return results
}
