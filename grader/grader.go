// Package grader runs one grade: it starts Postgres, seeds the challenge's
// data, starts the solution behind the tracing proxy, sends the challenge's
// requests, and returns the result card. Subpackages hold each concern:
// postgres (providers), proxy (the wire tracer), runner (the solution
// process), check (judging what was measured).
package grader

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"time"

	"github.com/nplus1/nplus1/challenges"
	"github.com/nplus1/nplus1/grader/check"
	"github.com/nplus1/nplus1/grader/runner"
	"github.com/nplus1/nplus1/grader/sqlshape"
	"github.com/nplus1/nplus1/reports"
)

// Grade grades one solution. It returns a card whatever the outcome (a
// learner's failure is verdict "fail", a machine's is "error") and an error
// only for a *UsageError. Everything it started is stopped and removed
// before it returns.
func Grade(ctx context.Context, opts Options) (*reports.Card, error) {
	sqlshape.Warm() // compile the SQL parser while the solution builds and Postgres starts
	g, card, err := begin(opts)
	if g == nil {
		return card, err
	}
	return g.assemble(g.run(ctx)), nil
}

// begin sets up the grade of opts, without starting anything, or says why
// there is none: the card of a setup the learner got wrong (a malformed
// nplus1.yaml, nothing that says how to run the solution), or the error of
// bad input (a *UsageError).
func begin(opts Options) (*grade, *reports.Card, error) {
	g, err := newGrade(opts)
	if runner.IsLearnerFault(err) {
		card := BareCard(opts, reports.Fail, "")
		card.Checks = []reports.Check{{Name: "setup", Status: reports.Fail, Message: err.Error()}}
		return nil, card, nil
	}
	return g, nil, err
}

// BareCard is the card of a grade that could not begin: it names the tool,
// the solution and (when known) the challenge, with the given verdict and
// error message. The CLI writes one for bad input, so CI always finds a
// result.json.
func BareCard(opts Options, verdict, errMsg string) *reports.Card {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	return &reports.Card{
		SchemaVersion: reports.SchemaVersion,
		Tool:          reports.Tool{Name: "nplus1", Version: opts.Version},
		GradedAt:      now().UTC(),
		Challenge:     reports.Challenge{ID: opts.Challenge},
		Solution:      reports.Solution{Path: opts.Solution},
		Environment:   reports.Environment{OS: runtime.GOOS, Arch: runtime.GOARCH},
		Verdict:       verdict,
		Error:         errMsg,
	}
}

// grade is the state of one grade in progress.
type grade struct {
	db         *database // nil until Postgres is up
	phaseName  string    // the phase under way, for the card's timings
	phaseStart time.Time
	opts       Options
	ch         *challenges.Challenge
	sol        *runner.Solution
	began      time.Time
	solDigest  string       // the solution's files, as the card and the build cache name them
	sources    []sourceFile // its code, read once (readSources)
	rtt        time.Duration
	size       int
	timed      int
	warm       int
	// iso is how the solution is isolated; nil: it runs as the grader.
	iso *runner.Isolation
	// What the steps learn of the run, for the card's environment: how
	// the solution was isolated (isolate, then start adds the sandbox's
	// limits), the server's version, the seeded data's digest, and each
	// phase's wall time.
	sandbox, postgresVersion, dataDigest string
	phases                               []reports.Phase
	// readOnly holds the database's checksum from before the solution
	// started, so that what it writes while it starts is seen too.
	readOnly readOnlyCheck
	// solution is the started solution, nil before it starts; dbGone is
	// set once the database stopped answering (see databaseDown).
	solution *target
	dbGone   bool
	// before is the starter's measure, the card's baseline; nil when
	// there is none.
	before *reports.Baseline
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// phase ends the phase under way, recording its wall time on the card, and
// begins the named one.
func (g *grade) phase(name string) {
	g.endPhase()
	g.phaseName, g.phaseStart = name, time.Now()
}

func (g *grade) endPhase() {
	if g.phaseName == "" {
		return
	}
	secs := math.Round(time.Since(g.phaseStart).Seconds()*1000) / 1000
	g.phases = append(g.phases, reports.Phase{Name: g.phaseName, Seconds: secs})
	g.phaseName = ""
}

// progress writes one progress line.
func (g *grade) progress(format string, args ...any) {
	fmt.Fprintf(g.opts.Progress, format+"\n", args...)
}

// run runs the grade's steps in order and returns what they measured of
// the solution; a step that fails ends it, its failure in the
// measurement's Failures.
func (g *grade) run(parent context.Context) (m check.Measurement) {
	cleanup := context.WithoutCancel(parent)
	// The watchdog: whatever the solution does, the grade ends in time.
	ctx, cancel := context.WithTimeoutCause(parent, g.wallTime(), errWallTime)
	defer cancel()
	fail := func(f *check.Failure) check.Measurement {
		m.Failures = append(m.Failures, *f)
		return m
	}

	defer g.endPhase()
	defer func() {
		if parent.Err() == nil && errors.Is(context.Cause(ctx), errWallTime) {
			fail(g.overWallTime())
			return
		}
		if ctx.Err() != nil {
			// An interrupted grade says nothing of the solution, whatever
			// the interruption made fail on the way out.
			fail(machineFailure(fmt.Errorf("grade interrupted (%w): the card is incomplete", context.Cause(ctx))))
		}
	}()
	if err := checkTempDir(); err != nil {
		return fail(machineFailure(err))
	}
	if err := g.isolate(); err != nil {
		return fail(machineFailure(err))
	}
	g.phase("postgres")
	inst, err := g.startDatabase(ctx)
	if err != nil {
		return fail(machineFailure(err))
	}
	defer func() {
		tctx, cancel := context.WithTimeout(cleanup, 30*time.Second)
		defer cancel()
		if err := inst.Terminate(tctx); err != nil {
			g.progress("warning: %v", err)
		}
	}()

	g.phase("seed")
	db, err := openDatabase(ctx, inst.ConnectionString())
	if err != nil {
		return fail(machineFailure(err))
	}
	defer func() {
		tctx, cancel := context.WithTimeout(cleanup, 10*time.Second)
		defer cancel()
		if err := db.close(tctx); err != nil {
			g.progress("warning: %v", err)
		}
	}()
	g.db = db
	want, err := g.seed(ctx, db)
	if err != nil {
		return fail(machineFailure(err))
	}
	sum, err := db.checksum(ctx)
	if err != nil {
		return fail(machineFailure(err))
	}
	g.dataDigest = "sha256:" + sha256Hex(sum)
	partial, err := db.createRole(ctx, g.opts.StatementTimeout, g.opts.batch.size())
	if err != nil {
		return fail(machineFailure(err))
	}
	if partial {
		g.progress("note: the database's role is not a superuser: the solution's role may write large objects (the read-only check sees them) and has no temp_file_limit")
	}
	defer db.watch(ctx, g.opts.StatementTimeout)()
	g.readOnly.reset(ctx, db)
	g.progress("seed: %d rows of %s, seed %d", g.size, g.ch.ID, g.opts.Seed)
	upstream, err := db.roleConfig(inst.ConnectionString())
	if err != nil {
		return fail(machineFailure(err))
	}

	g.phase("build")
	starter := g.earlyStarter(ctx)
	if starter != nil {
		defer starter.close()
	}
	g.progress("build: %s (%s)", strings.ReplaceAll(g.sol.Dir, "\n", `\n`), g.sol.Language) // one line, whatever the name
	built, err := g.sol.Build(ctx, runner.BuildOptions{
		Python: g.opts.Python, Output: g.opts.SolutionOutput, Progress: g.opts.Progress,
		Cache: g.opts.BuildCache, CacheKey: g.solDigest,
		Timeout: g.opts.BuildTimeout, Isolation: g.iso,
	})
	if err != nil {
		return fail(buildFailure(err))
	}
	defer built.Close()

	if starter != nil {
		<-starter.done // nothing may compete with the timed requests for the cores
	}
	g.phase("start")
	if f := g.databaseDown(ctx); f != nil { // the machine's: the solution has not run yet
		return fail(f)
	}
	target, f := g.start(ctx, built, upstream, g.opts.SolutionOutput)
	if f != nil {
		return fail(f)
	}
	g.solution = target
	target.budget = g.opts.SolutionTimeout
	m = g.measureSolution(ctx, db, target, want)
	target.stop()

	if !g.opts.NoBaseline && !hasFault(m, check.Machine) && !g.dbGone && ctx.Err() == nil {
		g.phase("baseline")
		g.before = g.getBaseline(ctx, starter, func(starter *baselineBuild) *reports.Baseline {
			if _, err := db.reseed(ctx, g.ch, g.opts.Seed, g.size); err != nil {
				fail(machineFailure(err))
				return nil
			}
			return g.baseline(ctx, starter, upstream)
		})
	}
	return m
}

// hasFault says whether a failure of m is of the fault.
func hasFault(m check.Measurement, fault check.Fault) bool {
	for _, f := range m.Failures {
		if f.Fault == fault {
			return true
		}
	}
	return false
}

// buildFailure says whose failure a failed build is: the learner's (the
// build check fails), or the machine's (its temp dir full, a build that
// could not be run).
func buildFailure(err error) *check.Failure {
	var be *runner.BuildError
	if errors.As(err, &be) {
		if msg := tempDirFull(be.Output); msg != "" { // the machine's, whatever the build
			return machineFailure(errors.New(msg))
		}
		if be.Timeout > 0 {
			return learnerFailure("build", fmt.Sprintf("the build (%s) took more than %s and was stopped", be.Command, be.Timeout)+outputNote(be.Output, 3), be.Output)
		}
		msg := "the solution does not build: " + firstLines(be.Output, 5)
		if strings.Contains(be.Output, "go.mod file not found") {
			msg += " (a Go solution needs a go.mod: run \"go mod init solution\" in its directory, or start from \"nplus1 init\")"
		}
		return learnerFailure("build", msg, be.Output)
	}
	if le, ok := errors.AsType[runner.LearnerError](err); ok {
		return learnerFailure("build", err.Error(), le.LearnerOutput())
	}
	return machineFailure(fmt.Errorf("build the solution: %w", err))
}
