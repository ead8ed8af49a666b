package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// readmeInstallCommands returns the commands README.md's Install section
// gives first: its indented code lines, in order.
func readmeInstallCommands(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Install\n")
	if !ok {
		t.Fatal("README.md has no Install section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var cmds []string
	for _, line := range strings.Split(section, "\n") {
		if cmd, ok := strings.CutPrefix(line, "    "); ok && strings.TrimSpace(cmd) != "" {
			cmds = append(cmds, cmd)
		}
	}
	return cmds
}

// The README's first two commands, install-and-grade from a clone and the
// whole test suite, are what CI runs, as written.
func TestCIRunsTheReadmeCommands(t *testing.T) {
	cmds := readmeInstallCommands(t)
	if len(cmds) < 2 {
		t.Fatalf("README.md's Install section gives %d commands, want the install-and-grade one and the test one first: %q", len(cmds), cmds)
	}
	install, test := cmds[0], cmds[1]
	for _, want := range []string{"go install ./cmd/nplus1", "nplus1 grade challenges/"} {
		if !strings.Contains(install, want) {
			t.Errorf("README's first command %q does not contain %q", install, want)
		}
	}
	if !strings.HasPrefix(test, "go test ") || !strings.HasSuffix(test, " ./...") {
		t.Errorf("README's second command %q is not the go test of every package", test)
	}
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]bool{}
	for _, line := range strings.Split(string(ci), "\n") {
		lines[strings.TrimSpace(line)] = true
	}
	for _, cmd := range []string{install, test} {
		if !lines[cmd] {
			t.Errorf(".ci/run does not run the README's command as written:\n%s", cmd)
		}
	}
	// The Develop section's test command is the same one.
	readme, _ := os.ReadFile("../../README.md")
	if !strings.Contains(string(readme), "Run every test with:\n\n    "+test+"\n") {
		t.Errorf("README's Develop section does not give the test command %q", test)
	}
}

// TestNoBuiltProgramIsCommitted: a clone holds sources, not a build of
// nplus1 (`go build` in cmd/nplus1 writes one there, 40 MB, which a
// `git commit -a` takes along).
func TestNoBuiltProgramIsCommitted(t *testing.T) {
	out, err := exec.Command("git", "-C", "../..", "ls-files", "-z").Output()
	if err != nil {
		t.Skipf("not a git checkout (git ls-files: %v)", err)
	}
	for _, name := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		f, err := os.Open(filepath.Join("../..", name))
		if err != nil {
			continue // deleted in the working tree
		}
		head := make([]byte, 4)
		n, _ := io.ReadFull(f, head)
		f.Close()
		if string(head[:n]) == "\x7fELF" {
			t.Errorf("%s is a compiled program and is committed: git rm --cached it (and list it in .gitignore)", name)
		}
	}
}
