//go:build unix

package runner

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The grader reads a solution's nplus1.yaml and sniffs its files as
// itself: a link out of the directory (to a root grader's /etc/shadow, to
// /proc/self/environ) must not bring another file into the card, and
// /dev/zero or a FIFO must not fill the grader's memory or hang it
// (redteam7/yamllink).
func TestDetectReadsOnlyTheSolutionsFiles(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("root:$y$hunter2:20228:0:99999:7:::\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := func(target string) func(string) error {
		return func(path string) error { return os.Symlink(target, path) }
	}
	tests := []struct {
		name, file string
		make       func(path string) error
		want       string
	}{
		{"manifest out", ManifestFile, link(secret), "out of the solution directory"},
		{"manifest zero", ManifestFile, link("/dev/zero"), "nplus1.yaml: a link to /dev/zero, out of the solution directory"},
		{"manifest fifo", ManifestFile, func(p string) error { return syscall.Mkfifo(p, 0o644) }, "not a regular file"},
		{"manifest huge", ManifestFile, func(p string) error {
			return os.WriteFile(p, []byte("challenge: orders-users\n#"+strings.Repeat("x", maxManifest)), 0o644)
		}, "larger than"},
		// Sniffed for GORM: must not hang on the FIFO's open.
		{"go.mod fifo", "go.mod", func(p string) error { return syscall.Mkfifo(p, 0o644) }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := tt.make(filepath.Join(dir, tt.file)); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			var err error
			go func() {
				defer close(done)
				_, err = Detect(dir)
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Detect still runs after 10s")
			}
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Detect: %v", err)
				}
				return
			}
			var me *ManifestError
			if !errors.As(err, &me) || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("Detect: %v; want a ManifestError saying %q, and nothing of the file", err, tt.want)
			}
		})
	}
}
