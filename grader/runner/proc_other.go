//go:build !unix

package runner

import "syscall"

// signalProcess does nothing here: no process is found outside the group.
func signalProcess(int, syscall.Signal) error { return nil }
