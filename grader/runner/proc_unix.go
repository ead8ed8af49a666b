//go:build unix

package runner

import (
	"errors"
	"syscall"
)

// procAttr puts a child in a process group of its own.
func procAttr() *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true}
	dieWithParent(attr)
	return attr
}

// signalGroup sends sig to process group pgid; a group that is gone is not
// an error.
func signalGroup(pgid int, sig syscall.Signal) error {
	if err := syscall.Kill(-pgid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

// groupAlive reports whether process group pgid has a process that is not
// a zombie. Zombies are dead; whoever inherited them reaps them in time.
func groupAlive(pgid int) bool {
	if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
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

// signalProcess sends sig to process pid.
func signalProcess(pid int, sig syscall.Signal) error { return syscall.Kill(pid, sig) }
