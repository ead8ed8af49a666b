//go:build !linux

package sandbox

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"syscall"
)

// Sandbox is not available on this system: Start always fails.
type Sandbox struct{}

// Supported reports that this system cannot make a sandbox.
func Supported() error {
	return fmt.Errorf("%w: sandboxes need Linux namespaces, and this is %s", ErrUnsupported, runtime.GOOS)
}

// HostUID is the grader's uid: nothing is isolated here.
func HostUID() int { return syscall.Getuid() }

// HostGID is the grader's gid.
func HostGID() int { return syscall.Getgid() }

// Start fails: see Supported.
func Start(Spec) (*Sandbox, error) { return nil, Supported() }

// Listen is never reached: Start fails.
func (s *Sandbox) Listen(string) (net.Listener, error) { return nil, Supported() }

// Dial is never reached: Start fails.
func (s *Sandbox) Dial(context.Context, string) (net.Conn, error) { return nil, Supported() }

// Exec is never reached: Start fails.
func (s *Sandbox) Exec([]string, []string, string) error { return Supported() }

// Pid is never reached: Start fails.
func (s *Sandbox) Pid() int { return 0 }

// Exited is never reached: Start fails.
func (s *Sandbox) Exited() <-chan struct{} { return nil }

// Status is never reached: Start fails.
func (s *Sandbox) Status() (st syscall.WaitStatus, ok bool) { return st, false }

// Reaped is never reached: Start fails.
func (s *Sandbox) Reaped() <-chan struct{} { return nil }

// Kill is never reached: Start fails.
func (s *Sandbox) Kill() {}

// Signal is never reached: Start fails.
func (s *Sandbox) Signal(syscall.Signal) error { return nil }

// Limits is never reached: Start fails.
func (s *Sandbox) Limits() string { return "" }

// MemoryUsed is never reached: Start fails.
func (s *Sandbox) MemoryUsed() (int64, bool) { return 0, false }

// SocketMemory is never reached: Start fails.
func (s *Sandbox) SocketMemory() (int64, bool) { return 0, false }

// OutOfMemory is never reached: Start fails.
func (s *Sandbox) OutOfMemory() (peak int64, killed bool) { return 0, false }
