package grader_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nplus1/nplus1/grader"
	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/internal/pgtest"
	"github.com/nplus1/nplus1/reports"
)

// Each cheat fails with its own check.
func TestCheatsFailTheirOwnCheck(t *testing.T) {
	tests := []struct {
		dir, check, want string
	}{
		{"testdata/hardcoded", "correct", "orders 2, 3, 4 and 96 more are missing from the answer (1 of 100 returned)"},
		{"testdata/memoized", "fresh", "the response stayed the same (is it cached?)"},
		{"testdata/growing", "scaling", "2 at 100 rows, 4 at 1000 rows"},
		{"testdata/writer", "read-only", "25006"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.dir), func(t *testing.T) {
			card := gradeDir(t, tt.dir, nil)
			c := check(t, card, tt.check)
			if card.Verdict != reports.Fail || c.Status != reports.Fail || !strings.Contains(c.Message, tt.want) {
				t.Errorf("verdict %s, %s = %+v; want fail with %q\nall checks: %+v", card.Verdict, tt.check, c, tt.want, card.Checks)
			}
			if tt.dir != "testdata/memoized" {
				return
			}
			// Counts and timings of a cache earn nothing; nor does a
			// scaling measured on the wrong answers it gave at other sizes.
			if c := check(t, card, "scaling"); c.Status != reports.Skipped || !strings.HasPrefix(c.Message, "not judged, as the answers were wrong at some sizes") {
				t.Errorf("scaling = %+v, want skipped: the answers at other sizes were wrong", c)
			}
			for _, name := range []string{"statements", "latency", "read-only"} {
				if c := check(t, card, name); c.Status != reports.Skipped || !strings.HasPrefix(c.Message, "not judged, as the answers came from a cache (see fresh)") {
					t.Errorf("%s = %+v, want skipped for a cache", name, c)
				}
			}
		})
	}
}

// The requests of fresh and scaling count against the statement limit like
// the timed ones: a solution that pads only after the data changed fails
// statements, and scaling fails over the limit though the count does not
// grow.
func TestUntimedRequestsCount(t *testing.T) {
	card := gradeDir(t, "testdata/padder", nil)
	if card.Verdict != reports.Fail {
		t.Errorf("verdict %s (%s), want fail; checks %+v", card.Verdict, card.Error, card.Checks)
	}
	tests := []struct{ check, status, want string }{
		{"correct", reports.Pass, "match"},
		{"fresh", reports.Pass, "followed a change of the data"},
		{"statements", reports.Fail, "1201 data statements in one request after the grader changed the data; the limit is 2"},
		{"scaling", reports.Fail, "the statement count is over the limit of 2: 1201 at 10 rows, 1 at 100 rows, 1201 at 1000 rows"},
	}
	for _, tt := range tests {
		if c := check(t, card, tt.check); c.Status != tt.status || !strings.Contains(c.Message, tt.want) {
			t.Errorf("%s = %+v, want %s with %q", tt.check, c, tt.status, tt.want)
		}
	}
	seen := map[string]bool{}
	for _, c := range card.Checks {
		if seen[c.Name] {
			t.Errorf("check %s is on the card twice: %+v", c.Name, card.Checks)
		}
		seen[c.Name] = true
	}
}

// Right answers with no data statement through the proxy were read some
// other way: the data is random for each grade. The fixture reaches the
// test's own server around the proxy (a url provider, its credentials left
// beside the solution): unsandboxed, as a sandbox leaves it no way there
// (TestNoBypass), so this is the last line of a grade with sandbox: none.
func TestAnswersReadAroundTheProxyFail(t *testing.T) {
	server := pgtest.Start(t)
	tests := []struct {
		name, want string
		ping       bool
	}{
		{"never through the proxy", "the answers to the timed requests were right with no data statement through the grader's proxy: the data is random for each grade, so the database was reached some other way (not through the grader's proxy)", false},
		{"only at start", "the answers after the grader changed the data were right with no data statement through the grader's proxy", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS("testdata/elsewhere")); err != nil {
				t.Fatal(err)
			}
			files := map[string]string{"backdoor.txt": server.ConnectionString()}
			if tt.ping {
				files["ping"] = ""
			}
			for name, text := range files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			card := gradeDir(t, dir, func(o *grader.Options) {
				o.Provider = postgres.NewURL(server.ConnectionString())
				o.Sandbox = grader.SandboxOff
			})
			c := check(t, card, "statements")
			if card.Verdict != reports.Fail || c.Status != reports.Fail || !strings.Contains(c.Message, tt.want) {
				t.Errorf("verdict %s (%s), statements = %+v; want fail with %q\nchecks: %+v\noutput: %s", card.Verdict, card.Error, c, tt.want, card.Checks, card.Output)
			}
			if c := check(t, card, "correct"); c.Status != reports.Pass {
				t.Errorf("correct = %+v, want pass: the answers were right", c)
			}
		})
	}
}

// A fix right at 100 orders only (a LIMIT 100) fails correct at the larger
// size, and its scaling is not judged; what the timed requests measured on
// right answers stands.
func TestScalingIsNotJudgedOnWrongAnswers(t *testing.T) {
	card := gradeDir(t, referenceWith(t, "ORDER BY o.id`", "ORDER BY o.id LIMIT 100`"), nil)
	if c := check(t, card, "correct"); c.Status != reports.Fail || !strings.Contains(c.Message, "at 1000 rows: request 1: orders 101, 102, 103 and 897 more are missing from the answer (100 of 1000 returned): the answer stops after the first 100 of them: a LIMIT?") {
		t.Errorf("correct = %+v, want fail at 1000 rows", c)
	}
	if c := check(t, card, "scaling"); c.Status != reports.Skipped || !strings.HasPrefix(c.Message, "not judged, as the answers were wrong at some sizes") {
		t.Errorf("scaling = %+v, want skipped", c)
	}
	for _, name := range []string{"statements", "latency", "read-only"} {
		if c := check(t, card, name); c.Status != reports.Pass {
			t.Errorf("%s = %+v, want pass: the timed answers were right", name, c)
		}
	}
}

// A fix with one mistake, the ORDER BY dropped, is told so: the rows are
// all there, in another order, and the card names the first misplaced one
// and the order the expected answer has, on one line.
func TestMissingOrderByIsExplained(t *testing.T) {
	card := gradeDir(t, referenceWith(t, "\n\t\tORDER BY o.id`", "`"), nil)
	c := check(t, card, "correct")
	want := regexp.MustCompile(`^request 1: the orders are in a different order: the \d+(st|nd|rd|th) in the answer is order \d+, where order \d+ is expected: a missing ORDER BY id\?$`)
	if card.Verdict != reports.Fail || c.Status != reports.Fail || !want.MatchString(c.Message) {
		t.Errorf("verdict %s, correct = %+v; want fail matching %s", card.Verdict, c, want)
	}
	t.Logf("correct: %s", c.Message)
}

// Right data under the wrong Content-Type fails correct, and only correct:
// the other checks measured right answers.
func TestContentTypeFailsCorrectOnly(t *testing.T) {
	card := gradeDir(t, referenceWith(t, `w.Header().Set("Content-Type", "application/json")`, ""), nil)
	if c := check(t, card, "correct"); c.Status != reports.Fail || !strings.Contains(c.Message, `the body is right, but its Content-Type is "text/plain; charset=utf-8"; want application/json`) {
		t.Errorf("correct = %+v, want fail on the header", c)
	}
	for _, name := range []string{"statements", "latency", "fresh", "scaling", "read-only"} {
		if c := check(t, card, name); c.Status != reports.Pass {
			t.Errorf("%s = %+v, want pass", name, c)
		}
	}
}

// A SQL error behind a 500 is on the card: what the database said, and the
// program's own log.
func TestRefusedStatementsAreNamed(t *testing.T) {
	card := gradeDir(t, referenceWith(t, "u.name, u.email\n", "u.name, u.emial\n"), nil)
	c := check(t, card, "correct")
	want := "the database refused `SELECT o.id, o.product, u.id, u.name, u.emial FROM orders AS o JOIN users AS u ON u.id = o.user_id ORDER BY o.id`: 42703: column u.emial does not exist"
	if c.Status != reports.Fail || !strings.Contains(c.Message, want) {
		t.Errorf("correct = %+v, want fail naming %q", c, want)
	}
	if !strings.Contains(card.Output, "list orders:") {
		t.Errorf("card output = %q, want the program's log", card.Output)
	}
}

// A solution that hunts for the real server around the proxy reaches
// nothing, and still passes through the proxy.
func TestNoBypass(t *testing.T) {
	var out lockedBuffer
	card := gradeDir(t, "testdata/bypass", func(o *grader.Options) {
		o.ReadyTimeout = 2 * time.Minute
		o.SolutionOutput = &out
	})
	_, quoted, ok := strings.Cut(out.String(), "BYPASS-REPORT: ")
	quoted, _, _ = strings.Cut(quoted, "\n")
	b, err := strconv.Unquote(quoted)
	if !ok || err != nil {
		t.Fatalf("the fixture printed no report (card %+v, output %s)", card.Checks, out.String())
	}
	if !strings.HasSuffix(b, "none\n") {
		t.Errorf("the solution reached the database around the proxy:\n%s", b)
	}
	t.Logf("bypass report: %s", b)
	if card.Verdict != reports.Pass {
		t.Errorf("verdict %s %+v, want pass", card.Verdict, card.Checks)
	}
}
