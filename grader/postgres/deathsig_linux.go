package postgres

import "syscall"

// dieWithParent has the kernel send the server SIGQUIT (PostgreSQL's
// immediate shutdown: it stops its backends and frees its shared memory)
// if the grader dies first, even by SIGKILL, when no cleanup of ours runs.
func dieWithParent(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGQUIT }
