package runner

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer collects progress lines written from other goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A build that takes longer than the progress interval says so while it
// runs, with its time so far, and names each module the go command says it
// downloads; a quick one says nothing.
func TestBuildProgress(t *testing.T) {
	dir := t.TempDir()
	build := "sleep 0.4; echo 'go: downloading example.com/mod v1.2.3' >&2; sleep 0.4"
	os.WriteFile(filepath.Join(dir, ManifestFile), []byte("build: "+strconv.Quote(build)+"\nrun: ./app\n"), 0o644)
	var progress lockedBuffer
	every := 100 * time.Millisecond
	start := time.Now()
	b, err := mustDetect(t, dir).Build(context.Background(), BuildOptions{Progress: &progress, ProgressEvery: every})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	b.Close()
	got := progress.String()
	for _, want := range []string{"build: running " + build + ", ", "ms so far\n", "build: downloading example.com/mod v1.2.3\n", "s so far (1 module downloaded)\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("progress lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, " so far"); n < 3 || n > int(took/every)+1 {
		t.Errorf("%d progress lines over a build of %s at one every %s:\n%s", n, took, every, got)
	}

	progress = lockedBuffer{}
	os.WriteFile(filepath.Join(dir, ManifestFile), []byte("build: true\nrun: ./app\n"), 0o644)
	b, err = mustDetect(t, dir).Build(context.Background(), BuildOptions{Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	if got := progress.String(); got != "" {
		t.Errorf("a quick build said %q", got)
	}
}
