package runner

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/nplus1/nplus1/internal/setting"
)

// pythonDrivers are the PostgreSQL drivers a Python solution is expected to
// find installed on the machine, with how to install each.
var pythonDrivers = map[string]struct{ apt, pip string }{
	"psycopg2": {"python3-psycopg2", "psycopg2-binary"},
	"psycopg":  {"python3-psycopg", `"psycopg[binary]"`},
}

// noModule matches Python's "No module named 'x'" (of a ModuleNotFoundError).
var noModule = regexp.MustCompile(`ModuleNotFoundError: No module named '([A-Za-z0-9_.]+)'`)

// DriverMissingError says that the Python interpreter the solution ran
// with has no PostgreSQL driver: the machine's setup, not the learner's
// code (it is not a LearnerError).
type DriverMissingError struct {
	Module      string // psycopg2 or psycopg
	Interpreter string // as configured: --python, or python3
	Path        string // where Interpreter was found ("" if unknown); see Built.Locate
	SystemHas   bool   // the system's interpreter, systemPython, has the driver
	Custom      bool   // nplus1.yaml's run command chose the interpreter
}

// systemPython is the interpreter the system's packages (apt-get install
// python3-psycopg2) install into.
const systemPython = "/usr/bin/python3"

func (e *DriverMissingError) Error() string {
	d := pythonDrivers[e.Module]
	if e.Custom {
		return fmt.Sprintf("the Python interpreter that nplus1.yaml's run command starts has no %s (ModuleNotFoundError: No module named '%s'): the machine's setup, not the solution. "+
			"Install the driver (apt-get install %s for the system's /usr/bin/python3, or pip install %s into that interpreter), or make the run command use one that has it",
			e.Module, e.Module, d.apt, d.pip)
	}
	who := e.Interpreter
	if e.Path != "" && e.Path != e.Interpreter {
		who += " (" + e.Path + ")"
	}
	if e.SystemHas {
		return fmt.Sprintf("the Python interpreter %s has no %s (ModuleNotFoundError: No module named '%s'): the machine's setup, not the solution. "+
			"%s has it: choose it with %s, or pip install %s into %s",
			who, e.Module, e.Module, systemPython, setting.Python, d.pip, who)
	}
	return fmt.Sprintf("the Python interpreter %s has no %s (ModuleNotFoundError: No module named '%s'): the machine's setup, not the solution. "+
		"Install the driver (apt-get install %s for the system's /usr/bin/python3, or pip install %s into %s), or choose with %s an interpreter that has it, such as /usr/bin/python3 once %s is installed",
		who, e.Module, e.Module, d.apt, d.pip, who, setting.Python, d.apt)
}

// MissingDriver reports a solution that stopped because the interpreter
// has no PostgreSQL driver: output (what it printed) shows a
// ModuleNotFoundError for psycopg2 or psycopg, and the solution's own files
// define no module of that name (a module of its own that is missing stays
// the learner's). python is the interpreter as configured ("" for python3).
// It returns nil otherwise, and for a nil s. The output is the program's
// to write: Built.HasModule confirms the driver is missing before the
// machine is blamed.
func MissingDriver(s *Solution, output, python string) *DriverMissingError {
	if s == nil || s.Language != Python && s.Language != Custom {
		return nil
	}
	m := noModule.FindStringSubmatch(output)
	if m == nil {
		return nil
	}
	module, _, _ := strings.Cut(m[1], ".")
	if _, ok := pythonDrivers[module]; !ok || definesModule(s.Dir, module) {
		return nil
	}
	if python == "" {
		python = "python3"
	}
	return &DriverMissingError{Module: module, Interpreter: python, Custom: s.Language == Custom}
}

// definesModule reports whether the solution's files hold a Python module
// or package of that name (module.py, or a directory module/), anywhere in
// its tree.
func definesModule(dir, module string) bool {
	var found bool
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return nil // unreadable: nothing of the solution's to find there
		}
		name := d.Name()
		if name == module || name == module+".py" || strings.HasPrefix(name, module+".") && strings.HasSuffix(name, ".so") {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

// HasModule reports whether the Python interpreter b's program runs with
// finds module among the machine's packages, the solution's directory off
// the path, checked as Build checks a stack's packages (in a sandbox as
// the program's when iso is not nil). The interpreter is the one Build
// chose for a Python solution; for a custom run command, python3 on PATH,
// the likeliest one it starts. MissingDriver reads a program's output,
// which the program writes as it likes: the machine is to blame only if
// this says the module is missing.
func (b *Built) HasModule(ctx context.Context, module string, iso *Isolation) (bool, error) {
	path := ""
	switch {
	case baseOf(b.lang) == Python && len(b.argv) > 0:
		path = b.argv[0]
	case b.lang == Custom:
		var err error
		if path, err = interpreter(Python, "python3", iso != nil && os.Geteuid() == 0); err != nil {
			return false, err
		}
	default:
		return false, fmt.Errorf("not a Python program: %s", b.lang)
	}
	return b.hasModuleAt(ctx, path, module, iso)
}

// Locate tells e where the interpreter that lacks the driver is, and
// whether the system's interpreter has the driver: a learner whose python3
// is a virtualenv's or pyenv's then learns which one to choose.
func (b *Built) Locate(ctx context.Context, e *DriverMissingError, iso *Isolation) {
	if e.Custom || baseOf(b.lang) != Python || len(b.argv) == 0 {
		return
	}
	e.Path = b.argv[0]
	if real, err := filepath.EvalSymlinks(e.Path); err == nil && real == systemPython || e.Path == systemPython {
		return
	}
	if _, err := os.Stat(systemPython); err == nil {
		e.SystemHas, _ = b.hasModuleAt(ctx, systemPython, e.Module, iso)
	}
}

// hasModuleAt reports whether the interpreter at path finds module, as
// HasModule checks it.
func (b *Built) hasModuleAt(ctx context.Context, path, module string, iso *Isolation) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out, err := b.probe(ctx, []string{path, "-c", pyMissing, module}, nil, BuildOptions{Isolation: iso})
	if err != nil {
		return false, fmt.Errorf("check %s for %s: %w", path, module, err)
	}
	return strings.TrimSpace(out) == "", nil
}
