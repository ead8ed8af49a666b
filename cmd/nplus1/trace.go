package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/nplus1/nplus1/challenges"
	"github.com/nplus1/nplus1/grader"
	"github.com/nplus1/nplus1/grader/check"
	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/grader/proxy"
	"github.com/nplus1/nplus1/grader/runner"
	"github.com/nplus1/nplus1/grader/sqlshape"
	"github.com/nplus1/nplus1/reports"
	"github.com/spf13/cobra"
)

// TraceOptions are the inputs of `nplus1 trace`.
type TraceOptions struct {
	IO IOStreams

	Command     []string
	DatabaseURL string
	Postgres    string
	Challenge   string
	Seed        int64
	Size        int
	Schemas     []string
	RTT         time.Duration
	Gap         time.Duration
	JSON        string
	Verbose     bool
	// PortSet: PORT is set in the environment already, and is kept.
	PortSet bool
}

// NewCmdTrace builds `nplus1 trace`. runF replaces runTrace in tests.
func NewCmdTrace(f *Factory, runF func(context.Context, *TraceOptions) error) *cobra.Command {
	opts := &TraceOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "trace [flags] -- COMMAND [ARGS...]",
		Short: "Run any program with its SQL traced at the wire, and find its N+1 queries",
		Long: `Run COMMAND with every SQL statement it sends traced at the wire protocol,
then print a timeline of its statements, a table by statement shape (count,
time, rows, an example, N+1) and the N+1 and over-fetch findings.

nplus1 starts a throwaway PostgreSQL (or uses --database-url as it is),
starts the tracing proxy, and runs COMMAND with DATABASE_URL and the PG*
variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) pointing at the
proxy, and PORT set to a free port (printed) unless PORT is set already, so
a solution serves where you can send it requests. On a throwaway PostgreSQL
the proxy connects as its administrator, so COMMAND may create tables and
write. --challenge loads a catalog challenge's schema and seed data first;
--schema runs SQL files first.

A request is not visible at the database, so the trace is cut into bursts
of activity: a burst ends when no statement runs for --gap (default 500ms;
0 makes the whole run one burst). N+1 findings are per burst: a data
statement shape run 3 or more times in one burst is an N+1, named with the
earlier statement whose rows fed it. Send requests a little apart to see
each on its own.

nplus1 exits with COMMAND's exit code. For a server that never exits,
press Ctrl-C: COMMAND is interrupted (SIGINT, then SIGKILL after 5s) and the
report covers what it did until then. Whatever COMMAND left running in its
process group is stopped when it exits.`,
		Example: `  # A Python app on a throwaway PostgreSQL with a challenge's data; Ctrl-C when done
  nplus1 trace --challenge orders-users -- python3 main.py

  # A test suite against your own development database
  nplus1 trace --database-url postgres://me:secret@localhost/dev -- go test ./...

  # Your schema, every event written as JSON, a 5 ms simulated round trip
  nplus1 trace --schema schema.sql --json trace.json --rtt 5ms -- ./app`,
		Args: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() < 0 || len(args) == 0 || cmd.ArgsLenAtDash() != 0 {
				return usageError("trace runs a command: nplus1 trace [flags] -- COMMAND [ARGS...]")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Command = args
			if opts.DatabaseURL == "" {
				opts.DatabaseURL = f.Getenv("NPLUS1_DATABASE_URL")
			}
			opts.PortSet = f.Getenv("PORT") != ""
			if opts.JSON != "" {
				// Said now, not after a long session whose events it was to hold.
				if st, err := os.Stat(filepath.Dir(opts.JSON)); err != nil || !st.IsDir() {
					return usageError("--json %s: its directory %s does not exist", opts.JSON, filepath.Dir(opts.JSON))
				}
			}
			if opts.RTT < 0 {
				return usageError("--rtt %s: a round trip cannot be negative; give one such as 5ms", opts.RTT)
			}
			if opts.Gap < 0 {
				return usageError("--gap %s: a gap cannot be negative; give one such as 500ms (0: the whole run is one burst)", opts.Gap)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if runF != nil {
				return runF(ctx, opts)
			}
			return runTrace(ctx, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.DatabaseURL, "database-url", "", "trace against this database as it is, instead of a throwaway PostgreSQL; env NPLUS1_DATABASE_URL")
	fl.StringVar(&opts.Postgres, "postgres", "auto", "where the throwaway PostgreSQL comes from: auto, local (installed binaries) or docker")
	fl.StringVarP(&opts.Challenge, "challenge", "c", "", "load this challenge's schema and seed data first")
	fl.Int64Var(&opts.Seed, "seed", 0, "seed of the challenge's data (default 1)")
	fl.IntVar(&opts.Size, "size", 0, "size of the challenge's data in parent rows (default: the challenge's)")
	fl.StringArrayVar(&opts.Schemas, "schema", nil, "run this SQL file before the command (repeatable)")
	fl.DurationVar(&opts.RTT, "rtt", 0, "simulated network round trip, added once per round trip")
	fl.DurationVar(&opts.Gap, "gap", 500*time.Millisecond, "idle time that ends a burst of activity (0: the whole run is one)")
	fl.StringVar(&opts.JSON, "json", "", "write every statement and round trip, and the findings, as JSON to this file")
	fl.BoolVarP(&opts.Verbose, "verbose", "v", false, "list every statement in the timeline, with its time, connection and rows")
	return cmd
}

func (o *TraceOptions) provider(ctx context.Context) (postgres.Provider, error) {
	switch o.Postgres {
	case "auto":
		p, err := postgres.Auto(ctx, postgres.AutoOptions{})
		if err != nil {
			return nil, &exitError{code: exitGradeError, err: err}
		}
		return p, nil
	case "local":
		return postgres.NewLocal(postgres.LocalOptions{}), nil
	case "docker":
		return postgres.NewDocker(postgres.DockerOptions{}), nil
	}
	return nil, usageError("--postgres %q: use auto, local or docker (or --database-url)", o.Postgres)
}

func runTrace(ctx context.Context, opts *TraceOptions) error {
	port := 0 // PORT as the caller set it
	if !opts.PortSet {
		// A server reads PORT, as under grade.
		var err error
		if port, err = runner.FreePort(); err != nil {
			return &exitError{code: exitGradeError, err: err}
		}
	}
	topts := grader.TraceOptions{
		Port:        port,
		Command:     opts.Command,
		DatabaseURL: opts.DatabaseURL,
		Challenge:   opts.Challenge,
		Seed:        opts.Seed,
		Size:        opts.Size,
		SchemaFiles: opts.Schemas,
		RTT:         opts.RTT,
		Stdin:       opts.IO.In,
		Stdout:      opts.IO.Out,
		Stderr:      opts.IO.ErrOut,
		Progress:    &tracePrefixWriter{w: opts.IO.ErrOut, bol: true},
	}
	if opts.DatabaseURL == "" {
		p, err := opts.provider(ctx)
		if err != nil {
			return err
		}
		topts.Provider = p
	}
	res, err := grader.Trace(ctx, topts)
	var ue *grader.UsageError
	var ce *grader.CommandError
	switch {
	case errors.As(err, &ue):
		return &exitError{code: exitUsage, err: err}
	case errors.As(err, &ce):
		return &exitError{code: 127, err: err}
	case err != nil:
		return &exitError{code: exitGradeError, err: err}
	}
	report := newTraceReport(opts.Command, res, opts.Gap)
	if port != 0 {
		report.URL = fmt.Sprintf("http://127.0.0.1:%d/", port)
		if opts.Challenge != "" {
			if ch, err := challenges.Load(opts.Challenge); err == nil {
				report.URL = fmt.Sprintf("http://127.0.0.1:%d%s", port, ch.Endpoint.Path)
			}
		}
	}
	report.write(opts.IO.Out, opts.Verbose)
	if opts.JSON != "" {
		js, err := json.MarshalIndent(report, "", "  ")
		if err == nil {
			err = os.WriteFile(opts.JSON, append(js, '\n'), 0o644)
		}
		if err != nil {
			return &exitError{code: exitGradeError, err: fmt.Errorf("write --json: %w", err)}
		}
	}
	if res.ExitCode != 0 {
		return &exitError{code: res.ExitCode}
	}
	return nil
}

// traceReport is what `nplus1 trace` prints, and writes with --json.
type traceReport struct {
	Command     []string          `json:"command"`
	ExitCode    int               `json:"exit_code"`
	Interrupted bool              `json:"interrupted"`
	ElapsedMS   float64           `json:"elapsed_ms"`
	Connections int               `json:"connections"`
	GapMS       float64           `json:"gap_ms"`
	Statements  []proxy.Statement `json:"statements"`
	RoundTrips  []proxy.RoundTrip `json:"round_trips"`
	Bursts      []traceBurst      `json:"bursts"`
	Shapes      []traceShape      `json:"shapes"`
	Problems    []string          `json:"problems,omitempty"`
	// URL is where a server that reads PORT serves (the challenge's
	// endpoint on it, with --challenge); "" when PORT was the caller's.
	URL string `json:"url,omitempty"`
}

// traceBurst is one burst of activity and what was found in it.
type traceBurst struct {
	First    int               `json:"first_seq"` // Seq of its first statement
	Count    int               `json:"statements"`
	Findings []reports.Finding `json:"findings,omitempty"`
	stmts    []proxy.Statement
}

// traceShape is one statement shape over the whole run.
type traceShape struct {
	reports.Shape
	TotalMS float64 `json:"total_ms"`
	MeanMS  float64 `json:"mean_ms"`
}

func newTraceReport(command []string, res *grader.TraceResult, gap time.Duration) *traceReport {
	r := &traceReport{
		Command: command, ExitCode: res.ExitCode, Interrupted: res.Interrupted,
		ElapsedMS: millis(res.Elapsed), Connections: res.Connections, GapMS: millis(gap),
		Statements: res.Statements, RoundTrips: res.RoundTrips, Problems: res.Problems,
	}
	nplus1 := map[string]bool{}
	for _, b := range check.Bursts(res.Statements, gap) {
		findings := append(check.NPlusOne(b), check.OverFetch(b)...)
		for i, f := range findings {
			if f.Kind == "n+1" {
				nplus1[f.Fingerprint] = true
			}
			// Trace sees bursts of activity, not requests.
			findings[i].Message = strings.Replace(f.Message, " in one request", " in one burst", 1)
		}
		r.Bursts = append(r.Bursts, traceBurst{First: b[0].Seq, Count: len(b), Findings: findings, stmts: b})
	}
	spent := map[string]time.Duration{}
	for _, s := range res.Statements {
		spent[sqlshape.Of(s.SQL).Fingerprint] += s.Duration
	}
	for _, sh := range check.Shapes(res.Statements) {
		sh.NPlusOne = nplus1[sh.Fingerprint]
		total := spent[sh.Fingerprint]
		r.Shapes = append(r.Shapes, traceShape{Shape: sh, TotalMS: millis(total), MeanMS: millis(total / time.Duration(max(1, sh.Count)))})
	}
	return r
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// write prints the report: a summary, the timeline of each burst, the
// table by shape, the findings and any protocol problems.
func (r *traceReport) write(w io.Writer, verbose bool) {
	data, catalog := 0, 0
	for _, s := range r.Statements {
		switch {
		case s.Data:
			data++
		case s.Catalog:
			catalog++
		}
	}
	how := fmt.Sprintf("exited %d", r.ExitCode)
	if r.Interrupted {
		how = fmt.Sprintf("was interrupted (exit %d)", r.ExitCode)
	}
	fmt.Fprintf(w, "\nnplus1 trace: `%s` %s after %s\n", reports.ShellWords(r.Command), how, time.Duration(r.ElapsedMS*1e6).Round(time.Millisecond))
	overhead := ""
	if catalog > 0 {
		overhead = fmt.Sprintf(", %d driver overhead reading only the system catalogs", catalog)
	}
	fmt.Fprintf(w, "%s (%d data, %d control%s) in %s on %s, %s of activity\n",
		reports.Count(len(r.Statements), "statement"), data, len(r.Statements)-data-catalog, overhead, reports.Count(len(r.RoundTrips), "round trip"),
		reports.Count(r.Connections, "connection"), reports.Count(len(r.Bursts), "burst"))
	if note := r.nothingNote(data); note != "" {
		fmt.Fprintln(w, note)
	}
	var t0 time.Time
	if len(r.Statements) > 0 {
		t0 = r.Statements[0].Start
	}
	for i, b := range r.Bursts {
		last := b.stmts[len(b.stmts)-1]
		fmt.Fprintf(w, "\n== burst %d: at +%.3fs, %s\n", i+1, b.stmts[0].Start.Sub(t0).Seconds(),
			roundDuration(last.Start.Add(last.Duration).Sub(b.stmts[0].Start)))
		if verbose {
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SEQ\tAT\tCONN\tMS\tROWS\tSTATEMENT")
			for _, s := range b.stmts {
				sql := strings.Join(strings.Fields(s.SQL), " ")
				if s.Error != "" {
					sql += "  -- error " + s.Error
				}
				fmt.Fprintf(tw, "%d\t+%.3fs\t%d\t%.2f\t%d\t%s\n", s.Seq, s.Start.Sub(t0).Seconds(), s.Conn, millis(s.Duration), s.Rows, sql)
			}
			tw.Flush()
		} else {
			fmt.Fprint(w, check.Listing(b.stmts))
		}
	}
	if len(r.Shapes) > 0 {
		fmt.Fprintln(w, "\n== statements by shape")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "COUNT\tTOTAL MS\tMEAN MS\tROWS\tN+1\tSTATEMENT")
		for _, s := range r.Shapes {
			flag := ""
			if s.NPlusOne {
				flag = "N+1"
			}
			fmt.Fprintf(tw, "%d\t%.2f\t%.3f\t%d\t%s\t%s\n", s.Count, s.TotalMS, s.MeanMS, s.Rows, flag, s.Example)
		}
		tw.Flush()
	}
	for i, b := range r.Bursts {
		for _, f := range b.Findings {
			fmt.Fprintf(w, "\n%s (burst %d): %s\n", strings.ToUpper(f.Kind), i+1, f.Message)
		}
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "\nprotocol: %s\n", p)
	}
}

// nothingNote says plainly why a trace shows nothing to look at: no
// connection, a connection but no statement, or only control statements,
// and, when it may be a server that was sent no request, to send some;
// "" when data statements ran.
func (r *traceReport) nothingNote(data int) string {
	send := "A server runs its SQL when it gets requests: send some while nplus1 trace runs"
	if r.URL != "" {
		send += fmt.Sprintf(" (e.g. curl %s)", r.URL)
	}
	send += ", then press Ctrl-C."
	switch {
	case len(r.Statements) == 0 && r.Connections == 0:
		start := "did the program start (its output is above)? It must read DATABASE_URL or the PG* variables."
		if r.Interrupted { // a server stopped with Ctrl-C: was it sent a request?
			return "No SQL reached the proxy, and no connection was made. " + send + " Else, " + start
		}
		return "No SQL reached the proxy, and no connection was made: " + start
	case len(r.Statements) == 0:
		return fmt.Sprintf("No SQL reached the proxy: the program connected (%s) but sent no statement. %s", reports.Count(r.Connections, "connection"), send)
	case data == 0:
		var names []string
		for _, s := range r.Shapes {
			names = append(names, s.Normalized)
		}
		return fmt.Sprintf("No data statement ran, only %s (%s): nothing read the data. %s",
			reports.Count(len(r.Statements), "control statement"), strings.Join(names, ", "), send)
	}
	return ""
}

// tracePrefixWriter tags nplus1's own progress lines, so they stand apart
// from the command's output on the same terminal.
type tracePrefixWriter struct {
	w   io.Writer
	bol bool
}

func (p *tracePrefixWriter) Write(b []byte) (int, error) {
	var out []byte
	for _, c := range b {
		if p.bol {
			out = append(out, "nplus1 | "...)
		}
		out = append(out, c)
		p.bol = c == '\n'
	}
	if _, err := p.w.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}

// roundDuration rounds d for reading: to 10µs below a millisecond (a short
// burst is not "0s"), to the millisecond above.
func roundDuration(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Millisecond)
}
