package grader

import (
	"fmt"
	"os"
	"strings"

	"github.com/docker/go-units"
)

// probeSize is what checkTempDir writes: enough to find a full file system.
const probeSize = 1 << 20

// lowSpace is the free space under which a temp directory counts as full
// when a build ran out of space: a Go build needs a few hundred MB.
const lowSpace = 1 << 30

// checkTempDir makes sure the grader can write to its temp directory
// (TMPDIR), where the builds, the programs and a local server's data go:
// one that is missing, not writable or full is the machine's fault, said
// before anything starts rather than as a build the solution failed.
func checkTempDir() error {
	dir := os.TempDir()
	f, err := os.CreateTemp(dir, "nplus1-probe-")
	if err == nil {
		_, err = f.Write(make([]byte, probeSize))
		f.Close()
		os.Remove(f.Name())
	}
	if err != nil {
		return fmt.Errorf("the grader's temp directory %s (TMPDIR) cannot be used: %w", dir, err)
	}
	return nil
}

// tempDirFull says why a build that failed with output failed for want of
// space in the grader's temp directory, or is "" if it did not: the build
// said "no space left on device" and the directory has little space left
// (what a build prints alone proves nothing).
func tempDirFull(output string) string {
	if !strings.Contains(output, "no space left on device") {
		return ""
	}
	dir := os.TempDir()
	free, ok := freeSpace(dir)
	if !ok || free >= lowSpace {
		return ""
	}
	return fmt.Sprintf("the build ran out of disk space (%s): the grader's temp directory %s (TMPDIR) has %s free",
		lastLine(output, "no space left on device"), dir, units.BytesSize(float64(free)))
}

// lastLine is the last line of s that holds substr, trimmed.
func lastLine(s, substr string) string {
	lines := nonBlankLines(s)
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], substr) {
			return lines[i]
		}
	}
	return ""
}
