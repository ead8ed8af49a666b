//go:build unix

package runner

import (
	"context"
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

// The private copy a sandbox shows keeps no link that leads out of it,
// nowhere, or round in a loop: go list, run by the grader in the copy,
// writes go.sum through a link to a missing file (redteam7/sumlink: a
// root grader made /etc/cron.d/x), and reads through any.
func TestCopyDropsLinksOut(t *testing.T) {
	base := t.TempDir()
	src := filepath.Join(base, "solution")
	secret := filepath.Join(base, "secret")
	for _, f := range []string{filepath.Join(src, "main.go"), secret} {
		os.MkdirAll(filepath.Dir(f), 0o755)
		if err := os.WriteFile(f, []byte("package main\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(src, "sub"), 0o755)
	links := map[string]string{
		"go.sum": filepath.Join(base, "missing", "x"), // out, nowhere
		"secret": secret,                              // out
		"loop1":  "loop2", "loop2": "loop1",
		"self":   ".",                    // in: the directory itself
		"esc":    "self/../secret",       // out, through a link in
		"here":   "main.go",              // in
		"sub/up": "../main.go",           // in
		"later":  "sub/../loop1/../here", // through a loop
	}
	for name, to := range links {
		if err := os.Symlink(to, filepath.Join(src, name)); err != nil {
			t.Fatal(err)
		}
	}
	dst := filepath.Join(t.TempDir(), "work")
	if err := copySolution(src, dst); err != nil {
		t.Fatal(err)
	}
	if err := dropLinksOut(dst); err != nil {
		t.Fatal(err)
	}
	for name := range links {
		_, err := os.Lstat(filepath.Join(dst, name))
		kept := err == nil
		if want := name == "self" || name == "here" || name == "sub/up"; kept != want {
			t.Errorf("%s -> %s: kept %v, want %v", name, links[name], kept, want)
		}
	}
}

// A Go solution's build reaches no file out of its directory: not through
// a go.mod that is a link, a replace directive naming a directory
// elsewhere, or a go.work. go list runs as the grader, so each of them
// pointing at a FIFO (or /dev/zero) hung it (or filled its memory) until
// the build's timeout.
func TestGoBuildStaysInTheSolution(t *testing.T) {
	outside := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(outside, "go.mod"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(outside, "x.go"), []byte("package x\n"), 0o644)
	const main = "package main\n\nfunc main() {}\n"
	tests := []struct {
		name  string
		files map[string]string // "->" starts a link's target
		want  string            // in the BuildError; "" for a build that works
	}{
		{"replace", map[string]string{
			"go.mod":  "module m\n\ngo 1.22\n\nrequire example.com/x v0.0.0\n\nreplace example.com/x => " + outside + "\n",
			"main.go": "package main\n\nimport _ \"example.com/x\"\n\nfunc main() {}\n",
		}, "go.mod replaces example.com/x with the directory " + outside + ", out of the solution directory"},
		{"go.mod link", map[string]string{"go.mod": "->" + filepath.Join(outside, "go.mod"), "main.go": main},
			"go.mod is a link out of the solution directory"},
		{"go.work", map[string]string{"go.mod": "module m\n\ngo 1.22\n", "go.work": "go 1.22\n\nuse .\nuse " + outside + "\n", "main.go": main}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			os.Chmod(dir, 0o755)
			for name, text := range tt.files {
				var err error
				if to, ok := strings.CutPrefix(text, "->"); ok {
					err = os.Symlink(to, filepath.Join(dir, name))
				} else {
					err = os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			sol, err := Detect(dir)
			if err != nil {
				t.Fatal(err)
			}
			iso := &Isolation{Cache: filepath.Join(t.TempDir(), "cache")}
			os.Chmod(filepath.Dir(iso.Cache), 0o755)
			os.Chmod(filepath.Dir(dir), 0o755) // the test's temp dirs, for the sandbox's uid
			built, err := sol.Build(context.Background(), BuildOptions{Isolation: iso, Timeout: 20 * time.Second})
			if err == nil {
				built.Close()
			}
			var be *BuildError
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("build: %v", err)
			case tt.want != "" && (!errors.As(err, &be) || be.Timeout != 0 || !strings.Contains(be.Output, tt.want)):
				t.Fatalf("build: %v (%+v); want a BuildError saying %q", err, be, tt.want)
			}
		})
	}
}

// go list, which runs as the grader outside any sandbox, is stopped past
// goListMemory: a module around the solution may have a replaced module
// whose go.mod is /dev/zero, which it would read until the machine's
// memory ran out.
func TestGoListMemoryIsBounded(t *testing.T) {
	module := t.TempDir()
	os.Chmod(module, 0o755)
	os.Chmod(filepath.Dir(module), 0o755)
	files := map[string]string{
		"go.mod":           "module example.com/m\n\ngo 1.22\n\nrequire example.com/x v0.0.0\n\nreplace example.com/x => ./evil\n",
		"evil/x.go":        "package x\n",
		"solution/main.go": "package main\n\nimport _ \"example.com/x\"\n\nfunc main() {}\n",
	}
	for name, text := range files {
		path := filepath.Join(module, name)
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/dev/zero", filepath.Join(module, "evil", "go.mod")); err != nil {
		t.Fatal(err)
	}
	sol, err := Detect(filepath.Join(module, "solution"))
	if err != nil {
		t.Fatal(err)
	}
	iso := &Isolation{Cache: filepath.Join(t.TempDir(), "cache")}
	os.Chmod(filepath.Dir(iso.Cache), 0o755)
	built, err := sol.Build(context.Background(), BuildOptions{Isolation: iso, Timeout: time.Minute})
	if err == nil {
		built.Close()
	}
	var be *BuildError
	if !errors.As(err, &be) || !strings.Contains(be.Output, "over the 1GiB it may, and was stopped") {
		t.Fatalf("build: %v; want go list stopped for its memory", err)
	}
}

// The copy of a solution directory stops at what a sandbox may hold: a
// sparse file of a terabyte filled the disk (redteam7/sparse).
func TestCopyRefusesAHugeDirectory(t *testing.T) {
	diskLimit = 16 << 20
	t.Cleanup(func() { diskLimit = DiskLimit })
	src := t.TempDir()
	f, err := os.Create(filepath.Join(src, "big"))
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(100 << 20)
	f.Close()
	dst := filepath.Join(t.TempDir(), "work")
	err = copySolution(src, dst)
	var be *BuildError
	if !errors.As(err, &be) || !strings.Contains(be.Output, "the solution directory takes more than the 16MiB its sandbox may hold (reached at big, of 100MiB;") {
		t.Fatalf("copy: %v; want a BuildError", err)
	}
	if _, err := os.Stat(filepath.Join(dst, "big")); err == nil {
		t.Error("the file was copied")
	}
}
