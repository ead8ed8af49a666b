package main

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docker/go-units"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nplus1/nplus1/grader"
	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/reports"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// GradeOptions are the inputs of `nplus1 grade`.
type GradeOptions struct {
	IO       IOStreams
	Now      func() time.Time
	Provider func(context.Context, providerChoice) (postgres.Provider, error)

	Solutions       []string
	Jobs            int
	Challenge       string
	ChallengeDir    string
	NoBaseline      bool
	Postgres        string
	DatabaseURL     string
	Image           string
	Out             string // --out; "" for the default, a directory per challenge and solution (see defaultCardDir)
	Seed            int64
	RTT             time.Duration
	Requests        int
	Size            int
	Python          string
	BuildTimeout    time.Duration
	ReadyTimeout    time.Duration
	RequestTimeout  time.Duration
	SolutionTimeout time.Duration
	Memory          string // --memory as given
	MemoryLimit     int64  // bytes; negative: none
	Sandbox         string // auto, required, off
	Verbose         bool
	Live, Color     bool // a live status line; colour (a terminal without NO_COLOR)
	JUnit           string
	Format          string
	MaxScore        float64
	SigningKey      ed25519.PrivateKey // from SigningKeyText
	SigningKeyText  string             // NPLUS1_SIGNING_KEY
	StepSummary     string             // $GITHUB_STEP_SUMMARY
	GitHubOutput    string             // $GITHUB_OUTPUT
}

// NewCmdGrade builds `nplus1 grade`. runF replaces runGrade in tests.
func NewCmdGrade(f *Factory, runF func(context.Context, *GradeOptions) error) *cobra.Command {
	opts := &GradeOptions{IO: f.IO, Now: f.Now, Provider: f.Provider}
	cmd := &cobra.Command{
		Use:   "grade [DIR...]",
		Short: "Grade a solution against a challenge on a real PostgreSQL",
		Long: `Grade the solution in DIR (default: the working directory, when it holds
an nplus1.yaml): build it, start a throwaway PostgreSQL, seed the challenge's
data, start the solution behind a tracing proxy, send the challenge's
requests, and judge the response, the data statements per request and the
latency at a simulated network round trip.

The solution is an HTTP program serving the challenge's endpoint on
127.0.0.1:$PORT and reading DATABASE_URL. Its nplus1.yaml may name the
challenge and the build and run commands; without one, go.mod or main.go
means Go and main.py means Python.

The card (result.json, result.md, badge.svg, badge.json) goes to
nplus1-results/<challenge>/<solution>/, where <solution> is DIR as given,
its slashes as dashes (./solution: solution), or to --out DIR. Each
directory keeps the latest card on top and every card in
history/<time>-<verdict>/, so a later failure never hides an earlier pass
(the terminal says where that pass is). Input that cannot be graded (no
such directory, a bad flag) writes no card, but to an --out that holds
none of a real grade, so CI finds one; a grade stopped with Ctrl-C writes
none but to --out.

With several directories, one Postgres serves them all, --jobs at a time:
one seed for the batch, each challenge's data seeded once and copied per
solution, the starter measured once for every card; each card goes to its
own directory as above, or to --out/<directory name>/.
Exit codes: 0 pass, 1 fail, 2 usage error, 3 could not grade.`,
		Example: `  # Grade the solution in the working directory (it holds nplus1.yaml)
  cd solution && nplus1 grade

  # Grade the Go reference solution of orders-users
  nplus1 grade challenges/orders-users/reference/go --challenge orders-users

  # Reproduce an earlier grade exactly (the seed is on its card)
  nplus1 grade ./solution --seed 1234567

  # PostgreSQL in a Docker container, with another image than postgres:17-alpine
  nplus1 grade ./solution --postgres docker --image postgres:16-alpine

  # Use an existing server instead of a throwaway one (needs CREATEDB, CREATEROLE)
  nplus1 grade ./solution --database-url postgres://me:secret@localhost:5432/postgres

  # A Python solution, with the interpreter that has psycopg2
  nplus1 grade ./solution --python /usr/bin/python3

  # Refuse to grade where the solution cannot be isolated (a platform's grader)
  nplus1 grade ./solution --sandbox required

  # Many solutions against one Postgres, two at a time; a card per solution
  nplus1 grade submissions/* --jobs 2 --out cards --no-baseline`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 {
				if _, err := os.Stat("nplus1.yaml"); err == nil {
					return nil // the solution is the working directory
				}
				return usageError("grade takes one or more solution directories, e.g. nplus1 grade ./solution (or, with no argument, run it in a solution directory: one holding nplus1.yaml, as nplus1 init writes)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{"."}
			}
			opts.Solutions = args
			if opts.DatabaseURL == "" {
				opts.DatabaseURL = f.Getenv("NPLUS1_DATABASE_URL")
			}
			if opts.Python == "" {
				opts.Python = f.Getenv("NPLUS1_PYTHON")
			}
			if !cmd.Flags().Changed("postgres") && f.Getenv("NPLUS1_POSTGRES") != "" {
				opts.Postgres = f.Getenv("NPLUS1_POSTGRES")
			}
			if !cmd.Flags().Changed("sandbox") && f.Getenv("NPLUS1_SANDBOX") != "" {
				opts.Sandbox = f.Getenv("NPLUS1_SANDBOX")
			}
			if !cmd.Flags().Changed("image") && f.Getenv("NPLUS1_POSTGRES_IMAGE") != "" {
				opts.Image = f.Getenv("NPLUS1_POSTGRES_IMAGE")
			}
			opts.SigningKeyText = f.Getenv("NPLUS1_SIGNING_KEY")
			opts.StepSummary, opts.GitHubOutput = f.Getenv("GITHUB_STEP_SUMMARY"), f.Getenv("GITHUB_OUTPUT")
			opts.Live = liveTerminal(f.IO.ErrOut, f.Getenv)
			opts.Color = opts.Live && f.Getenv("NO_COLOR") == ""
			if err := opts.validate(cmd.Flags()); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runGrade(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Challenge, "challenge", "c", "", "challenge id (default: the one the solution's nplus1.yaml names)")
	fl.StringVar(&opts.ChallengeDir, "challenge-dir", "", "grade against a challenge directory outside the catalog (for challenge authors)")
	fl.BoolVar(&opts.NoBaseline, "no-baseline", false, "skip measuring the challenge's broken starter for the before → after figures")
	fl.StringVar(&opts.Postgres, "postgres", "auto", "where Postgres comes from: auto (local, else docker), local (installed binaries), docker (a container) or url (--database-url); env NPLUS1_POSTGRES")
	fl.StringVar(&opts.Image, "image", postgres.DefaultImage, "PostgreSQL image for the docker provider (used as is when present locally, else pulled); env NPLUS1_POSTGRES_IMAGE")
	fl.StringVar(&opts.DatabaseURL, "database-url", "", "grade on an existing server: a temporary database and role are made and dropped; env NPLUS1_DATABASE_URL")
	fl.StringVarP(&opts.Out, "out", "o", "", "directory for the card: result.json, result.md, badge.svg, badge.json and history/ (default nplus1-results/<challenge>/<solution>/)")
	fl.Int64Var(&opts.Seed, "seed", 0, "seed of the random data (1-2147483647; default random, one for a whole batch; recorded in the card)")
	fl.DurationVar(&opts.RTT, "rtt", 0, "simulated network round trip (default: the challenge's)")
	fl.IntVar(&opts.Requests, "requests", 0, "timed requests (default: the challenge's)")
	fl.IntVar(&opts.Size, "size", 0, "data size in parent rows (default: the challenge's)")
	fl.StringVar(&opts.Python, "python", "", "Python interpreter for Python solutions (default python3); env NPLUS1_PYTHON")
	fl.DurationVar(&opts.BuildTimeout, "build-timeout", grader.DefaultBuildTimeout, "how long the solution's build may take (a Go build, or nplus1.yaml's build command)")
	fl.DurationVar(&opts.ReadyTimeout, "ready-timeout", 30*time.Second, "how long the solution may take to start listening")
	fl.DurationVar(&opts.RequestTimeout, "request-timeout", 30*time.Second, "how long one request may take")
	fl.DurationVar(&opts.SolutionTimeout, "solution-timeout", grader.DefaultSolutionTimeout, "how long all of the solution's requests may take together")
	fl.StringVar(&opts.Memory, "memory", "1GiB", "resident memory the solution may use, all its processes together (Linux), e.g. 512MiB or 2GiB; none for no limit")
	fl.StringVar(&opts.Sandbox, "sandbox", grader.SandboxAuto, "isolate the solution and its build (Linux namespaces): auto (where the system can; the card says sandbox: none where not), required (exit 3 where it cannot) or off; env NPLUS1_SANDBOX")
	fl.IntVarP(&opts.Jobs, "jobs", "j", 1, "with several solutions, how many to grade at once")
	fl.StringVar(&opts.JUnit, "junit", "", "also write the checks as a JUnit XML report to this file (one solution only)")
	fl.StringVar(&opts.Format, "format", "", "also write a CI platform's result: gradescope (<out>/results.json) or classroom (GitHub Classroom, to $GITHUB_OUTPUT); one solution only")
	fl.Float64Var(&opts.MaxScore, "max-score", 100, "points of a whole grade for --format, split evenly over the checks")
	fl.BoolVarP(&opts.Verbose, "verbose", "v", false, "show the solution's build and run output as it comes")
	return cmd
}

// validate checks the options before anything starts, and sets those read
// from them (the memory limit, the signing key). The output directory is
// made here, so that one that cannot be is said at once, not after the
// grade. A bad option still gets a card saying so, where --out allows.
func (o *GradeOptions) validate(fl *pflag.FlagSet) error {
	if o.Out != "" {
		if err := os.MkdirAll(o.Out, 0o755); err != nil {
			return writeError(fmt.Errorf("--out %s: cannot make the card directory: %w", o.Out, errors.Unwrap(err)))
		}
	} else if st, err := os.Stat(defaultOut); err == nil && !st.IsDir() {
		return usageError("%s is not a directory: the cards go under it; remove it or pass --out DIR", defaultOut)
	}
	err := o.check(fl)
	if err != nil {
		for i, dir := range grader.CardDirs(o.Out, o.Solutions) {
			if len(o.Solutions) == 1 {
				dir = o.Out
			}
			o.writeUsageCard(dir, grader.BareCard(grader.Options{Solution: o.Solutions[i], Challenge: o.Challenge, Version: Version()}, reports.Error, err.Error()))
		}
	}
	return err
}

func (o *GradeOptions) check(fl *pflag.FlagSet) error {
	switch o.Format {
	case "", "gradescope", "classroom":
	default:
		return usageError("--format %q: use gradescope or classroom", o.Format)
	}
	if o.Format == "classroom" && o.GitHubOutput == "" {
		fmt.Fprintln(o.IO.ErrOut, "nplus1: warning: --format classroom writes its result to $GITHUB_OUTPUT, which is not set (outside GitHub Actions?); the card is written as usual")
	}
	if len(o.Solutions) > 1 && (o.JUnit != "" || o.Format != "") {
		return usageError("--junit and --format take one solution; grade several with their cards in --out (or run one grade per solution for these reports)")
	}
	if o.JUnit != "" {
		if st, err := os.Stat(filepath.Dir(o.JUnit)); err != nil || !st.IsDir() {
			return usageError("--junit %s: its directory %s does not exist", o.JUnit, filepath.Dir(o.JUnit))
		}
	}
	if o.MaxScore <= 0 || math.IsInf(o.MaxScore, 0) || math.IsNaN(o.MaxScore) {
		return usageError("--max-score %g: give the points of a whole grade, more than 0, such as 100", o.MaxScore)
	}
	if o.RTT < 0 {
		return usageError("--rtt %s: a round trip cannot be negative; give one such as 5ms", o.RTT)
	}
	switch o.Sandbox {
	case grader.SandboxAuto, grader.SandboxRequired, grader.SandboxOff:
	default:
		return usageError("--sandbox %q: give auto, required or off", o.Sandbox)
	}
	if o.Jobs < 1 {
		return usageError("--jobs %d: grade 1 or more solutions at a time", o.Jobs)
	}
	for _, name := range []string{"build-timeout", "ready-timeout", "request-timeout", "solution-timeout"} {
		if d, _ := fl.GetDuration(name); fl.Changed(name) && d <= 0 {
			return usageError("--%s %s: give a duration of more than 0, such as 30s", name, d)
		}
	}
	if err := checkSeed(o.Seed, fl.Changed("seed")); err != nil {
		return err
	}
	for _, name := range []string{"requests", "size"} {
		if n, _ := fl.GetInt(name); fl.Changed(name) && n < 1 {
			return usageError("--%s %d: give a number of 1 or more", name, n)
		}
	}
	if o.DatabaseURL != "" {
		if _, err := pgconn.ParseConfig(o.DatabaseURL); err != nil {
			return usageError("--database-url (or NPLUS1_DATABASE_URL): %v", err)
		}
	}
	limit, err := parseMemory(o.Memory)
	if err != nil {
		return err
	}
	o.MemoryLimit = limit
	if o.SigningKeyText != "" {
		key, err := reports.LoadSigningKey(o.SigningKeyText)
		if err != nil {
			return usageError("%v", err)
		}
		o.SigningKey = key
	}
	return nil
}

// parseMemory reads --memory: a size such as 512MiB, 2g or 1073741824
// (bytes), or none (returned as -1).
func parseMemory(s string) (int64, error) {
	if s == "none" {
		return -1, nil
	}
	n, err := units.RAMInBytes(s)
	if err != nil || n < 64<<20 {
		return 0, usageError("--memory %q: give a size of at least 64MiB, such as 512MiB or 2GiB, or none", s)
	}
	return n, nil
}

func runGrade(ctx context.Context, opts *GradeOptions) error {
	p, err := opts.Provider(ctx, providerChoice{Name: opts.Postgres, Image: opts.Image, DatabaseURL: opts.DatabaseURL})
	if err != nil {
		return err
	}
	if len(opts.Solutions) > 1 {
		return runGradeMany(ctx, opts, p)
	}
	display := newProgressDisplay(opts.IO.ErrOut, opts.Live, opts.Color)
	gopts := opts.graderOptions(p)
	gopts.Solution = opts.Solutions[0]
	gopts.Progress = display.Grader()
	if opts.Verbose {
		gopts.SolutionOutput = display.Solution()
	}
	card, err := grader.Grade(ctx, gopts)
	display.Close()
	var ue *grader.UsageError
	if errors.As(err, &ue) {
		// CI looks for a card whatever happened.
		opts.writeUsageCard(opts.Out, grader.BareCard(gopts, reports.Error, err.Error()))
	}
	if err != nil {
		return err
	}
	dir := opts.Out
	if dir == "" {
		dir = defaultCardDir(card.Challenge.ID, opts.Solutions[0])
		if ctx.Err() != nil && card.Verdict == reports.Error {
			// Ctrl-C is no grade: the card and badge of the last one stay
			// (--out, for CI, gets a card whatever happened).
			reports.Summary(opts.IO.Out, card)
			fmt.Fprintf(opts.IO.Out, "no card written: the grade was interrupted; %s keeps the last one\n", dir)
			return verdictExit(card.Verdict)
		}
	}
	if err := opts.writeCard(card, dir); err != nil {
		return err
	}
	reports.Summary(opts.IO.Out, card)
	if opts.Verbose {
		for _, ph := range card.Phases {
			fmt.Fprintf(opts.IO.ErrOut, "  phase %-9s %6.2fs\n", ph.Name, ph.Seconds)
		}
	}
	fmt.Fprintf(opts.IO.Out, "card: %s\n", filepath.Join(dir, "result.md"))
	if note := cardNote(card, dir); note != "" {
		fmt.Fprintf(opts.IO.Out, "      %s\n", note)
	}
	return verdictExit(card.Verdict)
}

// secretFiles are the files a sandboxed solution must not see: the signing
// key, when NPLUS1_SIGNING_KEY names a file.
func (o *GradeOptions) secretFiles() []string {
	path := strings.TrimSpace(o.SigningKeyText)
	if path == "" {
		return nil
	}
	if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
		return nil // the key itself, not a file
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return []string{path}
}

// graderOptions are the options every grade of this command shares.
func (o *GradeOptions) graderOptions(p postgres.Provider) grader.Options {
	return grader.Options{
		Challenge:       o.Challenge,
		ChallengeDir:    o.ChallengeDir,
		NoBaseline:      o.NoBaseline,
		Provider:        p,
		Seed:            o.Seed,
		RTT:             o.RTT,
		Requests:        o.Requests,
		Size:            o.Size,
		Python:          o.Python,
		BuildTimeout:    o.BuildTimeout,
		ReadyTimeout:    o.ReadyTimeout,
		RequestTimeout:  o.RequestTimeout,
		SolutionTimeout: o.SolutionTimeout,
		MemoryLimit:     o.MemoryLimit,
		Sandbox:         o.Sandbox,
		Secrets:         o.secretFiles(),
		Version:         Version(),
		Now:             o.Now,
	}
}

// writeCard finishes a card (technique, portfolio line, signature) and
// writes it to dir with its badge, keeping a copy in dir's history (see
// reports.Card.Keep), and whatever CI outputs were asked for.
func (o *GradeOptions) writeCard(card *reports.Card, dir string) error {
	reports.Annotate(card)
	if o.SigningKey != nil {
		if err := reports.Sign(card, o.SigningKey); err != nil {
			return err
		}
	}
	if _, err := card.Keep(dir); err != nil {
		return err
	}
	if o.JUnit != "" {
		b, err := reports.JUnit(card)
		if err == nil {
			err = os.WriteFile(o.JUnit, b, 0o644)
		}
		if err != nil {
			return fmt.Errorf("write --junit: %w", err)
		}
	}
	switch o.Format {
	case "gradescope":
		b, err := reports.Gradescope(card, reports.GradescopeOptions{MaxScore: o.MaxScore})
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "results.json"), b, 0o644)
		}
		if err != nil {
			return fmt.Errorf("write the Gradescope results: %w", err)
		}
	case "classroom":
		r, err := reports.Classroom(card, o.MaxScore)
		if err == nil && o.GitHubOutput != "" {
			err = reports.AppendGitHubOutput(o.GitHubOutput, "result", r)
		}
		if err != nil {
			return fmt.Errorf("write the GitHub Classroom result: %w", err)
		}
	}
	if o.StepSummary != "" {
		if err := reports.AppendStepSummary(o.StepSummary, card); err != nil {
			return fmt.Errorf("append to GITHUB_STEP_SUMMARY: %w", err)
		}
	}
	return nil
}

// verdictExit maps a verdict to the command's exit.
func verdictExit(verdict string) error {
	switch verdict {
	case reports.Pass:
		return nil
	case reports.Fail:
		return &exitError{code: exitFail}
	}
	return &exitError{code: exitGradeError}
}

// failedChecks names a card's failed checks for the batch's table ("-"
// for a pass; "not graded" for an error, said below the table).
func failedChecks(card *reports.Card) string {
	if card.Verdict == reports.Error {
		return "not graded"
	}
	var failed []string
	for _, c := range card.Checks {
		if c.Status == reports.Fail {
			failed = append(failed, c.Name)
		}
	}
	if len(failed) == 0 {
		return "-"
	}
	return strings.Join(failed, ",")
}

// runGradeMany grades several solutions on one Postgres and prints a table.
func runGradeMany(ctx context.Context, opts *GradeOptions, p postgres.Provider) error {
	start := time.Now()
	outs := grader.CardDirs(cmp.Or(opts.Out, defaultOut), opts.Solutions)
	names := map[string]string{}
	for i, d := range opts.Solutions {
		names[d] = filepath.Base(outs[i])
	}
	display := newProgressDisplay(opts.IO.ErrOut, false, opts.Color)
	results, err := grader.GradeMany(ctx, opts.Solutions, opts.Jobs, opts.graderOptions(p), func(dir string) io.Writer {
		return display.Writer(fmt.Sprintf("nplus1 %s | ", names[dir]), false)
	})
	if err != nil {
		return err
	}
	code := exitPass // the worst: pass < fail < bad input < the machine
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOLUTION\tVERDICT\tWHY\tSTATEMENTS\tP95\tCARD")
	var notGraded []string       // why, for those whose grade could not be made
	taken := map[string]string{} // card directory -> its solution, under the default --out
	for i, r := range results {
		card, dir := r.Card, outs[i]
		if card == nil { // bad input: no grade began
			card = grader.BareCard(grader.Options{Solution: r.Solution, Challenge: opts.Challenge, Version: Version()}, reports.Error, r.Err.Error())
			opts.writeUsageCard(dir, card)
			if opts.Out == "" {
				dir = "" // no card
			}
		} else {
			if opts.Out == "" {
				dir = defaultCardDir(card.Challenge.ID, r.Solution)
				for n := 2; taken[dir] != "" && taken[dir] != r.Solution; n++ {
					dir = fmt.Sprintf("%s-%d", defaultCardDir(card.Challenge.ID, r.Solution), n)
				}
				taken[dir] = r.Solution
			}
			if err := opts.writeCard(card, dir); err != nil {
				return err
			}
		}
		statements, p95 := "-", "-"
		if m := card.Metrics; m != nil {
			statements, p95 = fmt.Sprint(m.Statements), fmt.Sprintf("%.1f ms", m.Latency.P95)
		}
		if card.Error != "" {
			notGraded = append(notGraded, fmt.Sprintf("%s: %s", r.Solution, shorten(card.Error, 200)))
		}
		where := "-"
		if dir != "" {
			where = filepath.Join(dir, "result.md")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Solution, card.Verdict, failedChecks(card), statements, p95, where)
		c := exitPass
		var ue *grader.UsageError
		switch {
		case errors.As(r.Err, &ue):
			c = exitUsage
		case card.Verdict == reports.Fail:
			c = exitFail
		case card.Verdict != reports.Pass:
			c = exitGradeError
		}
		code = max(code, c)
	}
	tw.Flush()
	for _, why := range notGraded {
		fmt.Fprintf(opts.IO.Out, "not graded: %s\n", why)
	}
	took := time.Since(start)
	graded := len(results) - len(notGraded)
	fmt.Fprintf(opts.IO.Out, "graded %s in %s (%.1f per minute, %d at a time)",
		reports.Count(graded, "solution"), took.Round(100*time.Millisecond), float64(graded)/took.Minutes(), opts.Jobs)
	if len(notGraded) > 0 {
		fmt.Fprintf(opts.IO.Out, "; %d could not be graded (see above)", len(notGraded))
	}
	fmt.Fprintln(opts.IO.Out)
	if code == exitPass {
		return nil
	}
	return &exitError{code: code}
}

// checkSeed refuses a --seed out of range; 0 is one when it was given (left
// out, the seed is random).
func checkSeed(seed int64, given bool) error {
	if seed < 0 || seed > grader.MaxSeed || (given && seed == 0) {
		return usageError("--seed %d is out of range: use 1 to %d, or leave --seed out for a random one", seed, grader.MaxSeed)
	}
	return nil
}

// shorten cuts s to its first line and at most n runes, marking a cut with
// an ellipsis; the whole text is on the card.
func shorten(s string, n int) string {
	line, _, more := strings.Cut(s, "\n")
	if r := []rune(line); len(r) > n {
		line, more = string(r[:n-1]), true
	}
	if more {
		line += "…"
	}
	return line
}
