// Package procgroup is the one place where the grader's children get a
// process group of their own and where groups are signalled: a solution
// (grader/runner), a traced command (through runner.Command) and a local
// PostgreSQL server (grader/postgres). It also finds free ports.
package procgroup

import (
	"fmt"
	"net"
)

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
