package runner

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/nplus1/nplus1/internal/procgroup"
)

// Command is any program run to its end in a process group of its own,
// with the caller's terminal: how `nplus1 trace` runs the command it
// traces. Unlike a solution, it gets the grader's whole environment, less
// the variables that would point it at another database, and, as a
// solution does, Debian's Node.js modules on NODE_PATH after the caller's.
type Command struct {
	// Argv is the program and its arguments.
	Argv []string
	// Env is added to the grader's environment without DATABASE_URL and
	// the PG* variables: the caller's DATABASE_URL, PGHOST and so on.
	Env []string
	// Stdin, Stdout and Stderr are the program's; nil means none.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Grace is how long the program has to end after an interrupt before
	// its group is killed (0: 5 s).
	Grace time.Duration
}

// Run runs the command to its end or, once ctx is done, interrupts it
// (SIGINT to its group, then SIGKILL after Grace; interrupted is then
// true). Then it ends whatever the command left running in its group, as
// Process.Stop does. code is the shell's view of how the command ended:
// its status, or 128+N for signal N. The error is said only when the
// command could not be started.
func (c Command) Run(ctx context.Context) (code int, interrupted bool, err error) {
	grace := c.Grace
	if grace == 0 {
		grace = 5 * time.Second
	}
	cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
	cmd.Env = environ(notDatabaseEnv, append([]string{"NODE_PATH=" + nodePath()}, c.Env...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Stdin, c.Stdout, c.Stderr
	cmd.SysProcAttr = procAttr()
	cmd.WaitDelay = time.Second // output pipes a leftover child holds do not block Wait
	if err := cmd.Start(); err != nil {
		return 0, false, fmt.Errorf("run %s: %w", c.Argv[0], err)
	}
	pgid := cmd.Process.Pid
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait() // the state is in cmd.ProcessState
		close(exited)
	}()
	select {
	case <-exited:
	case <-ctx.Done():
		interrupted = true
		_ = procgroup.Signal(pgid, syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(grace):
			_ = procgroup.Signal(pgid, syscall.SIGKILL)
			_ = cmd.Process.Kill() // where there are no process groups
			<-exited
		}
	}
	_ = endGroup(pgid, exited, nil)
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), interrupted, nil
	}
	return cmd.ProcessState.ExitCode(), interrupted, nil
}

// notDatabaseEnv reports whether the variable named k stays in a traced
// command's environment: all but DATABASE_URL and the PG* variables,
// which would point it at another database.
func notDatabaseEnv(k string) bool {
	return k != "DATABASE_URL" && !(strings.HasPrefix(k, "PG") && k == strings.ToUpper(k))
}
