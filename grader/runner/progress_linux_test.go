package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nplus1/nplus1/grader/sandbox"
	"github.com/nplus1/nplus1/internal/pgtest"
)

// A sandboxed Go build says which step it is in: fetching the modules
// (go list -deps, as the grader), then compiling (go build, in the
// sandbox).
func TestSandboxedBuildProgress(t *testing.T) {
	if err := sandbox.Supported(); err != nil {
		pgtest.Need(t, "a system that can sandbox", err)
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/tiny\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nimport \"os\"\n\nfunc main() { os.Exit(0) }\n"), 0o644)
	iso := &Isolation{Cache: filepath.Join(t.TempDir(), "cache")}
	os.Chmod(filepath.Dir(iso.Cache), 0o755)
	var progress lockedBuffer
	b, err := mustDetect(t, dir).Build(context.Background(), BuildOptions{Isolation: iso, Timeout: 5 * time.Minute, Progress: &progress, ProgressEvery: time.Millisecond})
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	b.Close()
	got := progress.String()
	for _, want := range []string{"build: fetching modules (go list -deps .), ", "build: compiling (go build -o solution .), "} {
		if !strings.Contains(got, want) {
			t.Errorf("progress lacks %q:\n%s", want, got)
		}
	}
}
