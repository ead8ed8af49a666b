package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set by the release build with -ldflags "-X main.version=... -X main.commit=... -X main.date=...".
var (
	version = ""
	commit  = ""
	date    = ""
)

// Version returns the version of this build: the release's, else the
// module's as `go install` recorded it, else "dev".
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// NewCmdVersion builds `nplus1 version`.
func NewCmdVersion(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version of nplus1",
		Example: "  nplus1 version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintf(f.IO.Out, "nplus1 %s", Version())
			if commit != "" {
				fmt.Fprintf(f.IO.Out, " (commit %s, built %s)", commit, date)
			}
			fmt.Fprintln(f.IO.Out)
			return nil
		},
	}
}
