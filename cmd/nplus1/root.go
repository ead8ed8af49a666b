package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nplus1/nplus1/grader"
	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/internal/setting"
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
	// Provider gives the PostgreSQL provider a command's flags choose (see
	// newProvider); each command's options hold it as a function of their
	// own, so a test can hand one a provider of its own.
	Provider func(ctx context.Context, choice providerChoice) (postgres.Provider, error)
}

// The packages below cmd point their messages at settings (package
// setting); this is how the command line spells them.
func init() {
	setting.Spell(map[setting.Setting]string{
		setting.Python:         "--python or NPLUS1_PYTHON",
		setting.SandboxOff:     "--sandbox off",
		setting.Local:          "--postgres local",
		setting.Docker:         "--postgres docker",
		setting.DatabaseURL:    "--database-url",
		setting.RequestTimeout: "--request-timeout",
		setting.Challenge:      "--challenge ID",
	})
}

// exitError carries an exit code out of a command. A nil err means the
// command already said what it had to. Other errors are mapped to a code
// by exitCode.
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

// writeError is the error of writing where the user asked: a path that
// cannot be written (a file where a directory should be, no such
// directory, no permission) is the input's fault (exit 2); anything else
// (a full disk) the machine's (exit 3).
func writeError(err error) error {
	if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR) || errors.Is(err, fs.ErrNotExist) ||
		errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrExist) {
		return &exitError{code: exitUsage, err: err}
	}
	return err
}

// usageError marks an error as the user's input being wrong (exit 2).
func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// Run runs the CLI with the given arguments and streams and returns the
// exit code. main is one line around it, so whole-CLI tests run in-process.
//
// Every command runs under one signal context: Ctrl-C, SIGTERM, SIGHUP (the
// terminal closed) and SIGPIPE (the output's reader went away, e.g.
// `| head`) end it, so that what it started (a Postgres, a solution, a
// traced command) is stopped rather than orphaned.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	defer stop()
	f := &Factory{IO: IOStreams{In: stdin, Out: stdout, ErrOut: stderr}, Now: time.Now, Getenv: os.Getenv, Provider: newProvider}
	root := NewCmdRoot(f)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	ran := false // cobra's own errors come before a command runs
	root.PersistentPreRun = func(*cobra.Command, []string) { ran = true }
	err := root.ExecuteContext(ctx)
	code := exitCode(err, ran)
	var ee *exitError
	switch {
	case err == nil:
	case !ran && !errors.As(err, &ee):
		fmt.Fprintf(stderr, "nplus1: %v\nRun 'nplus1 --help' for usage.\n", err)
	case !errors.As(err, &ee) || ee.err != nil:
		fmt.Fprintf(stderr, "nplus1: %v\n", err)
	}
	return code
}

// exitCode is the one place an error becomes an exit code: an *exitError
// says its own; the grader's *UsageError is the input's (2) and its
// *CommandError a command that could not be run (127, as in a shell); an
// error of cobra's, before the command ran, is the command line's (2);
// any other is the machine's (3).
func exitCode(err error, ran bool) int {
	var (
		ee *exitError
		ue *grader.UsageError
		ce *grader.CommandError
	)
	switch {
	case err == nil:
		return exitPass
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue) || !ran:
		return exitUsage
	case errors.As(err, &ce):
		return 127
	}
	return exitGradeError
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
