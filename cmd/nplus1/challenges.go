package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/nplus1/nplus1/challenges"
	"github.com/nplus1/nplus1/grader"
	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/reports"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// NewCmdChallenges builds `nplus1 challenges` and its subcommands.
func NewCmdChallenges(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "challenges",
		Short: "List the challenges and show their briefs",
		Example: `  nplus1 challenges list
  nplus1 challenges show orders-users`,
	}
	cmd.AddCommand(&cobra.Command{
		Use:     "list",
		Short:   "List the bundled challenges",
		Example: "  nplus1 challenges list",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			all, err := challenges.List()
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(f.IO.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tLEVEL\tLIMIT\tLANGUAGES\tTITLE")
			for _, c := range all {
				fmt.Fprintf(tw, "%s\t%s\t≤ %d statements\t%s\t%s\n", c.ID, c.Level, c.Limits.Statements, languages(c), c.Title)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintln(f.IO.Out, "\nLANGUAGES are those of the starters (nplus1 init ID DIR --lang LANG); a solution may be in any language.")
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:     "show ID",
		Short:   "Print a challenge's brief and limits",
		Example: `  nplus1 challenges show orders-users`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("show takes one challenge id (see nplus1 challenges list)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := challenges.Load(args[0])
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			w := f.IO.Out
			fmt.Fprintf(w, "%s (%s, %s)\n\n%s\n\n", c.Title, c.ID, c.Level, c.Summary)
			fmt.Fprintln(w, strings.TrimSpace(c.Brief))
			fmt.Fprintf(w, "\nEndpoint: %s %s\n", c.Endpoint.Method, c.Endpoint.Path)
			fmt.Fprintf(w, "Limits:   at most %d data statements per request; p95 under %s at a simulated %s round trip; %d rows\n",
				c.Limits.Statements, c.Limits.P95, c.Limits.RTT, c.Size)
			fmt.Fprintf(w, "Starters: %s\n", strings.Join(c.Languages("starter"), ", "))
			fmt.Fprintf(w, "References: %s\n", strings.Join(c.Languages("reference"), ", "))
			return nil
		},
	})
	cmd.AddCommand(newCmdValidate(f))
	return cmd
}

// languages names the languages of a challenge's starters, and of its
// references where they differ.
func languages(c *challenges.Challenge) string {
	starters, refs := c.Languages("starter"), c.Languages("reference")
	s := strings.Join(starters, ", ")
	if s == "" {
		s = "none"
	}
	if !slices.Equal(starters, refs) {
		r := strings.Join(refs, ", ")
		if r == "" {
			r = "none"
		}
		s += " (references: " + r + ")"
	}
	return s
}

// ValidateOptions are the inputs of `nplus1 challenges validate`.
type ValidateOptions struct {
	IO       IOStreams
	Provider func(context.Context, providerChoice) (postgres.Provider, error)

	Challenge   string // a challenge directory or id
	Python      string
	Postgres    string
	DatabaseURL string
	Requests    int
	Seed        int64
	// Repeat are the flags that, with the seed, repeat the run: all that
	// were given but the seed (said apart) and the database URL, which may
	// hold a password.
	Repeat []string
}

// newCmdValidate builds `nplus1 challenges validate`.
func newCmdValidate(f *Factory) *cobra.Command {
	opts := &ValidateOptions{IO: f.IO, Provider: f.Provider}
	cmd := &cobra.Command{
		Use:   "validate DIR|ID",
		Short: "Check a challenge: its files load, its references pass, its starters fail on the N+1",
		Long: `Validate a challenge directory (or a bundled challenge by id) like a grader
self-test: load challenge.yaml (problems are reported as file:line), run its
SQL, grade every reference (each must pass) and every starter (each must fail
on the statements check with an N+1 finding). Every program is graded on
the same data, from one seed (printed; --seed repeats a run).

Exit 0 when all hold, 1 when not, 2 for an unknown directory or id or a bad
flag, 3 when no PostgreSQL could be started.`,
		Example: `  nplus1 challenges validate ./my-challenge
  nplus1 challenges validate orders-users --python /usr/bin/python3

  # Repeat a run that failed, on the same data
  nplus1 challenges validate ./my-challenge --seed 1106615726`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("validate takes one challenge directory or id")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Challenge = args[0]
			if opts.Python == "" {
				opts.Python = f.Getenv("NPLUS1_PYTHON")
			}
			if err := checkSeed(opts.Seed, cmd.Flags().Changed("seed")); err != nil {
				return err
			}
			if opts.Requests < 1 {
				return usageError("--requests %d: give a number of 1 or more", opts.Requests)
			}
			cmd.Flags().Visit(func(fl *pflag.Flag) {
				if fl.Name != "seed" && fl.Name != "database-url" {
					opts.Repeat = append(opts.Repeat, "--"+fl.Name, fl.Value.String())
				}
			})
			return runValidate(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Python, "python", "", "Python interpreter for Python programs (default python3); env NPLUS1_PYTHON")
	cmd.Flags().StringVar(&opts.Postgres, "postgres", "auto", "where Postgres comes from: auto, local or url")
	cmd.Flags().StringVar(&opts.DatabaseURL, "database-url", "", "an existing server to validate on")
	cmd.Flags().IntVar(&opts.Requests, "requests", 3, "timed requests per program")
	cmd.Flags().Int64Var(&opts.Seed, "seed", 0, "seed of the random data, one for every program (1-2147483647; default random)")
	return cmd
}

// runValidate validates the challenge directory or id opts.Challenge.
func runValidate(ctx context.Context, opts *ValidateOptions) error {
	var (
		ch  *challenges.Challenge
		dir string
		err error
		arg = opts.Challenge
	)
	if st, statErr := os.Stat(arg); statErr == nil && st.IsDir() {
		dir = arg
		// A directory that does not load is a challenge that fails.
		if ch, err = challenges.LoadDir(arg); err != nil {
			return &exitError{code: exitFail, err: err}
		}
	} else if ch, err = challenges.Load(arg); err != nil {
		if strings.ContainsAny(arg, `/\.`) || statErr == nil {
			return usageError("%s is neither a challenge directory nor a challenge id (see nplus1 challenges list)", arg)
		}
		return &exitError{code: exitUsage, err: err}
	}
	if opts.Seed == 0 {
		opts.Seed = rand.Int64N(grader.MaxSeed) + 1
	}
	p, err := opts.Provider(ctx, providerChoice{Name: opts.Postgres, DatabaseURL: opts.DatabaseURL})
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "%s: challenge.yaml and the SQL files read; seed %d\n", ch.Source, opts.Seed)
	// One server for every program: a machine that cannot give one is said
	// once, as the machine's failure (exit 3), not as the programs'.
	results, err := grader.Validate(ctx, ch, dir, grader.Options{
		Provider: p, Python: opts.Python, Requests: opts.Requests, Version: Version(),
		Seed:     opts.Seed,
		Progress: newProgressDisplay(opts.IO.ErrOut, false, false).Grader(),
	})
	if err != nil {
		return err
	}
	ok := true
	for _, r := range results {
		mark := "ok  "
		if !r.OK {
			mark, ok = "FAIL", false
		}
		fmt.Fprintf(opts.IO.Out, "%s %-18s %s\n", mark, r.Program, r.Message)
	}
	if !ok {
		again := append([]string{"nplus1", "challenges", "validate", arg}, opts.Repeat...)
		again = append(again, "--seed", strconv.FormatInt(opts.Seed, 10))
		fmt.Fprintf(opts.IO.Out, "same data again: %s\n", reports.ShellWords(again))
		return &exitError{code: exitFail}
	}
	return nil
}
