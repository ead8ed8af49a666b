//go:build unix

package procgroup

import (
	"errors"
	"syscall"
)

// Attr puts a child in a process group of its own, whose id is the child's
// pid. Where the kernel has a parent-death signal (Linux), the child gets
// deathSig if the grader dies first, even by SIGKILL, when no cleanup of
// ours runs; 0 sends none.
func Attr(deathSig syscall.Signal) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true}
	setDeathSignal(attr, deathSig)
	return attr
}

// Signal sends sig to process group pgid; a group that is gone is not an
// error.
func Signal(pgid int, sig syscall.Signal) error {
	if err := syscall.Kill(-pgid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

// Exists reports whether process group pgid has a process, zombies
// included.
func Exists(pgid int) bool {
	return !errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH)
}
