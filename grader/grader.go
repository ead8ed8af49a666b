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
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"runtime"
	"time"

	"github.com/nplus1/nplus1/challenges"
	"github.com/nplus1/nplus1/grader/check"
	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/grader/proxy"
	"github.com/nplus1/nplus1/grader/runner"
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
	// Python is the interpreter for Python solutions ("" = python3).
	Python string
	// ReadyTimeout bounds the wait for the solution to listen;
	// RequestTimeout bounds each request. Zero means 30 s each.
	ReadyTimeout, RequestTimeout time.Duration
	// Progress receives the grader's progress lines; nil discards them.
	Progress io.Writer
	// SolutionOutput receives a live copy of the solution's build and run
	// output; nil discards it.
	SolutionOutput io.Writer
	// Version is the grader's version, recorded in the card.
	Version string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// UsageError is returned by Grade when the input is wrong and no grade was
// attempted: a missing solution directory, an unknown challenge.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// maxBody caps a response body the grader reads.
const maxBody = 64 << 20

// Grade grades one solution. It returns a card whatever the outcome (a
// learner's failure is verdict "fail", a machine's is "error") and an error
// only for a *UsageError. Everything it started is stopped and removed
// before it returns.
func Grade(ctx context.Context, opts Options) (*reports.Card, error) {
	g, err := newGrade(opts)
	if err != nil {
		return nil, err
	}
	g.run(ctx)
	g.card.Decide()
	return g.card, nil
}

// grade is the state of one grade in progress.
type grade struct {
	opts  Options
	ch    *challenges.Challenge
	sol   *runner.Solution
	card  *reports.Card
	rtt   time.Duration
	size  int
	timed int
	warm  int
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
	if opts.Seed < 0 || opts.Seed > MaxSeed {
		return nil, &UsageError{fmt.Errorf("--seed %d is out of range: use 1 to %d", opts.Seed, MaxSeed)}
	}
	if opts.Seed == 0 {
		opts.Seed = rand.Int64N(MaxSeed) + 1
	}
	sol, err := runner.Detect(opts.Solution)
	if err != nil {
		return nil, &UsageError{err}
	}
	id := opts.Challenge
	if id == "" {
		id = sol.Manifest.Challenge
	}
	if id == "" {
		return nil, &UsageError{fmt.Errorf("which challenge? pass --challenge ID or put `challenge: ID` in %s", filepath.Join(opts.Solution, "nplus1.yaml"))}
	}
	ch, err := challenges.Load(id)
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
		Solution: reports.Solution{Path: opts.Solution, Language: sol.Language, Digest: solDigest},
		Environment: reports.Environment{
			Provider: opts.Provider.Name(), RTTMS: millis(g.rtt),
			Seed: opts.Seed, Size: g.size, OS: runtime.GOOS, Arch: runtime.GOARCH,
		},
	}
	return g, nil
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// progress writes one progress line.
func (g *grade) progress(format string, args ...any) {
	fmt.Fprintf(g.opts.Progress, format+"\n", args...)
}

// fail records a failed step (the learner's fault) with the solution's output.
func (g *grade) fail(name, msg, output string) {
	g.card.Checks = append(g.card.Checks, reports.Check{Name: name, Status: reports.Fail, Message: msg})
	g.card.Output = output
}

// machineError marks the card as not graded: the grader or the machine failed.
func (g *grade) machineError(err error) {
	g.card.Verdict = reports.Error
	g.card.Error = err.Error()
}

func (g *grade) run(ctx context.Context) {
	cleanup := context.WithoutCancel(ctx)

	g.progress("build: %s (%s)", g.sol.Dir, g.sol.Language)
	built, err := g.sol.Build(ctx, runner.BuildOptions{Python: g.opts.Python, Output: g.opts.SolutionOutput})
	if err != nil {
		var be *runner.BuildError
		if errors.As(err, &be) {
			g.fail("build", "the solution does not build: "+be.Error(), be.Output)
			return
		}
		g.machineError(fmt.Errorf("build the solution: %w", err))
		return
	}
	defer built.Close()

	start := g.opts.Now()
	inst, err := g.opts.Provider.Start(ctx)
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
	g.progress("postgres: %s %s ready in %s", inst.Provider(), inst.Version(), g.opts.Now().Sub(start).Round(time.Millisecond))

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
	if err := db.load(ctx, g.ch, g.opts.Seed, g.size); err != nil {
		g.machineError(err)
		return
	}
	want, err := db.expected(ctx, g.ch)
	if err != nil {
		g.machineError(err)
		return
	}
	if err := db.createRole(ctx); err != nil {
		g.machineError(err)
		return
	}
	g.progress("seed: %d rows of %s, seed %d", g.size, g.ch.ID, g.opts.Seed)

	upstream, err := db.roleConfig(inst.ConnectionString())
	if err != nil {
		g.machineError(err)
		return
	}
	trace := &proxy.Trace{}
	password := randomHex(16)
	px, err := proxy.Listen(proxy.Config{Upstream: upstream, User: "solution", Password: password, RTT: g.rtt, Trace: trace})
	if err != nil {
		g.machineError(err)
		return
	}
	defer px.Close()

	port, err := runner.FreePort()
	if err != nil {
		g.machineError(err)
		return
	}
	addr := px.Addr()
	env := []string{
		fmt.Sprintf("PORT=%d", port),
		fmt.Sprintf("DATABASE_URL=postgres://solution:%s@%s/nplus1?sslmode=disable", password, addr),
		"PGHOST=127.0.0.1",
		fmt.Sprintf("PGPORT=%d", addr.Port),
		"PGUSER=solution",
		"PGPASSWORD=" + password,
		"PGDATABASE=nplus1",
		"PGSSLMODE=disable",
	}
	proc, err := built.Start(ctx, runner.StartOptions{Port: port, Env: env, Output: g.opts.SolutionOutput, ReadyTimeout: g.opts.ReadyTimeout})
	if err != nil {
		var le runner.LearnerError
		if errors.As(err, &le) {
			g.fail("start", err.Error(), le.LearnerOutput())
			return
		}
		g.machineError(fmt.Errorf("start the solution: %w", err))
		return
	}
	defer proc.Stop()
	g.progress("start: listening on 127.0.0.1:%d", port)

	g.measure(ctx, fmt.Sprintf("http://127.0.0.1:%d%s", port, g.ch.Endpoint.Path), want, trace, proc)
	if g.card.Verdict != reports.Error && ctx.Err() != nil {
		g.machineError(fmt.Errorf("grade interrupted: %w", context.Cause(ctx)))
	}
}

// requestStats is what one request cost.
type requestStats struct {
	data, control, roundTrips, prepareOnly int
	elapsed                                time.Duration
	statements                             []proxy.Statement
}

// measure sends the warm-up and timed requests and judges them.
func (g *grade) measure(ctx context.Context, url string, want []byte, trace *proxy.Trace, proc *runner.Process) {
	client := &http.Client{Timeout: g.opts.RequestTimeout}
	total := g.warm + g.timed
	g.progress("measure: %d requests (%d warm-up) to %s %s at a %s round trip", total, g.warm, g.ch.Endpoint.Method, g.ch.Endpoint.Path, g.rtt)
	var (
		responses []check.Response
		stats     []requestStats
	)
	for i := 0; i < total; i++ {
		if ctx.Err() != nil {
			return
		}
		mark := trace.Mark()
		req, err := http.NewRequestWithContext(ctx, g.ch.Endpoint.Method, url, nil)
		if err != nil {
			g.machineError(err)
			return
		}
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			msg := fmt.Sprintf("request %d: %v", i+1, err)
			if exited, exitErr := proc.Exited(); exited {
				msg = fmt.Sprintf("request %d: the solution exited (%v)", i+1, exitErr)
			}
			g.fail("correct", msg, proc.Output())
			return
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
		resp.Body.Close()
		elapsed := time.Since(t0)
		if err != nil {
			g.fail("correct", fmt.Sprintf("request %d: reading the response: %v", i+1, err), proc.Output())
			return
		}
		if len(body) > maxBody {
			g.fail("correct", fmt.Sprintf("request %d: the response is over %d MiB", i+1, maxBody>>20), "")
			return
		}
		stmts, rts := trace.Since(mark)
		s := requestStats{elapsed: elapsed, statements: stmts, roundTrips: len(rts)}
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
		responses = append(responses, check.Response{Status: resp.StatusCode, Body: body})
		stats = append(stats, s)
	}
	g.judge(want, responses, stats)
}

// judge turns the measured requests into the card's checks and metrics.
func (g *grade) judge(want []byte, responses []check.Response, stats []requestStats) {
	m := &reports.Metrics{Requests: len(stats), Timed: g.timed}
	counts := make([]int, len(stats))
	busiest := 0
	for i, s := range stats {
		counts[i] = s.data
		if s.data > stats[busiest].data {
			busiest = i
		}
		m.Statements = max(m.Statements, s.data)
		m.ControlStatements = max(m.ControlStatements, s.control)
		m.RoundTrips = max(m.RoundTrips, s.roundTrips)
		m.PrepareOnlyRoundTrips = max(m.PrepareOnlyRoundTrips, s.prepareOnly)
	}
	var timed []time.Duration
	for _, s := range stats[g.warm:] {
		timed = append(timed, s.elapsed)
	}
	latency, l := check.Latency(timed, g.ch.Limits.P95, g.rtt)
	m.Latency = l
	g.card.Metrics = m
	g.card.Checks = append(g.card.Checks,
		check.Correct(want, responses),
		check.Statements(counts, g.ch.Limits.Statements),
		latency,
	)
	g.card.Shapes = check.Shapes(stats[busiest].statements)
	g.card.Findings = check.NPlusOne(stats[busiest].statements)
	g.progress("measure: %d data statements, %d round trips, p95 %.1f ms", m.Statements, m.RoundTrips, l.P95)
}
