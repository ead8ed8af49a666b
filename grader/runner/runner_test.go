//go:build unix

package runner

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nplus1/nplus1/internal/procfs"
	"github.com/nplus1/nplus1/internal/procgroup"
)

// privateTmp points TMPDIR at a fresh directory, so a test can check that
// the build directories are gone.
func privateTmp(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	return dir
}

// assertEmpty fails if dir holds anything.
func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("left behind in %s: %s", dir, e.Name())
	}
}

func mustDetect(t *testing.T, dir string) *Solution {
	t.Helper()
	s, err := Detect(dir)
	if err != nil {
		t.Fatalf("Detect(%s): %v", dir, err)
	}
	return s
}

func mustBuild(t *testing.T, s *Solution) *Built {
	t.Helper()
	b, err := s.Build(context.Background(), BuildOptions{})
	if err != nil {
		t.Fatalf("Build(%s): %v", s.Dir, err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func mustPort(t *testing.T) int {
	t.Helper()
	port, err := procgroup.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// assertGroupGone fails if a live process of group pgid remains, then waits
// a while for the group to vanish entirely: processes that died after their
// parent are zombies until init reaps them, which it may do lazily.
func assertGroupGone(t *testing.T, pgid int) {
	t.Helper()
	if groupAlive(pgid) {
		members, _ := groupMembers(pgid)
		t.Fatalf("process group %d still has live processes: %+v", pgid, members)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := syscall.Kill(-pgid, 0)
		if errors.Is(err, syscall.ESRCH) {
			return
		}
		if time.Now().After(deadline) {
			members, _ := groupMembers(pgid)
			t.Logf("process group %d: only zombies remain, not yet reaped by their new parent: %+v", pgid, members)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// get fetches url and returns the body.
func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return string(body)
}

// syncBuffer is a bytes.Buffer safe for the output goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		lang  string
		want  Manifest
	}{
		{"go.mod", map[string]string{"go.mod": "module x\n", "server.go": ""}, Go, Manifest{}},
		{"main.go", map[string]string{"main.go": "package main\n"}, Go, Manifest{}},
		{"main.py", map[string]string{"main.py": ""}, Python, Manifest{}},
		{"go wins over python", map[string]string{"go.mod": "", "main.py": ""}, Go, Manifest{}},
		{"empty manifest", map[string]string{"nplus1.yaml": "", "main.py": ""}, Python, Manifest{}},
		{"challenge only", map[string]string{"nplus1.yaml": "challenge: orders-users\n", "main.go": ""}, Go, Manifest{Challenge: "orders-users", ChallengeLine: 1}},
		{"challenge below a comment", map[string]string{"nplus1.yaml": "# mine\nrun: python3 main.py\nchallenge: orders-users\n"}, Custom, Manifest{Challenge: "orders-users", ChallengeLine: 3, Run: "python3 main.py"}},
		{"run", map[string]string{"nplus1.yaml": "run: node server.js\n", "main.py": ""}, Custom, Manifest{Run: "node server.js"}},
		{"build and run", map[string]string{"nplus1.yaml": "build: cargo build\nrun: ./target/debug/app\n"}, Custom, Manifest{Build: "cargo build", Run: "./target/debug/app"}},
		// Stacks: named, or read from the files.
		{"stack", map[string]string{"nplus1.yaml": "challenge: orders-users\nstack: django\n", "main.py": ""}, Django, Manifest{Challenge: "orders-users", ChallengeLine: 1, Stack: "django", StackLine: 2}},
		{"stack and run", map[string]string{"nplus1.yaml": "stack: rails\nrun: bundle exec ruby app.rb\n"}, Rails, Manifest{Stack: "rails", StackLine: 1, Run: "bundle exec ruby app.rb"}},
		{"gorm in go.mod", map[string]string{"go.mod": "module x\n\nrequire (\n\tgorm.io/driver/postgres v1.6.3\n\tgorm.io/gorm v1.31.2\n)\n"}, GORM, Manifest{}},
		{"django import", map[string]string{"main.py": "import os\nfrom django.conf import settings\n"}, Django, Manifest{}},
		{"sqlalchemy import", map[string]string{"main.py": "from sqlalchemy import select\n"}, SQLAlchemy, Manifest{}},
		{"sqlalchemy in a comment", map[string]string{"main.py": "# not from sqlalchemy\nimport psycopg2\n"}, Python, Manifest{}},
		{"main.js", map[string]string{"main.js": "require('pg')\n"}, Node, Manifest{}},
		{"main.rb", map[string]string{"main.rb": "require \"pg\"\n"}, Ruby, Manifest{}},
		{"active_record", map[string]string{"main.rb": "require \"json\"\nrequire \"active_record\"\n"}, Rails, Manifest{}},
		{"Main.java", map[string]string{"Main.java": "public class Main {}\n"}, Java, Manifest{}},
		{"hibernate import", map[string]string{"Main.java": "import java.util.List;\nimport org.hibernate.Session;\n"}, Hibernate, Manifest{}},
		{"hibernate in a comment", map[string]string{"Main.java": "// import org.hibernate.Session;\npublic class Main {}\n"}, Java, Manifest{}},
		{"java stack", map[string]string{"nplus1.yaml": "stack: java\n", "Main.java": ""}, Java, Manifest{Stack: "java", StackLine: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			s := mustDetect(t, dir)
			if s.Language != tt.lang {
				t.Errorf("Language = %q, want %q", s.Language, tt.lang)
			}
			if s.Manifest != tt.want {
				t.Errorf("Manifest = %+v, want %+v", s.Manifest, tt.want)
			}
			if s.Dir != dir {
				t.Errorf("Dir = %q, want %q", s.Dir, dir)
			}
			_, hasManifest := tt.files[ManifestFile]
			if (s.ManifestPath != "") != hasManifest {
				t.Errorf("ManifestPath = %q with manifest %v", s.ManifestPath, hasManifest)
			}
		})
	}
}

func TestDetectRelativeDir(t *testing.T) {
	s := mustDetect(t, "testdata/gosolution")
	if !filepath.IsAbs(s.Dir) || filepath.Base(s.Dir) != "gosolution" {
		t.Errorf("Dir = %q, want an absolute path to gosolution", s.Dir)
	}
	if s.Language != Go {
		t.Errorf("Language = %q, want go", s.Language)
	}
}

func TestDetectErrors(t *testing.T) {
	t.Run("bad field", func(t *testing.T) {
		_, err := Detect("testdata/badmanifest")
		var me *ManifestError
		if !errors.As(err, &me) {
			t.Fatalf("err = %v (%T), want *ManifestError", err, err)
		}
		want := "testdata/badmanifest/nplus1.yaml:3: field buidl not found (known fields: challenge, stack, build, run)"
		if err.Error() != want {
			t.Errorf("err = %q, want %q", err, want)
		}
		if !IsLearnerFault(err) {
			t.Error("a bad nplus1.yaml is not the learner's fault")
		}
	})
	t.Run("syntax", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, ManifestFile), []byte("challenge: a\nrun: [unclosed\n"), 0o644)
		_, err := Detect(dir)
		if err == nil || !strings.Contains(err.Error(), "nplus1.yaml:") || !IsLearnerFault(err) {
			t.Errorf("err = %v, want a learner error naming nplus1.yaml and a line", err)
		}
	})
	t.Run("wrong type", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, ManifestFile), []byte("challenge: a\n\nrun:\n  - a\n"), 0o644)
		_, err := Detect(dir)
		if err == nil || !strings.Contains(err.Error(), "nplus1.yaml:4: cannot unmarshal") {
			t.Errorf("err = %v, want nplus1.yaml:4: cannot unmarshal ...", err)
		}
	})
	t.Run("build without run", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, ManifestFile), []byte("build: make\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "main.py"), nil, 0o644)
		_, err := Detect(dir)
		if err == nil || !strings.Contains(err.Error(), "build is set but run is not") {
			t.Errorf("err = %v, want build is set but run is not", err)
		}
	})
	t.Run("nothing to run", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "README.md"), nil, 0o644)
		_, err := Detect(dir)
		if err == nil {
			t.Fatal("Detect of a directory with nothing to run succeeded")
		}
		for _, want := range []string{"go.mod", "main.go", "main.py", "Main.java", "nplus1.yaml", "run:"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("err = %q, does not mention %q", err, want)
			}
		}
		if !IsLearnerFault(err) {
			t.Error("an empty solution is not the learner's fault")
		}
	})
	t.Run("missing dir", func(t *testing.T) {
		_, err := Detect(filepath.Join(t.TempDir(), "nope"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("err = %v, want fs.ErrNotExist", err)
		}
		if IsLearnerFault(err) {
			t.Error("a missing directory is a usage error, not a learner error")
		}
	})
	t.Run("not a dir", func(t *testing.T) {
		_, err := Detect("testdata/pysolution/main.py")
		if err == nil || !strings.Contains(err.Error(), "not a directory") {
			t.Errorf("err = %v, want not a directory", err)
		}
	})
}

// runSolution builds and starts a fixture, checks that it answers HTTP and
// stops it, checking that nothing is left behind.
func runSolution(t *testing.T, dir string, opts BuildOptions) {
	tmp := privateTmp(t)
	s := mustDetect(t, dir)
	var buildOut syncBuffer
	opts.Output = &buildOut
	b, err := s.Build(context.Background(), opts)
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, buildOut.String())
	}
	var live syncBuffer
	port := mustPort(t)
	p, err := b.Start(context.Background(), StartOptions{Port: port, Output: &live, ReadyTimeout: 20 * time.Second})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if want := "127.0.0.1:" + strconv.Itoa(port); p.Addr() != want {
		t.Errorf("Addr = %q, want %q", p.Addr(), want)
	}
	if got := get(t, "http://"+p.Addr()+"/"); got != "ok\n" {
		t.Errorf("GET / = %q, want ok", got)
	}
	if exited, err := p.Exited(); exited {
		t.Errorf("Exited = true, %v while serving", err)
	}
	if err := p.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if err := p.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	assertGroupGone(t, p.Pid())
	if exited, err := p.Exited(); !exited || err == nil {
		t.Errorf("after Stop, Exited = %v, %v; want true and how", exited, err)
	}
	if !strings.Contains(p.Output(), "listening on") {
		t.Errorf("Output = %q, want it to say listening on", p.Output())
	}
	if live.String() != p.Output() {
		t.Errorf("live output %q differs from Output %q", live.String(), p.Output())
	}
	if err := b.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := os.Stat(b.tmp); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("build dir %s still there after Close: %v", b.tmp, err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	assertEmpty(t, tmp)
}

func TestGoSolution(t *testing.T) {
	runSolution(t, "testdata/gosolution", BuildOptions{})
}

func TestPythonSolution(t *testing.T) {
	runSolution(t, "testdata/pysolution", BuildOptions{})
}

func TestPythonSolutionChosenInterpreter(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal(err)
	}
	b, err := mustDetect(t, "testdata/pysolution").Build(context.Background(), BuildOptions{Python: py})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	defer b.Close()
	if want := py + " -u main.py"; b.Command() != want {
		t.Errorf("Command = %q, want %q", b.Command(), want)
	}
	runSolution(t, "testdata/pysolution", BuildOptions{Python: py})
}

func TestBuildError(t *testing.T) {
	tmp := privateTmp(t)
	s := mustDetect(t, "testdata/compileerror")
	var live syncBuffer
	b, err := s.Build(context.Background(), BuildOptions{Output: &live})
	if err == nil {
		b.Close()
		t.Fatal("Build of a program that does not compile succeeded")
	}
	var be *BuildError
	if !errors.As(err, &be) {
		t.Fatalf("err = %v (%T), want *BuildError", err, err)
	}
	if !strings.Contains(be.Output, "undefined: notDeclared") {
		t.Errorf("Output = %q, want the compiler's message", be.Output)
	}
	if be.LearnerOutput() != be.Output || !IsLearnerFault(err) {
		t.Error("a build error is not reported as the learner's fault")
	}
	if !strings.Contains(live.String(), "undefined: notDeclared") {
		t.Errorf("live output = %q, want the compiler's message", live.String())
	}
	if !strings.Contains(be.Error(), "go build") {
		t.Errorf("Error = %q, want the command", be.Error())
	}
	assertEmpty(t, tmp)
}

func TestCustomBuild(t *testing.T) {
	tmp := privateTmp(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ManifestFile), []byte("build: echo compiling; echo broken >&2; exit 2\nrun: ./app\n"), 0o644)
	_, err := mustDetect(t, dir).Build(context.Background(), BuildOptions{})
	var be *BuildError
	if !errors.As(err, &be) {
		t.Fatalf("err = %v (%T), want *BuildError", err, err)
	}
	if be.Output != "compiling\nbroken\n" {
		t.Errorf("Output = %q, want compiling and broken", be.Output)
	}
	if !strings.Contains(be.Error(), "exit status 2") {
		t.Errorf("Error = %q, want the exit status", be.Error())
	}
	assertEmpty(t, tmp)
}

func TestExitBeforeListening(t *testing.T) {
	b := mustBuild(t, mustDetect(t, "testdata/exits"))
	port := mustPort(t)
	_, err := b.Start(context.Background(), StartOptions{Port: port})
	var ee *ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %v (%T), want *ExitError", err, err)
	}
	if ee.Code != 3 {
		t.Errorf("Code = %d, want 3", ee.Code)
	}
	if ee.Output != "cannot start: config.toml is missing\n" {
		t.Errorf("Output = %q, want the program's message", ee.Output)
	}
	want := "the program exited before it listened on 127.0.0.1:" + strconv.Itoa(port) + " (exit status 3)"
	if ee.Error() != want {
		t.Errorf("Error = %q, want %q", ee.Error(), want)
	}
	if !IsLearnerFault(err) {
		t.Error("an early exit is not reported as the learner's fault")
	}
}

// pidIn finds the "pid N" a fixture printed.
func pidIn(t *testing.T, output string) int {
	t.Helper()
	m := regexp.MustCompile(`pid (\d+)`).FindStringSubmatch(output)
	if m == nil {
		t.Fatalf("no pid in output %q", output)
	}
	pid, _ := strconv.Atoi(m[1])
	return pid
}

func TestNeverListens(t *testing.T) {
	b := mustBuild(t, mustDetect(t, "testdata/sleeper"))
	start := time.Now()
	_, err := b.Start(context.Background(), StartOptions{Port: mustPort(t), ReadyTimeout: 300 * time.Millisecond})
	var nl *NotListeningError
	if !errors.As(err, &nl) {
		t.Fatalf("err = %v (%T), want *NotListeningError", err, err)
	}
	if elapsed := time.Since(start); elapsed < 300*time.Millisecond || elapsed > 5*time.Second {
		t.Errorf("Start took %s with a 300ms ready timeout", elapsed)
	}
	if !strings.Contains(nl.Output, "thinking about it") {
		t.Errorf("Output = %q, want the program's output", nl.Output)
	}
	if len(nl.Listening) != 0 {
		t.Errorf("Listening = %v, want none", nl.Listening)
	}
	if !strings.Contains(nl.Error(), "within 300ms") || !IsLearnerFault(err) {
		t.Errorf("err = %v, want a learner error with the timeout", err)
	}
	assertGroupGone(t, pidIn(t, nl.Output))
}

func TestWrongPort(t *testing.T) {
	b := mustBuild(t, mustDetect(t, "testdata/wrongport"))
	_, err := b.Start(context.Background(), StartOptions{Port: mustPort(t), ReadyTimeout: 2 * time.Second})
	var nl *NotListeningError
	if !errors.As(err, &nl) {
		t.Fatalf("err = %v (%T), want *NotListeningError", err, err)
	}
	m := regexp.MustCompile(`listening on port (\d+)`).FindStringSubmatch(nl.Output)
	if m == nil {
		t.Fatalf("Output = %q, want the port it chose", nl.Output)
	}
	want := "127.0.0.1:" + m[1]
	if len(nl.Listening) != 1 || nl.Listening[0] != want {
		t.Errorf("Listening = %v, want [%s]", nl.Listening, want)
	}
	if !strings.Contains(nl.Error(), "it listens on "+want+" instead") {
		t.Errorf("Error = %q, want it to name %s", nl.Error(), want)
	}
}

func TestStopKillsGroup(t *testing.T) {
	s := mustDetect(t, "testdata/spawner")
	b := mustBuild(t, s)
	p, err := b.Start(context.Background(), StartOptions{Port: mustPort(t), ReadyTimeout: 20 * time.Second})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { p.Stop() })
	if got := get(t, "http://"+p.Addr()+"/"); got != "ok\n" {
		t.Errorf("GET / = %q, want ok", got)
	}
	members, ok := groupMembers(p.Pid())
	if !ok {
		t.Fatal("cannot read /proc")
	}
	if len(members) < 3 {
		t.Errorf("group members = %+v, want the server and two sleeps", members)
	}
	var leaver member
	for deadline := time.Now().Add(5 * time.Second); leaver.pid == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		all, _ := programMembers(p.Pid())
		for _, m := range all {
			if m.left {
				leaver = m
			}
		}
	}
	if leaver.pid == 0 {
		t.Fatal("the child that left the group (setsid) is not found")
	}
	start := time.Now()
	if err := p.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if elapsed := time.Since(start); elapsed < termGrace {
		t.Errorf("Stop took %s: the child that ignores SIGTERM cannot have ended before SIGKILL", elapsed)
	}
	assertGroupGone(t, p.Pid())
	if procfs.StartTime(leaver.pid) == leaver.start {
		syscall.Kill(leaver.pid, syscall.SIGKILL)
		t.Errorf("the child that left the group (pid %d) still runs after Stop", leaver.pid)
	}
}

func TestStopQuick(t *testing.T) {
	b := mustBuild(t, mustDetect(t, "testdata/gosolution"))
	p, err := b.Start(context.Background(), StartOptions{Port: mustPort(t)})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	start := time.Now()
	if err := p.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("Stop of a program that ends on SIGTERM took %s", elapsed)
	}
	_, err = p.Exited()
	var ee *ExitError
	if !errors.As(err, &ee) || ee.State != "signal: terminated" || ee.Code != -1 {
		t.Errorf("Exited error = %#v, want signal: terminated", err)
	}
}

func TestExitedWhileRunning(t *testing.T) {
	b := mustBuild(t, mustDetect(t, "testdata/gosolution"))
	p, err := b.Start(context.Background(), StartOptions{Port: mustPort(t)})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { p.Stop() })
	syscall.Kill(p.Pid(), syscall.SIGKILL)
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed after SIGKILL")
	}
	exited, err := p.Exited()
	var ee *ExitError
	if !exited || !errors.As(err, &ee) || ee.Error() != "signal: killed" {
		t.Errorf("Exited = %v, %v; want true, signal: killed", exited, err)
	}
	if !strings.Contains(ee.Output, "listening on") {
		t.Errorf("Output = %q, want the program's output", ee.Output)
	}
}

func TestEnvScrubbed(t *testing.T) {
	t.Setenv("PGPASSWORD", "real-secret-password")
	t.Setenv("PGHOST", "real.example.com")
	t.Setenv("DATABASE_URL", "postgres://admin:real-secret-url@real.example.com/db")
	t.Setenv("NPLUS1_TOKEN", "real-secret-token")
	t.Setenv("CI_DEPLOY_TOKEN", "real-secret-ci") // the grader's own: stays with it
	t.Setenv("TZ", "UTC")                         // the toolchain's: passed
	b := mustBuild(t, mustDetect(t, "testdata/gosolution"))
	port := mustPort(t)
	p, err := b.Start(context.Background(), StartOptions{Port: port, Env: []string{
		"PGHOST=127.0.0.1",
		"DATABASE_URL=postgres://solution:onerun@127.0.0.1:5999/nplus1",
	}})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := p.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	out := p.Output()
	for _, want := range []string{
		"env: PORT=" + strconv.Itoa(port) + "\n",
		"env: PGHOST=127.0.0.1\n",
		"env: DATABASE_URL=postgres://solution:onerun@127.0.0.1:5999/nplus1\n",
		"env: TZ=UTC\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the program's environment lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"real-secret", "real.example.com", "PGPASSWORD", "NPLUS1_TOKEN", "CI_DEPLOY_TOKEN"} {
		if strings.Contains(out, bad) {
			t.Errorf("the program's environment holds %q:\n%s", bad, out)
		}
	}
}

func TestDetectStackErrors(t *testing.T) {
	for _, tt := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"unknown", map[string]string{"nplus1.yaml": "challenge: x\nstack: laravel\n", "main.py": ""}, `nplus1.yaml:2: unknown stack "laravel" (known: django, go, gorm, hibernate, java, node, python, rails, ruby, sqlalchemy)`},
		{"no entry", map[string]string{"nplus1.yaml": "stack: node\n", "main.py": ""}, "nplus1.yaml:1: stack node runs main.js, which is not in"},
		{"no go", map[string]string{"nplus1.yaml": "stack: gorm\n"}, "stack gorm runs go.mod or main.go, which is not in"},
		{"no Main.java", map[string]string{"nplus1.yaml": "stack: java\n", "App.java": ""}, "stack java runs Main.java, which is not in"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Detect(dir)
			var me *ManifestError
			if !errors.As(err, &me) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want a *ManifestError with %q", err, tt.want)
			}
		})
	}
}

// TestMissingPackage: a stack whose packages the interpreter cannot load is
// the machine's problem, named with how to install them.
func TestMissingPackage(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	if p := os.Getenv("NPLUS1_PYTHON"); p != "" {
		py = p
	}
	dir := t.TempDir()
	for name, content := range map[string]string{
		"nplus1.yaml": "stack: django\n",
		"main.py":     "import django\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// -S: without the site module, no installed package is on sys.path.
	bare := filepath.Join(t.TempDir(), "python-bare")
	if err := os.WriteFile(bare, []byte("#!/bin/sh\nexec "+py+" -S \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	privateTmp(t)
	_, err = mustDetect(t, dir).Build(context.Background(), BuildOptions{Python: bare})
	want := "django solution: django is not installed for " + bare + ": apt-get install python3-django"
	if err == nil || IsLearnerFault(err) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "psycopg2 is not installed") {
		t.Errorf("err = %v, want a machine error with %q and psycopg2", err, want)
	}

	if out, err := exec.Command(py, "-c", "import django, psycopg2").CombinedOutput(); err != nil {
		t.Logf("the installed stack is not checked: %s: %s", py, out)
		return
	}
	b, err := mustDetect(t, dir).Build(context.Background(), BuildOptions{Python: py})
	if err != nil {
		t.Fatalf("with django installed: %v", err)
	}
	b.Close()
}

func TestMachineFaults(t *testing.T) {
	t.Run("no interpreter", func(t *testing.T) {
		tmp := privateTmp(t)
		_, err := mustDetect(t, "testdata/pysolution").Build(context.Background(), BuildOptions{Python: "no-such-python-nplus1"})
		if err == nil || IsLearnerFault(err) || !strings.Contains(err.Error(), "no-such-python-nplus1") {
			t.Errorf("err = %v, want a machine error naming the interpreter", err)
		}
		assertEmpty(t, tmp)
	})
	t.Run("no go toolchain", func(t *testing.T) {
		tmp := privateTmp(t)
		t.Setenv("PATH", t.TempDir())
		_, err := mustDetect(t, "testdata/gosolution").Build(context.Background(), BuildOptions{})
		if err == nil || IsLearnerFault(err) || !strings.Contains(err.Error(), "go toolchain") {
			t.Errorf("err = %v, want a machine error about the go toolchain", err)
		}
		assertEmpty(t, tmp)
	})
	t.Run("port taken", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		b := mustBuild(t, mustDetect(t, "testdata/sleeper"))
		_, err = b.Start(context.Background(), StartOptions{Port: l.Addr().(*net.TCPAddr).Port})
		if err == nil || IsLearnerFault(err) || !strings.Contains(err.Error(), "already taken") {
			t.Errorf("err = %v, want a machine error: port taken", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		b := mustBuild(t, mustDetect(t, "testdata/sleeper"))
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		var live syncBuffer
		_, err := b.Start(ctx, StartOptions{Port: mustPort(t), Output: &live, ReadyTimeout: time.Minute})
		if !errors.Is(err, context.DeadlineExceeded) || IsLearnerFault(err) {
			t.Errorf("err = %v, want a machine error wrapping the deadline", err)
		}
		assertGroupGone(t, pidIn(t, live.String()))
	})
}

func TestOutputKeepsTheTail(t *testing.T) {
	var live bytes.Buffer
	out := &tail{live: &live}
	line := strings.Repeat("x", 1023) + "\n"
	for range 100 {
		out.Write([]byte(line))
	}
	out.Write([]byte("the end\n"))
	got := out.String()
	note := "[" + strconv.Itoa(100*1024+8-maxOutput) + " earlier bytes of output dropped]\n"
	if !strings.HasPrefix(got, note) {
		t.Errorf("output starts %q, want %q", got[:60], note)
	}
	if len(got) != len(note)+maxOutput || !strings.HasSuffix(got, "the end\n") {
		t.Errorf("kept %d bytes, want the last %d", len(got)-len(note), maxOutput)
	}
	if live.Len() != 100*1024+8 {
		t.Errorf("live copy has %d bytes, want all %d", live.Len(), 100*1024+8)
	}
}

func TestShortCommand(t *testing.T) {
	if got := shortCommand("python3 app.py"); got != "python3 app.py" {
		t.Errorf("shortCommand of a short command = %q, want it whole", got)
	}
	long := strings.Repeat("x", maxDisplay-1) + "é" + strings.Repeat("y", 1000) // é straddles the cut
	want := strings.Repeat("x", maxDisplay-1) + "… (1201 bytes)"
	if got := shortCommand(long); got != want {
		t.Errorf("shortCommand = %q, want %q", got, want)
	}
}

// A root grader's sandbox runs programs as a user who owns nothing: an
// interpreter in a directory closed to others (pyenv's under /root) is
// passed over for the next one on PATH that anyone can run, and with
// none, the error says why and what to do.
func TestInterpreterOthersCanRun(t *testing.T) {
	private := filepath.Join(t.TempDir(), "private")
	bin := filepath.Join(private, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "python3"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(private, 0o700); err != nil {
		t.Fatal(err)
	}
	public := t.TempDir()
	for _, dir := range []string{filepath.Dir(public), public} { // t.TempDir's are 0700
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(public, "python3"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for dir := filepath.Dir(public); dir != "/"; dir = filepath.Dir(dir) {
		if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm()&0o001 == 0 {
			t.Fatalf("the temp dir %s is closed to other users: the test cannot make a public interpreter (set TMPDIR to one that is not)", dir)
		}
	}

	t.Setenv("PATH", bin)
	if got, err := interpreter(Python, "python3", false); err != nil || got != filepath.Join(bin, "python3") {
		t.Fatalf("without a sandbox: %q, %v; want the private python3", got, err)
	}
	_, err := interpreter(Python, "python3", true)
	if err == nil || !strings.Contains(err.Error(), "cannot run in the sandbox") || !strings.Contains(err.Error(), private+" is closed to other users") {
		t.Fatalf("private interpreter only: %v", err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+public)
	if got, err := interpreter(Python, "python3", true); err != nil || got != filepath.Join(public, "python3") {
		t.Fatalf("private then public: %q, %v; want the public python3", got, err)
	}
	if _, err := interpreter(Python, filepath.Join(bin, "python3"), true); err == nil {
		t.Fatal("an interpreter named by its path is used or refused, never swapped")
	}
}
