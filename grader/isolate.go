package grader

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nplus1/nplus1/grader/check"
	"github.com/nplus1/nplus1/grader/runner"
	"github.com/nplus1/nplus1/grader/sandbox"
)

// sandboxSupported reports whether this system can isolate a solution;
// tests stand in a system that cannot.
var sandboxSupported = sandbox.Supported

// errWallTime is the cause of a grade stopped by its watchdog.
var errWallTime = errors.New("the grade's wall-time limit passed")

// wallTime is how long a whole grade may take: every bound of its steps
// (the builds run side by side; the solution and the starter each start
// and answer), and two minutes for the database and the grader's own work.
func (g *grade) wallTime() time.Duration {
	if g.opts.WallTime > 0 {
		return g.opts.WallTime
	}
	o := g.opts
	return o.BuildTimeout + 2*(o.ReadyTimeout+o.SolutionTimeout+o.RequestTimeout) + 2*time.Minute
}

// overWallTime is the failure of a grade its watchdog stopped: the
// solution's once it had started (every step of the grader's own is bounded
// well within the limit), the grader's before.
func (g *grade) overWallTime() *check.Failure {
	msg := fmt.Sprintf("the grade ran past its wall-time limit of %s and was stopped", g.wallTime())
	if g.solution == nil {
		return machineFailure(errors.New(msg + ", before the solution started"))
	}
	return learnerFailure("wall-time", msg+" while the solution ran", g.solution.proc.Output())
}

// isolate decides whether the solution runs in a sandbox and records it on
// the card; with SandboxRequired, a system that cannot isolate is the
// grader's error.
func (g *grade) isolate() error {
	if g.opts.Sandbox == SandboxOff {
		g.sandbox = "none (turned off)"
		return nil
	}
	if err := sandboxSupported(); err != nil {
		if g.opts.Sandbox == SandboxRequired {
			return fmt.Errorf("sandbox required: %w", err)
		}
		g.sandbox = "none (" + err.Error() + ")"
		g.progress("warning: the solution runs without a sandbox: %v", err)
		return nil
	}
	cache, err := runner.SandboxCache()
	if err != nil {
		return fmt.Errorf("find a cache directory for the sandbox: %w", err)
	}
	// The sandbox cache (other solutions' compiled packages) is hidden
	// too: a build gets its Go caches bound back in, a program nothing.
	hide := append(append(hiddenFromSolutions(), g.opts.Secrets...), cache)
	g.iso = &runner.Isolation{Hide: hide, Cache: cache, Memory: g.opts.MemoryLimit}
	g.sandbox = sandbox.Describe
	return nil
}

// hiddenFromSolutions lists what a sandboxed solution must not see besides
// what every sandbox hides: the grader's temp dir (builds, clusters), the
// grader's caches and configuration, and the places credentials live in a
// home directory.
func hiddenFromSolutions() []string {
	hide := []string{os.TempDir()}
	if dir, err := os.UserCacheDir(); err == nil {
		hide = append(hide, filepath.Join(dir, "nplus1"))
	}
	if dir, err := os.UserConfigDir(); err == nil {
		hide = append(hide, filepath.Join(dir, "nplus1"), filepath.Join(dir, "gcloud"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		for _, p := range []string{".ssh", ".gnupg", ".aws", ".kube", ".docker", ".pgpass", ".netrc", ".git-credentials", ".config/gh"} {
			hide = append(hide, filepath.Join(home, p))
		}
	}
	return hide
}
