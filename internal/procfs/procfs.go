// Package procfs reads what Linux's /proc says of a process.
package procfs

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Stat returns the fields of /proc/PID/stat that follow the command name,
// so that Stat(pid)[0] is field 3 of proc(5), the state: [1] is the parent
// pid, [2] the process group, [19] the start time in clock ticks after
// boot. The error is the read's when there is no such process (or no
// /proc).
func Stat(pid int) ([]string, error) {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return nil, err
	}
	// pid (comm) state ppid ...: comm may hold spaces and parentheses.
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return nil, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	return strings.Fields(string(stat[i+1:])), nil
}

// StartTime is the start time of process pid in clock ticks after boot
// (field 22 of proc(5)): with the pid, it names one process, as pids are
// reused. It is "" when there is no such live process (none, or a zombie).
func StartTime(pid int) string {
	f, err := Stat(pid)
	if err != nil || len(f) < 20 || f[0] == "Z" || f[0] == "X" {
		return ""
	}
	return f[19]
}
