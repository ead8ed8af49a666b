package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nplus1/nplus1/internal/setting"
)

func TestMissingDriver(t *testing.T) {
	dir := t.TempDir()
	own := t.TempDir()
	if err := os.MkdirAll(filepath.Join(own, "lib", "psycopg"), 0o755); err != nil {
		t.Fatal(err)
	}
	py := &Solution{Dir: dir, Language: Python}
	tests := []struct {
		name   string
		s      *Solution
		output string
		want   string // the module, or "" for none
	}{
		{"psycopg2", py, "Traceback (most recent call last):\n  File \"main.py\", line 1\nModuleNotFoundError: No module named 'psycopg2'\n", "psycopg2"},
		{"psycopg 3", py, "ModuleNotFoundError: No module named 'psycopg'", "psycopg"},
		{"a submodule of the driver", py, "ModuleNotFoundError: No module named 'psycopg2.extras'", "psycopg2"},
		{"the learner's own module", py, "ModuleNotFoundError: No module named 'orderlib'", ""},
		{"a name that starts like a driver", py, "ModuleNotFoundError: No module named 'psycopg2_helpers'", ""},
		{"no such error", py, "Traceback ...\nNameError: name 'x' is not defined", ""},
		{"a Go solution", &Solution{Dir: dir, Language: Go}, "ModuleNotFoundError: No module named 'psycopg2'", ""},
		{"the solution defines it", &Solution{Dir: own, Language: Python}, "ModuleNotFoundError: No module named 'psycopg'", ""},
		{"a run command's python", &Solution{Dir: dir, Language: Custom}, "ModuleNotFoundError: No module named 'psycopg2'", "psycopg2"},
		{"no solution (a starter's scratch grade)", nil, "ModuleNotFoundError: No module named 'psycopg2'", ""},
	}
	for _, tt := range tests {
		got := MissingDriver(tt.s, tt.output, "/opt/py/bin/python3")
		switch {
		case tt.want == "" && got != nil:
			t.Errorf("%s: %v, want none", tt.name, got)
		case tt.want != "" && (got == nil || got.Module != tt.want):
			t.Errorf("%s: %v, want the driver %s", tt.name, got, tt.want)
		}
	}
	// A python3 found on PATH is named with where it is; the system's
	// interpreter, when it has the driver, is the one to choose.
	venv := &DriverMissingError{Module: "psycopg2", Interpreter: "python3", Path: "/home/ada/venv/bin/python3", SystemHas: true}
	if got, want := venv.Error(), "the Python interpreter python3 (/home/ada/venv/bin/python3) has no psycopg2 (ModuleNotFoundError: No module named 'psycopg2'): the machine's setup, not the solution. "+
		"/usr/bin/python3 has it: choose it with "+setting.Python.String()+", or pip install psycopg2-binary into python3 (/home/ada/venv/bin/python3)"; got != want {
		t.Errorf("message\n%s\nwant\n%s", got, want)
	}
	msg := MissingDriver(py, "ModuleNotFoundError: No module named 'psycopg2'", "/opt/py/bin/python3").Error()
	for _, want := range []string{"/opt/py/bin/python3 has no psycopg2", "not the solution", "apt-get install python3-psycopg2", "pip install psycopg2-binary into /opt/py/bin/python3", setting.Python.String()} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}
