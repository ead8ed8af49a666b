package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Set by the release build with -ldflags "-X main.version=... -X main.commit=... -X main.date=...".
var (
	version = ""
	commit  = ""
	date    = ""
)

// develVersion is the version of a build that records none: `go run`, or
// a build without version control information.
const develVersion = "(devel)"

// Version returns the version of this build: the release's, else the
// module's as the go command recorded it (`go install module@v1.2.3`, or
// a pseudo-version such as v0.0.0-20261124173700-abcdef123456 for a build
// in a clone), else "(devel)".
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	return readBuild(bi, ok).version
}

// buildStamp is what a binary knows of its own build.
type buildStamp struct {
	version  string
	commit   string // the full revision, or ""
	date     string // the release's build date, or the commit's time
	dateIsVC bool   // date is the commit's time (vcs.time), not a build date
	modified bool   // built from a working tree with uncommitted changes
}

// readBuild reads the build's stamp: a release's -ldflags values first,
// else what the go command recorded (the module version and the vcs.*
// settings of a build in a clone, as `go build` and `go install ./...` write
// them unless -buildvcs=false), else nothing but "(devel)".
func readBuild(bi *debug.BuildInfo, ok bool) buildStamp {
	s := buildStamp{version: version, commit: commit, date: date}
	if s.version != "" {
		return s
	}
	s.version = develVersion
	if !ok || bi == nil {
		return s
	}
	if v := bi.Main.Version; v != "" && v != develVersion {
		s.version = v
	}
	for _, kv := range bi.Settings {
		switch kv.Key {
		case "vcs.revision":
			s.commit = kv.Value
		case "vcs.time":
			s.date, s.dateIsVC = kv.Value, true
		case "vcs.modified":
			s.modified = kv.Value == "true"
		}
	}
	return s
}

// String is the line `nplus1 version` prints.
func (s buildStamp) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "nplus1 %s", s.version)
	var about []string
	if s.commit != "" {
		about = append(about, "commit "+s.commit)
	}
	switch {
	case s.date != "" && s.dateIsVC:
		about = append(about, "committed "+s.date)
	case s.date != "":
		about = append(about, "built "+s.date)
	}
	if s.modified {
		about = append(about, "with uncommitted changes")
	}
	if len(about) == 0 {
		about = append(about, "no commit or date recorded: built with go run, without version control information (-buildvcs=false), or outside a git clone")
	}
	fmt.Fprintf(&b, " (%s)", strings.Join(about, ", "))
	return b.String()
}

// NewCmdVersion builds `nplus1 version`.
func NewCmdVersion(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of nplus1, its commit and date",
		Long: `Print the version of nplus1 and what is known of its build: a release's
version, commit and build date; for a build from a clone (go install
./cmd/nplus1), the module version and the commit and commit time the go
command recorded, and whether the working tree had uncommitted changes.
A build that recorded none of this (go run, -buildvcs=false) says (devel).`,
		Example: "  nplus1 version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			bi, ok := debug.ReadBuildInfo()
			fmt.Fprintln(f.IO.Out, readBuild(bi, ok))
			return nil
		},
	}
}
