package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/nplus1/nplus1/grader/sandbox"
	"github.com/nplus1/nplus1/internal/procgroup"
	"github.com/nplus1/nplus1/internal/setting"
)

// Stacks: a language, or a language with the ORM or driver the program
// uses. A stack decides how the program runs and which packages must be
// installed for it; nplus1.yaml names one with `stack:`, or Detect reads it
// from the program's files.
const (
	GORM       = "gorm"       // Go with gorm.io/gorm: built like Go
	SQLAlchemy = "sqlalchemy" // main.py with SQLAlchemy and psycopg2
	Django     = "django"     // main.py with Django and psycopg2
	Node       = "node"       // main.js run with node; node-pg
	Ruby       = "ruby"       // main.rb run with ruby
	Rails      = "rails"      // main.rb with Rails' ActiveRecord, pg and WEBrick
	Java       = "java"       // Main.java compiled with javac, run with java; JDBC with pgjdbc
	Hibernate  = "hibernate"  // Main.java with Hibernate 3.6 (Debian's) over pgjdbc
)

// stack is how a stack's programs run and what they need.
type stack struct {
	base  string     // Go, Python, Node, Ruby or Java: how the program builds and runs
	entry string     // the file that starts the program ("" for Go: the package)
	needs []package_ // packages the program loads, checked before it starts
}

// package_ is a package a stack needs: its name as the language loads it
// (for Java, a class it holds: see systemJars), and how to install it.
type package_ struct {
	name, install string
}

// stacks are the stacks Detect knows, by name.
var stacks = map[string]stack{
	Go:     {base: Go},
	GORM:   {base: Go},
	Python: {base: Python, entry: "main.py"},
	SQLAlchemy: {base: Python, entry: "main.py", needs: []package_{
		{"sqlalchemy", "apt-get install python3-sqlalchemy, or pip install SQLAlchemy"},
		{"psycopg2", "apt-get install python3-psycopg2, or pip install psycopg2-binary"},
	}},
	Django: {base: Python, entry: "main.py", needs: []package_{
		{"django", "apt-get install python3-django, or pip install Django"},
		{"psycopg2", "apt-get install python3-psycopg2, or pip install psycopg2-binary"},
	}},
	Node: {base: Node, entry: "main.js", needs: []package_{
		{"pg", "apt-get install node-pg, or npm install pg in the solution directory"},
	}},
	Ruby: {base: Ruby, entry: "main.rb"},
	Rails: {base: Ruby, entry: "main.rb", needs: []package_{
		{"active_record", "apt-get install ruby-activerecord, or gem install activerecord"},
		{"pg", "apt-get install ruby-pg, or gem install pg"},
		{"webrick", "apt-get install ruby-webrick, or gem install webrick"},
	}},
	Java:      {base: Java, entry: "Main.java", needs: []package_{pgjdbc}},
	Hibernate: {base: Java, entry: "Main.java", needs: hibernateNeeds},
}

// StackNames returns the names of the stacks nplus1.yaml may give, sorted.
func StackNames() []string {
	names := make([]string, 0, len(stacks))
	for n := range stacks {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// BaseLanguage returns the language a Solution.Language is written in: Go
// for "gorm", Python for "django", ...; Custom and unknown names are
// returned as they are.
func BaseLanguage(lang string) string { return baseOf(lang) }

func baseOf(lang string) string {
	if st, ok := stacks[lang]; ok {
		return st.base
	}
	return lang
}

// debianNodeModules is where Debian's node-* packages put their modules.
// Debian's own nodejs looks there; other builds of node (NodeSource's, a
// tarball) do not, so a Node program gets it on NODE_PATH.
const debianNodeModules = "/usr/share/nodejs"

// nodePath is the NODE_PATH a Node program runs with: the grader's own, if
// any, then Debian's module directory.
func nodePath() string {
	if p := os.Getenv("NODE_PATH"); p != "" {
		return p + string(os.PathListSeparator) + debianNodeModules
	}
	return debianNodeModules
}

// Patterns that tell a program's stack from its files, when nplus1.yaml
// does not name it.
var (
	goModGORM    = regexp.MustCompile(`(?m)^\s*(require\s+)?gorm\.io/gorm\s`)
	pyDjango     = regexp.MustCompile(`(?m)^\s*(import|from)\s+django\b`)
	pySQLAlchemy = regexp.MustCompile(`(?m)^\s*(import|from)\s+sqlalchemy\b`)
	rbRails      = regexp.MustCompile(`(?m)^\s*require\s*\(?\s*["']active_record["']`)
	javaHiber    = regexp.MustCompile(`(?m)^\s*import\s+(static\s+)?org\.hibernate\.`)
)

// sniffLimit is how much of a file stack detection reads.
const sniffLimit = 1 << 20

// sniff returns the stack of a program of the base language lang in dir,
// read from its files: "gorm" for a go.mod requiring gorm.io/gorm, "django"
// or "sqlalchemy" for a main.py importing them, "rails" for a main.rb
// requiring active_record, "hibernate" for a Main.java importing
// org.hibernate; else lang.
func sniff(dir, lang string) string {
	read := func(name string) []byte {
		f, err := openInside(dir, name)
		if err != nil {
			return nil
		}
		defer f.Close()
		b, _ := io.ReadAll(io.LimitReader(f, sniffLimit))
		return b
	}
	switch lang {
	case Go:
		if goModGORM.Match(read("go.mod")) {
			return GORM
		}
	case Python:
		src := read("main.py")
		switch {
		case pyDjango.Match(src):
			return Django
		case pySQLAlchemy.Match(src):
			return SQLAlchemy
		}
	case Ruby:
		if rbRails.Match(read("main.rb")) {
			return Rails
		}
	case Java:
		if javaHiber.Match(read("Main.java")) {
			return Hibernate
		}
	}
	return lang
}

// interpreter finds the program that runs a stack's programs: name (a name
// looked up on PATH, or a path), or a machine error saying what to install.
// With asOthers (a sandbox of a grader run as root: the program runs as
// sandbox.SandboxUID, which owns nothing and is in no group) it must be one
// that any user can run: the first such name on PATH, when the first found
// is private (pyenv's python3 under /root).
func interpreter(base, name string, asOthers bool) (string, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		// Why, without the name said again ("exec: NAME: stat NAME: ...").
		var ee *exec.Error
		if errors.As(err, &ee) {
			err = ee.Err
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		switch base {
		case Python:
			return "", fmt.Errorf("python solution: interpreter %s not found: %w", name, err)
		case Node:
			return "", fmt.Errorf("node solution: %s is not installed or not on PATH (apt-get install nodejs): %w", name, err)
		case Ruby:
			return "", fmt.Errorf("ruby solution: %s is not installed or not on PATH (apt-get install ruby): %w", name, err)
		case Java:
			return "", fmt.Errorf("java solution: %s is not installed or not on PATH (apt-get install default-jdk-headless: a JDK, Java 17 or newer): %w", name, err)
		}
		return "", fmt.Errorf("%s solution: %s not found: %w", base, name, err)
	}
	if !asOthers {
		return path, nil
	}
	private := othersCannotRun(path)
	if private == nil {
		return path, nil
	}
	if !strings.Contains(name, "/") {
		for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
			if dir == "" || !filepath.IsAbs(dir) {
				continue
			}
			if c := filepath.Join(dir, name); othersCannotRun(c) == nil {
				return c, nil
			}
		}
	}
	hint := ""
	if base == Python {
		hint = fmt.Sprintf(", or choose one with %s (such as /usr/bin/python3)", setting.Python)
	}
	return "", fmt.Errorf("%s solution: %s cannot run in the sandbox: nplus1 runs as root, so the solution runs as uid %d, an unprivileged user, and %v. Install %s where every user can run it%s, or run nplus1 as a regular user",
		base, path, sandbox.SandboxUID, private, name, hint)
}

// othersCannotRun says why a user who owns nothing and is in no group
// cannot run the program at path (a directory on its way, or the file
// itself, after symbolic links, is closed to other users), or nil.
func othersCannotRun(path string) error {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	for _, p := range []string{path, real} {
		for dir := filepath.Dir(p); ; dir = filepath.Dir(dir) {
			if fi, err := os.Stat(dir); err != nil {
				return err
			} else if fi.Mode().Perm()&0o001 == 0 {
				return fmt.Errorf("%s is closed to other users (mode %v)", dir, fi.Mode().Perm())
			}
			if dir == filepath.Dir(dir) {
				break
			}
		}
	}
	fi, err := os.Stat(real)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o005 != 0o005 {
		return fmt.Errorf("%s cannot be read and run by other users (mode %v)", real, fi.Mode().Perm())
	}
	return nil
}

// Programs that print, one a line, those of the packages named in their
// arguments that cannot be loaded, and exit 1 when there are any.
const (
	// The solution's own directory leaves the path first (python -c puts
	// it there): a learner's types.py must not stand in for the standard
	// one while the machine is checked.
	pyMissing   = `import sys` + "\n" + `sys.path = [p for p in sys.path if p not in ("", ".")]` + "\n" + `import importlib.util` + "\n" + `for n in sys.argv[1:]:` + "\n" + `    if importlib.util.find_spec(n) is None: print(n)`
	nodeMissing = `for (const n of process.argv.slice(1)) { try { require.resolve(n) } catch (e) { console.log(n) } }`
	rbMissing   = `ARGV.each { |n| begin; require n; rescue LoadError; puts n; end }`
)

// checkPackages makes sure the stack's packages load for the interpreter at
// path, as the program will run it (in its sandbox, when it has one). A
// missing package is the machine's problem, not the learner's: the error
// names it, the interpreter, and how to install it.
func (b *Built) checkPackages(ctx context.Context, lang, path string, env []string, opts BuildOptions) error {
	st := stacks[lang]
	if len(st.needs) == 0 {
		return nil
	}
	var names []string
	for _, p := range st.needs {
		if b.ownPackage(st.base, p.name) == "" { // a package the solution ships is its own to make work
			names = append(names, p.name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	var argv []string
	switch st.base {
	case Python:
		argv = append([]string{path, "-c", pyMissing}, names...)
	case Node:
		argv = append([]string{path, "-e", nodeMissing}, names...)
	case Ruby:
		argv = append([]string{path, "-e", rbMissing}, names...)
	default:
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out, err := b.probe(ctx, argv, env, opts)
	if err != nil {
		return fmt.Errorf("%s solution: check its packages with %s: %w", lang, path, err)
	}
	var missing []string
	for line := range strings.Lines(out) {
		name := strings.TrimSpace(line)
		if i := slices.IndexFunc(st.needs, func(p package_) bool { return p.name == name }); i >= 0 {
			missing = append(missing, fmt.Sprintf("%s is not installed for %s: %s", name, path, st.needs[i].install))
		}
	}
	if len(missing) > 0 {
		hint := ""
		if st.base == Python {
			hint = fmt.Sprintf(" (%s picks another interpreter)", setting.Python)
		}
		return fmt.Errorf("%s solution: %s%s", lang, strings.Join(missing, "; "), hint)
	}
	return nil
}

// ownPackage names the copy of package name the solution ships itself
// (node_modules/pg, psycopg2/), or "" if it ships none.
func (b *Built) ownPackage(base, name string) string {
	var candidates []string
	switch base {
	case Node:
		candidates = []string{filepath.Join("node_modules", name)}
	case Python:
		candidates = []string{name, name + ".py"}
	}
	for _, c := range candidates {
		if _, err := os.Stat(filepath.Join(b.dir, c)); err == nil {
			return c
		}
	}
	return ""
}

// display is a check's command as messages show it.
func display(argv []string) string { return filepath.Base(argv[0]) + " " + argv[1] }

// probe runs argv, a short check of the machine, the way the program will
// run (in a sandbox when opts has one), and returns its standard output
// (and, in a sandbox, its standard error). The check must exit 0: anything
// else is an error holding what it printed.
func (b *Built) probe(ctx context.Context, argv, env []string, opts BuildOptions) (string, error) {
	display := display(argv)
	if opts.Isolation != nil {
		quiet := opts
		quiet.Output, quiet.Timeout = nil, 0
		out, err := b.runSandboxedOutput(ctx, argv, display, env, quiet)
		if be, ok := errors.AsType[*BuildError](err); ok {
			return "", fmt.Errorf("%s: %v: %s", display, be.Err, firstLine(be.Output))
		}
		return out, err
	}
	if err := os.MkdirAll(filepath.Join(b.tmp, "tmp"), 0o700); err != nil {
		return "", err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = b.dir
	cmd.Env = cleanEnv(append([]string{"TMPDIR=" + filepath.Join(b.tmp, "tmp")}, env...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = procAttr()
	cmd.WaitDelay = 3 * time.Second
	err := cmd.Run()
	if cmd.Process != nil {
		_ = procgroup.Signal(cmd.Process.Pid, syscall.SIGKILL)
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w: %s", display, err, firstLine(stderr.String()))
	}
	return stdout.String(), nil
}

// firstLine is the first non-blank line of s, trimmed.
func firstLine(s string) string {
	for line := range strings.Lines(s) {
		if t := strings.TrimSpace(line); t != "" {
			return t
		}
	}
	return ""
}
