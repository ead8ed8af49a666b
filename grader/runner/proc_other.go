//go:build !unix

package runner

import "syscall"

// procAttr returns nil: process groups are a Unix feature.
func procAttr() *syscall.SysProcAttr { return nil }

// signalGroup is not supported without process groups: Process.Stop kills
// the program itself.
func signalGroup(int, syscall.Signal) error { return nil }

// groupAlive reports false: without process groups there is no group to
// wait for.
func groupAlive(int) bool { return false }

// signalProcess does nothing here: no process is found outside the group.
func signalProcess(int, syscall.Signal) error { return nil }
