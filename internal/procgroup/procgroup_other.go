//go:build !unix

package procgroup

import (
	"os"
	"syscall"
)

// Attr returns nil: process groups are a Unix feature.
func Attr(syscall.Signal) *syscall.SysProcAttr { return nil }

// Signal signals the process pgid itself, there being no groups: SIGKILL
// kills it, any other signal interrupts it.
func Signal(pgid int, sig syscall.Signal) error {
	p, err := os.FindProcess(pgid)
	if err != nil {
		return nil // gone
	}
	if sig == syscall.SIGKILL {
		return p.Kill()
	}
	return p.Signal(os.Interrupt)
}

// Exists reports false: without process groups there is no group to wait
// for.
func Exists(int) bool { return false }
