package postgres

import (
	"os"
	"strconv"
	"strings"

	"github.com/nplus1/nplus1/internal/procfs"
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
	start := procfs.StartTime(os.Getpid())
	if start == "" {
		return ""
	}
	return strings.Join([]string{strings.TrimSpace(string(boot)), ns, strconv.Itoa(os.Getpid()), start}, "/")
}

// ownerGone reports whether the process that owner names (see
// processOwner) has ended, as seen by the process that me names. It is
// false whenever that cannot be known here: another boot or PID
// namespace, a malformed label.
func ownerGone(me, owner string) bool {
	mine := strings.Split(me, "/")
	theirs := strings.Split(owner, "/")
	if len(mine) != 4 || len(theirs) != 4 || mine[0] != theirs[0] || mine[1] != theirs[1] {
		return false
	}
	pid, err := strconv.Atoi(theirs[2])
	if err != nil || pid <= 0 {
		return false
	}
	return procfs.StartTime(pid) != theirs[3]
}
