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

// cgroup is a cgroup of a sandbox's own: a memory limit and a pids limit
// hold every process in it, the init process's children included, whatever
// they do, and its memory counts what no process's resident set shows
// (memfd files, SysV shared memory, tmpfs). In the v2 hierarchy it exists
// where the system delegates a subtree to the grader (a systemd unit with
// Delegate=yes, a container runtime's cgroup namespace); in v1 where the
// grader may write the memory and pids hierarchies (root). Elsewhere the
// sandbox does with rlimits and the runner's memory watch.
type cgroup struct {
	dirs   []string // one, or in v1 one per hierarchy (memory, pids)
	memory string   // the dir with the memory controller's files
	v1     bool
}

var cgroupSeq atomic.Int64

// newCgroup makes a cgroup for one sandbox under the grader's own, in the
// v2 hierarchy mounted at root, with the given limits (memory in bytes, 0:
// none). It returns nil and why when the system does not let it.
func newCgroup(root string, memory int64, pids int) (*cgroup, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(root, &st); err != nil || st.Type != cgroup2Magic {
		return newCgroupV1("/proc/self/mountinfo", "/proc/self/cgroup", memory, pids)
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
	removeStale(parent)
	dir := filepath.Join(parent, fmt.Sprintf("nplus1-sandbox-%d-%d", os.Getpid(), cgroupSeq.Add(1)))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	c := &cgroup{dirs: []string{dir}, memory: dir}
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
	for _, dir := range c.dirs {
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// remove removes the cgroup once its processes are gone (they are being
// killed: give them a moment).
func (c *cgroup) remove() {
	for _, dir := range c.dirs {
		for i := 0; i < 50; i++ {
			if err := os.Remove(dir); err == nil || errors.Is(err, os.ErrNotExist) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// describe says what holds the sandbox's processes.
func (c *cgroup) describe() string {
	switch {
	case c == nil:
		return "rlimits"
	case c.v1:
		return "cgroup v1"
	}
	return "cgroup v2"
}

// memoryUsed is the memory the cgroup's processes hold and the kernel
// cannot drop: anonymous memory and shared memory (tmpfs, memfd, SysV), in
// bytes, from memory.stat; the page cache of files read is left out.
func (c *cgroup) memoryUsed() (int64, error) {
	b, err := os.ReadFile(filepath.Join(c.memory, "memory.stat"))
	if err != nil {
		return 0, err
	}
	fields := []string{"anon", "shmem"} // v2
	if c.v1 {
		fields = []string{"total_rss", "total_shmem"}
	}
	var used int64
	for line := range strings.Lines(string(b)) {
		name, value, _ := strings.Cut(strings.TrimSpace(line), " ")
		if slices.Contains(fields, name) {
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("memory.stat: %s: %w", name, err)
			}
			used += n
		}
	}
	return used, nil
}

// removeStale removes the sandbox cgroups in parent that a grader which
// no longer runs left behind (it was killed before it could remove them);
// a cgroup with processes still in it is not removed (rmdir refuses).
func removeStale(parent string) {
	dirs, _ := filepath.Glob(filepath.Join(parent, "nplus1-sandbox-*-*"))
	for _, dir := range dirs {
		pid, err := strconv.Atoi(strings.Split(filepath.Base(dir), "-")[2])
		if err != nil || pid == os.Getpid() || syscall.Kill(pid, 0) != syscall.ESRCH {
			continue
		}
		_ = os.Remove(dir)
	}
}

// outOfMemory reports whether the kernel killed a process of the cgroup
// for its memory limit, and the most memory the cgroup held (page cache
// included; 0 if unknown).
func (c *cgroup) outOfMemory() (peak int64, killed bool) {
	events, peakFile := "memory.events", "memory.peak"
	if c.v1 {
		events, peakFile = "memory.oom_control", "memory.max_usage_in_bytes"
	}
	if b, err := os.ReadFile(filepath.Join(c.memory, events)); err == nil {
		for line := range strings.Lines(string(b)) {
			if n, ok := strings.CutPrefix(strings.TrimSpace(line), "oom_kill "); ok && n != "0" {
				killed = true
			}
		}
	}
	if b, err := os.ReadFile(filepath.Join(c.memory, peakFile)); err == nil {
		peak, _ = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	}
	return peak, killed
}

// newCgroupV1 makes a cgroup for one sandbox in the v1 memory and pids
// hierarchies (found in mountinfo), under the grader's own cgroups (read
// from the cgroup file), with the given limits (memory in bytes, 0: none;
// swap capped with it where the kernel accounts swap).
func newCgroupV1(mountinfo, cgroupFile string, memory int64, pids int) (*cgroup, error) {
	c := &cgroup{v1: true}
	name := fmt.Sprintf("nplus1-sandbox-%d-%d", os.Getpid(), cgroupSeq.Add(1))
	for _, controller := range []string{"memory", "pids"} {
		parent, err := v1Dir(mountinfo, cgroupFile, controller)
		if err != nil {
			c.remove()
			return nil, err
		}
		removeStale(parent)
		dir := filepath.Join(parent, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			c.remove()
			return nil, err
		}
		c.dirs = append(c.dirs, dir)
		var limits [][2]string
		if controller == "pids" {
			limits = [][2]string{{"pids.max", strconv.Itoa(pids)}}
		} else if c.memory = dir; memory > 0 {
			v := strconv.FormatInt(memory, 10)
			limits = [][2]string{{"memory.limit_in_bytes", v}, {"memory.memsw.limit_in_bytes", v}} // in this order: memsw >= limit
		}
		for _, l := range limits {
			err := os.WriteFile(filepath.Join(dir, l[0]), []byte(l[1]), 0o644)
			if err != nil && !(l[0] == "memory.memsw.limit_in_bytes" && errors.Is(err, os.ErrNotExist)) {
				c.remove()
				return nil, fmt.Errorf("set %s: %w", l[0], err)
			}
		}
	}
	return c, nil
}

// v1Dir is the directory of the grader's own cgroup in the v1 hierarchy
// of controller: the hierarchy's mount point (from mountinfo) joined with
// the grader's path in it (from the cgroup file's "N:controller,...:/path"
// line), less the mount's own root.
func v1Dir(mountinfo, cgroupFile, controller string) (string, error) {
	own := ""
	b, err := os.ReadFile(cgroupFile)
	if err != nil {
		return "", err
	}
	for line := range strings.Lines(string(b)) {
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) == 3 && slices.Contains(strings.Split(parts[1], ","), controller) {
			own = parts[2]
		}
	}
	if own == "" {
		return "", fmt.Errorf("the grader is in no cgroup v1 %s hierarchy", controller)
	}
	b, err = os.ReadFile(mountinfo)
	if err != nil {
		return "", err
	}
	for line := range strings.Lines(string(b)) {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - FSTYPE SOURCE SUPEROPTIONS
		pre, post, ok := strings.Cut(strings.TrimSpace(line), " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f) < 5 || len(g) < 3 || g[0] != "cgroup" || !slices.Contains(strings.Split(g[2], ","), controller) {
			continue
		}
		root, point := f[3], f[4]
		rel, ok := strings.CutPrefix(own, root)
		if !ok || (root != "/" && rel != "" && !strings.HasPrefix(rel, "/")) {
			continue
		}
		return filepath.Join(point, rel), nil
	}
	return "", fmt.Errorf("no cgroup v1 %s hierarchy is mounted", controller)
}
