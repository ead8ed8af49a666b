package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nplus1/nplus1/reports"
)

// pythonWithoutDriver returns a real Python interpreter that has no
// PostgreSQL driver: the machine's python3 started with -E -s -S, which leaves
// out site-packages (where psycopg2 is installed), the user's site and
// PYTHON* variables; the script's directory stays on the path.
func pythonWithoutDriver(t *testing.T) string {
	t.Helper()
	py := os.Getenv("NPLUS1_PYTHON")
	if py == "" {
		py = "python3"
	}
	path, err := exec.LookPath(py)
	if err != nil {
		t.Fatalf("no Python interpreter (%s): %v", py, err)
	}
	wrapper := filepath.Join(t.TempDir(), "python3-without-site")
	script := "#!/bin/sh\nexec " + path + " -E -s -S \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, mod := range []string{"psycopg2", "psycopg"} {
		if exec.Command(wrapper, "-c", "import "+mod).Run() == nil {
			t.Fatalf("%s -E -s -S imports %s: the test needs an interpreter without it", path, mod)
		}
	}
	return wrapper
}

// An interpreter without the driver is the machine's problem: the grade
// exits 3 with the hint, and the card is an error, not a red fail. A
// module of the solution's own that is missing stays the learner's fail,
// even one named like a driver when the solution ships it.
func TestMissingPythonDriverIsTheMachines(t *testing.T) {
	needLocalPostgres(t)
	py := pythonWithoutDriver(t)
	tests := []struct {
		dir     string
		code    int
		verdict string
		want    string
	}{
		{"../../grader/testdata/nodriver", exitGradeError, reports.Error, "has no psycopg2"},
		{"../../grader/testdata/ownmissing", exitFail, reports.Fail, "No module named 'orderlib'"},
		{"../../grader/testdata/owndriver", exitFail, reports.Fail, "No module named 'psycopg2._impl'"},
	}
	for _, tt := range tests {
		out := t.TempDir()
		code, stdout, stderr := run(t, "grade", tt.dir, "--challenge", "orders-users", "--python", py, "--sandbox", "off",
			"--postgres", "local", "--no-baseline", "--requests", "3", "--out", out)
		card, err := reports.ReadCard(filepath.Join(out, "result.json"))
		if err != nil {
			t.Fatalf("%s: no card: %v", tt.dir, err)
		}
		text := card.Error
		for _, c := range card.Checks {
			text += "\n" + c.Message
		}
		if code != tt.code || card.Verdict != tt.verdict || !strings.Contains(text+card.Output, tt.want) {
			t.Errorf("%s: exit %d, verdict %s, want %d and %s with %q\ncard: %s\nstdout:\n%s\nstderr:\n%s", tt.dir, code, card.Verdict, tt.code, tt.verdict, tt.want, text, stdout, stderr)
		}
		if tt.code == exitGradeError {
			wants := []string{"pip install psycopg2-binary into " + py, "--python", "not the solution"}
			if exec.Command("/usr/bin/python3", "-c", "import psycopg2").Run() == nil {
				// The system's interpreter has it: the one to choose.
				wants = append(wants, "/usr/bin/python3 has it: choose it with --python or NPLUS1_PYTHON")
			} else {
				wants = append(wants, "apt-get install python3-psycopg2")
			}
			for _, want := range wants {
				if !strings.Contains(card.Error, want) || !strings.Contains(stdout+stderr, want) {
					t.Errorf("%s: the card's error and the terminal lack %q: card %q", tt.dir, want, card.Error)
				}
			}
		}
	}
}
