//go:build !unix

package postgres

import (
	"os"
	"syscall"
)

// procAttr returns nil: process groups and credentials are Unix features.
func procAttr(*runAs) *syscall.SysProcAttr { return nil }

// signalGroup kills p; other signals are not supported here.
func signalGroup(p *os.Process, sig syscall.Signal) error {
	if sig == syscall.SIGKILL {
		return p.Kill()
	}
	return p.Signal(os.Interrupt)
}
