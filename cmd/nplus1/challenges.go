package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/nplus1/nplus1/challenges"
	"github.com/spf13/cobra"
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
				return &exitError{code: exitGradeError, err: err}
			}
			tw := tabwriter.NewWriter(f.IO.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tLEVEL\tLIMIT\tTITLE")
			for _, c := range all {
				fmt.Fprintf(tw, "%s\t%s\t≤ %d statements\t%s\n", c.ID, c.Level, c.Limits.Statements, c.Title)
			}
			return tw.Flush()
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
			return nil
		},
	})
	return cmd
}
