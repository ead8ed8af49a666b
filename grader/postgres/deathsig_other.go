//go:build unix && !linux

package postgres

import "syscall"

// dieWithParent does nothing where the kernel has no parent-death signal:
// a server whose grader was killed runs on until the next local start
// removes its dir (see filelock.RemoveOrphans), which it notices within a
// minute.
func dieWithParent(*syscall.SysProcAttr) {}
