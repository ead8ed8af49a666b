package runner

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/nplus1/nplus1/internal/procfs"
)

// member is one process of a program: of its process group, or a
// descendant of the group that left it (setsid, setpgid).
type member struct {
	pid    int
	start  string // start time after boot: tells the process from a later one with its pid
	zombie bool
	left   bool // not in the group
}

// groupMembers lists the processes of group pgid from /proc; ok is false if
// /proc cannot be read.
func groupMembers(pgid int) (members []member, ok bool) {
	all, ok := programMembers(pgid)
	for _, m := range all {
		if !m.left {
			members = append(members, m)
		}
	}
	return members, ok
}

// programMembers lists, from one pass over /proc, the processes of group
// pgid and their descendants that left it; ok is false if /proc cannot be
// read. A process that left the group is found only while its chain of
// parents still leads back to the group.
func programMembers(pgid int) (members []member, ok bool) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, false
	}
	group := strconv.Itoa(pgid)
	stats := map[int][]string{}
	children := map[int][]int{}
	var queue []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		f, err := procfs.Stat(pid)
		if err != nil || len(f) < 20 {
			continue // exited meanwhile
		}
		stats[pid] = f
		if ppid, err := strconv.Atoi(f[1]); err == nil {
			children[ppid] = append(children[ppid], pid)
		}
		if f[2] == group {
			queue = append(queue, pid)
		}
	}
	seen := map[int]bool{}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		if seen[pid] {
			continue
		}
		seen[pid] = true
		f := stats[pid]
		members = append(members, member{pid: pid, start: f[19], zombie: f[0] == "Z" || f[0] == "X", left: f[2] != group})
		queue = append(queue, children[pid]...)
	}
	slices.SortFunc(members, func(a, b member) int { return a.pid - b.pid })
	return members, true
}

// listenAddrs lists the TCP addresses that the processes of group pgid
// listen on, sorted, or nil if there are none or /proc cannot tell.
func listenAddrs(pgid int) []string {
	members, _ := groupMembers(pgid)
	inodes := map[string]bool{}
	for _, m := range members {
		dir := filepath.Join("/proc", strconv.Itoa(m.pid), "fd")
		fds, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(dir, fd.Name()))
			if err == nil && strings.HasPrefix(link, "socket:[") {
				inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
			}
		}
	}
	if len(inodes) == 0 {
		return nil
	}
	var addrs []string
	// The tables of the group leader's network namespace (a sandbox's own).
	for _, table := range []string{"tcp", "tcp6"} {
		addrs = append(addrs, listeningIn(filepath.Join("/proc", strconv.Itoa(pgid), "net", table), inodes)...)
	}
	slices.Sort(addrs)
	return slices.Compact(addrs)
}

// listeningIn returns the local addresses of the listening sockets in a
// /proc/net/tcp{,6} table whose inode is in inodes.
func listeningIn(table string, inodes map[string]bool) []string {
	f, err := os.Open(table)
	if err != nil {
		return nil
	}
	defer f.Close()
	var addrs []string
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[3] != "0A" || !inodes[f[9]] { // 0A: LISTEN
			continue
		}
		if a := procAddr(f[1]); a != "" {
			addrs = append(addrs, a)
		}
	}
	return addrs
}

// procAddr decodes a /proc/net/tcp address: the IP as 32-bit words in host
// byte order, in hex, then ':' and the port in hex.
func procAddr(s string) string {
	ipHex, portHex, ok := strings.Cut(s, ":")
	if !ok {
		return ""
	}
	raw, err := hex.DecodeString(ipHex)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return ""
	}
	port, err := strconv.ParseUint(portHex, 16, 16)
	if err != nil {
		return ""
	}
	ip := make(net.IP, len(raw))
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(ip[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	if v4 := ip.To4(); v4 != nil && len(raw) == 16 && !ip.IsUnspecified() {
		ip = v4 // ::ffff:a.b.c.d
	}
	return net.JoinHostPort(ip.String(), strconv.FormatUint(port, 10))
}

// memoryWatchSupported: groupResident works here.
const memoryWatchSupported = true

// resident sums the resident memory of the live processes among pids, in
// bytes, from /proc/PID/statm.
func resident(pids []int) int64 {
	var pages int64
	for _, pid := range pids {
		statm, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "statm"))
		if err != nil {
			continue // gone meanwhile
		}
		// size resident shared text lib data dt, in pages
		if f := strings.Fields(string(statm)); len(f) > 1 {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			pages += n
		}
	}
	return pages * int64(os.Getpagesize())
}

// tmpUsage is the memory a sandboxed program holds in its private tmpfs
// (/tmp, /var/tmp, /dev/shm, /run), which no process's resident memory
// shows: read through the init process's root, in bytes.
func (pl *Place) tmpUsage() int64 {
	if !pl.Sandboxed() {
		return 0
	}
	var used int64
	root := filepath.Join("/proc", strconv.Itoa(pl.sb.Pid()), "root")
	for _, dir := range []string{"tmp", "var/tmp", "dev/shm", "run"} {
		var st syscall.Statfs_t
		if syscall.Statfs(filepath.Join(root, dir), &st) == nil && st.Type == tmpfsMagic {
			used += int64(st.Blocks-st.Bfree) * st.Bsize
		}
	}
	return used
}

// tmpfsMagic is the file system type of a tmpfs.
const tmpfsMagic = 0x01021994
