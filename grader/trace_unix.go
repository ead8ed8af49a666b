//go:build unix

package grader

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// ownGroup puts the traced command in a process group of its own, so that
// what it starts can be stopped with it.
func ownGroup() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// signalGroup sends sig to the command's process group.
func signalGroup(_ *os.Process, pgid int, sig syscall.Signal) {
	syscall.Kill(-pgid, sig)
}

// stopGroup ends what the command left running in its group: SIGTERM,
// then SIGKILL after 3 s.
func stopGroup(pgid int) {
	if errors.Is(syscall.Kill(-pgid, syscall.SIGTERM), syscall.ESRCH) {
		return
	}
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	syscall.Kill(-pgid, syscall.SIGKILL)
}
