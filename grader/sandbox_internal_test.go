package grader

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/grader/sandbox"
	"github.com/nplus1/nplus1/reports"
)

// Where the system cannot isolate, --sandbox required is the grader's
// error before anything starts, and auto grades and says sandbox: none
// with the reason, in the card and its Markdown.
func TestNoSandboxHere(t *testing.T) {
	sandboxSupported = func() error {
		return fmt.Errorf("%w: user namespaces are disabled (a stand-in for this test)", sandbox.ErrUnsupported)
	}
	t.Cleanup(func() { sandboxSupported = sandbox.Supported })
	grade := func(mode string) *reports.Card {
		t.Helper()
		card, err := Grade(context.Background(), Options{
			Solution: filepath.Join("..", "challenges", "orders-users", "reference", "python"), Challenge: "orders-users",
			Provider: postgres.NewLocal(postgres.LocalOptions{}), Requests: 2, NoBaseline: true, Sandbox: mode,
			Python: "/usr/bin/python3",
		})
		if err != nil {
			t.Fatal(err)
		}
		return card
	}
	card := grade(SandboxRequired)
	if card.Verdict != reports.Error || !strings.Contains(card.Error, "sandbox required: this system cannot isolate a program: user namespaces are disabled") || len(card.Checks) != 0 {
		t.Errorf("required: verdict %s (%q), checks %+v; want an error naming why, before any check", card.Verdict, card.Error, card.Checks)
	}
	card = grade(SandboxAuto)
	want := "none (this system cannot isolate a program: user namespaces are disabled (a stand-in for this test))"
	if card.Verdict != reports.Pass || card.Environment.Sandbox != want {
		t.Errorf("auto: verdict %s (%q), sandbox %q; want pass with sandbox %q", card.Verdict, card.Error, card.Environment.Sandbox, want)
	}
	if md := reports.Markdown(card); !strings.Contains(md, "Sandbox: "+want+": the solution ran as the grader, unisolated") {
		t.Errorf("result.md does not say so:\n%s", md)
	}
	if !errors.Is(sandboxSupported(), sandbox.ErrUnsupported) {
		t.Fatal("the stand-in is not in place")
	}
}
