package grader_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/nplus1/nplus1/internal/pgtest"
	"github.com/nplus1/nplus1/reports"
)

// ActiveRecord reads the system catalogs for each model it first uses
// (columns, primary key): on the card of the Rails reference those reads
// are driver overhead, listed apart in the JSON and in result.md and never
// counted against the limit, while the card still passes.
func TestDriverOverheadOnTheCard(t *testing.T) {
	_, err := exec.Command("ruby", "-e", `require "active_record"; require "pg"; require "webrick"`).CombinedOutput()
	pgtest.Need(t, "ruby with ActiveRecord, pg and WEBrick", err)
	card := gradeDir(t, "../challenges/orders-users/reference/rails", nil)
	if card.Verdict != reports.Pass {
		t.Fatalf("verdict %s (%s), want pass; checks %+v", card.Verdict, card.Error, card.Checks)
	}
	if len(card.Overhead) == 0 || card.Metrics.CatalogStatements == 0 {
		t.Fatalf("overhead %+v, %d catalog statements: want ActiveRecord's catalog reads listed", card.Overhead, card.Metrics.CatalogStatements)
	}
	total := 0
	for _, s := range card.Overhead {
		total += s.Count
		if !s.Catalog || s.Data || s.NPlusOne || !strings.Contains(s.Normalized, "pg_") {
			t.Errorf("overhead shape %+v: want a catalog read, neither data nor N+1", s)
		}
	}
	if total < card.Metrics.CatalogStatements {
		t.Errorf("overhead lists %d statements, fewer than the %d of one request", total, card.Metrics.CatalogStatements)
	}
	if card.Metrics.Statements > card.Challenge.MaxStatements {
		t.Errorf("%d data statements counted, over the limit %d: the overhead was counted", card.Metrics.Statements, card.Challenge.MaxStatements)
	}
	if md := reports.Markdown(card); !strings.Contains(md, "Driver overhead, listed apart and not counted against the limit: "+reports.Count(total, "statement")+" that read only the system catalogs") {
		t.Errorf("result.md lacks the driver overhead line:\n%s", md)
	}
}
