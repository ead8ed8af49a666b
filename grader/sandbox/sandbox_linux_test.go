package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The test binary doubles as the hostile program run inside a sandbox:
// with NPLUS1_SANDBOX_PROBE set it tries to break out and prints what it
// managed, one JSON object.
func TestMain(m *testing.M) {
	if os.Getenv("NPLUS1_SANDBOX_PROBE") != "" {
		probe()
		return
	}
	os.Exit(m.Run())
}

// probeResult is what the hostile program managed to do; every field
// should stay false or empty.
type probeResult struct {
	SignalGrader    string // error of kill(grader, 0); "" means it reached the grader
	GraderEnviron   bool   // read the grader's /proc/PID/environ
	HostPort        bool   // connected to a port the grader listens on
	DockerSocket    bool   // /var/run/docker.sock or /run/docker.sock is there
	SecretFile      bool   // read a file the grader hid
	HostTmpFile     bool   // saw a file in the grader's /tmp
	WroteOutside    bool   // wrote next to the solution directory (in its private /tmp, when it is there)
	WroteInside     bool   // wrote in the solution directory (should be true)
	KilledInit      bool   // kill -KILL 1 worked
	Processes       []int  // the pids it sees in /proc
	UID             int
	CapEff          string   // effective capabilities
	DaemonStarted   int      // pid of a setsid daemon it left behind
	LeakedFDs       []string // the grader's descriptors it got (the test's marker file)
	InitSignalError string
	HiddenMemory    []string // memfd_create, shmget or shared anonymous mmap that worked: memory in no resident set
}

func probe() {
	var r probeResult
	grader, _ := strconv.Atoi(os.Getenv("GRADER_PID"))
	if err := syscall.Kill(grader, 0); err != nil {
		r.SignalGrader = err.Error()
	}
	_, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", grader))
	r.GraderEnviron = err == nil
	if c, err := net.DialTimeout("tcp", os.Getenv("HOST_ADDR"), time.Second); err == nil {
		r.HostPort = true
		c.Close()
	}
	for _, p := range []string{"/var/run/docker.sock", "/run/docker.sock"} {
		if _, err := os.Stat(p); err == nil {
			r.DockerSocket = true
		}
	}
	_, err = os.ReadFile(os.Getenv("SECRET_FILE"))
	r.SecretFile = err == nil
	_, err = os.Stat(os.Getenv("HOST_TMP_FILE"))
	r.HostTmpFile = err == nil
	dir := os.Getenv("SOLUTION_DIR")
	r.WroteOutside = os.WriteFile(filepath.Join(filepath.Dir(dir), "escaped"), []byte("x"), 0o644) == nil
	r.WroteInside = os.WriteFile(filepath.Join(dir, "inside"), []byte("x"), 0o644) == nil
	if err := syscall.Kill(1, syscall.SIGKILL); err != nil {
		r.InitSignalError = err.Error()
	}
	time.Sleep(50 * time.Millisecond)
	r.KilledInit = syscall.Kill(1, 0) != nil
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			r.Processes = append(r.Processes, pid)
		}
	}
	fds, _ := os.ReadDir("/proc/self/fd")
	for _, e := range fds {
		if n, err := strconv.Atoi(e.Name()); err == nil && n > 2 {
			if l, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.Contains(l, "nplus1-fd-marker") {
				r.LeakedFDs = append(r.LeakedFDs, e.Name()+" -> "+l)
			}
		}
	}
	r.UID = os.Getuid()
	status, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			r.CapEff = strings.TrimSpace(v)
		}
	}
	if fd, err := unix.MemfdCreate("hold", 0); err == nil {
		r.HiddenMemory = append(r.HiddenMemory, "memfd_create")
		unix.Close(fd)
	}
	if id, err := unix.SysvShmGet(unix.IPC_PRIVATE, 4096, unix.IPC_CREAT|0o600); err == nil {
		r.HiddenMemory = append(r.HiddenMemory, "shmget")
		_, _ = unix.SysvShmCtl(id, unix.IPC_RMID, nil)
	}
	if m, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_ANONYMOUS); err == nil {
		r.HiddenMemory = append(r.HiddenMemory, "shared anonymous mmap")
		_ = unix.Munmap(m)
	}
	daemon := exec.Command("/bin/sleep", "1000")
	daemon.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if daemon.Start() == nil {
		r.DaemonStarted = daemon.Process.Pid
	}
	_ = json.NewEncoder(os.Stdout).Encode(r)
	// Stay up until the grader kills the sandbox.
	time.Sleep(time.Hour)
}

func TestSandboxIsolatesTheProgram(t *testing.T) {
	if err := Supported(); err != nil {
		t.Fatalf("this machine must be able to sandbox (CI runs here): %v", err)
	}
	host, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	go func() {
		for {
			c, err := host.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	secretDir := t.TempDir()
	secret := filepath.Join(secretDir, "signing.key")
	if err := os.WriteFile(secret, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	hostTmp, err := os.CreateTemp("", "nplus1-host-*")
	if err != nil {
		t.Fatal(err)
	}
	hostTmp.Close()
	defer os.Remove(hostTmp.Name())
	parent := t.TempDir()
	solution := filepath.Join(parent, "solution")
	if err := os.Mkdir(solution, 0o777); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		// The sandbox's uid must reach the solution and the probe.
		os.Chown(solution, SandboxUID, SandboxUID)
		letThrough(t, solution, exe)
	}
	out, err := os.CreateTemp("", "nplus1-probe-out-*")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(out.Name())
	defer out.Close()

	// A descriptor the grader's parent left open without close-on-exec
	// (a shell's 9>>file) must not reach the program.
	marker := filepath.Join(t.TempDir(), "nplus1-fd-marker")
	os.WriteFile(marker, nil, 0o644)
	leaked, err := syscall.Open(marker, syscall.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(leaked)
	sb, err := Start(Spec{
		Binds:  []Bind{{Path: solution, Writable: true}, {Path: filepath.Dir(exe)}},
		Hide:   []string{secret},
		Output: out,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Kill()
	pidns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", sb.Pid()))
	if err != nil {
		t.Fatal(err)
	}
	env := []string{
		"NPLUS1_SANDBOX_PROBE=1",
		"GRADER_PID=" + strconv.Itoa(os.Getpid()),
		"HOST_ADDR=" + host.Addr().String(),
		"SECRET_FILE=" + secret,
		"HOST_TMP_FILE=" + hostTmp.Name(),
		"SOLUTION_DIR=" + solution,
	}
	if err := sb.Exec([]string{exe}, env, solution); err != nil {
		t.Fatal(err)
	}
	var r probeResult
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(out.Name())
		if json.Unmarshal(b, &r) == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the probe said nothing in time; its output: %q", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("probe: %+v", r)
	if r.SignalGrader == "" || r.GraderEnviron {
		t.Errorf("the program reached the grader's process: signal error %q, read environ %v", r.SignalGrader, r.GraderEnviron)
	}
	if r.HostPort {
		t.Errorf("the program connected to %s on the host's loopback", host.Addr())
	}
	if r.DockerSocket || r.SecretFile || r.HostTmpFile {
		t.Errorf("the program saw what is hidden: docker socket %v, secret file %v, host /tmp %v", r.DockerSocket, r.SecretFile, r.HostTmpFile)
	}
	if _, err := os.Stat(filepath.Join(parent, "escaped")); err == nil || !r.WroteInside {
		t.Errorf("writes: outside the solution dir reached the host %v (want false), inside %v (want true)", err == nil, r.WroteInside)
	}
	if r.KilledInit {
		t.Errorf("the program killed the sandbox's init")
	}
	if len(r.Processes) > 4 {
		t.Errorf("the program sees %d processes (%v): want only its own", len(r.Processes), r.Processes)
	}
	if r.UID != HostUID() && r.UID != 0 {
		t.Errorf("uid %d inside, want %d", r.UID, HostUID())
	}
	if len(r.LeakedFDs) > 0 {
		t.Errorf("the program got the grader's descriptors: %v", r.LeakedFDs)
	}
	if r.CapEff != "0000000000000000" {
		t.Errorf("the program has capabilities %s, want none", r.CapEff)
	}
	if len(r.HiddenMemory) > 0 { // redteam5/shmemhold, where no cgroup counts them
		t.Errorf("the program made memory no watch sees with %v, want EPERM", r.HiddenMemory)
	}
	if r.DaemonStarted == 0 {
		t.Errorf("the daemon did not start, so its end is not tested")
	}
	if _, err := os.Stat(filepath.Join(solution, "inside")); err != nil {
		t.Errorf("the file written in the solution dir is not on the host: %v", err)
	}

	sb.Kill()
	select {
	case <-sb.Reaped():
	default:
		t.Fatal("Kill returned before the init process was reaped")
	}
	if left := inNamespace(pidns); len(left) > 0 {
		t.Errorf("processes of the sandbox outlived it: %v", left)
	}
}

// letThrough lets everyone through the directories above each path (the
// test's temp dirs are 0700), as a root grader's sandbox uid must.
func letThrough(t *testing.T, paths ...string) {
	for _, p := range paths {
		for d := filepath.Dir(p); d != "/" && d != "."; d = filepath.Dir(d) {
			if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
				if err := os.Chmod(d, fi.Mode().Perm()|0o011); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// inNamespace lists the host pids of processes in PID namespace ns (a
// readlink of /proc/PID/ns/pid), zombies aside.
func inNamespace(ns string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if l, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid)); l == ns {
			stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			if !strings.Contains(string(stat), ") Z ") {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

func TestSandboxDialAndListen(t *testing.T) {
	out, err := os.CreateTemp("", "nplus1-dial-out-*")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(out.Name())
	defer out.Close()
	said := func() string { b, _ := os.ReadFile(out.Name()); return string(b) }
	sb, err := Start(Spec{Binds: []Bind{{Path: "/usr/bin"}}, Output: out})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Kill()
	l, err := sb.Listen("127.0.0.1:5432")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// Nothing listens inside on 8080 yet.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := sb.Dial(ctx, "127.0.0.1:8080"); err == nil {
		t.Fatal("dialled a port nothing listens on")
	}
	// The program connects to the grader's listener and echoes a line it
	// serves on 8080 (python3 is a stand-in for any program).
	script := `
import socket
db = socket.create_connection(("127.0.0.1", 5432))
db.sendall(b"hello from inside\n")
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 8080)); srv.listen()
c, _ = srv.accept(); c.sendall(b"served\n"); c.close()
`
	if err := sb.Exec([]string{"/usr/bin/python3", "-c", script}, nil, "/"); err != nil {
		t.Fatal(err)
	}
	l.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	line, _ := io.ReadAll(io.LimitReader(c, 18))
	c.Close()
	if string(line) != "hello from inside\n" {
		t.Fatalf("got %q from the program", line)
	}
	var conn net.Conn
	for i := 0; i < 500; i++ {
		if conn, err = sb.Dial(ctx, "127.0.0.1:8080"); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("%v; the program said: %s", err, said())
	}
	b, _ := io.ReadAll(conn)
	conn.Close()
	if string(b) != "served\n" {
		t.Fatalf("got %q from the program's port", b)
	}
	select {
	case <-sb.Exited():
	case <-time.After(10 * time.Second):
		t.Fatal("the program's end was not reported")
	}
	if st, ok := sb.Status(); !ok || st.ExitStatus() != 0 {
		t.Fatalf("status %v (known %v), want exit 0", st, ok)
	}
}

func TestSandboxExecErrors(t *testing.T) {
	sb, err := Start(Spec{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Kill()
	long := strings.Repeat("x", 300<<10)
	err = sb.Exec([]string{"/bin/sh", "-c", long}, nil, "/")
	var ee *ExecError
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "argument list too long") {
		t.Fatalf("Exec of a 300 KiB argument: %v, want an ExecError saying the argument list is too long", err)
	}
}
