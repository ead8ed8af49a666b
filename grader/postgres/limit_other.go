//go:build !linux

package postgres

// bounded is the command that runs bin with args, as it is: RLIMIT_DATA
// bounds a process's memory on Linux only, and the server's backends are
// unbounded elsewhere.
func bounded(bin string, args []string) (string, []string) { return bin, args }
