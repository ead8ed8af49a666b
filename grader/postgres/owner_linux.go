package postgres

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// processOwner names this process so that another nplus1 can tell, later,
// whether it still runs: the boot, the PID namespace, the pid and its
// start time (a pid may be reused; the start time tells). "" if /proc
// cannot say.
func processOwner() string {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return ""
	}
	start := startTime(os.Getpid())
	if start == "" {
		return ""
	}
	return strings.Join([]string{strings.TrimSpace(string(boot)), ns, strconv.Itoa(os.Getpid()), start}, "/")
}

// ownerGone reports whether the process that owner names (see
// processOwner) has ended. It is false whenever that cannot be known here:
// another boot or PID namespace, a malformed label.
func ownerGone(owner string) bool {
	mine := strings.Split(processOwner(), "/")
	theirs := strings.Split(owner, "/")
	if len(mine) != 4 || len(theirs) != 4 || mine[0] != theirs[0] || mine[1] != theirs[1] {
		return false
	}
	pid, err := strconv.Atoi(theirs[2])
	if err != nil || pid <= 0 {
		return false
	}
	return startTime(pid) != theirs[3]
}

// startTime is process pid's start time in clock ticks after boot (field 22
// of /proc/PID/stat), or "" if there is no such process.
func startTime(pid int) string {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return ""
	}
	// pid (comm) state ppid ...: comm may hold spaces and parentheses.
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 20 {
		return ""
	}
	return f[19]
}
