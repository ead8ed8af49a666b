//go:build unix

package runner

import "syscall"

// signalProcess sends sig to process pid.
func signalProcess(pid int, sig syscall.Signal) error { return syscall.Kill(pid, sig) }
