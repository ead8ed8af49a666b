package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nplus1/nplus1/reports"
)

// defaultOut is where cards go without --out: each solution's under
// nplus1-results/<challenge>/<solution>/ (see solutionName), so grading
// another solution, or another challenge, never replaces a card.
const defaultOut = "nplus1-results"

// noChallenge stands for the challenge in the card directory of a solution
// whose challenge could not be told (a malformed nplus1.yaml).
const noChallenge = "unknown-challenge"

// solutionName is the name of a solution's card directory under the
// default --out: the directory as given, relative to the working
// directory, its separators made dashes (./solution is solution,
// challenges/orders-users/reference/go is
// challenges-orders-users-reference-go); the working directory itself, or
// a directory outside it, by its own name.
func solutionName(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = filepath.Clean(dir)
	}
	name := ""
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, abs); err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			name = strings.Join(strings.FieldsFunc(filepath.ToSlash(rel), func(r rune) bool { return r == '/' || r == ':' }), "-")
		}
	}
	if name == "" {
		name = filepath.Base(abs)
	}
	if name == "" || name == "." || name == string(filepath.Separator) {
		name = "solution"
	}
	return name
}

// defaultCardDir is the card directory of a solution graded against
// challenge under the default --out.
func defaultCardDir(challenge, solution string) string {
	if challenge == "" {
		challenge = noChallenge
	}
	return filepath.Join(defaultOut, challenge, solutionName(solution))
}

// isUsageCard reports whether c is the card of a grade that never began
// because the input was wrong (see GradeOptions.writeUsageCard): an error
// with no check and no Postgres provider. Every grade that began names its
// provider; a solution set up wrong is a fail.
func isUsageCard(c *reports.Card) bool {
	return c.Verdict == reports.Error && c.Environment.Provider == "" && len(c.Checks) == 0
}

// writeUsageCard writes the card of a grade that could not begin for bad
// input (a missing directory, a bad flag value) to dir, an --out given,
// so CI finds a card whatever happened; but never over the card of a grade
// (bad input replaces only the card of earlier bad input), and never into
// the history. Without --out it writes none: the terminal says what was
// wrong, and there is nothing to keep.
func (o *GradeOptions) writeUsageCard(dir string, card *reports.Card) {
	if o.Out == "" {
		return
	}
	if old, err := reports.ReadCard(filepath.Join(dir, "result.json")); err == nil && !isUsageCard(old) {
		fmt.Fprintf(o.IO.ErrOut, "nplus1: no card written for this bad input: %s holds the card of an earlier grade (%s, %s), which is kept\n",
			dir, old.Verdict, old.GradedAt.UTC().Format("2006-01-02 15:04 UTC"))
		return
	}
	_ = card.Write(dir)
}

// cardNote is what the terminal says after the card's path: where the
// latest pass of the solution is kept, when this grade did not pass.
func cardNote(card *reports.Card, dir string) string {
	if card.Verdict == reports.Pass {
		return ""
	}
	if p := reports.LatestPass(dir); p != "" {
		return fmt.Sprintf("an earlier pass is kept: %s", filepath.Join(p, "result.md"))
	}
	return ""
}
