package grader_test

import (
	"strings"
	"testing"

	"github.com/nplus1/nplus1/reports"
)

// What the card shows is what the solution ran: a lookup ten keys at a
// time is shown with its IN list and named a chunked batch, not an N+1 per
// row; a wrong answer's badge says so.
func TestCardShowsWhatRan(t *testing.T) {
	t.Run("chunked", func(t *testing.T) {
		card := gradeDir(t, "testdata/chunked", nil)
		if c := check(t, card, "correct"); c.Status != reports.Pass {
			t.Fatalf("correct = %+v, want pass", c)
		}
		var shown bool
		for _, s := range card.Shapes {
			shown = shown || (s.Count == 10 && strings.Contains(s.Normalized, "from users where id in (...10)"))
		}
		if !shown {
			t.Errorf("shapes = %+v, want the users lookup ×10 shown with its IN list of 10", card.Shapes)
		}
		var msg string
		for _, f := range card.Findings {
			if f.Kind == "n+1" {
				msg = f.Message
			}
		}
		want := "`select id, name, email from users where id in (...10)` ran 10 times in one request, 10 keys each, for the 100 rows of `select id, user_id, product from orders order by id`: a chunked batch"
		if !strings.HasPrefix(msg, want) || strings.Contains(msg, "once for each") {
			t.Errorf("finding = %q, want it to begin %q", msg, want)
		}
		if got := reports.BadgeMessage(card); got != "fail · 11 queries" {
			t.Errorf("badge = %q, want fail · 11 queries", got)
		}
	})
	t.Run("wrong", func(t *testing.T) {
		card := gradeDir(t, "testdata/missing", nil)
		if card.Verdict != reports.Fail || card.Metrics == nil || card.Metrics.Statements != 1 {
			t.Fatalf("verdict %s, metrics %+v: want a fail that made 1 statement", card.Verdict, card.Metrics)
		}
		if got := reports.BadgeMessage(card); got != "fail · wrong answer" || !strings.Contains(string(reports.ShieldsJSON(card)), `"color": "red"`) {
			t.Errorf("badge = %q (%s), want a red fail · wrong answer", got, reports.ShieldsJSON(card))
		}
	})
}
