package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// cgroupRoot is where the unified (v2) cgroup hierarchy is mounted.
const cgroupRoot = "/sys/fs/cgroup"

// cgroup2Magic is the file system type of a cgroup v2 mount.
const cgroup2Magic = 0x63677270

// cgroup is a cgroup v2 of a sandbox's own: memory.max and pids.max hold
// every process in it, the init process's children included, whatever
// they do. It exists only where the system delegates a cgroup subtree to
// the grader (a systemd unit with Delegate=yes, a container runtime's
// cgroup namespace); elsewhere (cgroup v1, no write access) the sandbox
// does with rlimits and the runner's memory watch.
type cgroup struct{ dir string }

var cgroupSeq atomic.Int64

// newCgroup makes a cgroup for one sandbox under the grader's own, in the
// v2 hierarchy mounted at root, with the given limits (memory in bytes, 0:
// none). It returns nil and why when the system does not let it.
func newCgroup(root string, memory int64, pids int) (*cgroup, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(root, &st); err != nil || st.Type != cgroup2Magic {
		return nil, errors.New("no cgroup v2 hierarchy at " + root)
	}
	own, err := ownCgroup("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	parent := filepath.Join(root, own)
	return makeCgroup(parent, memory, pids)
}

// ownCgroup reads the grader's cgroup v2 path from /proc/self/cgroup (its
// "0::/path" line).
func ownCgroup(file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			return p, nil
		}
	}
	return "", errors.New("the grader is in no cgroup v2")
}

// makeCgroup makes the cgroup in parent. The memory and pids controllers
// must be available there; when they are not yet enabled for its children,
// the grader moves itself into a leaf of its own first, as cgroup v2 lets
// no cgroup with processes hand controllers down.
func makeCgroup(parent string, memory int64, pids int) (*cgroup, error) {
	controllers, err := os.ReadFile(filepath.Join(parent, "cgroup.controllers"))
	if err != nil {
		return nil, err
	}
	have := strings.Fields(string(controllers))
	if !slices.Contains(have, "memory") || !slices.Contains(have, "pids") {
		return nil, fmt.Errorf("the memory and pids controllers are not delegated to %s", parent)
	}
	enabled, err := os.ReadFile(filepath.Join(parent, "cgroup.subtree_control"))
	if err != nil {
		return nil, err
	}
	if on := strings.Fields(string(enabled)); !slices.Contains(on, "memory") || !slices.Contains(on, "pids") {
		leaf := filepath.Join(parent, "nplus1-grader")
		if err := os.MkdirAll(leaf, 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(leaf, "cgroup.procs"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
			return nil, fmt.Errorf("move the grader into %s: %w", leaf, err)
		}
		if err := os.WriteFile(filepath.Join(parent, "cgroup.subtree_control"), []byte("+memory +pids"), 0o644); err != nil {
			return nil, fmt.Errorf("enable memory and pids in %s: %w", parent, err)
		}
	}
	dir := filepath.Join(parent, fmt.Sprintf("nplus1-sandbox-%d-%d", os.Getpid(), cgroupSeq.Add(1)))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	c := &cgroup{dir: dir}
	limits := map[string]string{"pids.max": strconv.Itoa(pids), "memory.swap.max": "0"}
	if memory > 0 {
		limits["memory.max"] = strconv.FormatInt(memory, 10)
	}
	for file, value := range limits {
		err := os.WriteFile(filepath.Join(dir, file), []byte(value), 0o644)
		if err != nil && !(file == "memory.swap.max" && errors.Is(err, os.ErrNotExist)) { // no swap accounting: nothing to cap
			c.remove()
			return nil, fmt.Errorf("set %s: %w", file, err)
		}
	}
	return c, nil
}

// add moves process pid (the init process, before it starts anything)
// into the cgroup.
func (c *cgroup) add(pid int) error {
	return os.WriteFile(filepath.Join(c.dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644)
}

// remove removes the cgroup once its processes are gone (they are being
// killed: give them a moment).
func (c *cgroup) remove() {
	for i := 0; i < 50; i++ {
		if err := os.Remove(c.dir); err == nil || errors.Is(err, os.ErrNotExist) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// describe says what holds the sandbox's processes.
func (c *cgroup) describe() string {
	if c == nil {
		return "rlimits"
	}
	return "cgroup v2"
}
