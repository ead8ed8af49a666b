package runner

import "golang.org/x/sys/unix"

// limitMemory caps how much memory process pid may allocate, at limit
// bytes: its data segment limit (RLIMIT_DATA: the heap and every private
// writable mapping, which is where Go and Python put their objects; unlike
// RLIMIT_AS it leaves alone the address space a runtime merely reserves).
// An allocation past it fails: Go prints "fatal error: runtime: out of
// memory" and exits, Python raises MemoryError.
func limitMemory(pid int, limit int64) error {
	rl := unix.Rlimit{Cur: uint64(limit), Max: uint64(limit)}
	return unix.Prlimit(pid, unix.RLIMIT_DATA, &rl, nil)
}

// memoryLimitSupported reports whether limitMemory does anything here.
const memoryLimitSupported = true
