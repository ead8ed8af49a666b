package grader

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"strings"

	"github.com/nplus1/nplus1/challenges"
	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/reports"
)

// ProgramResult is how one of a challenge's own programs graded.
type ProgramResult struct {
	Program string // "reference/go", "starter/python", ...
	Card    *reports.Card
	OK      bool   // a reference passed; a starter failed on statements
	Message string // what was expected and what came
}

// Validate grades a challenge's references (each must pass) and starters
// (each must fail on the statements check, for its N+1) like a grader
// self-test, every program on the data of opts.Seed (one chosen at random
// when 0). Like a batch, the programs share one server of opts.Provider's
// and copies of one seeded database. opts carries the provider and the
// like; Solution, Challenge and ChallengeDir are set here. It returns a
// result per program; the error is the machine's.
func Validate(ctx context.Context, ch *challenges.Challenge, dir string, opts Options) ([]ProgramResult, error) {
	if opts.Seed == 0 {
		opts.Seed = rand.Int64N(MaxSeed) + 1 // one for every program
	}
	shared, err := openBatch(ctx, opts.Provider, 1) // one program at a time
	if err != nil {
		return nil, err
	}
	defer shared.close(ctx)
	opts.Provider, opts.batch = postgres.NewURL(shared.admin), shared
	// The SQL first, once: a mistake there would fail every program alike.
	if _, err := shared.templateFor(ctx, ch, opts.Seed, ch.Size); err != nil {
		var se *seedError
		if errors.As(err, &se) {
			return []ProgramResult{{Program: "schema, seed, expected", Message: err.Error()}}, nil
		}
		return nil, err
	}
	var out []ProgramResult
	for _, kind := range []string{"reference", "starter"} {
		if len(ch.Languages(kind)) == 0 {
			out = append(out, ProgramResult{Program: kind, Message: fmt.Sprintf("the challenge has no %s: add %s/<language>/ (see CHALLENGES.md)", kind, kind)})
		}
		for _, lang := range ch.Languages(kind) {
			r, err := validateProgram(ctx, ch, dir, kind, lang, opts)
			if err != nil {
				return out, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

func validateProgram(ctx context.Context, ch *challenges.Challenge, dir, kind, lang string, opts Options) (ProgramResult, error) {
	r := ProgramResult{Program: path.Join(kind, lang)}
	tmp, err := os.MkdirTemp("", "nplus1-validate-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(tmp)
	files, err := ch.ProgramFiles(kind, lang)
	if err != nil {
		return r, err
	}
	if _, err := challenges.WriteFiles(tmp, files); err != nil {
		return r, err
	}
	opts.Solution, opts.ChallengeDir, opts.Challenge, opts.NoBaseline = tmp, dir, "", true
	if dir == "" {
		opts.Challenge = ch.ID
	}
	card, err := Grade(ctx, opts)
	if err != nil {
		return r, err
	}
	card.Solution.Path = r.Program
	r.Card = card
	switch {
	case card.Verdict == reports.Error:
		r.Message = "could not grade: " + card.Error
	case kind == "reference" && card.Verdict == reports.Pass:
		r.OK, r.Message = true, fmt.Sprintf("passes with %s per request", reports.Count(card.Metrics.Statements, "data statement"))
	case kind == "reference":
		r.Message = "the reference must pass, but it failed: " + failedChecks(card)
	default:
		st := card.Check("statements")
		if st != nil && st.Status == reports.Fail && len(card.Findings) > 0 {
			r.OK, r.Message = true, fmt.Sprintf("fails on statements as it should (%s)", card.Findings[0].Message)
		} else {
			r.Message = "the starter must fail on statements with an N+1 finding; got: " + failedChecks(card)
		}
	}
	return r, nil
}

// failedChecks lists the card's failed and errored checks.
func failedChecks(card *reports.Card) string {
	var failed []string
	for _, c := range card.Checks {
		if c.Status == reports.Fail || c.Status == reports.Error {
			failed = append(failed, fmt.Sprintf("%s %s: %s", c.Name, c.Status, c.Message))
		}
	}
	if len(failed) == 0 {
		return "every check passed"
	}
	return strings.Join(failed, "; ")
}
