package sandbox

import (
	"errors"
	"os"
)

// Spec says what a sandbox shows its program.
type Spec struct {
	// Binds are host directories the program sees, writable or not. The
	// sandbox's uid must be able to reach them. A bind under a hidden directory is still seen.
	Binds []Bind
	// Hide lists host paths the program must not see, besides /tmp,
	// /var/tmp, /dev/shm and /run: a directory is covered by an empty
	// tmpfs, a file by /dev/null.
	Hide []string
	// Output gets the program's stdout and stderr (the init process
	// writes nothing there). Nil means /dev/null.
	Output *os.File
	// Processes caps the processes and threads of the program's uid in the
	// sandbox (RLIMIT_NPROC, and pids.max where it has a cgroup);
	// 0 means DefaultProcesses.
	Processes int
	// Memory caps the memory of every process in the sandbox, in bytes,
	// where the sandbox has a cgroup (v2 delegated to the grader, or v1
	// for a root grader); 0: none. Elsewhere the runner's watch of
	// resident memory does.
	Memory int64
}

// Bind is a host directory shown in the sandbox at Path.
type Bind struct {
	// Source is the host directory; "" means Path.
	Source   string `json:"source,omitempty"`
	Path     string `json:"path"`
	Writable bool   `json:"writable,omitempty"`
}

// DefaultProcesses is the process (and thread) limit of a sandbox when
// Spec.Processes is 0: room for a compiler, a JVM or a pool of workers, not
// for a fork bomb.
const DefaultProcesses = 1024

// SandboxUID is the host uid, with no account and no files of its own, that
// sandboxed programs run as when the grader is root. A grader that is not
// root runs them as itself (a user namespace maps nothing else).
const SandboxUID = 61999

// ErrUnsupported is wrapped by Supported and Start where this system cannot
// make a sandbox.
var ErrUnsupported = errors.New("this system cannot isolate a program")

// Describe is how a card names the isolation a sandbox gives.
const Describe = "namespaces (user, pid, mount, network, ipc, uts)"

// ExecError is a program the sandbox could not start: no such file, not
// executable, an argument list too long.
type ExecError struct {
	Argv []string
	Msg  string
}

func (e *ExecError) Error() string { return e.Msg }
