package runner

import (
	"context"
	"errors"
	"fmt"
	"go/build"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/nplus1/nplus1/internal/filelock"
	"github.com/nplus1/nplus1/internal/procgroup"
)

// BuildOptions are the options of Solution.Build.
type BuildOptions struct {
	// Python is the interpreter for a detected Python solution, a name
	// looked up on PATH or a path; "" means "python3".
	Python string
	// Output, if not nil, gets a live copy of the build's output. It is
	// written from another goroutine while Build runs.
	Output io.Writer
	// Progress, if not nil, gets progress lines while Build runs, from
	// other goroutines: every ProgressEvery (0: DefaultProgressEvery) the
	// step under way and its time so far ("build: fetching modules (go list
	// -deps .), 10s so far", "build: compiling (go build -o solution .), 20s
	// so far"), and each module the go command downloads ("build:
	// downloading github.com/jackc/pgx/v5 v5.7.1"). A first build of a Go
	// solution may take a minute; these say it is not stuck.
	Progress      io.Writer
	ProgressEvery time.Duration
	// Cache, if not empty, is a directory where Go programs are kept
	// between builds, under CacheKey (a digest of the solution's files):
	// building the same files again, from any directory, costs the go
	// command's up-to-date check (about 0.1 s) instead of a link (about
	// 0.6 s). The go command still rebuilds whatever changed. The cache
	// keeps the cacheEntries most recently used programs. A cache that
	// cannot be used (not writable, no file locks) is done without.
	Cache, CacheKey string
	// Timeout bounds the build (0: no bound). A build stopped for taking
	// longer is the solution's failure: a *BuildError with Timeout set.
	Timeout time.Duration
	// Isolation, if not nil, builds in a sandbox, and the program is to
	// run in one (Built.Sandbox): the build works on a private copy of the
	// solution directory, which the program then runs in. A Go build's
	// modules are downloaded first, by the grader, as the sandbox has no
	// network; Cache is not used.
	Isolation *Isolation

	progress *buildProgress // from Progress, set by Build
}

// buildDirPrefix starts the name of every private build directory.
const buildDirPrefix = "nplus1-build-"

// cacheEntries is how many programs a build cache keeps.
const cacheEntries = 16

// Built is a solution ready to start. Close removes its build directory.
type Built struct {
	dir     string   // solution directory, the working directory
	tmp     string   // private build directory
	lock    *os.File // tmp's owner lock (filelock.LockDir), or nil
	argv    []string // the command that starts the program
	display string   // argv as the learner would type it
	lang    string   // Solution.Language, or Custom when nplus1.yaml has a run command
	work    string   // the private copy of dir a sandbox shows at dir, or ""
	module  string   // for a Go solution with no go.mod, the module around it
	env     []string // variables the program runs with, besides the caller's

	closeOnce sync.Once
	closeErr  error
}

// Build builds the solution once into a private temp dir: for Go, `go build`
// in the solution directory; for Python, nothing, but the interpreter must
// exist; for Custom, nplus1.yaml's build command, if any, with sh -c in the
// solution directory. The build gets the same scrubbed environment as the
// program (see Built.Start).
//
// A build that fails is a *BuildError holding its output. Any other error
// (no go toolchain, no interpreter, no sh, ctx done) is the machine's.
func (s *Solution) Build(ctx context.Context, opts BuildOptions) (*Built, error) {
	filelock.RemoveOrphans(os.TempDir(), buildDirPrefix+"*") // of graders that were killed
	tmp, err := os.MkdirTemp("", buildDirPrefix)
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	lock, err := filelock.LockDir(tmp)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("build: %w", err)
	}
	b := &Built{dir: s.Dir, tmp: tmp, lock: lock, lang: s.Language}
	opts.progress = newBuildProgress(opts)
	if s.Manifest.Run != "" {
		b.lang = Custom // nplus1.yaml's commands build and run it, whatever its stack
	}
	if opts.Isolation != nil {
		err = b.prepareSandbox(opts.Isolation)
	}
	if err == nil {
		err = b.build(ctx, s, opts)
	}
	if err != nil {
		_ = b.Close()
		return nil, err
	}
	return b, nil
}

func (b *Built) build(ctx context.Context, s *Solution, opts BuildOptions) error {
	lang := b.lang
	asOthers := opts.Isolation != nil && os.Geteuid() == 0 // the program runs as sandbox.SandboxUID
	switch baseOf(lang) {
	case Go:
		goBin, err := exec.LookPath("go")
		if err != nil {
			return fmt.Errorf("build go solution: the go toolchain is not installed or not on PATH: %w", err)
		}
		bin := filepath.Join(b.tmp, "solution")
		if err := checkMain(s.Dir); err != nil {
			return err
		}
		build := buildGo
		if opts.Isolation != nil {
			build = b.buildGoSandboxed
		}
		if err := build(ctx, s.Dir, b.tmp, goBin, bin, opts); err != nil {
			return err
		}
		b.argv, b.display = []string{bin}, "./solution"
	case Python:
		py := opts.Python
		if py == "" {
			py = "python3"
		}
		path, err := interpreter(Python, py, asOthers)
		if err != nil {
			return err
		}
		if err := b.checkPackages(ctx, lang, path, nil, opts); err != nil {
			return err
		}
		// -u: unbuffered, so output shows as it is printed.
		b.argv, b.display = []string{path, "-u", "main.py"}, py+" -u main.py"
	case Node:
		path, err := interpreter(Node, "node", asOthers)
		if err != nil {
			return err
		}
		b.env = []string{"NODE_PATH=" + nodePath()}
		if err := b.checkPackages(ctx, lang, path, b.env, opts); err != nil {
			return err
		}
		b.argv, b.display = []string{path, "main.js"}, "node main.js"
	case Ruby:
		path, err := interpreter(Ruby, "ruby", asOthers)
		if err != nil {
			return err
		}
		if err := b.checkPackages(ctx, lang, path, nil, opts); err != nil {
			return err
		}
		b.argv, b.display = []string{path, "main.rb"}, "ruby main.rb"
	case Java:
		return b.buildJava(ctx, lang, opts, asOthers)
	case Custom:
		sh, err := exec.LookPath("sh")
		if err != nil {
			return fmt.Errorf("custom solution: sh not found: %w", err)
		}
		if s.Manifest.Build != "" {
			argv := []string{sh, "-c", s.Manifest.Build}
			if opts.Isolation != nil {
				err = b.runSandboxed(ctx, argv, shortCommand(s.Manifest.Build), nil, opts)
			} else {
				err = runBuild(ctx, s.Dir, b.tmp, argv, shortCommand(s.Manifest.Build), opts)
			}
			if err != nil {
				return err
			}
		}
		if s.Manifest.Run == "" {
			return errors.New("custom solution: nplus1.yaml has no run command")
		}
		b.argv, b.display = []string{sh, "-c", s.Manifest.Run}, shortCommand(s.Manifest.Run)
	default:
		return fmt.Errorf("build: unknown language %q", s.Language)
	}
	return nil
}

// maxDisplay is how much of a command messages quote.
const maxDisplay = 200

// shortCommand is cmd as messages quote it: whole, or its first maxDisplay
// bytes (whole characters) and its length.
func shortCommand(cmd string) string {
	if len(cmd) <= maxDisplay {
		return cmd
	}
	cut := maxDisplay
	for cut > 0 && !utf8.RuneStart(cmd[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", cmd[:cut], len(cmd))
}

// buildGo builds the Go program in dir to bin, through opts.Cache if set.
// -trimpath keeps the directory out of the program, so the same files
// build to the same program wherever they are; -buildvcs=false lets a
// solution in a repository that git refuses to read (CI containers, other
// owners) build.
func buildGo(ctx context.Context, dir, scratch, goBin, bin string, opts BuildOptions) error {
	argv := func(out string) []string {
		return []string{goBin, "build", "-trimpath", "-buildvcs=false", "-o", out, "."}
	}
	if key := cacheKey(opts.CacheKey); opts.Cache != "" && key != "" {
		err := buildCached(ctx, dir, scratch, argv, bin, opts, key)
		if !errors.Is(err, errNoCache) {
			return err
		}
		// The cache cannot serve here (not writable, no file locks, a
		// full disk): build without it.
	}
	return runBuild(ctx, dir, scratch, argv(bin), goBuildDisplay, opts)
}

// checkMain returns a *NotMainError if the Go package in dir is not main:
// go build would make a library of it, with nothing to run. A directory
// go/build cannot read (no Go files, two packages, a syntax error) is left
// for go build to explain.
func checkMain(dir string) error {
	p, err := build.ImportDir(dir, 0)
	if err != nil || p.Name == "main" {
		return nil
	}
	files := append(p.GoFiles, p.CgoFiles...)
	if len(files) == 0 {
		return nil
	}
	file := files[0]
	if slices.Contains(files, "main.go") {
		file = "main.go"
	}
	return &NotMainError{File: file, Package: p.Name}
}

// goBuildDisplay is how a Go build is shown to the learner.
const goBuildDisplay = "go build -o solution ."

// errNoCache is wrapped by buildCached when the cache, not the solution,
// stood in the way.
var errNoCache = errors.New("build cache unusable")

// buildCached builds into the cache entry key and copies the program to
// bin: the grade runs its own copy, as a later build may replace the
// cached one. Builds of one entry wait for each other (a batch's
// baselines); builds of others do not.
func buildCached(ctx context.Context, dir, scratch string, argv func(string) []string, bin string, opts BuildOptions, key string) error {
	if err := os.MkdirAll(opts.Cache, 0o700); err != nil {
		return fmt.Errorf("%w: %v", errNoCache, err)
	}
	entry := filepath.Join(opts.Cache, key)
	lock, err := filelock.Lock(ctx, entry+".lock")
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("build: %w", err)
		}
		return fmt.Errorf("%w: %v", errNoCache, err)
	}
	defer lock.Close()
	if err := os.MkdirAll(entry, 0o700); err != nil {
		return fmt.Errorf("%w: %v", errNoCache, err)
	}
	cached := filepath.Join(entry, "solution")
	err = runBuild(ctx, dir, scratch, argv(cached), goBuildDisplay, opts)
	var be *BuildError
	if errors.As(err, &be) && strings.Contains(be.Output, opts.Cache) {
		return fmt.Errorf("%w: %v", errNoCache, err) // writing the program failed, not compiling it
	}
	if err != nil {
		return err
	}
	if err := copyFileMode(cached, bin, 0o755); err != nil {
		return fmt.Errorf("%w: %v", errNoCache, err)
	}
	now := time.Now()
	_ = os.Chtimes(entry, now, now) // most recently used
	pruneCache(opts.Cache)
	return nil
}

// cacheKey turns a digest ("sha256:<hex>") into an entry name, or "" if it
// is not one.
func cacheKey(digest string) string {
	hex, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(hex) < 32 || strings.Trim(hex, "0123456789abcdef") != "" {
		return ""
	}
	return hex[:32]
}

// pruneCache removes all but the cacheEntries most recently used entries
// of a build cache, skipping entries a build holds. One build prunes at a
// time; the others skip it.
func pruneCache(cache string) {
	lock, err := filelock.TryLock(filepath.Join(cache, ".lock"))
	if err != nil {
		return
	}
	defer lock.Close()
	entries, _ := os.ReadDir(cache)
	type entry struct {
		path string
		used time.Time
	}
	var dirs []entry
	for _, e := range entries {
		if info, err := e.Info(); err == nil && e.IsDir() {
			dirs = append(dirs, entry{filepath.Join(cache, e.Name()), info.ModTime()})
		}
	}
	if len(dirs) <= cacheEntries {
		return
	}
	slices.SortFunc(dirs, func(a, b entry) int { return b.used.Compare(a.used) })
	for _, d := range dirs[cacheEntries:] {
		held, err := filelock.TryLock(d.path + ".lock")
		if err != nil {
			continue // being built
		}
		os.RemoveAll(d.path)
		os.Remove(d.path + ".lock")
		held.Close()
	}
}

// copyFileMode copies the file src to dst, made with mode perm. On
// failure it removes dst: a program cut short (a full disk) keeps its build
// ID, and go build would take it as up to date.
func copyFileMode(src, dst string, perm os.FileMode) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(dst)
		}
	}()
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// runBuild runs a build command in dir, in its own process group, and kills
// whatever of the group is left when it is done. Its temporary files go to
// a directory under scratch (removed with the Built), so a build cut short
// leaves nothing behind. display is the command as the learner would type
// it.
func runBuild(ctx context.Context, dir, scratch string, argv []string, display string, opts BuildOptions) error {
	out := &tail{live: opts.Output}
	tmp := filepath.Join(scratch, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	parent := ctx
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = cleanEnv("TMPDIR="+tmp, "GOTMPDIR="+tmp)
	w := opts.progress.tee(out)
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = procAttr()
	// Interrupt first, as Ctrl-C would, so the build cleans up after itself;
	// WaitDelay kills it if it does not stop.
	cmd.Cancel = func() error { return procgroup.Signal(cmd.Process.Pid, syscall.SIGINT) }
	cmd.WaitDelay = 3 * time.Second // also: a leftover child holding the output open
	err := cmd.Start()
	if err != nil {
		return fmt.Errorf("build: %s: %w", display, err)
	}
	stop := opts.progress.step(buildStep(display))
	err = cmd.Wait()
	stop()
	// Kill what the build left behind (daemons). ErrWaitDelay: it exited
	// 0, but a child kept the output open.
	_ = procgroup.Signal(cmd.Process.Pid, syscall.SIGKILL)
	if err == nil || errors.Is(err, exec.ErrWaitDelay) {
		return nil
	}
	if parent.Err() != nil {
		return fmt.Errorf("build: %s: %w", display, context.Cause(parent))
	}
	if ctx.Err() != nil {
		return &BuildError{Command: display, Output: out.String(), Err: ctx.Err(), Timeout: opts.Timeout}
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return &BuildError{Command: display, Output: out.String(), Err: err}
	}
	return fmt.Errorf("build: %s: %w", display, err)
}

// Command is the command that starts the program, as the learner would
// type it in the solution directory: "./solution", "python3 -u main.py", or
// nplus1.yaml's run command (its start, if it is long: see shortCommand).
func (b *Built) Command() string { return b.display }

// Close removes the build directory. The Built must not be started after
// Close; processes already started are not affected (Stop them). It is safe
// to call more than once.
func (b *Built) Close() error {
	b.closeOnce.Do(func() {
		if err := os.RemoveAll(b.tmp); err != nil {
			b.closeErr = fmt.Errorf("remove build directory: %w", err)
		}
		if b.lock != nil {
			b.lock.Close()
		}
	})
	return b.closeErr
}
