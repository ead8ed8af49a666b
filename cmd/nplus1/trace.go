package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/nplus1/nplus1/grader"
	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/internal/procgroup"
	"github.com/spf13/cobra"
)

// TraceOptions are the inputs of `nplus1 trace`.
type TraceOptions struct {
	IO       IOStreams
	Provider func(context.Context, providerChoice) (postgres.Provider, error)

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
	opts := &TraceOptions{IO: f.IO, Provider: f.Provider}
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
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runTrace(cmd.Context(), opts)
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

// validate checks the flags before anything starts.
func (o *TraceOptions) validate() error {
	if o.JSON != "" {
		// Said now, not after a long session whose events it was to hold.
		if st, err := os.Stat(filepath.Dir(o.JSON)); err != nil || !st.IsDir() {
			return usageError("--json %s: its directory %s does not exist", o.JSON, filepath.Dir(o.JSON))
		}
	}
	switch {
	case o.RTT < 0:
		return usageError("--rtt %s: a round trip cannot be negative; give one such as 5ms", o.RTT)
	case o.Gap < 0:
		return usageError("--gap %s: a gap cannot be negative; give one such as 500ms (0: the whole run is one burst)", o.Gap)
	case o.Challenge == "" && (o.Seed != 0 || o.Size != 0):
		return usageError("--seed and --size choose a challenge's data: give --challenge too")
	case o.Seed < 0 || o.Seed > grader.MaxSeed:
		return usageError("--seed %d is out of range: use 1 to %d", o.Seed, grader.MaxSeed)
	case o.Size < 0:
		return usageError("--size %d: give a number of parent rows of 1 or more", o.Size)
	case o.Challenge != "" && o.DatabaseURL != "":
		return usageError("--challenge loads a challenge into a throwaway Postgres: it cannot be used with --database-url")
	case o.DatabaseURL == "" && o.Postgres != "auto" && o.Postgres != "local" && o.Postgres != "docker":
		return usageError("--postgres %q: use auto, local or docker (or --database-url)", o.Postgres)
	}
	return nil
}

func runTrace(ctx context.Context, opts *TraceOptions) error {
	port := 0 // PORT as the caller set it
	if !opts.PortSet {
		// A server reads PORT, as under grade.
		var err error
		if port, err = procgroup.FreePort(); err != nil {
			return err
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
		Gap:         opts.Gap,
		Stdin:       opts.IO.In,
		Stdout:      opts.IO.Out,
		Stderr:      opts.IO.ErrOut,
		Progress:    &tracePrefixWriter{w: opts.IO.ErrOut, bol: true},
	}
	if opts.DatabaseURL == "" {
		p, err := opts.Provider(ctx, providerChoice{Name: opts.Postgres})
		if err != nil {
			return err
		}
		topts.Provider = p
	}
	report, err := grader.Trace(ctx, topts)
	if err != nil {
		return err
	}
	report.Write(opts.IO.Out, opts.Verbose)
	if opts.JSON != "" {
		js, err := json.MarshalIndent(report, "", "  ")
		if err == nil {
			err = os.WriteFile(opts.JSON, append(js, '\n'), 0o644)
		}
		if err != nil {
			return fmt.Errorf("write --json: %w", err)
		}
	}
	if report.ExitCode != 0 {
		return &exitError{code: report.ExitCode}
	}
	return nil
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
