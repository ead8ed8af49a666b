package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/docker/go-units"
	"github.com/nplus1/nplus1/grader/sandbox"
	"github.com/nplus1/nplus1/internal/procgroup"
)

// prepareSandbox makes what a sandboxed build and program need: the build
// directory and a private copy of the solution there, both the sandbox's,
// and the Go caches.
func (b *Built) prepareSandbox(iso *Isolation) error {
	if err := shareWithSandbox(b.tmp); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	b.work = filepath.Join(b.tmp, "work")
	var be *BuildError
	if err := copySolution(b.dir, b.work); errors.As(err, &be) {
		return err
	} else if err != nil {
		return fmt.Errorf("build: copy the solution for its sandbox: %w", err)
	}
	for _, d := range []string{"tmp", "home"} {
		dir := filepath.Join(b.tmp, d)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("build: %w", err)
		}
		if err := shareWithSandbox(dir); err != nil {
			return fmt.Errorf("build: %w", err)
		}
	}
	if baseOf(b.lang) == Go {
		// The grader's own go list runs in the copy: no link may lead it
		// out. Other stacks' copies keep theirs, which only the sandbox
		// follows, to what it shows (a virtualenv's python3 is a link to
		// the system's).
		if err := dropLinksOut(b.work); err != nil {
			return fmt.Errorf("build: copy the solution for its sandbox: %w", err)
		}
		if !isFile(filepath.Join(b.work, "go.mod")) {
			if _, err := os.Lstat(filepath.Join(b.dir, "go.mod")); err == nil {
				return outOfSolution("go.mod is a link out of the solution directory, or not a regular file")
			}
			b.module = enclosingModule(b.dir)
		}
		if err := prepareCache(iso); err != nil {
			return fmt.Errorf("build: prepare the sandbox's Go cache %s: %w", iso.Cache, err)
		}
	}
	return nil
}

// buildGoSandboxed downloads the modules the solution's package needs, as
// the grader (the go command runs no code of theirs to list and download
// them), then builds in a sandbox with no network and no module proxy.
func (b *Built) buildGoSandboxed(ctx context.Context, _, scratch, goBin, bin string, opts BuildOptions) error {
	mod := filepath.Join(opts.Isolation.Cache, "gomod")
	// GOWORK=off: a go.work would name modules anywhere on the machine.
	env := []string{"GOMODCACHE=" + mod, "GOTOOLCHAIN=local", "GOENV=off", "GOWORK=off"}
	if b.module == "" {
		if err := replacesInside(ctx, goBin, b.work, env); err != nil {
			return err
		}
	}
	download, err := b.downloadModules(ctx, goBin, env, opts)
	if err != nil {
		return err
	}
	env = append(env,
		"GOCACHE="+filepath.Join(opts.Isolation.Cache, "gocache"),
		"GOPATH="+filepath.Join(scratch, "home", "go"),
		"HOME="+filepath.Join(scratch, "home"),
		"GOPROXY=off", "GOFLAGS=")
	argv := []string{goBin, "build", "-trimpath", "-buildvcs=false", "-o", bin, "."}
	err = b.runSandboxed(ctx, argv, goBuildDisplay, env, opts)
	var be *BuildError
	if errors.As(err, &be) && strings.Contains(be.Output, "GOPROXY=off") && download != "" {
		// A module the download could not fetch: its reason comes first.
		be.Output = "go list -deps . (fetching modules before the build):\n" + download + "\n" + be.Output
	}
	return err
}

// downloadModules fetches the modules the solution's package imports
// (`go list -e -deps .`) into the sandbox's module cache, and returns the
// errors it met, if any. It works in the solution's private copy, which
// may gain go.mod or go.sum lines (the learner's files are not touched); a
// solution without a go.mod of its own belongs to the module around it,
// whose files are used as they are. It runs as the grader, outside any
// sandbox, so its memory is watched: past goListMemory (a file it reads
// that never ends) it is stopped, a *BuildError.
func (b *Built) downloadModules(ctx context.Context, goBin string, env []string, opts BuildOptions) (string, error) {
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	var out strings.Builder
	cmd := exec.CommandContext(ctx, goBin, "list", "-e", "-deps", "-f", "{{with .Error}}{{.}}{{end}}", ".")
	cmd.Dir, env = b.work, append(env, "GOFLAGS=-mod=mod")
	if !isFile(filepath.Join(b.work, "go.mod")) {
		cmd.Dir, env = b.dir, append(env, "GOFLAGS=-mod=readonly")
	}
	cmd.Env = cleanEnv(env...)
	w := opts.progress.tee(&out)
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = procAttr()
	cmd.WaitDelay = 3 * time.Second
	stop := opts.progress.step("fetching modules (go list -deps .)")
	err := cmd.Start()
	var over atomic.Int64
	if err == nil {
		watched := make(chan struct{})
		go watchMemory(cmd.Process.Pid, goListMemory, watched, &over)
		err = cmd.Wait()
		close(watched)
		_ = procgroup.Signal(cmd.Process.Pid, syscall.SIGKILL)
	}
	stop()
	msg := strings.TrimSpace(out.String())
	if used := over.Load(); used > 0 {
		why := fmt.Sprintf("go list -deps . (fetching modules before the build) used %s of memory, over the %s it may, and was stopped: a file of the module's that never ends (a link to /dev/zero)?",
			units.BytesSize(float64(used)), units.BytesSize(goListMemory))
		return "", &BuildError{Command: goBuildDisplay, Output: why + "\n" + msg, Err: errors.New(why)}
	}
	if err != nil && msg == "" {
		msg = err.Error()
	}
	return msg, nil
}

// goListMemory is how much memory go list may use to fetch a solution's
// modules: a few hundred MiB for the largest module graphs.
const goListMemory = 1 << 30

// watchMemory kills the process group pgid once its resident memory passes
// limit, until done is closed; it stores what was used in over.
func watchMemory(pgid int, limit int64, done <-chan struct{}, over *atomic.Int64) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		members, _ := groupMembers(pgid)
		pids := make([]int, len(members))
		for i, m := range members {
			pids[i] = m.pid
		}
		if used := resident(pids); used > limit {
			over.Store(used)
			_ = procgroup.Signal(pgid, syscall.SIGKILL)
			return
		}
	}
}

// replacesInside returns a *BuildError if the go.mod in dir (the
// solution's copy) replaces a module with a directory out of dir: go list
// runs as the grader, which would read that directory's files (a go.mod
// linked to /dev/zero fills its memory), and the build would not be the
// solution's own.
func replacesInside(ctx context.Context, goBin, dir string, env []string) error {
	cmd := exec.CommandContext(ctx, goBin, "mod", "edit", "-json")
	cmd.Dir, cmd.Env = dir, cleanEnv(append(env, "GOFLAGS=")...)
	out, err := cmd.Output()
	if err != nil {
		return nil // a go.mod go cannot read: go build says why
	}
	var mod struct {
		Replace []struct {
			Old, New struct{ Path, Version string }
		}
	}
	if err := json.Unmarshal(out, &mod); err != nil {
		return fmt.Errorf("build: go mod edit -json: %w", err)
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	for _, r := range mod.Replace {
		to := r.New.Path
		if r.New.Version != "" {
			continue // a module, not a directory
		}
		if !filepath.IsAbs(to) {
			to = filepath.Join(root, to)
		}
		if real, err := filepath.EvalSymlinks(to); err == nil {
			to = real
		}
		if !within(root, filepath.Clean(to)) {
			return outOfSolution(fmt.Sprintf("go.mod replaces %s with the directory %s, out of the solution directory", r.Old.Path, r.New.Path))
		}
	}
	return nil
}

// outOfSolution is the build error of a Go solution that reaches out of
// its directory (why).
func outOfSolution(why string) *BuildError {
	return &BuildError{Command: goBuildDisplay, Output: why + ": the grader builds only the files inside the solution directory; put the files there (a replaced module in a subdirectory, named by a relative path)",
		Err: errors.New(why)}
}

// runSandboxed runs a build command in a sandbox, in the solution's
// private copy, with env added to the program's environment. Its errors
// are classed as runBuild's.
func (b *Built) runSandboxed(ctx context.Context, argv []string, display string, env []string, opts BuildOptions) error {
	_, err := b.runSandboxedOutput(ctx, argv, display, env, opts)
	return err
}

// runSandboxedOutput is runSandboxed, and returns the command's output
// (stdout and stderr, its last 64 KiB) when it succeeds.
func (b *Built) runSandboxedOutput(ctx context.Context, argv []string, display string, env []string, opts BuildOptions) (string, error) {
	out := &tail{live: opts.Output}
	parent := ctx
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return "", fmt.Errorf("build: %w", err)
	}
	sb, err := sandbox.Start(sandbox.Spec{Binds: b.binds(opts.Isolation, true), Hide: opts.Isolation.Hide, Output: pw, Memory: opts.Isolation.Memory})
	pw.Close() // the sandbox holds its own
	if err != nil {
		pr.Close()
		return "", fmt.Errorf("build: %w", err)
	}
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(opts.progress.tee(out), pr)
		close(copied)
	}()
	pl := &Place{sb: sb}
	defer func() {
		pl.Close() // what the build left behind (daemons) dies with it
		select {
		case <-copied:
		case <-time.After(time.Second):
		}
		pr.Close()
	}()
	tmp := filepath.Join(b.tmp, "tmp")
	env = cleanEnv(append([]string{"TMPDIR=" + tmp, "GOTMPDIR=" + tmp}, env...)...)
	if err := sb.Exec(argv, env, b.dir); err != nil {
		if errSandboxExec(err) {
			return "", &BuildError{Command: display, Output: err.Error(), Err: err}
		}
		return "", fmt.Errorf("build: %s: %w", display, err)
	}
	stop := opts.progress.step(buildStep(display))
	var overDisk atomic.Int64
	watched := make(chan struct{})
	go watchDisk(pl, b.tmp, watched, &overDisk)
	st, err := waitSandboxed(ctx, pl)
	close(watched)
	stop()
	if used := overDisk.Load(); used > 0 {
		<-copied
		return "", &BuildError{Command: display, Output: out.String(),
			Err: errors.New(overDiskNote(used, "a build"))}
	}
	switch {
	case parent.Err() != nil:
		return "", fmt.Errorf("build: %s: %w", display, context.Cause(parent))
	case err != nil:
		<-copied
		return "", &BuildError{Command: display, Output: out.String(), Err: ctx.Err(), Timeout: opts.Timeout}
	case st.code != 0:
		<-copied
		return "", &BuildError{Command: display, Output: out.String(), Err: errors.New(st.state)}
	}
	select {
	case <-copied:
	case <-time.After(time.Second):
	}
	return out.String(), nil
}
