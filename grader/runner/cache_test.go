//go:build unix

package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The same files built from another directory come out of the cache, the
// grade runs its own copy, and the cache keeps the most recent entries.
func TestBuildCache(t *testing.T) {
	cache := t.TempDir()
	const key = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	entry := filepath.Join(cache, "0123456789abcdef0123456789abcdef")
	// Older entries than the cache keeps, to be pruned.
	old := time.Now().Add(-time.Hour)
	for i := range cacheEntries + 3 {
		dir := filepath.Join(cache, strings.Repeat("f", 31)+string(rune('a'+i)))
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(dir, old, old.Add(time.Duration(i)*time.Second))
	}

	var progs []string
	for range 2 {
		dir := t.TempDir()
		src, _ := os.ReadFile("testdata/gosolution/main.go")
		os.WriteFile(filepath.Join(dir, "main.go"), src, 0o644)
		os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module solution\n\ngo 1.26\n"), 0o644)
		b, err := mustDetect(t, dir).Build(context.Background(), BuildOptions{Cache: cache, CacheKey: key})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		p, err := b.Start(context.Background(), StartOptions{Port: mustPort(t)})
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		p.Stop()
		progs = append(progs, b.argv[0])
	}
	if progs[0] == progs[1] || !strings.HasPrefix(progs[0], os.TempDir()) {
		t.Errorf("programs run from %v; want a private copy each", progs)
	}
	if _, err := os.Stat(filepath.Join(entry, "solution")); err != nil {
		t.Errorf("the program is not in the cache: %v", err)
	}
	dirs, _ := filepath.Glob(filepath.Join(cache, "*"))
	kept := 0
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			kept++
		}
	}
	if kept != cacheEntries {
		t.Errorf("the cache keeps %d entries, want %d", kept, cacheEntries)
	}
	// The oldest went first.
	if _, err := os.Stat(filepath.Join(cache, strings.Repeat("f", 31)+"a")); err == nil {
		t.Error("the oldest entry was kept")
	}
}

func TestCacheKey(t *testing.T) {
	for digest, want := range map[string]string{
		"sha256:" + strings.Repeat("ab", 32): strings.Repeat("ab", 16),
		"sha256:../../etc":                   "",
		"md5:" + strings.Repeat("ab", 32):    "",
		"":                                   "",
	} {
		if got := cacheKey(digest); got != want {
			t.Errorf("cacheKey(%q) = %q, want %q", digest, got, want)
		}
	}
}

// A cache that cannot be written is done without: the build still works.
func TestBuildCacheUnusable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	b, err := mustDetect(t, "testdata/gosolution").Build(context.Background(), BuildOptions{
		Cache:    filepath.Join(file, "cache"), // under a file: cannot be made
		CacheKey: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	})
	if err != nil {
		t.Fatalf("Build with an unusable cache: %v", err)
	}
	b.Close()
}
