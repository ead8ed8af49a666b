//go:build !linux

package runner

// limitMemory does nothing: setting another process's limits (prlimit)
// is a Linux feature.
func limitMemory(int, int64) error { return nil }

// memoryLimitSupported reports whether limitMemory does anything here.
const memoryLimitSupported = false
