package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestReadBuild(t *testing.T) {
	clone := &debug.BuildInfo{
		Main: debug.Module{Path: "github.com/nplus1/nplus1", Version: "v0.0.0-20261124173700-b2f6d0184170+dirty"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "b2f6d0184170f5caf0e4fdba0ae8801bf75894e5"},
			{Key: "vcs.time", Value: "2026-11-24T17:37:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{"a clone, uncommitted changes", clone, true,
			"nplus1 v0.0.0-20261124173700-b2f6d0184170+dirty (commit b2f6d0184170f5caf0e4fdba0ae8801bf75894e5, committed 2026-11-24T17:37:00Z, with uncommitted changes)"},
		{"go install module@version", &debug.BuildInfo{Main: debug.Module{Version: "v0.3.0"}}, true,
			"nplus1 v0.3.0 (no commit or date recorded: built with go run, without version control information (-buildvcs=false), or outside a git clone)"},
		{"go run", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true,
			"nplus1 (devel) (no commit or date recorded: built with go run, without version control information (-buildvcs=false), or outside a git clone)"},
		{"no build info", nil, false,
			"nplus1 (devel) (no commit or date recorded: built with go run, without version control information (-buildvcs=false), or outside a git clone)"},
	}
	for _, tt := range tests {
		if got := readBuild(tt.bi, tt.ok).String(); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}

	// A release's -ldflags win over what the go command recorded.
	version, commit, date = "0.4.0", "0123456789abcdef0123456789abcdef01234567", "2026-12-01T10:00:00Z"
	defer func() { version, commit, date = "", "", "" }()
	want := "nplus1 0.4.0 (commit 0123456789abcdef0123456789abcdef01234567, built 2026-12-01T10:00:00Z)"
	if got := readBuild(clone, true).String(); got != want {
		t.Errorf("release:\n got %s\nwant %s", got, want)
	}
}

// A binary built from this checkout, as `go install ./cmd/nplus1` builds
// it, prints the version, commit and commit time the go command stamped in
// it, read back with `go version -m`; where none was stamped (a checkout
// that is not a git clone the go command recognises, such as a git
// worktree), it says (devel).
func TestVersionOfABuiltBinary(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "nplus1")
	build := exec.Command(goBin, "build", "-o", bin, ".")
	// As a newcomer's machine builds: version control stamping on, whatever
	// GOFLAGS this machine's go env holds.
	build.Env = append(os.Environ(), "GOFLAGS=-buildvcs=true")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("nplus1 version: %v", err)
	}
	got := strings.TrimSpace(string(out))
	meta, err := exec.Command(goBin, "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	stamp := map[string]string{}
	for _, line := range strings.Split(string(meta), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[0] == "mod":
			stamp["version"] = f[2]
		case len(f) >= 2 && f[0] == "build":
			if k, v, ok := strings.Cut(f[1], "="); ok {
				stamp[k] = v
			}
		}
	}
	if rev := stamp["vcs.revision"]; rev != "" {
		for _, want := range []string{"nplus1 " + stamp["version"] + " ", "commit " + rev, "committed " + stamp["vcs.time"]} {
			if !strings.Contains(got, want) {
				t.Errorf("nplus1 version = %q, want %q in it (go version -m:\n%s)", got, want, meta)
			}
		}
		if (stamp["vcs.modified"] == "true") != strings.Contains(got, "with uncommitted changes") {
			t.Errorf("nplus1 version = %q, but vcs.modified=%s", got, stamp["vcs.modified"])
		}
		return
	}
	if _, err := os.Stat("../../.git"); err == nil {
		if fi, _ := os.Stat("../../.git"); fi.IsDir() {
			t.Errorf("go build stamped no commit in a git clone: go version -m:\n%s", meta)
		}
	}
	if !strings.HasPrefix(got, "nplus1 (devel) (no commit or date recorded") {
		t.Errorf("nplus1 version = %q, want (devel) and no commit, as go version -m shows none:\n%s", got, meta)
	}
}
