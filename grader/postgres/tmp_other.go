//go:build !linux

package postgres

import "os"

// clusterParent is where throwaway clusters go: the system's temp dir.
func clusterParent() string { return os.TempDir() }
