package grader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nplus1/nplus1/challenges"
	"github.com/nplus1/nplus1/grader/check"
	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/grader/proxy"
	"github.com/nplus1/nplus1/grader/runner"
	"github.com/nplus1/nplus1/grader/sqlshape"
	"github.com/nplus1/nplus1/reports"
)

// TraceOptions are the inputs of Trace: a command to run with its SQL
// traced.
type TraceOptions struct {
	// Command is the program to run and its arguments.
	Command []string
	// DatabaseURL, when set, is the database to trace as it is: the proxy
	// connects to it with its credentials, and nothing is created in it
	// unless SchemaFiles say so. Provider is then unused.
	DatabaseURL string
	// Provider starts a throwaway Postgres when DatabaseURL is empty. The
	// proxy connects as its administrator: the command may read and write.
	Provider postgres.Provider
	// Challenge, when set, loads a catalog challenge's schema and seed
	// data (Seed and Size as in a grade; 0 means seed 1 and the
	// challenge's size) into the throwaway Postgres.
	Challenge   string
	Seed        int64
	Size        int
	SchemaFiles []string // SQL files run, in order, before the command
	// RTT is the simulated network round trip, added once per round trip.
	RTT time.Duration
	// Gap is the idle time that ends a burst of activity (0: the whole run
	// is one burst).
	Gap time.Duration
	// Port, when not 0, is set as PORT for the command (a server serves
	// there, as under grade) and said on Progress, and the report's URL
	// names it.
	Port int
	// Stdin, Stdout and Stderr are the command's; nil means none.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Progress receives nplus1's own lines; nil discards them.
	Progress io.Writer
	// Grace is how long the command has to end after an interrupt before
	// it is killed (0: 5 s).
	Grace time.Duration
}

// CommandError is returned by Trace when the command could not be started
// at all (not found, not executable).
type CommandError struct{ Err error }

func (e *CommandError) Error() string { return e.Err.Error() }
func (e *CommandError) Unwrap() error { return e.Err }

// Trace runs a command with its database traced: it starts Postgres (or
// takes opts.DatabaseURL), loads the schema it is asked to, starts the
// proxy, and runs the command (see runner.Command) with DATABASE_URL and
// PG* pointing at the proxy. It returns when the command exits, or, once
// ctx is done, after interrupting it, with every statement the command
// ran, cut into bursts, and the N+1 and over-fetch findings of each burst.
// Everything Trace started is stopped and removed before it returns.
func Trace(ctx context.Context, opts TraceOptions) (*reports.Trace, error) {
	if len(opts.Command) == 0 {
		return nil, &UsageError{errors.New("no command to trace")}
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	if _, err := exec.LookPath(opts.Command[0]); err != nil {
		return nil, &CommandError{fmt.Errorf("run %s: %w", opts.Command[0], err)}
	}
	switch {
	case opts.Challenge == "" && (opts.Seed != 0 || opts.Size != 0):
		return nil, &UsageError{errors.New("a seed and a size choose a challenge's data: name the challenge too")}
	case opts.Seed < 0 || opts.Seed > MaxSeed:
		return nil, &UsageError{fmt.Errorf("seed %d is out of range: use 1 to %d", opts.Seed, MaxSeed)}
	case opts.Size < 0:
		return nil, &UsageError{fmt.Errorf("size %d: give a number of parent rows of 1 or more", opts.Size)}
	}
	sqlshape.Warm()
	var ch *challenges.Challenge
	if opts.Challenge != "" {
		if opts.DatabaseURL != "" {
			return nil, &UsageError{errors.New("a challenge is loaded into a throwaway Postgres, not into a database of one's own")}
		}
		var err error
		if ch, err = challenges.Load(opts.Challenge); err != nil {
			return nil, &UsageError{err}
		}
	}
	var schemas []string
	for _, f := range opts.SchemaFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, &UsageError{fmt.Errorf("read schema: %w", err)}
		}
		schemas = append(schemas, string(b))
	}

	cleanup := context.WithoutCancel(ctx)
	connString := opts.DatabaseURL
	if connString == "" {
		start := time.Now()
		inst, err := opts.Provider.Start(ctx)
		if err != nil {
			return nil, err
		}
		defer func() {
			tctx, cancel := context.WithTimeout(cleanup, 30*time.Second)
			defer cancel()
			if err := inst.Terminate(tctx); err != nil {
				fmt.Fprintf(opts.Progress, "warning: %v\n", err)
			}
		}()
		fmt.Fprintf(opts.Progress, "postgres: %s %s ready in %s\n", inst.Provider(), inst.Version(), time.Since(start).Round(time.Millisecond))
		connString = inst.ConnectionString()
	}
	upstream, err := pgconn.ParseConfig(connString)
	if err != nil {
		return nil, &UsageError{fmt.Errorf("database url: %w", err)}
	}
	if opts.DatabaseURL != "" {
		// Said now, not as a program that "sent no SQL" afterwards.
		conn, err := pgconn.ConnectConfig(ctx, upstream)
		if err != nil {
			return nil, fmt.Errorf("cannot reach the database to trace: %w", err)
		}
		conn.Close(cleanup)
	}
	if ch != nil || len(schemas) > 0 {
		if err := loadSchemas(ctx, connString, ch, opts.Seed, opts.Size, opts.SchemaFiles, schemas, opts.Progress); err != nil {
			return nil, err
		}
	}

	trace := &proxy.Trace{}
	password := randomHex(16)
	const user = "nplus1"
	px, err := proxy.Listen(proxy.Config{Upstream: upstream, User: user, Password: password, RTT: opts.RTT, Trace: trace})
	if err != nil {
		return nil, err
	}
	defer px.Close()
	addr := px.Addr()
	dbname := upstream.Database
	if dbname == "" {
		dbname = "postgres"
	}
	u := url.URL{
		Scheme: "postgres", User: url.UserPassword(user, password),
		Host: addr.String(), Path: "/" + dbname, RawQuery: "sslmode=disable",
	}
	env := []string{
		"DATABASE_URL=" + u.String(),
		"PGHOST=" + addr.IP.String(),
		"PGPORT=" + strconv.Itoa(addr.Port),
		"PGUSER=" + user,
		"PGPASSWORD=" + password,
		"PGDATABASE=" + dbname,
		"PGSSLMODE=disable",
	}
	fmt.Fprintf(opts.Progress, "proxy: %s (DATABASE_URL and PG* point here)\n", net.JoinHostPort(addr.IP.String(), strconv.Itoa(addr.Port)))
	serving := "" // where a server that reads PORT serves
	if port := opts.Port; port != 0 {
		env = append(env, "PORT="+strconv.Itoa(port))
		fmt.Fprintf(opts.Progress, "PORT=%d: a server that reads it serves on http://127.0.0.1:%d (set PORT to choose)\n", port, port)
		serving = fmt.Sprintf("http://127.0.0.1:%d/", port)
		if ch != nil {
			serving = fmt.Sprintf("http://127.0.0.1:%d%s", port, ch.Endpoint.Path)
		}
	}

	began := time.Now()
	code, interrupted, err := runner.Command{
		Argv: opts.Command, Env: env, Stdin: opts.Stdin, Stdout: opts.Stdout, Stderr: opts.Stderr, Grace: opts.Grace,
	}.Run(ctx)
	if err != nil {
		return nil, &CommandError{err}
	}
	elapsed := time.Since(began)
	px.Close() // ends the connections the command left open, so their last statements are in
	stmts, rounds := trace.Since(proxy.Mark{})
	r := &reports.Trace{
		Command: opts.Command, ExitCode: code, Interrupted: interrupted,
		ElapsedMS: reports.Millis(elapsed), Connections: trace.Connections(), GapMS: reports.Millis(opts.Gap),
		Statements: stmts, RoundTrips: rounds, Problems: trace.Problems(proxy.Mark{}), URL: serving,
	}
	findBursts(r, opts.Gap)
	return r, nil
}

// findBursts cuts the trace's statements into bursts of activity, gap
// apart, finds each burst's N+1 and over-fetch, and sums them by shape.
func findBursts(r *reports.Trace, gap time.Duration) {
	nplus1 := map[string]bool{}
	for _, b := range check.Bursts(r.Statements, gap) {
		findings := append(check.NPlusOne(b), check.OverFetch(b)...)
		for i, f := range findings {
			if f.Kind == "n+1" {
				nplus1[f.Fingerprint] = true
			}
			// Trace sees bursts of activity, not requests.
			findings[i].Message = strings.Replace(f.Message, " in one request", " in one burst", 1)
		}
		r.Bursts = append(r.Bursts, reports.TraceBurst{First: b[0].Seq, Count: len(b), Findings: findings, Statements: b, Listing: check.Listing(b)})
	}
	spent := map[string]time.Duration{}
	for _, s := range r.Statements {
		spent[sqlshape.Of(s.SQL).Fingerprint] += s.Duration
	}
	for _, sh := range check.Shapes(r.Statements) {
		sh.NPlusOne = nplus1[sh.Fingerprint]
		total := spent[sh.Fingerprint]
		r.Shapes = append(r.Shapes, reports.TraceShape{Shape: sh, TotalMS: reports.Millis(total), MeanMS: reports.Millis(total / time.Duration(max(1, sh.Count)))})
	}
}

// loadSchemas creates a challenge's schema and seeds it, then runs each
// schema file (schemas holds their contents), as the instance's
// administrator.
func loadSchemas(ctx context.Context, connString string, ch *challenges.Challenge, seed int64, size int, files, schemas []string, progress io.Writer) error {
	db, err := openDatabase(ctx, connString)
	if err != nil {
		return err
	}
	defer db.close(context.WithoutCancel(ctx))
	if ch != nil {
		if seed == 0 {
			seed = 1
		}
		if size == 0 {
			size = ch.Size
		}
		if err := db.createSchema(ctx, ch); err != nil {
			return err
		}
		if _, err := db.reseed(ctx, ch, seed, size); err != nil {
			return err
		}
		fmt.Fprintf(progress, "schema: %s, %d rows, seed %d\n", ch.ID, size, seed)
	}
	for i, sql := range schemas {
		if _, err := db.admin.Exec(ctx, sql); err != nil {
			return &UsageError{fmt.Errorf("run schema: %w", db.place(ctx, err, files[i], sql, ""))}
		}
	}
	return nil
}
