//go:build linux

package runner

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nplus1/nplus1/internal/procfs"
)

// A traced command gets the caller's environment less the database
// variables, plus its own; what it leaves running in its group is ended
// when it exits; its exit status is the shell's.
func TestCommandRun(t *testing.T) {
	t.Setenv("PGPASSWORD", "real-secret")
	t.Setenv("DATABASE_URL", "postgres://real-secret@example.com/db")
	t.Setenv("CI_DEPLOY_TOKEN", "kept") // the caller's own program may use it
	t.Setenv("NODE_PATH", "/home/ada/node_modules")
	var out bytes.Buffer
	code, interrupted, err := Command{
		Argv:   []string{"sh", "-c", `sleep 60 & echo "left $!"; env; exit 7`},
		Env:    []string{"PGHOST=127.0.0.1"},
		Stdout: &out,
	}.Run(context.Background())
	if err != nil || code != 7 || interrupted {
		t.Fatalf("Run = %d, %v, %v; want 7, false, nil\n%s", code, interrupted, err, &out)
	}
	// Node.js finds Debian's node-pg, as in a grade, after the caller's own.
	for _, want := range []string{"PGHOST=127.0.0.1\n", "CI_DEPLOY_TOKEN=kept\n", "NODE_PATH=/home/ada/node_modules:/usr/share/nodejs\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the command's environment lacks %q:\n%s", want, &out)
		}
	}
	if strings.Contains(out.String(), "real-secret") {
		t.Errorf("the caller's database variables reached the command:\n%s", &out)
	}
	var left int
	for _, line := range strings.Split(out.String(), "\n") {
		if n, ok := strings.CutPrefix(line, "left "); ok {
			left, _ = strconv.Atoi(n)
		}
	}
	if left == 0 {
		t.Fatalf("the command did not say its background pid:\n%s", &out)
	}
	// Dead but not yet reaped by whoever inherited it is gone enough.
	if st, err := procfs.Stat(left); err == nil && st[0] != "Z" {
		t.Errorf("the command's background process %d still runs after Run (state %s)", left, st[0])
	}
}

// Once ctx is done the command is interrupted: SIGINT, 130 as in a shell.
func TestCommandInterrupted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	code, interrupted, err := Command{Argv: []string{"sleep", "60"}, Grace: 2 * time.Second}.Run(ctx)
	if err != nil || code != 130 || !interrupted {
		t.Errorf("Run = %d, %v, %v; want 130, true, nil", code, interrupted, err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the interrupted command took %s to end", took)
	}
	if _, _, err := (Command{Argv: []string{"/nonexistent/program"}}).Run(context.Background()); err == nil || !strings.Contains(err.Error(), "/nonexistent/program") {
		t.Errorf("a program that cannot start: %v; want an error naming it", err)
	}
}
