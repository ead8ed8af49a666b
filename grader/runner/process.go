package runner

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nplus1/nplus1/grader/sandbox"
	"github.com/nplus1/nplus1/internal/procfs"
	"github.com/nplus1/nplus1/internal/procgroup"
	"github.com/nplus1/nplus1/internal/setting"
)

// DefaultReadyTimeout is how long Start waits for the program to listen
// when StartOptions.ReadyTimeout is zero.
const DefaultReadyTimeout = 30 * time.Second

// Stop's patience: how long a program has to end after SIGTERM before the
// group gets SIGKILL, and how long SIGKILL may take.
const (
	termGrace = 3 * time.Second
	killGrace = 5 * time.Second
)

// StartOptions are the options of Built.Start.
type StartOptions struct {
	// Port is the port the program must listen on at 127.0.0.1. Start puts
	// PORT=<Port> in the program's environment.
	Port int
	// Env is added to the program's environment, after PORT: the caller's
	// DATABASE_URL, PGHOST and so on. A later entry wins over an earlier
	// one with the same name.
	Env []string
	// Output, if not nil, gets a live copy of the program's output. It is
	// written from another goroutine until the program is stopped.
	Output io.Writer
	// ReadyTimeout bounds the wait for the program to listen; zero means
	// DefaultReadyTimeout.
	ReadyTimeout time.Duration
	// MemoryLimit, if positive, caps in bytes the resident memory of the
	// program's whole process group (Linux only; see
	// MemoryLimitSupported): it is measured every 50 ms, and a group over
	// it is killed (Process.Exited then says so). Resident memory, not
	// address space: thread stacks and reservations that are never touched
	// do not count.
	MemoryLimit int64
	// Place is where the program runs: nil for this machine, or a sandbox
	// from Built.Sandbox, which the Process then owns (Stop closes it).
	// Port is then a port in the sandbox's own network.
	Place *Place
}

// MemoryLimitSupported reports whether StartOptions.MemoryLimit is enforced
// on this system: it needs /proc.
const MemoryLimitSupported = memoryWatchSupported

// memoryPoll is how often the memory of a program with a limit is
// measured, and memoryRescan how many polls go by before its processes are
// looked for again (a process started meanwhile is counted from then on).
const (
	memoryPoll   = 50 * time.Millisecond
	memoryRescan = 10
)

// Process is a running solution program and the processes it started, all
// in one process group. Stop it when done, whatever happened.
type Process struct {
	cmd    *exec.Cmd // nil in a sandbox
	place  *Place
	pgid   int
	addr   string
	out    *tail
	memory int64 // StartOptions.MemoryLimit
	// overMemory is the group's resident memory when it was killed for
	// passing the limit; 0 if it was not.
	overMemory atomic.Int64
	// overDisk is what a sandboxed program had written to disk when it was
	// stopped for passing DiskLimit; 0 if it was not.
	overDisk atomic.Int64
	// left are the processes seen to leave the program's group (setsid),
	// by pid, with their start times: Stop ends them too.
	leftMu sync.Mutex
	left   map[int]string
	pr     *os.File      // read end of the output pipe
	exited chan struct{} // closed once the program has exited and is reaped
	copied chan struct{} // closed once the output pipe is drained

	stopOnce sync.Once
	stopErr  error
}

// Start starts the program in the solution directory and returns once
// 127.0.0.1:Port accepts a TCP connection (it connects and hangs up; it
// sends no HTTP request, which would make the program run SQL).
//
// The program runs in a process group of its own, with the part of the
// grader's environment its toolchain needs (see passedEnv: never PG*,
// DATABASE_URL, NPLUS1_* or a CI runner's tokens), plus PORT and opts.Env. Its stdout and stderr are
// kept together, the last 64 KiB of them (see Process.Output). ctx bounds
// the start only: once Start returns, the program runs until Stop.
//
// If the program exits before it listens, the error is an *ExitError; if it
// does not listen within the ready timeout, a *NotListeningError. Both carry
// its output, and Start has stopped the program's whole group. Other errors
// (the port is taken, the program cannot be executed, ctx is done) are the
// machine's.
func (b *Built) Start(ctx context.Context, opts StartOptions) (*Process, error) {
	if opts.Port < 1 || opts.Port > 65535 {
		return nil, fmt.Errorf("start solution: port %d is out of range", opts.Port)
	}
	timeout := opts.ReadyTimeout
	if timeout <= 0 {
		timeout = DefaultReadyTimeout
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.Port))
	if opts.Place.Sandboxed() {
		return b.startIn(ctx, opts.Place, addr, timeout, opts)
	}
	if accepts(ctx, nil, addr) {
		return nil, fmt.Errorf("start solution: %s: %w", addr, ErrPortTaken)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start solution: %w", err)
	}
	cmd := exec.Command(b.argv[0], b.argv[1:]...)
	cmd.Dir = b.dir
	cmd.Env = cleanEnv(append(append([]string{"PORT=" + strconv.Itoa(opts.Port)}, b.env...), opts.Env...)...)
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = procAttr()
	err = cmd.Start()
	pw.Close() // the program holds its own copy
	if err != nil {
		pr.Close()
		return nil, fmt.Errorf("start solution: %s: %w", b.display, err)
	}
	p := &Process{
		cmd:    cmd,
		pgid:   cmd.Process.Pid,
		addr:   addr,
		out:    &tail{live: opts.Output},
		memory: opts.MemoryLimit,
		pr:     pr,
		exited: make(chan struct{}),
		copied: make(chan struct{}),
		left:   map[int]string{},
	}
	go func() {
		_ = p.cmd.Wait() // the state is in cmd.ProcessState
		close(p.exited)
	}()
	return p.run(ctx, timeout)
}

// run looks after a started program and waits until it is ready.
func (p *Process) run(ctx context.Context, timeout time.Duration) (*Process, error) {
	go func() {
		_, _ = io.Copy(p.out, p.pr)
		close(p.copied)
	}()
	if MemoryLimitSupported {
		go p.watch()
	}
	if err := p.waitReady(ctx, timeout); err != nil {
		return nil, err
	}
	return p, nil
}

// startIn starts the program in a sandbox. A program the sandbox cannot
// start is the learner's when it is their run command (too long, say),
// the machine's otherwise (an interpreter the sandbox's uid cannot read).
func (b *Built) startIn(ctx context.Context, pl *Place, addr string, timeout time.Duration, opts StartOptions) (*Process, error) {
	env := cleanEnv(append(append([]string{"PORT=" + strconv.Itoa(opts.Port)}, b.env...), opts.Env...)...)
	if err := pl.sb.Exec(b.argv, env, b.dir); err != nil {
		pl.Close()
		pl.pr.Close()
		if errSandboxExec(err) && b.lang == Custom {
			return nil, &ExitError{Code: -1, State: "it could not be started: " + err.Error(), Addr: addr}
		}
		if errSandboxExec(err) {
			return nil, fmt.Errorf("start solution in its sandbox: %s: %w (the sandbox runs it as uid %d, which cannot run it from there: install it where every user can read it, e.g. a system python3 chosen with %s as /usr/bin/python3, or grade with %s)", b.display, err, sandbox.HostUID(), setting.Python, setting.SandboxOff)
		}
		return nil, fmt.Errorf("start solution: %w", err)
	}
	p := &Process{
		place:  pl,
		pgid:   pl.sb.Pid(),
		addr:   addr,
		out:    &tail{live: opts.Output},
		memory: opts.MemoryLimit,
		pr:     pl.pr,
		exited: make(chan struct{}),
		copied: make(chan struct{}),
		left:   map[int]string{},
	}
	go func() {
		<-pl.sb.Exited()
		<-pl.sb.Reaped() // the program's end ends the sandbox
		close(p.exited)
	}()
	go watchDisk(pl, b.tmp, p.exited, &p.overDisk)
	return p.run(ctx, timeout)
}

// elsewhereGrace is how long a program may listen only on other addresses
// than its own before waitReady stops waiting for it: a server that opens
// another port first has that long to open its own.
const elsewhereGrace = 3 * time.Second

// waitReady polls the program's address until it accepts a connection, the
// program exits, the timeout passes, it has listened only elsewhere for
// elsewhereGrace, or ctx is done. On error the program is stopped.
func (p *Process) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var elsewhere time.Time // since when it listens only on other addresses
	for n := 0; ; n++ {
		if n%25 == 0 { // every half second
			if listening := listenAddrs(p.pgid); len(listening) == 0 {
				elsewhere = time.Time{}
			} else if elsewhere.IsZero() {
				elsewhere = time.Now()
			} else if d := time.Since(elsewhere); d >= elsewhereGrace && !accepts(ctx, p.place, p.addr) {
				_ = p.Stop()
				return &NotListeningError{Addr: p.addr, Timeout: d.Round(time.Second), Listening: listening, Output: p.Output(), Early: true}
			}
		}
		select {
		case <-p.exited:
			_ = p.Stop() // the rest of the group, and drain the output
			e := p.exitError()
			e.Addr = p.addr
			return e
		default:
		}
		if accepts(ctx, p.place, p.addr) {
			return nil
		}
		select {
		case <-p.exited:
		case <-tick.C:
		case <-ctx.Done():
			_ = p.Stop()
			return fmt.Errorf("start solution: %w", context.Cause(ctx))
		case <-deadline.C:
			listening := listenAddrs(p.pgid)
			_ = p.Stop()
			return &NotListeningError{Addr: p.addr, Timeout: timeout, Listening: listening, Output: p.Output()}
		}
	}
}

// watch looks after the program until it exits. It notes the processes
// that leave the program's group, so that Stop ends them too, and, with a
// memory limit, kills the program once its resident memory (its leavers'
// included) passes the limit. Finding the program's processes means
// reading every process's /proc entry (milliseconds): it is done every
// memoryRescan polls, and the polls between read only the memory of the
// processes found. A process that leaves the group and loses its parent
// between two looks is missed.
func (p *Process) watch() {
	tick := time.NewTicker(memoryPoll)
	defer tick.Stop()
	var pids []int
	for n := 0; ; n++ {
		select {
		case <-p.exited:
			return
		case <-tick.C:
		}
		if n%memoryRescan == 0 {
			pids = p.look(pids[:0])
		}
		if p.memory <= 0 {
			continue
		}
		if used := p.memoryUsed(pids); used > p.memory {
			p.overMemory.Store(used)
			_ = procgroup.Signal(p.pgid, syscall.SIGKILL)
			p.signalLeft(syscall.SIGKILL)
			return
		}
	}
}

// memoryUsed is the memory the program holds: its processes' resident
// memory and its private tmpfs, or, where its sandbox has a cgroup, the
// cgroup's count when that is more (it sees memfd files and SysV shared
// memory, which no resident set shows); and, in a sandbox, what its unix
// sockets have queued, which neither a resident set nor a cgroup counts
// (redteam7/sockhold).
func (p *Process) memoryUsed(pids []int) int64 {
	used := resident(pids) + p.place.tmpUsage()
	if p.place.Sandboxed() {
		if n, ok := p.place.sb.MemoryUsed(); ok {
			used = max(used, n)
		}
		if n, ok := p.place.sb.SocketMemory(); ok {
			used += n
		}
	}
	return used
}

// look appends the pids of the program's processes to pids, noting those
// that left its group.
func (p *Process) look(pids []int) []int {
	members, _ := programMembers(p.pgid)
	p.leftMu.Lock()
	defer p.leftMu.Unlock()
	for _, m := range members {
		pids = append(pids, m.pid)
		if m.left && !m.zombie {
			p.left[m.pid] = m.start
		}
	}
	return pids
}

// signalLeft sends sig to the processes that left the program's group and
// still run: those whose pid has not passed to a later process. It returns
// how many it signalled.
func (p *Process) signalLeft(sig syscall.Signal) int {
	p.leftMu.Lock()
	defer p.leftMu.Unlock()
	n := 0
	for pid, start := range p.left {
		if procfs.StartTime(pid) != start {
			delete(p.left, pid)
			continue
		}
		if signalProcess(pid, sig) == nil {
			n++
		}
	}
	return n
}

// accepts reports whether addr accepts a TCP connection in pl's network,
// and hangs up.
func accepts(ctx context.Context, pl *Place, addr string) bool {
	ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	c, err := pl.Dial(ctx, addr)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// exitError describes how the program exited; call it only once p.exited
// is closed.
func (p *Process) exitError() *ExitError {
	e := &ExitError{Output: p.Output(), MemoryLimit: p.memory, MemoryUsed: p.overMemory.Load()}
	if p.place.Sandboxed() {
		st := stateOf(p.place.sb)
		e.Code, e.State = st.code, st.state
		if peak, killed := p.place.sb.OutOfMemory(); killed && e.MemoryUsed == 0 {
			e.MemoryUsed = max(peak, p.memory) // the kernel stopped it at its cgroup's limit
		}
		if used := p.overDisk.Load(); used > 0 {
			e.State += "; " + overDiskNote(used, "a solution")
		}
	} else {
		e.Code, e.State = p.cmd.ProcessState.ExitCode(), p.cmd.ProcessState.String()
	}
	return e
}

// Output is what the program printed so far, stdout and stderr interleaved:
// the last 64 KiB, after a note saying how much was dropped if anything was.
// After Stop it is complete.
func (p *Process) Output() string { return p.out.String() }

// Addr is the address the program listens on: 127.0.0.1:PORT.
func (p *Process) Addr() string { return p.addr }

// Pid is the program's process id, which is also its process group id; in
// a sandbox, the sandbox's init process's.
func (p *Process) Pid() int { return p.pgid }

// Done is closed when the program (the process Start started) has exited.
func (p *Process) Done() <-chan struct{} { return p.exited }

// Exited reports whether the program has exited and, if so, how, as an
// *ExitError holding its output. The error is not nil even for exit status
// 0: a server should run until it is stopped. After Stop, Exited reports
// true.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.exited:
		return true, p.exitError()
	default:
		return false, nil
	}
}

// Stop ends the program and every process of its group: SIGTERM to the
// group, up to 3 s for them to end, then SIGKILL to the group. Processes
// seen to leave the group (see watch) get SIGTERM with the group and
// SIGKILL once the group is gone. It returns
// once the program is reaped and no live process of the group remains
// (processes that died after their parent may linger as zombies until
// whoever inherited them reaps them). It is safe to call more than once and
// after the program exited by itself; later calls return the first result.
func (p *Process) Stop() error {
	p.stopOnce.Do(func() { p.stopErr = p.stop() })
	return p.stopErr
}

func (p *Process) stop() error {
	var err error
	if groupAlive(p.pgid) {
		p.look(nil) // the latest leavers, while their parents still lead to the group
	}
	p.signalLeft(syscall.SIGTERM)
	var leader *os.Process // where there are no process groups
	if p.cmd != nil {
		leader = p.cmd.Process
	}
	if err = endGroup(p.pgid, p.exited, leader); err != nil {
		err = fmt.Errorf("stop solution: %w", err)
	}
	// A sandbox takes every process in it along.
	p.place.Close()
	// Leavers that are still there once the group is gone are killed, and
	// given a moment to be gone.
	for i := 0; i < 100 && p.signalLeft(syscall.SIGKILL) > 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	// Every writer of the pipe is gone, unless a process left the group.
	select {
	case <-p.copied:
	case <-time.After(time.Second):
	}
	p.pr.Close()
	return err
}

// procAttr puts a program in a process group of its own, which the kernel
// kills if the grader dies first (even by SIGKILL, when no cleanup of ours
// can run), so that it is not orphaned.
func procAttr() *syscall.SysProcAttr { return procgroup.Attr(syscall.SIGKILL) }

// endGroup ends process group pgid: SIGTERM, termGrace for it to end, then
// SIGKILL (to leader too, where there are no process groups) and killGrace.
// exited is closed once the group's leader is reaped. It returns once the
// leader is reaped and no live process of the group remains, or with an
// error if the group outlives SIGKILL.
func endGroup(pgid int, exited <-chan struct{}, leader *os.Process) error {
	_ = procgroup.Signal(pgid, syscall.SIGTERM)
	if waitGone(pgid, exited, termGrace) {
		return nil
	}
	_ = procgroup.Signal(pgid, syscall.SIGKILL)
	if leader != nil {
		_ = leader.Kill()
	}
	if !waitGone(pgid, exited, killGrace) {
		return fmt.Errorf("process group %d still runs after SIGKILL", pgid)
	}
	return nil
}

// waitGone waits up to d for the group's leader to be reaped and its group
// to have no live process.
func waitGone(pgid int, exited <-chan struct{}, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		select {
		case <-exited:
			if !groupAlive(pgid) {
				return true
			}
		default:
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// groupAlive reports whether process group pgid has a process that is not
// a zombie. Zombies are dead; whoever inherited them reaps them in time.
func groupAlive(pgid int) bool {
	if !procgroup.Exists(pgid) {
		return false
	}
	members, ok := groupMembers(pgid)
	if !ok {
		return true // no /proc to look into: trust kill
	}
	for _, m := range members {
		if !m.zombie {
			return true
		}
	}
	return false
}
