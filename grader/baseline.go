package grader

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nplus1/nplus1/challenges"
	"github.com/nplus1/nplus1/grader/check"
	"github.com/nplus1/nplus1/grader/runner"
	"github.com/nplus1/nplus1/internal/filelock"
	"github.com/nplus1/nplus1/reports"
)

// baselineDirPrefix starts the name of the temp dir a starter is written to.
const baselineDirPrefix = "nplus1-baseline-"

// baselineBuild is the challenge's starter, built while the solution is
// measured.
type baselineBuild struct {
	lang  string
	dir   string
	lock  *os.File // dir's owner lock (filelock.LockDir), or nil
	built *runner.Built
	err   error
	done  chan struct{}
}

// buildBaseline writes the starter to a temp dir and builds it in the
// background; close must be called once it is no longer needed.
func (g *grade) buildBaseline(ctx context.Context) *baselineBuild {
	b := &baselineBuild{lang: g.starterLanguage(), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		filelock.RemoveOrphans(os.TempDir(), baselineDirPrefix+"*") // of graders that were killed
		b.dir, b.err = os.MkdirTemp("", baselineDirPrefix)
		if b.err != nil {
			return
		}
		if b.lock, b.err = filelock.LockDir(b.dir); b.err != nil {
			return
		}
		files, err := g.ch.ProgramFiles("starter", b.lang)
		if err == nil {
			_, err = challenges.WriteFiles(b.dir, files)
		}
		var sol *runner.Solution
		if err == nil {
			sol, err = runner.Detect(b.dir)
		}
		var key string
		if err == nil {
			key, err = digestDir(b.dir)
		}
		if err == nil {
			b.built, err = sol.Build(ctx, runner.BuildOptions{Python: g.opts.Python, Cache: g.opts.BuildCache, CacheKey: key, Timeout: g.opts.BuildTimeout, Isolation: g.iso})
		}
		b.err = err
	}()
	return b
}

// starterLanguage is the language of the starter the baseline measures:
// the solution's stack, when the challenge has a starter in it, else the
// language it is written in (Python for a Django solution), else Go.
func (g *grade) starterLanguage() string {
	for _, lang := range []string{g.sol.Language, runner.BaseLanguage(g.sol.Language)} {
		if slices.Contains(g.ch.Languages("starter"), lang) {
			return lang
		}
	}
	return runner.Go
}

// baselineKey names the conditions a baseline is measured under: one
// measurement serves a batch's grades that share them.
func (g *grade) baselineKey() string {
	return fmt.Sprintf("%s\x00%s\x00%s\x00%d\x00%d\x00%s\x00%d", g.ch.Source, g.ch.ID, g.starterLanguage(), g.opts.Seed, g.size, g.rtt, g.timed)
}

func (b *baselineBuild) close() {
	<-b.done
	if b.built != nil {
		b.built.Close()
	}
	if b.dir != "" {
		os.RemoveAll(b.dir)
	}
	if b.lock != nil {
		b.lock.Close()
	}
}

// baseline measures the challenge's broken starter under the same
// conditions, for the card's before → after. It is best effort: when the
// starter cannot be measured there is no baseline (nil).
func (g *grade) baseline(ctx context.Context, b *baselineBuild, upstream *pgconn.Config) *reports.Baseline {
	<-b.done
	if b.err != nil {
		g.progress("baseline: skipped: %v", b.err)
		return nil
	}
	g.progress("baseline: the %s starter of %s", b.lang, g.ch.ID)
	t, f := g.start(ctx, b.built, upstream, nil)
	if f != nil {
		g.progress("baseline: skipped: the starter did not start: %s", f.Message)
		return nil
	}
	defer t.stop()
	// A starter pays a round trip per row, about RTT × rows a request: two
	// timed requests (no warm-up: its connection is already open) show that
	// without doubling the grade's time. The card says how many were timed.
	warm, timed := 0, min(2, g.timed)
	reqs, f := g.send(ctx, t, warm+timed, "baseline", nil)
	if f != nil {
		g.progress("baseline: skipped: %s", f.Message)
		return nil
	}
	m := check.Metrics(reqs, warm)
	busiest := check.Busiest(reqs)
	m.Timeline = timeline(busiest)
	g.progress("baseline: %s, %s, p95 %.1f ms", reports.Count(m.Statements, "data statement"), reports.Count(m.RoundTrips, "round trip"), m.Latency.P95)
	return &reports.Baseline{Language: b.lang, Metrics: *m, Findings: check.NPlusOne(busiest.Statements)}
}
