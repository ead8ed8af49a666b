package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitPass       = 0
	exitFail       = 1 // the solution failed a check
	exitUsage      = 2 // the command line or the input is wrong
	exitGradeError = 3 // the grade could not be made: the machine, not the learner
)

// IOStreams are the streams a command reads and writes.
type IOStreams struct {
	In          io.Reader
	Out, ErrOut io.Writer
}

// Factory holds what commands depend on, so tests can replace it.
type Factory struct {
	IO     IOStreams
	Now    func() time.Time
	Getenv func(string) string
}

// exitError carries an exit code out of a command. A nil err means the
// command already said what it had to.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

// writeError is the exit error of writing where the user asked: a path that
// cannot be written (a file where a directory should be, no such
// directory, no permission) is the input's fault (exit 2); anything else
// (a full disk) the machine's (exit 3).
func writeError(err error) error {
	if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR) || errors.Is(err, fs.ErrNotExist) ||
		errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrExist) {
		return &exitError{code: exitUsage, err: err}
	}
	return &exitError{code: exitGradeError, err: err}
}

// usageError marks an error as the user's input being wrong (exit 2).
func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// Run runs the CLI with the given arguments and streams and returns the
// exit code. main is one line around it, so whole-CLI tests run in-process.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	f := &Factory{IO: IOStreams{In: stdin, Out: stdout, ErrOut: stderr}, Now: time.Now, Getenv: os.Getenv}
	root := NewCmdRoot(f)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return exitPass
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "nplus1: %v\n", ee.err)
		}
		return ee.code
	}
	// Anything else cobra returns is a command-line mistake.
	fmt.Fprintf(stderr, "nplus1: %v\nRun 'nplus1 --help' for usage.\n", err)
	return exitUsage
}

// NewCmdRoot builds the nplus1 command tree.
func NewCmdRoot(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "nplus1",
		Short: "Grade fixes of N+1 query problems against a real PostgreSQL",
		Long: `nplus1 grades a fix of an N+1 query problem. It starts a throwaway PostgreSQL,
seeds it, runs your HTTP handler with every SQL statement traced at the wire,
checks the answer, the statement count and the latency, and writes a result
card (result.json and result.md).

Exit codes: 0 pass, 1 fail, 2 usage error, 3 could not grade (the machine,
not your code).`,
		Example: `  # Grade a solution directory (its nplus1.yaml names the challenge)
  nplus1 grade ./solution

  # See the challenges and read one's brief
  nplus1 challenges list
  nplus1 challenges show orders-users`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageError("%v (see --help)", err)
	})
	root.AddCommand(NewCmdGrade(f, nil), NewCmdInit(f), NewCmdChallenges(f), NewCmdExport(f, nil),
		NewCmdKeygen(f, nil), NewCmdVerify(f, nil), NewCmdTrace(f, nil), NewCmdVersion(f))
	return root
}
