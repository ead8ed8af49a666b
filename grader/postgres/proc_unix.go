//go:build unix

package postgres

import (
	"syscall"

	"github.com/nplus1/nplus1/internal/procgroup"
)

// procAttr puts a child in its own process group, running as the given
// user if not nil. If the grader dies first, even by SIGKILL, the kernel
// sends the child SIGQUIT (Linux): PostgreSQL's immediate shutdown, which
// stops its backends and frees its shared memory. Where there is no
// parent-death signal, a server whose grader was killed runs on until the
// next local start removes its dir (see filelock.RemoveOrphans), which it
// notices within a minute.
func procAttr(as *runAs) *syscall.SysProcAttr {
	attr := procgroup.Attr(syscall.SIGQUIT)
	if as != nil {
		attr.Credential = &syscall.Credential{Uid: as.uid, Gid: as.gid}
	}
	return attr
}
