package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nplus1/nplus1/internal/leaktest"
)

// SIGINT in each phase of a grade: the grader stops, exits 3 (not graded),
// still writes a card, and leaves no process or temp dir behind.
func TestInterruptInEachPhase(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "nplus1")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build nplus1: %v\n%s", err, out)
	}
	solution, err := filepath.Abs("../../challenges/orders-users/reference/go")
	if err != nil {
		t.Fatal(err)
	}
	for _, phase := range []string{"build:", "postgres:", "seed:", "start:", "measure:", "scaling:", "baseline:"} {
		t.Run(strings.TrimSuffix(phase, ":"), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "card")
			tmp := leaktest.PrivateTmp(t)
			cmd := exec.Command(bin, "grade", solution, "--out", out, "--requests", "50")
			cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
			stderr, _ := cmd.StderrPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sent := false
			sc := bufio.NewScanner(stderr)
			var lines []string
			for sc.Scan() {
				lines = append(lines, sc.Text())
				if !sent && strings.Contains(sc.Text(), "| "+phase) {
					cmd.Process.Signal(syscall.SIGINT)
					sent = true
				}
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err = <-done:
			case <-time.After(time.Minute):
				cmd.Process.Kill()
				t.Fatalf("nplus1 did not exit within a minute of SIGINT in %s", phase)
			}
			if !sent {
				t.Fatalf("never saw phase %q:\n%s", phase, strings.Join(lines, "\n"))
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != exitGradeError {
				t.Errorf("exit %v, want %d (not graded)\n%s", err, exitGradeError, strings.Join(lines, "\n"))
			}
			if _, err := os.Stat(filepath.Join(out, "result.json")); err != nil {
				t.Errorf("no card after SIGINT: %v", err)
			}
			leaktest.AssertNothingLeft(t, tmp)
		})
	}
}

// SIGINT in a grade to the default card directory writes no card there: an
// interrupted grade is none, and the last card and badge stay on top.
func TestInterruptKeepsTheLastCard(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "nplus1")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build nplus1: %v\n%s", err, out)
	}
	solution, err := filepath.Abs("../../challenges/orders-users/reference/go")
	if err != nil {
		t.Fatal(err)
	}
	wd, tmp := t.TempDir(), leaktest.PrivateTmp(t)
	cmd := exec.Command(bin, "grade", solution, "--requests", "50")
	cmd.Dir, cmd.Env = wd, append(os.Environ(), "TMPDIR="+tmp)
	var stdout strings.Builder
	cmd.Stdout = &stdout
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "| measure:") {
			cmd.Process.Signal(syscall.SIGINT)
		}
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitGradeError {
		t.Errorf("exit %v, want %d (not graded)", err, exitGradeError)
	}
	dir := filepath.Join("nplus1-results", "orders-users", "go")
	if !strings.Contains(stdout.String(), "no card written: the grade was interrupted; "+dir+" keeps the last one") {
		t.Errorf("stdout does not say that no card was written:\n%s", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(wd, dir)); !os.IsNotExist(err) {
		t.Errorf("an interrupted grade made %s (%v)", dir, err)
	}
	leaktest.AssertNothingLeft(t, tmp)
}
