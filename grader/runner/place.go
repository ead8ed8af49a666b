package runner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/docker/go-units"
	"github.com/nplus1/nplus1/grader/sandbox"
)

// Isolation asks for a solution's build and program to run in sandboxes
// (see package sandbox) instead of as the grader.
type Isolation struct {
	// Hide lists host paths the solution must not see, besides what every
	// sandbox hides (/tmp, /run, /dev/shm...): the database's data
	// directory, key files.
	Hide []string
	// Cache is where sandboxed Go builds find modules (gomod/, downloaded
	// by the grader before the build, which has no network) and keep
	// compiled packages (gocache/, shared by the solutions this grader
	// builds). The sandbox's uid must be able to reach it.
	Cache string
	// Memory caps each sandbox's memory in bytes where the sandbox has a
	// cgroup (see sandbox.Spec.Memory; 0: none); elsewhere
	// StartOptions.MemoryLimit's watch does.
	Memory int64
}

// SandboxCache is the default Isolation.Cache: under the user's cache
// directory, or, for root, whose home the sandbox's uid cannot enter,
// /var/cache/nplus1/sandbox.
func SandboxCache() (string, error) {
	if os.Geteuid() == 0 {
		return "/var/cache/nplus1/sandbox", nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "nplus1", "sandbox"), nil
}

// Place is where a solution's program runs and is reached: this machine
// (a nil *Place), or a sandbox made for it by Built.Sandbox. Listen and
// Dial work in its network.
type Place struct {
	sb *sandbox.Sandbox
	// pr reads the program's output: the sandbox holds the write end.
	pr *os.File
}

// Sandbox makes a sandbox for the program: the solution directory (the
// build's private copy of it, writable) and the build directory are
// there; the rest of the machine is read-only or hidden. Close it if the
// program is never started; Process.Stop closes it otherwise.
func (b *Built) Sandbox(iso *Isolation) (*Place, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("make sandbox: %w", err)
	}
	sb, err := sandbox.Start(sandbox.Spec{Binds: b.binds(iso, false), Hide: iso.Hide, Output: pw, Memory: iso.Memory})
	pw.Close() // the sandbox holds its own
	if err != nil {
		pr.Close()
		return nil, err
	}
	return &Place{sb: sb, pr: pr}, nil
}

// Limits says what holds the place's processes to their limits (see
// sandbox.Sandbox.Limits); "" for this machine.
func (pl *Place) Limits() string {
	if !pl.Sandboxed() {
		return ""
	}
	return pl.sb.Limits()
}

// Sandboxed reports whether the place is a sandbox.
func (pl *Place) Sandboxed() bool { return pl != nil && pl.sb != nil }

// Listen listens on addr (127.0.0.1:PORT; port 0 for any free one on this
// machine) where the program can connect.
func (pl *Place) Listen(addr string) (net.Listener, error) {
	if !pl.Sandboxed() {
		return net.Listen("tcp", addr)
	}
	return pl.sb.Listen(addr)
}

// Dial connects to addr in the place's network.
func (pl *Place) Dial(ctx context.Context, addr string) (net.Conn, error) {
	if !pl.Sandboxed() {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
	return pl.sb.Dial(ctx, addr)
}

// Close ends the sandbox and every process in it.
func (pl *Place) Close() {
	if !pl.Sandboxed() {
		return
	}
	pl.sb.Kill()
}

// binds is what a sandbox of this solution shows besides the machine's
// read-only files: the private copy of the solution at the solution's own
// path, the build directory, and for a build, the Go caches and the module
// around a Go solution that has no go.mod of its own.
func (b *Built) binds(iso *Isolation, build bool) []sandbox.Bind {
	var binds []sandbox.Bind
	if build && b.module != "" {
		// A Go solution without a go.mod builds in the module around it,
		// which may be under a hidden directory: shown read-only, first, as
		// the solution's own copy goes over it.
		binds = append(binds, sandbox.Bind{Path: b.module})
	}
	binds = append(binds,
		sandbox.Bind{Path: b.tmp, Writable: build},
		sandbox.Bind{Source: b.work, Path: b.dir, Writable: true})
	if build && baseOf(b.lang) == Go {
		binds = append(binds,
			sandbox.Bind{Path: filepath.Join(iso.Cache, "gomod")},
			sandbox.Bind{Path: filepath.Join(iso.Cache, "gocache"), Writable: true})
	}
	return binds
}

// notCopied are directories of a solution its program does not need: the
// grader's own cards (when it grades from inside the solution) and git's.
var notCopied = map[string]bool{"nplus1-results": true, ".git": true}

// copySolution copies the solution directory to dst for the sandbox, owned
// by the sandbox's uid: regular files, directories and symbolic links
// (a Go solution's build then drops those that lead out: dropLinksOut),
// but notCopied. A directory of more than diskLimit bytes (a sparse file of a terabyte
// would fill the disk) is a *BuildError, before the copy passes it.
func copySolution(src, dst string) error {
	uid, gid := sandbox.HostUID(), sandbox.HostGID()
	chown := os.Geteuid() == 0
	var size int64
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		to := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() && path != src && notCopied[d.Name()] {
			return fs.SkipDir
		}
		if size += max(info.Size(), entryCost); size > diskLimit { // as overDisk counts
			why := fmt.Sprintf("the solution directory takes more than the %s its sandbox may hold (reached at %s, of %s; each file and directory counts for %s at least): keep in it what the program needs",
				units.BytesSize(float64(diskLimit)), rel, units.BytesSize(float64(info.Size())), units.BytesSize(entryCost))
			return &BuildError{Command: "copy the solution directory", Output: why, Err: errors.New(why)}
		}
		switch {
		case d.IsDir():
			err = os.MkdirAll(to, info.Mode().Perm()|0o700)
		case d.Type()&fs.ModeSymlink != 0:
			var target string
			if target, err = os.Readlink(path); err == nil {
				err = os.Symlink(target, to)
			}
		case d.Type().IsRegular():
			err = copyFileMode(path, to, info.Mode().Perm())
		default:
			return nil // sockets, devices, fifos: not part of a solution
		}
		if err == nil && chown {
			err = os.Lchown(to, uid, gid)
		}
		return err
	})
}

// dropLinksOut removes the symbolic links under dir that lead out of it,
// nowhere or round in a loop, until none is left. The grader's own steps
// on the copy (go list, which runs as the grader to fetch modules and
// writes go.mod and go.sum) would read and write through them: a go.sum
// linked to a missing /etc/cron.d/x is a file the grader makes, as root.
func dropLinksOut(dir string) error {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	for {
		dropped := false
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.Type()&fs.ModeSymlink == 0 {
				return err
			}
			if to, err := filepath.EvalSymlinks(path); err == nil && within(root, to) {
				return nil
			}
			dropped = true
			return os.Remove(path)
		})
		if err != nil || !dropped {
			return err
		}
	}
}

// shareWithSandbox gives the sandbox's uid the directory dir (a root
// grader's temp dirs are its own).
func shareWithSandbox(dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	return os.Chown(dir, sandbox.HostUID(), sandbox.HostGID())
}

// prepareCache makes iso.Cache's directories, the ones sandboxed builds
// write owned by the sandbox's uid.
func prepareCache(iso *Isolation) error {
	for _, d := range []string{iso.Cache, filepath.Join(iso.Cache, "gomod"), filepath.Join(iso.Cache, "gocache")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	return shareWithSandbox(filepath.Join(iso.Cache, "gocache"))
}

// waitSandboxed waits for a sandboxed program to end, or ctx to be done
// (then the sandbox is killed). The status is the program's.
func waitSandboxed(ctx context.Context, pl *Place) (sandboxState, error) {
	select {
	case <-pl.sb.Exited():
	case <-ctx.Done():
		pl.Close()
		return sandboxState{}, context.Cause(ctx)
	}
	select {
	case <-pl.sb.Reaped():
	case <-time.After(5 * time.Second):
	}
	return stateOf(pl.sb), nil
}

// sandboxState is how a sandboxed program ended.
type sandboxState struct {
	code  int    // exit code, or -1 if a signal ended it
	state string // as os.ProcessState prints it
}

func stateOf(sb *sandbox.Sandbox) sandboxState {
	st, ok := sb.Status()
	switch {
	case !ok:
		return sandboxState{-1, "the sandbox ended"}
	case st.Signaled():
		return sandboxState{-1, "signal: " + st.Signal().String()}
	default:
		return sandboxState{st.ExitStatus(), fmt.Sprintf("exit status %d", st.ExitStatus())}
	}
}

// errSandboxExec tells whether err is a program the sandbox could not
// start.
func errSandboxExec(err error) bool {
	var ee *sandbox.ExecError
	return errors.As(err, &ee)
}

// enclosingModule returns the nearest directory above dir that holds a
// go.mod, or "" if none does.
func enclosingModule(dir string) string {
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		if isFile(filepath.Join(d, "go.mod")) {
			return d
		}
		if d == filepath.Dir(d) {
			return ""
		}
	}
}

// DiskLimit is how much a sandboxed build or program may write to disk,
// in its build directory and its copy of the solution together: past it,
// it is stopped (a file alone is capped at 1 GiB by RLIMIT_FSIZE).
const DiskLimit = 2 << 30

// diskLimit is DiskLimit, which tests lower.
var diskLimit int64 = DiskLimit

// diskPoll is how often a sandboxed build's or program's disk use is
// measured.
const diskPoll = time.Second

// entryCost is the least an entry under a sandbox's directories counts
// for: a block and an inode. Empty files and directories take disk too:
// 700,000 directories, made in 27 s, took 2.7 GB and counted for none.
const entryCost = 4 << 10

// overDisk reports whether the files under dir take more than DiskLimit,
// and how much they take (counted up to just past the limit): each file,
// directory or link its size, and at least entryCost.
func overDisk(dir string) (bool, int64) {
	var used int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || used > diskLimit {
			return fs.SkipAll
		}
		if info, err := d.Info(); err == nil {
			used += max(info.Size(), entryCost)
		}
		return nil
	})
	return used > diskLimit, used
}

// overDiskNote says that who (a build, a solution) was stopped for
// writing used bytes, past diskLimit.
func overDiskNote(used int64, who string) string {
	return fmt.Sprintf("it wrote %s to disk, over the %s %s may, and was stopped", units.BytesSize(float64(used)), units.BytesSize(float64(diskLimit)), who)
}

// watchDisk stops the sandbox of pl once the files under dir pass
// DiskLimit, until done is closed; it stores what was used in over.
func watchDisk(pl *Place, dir string, done <-chan struct{}, over *atomic.Int64) {
	tick := time.NewTicker(diskPoll)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		if ok, used := overDisk(dir); ok {
			over.Store(used)
			pl.Close()
			return
		}
	}
}
