//go:build !linux

package runner

// member is one process of a program (see the Linux version).
type member struct {
	pid    int
	start  string
	zombie bool
	left   bool
}

// groupMembers reports ok false: there is no /proc to read.
func groupMembers(int) ([]member, bool) { return nil, false }

// programMembers reports ok false: there is no /proc to read.
func programMembers(int) ([]member, bool) { return nil, false }

// listenAddrs returns nil: finding a program's sockets needs /proc.
func listenAddrs(int) []string { return nil }

// memoryWatchSupported: there is no /proc to measure memory with.
const memoryWatchSupported = false

// resident returns 0: it needs /proc.
func resident([]int) int64 { return 0 }

// tmpUsage is 0: sandboxes are Linux's.
func (pl *Place) tmpUsage() int64 { return 0 }
