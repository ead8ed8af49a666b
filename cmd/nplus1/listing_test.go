package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nplus1/nplus1/reports"
)

// The terminal's listing of the busiest request and the card's table of
// its statements agree: the control statements the terminal counts apart
// (BEGIN, SHOW, COMMIT) are named as the card names them, with their count.
func TestTerminalListingAgreesWithTheCard(t *testing.T) {
	needLocalPostgres(t)
	out := t.TempDir()
	code, stdout, stderr := run(t, "grade", "testdata/control", "--challenge", "orders-users", "--python", testPython(),
		"--postgres", "local", "--no-baseline", "--requests", "3", "--out", out)
	card, err := reports.ReadCard(filepath.Join(out, "result.json"))
	if code != exitFail || err != nil {
		t.Fatalf("exit %d, %v; want 1 and a card\nstdout:\n%s\nstderr:\n%s", code, err, stdout, stderr)
	}
	var control []string
	n := 0
	for _, s := range card.Shapes {
		if !s.Data {
			name := s.Normalized
			if s.Count > 1 {
				name += fmt.Sprintf(" ×%d", s.Count)
			}
			control = append(control, name)
			n += s.Count
		}
	}
	if n == 0 {
		t.Fatalf("the card lists no control statement (BEGIN, SHOW, COMMIT): %+v", card.Shapes)
	}
	word := "statements"
	if n == 1 {
		word = "statement"
	}
	want := fmt.Sprintf("(and %d control %s, counted apart: %s):", n, word, strings.Join(control, ", "))
	if !strings.Contains(stderr, want) {
		t.Errorf("the terminal's listing does not say %q, as the card's table does:\n%s", want, stderr)
	}
}
