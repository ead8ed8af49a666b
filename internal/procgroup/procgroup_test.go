//go:build unix

package procgroup

import (
	"net"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
)

func TestGroup(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	cmd.SysProcAttr = Attr(syscall.SIGKILL)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	if pgid, err := syscall.Getpgid(pid); err != nil || pgid != pid {
		t.Errorf("the child's group is %d (%v), want its own, %d", pgid, err, pid)
	}
	if !Exists(pid) {
		t.Errorf("Exists(%d) = false for a running group", pid)
	}
	if err := Signal(pid, syscall.SIGTERM); err != nil {
		t.Errorf("Signal: %v", err)
	}
	err := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGTERM {
		t.Errorf("the child ended with %v, want SIGTERM", err)
	}
	if Exists(pid) {
		t.Errorf("Exists(%d) = true once the group's only process is reaped", pid)
	}
	if err := Signal(pid, syscall.SIGTERM); err != nil {
		t.Errorf("Signal to a group that is gone: %v, want nil", err)
	}
}

func TestFreePort(t *testing.T) {
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("port %d is not free: %v", port, err)
	}
	l.Close()
}
