package grader_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nplus1/nplus1/grader"
	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/reports"
)

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
