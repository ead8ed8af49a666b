//go:build unix && !linux

package postgres

import "syscall"

// dieWithParent does nothing where the kernel has no parent-death signal;
// an orphaned server notices its data dir is gone within a minute.
func dieWithParent(*syscall.SysProcAttr) {}
