package runner

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/nplus1/nplus1/internal/yamlpos"
	"go.yaml.in/yaml/v3"
)

// ManifestFile is the name of the optional manifest in a solution directory.
const ManifestFile = "nplus1.yaml"

// Languages a Solution can have, besides the stacks (see stack.go).
const (
	Go     = "go"     // go.mod or main.go: built with go build
	Python = "python" // main.py: run with the Python interpreter
	Custom = "custom" // nplus1.yaml names the run command and no stack
)

// Manifest is the optional nplus1.yaml in a solution directory. Every field
// may be left out; an unknown field is an error.
type Manifest struct {
	// Challenge is the id of the challenge the solution solves.
	Challenge string `yaml:"challenge"`
	// ChallengeLine is the line of nplus1.yaml that names Challenge (0 if
	// none does), for messages about it.
	ChallengeLine int `yaml:"-"`
	// Build is a shell command (sh -c) run once in the solution directory
	// before the program starts. It needs Run.
	Build string `yaml:"build"`
	// Run is a shell command (sh -c) that starts the program in the
	// solution directory. With it, the directory may hold any language.
	Run string `yaml:"run"`
	// Stack names the language and ORM or driver of the program (go, gorm,
	// python, sqlalchemy, django, node, ruby, rails, java, hibernate: see StackNames): how
	// it runs when Run is not given, which packages it needs, and which of
	// the challenge's starters its baseline is. Without it, Detect reads
	// the stack from the program's files.
	Stack string `yaml:"stack"`
	// StackLine is the line of nplus1.yaml that names Stack (0 if none does).
	StackLine int `yaml:"-"`
}

// Solution is a solution directory and how to build and run it.
type Solution struct {
	// Dir is the solution directory, absolute.
	Dir string
	// Language is the stack (Go, Python, GORM, Django, ...; see
	// StackNames), or Custom for a run command with no stack named.
	Language string
	// Manifest is nplus1.yaml's content; zero if there is none.
	Manifest Manifest
	// ManifestPath is the nplus1.yaml that was read, as the caller named
	// the directory; "" if there is none.
	ManifestPath string
}

// Detect reads dir/nplus1.yaml if there is one and works out how to build
// and run the solution in dir: with a stack in nplus1.yaml, that stack
// (run by nplus1.yaml's run command when it has one); else with a run
// command, that command (Custom); else go.mod or main.go means Go, main.py
// Python, main.js Node.js, main.rb Ruby and Main.java Java, each made more precise by what
// the files use (a go.mod requiring gorm.io/gorm is GORM, a main.py
// importing django Django, ...).
//
// A malformed nplus1.yaml or a directory with nothing to run is a
// *ManifestError. A missing dir, or one that is not a directory, is a plain
// error (wrapping fs.ErrNotExist in the first case).
func Detect(dir string) (*Solution, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("solution directory: %w", err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("solution directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("solution directory %s: not a directory", dir)
	}
	s := &Solution{Dir: abs}
	mpath := filepath.Join(dir, ManifestFile)
	found, err := readManifest(filepath.Join(abs, ManifestFile), mpath, &s.Manifest)
	if err != nil {
		return nil, err
	}
	if found {
		s.ManifestPath = mpath
	}
	m := &s.Manifest
	m.Challenge = strings.TrimSpace(m.Challenge)
	m.Build = strings.TrimSpace(m.Build)
	m.Run = strings.TrimSpace(m.Run)
	if m.Build != "" && m.Run == "" {
		return nil, &ManifestError{Msg: fmt.Sprintf("%s: build is set but run is not: name the command that starts the program as `run: <command>`", mpath)}
	}
	m.Stack = strings.TrimSpace(m.Stack)
	if m.Stack != "" {
		st, ok := stacks[m.Stack]
		if !ok {
			return nil, &ManifestError{Msg: fmt.Sprintf("%s: unknown stack %q (known: %s)", lineOf(mpath, m.StackLine), m.Stack, strings.Join(StackNames(), ", "))}
		}
		s.Language = m.Stack
		if m.Run != "" {
			return s, nil
		}
		entry, has := st.entry, false
		if st.base == Go {
			entry, has = "go.mod or main.go", isFile(filepath.Join(abs, "go.mod")) || isFile(filepath.Join(abs, "main.go"))
		} else {
			has = isFile(filepath.Join(abs, entry))
		}
		if !has {
			return nil, &ManifestError{Msg: fmt.Sprintf("%s: stack %s runs %s, which is not in %s: add it, or name the command that starts the program as `run: <command>`",
				lineOf(mpath, m.StackLine), m.Stack, entry, dir)}
		}
		return s, nil
	}
	switch {
	case m.Run != "":
		s.Language = Custom
	case isFile(filepath.Join(abs, "go.mod")) || isFile(filepath.Join(abs, "main.go")):
		s.Language = sniff(abs, Go)
	case isFile(filepath.Join(abs, "main.py")):
		s.Language = sniff(abs, Python)
	case isFile(filepath.Join(abs, "main.js")):
		s.Language = Node
	case isFile(filepath.Join(abs, "main.rb")):
		s.Language = sniff(abs, Ruby)
	case isFile(filepath.Join(abs, "Main.java")):
		s.Language = sniff(abs, Java)
	default:
		return nil, &ManifestError{Msg: fmt.Sprintf("nothing to run in %s: looked for go.mod or main.go (Go), main.py (Python), main.js (Node.js), main.rb (Ruby) and Main.java (Java); "+
			"for anything else, name the command that starts the program in %s as `run: <command>`", dir, mpath)}
	}
	return s, nil
}

// maxCommand is the length from which nplus1.yaml's build or run command
// cannot be run: Linux refuses a program an argument of 128 KiB or more
// (E2BIG). It is enforced on every system, so that a card does not depend
// on the one that graded.
const maxCommand = 128 << 10

// isFile reports whether path is a regular file (or a link to one).
func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// maxManifest is the largest nplus1.yaml read: its two commands fit.
const maxManifest = 3 * maxCommand

// readManifest decodes the manifest at path into m, strictly. It reports
// false, nil if there is no such file. name is the path as errors show it.
func readManifest(path, name string, m *Manifest) (bool, error) {
	f, err := openInside(filepath.Dir(path), filepath.Base(path))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, &ManifestError{Msg: fmt.Sprintf("%s: %v", name, err)}
	}
	b, err := io.ReadAll(io.LimitReader(f, maxManifest+1))
	f.Close()
	if err != nil {
		return false, fmt.Errorf("read %s: %w", name, err)
	}
	if len(b) > maxManifest {
		return false, &ManifestError{Msg: fmt.Sprintf("%s: larger than %d KiB, which no manifest needs: it names a challenge, a stack and two commands", name, maxManifest>>10)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	err = dec.Decode(m)
	if err == nil || errors.Is(err, io.EOF) { // io.EOF: an empty file
		m.ChallengeLine = keyLine(b, "challenge")
		m.StackLine = keyLine(b, "stack")
		for _, c := range []struct{ key, cmd string }{{"build", m.Build}, {"run", m.Run}} {
			if n := len(strings.TrimSpace(c.cmd)); n >= maxCommand {
				return false, &ManifestError{Msg: fmt.Sprintf("%s:%d: the %s command is %d bytes long, too long to run (sh -c takes it as one argument, "+
					"and a program's argument must be shorter than %d KiB): put the commands in a script in the solution directory and %s that",
					name, keyLine(b, c.key), c.key, n, maxCommand>>10, c.key)}
			}
		}
		return true, nil
	}
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	for i, msg := range msgs {
		msgs[i] = manifestMessage(name, msg)
	}
	return false, &ManifestError{Msg: strings.Join(msgs, "\n")}
}

// openInside opens the file name of the solution directory dir for the
// grader to read: a regular file, reached through links that stay in dir.
// The grader may read what a solution must not (a root grader's
// /etc/shadow, its own /proc/self/environ), and a FIFO or /dev/zero never
// ends, so a link out of dir, or to anything but a regular file, is an
// error that says what the file is (for "NAME: ..."); a missing file
// wraps fs.ErrNotExist.
func openInside(dir, name string) (*os.File, error) {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	path, err := filepath.EvalSymlinks(filepath.Join(root, name))
	if err != nil {
		return nil, err
	}
	if !within(root, path) {
		return nil, fmt.Errorf("a link to %s, out of the solution directory: the grader reads only the directory's own files; put the file itself there", path)
	}
	// O_NONBLOCK: opening a FIFO does not wait for a writer.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, errors.New("not a regular file: the grader reads only regular files")
	}
	return f, nil
}

// within reports whether path is dir or under it (both clean and absolute).
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// keyLine returns the line of the top-level key in the YAML document b, or
// 0 if there is none.
func keyLine(b []byte, key string) int {
	var doc yaml.Node
	if yaml.Unmarshal(b, &doc) != nil || len(doc.Content) == 0 {
		return 0
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i].Line
		}
	}
	return 0
}

// lineOf is "name:line", or name when line is 0.
func lineOf(name string, line int) string {
	if line > 0 {
		return name + ":" + strconv.Itoa(line)
	}
	return name
}

// manifestMessage turns one yaml message into "name:line: message".
func manifestMessage(name, msg string) string {
	line, msg := yamlpos.Split(msg)
	if line > 0 {
		name += ":" + strconv.Itoa(line)
	}
	if i := strings.Index(msg, " not found in type "); i >= 0 {
		msg = msg[:i] + " not found (known fields: challenge, stack, build, run)"
	}
	return name + ": " + msg
}
