package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// initName is os.Args[0] of a sandbox's init process.
const initName = "nplus1-sandbox-init"

// privateTmp are the directories every sandbox gets a private, writable
// tmpfs over.
var privateTmp = []string{"/tmp", "/var/tmp", "/dev/shm", "/run", "/var/run"}

// tmpfsSize bounds each private tmpfs (it is memory, which the runner's
// watch counts with the program's): /tmp has room, the others little; a
// hidden directory's tmpfs is read-only and holds only mount points.
func tmpfsSize(p string) string {
	switch {
	case p == "/tmp":
		return "256m"
	case slices.Contains(privateTmp, p):
		return "32m"
	}
	return "1m"
}

func init() {
	if len(os.Args) > 0 && os.Args[0] == initName {
		os.Exit(runInit())
	}
}

// runInit is the init process: it sets up the namespaces it was started
// in, then serves the grader's requests until the program ends or the
// grader goes.
func runInit() int {
	// Descriptors the grader's own parent left open without close-on-exec
	// (a shell's redirection, a CI runner's pipe) came along: the program
	// must not get them.
	closeOnExec(3)
	f := os.NewFile(3, "sandbox-control")
	fc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return 125
	}
	ctl := fc.(*net.UnixConn)
	// PID 1 gets from inside its namespace only the signals it handles:
	// these are handled by dropping them. (Handled, not ignored: an
	// ignored signal stays ignored in the program started, and a program
	// must stop on SIGTERM.)
	drop := make(chan os.Signal, 16)
	signal.Notify(drop, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1,
		syscall.SIGUSR2, syscall.SIGPIPE, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGALRM)
	go func() {
		for range drop {
		}
	}()
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)

	in := &initProcess{ctl: ctl}
	buf := make([]byte, 256<<10)
	for {
		n, err := ctl.Read(buf)
		if err != nil || n == 0 {
			return 0 // the grader is gone: so are we, and everything here
		}
		var m message
		if err := json.Unmarshal(buf[:n], &m); err != nil {
			in.reply(message{Err: "bad request: " + err.Error()}, -1)
			continue
		}
		in.serve(m)
	}
}

// closeOnExec marks every descriptor from first on close-on-exec.
func closeOnExec(first int) {
	if unix.CloseRange(uint(first), ^uint(0), unix.CLOSE_RANGE_CLOEXEC) == nil {
		return
	}
	entries, _ := os.ReadDir("/proc/self/fd") // kernels before 5.11
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd >= first {
			_, _ = unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC)
		}
	}
}

type initProcess struct {
	ctl     *net.UnixConn
	started bool
	// serving is held while a request is served, and by reap before it
	// exits: a dial that reached the program just before it ended still
	// gets its reply (its socket, with what the program wrote), and the
	// grader reads the program's end after it.
	serving sync.Mutex
}

func (in *initProcess) reply(m message, fd int) {
	b, _ := json.Marshal(m)
	var oob []byte
	if fd >= 0 {
		oob = unix.UnixRights(fd)
	}
	_, _, _ = in.ctl.WriteMsgUnix(b, oob, nil)
}

func (in *initProcess) serve(m message) {
	in.serving.Lock()
	defer in.serving.Unlock()
	switch m.Op {
	case "setup":
		if err := setup(m); err != nil {
			in.reply(message{Err: err.Error()}, -1)
			os.Exit(1)
		}
		in.reply(message{}, -1)
	case "listen":
		l, err := net.Listen("tcp", m.Addr)
		if err != nil {
			in.reply(message{Err: err.Error()}, -1)
			return
		}
		f, err := l.(*net.TCPListener).File()
		l.Close()
		in.replyFile(f, err)
	case "dial":
		c, err := net.DialTimeout("tcp", m.Addr, 2*time.Second)
		if err != nil {
			in.reply(message{Err: err.Error()}, -1)
			return
		}
		f, err := c.(*net.TCPConn).File()
		c.Close()
		in.replyFile(f, err)
	case "exec":
		if in.started {
			in.reply(message{Err: "a sandbox runs one program"}, -1)
			return
		}
		pid, err := startProgram(m)
		if err != nil {
			in.reply(message{Err: err.Error()}, -1)
			return
		}
		in.started = true
		in.reply(message{}, -1)
		go in.reap(pid)
	case "sockmem":
		n, err := unixSocketMemory()
		if err != nil {
			in.reply(message{Err: err.Error()}, -1)
			return
		}
		in.reply(message{Bytes: n}, -1)
	default:
		in.reply(message{Err: "unknown request " + m.Op}, -1)
	}
}

func (in *initProcess) replyFile(f *os.File, err error) {
	if err != nil {
		in.reply(message{Err: err.Error()}, -1)
		return
	}
	in.reply(message{}, int(f.Fd()))
	f.Close()
}

// reap reaps every process that ends in the namespace, as PID 1 must; once
// the program itself ends, it tells the grader how and exits, which ends
// every process left.
func (in *initProcess) reap(program int) {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || pid == program {
			in.serving.Lock() // never unlocked: we exit
			in.reply(message{Exited: true, Status: int(ws)}, -1)
			os.Exit(0)
		}
	}
}

// startProgram starts the program from a thread that has given up every
// capability, so that the program has none.
func startProgram(m message) (int, error) {
	if len(m.Argv) == 0 || !filepath.IsAbs(m.Argv[0]) {
		return 0, fmt.Errorf("exec: the program must be an absolute path, not %q", m.Argv)
	}
	type started struct {
		pid int
		err error
	}
	done := make(chan started)
	go func() {
		// Never unlocked: the thread, stripped of capabilities, ends with
		// this goroutine.
		runtime.LockOSThread()
		if err := dropCapabilities(); err != nil {
			done <- started{err: fmt.Errorf("drop capabilities: %w", err)}
			return
		}
		if err := denyHiddenMemory(); err != nil && err != unix.ENOSYS && err != unix.EINVAL {
			// (A kernel without seccomp filters: the memory watch is left.)
			done <- started{err: fmt.Errorf("seccomp filter: %w", err)}
			return
		}
		cmd := &exec.Cmd{Path: m.Argv[0], Args: m.Argv, Env: m.Env, Dir: m.Dir, Stdout: os.Stdout, Stderr: os.Stderr}
		if err := cmd.Start(); err != nil {
			done <- started{err: err}
			return
		}
		done <- started{pid: cmd.Process.Pid}
	}()
	s := <-done
	return s.pid, s.err
}

// dropCapabilities empties the calling thread's capability sets, bounding
// and ambient included, and sets no_new_privs: a program it starts runs
// with no privilege, even in the sandbox's own namespaces.
func dropCapabilities() error {
	for c := 0; c <= unix.CAP_LAST_CAP; c++ {
		_ = unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0)
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return err
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return err
	}
	return unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
}

// setup makes the sandbox's file system, network and limits.
func setup(m message) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	// The binds' sources are opened now, before anything hides them.
	var sources []*os.File
	for _, b := range m.Binds {
		if b.Source == "" {
			b.Source = b.Path
		}
		f, err := os.OpenFile(b.Source, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("bind %s: %w (the sandbox runs as uid %d, which must be able to reach it)", b.Source, err, os.Getuid())
		}
		defer f.Close()
		sources = append(sources, f)
	}
	writable := slices.Clone(privateTmp)
	hide := append(slices.Clone(privateTmp), m.Hide...)
	slices.SortFunc(hide, func(a, b string) int { return strings.Count(a, "/") - strings.Count(b, "/") })
	for _, p := range hide {
		if err := hidePath(p); err != nil {
			return err
		}
	}
	for i, b := range m.Binds {
		if err := os.MkdirAll(b.Path, 0o755); err != nil {
			return fmt.Errorf("bind %s: %w", b.Path, err)
		}
		src := fmt.Sprintf("/proc/self/fd/%d", sources[i].Fd())
		if err := unix.Mount(src, b.Path, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind %s: %w", b.Path, err)
		}
		if b.Writable {
			writable = append(writable, b.Path)
		}
	}
	// Everything read-only and nosuid, then the private and writable
	// places writable again.
	ro := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID}
	if err := unix.MountSetattr(unix.AT_FDCWD, "/", unix.AT_RECURSIVE, &ro); err != nil {
		return fmt.Errorf("make the file system read-only: %w", err)
	}
	rw := unix.MountAttr{Attr_clr: unix.MOUNT_ATTR_RDONLY}
	for _, p := range writable {
		if !isMountPoint(p) {
			continue // a symlink (/var/run) or a path this system lacks
		}
		if err := unix.MountSetattr(unix.AT_FDCWD, p, 0, &rw); err != nil {
			return fmt.Errorf("make %s writable: %w", p, err)
		}
	}
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mount /proc: %w", err)
	}
	if err := os.Chdir("/"); err != nil {
		return err
	}
	if err := loopbackUp(); err != nil {
		return fmt.Errorf("bring up loopback: %w", err)
	}
	limits := []struct {
		res int
		max uint64
	}{
		{unix.RLIMIT_NPROC, uint64(m.Processes)},
		{unix.RLIMIT_CORE, 0},
		{unix.RLIMIT_FSIZE, 1 << 30},
	}
	for _, l := range limits {
		if err := unix.Setrlimit(l.res, &unix.Rlimit{Cur: l.max, Max: l.max}); err != nil {
			return fmt.Errorf("set limit %d: %w", l.res, err)
		}
	}
	return nil
}

// hidePath covers a directory with an empty tmpfs, a file with /dev/null;
// a path that does not exist, or is a symbolic link (whose target is what
// counts), is left alone.
func hidePath(p string) error {
	fi, err := os.Lstat(p)
	if err != nil || fi.Mode()&os.ModeSymlink != 0 {
		return nil
	}
	if fi.IsDir() {
		opts := "mode=1777,size=" + tmpfsSize(p)
		if err := unix.Mount("tmpfs", p, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
			return fmt.Errorf("hide %s: %w", p, err)
		}
		return nil
	}
	if err := unix.Mount("/dev/null", p, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("hide %s: %w", p, err)
	}
	return nil
}

// isMountPoint reports whether p is a directory other than a symbolic link.
func isMountPoint(p string) bool {
	fi, err := os.Lstat(p)
	return err == nil && fi.IsDir()
}

// loopbackUp sets the network namespace's lo interface up.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}
