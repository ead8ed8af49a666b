// Package grader runs one grade: it starts Postgres, seeds the challenge's
// data, starts the solution behind the tracing proxy, sends the challenge's
// requests, and returns the result card. Subpackages hold each concern:
// postgres (providers), proxy (the wire tracer), runner (the solution
// process), check (judging what was measured).
package grader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nplus1/nplus1/challenges"
	"github.com/nplus1/nplus1/grader/check"
	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/grader/proxy"
	"github.com/nplus1/nplus1/grader/runner"
	"github.com/nplus1/nplus1/grader/sandbox"
	"github.com/nplus1/nplus1/grader/sqlshape"
	"github.com/nplus1/nplus1/internal/filelock"
	"github.com/nplus1/nplus1/reports"
)

// Options is one grade's input.
type Options struct {
	// Solution is the solution's directory.
	Solution string
	// Challenge is the challenge's id; "" takes it from the solution's
	// nplus1.yaml.
	Challenge string
	// Provider starts Postgres.
	Provider postgres.Provider
	// Seed seeds the data (1..MaxSeed); 0 picks one at random. The card
	// records it, and the same seed reproduces the same data.
	Seed int64
	// RTT, Requests and Size override the challenge's values when not zero.
	RTT      time.Duration
	Requests int
	Size     int
	// ChallengeDir grades against a challenge directory outside the
	// catalog (for challenge authors); it takes precedence over Challenge.
	ChallengeDir string
	// NoBaseline skips measuring the challenge's starter for the card's
	// before → after.
	NoBaseline bool
	// Python is the interpreter for Python solutions ("" = python3).
	Python string
	// StatementTimeout is the solution role's statement_timeout (0: 10 s).
	StatementTimeout time.Duration
	// MaxStatements caps the statements of one request (0: 20,000); past
	// it the request is abandoned and the statements check fails.
	MaxStatements int
	// BuildTimeout bounds the solution's build (0: DefaultBuildTimeout);
	// a build stopped for taking longer fails the build check.
	BuildTimeout time.Duration
	// ReadyTimeout bounds the wait for the solution to listen;
	// RequestTimeout bounds each request. Zero means 30 s each.
	ReadyTimeout, RequestTimeout time.Duration
	// SolutionTimeout bounds all of the solution's requests together, from
	// the first to the last (0: DefaultSolutionTimeout); past it the grade
	// stops the solution and fails the check under way.
	SolutionTimeout time.Duration
	// BuildCache is where built Go programs are kept between grades (see
	// runner.BuildOptions.Cache): "" means <user cache dir>/nplus1/build,
	// "off" none.
	BuildCache string
	// MemoryLimit caps in bytes the resident memory of the solution's
	// processes together, where the system allows (Linux): past it the
	// solution is stopped (see runner.StartOptions). 0 means
	// DefaultMemoryLimit, a negative value no limit.
	MemoryLimit int64
	// Sandbox says whether the solution (its build too) runs isolated
	// from the grader and the machine (see package sandbox): SandboxAuto
	// ("" too) isolates where the system can and records "none" on the
	// card where it cannot; SandboxRequired makes that a grader error;
	// SandboxOff never isolates.
	Sandbox string
	// Secrets are more files a sandboxed solution must not see (a signing
	// key file), besides the grader's temp dir, caches and the home
	// directory's credential stores.
	Secrets []string
	// WallTime bounds the whole grade (0: the sum of the bounds of its
	// steps, see grade.wallTime): past it a watchdog stops the grade and
	// the card says so.
	WallTime time.Duration
	// Progress receives the grader's progress lines; nil discards them.
	Progress io.Writer
	// SolutionOutput receives a live copy of the solution's build and run
	// output; nil discards it.
	SolutionOutput io.Writer
	// Version is the grader's version, recorded in the card.
	Version string
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	// batch, set by GradeMany, is what the grades of a batch share: a
	// seeded template database per challenge (Provider then names the
	// batch's server), and the baselines.
	batch *batch
}

// The values of Options.Sandbox.
const (
	SandboxAuto     = "auto"
	SandboxRequired = "required"
	SandboxOff      = "off"
)

// UsageError is returned by Grade when the input is wrong and no grade was
// attempted: a missing solution directory, an unknown challenge.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// DefaultSolutionTimeout is Options.SolutionTimeout's default: a fixed
// solution answers in seconds, a starter in well under a minute.
const DefaultSolutionTimeout = 5 * time.Minute

// DefaultBuildTimeout is Options.BuildTimeout's default: a cold Go build
// with module downloads takes a minute or two.
const DefaultBuildTimeout = 10 * time.Minute

// DefaultMemoryLimit is the memory a solution may use when
// Options.MemoryLimit is 0: ample for a handler of a few thousand rows.
const DefaultMemoryLimit = 1 << 30

// maxBody caps a response body the grader reads.
const maxBody = 64 << 20

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
	g.run(ctx)
	g.card.Decide()
	return g.card, nil
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

// validate rejects options out of range, named as the command's flags.
func validate(opts Options) error {
	switch {
	case opts.Seed < 0 || opts.Seed > MaxSeed:
		return fmt.Errorf("--seed %d is out of range: use 1 to %d", opts.Seed, MaxSeed)
	case opts.RTT < 0:
		return fmt.Errorf("--rtt %s: a round trip cannot be negative; give one such as 5ms", opts.RTT)
	case opts.Requests < 0:
		return fmt.Errorf("--requests %d: give a number of timed requests of 1 or more", opts.Requests)
	case opts.Size < 0:
		return fmt.Errorf("--size %d: give a number of parent rows of 1 or more", opts.Size)
	case opts.Sandbox != SandboxAuto && opts.Sandbox != SandboxRequired && opts.Sandbox != SandboxOff:
		return fmt.Errorf("--sandbox %q: give auto, required or off", opts.Sandbox)
	}
	for _, t := range []struct {
		flag string
		d    time.Duration
	}{{"--build-timeout", opts.BuildTimeout}, {"--ready-timeout", opts.ReadyTimeout}, {"--request-timeout", opts.RequestTimeout}, {"--solution-timeout", opts.SolutionTimeout}} {
		if t.d < 0 {
			return fmt.Errorf("%s %s: a timeout cannot be negative; give one such as 30s", t.flag, t.d)
		}
	}
	return nil
}

// grade is the state of one grade in progress.
type grade struct {
	db         *database // nil until Postgres is up
	phaseName  string    // the phase under way, for the card's timings
	phaseStart time.Time
	opts       Options
	ch         *challenges.Challenge
	sol        *runner.Solution
	card       *reports.Card
	rtt        time.Duration
	size       int
	timed      int
	warm       int
	// answersWrong: the timed requests' answers were wrong (see
	// creditOnlyCorrect); later checks may still find others wrong.
	answersWrong bool
	// stale: after a change of the data the answer stayed byte for byte
	// what it was (the fresh check failed on it), so the counts and timings
	// measured a cache.
	stale bool
	// iso is how the solution is isolated; nil: it runs as the grader.
	iso *runner.Isolation
	// readOnly holds the database's checksum from before the solution
	// started, so that what it writes while it starts is seen too.
	readOnly readOnlyCheck
	// solution is the started solution, nil before it starts; dbGone is
	// set once the database stopped answering (see databaseDown).
	solution *target
	dbGone   bool
}

func newGrade(opts Options) (*grade, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	if opts.ReadyTimeout == 0 {
		opts.ReadyTimeout = 30 * time.Second
	}
	if opts.RequestTimeout == 0 {
		opts.RequestTimeout = 30 * time.Second
	}
	if opts.StatementTimeout == 0 {
		opts.StatementTimeout = 10 * time.Second
	}
	if opts.SolutionTimeout == 0 {
		opts.SolutionTimeout = DefaultSolutionTimeout
	}
	if opts.BuildTimeout == 0 {
		opts.BuildTimeout = DefaultBuildTimeout
	}
	if opts.MemoryLimit == 0 {
		opts.MemoryLimit = DefaultMemoryLimit
	}
	switch opts.BuildCache {
	case "":
		if dir, err := os.UserCacheDir(); err == nil {
			opts.BuildCache = filepath.Join(dir, "nplus1", "build")
		}
	case "off":
		opts.BuildCache = ""
	}
	if opts.MemoryLimit < 0 || !runner.MemoryLimitSupported {
		opts.MemoryLimit = 0
	}
	if opts.Sandbox == "" {
		opts.Sandbox = SandboxAuto
	}
	if err := validate(opts); err != nil {
		return nil, &UsageError{err}
	}
	if opts.Seed == 0 {
		opts.Seed = rand.Int64N(MaxSeed) + 1
	}
	sol, err := runner.Detect(opts.Solution)
	if runner.IsLearnerFault(err) {
		return nil, err
	}
	if err != nil {
		return nil, &UsageError{err}
	}
	ch, err := loadChallenge(opts, sol)
	if runner.IsLearnerFault(err) {
		return nil, err
	}
	if err != nil {
		return nil, &UsageError{err}
	}
	if sol.Manifest.Challenge != "" && opts.Challenge != "" && sol.Manifest.Challenge != opts.Challenge {
		fmt.Fprintf(opts.Progress, "note: grading against %s; the solution's nplus1.yaml names %s\n", opts.Challenge, sol.Manifest.Challenge)
	}
	g := &grade{opts: opts, ch: ch, sol: sol, rtt: ch.Limits.RTT, size: ch.Size, timed: ch.Latency.Requests, warm: ch.Latency.Warmup}
	if opts.RTT != 0 {
		g.rtt = opts.RTT
	}
	if opts.Size != 0 {
		g.size = opts.Size
	}
	if opts.Requests != 0 {
		g.timed = opts.Requests
	}
	solDigest, err := digestDir(sol.Dir)
	if err != nil {
		return nil, &UsageError{err}
	}
	g.card = &reports.Card{
		SchemaVersion: reports.SchemaVersion,
		Tool:          reports.Tool{Name: "nplus1", Version: opts.Version},
		GradedAt:      opts.Now().UTC(),
		Challenge: reports.Challenge{
			ID: ch.ID, Title: ch.Title, Digest: digestFS(ch.FS),
			MaxStatements: ch.Limits.Statements, P95BudgetMS: millis(ch.Limits.P95),
		},
		Solution: reports.Solution{Path: opts.Solution, Language: sol.Language, Digest: solDigest, Idioms: findIdioms(sol.Dir)},
		Environment: reports.Environment{
			Provider: opts.Provider.Name(), RTTMS: millis(g.rtt),
			Seed: opts.Seed, Size: g.size, OS: runtime.GOOS, Arch: runtime.GOARCH,
			MemoryLimitBytes: opts.MemoryLimit,
		},
		Reproduce: reproduce(opts, ch, g),
	}
	return g, nil
}

// sandboxSupported reports whether this system can isolate a solution;
// tests stand in a system that cannot.
var sandboxSupported = sandbox.Supported

// errWallTime is the cause of a grade stopped by its watchdog.
var errWallTime = errors.New("the grade's wall-time limit passed")

// wallTime is how long a whole grade may take: every bound of its steps
// (the builds run side by side; the solution and the starter each start
// and answer), and two minutes for the database and the grader's own work.
func (g *grade) wallTime() time.Duration {
	if g.opts.WallTime > 0 {
		return g.opts.WallTime
	}
	o := g.opts
	return o.BuildTimeout + 2*(o.ReadyTimeout+o.SolutionTimeout+o.RequestTimeout) + 2*time.Minute
}

// overWallTime records a grade its watchdog stopped: the solution's fail
// once it had started (every step of the grader's own is bounded well
// within the limit), the grader's error before.
func (g *grade) overWallTime() {
	msg := fmt.Sprintf("the grade ran past its wall-time limit of %s and was stopped", g.wallTime())
	if g.solution == nil {
		g.machineError(errors.New(msg + ", before the solution started"))
		return
	}
	g.fail("wall-time", msg+" while the solution ran", g.solution.proc.Output())
}

// isolate decides whether the solution runs in a sandbox and records it on
// the card; with --sandbox required, a system that cannot isolate is the
// grader's error.
func (g *grade) isolate() error {
	if g.opts.Sandbox == SandboxOff {
		g.card.Environment.Sandbox = "none (--sandbox off)"
		return nil
	}
	if err := sandboxSupported(); err != nil {
		if g.opts.Sandbox == SandboxRequired {
			return fmt.Errorf("--sandbox required: %w", err)
		}
		g.card.Environment.Sandbox = "none (" + err.Error() + ")"
		g.progress("warning: the solution runs without a sandbox: %v", err)
		return nil
	}
	cache, err := runner.SandboxCache()
	if err != nil {
		return fmt.Errorf("find a cache directory for the sandbox: %w", err)
	}
	g.iso = &runner.Isolation{Hide: append(hiddenFromSolutions(), g.opts.Secrets...), Cache: cache}
	g.card.Environment.Sandbox = sandbox.Describe
	return nil
}

// hiddenFromSolutions lists what a sandboxed solution must not see besides
// what every sandbox hides: the grader's temp dir (builds, clusters), the
// grader's caches and configuration, and the places credentials live in a
// home directory.
func hiddenFromSolutions() []string {
	hide := []string{os.TempDir()}
	if dir, err := os.UserCacheDir(); err == nil {
		hide = append(hide, filepath.Join(dir, "nplus1"))
	}
	if dir, err := os.UserConfigDir(); err == nil {
		hide = append(hide, filepath.Join(dir, "nplus1"), filepath.Join(dir, "gcloud"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		for _, p := range []string{".ssh", ".gnupg", ".aws", ".kube", ".docker", ".pgpass", ".netrc", ".git-credentials", ".config/gh"} {
			hide = append(hide, filepath.Join(home, p))
		}
	}
	return hide
}

// reproduce is the command line that grades the solution again as g
// will: the challenge as named (its directory, for --challenge-dir), the
// seed, and every setting that changes the data or the figures and was not
// the challenge's own.
func reproduce(opts Options, ch *challenges.Challenge, g *grade) []string {
	argv := []string{"nplus1", "grade", opts.Solution}
	if opts.ChallengeDir != "" {
		argv = append(argv, "--challenge-dir", opts.ChallengeDir)
	} else {
		argv = append(argv, "--challenge", ch.ID)
	}
	argv = append(argv, "--seed", strconv.FormatInt(opts.Seed, 10))
	if g.size != ch.Size {
		argv = append(argv, "--size", strconv.Itoa(g.size))
	}
	if g.rtt != ch.Limits.RTT {
		argv = append(argv, "--rtt", g.rtt.String())
	}
	if g.timed != ch.Latency.Requests {
		argv = append(argv, "--requests", strconv.Itoa(g.timed))
	}
	return argv
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// loadChallenge loads the challenge the options or the solution name.
func loadChallenge(opts Options, sol *runner.Solution) (*challenges.Challenge, error) {
	if opts.ChallengeDir != "" {
		return challenges.LoadDir(opts.ChallengeDir)
	}
	id := opts.Challenge
	if id == "" {
		id = sol.Manifest.Challenge
	}
	if id == "" {
		return nil, fmt.Errorf("which challenge? pass --challenge ID or put `challenge: ID` in %s", filepath.Join(opts.Solution, runner.ManifestFile))
	}
	ch, err := challenges.Load(id)
	if err != nil && opts.Challenge == "" && errors.Is(err, challenges.ErrUnknown) {
		// The solution's own nplus1.yaml names it: the learner's to fix.
		return nil, &runner.ManifestError{Msg: fmt.Sprintf("%s:%d: %v", sol.ManifestPath, sol.Manifest.ChallengeLine, err)}
	}
	return ch, err
}

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
	g.card.Phases = append(g.card.Phases, reports.Phase{Name: g.phaseName, Seconds: secs})
	g.phaseName = ""
}

// progress writes one progress line.
func (g *grade) progress(format string, args ...any) {
	fmt.Fprintf(g.opts.Progress, format+"\n", args...)
}

// fail records a failed step (the learner's fault) with the solution's
// output. A check of that name already on the card is replaced: a request
// of a later check may fail one that passed (statements).
func (g *grade) fail(name, msg, output string) {
	c := reports.Check{Name: name, Status: reports.Fail, Message: msg}
	if old := g.card.Check(name); old != nil {
		*old = c
	} else {
		g.card.Checks = append(g.card.Checks, c)
	}
	g.card.Output = output
}

// machineError marks the card as not graded: the grader or the machine failed.
func (g *grade) machineError(err error) {
	g.card.Verdict = reports.Error
	g.card.Error = err.Error()
}

func (g *grade) run(parent context.Context) {
	cleanup := context.WithoutCancel(parent)
	// The watchdog: whatever the solution does, the grade ends in time.
	ctx, cancel := context.WithTimeoutCause(parent, g.wallTime(), errWallTime)
	defer cancel()

	defer g.endPhase()
	defer func() {
		if parent.Err() == nil && errors.Is(context.Cause(ctx), errWallTime) {
			g.overWallTime()
			return
		}
		if ctx.Err() != nil {
			// An interrupted grade says nothing of the solution, whatever
			// the interruption made fail on the way out.
			g.machineError(fmt.Errorf("grade interrupted (%w): the card is incomplete", context.Cause(ctx)))
		}
	}()
	if err := checkTempDir(); err != nil {
		g.machineError(err)
		return
	}
	if err := g.isolate(); err != nil {
		g.machineError(err)
		return
	}
	g.phase("postgres")
	start := g.opts.Now()
	provider := g.opts.Provider
	if g.opts.batch != nil {
		// In a batch: a copy of a database seeded once for this challenge.
		tmpl, err := g.opts.batch.templateFor(ctx, g.ch, g.opts.Seed, g.size)
		if err != nil {
			g.machineError(fmt.Errorf("seed the batch's template database: %w", err))
			return
		}
		provider = postgres.NewURLFromTemplate(g.opts.batch.admin, tmpl)
	}
	inst, err := provider.Start(ctx)
	if err != nil {
		g.machineError(fmt.Errorf("start postgres: %w", err))
		return
	}
	defer func() {
		tctx, cancel := context.WithTimeout(cleanup, 30*time.Second)
		defer cancel()
		if err := inst.Terminate(tctx); err != nil {
			g.progress("warning: %v", err)
		}
	}()
	g.card.Environment.PostgresVersion = inst.Version()
	where := inst.Provider()
	if g.opts.batch != nil {
		where = "a copy of the batch's seeded database on its " + g.opts.batch.provider + " server"
	}
	g.progress("postgres: %s %s ready in %s", where, inst.Version(), g.opts.Now().Sub(start).Round(time.Millisecond))

	g.phase("seed")
	db, err := openDatabase(ctx, inst.ConnectionString())
	if err != nil {
		g.machineError(err)
		return
	}
	defer func() {
		tctx, cancel := context.WithTimeout(cleanup, 10*time.Second)
		defer cancel()
		if err := db.close(tctx); err != nil {
			g.progress("warning: %v", err)
		}
	}()
	g.db = db
	var want []byte
	if g.opts.batch != nil { // the copy holds the schema and the data
		err = db.listTables(ctx)
		if err == nil {
			want, err = db.expected(ctx, g.ch)
		}
	} else {
		err = db.createSchema(ctx, g.ch)
		if err == nil {
			want, err = db.reseed(ctx, g.ch, g.opts.Seed, g.size)
		}
	}
	if err != nil {
		g.machineError(err)
		return
	}
	sum, err := db.checksum(ctx)
	if err != nil {
		g.machineError(err)
		return
	}
	g.card.Environment.DataDigest = "sha256:" + sha256Hex(sum)
	partial, err := db.createRole(ctx, g.opts.StatementTimeout)
	if err != nil {
		g.machineError(err)
		return
	}
	if partial {
		g.progress("note: the database's role is not a superuser: the solution's role may write large objects (the read-only check sees them) and has no temp_file_limit")
	}
	defer db.watch(ctx, g.opts.StatementTimeout)()
	g.readOnly.reset(ctx, db)
	g.progress("seed: %d rows of %s, seed %d", g.size, g.ch.ID, g.opts.Seed)
	upstream, err := db.roleConfig(inst.ConnectionString())
	if err != nil {
		g.machineError(err)
		return
	}

	g.phase("build")
	var starter *baselineBuild
	if !g.opts.NoBaseline && g.opts.batch == nil {
		starter = g.buildBaseline(ctx) // untimed, beside the solution's build
		defer starter.close()
	}
	g.progress("build: %s (%s)", g.sol.Dir, g.sol.Language)
	built, err := g.sol.Build(ctx, runner.BuildOptions{
		Python: g.opts.Python, Output: g.opts.SolutionOutput, Progress: g.opts.Progress,
		Cache: g.opts.BuildCache, CacheKey: g.card.Solution.Digest,
		Timeout: g.opts.BuildTimeout, Isolation: g.iso,
	})
	if err != nil {
		var be *runner.BuildError
		if errors.As(err, &be) {
			if msg := tempDirFull(be.Output); msg != "" { // the machine's, whatever the build
				g.machineError(errors.New(msg))
				return
			}
		}
		if errors.As(err, &be) && be.Timeout > 0 {
			g.fail("build", fmt.Sprintf("the build (%s) took more than %s and was stopped", be.Command, be.Timeout)+outputNote(be.Output, 3), be.Output)
			return
		}
		if errors.As(err, &be) {
			msg := "the solution does not build: " + firstLines(be.Output, 5)
			if strings.Contains(be.Output, "go.mod file not found") {
				msg += " (a Go solution needs a go.mod: run \"go mod init solution\" in its directory, or start from \"nplus1 init\")"
			}
			g.fail("build", msg, be.Output)
			return
		}
		if le, ok := errors.AsType[runner.LearnerError](err); ok {
			g.fail("build", err.Error(), le.LearnerOutput())
			return
		}
		g.machineError(fmt.Errorf("build the solution: %w", err))
		return
	}
	defer built.Close()

	if starter != nil {
		<-starter.done // nothing may compete with the timed requests for the cores
	}
	g.phase("start")
	if g.databaseDown(ctx) { // the machine's: the solution has not run yet
		return
	}
	target, ok := g.start(ctx, built, upstream, g.opts.SolutionOutput)
	if !ok {
		return
	}
	g.solution = target
	target.budget = g.opts.SolutionTimeout
	g.measureSolution(ctx, db, target, want)
	target.stop()
	switch {
	case g.answersWrong:
		creditOnlyCorrect(g.card, true)
	case g.stale:
		creditOnlyCorrect(g.card, false)
	}

	if !g.opts.NoBaseline && g.card.Verdict != reports.Error && !g.dbGone && ctx.Err() == nil {
		g.phase("baseline")
		measure := func() {
			if _, err := db.reseed(ctx, g.ch, g.opts.Seed, g.size); err != nil {
				g.machineError(err)
				return
			}
			g.baseline(ctx, starter, upstream)
		}
		if g.opts.batch != nil {
			// In a batch the starter is measured once, by the first grade
			// to get here, under the batch's conditions, for every card.
			g.card.Baseline = g.opts.batch.baseline(g.baselineKey(), func() *reports.Baseline {
				starter = g.buildBaseline(ctx)
				defer starter.close()
				measure()
				return g.card.Baseline
			})
		} else {
			measure()
		}
		if g.card.Verdict == reports.Error {
			return
		}
	}
}

// target is a started program behind its own proxy.
type target struct {
	proc   *runner.Process
	proxy  *proxy.Proxy
	trace  *proxy.Trace
	url    string
	client *http.Client // reaches the program where it runs
	// budget is the time all the requests may take together
	// (Options.SolutionTimeout; 0: no limit), and spent what they took.
	budget, spent time.Duration
}

func (t *target) stop() {
	t.proc.Stop()
	t.proxy.Close()
}

// sandboxPorts are the ports a sandboxed program is given: its network is
// its own, so they are always free.
const (
	sandboxDatabasePort = 5432
	sandboxHTTPPort     = 8080
)

// start starts a built program behind a new proxy, in a sandbox when the
// grade isolates. A program that fails to start is the learner's failure,
// recorded on the card; ok is false then.
func (g *grade) start(ctx context.Context, built *runner.Built, upstream *pgconn.Config, output io.Writer) (*target, bool) {
	t := &target{trace: &proxy.Trace{}}
	var place *runner.Place
	if g.iso != nil {
		var err error
		if place, err = built.Sandbox(g.iso); err != nil {
			g.machineError(fmt.Errorf("start the solution's sandbox: %w", err))
			return nil, false
		}
	}
	dbAddr := "127.0.0.1:0" // any free port
	if place.Sandboxed() {
		dbAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(sandboxDatabasePort))
	}
	listener, err := place.Listen(dbAddr)
	if err != nil {
		place.Close()
		g.machineError(fmt.Errorf("start proxy: %w", err))
		return nil, false
	}
	password := randomHex(16)
	px, err := proxy.Listen(proxy.Config{Upstream: upstream, User: "solution", Password: password, RTT: g.rtt, Trace: t.trace, Listener: listener})
	if err != nil {
		place.Close()
		g.machineError(err)
		return nil, false
	}
	addr := px.Addr()
	env := []string{
		fmt.Sprintf("DATABASE_URL=postgres://solution:%s@%s/nplus1?sslmode=disable", password, addr),
		"PGHOST=127.0.0.1",
		fmt.Sprintf("PGPORT=%d", addr.Port),
		"PGUSER=solution",
		"PGPASSWORD=" + password,
		"PGDATABASE=nplus1",
		"PGSSLMODE=disable",
	}
	var (
		proc *runner.Process
		port int
	)
	for attempt := 0; attempt < 3; attempt++ {
		port = sandboxHTTPPort
		if !place.Sandboxed() {
			if port, err = runner.FreePort(); err != nil {
				break
			}
		}
		// A free port can be taken before the program binds it: try another.
		proc, err = built.Start(ctx, runner.StartOptions{Port: port, Env: env, Output: output, ReadyTimeout: g.opts.ReadyTimeout, MemoryLimit: g.opts.MemoryLimit, Place: place})
		if !errors.Is(err, runner.ErrPortTaken) {
			break
		}
	}
	if err != nil {
		px.Close()
		var le runner.LearnerError
		if errors.As(err, &le) {
			if missing := runner.MissingDriver(g.sol, le.LearnerOutput(), g.opts.Python); missing != nil {
				g.card.Output = le.LearnerOutput()
				g.machineError(missing) // the machine's setup: exit 3, not a red fail
				return nil, false
			}
			msg := err.Error() + outputNote(le.LearnerOutput(), 3)
			if runner.BaseLanguage(g.sol.Language) == runner.Python && strings.Contains(le.LearnerOutput(), "ModuleNotFoundError") {
				msg += " (is it the Python you meant? --python or NPLUS1_PYTHON picks the interpreter)"
			}
			g.fail("start", msg, le.LearnerOutput())
			return nil, false
		}
		g.machineError(fmt.Errorf("start the solution: %w", err))
		return nil, false
	}
	t.proc, t.proxy = proc, px
	t.url = fmt.Sprintf("http://127.0.0.1:%d%s", port, g.ch.Endpoint.Path)
	t.client = &http.Client{Timeout: g.opts.RequestTimeout, Transport: &http.Transport{
		DialContext:         func(ctx context.Context, _, addr string) (net.Conn, error) { return place.Dial(ctx, addr) },
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
	}}
	where := ""
	if place.Sandboxed() {
		where = " in its sandbox"
	}
	g.progress("start: listening on 127.0.0.1:%d%s", port, where)
	return t, true
}

// requestStats is what one request cost.
type requestStats struct {
	data, control, roundTrips, prepareOnly int
	notices                                int // NoticeResponses the server sent
	newConns                               int // database connections opened
	start                                  time.Time
	elapsed                                time.Duration
	statements                             []proxy.Statement
}

// send sends n requests one after another. A request that gets no answer
// is the learner's failure: it is recorded under the check named
// failCheck, and ok is false.
// When stop is not nil it is asked after each request whether to send no
// more.
func (g *grade) send(ctx context.Context, t *target, n int, failCheck string, stop func([]requestStats) bool) (responses []check.Response, stats []requestStats, ok bool) {
	client := t.client
	overTime := func(i int) {
		g.fail(failCheck, fmt.Sprintf("request %d: the solution's requests took more than %s in all; the grader stopped it", i+1, t.budget), t.proc.Output())
	}
	for i := 0; i < n; i++ {
		if ctx.Err() != nil {
			return nil, nil, false
		}
		var left time.Duration // 0: no limit
		if t.budget > 0 {
			if left = t.budget - t.spent; left <= 0 {
				overTime(i)
				return nil, nil, false
			}
		}
		mark, conns := t.trace.Mark(), t.trace.Connections()
		req, err := http.NewRequestWithContext(ctx, g.ch.Endpoint.Method, t.url, nil)
		if err != nil {
			g.machineError(err)
			return nil, nil, false
		}
		t0 := time.Now()
		resp, err := g.do(client, req, t.trace, mark, left)
		elapsed := time.Since(t0)
		t.spent += elapsed
		if errors.Is(err, errTooManyStatements) {
			g.fail("statements", fmt.Sprintf("request %d ran more than %d statements; the grader stopped it", i+1, g.maxStatements()), t.proc.Output())
			return nil, nil, false
		}
		if errors.Is(err, errSolutionTimeout) {
			overTime(i)
			return nil, nil, false
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, false
			}
			if g.databaseDown(ctx) {
				return nil, nil, false
			}
			msg := fmt.Sprintf("request %d: %v", i+1, requestError(err))
			if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
				msg = fmt.Sprintf("request %d: no answer within %s (--request-timeout)", i+1, g.opts.RequestTimeout)
			}
			// A program that crashed mid-request closes the connection a
			// moment before it is reaped: give it that moment.
			select {
			case <-t.proc.Done():
			case <-time.After(time.Second):
			}
			if exited, exitErr := t.proc.Exited(); exited {
				msg = fmt.Sprintf("request %d: the solution exited (%v)", i+1, exitErr)
			} else if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
				msg = fmt.Sprintf("request %d: the solution closed the connection before its answer was complete (did the handler panic?)", i+1) + panicNote(t.proc.Output())
			}
			g.fail(failCheck, msg, t.proc.Output())
			return nil, nil, false
		}
		if len(resp.Body) > maxBody {
			g.fail(failCheck, fmt.Sprintf("request %d: the response is over %d MiB", i+1, maxBody>>20), "")
			return nil, nil, false
		}
		stmts, rts := t.trace.Since(mark)
		s := requestStats{start: t0, elapsed: elapsed, statements: stmts, roundTrips: len(rts), notices: t.trace.NoticesSince(mark), newConns: t.trace.Connections() - conns}
		for _, st := range stmts {
			if st.Data {
				s.data++
			} else {
				s.control++
			}
		}
		for _, rt := range rts {
			if rt.PrepareOnly {
				s.prepareOnly++
			}
		}
		responses = append(responses, resp)
		stats = append(stats, s)
		if stop != nil && stop(stats) {
			break
		}
	}
	return responses, stats, true
}

// requestError is err without the "Get "http://…": " that net/http puts
// before what went wrong.
func requestError(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}

// firstLines joins the first n non-blank lines of s with "; ".
func firstLines(s string, n int) string {
	l := nonBlankLines(s)
	return strings.Join(l[:min(n, len(l))], "; ")
}

// outputNote quotes the last n non-blank lines of a program's output for a
// message, "; the last of its output: …", or is "" if there are none.
func outputNote(output string, n int) string {
	l := nonBlankLines(output)
	if len(l) == 0 {
		return ""
	}
	return "; the last of its output: " + strings.Join(l[max(0, len(l)-n):], "; ")
}

// panicNote quotes the last line of output that tells of a Go panic
// ("http: panic serving …" or "panic: …"), or else, as outputNote, its last
// lines: after a panic they are frames of the stack, the message above them.
func panicNote(output string) string {
	lines := nonBlankLines(output)
	for i := len(lines) - 1; i >= 0; i-- {
		if at := strings.Index(lines[i], "http: panic serving"); at >= 0 {
			return "; its output says: " + lines[i][at:] // without the log's timestamp
		}
		if strings.HasPrefix(lines[i], "panic: ") {
			return "; its output says: " + lines[i]
		}
	}
	return outputNote(output, 3)
}

func nonBlankLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// errTooManyStatements ends a request that ran past the statement cap.
var errTooManyStatements = errors.New("too many statements")

// errSolutionTimeout ends a request when what was left of
// Options.SolutionTimeout has passed.
var errSolutionTimeout = errors.New("the solution's time is up")

// maxStatements is the cap on statements in one request: far above any
// limit, low enough that a runaway loop cannot stall the grade.
func (g *grade) maxStatements() int {
	if g.opts.MaxStatements > 0 {
		return g.opts.MaxStatements
	}
	return 20000
}

// do sends one request and reads its response (at most maxBody+1 bytes of
// body), watching the trace meanwhile: past the statement cap it abandons
// the request (errTooManyStatements), and so it does once limit passes, if
// it is not 0 (errSolutionTimeout).
func (g *grade) do(client *http.Client, req *http.Request, trace *proxy.Trace, mark proxy.Mark, limit time.Duration) (check.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	defer cancel(nil)
	if limit > 0 {
		var stop context.CancelFunc
		ctx, stop = context.WithTimeoutCause(ctx, limit, errSolutionTimeout)
		defer stop()
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if trace.CountSince(mark) > g.maxStatements() {
					cancel(errTooManyStatements)
					return
				}
			}
		}
	}()
	var body []byte
	resp, err := client.Do(req.WithContext(ctx))
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
		resp.Body.Close()
		if err != nil {
			err = fmt.Errorf("reading the response: %w", err)
		}
	}
	if err != nil {
		for _, limitErr := range []error{errTooManyStatements, errSolutionTimeout} {
			if errors.Is(context.Cause(ctx), limitErr) {
				return check.Response{}, limitErr
			}
		}
		return check.Response{}, err
	}
	return check.Response{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Body: body}, nil
}

// databaseDown checks, after a request failed or was answered wrong,
// whether the database itself is gone. Before the solution started that is
// the machine's failure. Once it runs it is the solution's: the server
// answered when it started, and the solution runs with the rights to stop
// the server (kill a local server's postmaster) or end its connections.
// In a batch, whose grades share one server, it stays the machine's, and
// so it does when the solution ran in a sandbox, which cannot reach the
// server's processes.
func (g *grade) databaseDown(ctx context.Context) bool {
	if g.db == nil {
		return false
	}
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	err := g.db.admin.Ping(pctx)
	switch {
	case err == nil:
		return false
	case g.solution == nil:
		g.machineError(fmt.Errorf("the database stopped answering before the solution started: %w", err))
	case ctx.Err() != nil:
		// The grade was interrupted, as run says.
	case g.iso != nil:
		g.machineError(fmt.Errorf("the database server stopped answering while the solution ran in its sandbox, which cannot reach the server's processes, so it is not blamed: %w", err))
	case g.opts.batch != nil:
		g.machineError(fmt.Errorf("the batch's database server stopped answering while the solution ran; other solutions' grades share the server, so this one is not blamed: %w", err))
	default:
		g.fail("database", fmt.Sprintf("the database server stopped answering while the solution ran (%v): it answered when the solution started, "+
			"and a solution runs with the rights to stop the server or end its connections; it must leave them alone", err), g.solution.proc.Output())
	}
	g.dbGone = true
	return true
}

// busiest returns the index of the request that made the most data
// statements: the one whose shapes and N+1 findings the card shows.
func busiest(stats []requestStats) int {
	b := 0
	for i, s := range stats {
		if s.data > stats[b].data {
			b = i
		}
	}
	return b
}

// metrics sums up requests: the most of each count any request made, and
// the latency of those after the first warm.
func metrics(stats []requestStats, warm int) (*reports.Metrics, []time.Duration) {
	m := &reports.Metrics{Requests: len(stats), Timed: len(stats) - warm}
	var timed []time.Duration
	for i, s := range stats {
		m.Statements = max(m.Statements, s.data)
		m.ControlStatements = max(m.ControlStatements, s.control)
		m.RoundTrips = max(m.RoundTrips, s.roundTrips)
		m.PrepareOnlyRoundTrips = max(m.PrepareOnlyRoundTrips, s.prepareOnly)
		if i >= warm {
			timed = append(timed, s.elapsed)
		}
	}
	m.Latency = reports.LatencyMS{P50: check.Percentile(timed, 50), P95: check.Percentile(timed, 95), Max: check.Percentile(timed, 100)}
	return m, timed
}

// borderline is how far over its budget a p95 may be and still be timed
// once more before it fails: noise, not an N+1, puts a fix there.
const borderline = 1.5

// slowBecause says what made the slowest timed request slow: its round
// trips, and the connections the solution opened per request.
func slowBecause(timed []requestStats) string {
	if len(timed) == 0 {
		return ""
	}
	slowest, connecting := timed[0], 0
	for _, s := range timed {
		if s.elapsed > slowest.elapsed {
			slowest = s
		}
		if s.newConns > 0 {
			connecting++
		}
	}
	why := fmt.Sprintf("; the slowest request took %.1f ms over %s", millis(slowest.elapsed), reports.Count(slowest.roundTrips, "round trip"))
	if connecting > 0 {
		why += fmt.Sprintf("; %d of the %d timed requests opened a new database connection, which costs several round trips: keep one connection (or a pool) for the whole server", connecting, len(timed))
	}
	return why
}

// measureSolution runs every check on the started solution: correct,
// statements and latency at the challenge's size, then fresh, scaling and
// read-only.
func (g *grade) measureSolution(ctx context.Context, db *database, t *target, want []byte) {
	g.phase("measure")
	readOnly := &g.readOnly
	g.progress("measure: %d requests (%d warm-up) to %s %s at a %s round trip", g.warm+g.timed, g.warm, g.ch.Endpoint.Method, g.ch.Endpoint.Path, g.rtt)
	// Stop timing once the p95 is sure to miss the budget: a slow solution
	// (a starter) need not be waited on twenty times.
	rank := int(math.Ceil(0.95 * float64(g.timed)))
	stoppedEarly := false
	settled := func(stats []requestStats) bool {
		over := 0
		for _, s := range stats[min(g.warm, len(stats)):] {
			if float64(s.elapsed) > borderline*float64(g.ch.Limits.P95) { // far over: no noise
				over++
			}
		}
		stoppedEarly = over > g.timed-rank && len(stats) < g.warm+g.timed
		return stoppedEarly
	}
	responses, stats, ok := g.send(ctx, t, g.warm+g.timed, "correct", settled)
	if !ok || g.databaseDown(ctx) {
		return
	}
	m, timed := metrics(stats, g.warm)
	g.card.Metrics = m
	busiest := busiest(stats)
	latency, _ := check.Latency(timed, g.ch.Limits.P95, g.rtt)
	if stoppedEarly {
		latency.Message += fmt.Sprintf("; stopped after %d of %d timed requests, as %d over budget already fail the p95", len(timed), g.timed, g.timed-rank+1)
	}
	correct := check.Correct(want, g.ch.Endpoint.Path, responses)
	timedStats := stats[min(g.warm, len(stats)):]
	if latency.Status == reports.Fail && !stoppedEarly && correct.Status == reports.Pass && m.Latency.P95 <= borderline*millis(g.ch.Limits.P95) {
		// A p95 just over the budget may be the machine's noise: the
		// timed requests are sent once more, and the second measure
		// stands if its answers are right too. Every request still
		// counts against the statement limit.
		first := m.Latency.P95
		g.progress("measure: p95 %.1f ms is just over the %s budget: timing the requests once more", first, g.ch.Limits.P95)
		again, more, ok := g.send(ctx, t, g.timed, "correct", nil)
		if !ok || g.databaseDown(ctx) {
			return
		}
		stats = append(stats, more...)
		if check.Correct(want, g.ch.Endpoint.Path, again).Status == reports.Pass {
			var retimed []time.Duration
			for _, s := range more {
				retimed = append(retimed, s.elapsed)
			}
			latency, m.Latency = check.Latency(retimed, g.ch.Limits.P95, g.rtt)
			timedStats = more
			latency.Message += fmt.Sprintf("; timed twice, as the first p95 (%.1f ms) was just over the budget", first)
		}
	}
	if latency.Status == reports.Fail {
		latency.Message += slowBecause(timedStats)
	}
	g.answersWrong = correct.Status == reports.Fail
	if msg := check.ContentType(responses); msg != "" && correct.Status == reports.Pass {
		// Right data with the wrong header: the other checks still stand.
		correct.Status, correct.Message = reports.Fail, msg
	}
	if g.answersWrong {
		var all []proxy.Statement
		for _, s := range stats {
			all = append(all, s.statements...)
		}
		correct.Message += check.Refusals(all)
		if n := db.cancelled.Load(); n > 0 {
			correct.Message += fmt.Sprintf("; the grader cancelled %s that ran past the statement timeout of %s", reports.Count(int(n), "statement"), g.opts.StatementTimeout)
		}
		g.card.Output = t.proc.Output() // its own log may say more
	}
	// Every request counts against the limit, those of fresh and scaling too.
	requests := []check.Requests{{Counts: dataCounts(stats), Notices: mostNotices(stats), Unread: !g.answersWrong && dataSince(t.trace, proxy.Mark{}) == 0}}
	g.card.Checks = append(g.card.Checks, correct, check.Statements(g.ch.Limits.Statements, requests...), latency)
	g.card.Metrics.Timeline = timeline(stats[busiest])
	g.card.Shapes = check.Shapes(stats[busiest].statements)
	g.card.Findings = append(check.NPlusOne(stats[busiest].statements), check.OverFetch(stats[busiest].statements)...)
	if c := g.card.Check("statements"); c != nil && c.Status == reports.Fail {
		g.progress("statements of the busiest request:\n%s", check.Listing(stats[busiest].statements))
	}
	g.progress("measure: %s, %s, p95 %.1f ms", reports.Count(m.Statements, "data statement"), reports.Count(m.RoundTrips, "round trip"), m.Latency.P95)

	readOnly.verify(ctx, db, "while the solution started and answered the timed requests")

	// Fresh and scaling count statements; they need no simulated network.
	t.proxy.SetRTT(0)
	fresh, ok := g.fresh(ctx, db, t, readOnly, responses[len(responses)-1].Body)
	if !ok {
		return
	}
	sizes, ok := g.scaling(ctx, db, t, readOnly)
	if !ok {
		return
	}
	requests = append(append(requests, fresh), sizes...)
	*g.card.Check("statements") = check.Statements(g.ch.Limits.Statements, requests...)
	stmts, _ := t.trace.Since(proxy.Mark{})
	g.card.Checks = append(g.card.Checks, readOnly.result(stmts))
	// Wrong answers from a dead database are not the learner's.
	g.databaseDown(ctx)
}

// creditOnlyCorrect is applied to the card of a solution whose answers
// were wrong from the start (at the challenge's size and seed), or did not
// follow a change of the data: it marks as skipped the checks that passed,
// as few statements or a low latency prove nothing of a program that does
// not answer (a 500 makes no statements at all) or answers from a cache,
// and scores must not credit them; wrongFromTheStart says which. Their
// failures stay: they are findings. The fresh check says nothing when the
// answers were wrong before the data changed, so it is skipped then.
func creditOnlyCorrect(card *reports.Card, wrongFromTheStart bool) {
	why := "as the answers came from a cache (see fresh)"
	if wrongFromTheStart {
		why = "as the answers were wrong"
	}
	for i := range card.Checks {
		c := &card.Checks[i]
		switch {
		case c.Name == "fresh" && wrongFromTheStart && c.Status != reports.Error:
			c.Status, c.Message = reports.Skipped, "not judged: the answers were already wrong before the data changed"
		case c.Name != "correct" && c.Name != "fresh" && c.Status == reports.Pass:
			c.Status, c.Message = reports.Skipped, "not judged, "+why+": "+c.Message
		}
	}
}

// fresh changes the data (a different seed, through the grader's own
// connection) and checks that the response follows; before is the body
// answered before the change, which an unchanged answer repeats.
func (g *grade) fresh(ctx context.Context, db *database, t *target, ro *readOnlyCheck, before []byte) (check.Requests, bool) {
	g.phase("fresh")
	seed := g.opts.Seed%MaxSeed + 1
	want, err := db.reseed(ctx, g.ch, seed, g.size)
	if err != nil {
		g.machineError(err)
		return check.Requests{}, false
	}
	ro.reset(ctx, db)
	mark := t.trace.Mark()
	responses, stats, ok := g.send(ctx, t, 1, "fresh", nil)
	if !ok {
		return check.Requests{}, false
	}
	c := check.Correct(want, g.ch.Endpoint.Path, responses)
	c.Name = "fresh"
	unchanged := len(responses) > 0 && bytes.Equal(responses[0].Body, before)
	switch {
	case c.Status == reports.Pass:
		c.Message = "the response followed a change of the data between requests"
	case c.Status == reports.Fail && unchanged:
		c.Message = "after the grader changed the data between two requests, the response stayed the same (is it cached?): " + c.Message
		g.stale = true
	case c.Status == reports.Fail:
		c.Message = fmt.Sprintf("after the grader changed the data between two requests (seed %d), the answer was wrong: %s", seed, c.Message)
	}
	g.card.Checks = append(g.card.Checks, c)
	ro.verify(ctx, db, "during the fresh check")
	unread := c.Status == reports.Pass && dataSince(t.trace, mark) == 0
	return check.Requests{When: "after the grader changed the data", Counts: dataCounts(stats), Notices: mostNotices(stats), Unread: unread}, true
}

// scaling measures the data statements per request at each of the
// challenge's other sizes; the count must not grow with the data, nor pass
// the limit. It returns the requests it sent, for the statements check.
func (g *grade) scaling(ctx context.Context, db *database, t *target, ro *readOnlyCheck) ([]check.Requests, bool) {
	g.phase("scaling")
	sizes := append([]int{g.size}, g.ch.Scaling...)
	slices.Sort(sizes)
	sizes = slices.Compact(sizes)
	var per []reports.SizeStatements
	var requests []check.Requests
	var wrong []string
	for _, size := range sizes {
		want, err := db.reseed(ctx, g.ch, g.opts.Seed, size)
		if err != nil {
			g.machineError(err)
			return nil, false
		}
		ro.reset(ctx, db)
		mark := t.trace.Mark()
		responses, stats, ok := g.send(ctx, t, 2, "scaling", nil)
		if !ok {
			return nil, false
		}
		n := max(stats[0].data, stats[1].data)
		per = append(per, reports.SizeStatements{Size: size, Statements: n})
		c := check.Correct(want, g.ch.Endpoint.Path, responses)
		if c.Status != reports.Pass {
			wrong = append(wrong, fmt.Sprintf("at %d rows: %s", size, c.Message))
		}
		// At the grade's own size the data is again what the timed
		// requests read: what they kept may answer it without a statement.
		unread := size != g.size && c.Status == reports.Pass && dataSince(t.trace, mark) == 0
		requests = append(requests, check.Requests{When: fmt.Sprintf("at %d rows", size), Counts: dataCounts(stats), Notices: mostNotices(stats), Unread: unread})
		ro.verify(ctx, db, fmt.Sprintf("at %d rows", size))
		g.progress("scaling: %d rows: %s", size, reports.Count(n, "data statement"))
	}
	g.card.Metrics.Scaling = per
	scaled := check.Scaling(per, g.ch.Limits.Statements)
	if len(wrong) > 0 {
		// Counts of wrong answers prove nothing of how a fix scales.
		if scaled.Status == reports.Pass && !g.answersWrong { // else creditOnlyCorrect says why
			scaled.Status, scaled.Message = reports.Skipped, "not judged, as the answers were wrong at some sizes: "+scaled.Message
		}
		if c := g.card.Check("correct"); c != nil && c.Status == reports.Pass {
			c.Status = reports.Fail
			c.Message = strings.Join(wrong, "; ")
		}
	}
	g.card.Checks = append(g.card.Checks, scaled)
	return requests, true
}

// dataCounts is each request's data statements.
// timeline puts a request's statements on a time axis, from the moment it
// was sent.
func timeline(s requestStats) *reports.Timeline {
	round := func(d time.Duration) float64 { return math.Round(millis(d)*100) / 100 }
	tl := &reports.Timeline{TotalMS: round(s.elapsed)}
	for _, st := range s.statements {
		if len(tl.Statements) == reports.MaxSpans {
			if st.Data {
				tl.Omitted++
			}
			continue
		}
		start := max(st.Start.Sub(s.start), 0)
		tl.Statements = append(tl.Statements, reports.Span{StartMS: round(start), DurationMS: round(st.Duration), Data: st.Data})
	}
	return tl
}

// mostNotices is the most notices the server sent in one of the requests.
func mostNotices(stats []requestStats) int {
	most := 0
	for _, s := range stats {
		most = max(most, s.notices)
	}
	return most
}

func dataCounts(stats []requestStats) []int {
	counts := make([]int, len(stats))
	for i, s := range stats {
		counts[i] = s.data
	}
	return counts
}

// dataSince counts the data statements of the trace since m.
func dataSince(trace *proxy.Trace, m proxy.Mark) int {
	stmts, _ := trace.Since(m)
	n := 0
	for _, s := range stmts {
		if s.Data {
			n++
		}
	}
	return n
}

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
// starter cannot be measured the card simply has no baseline.
func (g *grade) baseline(ctx context.Context, b *baselineBuild, upstream *pgconn.Config) {
	<-b.done
	if b.err != nil {
		g.progress("baseline: skipped: %v", b.err)
		return
	}
	g.progress("baseline: the %s starter of %s", b.lang, g.ch.ID)
	// The starter's failures are not the learner's: measure it on a scratch card.
	scratch := &grade{opts: g.opts, ch: g.ch, card: &reports.Card{}, rtt: g.rtt, iso: g.iso}
	t, ok := scratch.start(ctx, b.built, upstream, nil)
	if !ok {
		g.progress("baseline: skipped: the starter did not start: %s", scratch.card.Checks)
		return
	}
	defer t.stop()
	// A starter pays a round trip per row, about RTT × rows a request: two
	// timed requests (no warm-up: its connection is already open) show that
	// without doubling the grade's time. The card says how many were timed.
	warm, timed := 0, min(2, g.timed)
	_, stats, ok := scratch.send(ctx, t, warm+timed, "baseline", nil)
	if !ok {
		g.progress("baseline: skipped: %v", scratch.card.Checks)
		return
	}
	m, _ := metrics(stats, warm)
	m.Timeline = timeline(stats[busiest(stats)])
	g.card.Baseline = &reports.Baseline{Language: b.lang, Metrics: *m, Findings: check.NPlusOne(stats[busiest(stats)].statements)}
	g.progress("baseline: %s, %s, p95 %.1f ms", reports.Count(m.Statements, "data statement"), reports.Count(m.RoundTrips, "round trip"), m.Latency.P95)
}
