package grader

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nplus1/nplus1/challenges"
	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/grader/runner"
	"github.com/nplus1/nplus1/internal/setting"
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

// validate rejects options out of range. The CLI checks its flags first,
// in its own words.
func validate(opts Options) error {
	switch {
	case opts.Seed < 0 || opts.Seed > MaxSeed:
		return fmt.Errorf("seed %d is out of range: use 1 to %d", opts.Seed, MaxSeed)
	case opts.RTT < 0:
		return fmt.Errorf("round trip %s: it cannot be negative; give one such as 5ms", opts.RTT)
	case opts.Requests < 0:
		return fmt.Errorf("requests %d: give a number of timed requests of 1 or more", opts.Requests)
	case opts.Size < 0:
		return fmt.Errorf("size %d: give a number of parent rows of 1 or more", opts.Size)
	case opts.Sandbox != SandboxAuto && opts.Sandbox != SandboxRequired && opts.Sandbox != SandboxOff:
		return fmt.Errorf("sandbox %q: give auto, required or off", opts.Sandbox)
	}
	for _, t := range []struct {
		name string
		d    time.Duration
	}{{"build timeout", opts.BuildTimeout}, {"ready timeout", opts.ReadyTimeout}, {"request timeout", opts.RequestTimeout}, {"solution timeout", opts.SolutionTimeout}} {
		if t.d < 0 {
			return fmt.Errorf("%s %s: a timeout cannot be negative; give one such as 30s", t.name, t.d)
		}
	}
	return nil
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
	g := &grade{began: opts.Now(), opts: opts, ch: ch, sol: sol, rtt: ch.Limits.RTT, size: ch.Size, timed: ch.Latency.Requests, warm: ch.Latency.Warmup}
	if opts.RTT != 0 {
		g.rtt = opts.RTT
	}
	if opts.Size != 0 {
		g.size = opts.Size
	}
	if opts.Requests != 0 {
		g.timed = opts.Requests
	}
	if g.solDigest, err = digestDir(sol.Dir); err != nil {
		return nil, &UsageError{err}
	}
	g.sources = readSources(sol.Dir)
	return g, nil
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
		return nil, fmt.Errorf("which challenge? name it with %s or put `challenge: ID` in %s", setting.Challenge, filepath.Join(opts.Solution, runner.ManifestFile))
	}
	ch, err := challenges.Load(id)
	if err != nil && opts.Challenge == "" && errors.Is(err, challenges.ErrUnknown) {
		// The solution's own nplus1.yaml names it: the learner's to fix.
		return nil, &runner.ManifestError{Msg: fmt.Sprintf("%s:%d: %v", sol.ManifestPath, sol.Manifest.ChallengeLine, err)}
	}
	return ch, err
}
