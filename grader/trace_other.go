//go:build !unix

package grader

import (
	"os"
	"syscall"
)

// ownGroup returns nil: process groups are a Unix feature.
func ownGroup() *syscall.SysProcAttr { return nil }

// signalGroup ends the command itself: without process groups there is
// no group, and no interrupt to send.
func signalGroup(p *os.Process, _ int, _ syscall.Signal) { p.Kill() }

// stopGroup does nothing without process groups.
func stopGroup(int) {}
