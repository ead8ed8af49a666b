package grader_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nplus1/nplus1/challenges"
	"github.com/nplus1/nplus1/grader"
	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/internal/leaktest"
	"github.com/nplus1/nplus1/internal/pgtest"
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

func TestStartersFailWithTheNPlusOne(t *testing.T) {
	for _, lang := range []string{"go", "python"} {
		t.Run(lang, func(t *testing.T) {
			card := gradeDir(t, "../challenges/orders-users/starter/"+lang, nil)
			if card.Verdict != reports.Fail {
				t.Fatalf("verdict = %s (%s), want fail; checks %+v", card.Verdict, card.Error, card.Checks)
			}
			if got := card.Metrics.Statements; got != 101 {
				t.Errorf("metrics.statements = %d, want 101", got)
			}
			if c := check(t, card, "statements"); c.Status != reports.Fail {
				t.Errorf("statements check = %+v, want fail", c)
			}
			for _, name := range []string{"correct", "fresh", "read-only"} {
				if c := check(t, card, name); c.Status != reports.Pass {
					t.Errorf("%s check = %+v, want pass: the starter is slow, not wrong", name, c)
				}
			}
			if c := check(t, card, "scaling"); c.Status != reports.Fail || card.Metrics.Scaling[0].Statements != 11 {
				t.Errorf("scaling = %+v %+v, want fail with 11 statements at 10 rows", c, card.Metrics.Scaling)
			}
			var nplus1 []reports.Finding
			for _, f := range card.Findings {
				if f.Kind == "n+1" {
					nplus1 = append(nplus1, f)
				}
			}
			if len(nplus1) != 1 {
				t.Fatalf("findings = %+v, want one N+1", card.Findings)
			}
			f := nplus1[0]
			if f.Count != 100 || !strings.Contains(f.Normalized, "from users where id = ?") || !strings.Contains(f.Source, "from orders") {
				t.Errorf("finding = %+v, want the per-order user query ×100 fed by the orders query", f)
			}
			if lang == "python" {
				// The starter keeps one autocommit connection, as the
				// reference does: a fix of it pays no connect and no BEGIN
				// per request. (psycopg2's implicit BEGIN, counted apart,
				// is tested with the proxy's fidelity tests.)
				if card.Metrics.ControlStatements != 0 {
					t.Errorf("control statements = %d, want none from the starter's autocommit connection", card.Metrics.ControlStatements)
				}
			}
		})
	}
}

func TestReferencesPass(t *testing.T) {
	for _, lang := range []string{"go", "python"} {
		t.Run(lang, func(t *testing.T) {
			card := gradeDir(t, "../challenges/orders-users/reference/"+lang, nil)
			if card.Verdict != reports.Pass {
				t.Fatalf("verdict = %s (%s), want pass; checks %+v; output %s", card.Verdict, card.Error, card.Checks, card.Output)
			}
			if s := card.Metrics.Statements; s < 1 || s > 2 {
				t.Errorf("metrics.statements = %d, want 1 or 2", s)
			}
			if len(card.Findings) != 0 {
				t.Errorf("findings = %+v, want none", card.Findings)
			}
			for _, name := range []string{"correct", "statements", "latency", "fresh", "scaling", "read-only"} {
				if c := check(t, card, name); c.Status != reports.Pass {
					t.Errorf("%s = %+v, want pass", name, c)
				}
			}
			if card.Environment.PostgresVersion == "" || card.Environment.Seed == 0 || !strings.HasPrefix(card.Solution.Digest, "sha256:") {
				t.Errorf("card environment/solution incomplete: %+v %+v", card.Environment, card.Solution)
			}
		})
	}
}

func TestWrongAnswersFailCorrect(t *testing.T) {
	tests := []struct{ dir, want string }{
		{"testdata/wrongshape", `missing field "user"`},
		{"testdata/missing", "request 1: orders 51, 52, 53 and 47 more are missing from the answer (50 of 100 returned): the answer stops after the first 50 of them: a LIMIT?"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.dir), func(t *testing.T) {
			card := gradeDir(t, tt.dir, nil)
			c := check(t, card, "correct")
			if card.Verdict != reports.Fail || c.Status != reports.Fail || !strings.Contains(c.Message, tt.want) {
				t.Errorf("verdict %s, correct = %+v; want fail with %q", card.Verdict, c, tt.want)
			}
			// Wrong answers earn nothing else: what passed is not judged,
			// and fresh does not blame a cache.
			for _, name := range []string{"statements", "latency", "scaling", "read-only"} {
				if c := check(t, card, name); c.Status != reports.Skipped || !strings.HasPrefix(c.Message, "not judged, as the answers were wrong: ") {
					t.Errorf("%s = %+v, want skipped", name, c)
				}
			}
			if c := check(t, card, "fresh"); c.Status != reports.Skipped || strings.Contains(c.Message, "cached") {
				t.Errorf("fresh = %+v, want skipped without blaming a cache", c)
			}
		})
	}
}

func TestCrashAtStartIsTheLearnersFailure(t *testing.T) {
	card := gradeDir(t, "testdata/crash", nil)
	c := check(t, card, "start")
	if card.Verdict != reports.Fail || c.Status != reports.Fail {
		t.Fatalf("verdict %s, start = %+v; want fail", card.Verdict, c)
	}
	if !strings.Contains(card.Output, "boom: cannot start") {
		t.Errorf("card output = %q, want the program's own message", card.Output)
	}
}

func TestSameSeedSameData(t *testing.T) {
	grade := func(seed int64) *reports.Card {
		return gradeDir(t, "../challenges/orders-users/reference/go", func(o *grader.Options) { o.Seed = seed })
	}
	a, b, other := grade(4242), grade(4242), grade(4243)
	for _, c := range []*reports.Card{a, b, other} {
		if c.Verdict != reports.Pass {
			t.Fatalf("verdict %s (%s), want pass: %+v", c.Verdict, c.Error, c.Checks)
		}
	}
	if a.Environment.Seed != 4242 || b.Environment.Seed != 4242 {
		t.Fatalf("seeds = %d, %d, want 4242", a.Environment.Seed, b.Environment.Seed)
	}
	if a.Environment.DataDigest == "" || a.Environment.DataDigest != b.Environment.DataDigest {
		t.Errorf("same seed, different data: %q vs %q", a.Environment.DataDigest, b.Environment.DataDigest)
	}
	if other.Environment.DataDigest == a.Environment.DataDigest {
		t.Errorf("seeds 4242 and 4243 made the same data")
	}
	if a.Metrics.Statements != b.Metrics.Statements || a.Verdict != b.Verdict || a.Shapes[0].Rows != b.Shapes[0].Rows {
		t.Errorf("same seed, different counts: %+v vs %+v", a.Metrics, b.Metrics)
	}
}

func TestUsageErrors(t *testing.T) {
	_, err := grader.Grade(context.Background(), grader.Options{Solution: "testdata/nope", Challenge: "orders-users", Provider: postgres.NewLocal(postgres.LocalOptions{})})
	var ue *grader.UsageError
	if !errors.As(err, &ue) {
		t.Errorf("missing dir: err = %v, want a UsageError", err)
	}
	_, err = grader.Grade(context.Background(), grader.Options{Solution: "testdata/crash", Challenge: "no-such", Provider: postgres.NewLocal(postgres.LocalOptions{})})
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "orders-users") {
		t.Errorf("unknown challenge: err = %v, want a UsageError listing the known ones", err)
	}
}

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

func TestBaselineIsMeasuredInTheSameRun(t *testing.T) {
	card := gradeDir(t, "../challenges/orders-users/reference/go", func(o *grader.Options) { o.NoBaseline = false })
	b := card.Baseline
	if b == nil {
		t.Fatal("no baseline on the card")
	}
	if b.Language != "go" || b.Metrics.Statements != 101 || b.Metrics.RoundTrips < 101 {
		t.Errorf("baseline = %+v, want the Go starter's 101 statements", b)
	}
	if b.Metrics.Latency.P95 <= card.Metrics.Latency.P95 {
		t.Errorf("baseline p95 %.1f ms not above the solution's %.1f ms", b.Metrics.Latency.P95, card.Metrics.Latency.P95)
	}
	// The before → after picture is drawn from the measured statements: a
	// staircase of 101 round trips, then one statement.
	before, after := b.Metrics.Timeline, card.Metrics.Timeline
	if before == nil || after == nil || len(before.Statements) != 101 || len(after.Statements) != 1 {
		t.Fatalf("timelines before %+v after %+v, want 101 and 1 statements", before, after)
	}
	for i, s := range before.Statements {
		if s.StartMS < 0 || s.StartMS+s.DurationMS > before.TotalMS+1 || (i > 0 && s.StartMS < before.Statements[i-1].StartMS) {
			t.Fatalf("statement %d at %+v is not within its request of %.1f ms, in order", i+1, s, before.TotalMS)
		}
	}
	if last := before.Statements[100]; last.StartMS < 100*card.Environment.RTTMS {
		t.Errorf("the starter's last statement started at %.1f ms, want after 100 round trips of %.0f ms", last.StartMS, card.Environment.RTTMS)
	}
	if !reports.HasTimeline(card) || !strings.Contains(reports.Markdown(card), "](timeline.svg)") {
		t.Error("result.md does not show the timeline")
	}
}

// Every bundled challenge validates: references pass, starters fail on
// statements with an N+1 finding, in Go, in Python and in every ORM stack.
func TestCatalogValidates(t *testing.T) {
	all, err := challenges.List()
	if err != nil {
		t.Fatal(err)
	}
	// Two challenges at a time (each on a server of its own, its programs
	// one after another): 70 programs, which take four and a half minutes
	// one at a time. Nothing may be left once all are done.
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
			}
			// Every stack's programs ran: none is skipped, and one whose
			// packages are missing failed above.
			for _, stack := range []string{"go", "python", "sqlalchemy", "django", "gorm", "node", "rails"} {
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
