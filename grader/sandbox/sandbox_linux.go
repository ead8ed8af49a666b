package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nplus1/nplus1/internal/procgroup"
)

// Sandbox is a started init process, PID 1 of its namespaces, ready to run
// one program. Kill it when done, whatever happened.
type Sandbox struct {
	cmd  *exec.Cmd
	ctl  *net.UnixConn
	mu   sync.Mutex // one request at a time
	repl chan message

	exited   chan struct{} // closed when the program's status is known or init is gone
	status   syscall.WaitStatus
	hasState bool
	reaped   chan struct{}            // closed once the init process is reaped
	cg       *cgroup                  // nil where the system gives the grader no cgroup
	oom      atomic.Pointer[oomState] // the cgroup's last word, read before it is removed

}

// message is what the grader and the init process say to each other over
// the control socket, one message per datagram; a file descriptor rides
// along with the replies to listen and dial.
type message struct {
	Op   string   `json:"op,omitempty"` // setup, listen, dial, exec, sockmem
	Addr string   `json:"addr,omitempty"`
	Argv []string `json:"argv,omitempty"`
	Env  []string `json:"env,omitempty"`
	Dir  string   `json:"dir,omitempty"`
	// setup
	Binds     []Bind   `json:"binds,omitempty"`
	Hide      []string `json:"hide,omitempty"`
	Processes int      `json:"processes,omitempty"`
	// replies
	Err    string `json:"err,omitempty"`
	Exited bool   `json:"exited,omitempty"` // the program ended: Status is its wait status
	Status int    `json:"status,omitempty"`
	Bytes  int64  `json:"bytes,omitempty"` // sockmem: the memory the sandbox's unix sockets hold
}

// setupTimeout bounds how long the init process may take to set up.
const setupTimeout = 10 * time.Second

var (
	probeOnce sync.Once
	probeErr  error
)

// Supported reports whether this machine can make a sandbox: it starts one
// (once per process, about 10 ms) and stops it. The error, which wraps
// ErrUnsupported, says why not.
func Supported() error {
	probeOnce.Do(func() {
		s, err := Start(Spec{})
		if err != nil {
			probeErr = err
			return
		}
		s.Kill()
	})
	return probeErr
}

// HostUID is the host uid sandboxed programs run as: the grader's own, or
// SandboxUID when the grader is root.
func HostUID() int {
	if os.Geteuid() == 0 {
		return SandboxUID
	}
	return os.Geteuid()
}

// HostGID is the host gid sandboxed programs run as.
func HostGID() int {
	if os.Geteuid() == 0 {
		return SandboxUID
	}
	return os.Getegid()
}

// Start starts a sandbox's init process and sets up its namespaces. The
// error wraps ErrUnsupported when the system refuses the namespaces or the
// mounts.
func Start(spec Spec) (*Sandbox, error) {
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("start sandbox: %w", err)
	}
	mine, theirs := os.NewFile(uintptr(pair[0]), "sandbox-control"), os.NewFile(uintptr(pair[1]), "sandbox-control")
	defer theirs.Close()
	fc, err := net.FileConn(mine)
	mine.Close()
	if err != nil {
		return nil, fmt.Errorf("start sandbox: %w", err)
	}
	ctl := fc.(*net.UnixConn)

	uid, gid := HostUID(), HostGID()
	cmd := &exec.Cmd{Path: "/proc/self/exe", Args: []string{initName}, Env: []string{}}
	cmd.Stdout, cmd.Stderr = spec.Output, spec.Output
	cmd.ExtraFiles = []*os.File{theirs} // fd 3
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWPID | syscall.CLONE_NEWNS | syscall.CLONE_NEWNET | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: gid, HostID: gid, Size: 1}},
		// The init process keeps what it needs for the mounts and the
		// loopback in its own namespaces; the program gets none of it.
		AmbientCaps: []uintptr{unix.CAP_SYS_ADMIN, unix.CAP_NET_ADMIN, unix.CAP_SETPCAP},
		Setpgid:     true,
		Pdeathsig:   syscall.SIGKILL,
	}
	if os.Geteuid() == 0 {
		// Root maps the sandbox's uid alone and drops its own groups.
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
		cmd.SysProcAttr.GidMappingsEnableSetgroups = true
	}
	if err := cmd.Start(); err != nil {
		ctl.Close()
		return nil, fmt.Errorf("start sandbox: %w: %w", ErrUnsupported, err)
	}
	s := &Sandbox{cmd: cmd, ctl: ctl, repl: make(chan message), exited: make(chan struct{}), reaped: make(chan struct{})}
	procs := spec.Processes
	if procs == 0 {
		procs = DefaultProcesses
	}
	// Where the system delegates a cgroup v2, the init process goes into
	// one of its own before it starts anything.
	if cg, err := newCgroup(cgroupRoot, spec.Memory, procs); err == nil {
		if cg.add(cmd.Process.Pid) == nil {
			s.cg = cg
		} else {
			cg.remove()
		}
	}
	go func() {
		_ = cmd.Wait()
		if s.cg != nil {
			peak, killed := s.cg.outOfMemory()
			s.oom.Store(&oomState{peak: peak, killed: killed})
			s.cg.remove()
		}
		close(s.reaped)
	}()
	go s.read()

	setup := message{Op: "setup", Binds: spec.Binds, Hide: spec.Hide, Processes: procs}
	reply, _, err := s.request(setup, setupTimeout)
	if err == nil && reply.Err != "" {
		err = fmt.Errorf("%w: %s", ErrUnsupported, reply.Err)
	}
	if err != nil {
		s.Kill()
		return nil, fmt.Errorf("start sandbox: %w", err)
	}
	return s, nil
}

// read takes the init process's messages: replies go to request, the
// program's end is noted. It returns when the init process is gone.
func (s *Sandbox) read() {
	defer close(s.repl)
	buf := make([]byte, 64<<10)
	oob := make([]byte, unix.CmsgSpace(4))
	for {
		n, oobn, _, _, err := s.ctl.ReadMsgUnix(buf, oob)
		if err != nil || n == 0 {
			s.noteExit(nil)
			return
		}
		var m message
		if err := json.Unmarshal(buf[:n], &m); err != nil {
			continue
		}
		if m.Exited {
			st := syscall.WaitStatus(m.Status)
			s.noteExit(&st)
			continue
		}
		if fd := receivedFD(oob[:oobn]); fd >= 0 {
			m.Status = fd // the file descriptor, for request
		} else {
			m.Status = -1
		}
		s.repl <- m
	}
}

func (s *Sandbox) noteExit(st *syscall.WaitStatus) {
	select {
	case <-s.exited:
		return
	default:
	}
	if st != nil {
		s.status, s.hasState = *st, true
	}
	close(s.exited)
}

// receivedFD returns the file descriptor in a control message, or -1.
func receivedFD(oob []byte) int {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return -1
	}
	for _, m := range msgs {
		if fds, err := unix.ParseUnixRights(&m); err == nil && len(fds) > 0 {
			for _, extra := range fds[1:] {
				unix.Close(extra)
			}
			return fds[0]
		}
	}
	return -1
}

// request sends m and waits up to timeout for the reply; fd is the file
// descriptor that came with it, or nil.
func (s *Sandbox) request(m message, timeout time.Duration) (message, *os.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := json.Marshal(m)
	if err != nil {
		return message{}, nil, err
	}
	if _, err := s.ctl.Write(b); err != nil {
		return message{}, nil, fmt.Errorf("sandbox %s: the sandbox is gone: %w", m.Op, err)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r, ok := <-s.repl:
		if !ok {
			return message{}, nil, fmt.Errorf("sandbox %s: the sandbox is gone", m.Op)
		}
		var f *os.File
		if r.Status >= 0 {
			f = os.NewFile(uintptr(r.Status), "sandbox-socket")
		}
		return r, f, nil
	case <-t.C:
		s.Kill()
		return message{}, nil, fmt.Errorf("sandbox %s: no answer in %s", m.Op, timeout)
	}
}

// Listen listens on addr (127.0.0.1:PORT) inside the sandbox's network:
// the program can connect there; the grader accepts.
func (s *Sandbox) Listen(addr string) (net.Listener, error) {
	r, f, err := s.request(message{Op: "listen", Addr: addr}, setupTimeout)
	if err != nil {
		return nil, err
	}
	if r.Err != "" || f == nil {
		return nil, fmt.Errorf("sandbox listen %s: %s", addr, r.Err)
	}
	defer f.Close()
	return net.FileListener(f)
}

// Dial connects to addr inside the sandbox's network. Its error says when
// nothing listens there.
func (s *Sandbox) Dial(ctx context.Context, addr string) (net.Conn, error) {
	timeout := 5 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(d), time.Millisecond)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r, f, err := s.request(message{Op: "dial", Addr: addr}, timeout+time.Second)
	if err != nil {
		return nil, err
	}
	if r.Err != "" || f == nil {
		return nil, fmt.Errorf("dial %s in the sandbox: %s", addr, r.Err)
	}
	defer f.Close()
	return net.FileConn(f)
}

// Exec starts the program: argv in dir, with env exactly. The program runs
// in the init process's process group (Pid), so a signal to the group
// reaches it.
func (s *Sandbox) Exec(argv, env []string, dir string) error {
	if n := argSize(argv, env); n > maxArgs {
		return &ExecError{Argv: argv, Msg: fmt.Sprintf("fork/exec %s: argument list too long (%d bytes of arguments and environment, over %d)", argv[0], n, maxArgs)}
	}
	r, f, err := s.request(message{Op: "exec", Argv: argv, Env: env, Dir: dir}, setupTimeout)
	if f != nil {
		f.Close()
	}
	if err != nil {
		return err
	}
	if r.Err != "" {
		return &ExecError{Argv: argv, Msg: r.Err}
	}
	return nil
}

// maxArgs bounds the bytes of a program's arguments and environment: the
// kernel refuses more than 128 KiB in one string and about 2 MiB in all,
// and the request must fit one datagram of the control socket.
const maxArgs = 128 << 10

func argSize(argv, env []string) int {
	n := 0
	for _, s := range append(slices.Clone(argv), env...) {
		n += len(s) + 1
	}
	return n
}

// Limits says what holds the sandbox's processes to their limits: "cgroup
// v2" (memory.max, pids.max) where the system delegates one to the
// grader, "cgroup v1" where the grader may write the v1 memory and pids
// hierarchies, else "rlimits" (RLIMIT_NPROC; memory by the runner's
// watch).
func (s *Sandbox) Limits() string { return s.cg.describe() }

// MemoryUsed is the memory the sandbox's processes hold, as its cgroup
// counts it (anonymous and shared memory: memfd, SysV, tmpfs); false
// without a cgroup.
func (s *Sandbox) MemoryUsed() (int64, bool) {
	if s.cg == nil {
		return 0, false
	}
	n, err := s.cg.memoryUsed()
	return n, err == nil
}

// SocketMemory is the memory the unix sockets of the sandbox's network
// namespace hold: what they have queued (stream or datagram, descriptors
// in flight included) and a little for each socket. It is in no process's
// resident set, and a cgroup does not count it either (the kernel charges
// no cgroup for a unix socket's queued messages: 64 MiB queued showed as
// 4 MiB in a v1 memory cgroup), so the runner's watch adds it to
// MemoryUsed. The init process reads it with NETLINK_SOCK_DIAG; ok is false
// when it could not.
func (s *Sandbox) SocketMemory() (n int64, ok bool) {
	r, f, err := s.request(message{Op: "sockmem"}, setupTimeout)
	if f != nil {
		f.Close() // none is expected
	}
	if err != nil || r.Err != "" {
		return 0, false
	}
	return r.Bytes, true
}

type oomState struct {
	peak   int64
	killed bool
}

// OutOfMemory reports, once the sandbox has ended (it waits a few seconds
// at most), whether the kernel killed a process of it for its cgroup's
// memory limit, and the most memory the cgroup held (0: unknown).
func (s *Sandbox) OutOfMemory() (peak int64, killed bool) {
	if s.cg == nil {
		return 0, false // nothing but a cgroup tells
	}
	select {
	case <-s.reaped:
	case <-time.After(3 * time.Second):
	}
	if st := s.oom.Load(); st != nil {
		return st.peak, st.killed
	}
	return 0, false
}

// Pid is the host pid of the init process, which is also its process
// group id.
func (s *Sandbox) Pid() int { return s.cmd.Process.Pid }

// Exited is closed once the program has ended (or the sandbox is gone).
func (s *Sandbox) Exited() <-chan struct{} { return s.exited }

// Status is the program's wait status; ok is false while it runs or if
// the sandbox ended before it could tell.
func (s *Sandbox) Status() (st syscall.WaitStatus, ok bool) {
	select {
	case <-s.exited:
		return s.status, s.hasState
	default:
		return 0, false
	}
}

// Reaped is closed once the init process has exited and is reaped: then
// no process of the sandbox remains.
func (s *Sandbox) Reaped() <-chan struct{} { return s.reaped }

// Kill ends the sandbox: SIGKILL to the init process, which takes every
// process of its PID namespace with it. It waits until the init process
// is reaped (up to 5 s). It is safe to call more than once.
func (s *Sandbox) Kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-s.reaped:
	case <-time.After(5 * time.Second):
	}
	s.ctl.Close()
}

// Signal sends sig to the sandbox's process group: to the program and what
// stayed in its group. The init process ignores it.
func (s *Sandbox) Signal(sig syscall.Signal) error { return procgroup.Signal(s.Pid(), sig) }
