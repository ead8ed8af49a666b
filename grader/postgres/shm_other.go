//go:build !linux && !(darwin && !ios)

package postgres

// removeSharedMemory does nothing: the server uses no System V shared
// memory here, or the system has none.
func removeSharedMemory(data string) {}
