package runner

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A Go solution without a go.mod of its own builds in the module around
// it, even when that module is under /tmp, which its sandbox hides; it
// runs in the sandbox and answers through a connection dialled there.
func TestSandboxedSolutionInAHiddenModule(t *testing.T) {
	module := t.TempDir() // under /tmp
	os.Chmod(module, 0o755)
	os.Chmod(filepath.Dir(module), 0o755)
	files := map[string]string{
		"go.mod": "module example.com/m\n\ngo 1.22\n",
		"solution/main.go": `package main

import (
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello from the sandbox")) })
	http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}
`,
	}
	for name, text := range files {
		path := filepath.Join(module, name)
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sol, err := Detect(filepath.Join(module, "solution"))
	if err != nil {
		t.Fatal(err)
	}
	iso := &Isolation{Cache: filepath.Join(t.TempDir(), "cache")}
	os.Chmod(filepath.Dir(iso.Cache), 0o755)
	ctx := context.Background()
	built, err := sol.Build(ctx, BuildOptions{Isolation: iso, Timeout: 5 * time.Minute})
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	defer built.Close()
	place, err := built.Sandbox(iso)
	if err != nil {
		t.Fatal(err)
	}
	proc, err := built.Start(ctx, StartOptions{Port: 8080, Place: place, ReadyTimeout: 30 * time.Second})
	if err != nil {
		place.Close()
		t.Fatalf("start: %v", err)
	}
	defer proc.Stop()
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) { return place.Dial(ctx, addr) }}}
	resp, err := client.Get("http://127.0.0.1:8080/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello from the sandbox" {
		t.Fatalf("got %q", body)
	}
	if err := proc.Stop(); err != nil {
		t.Fatal(err)
	}
	if exited, _ := proc.Exited(); !exited {
		t.Fatal("the program runs after Stop")
	}
	if _, err := os.Stat(filepath.Join(module, "solution", "solution")); err == nil {
		t.Error("the build wrote into the learner's directory")
	}
}

// sandboxedCustom builds, for a sandbox, a custom solution whose
// nplus1.yaml runs the shell command run, and makes its sandbox.
func sandboxedCustom(t *testing.T, run string) (*Built, *Place) {
	t.Helper()
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	return sandboxedCustomIn(t, dir, run)
}

// sandboxedCustomIn is sandboxedCustom for a solution in dir, which may
// hold files already.
func sandboxedCustomIn(t *testing.T, dir, run string) (*Built, *Place) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "nplus1.yaml"), []byte("challenge: orders-users\nrun: "+run+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sol, err := Detect(dir)
	if err != nil {
		t.Fatal(err)
	}
	iso := &Isolation{Cache: filepath.Join(t.TempDir(), "cache")}
	built, err := sol.Build(context.Background(), BuildOptions{Isolation: iso})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { built.Close() })
	place, err := built.Sandbox(iso)
	if err != nil {
		t.Fatal(err)
	}
	return built, place
}

// A sandboxed program that fills the disk is stopped past the limit, and
// its exit says why.
func TestSandboxedProgramThatFillsTheDisk(t *testing.T) {
	diskLimit = 16 << 20
	t.Cleanup(func() { diskLimit = DiskLimit })
	built, place := sandboxedCustom(t, "head -c 100000000 /dev/zero > big; sleep 60")
	_, err := built.Start(context.Background(), StartOptions{Port: 8080, Place: place, ReadyTimeout: 20 * time.Second})
	var ee *ExitError
	if !errors.As(err, &ee) || !strings.Contains(ee.Error(), "to disk, over the 16MiB a solution may, and was stopped") {
		t.Fatalf("Start: %v, want the program stopped for what it wrote", err)
	}
}

// Directories count as disk too (redteam7/dirfill): a program that makes
// them by the hundred thousand is stopped, though it writes no byte.
func TestSandboxedProgramThatMakesDirectories(t *testing.T) {
	diskLimit = 16 << 20
	t.Cleanup(func() { diskLimit = DiskLimit })
	built, place := sandboxedCustom(t, "mkdir $(seq -f d%g 5000); sleep 60")
	_, err := built.Start(context.Background(), StartOptions{Port: 8080, Place: place, ReadyTimeout: 20 * time.Second})
	var ee *ExitError
	if !errors.As(err, &ee) || !strings.Contains(ee.Error(), "to disk, over the 16MiB a solution may, and was stopped") {
		t.Fatalf("Start: %v, want the program stopped for the directories it made", err)
	}
}

// What a sandboxed program keeps in its private tmpfs is memory: it counts
// against the memory limit, though no process's resident memory shows it.
func TestSandboxedTmpfsCountsAsMemory(t *testing.T) {
	built, place := sandboxedCustom(t, "head -c 200000000 /dev/zero > /tmp/big; sleep 60")
	_, err := built.Start(context.Background(), StartOptions{Port: 8080, Place: place, ReadyTimeout: 20 * time.Second, MemoryLimit: 128 << 20})
	var ee *ExitError
	if !errors.As(err, &ee) || ee.MemoryUsed < 128<<20 {
		t.Fatalf("Start: %v, want the program stopped for its memory", err)
	}
}

// What a sandboxed program queues in unix socket buffers is memory too,
// which no resident set shows and no cgroup counts (the kernel charges none
// for it): the watch asks the sandbox for it (redteam7/sockhold).
func TestSandboxedSocketBuffersCountAsMemory(t *testing.T) {
	const hold = `import socket, time
held, keep = 0, []
while held < 256 << 20:
    a, b = socket.socketpair()
    a.setblocking(False)
    while True:
        try:
            held += a.send(b"x" * 65536)
        except BlockingIOError:
            break
    keep.append((a, b))
time.sleep(60)
`
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "hold.py"), []byte(hold), 0o644); err != nil {
		t.Fatal(err)
	}
	built, place := sandboxedCustomIn(t, dir, "python3 hold.py")
	_, err := built.Start(context.Background(), StartOptions{Port: 8080, Place: place, ReadyTimeout: 20 * time.Second, MemoryLimit: 128 << 20})
	var ee *ExitError
	if !errors.As(err, &ee) || ee.MemoryUsed < 128<<20 {
		t.Fatalf("Start: %v, want the program stopped for its memory", err)
	}
}

// A solution gets its toolchain's environment, not the grader's secrets.
func TestSolutionEnvironment(t *testing.T) {
	t.Setenv("GITHUB_TOKEN", "secret")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("PGPASSWORD", "secret")
	t.Setenv("NPLUS1_SIGNING_KEY", "secret")
	t.Setenv("GOFLAGS", "-mod=mod")
	t.Setenv("LC_ALL", "C.UTF-8")
	env := strings.Join(cleanEnv("PORT=1"), "\n")
	for _, bad := range []string{"GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "PGPASSWORD", "NPLUS1_SIGNING_KEY"} {
		if strings.Contains(env, bad+"=") {
			t.Errorf("%s reaches the solution", bad)
		}
	}
	for _, good := range []string{"PATH=", "GOFLAGS=-mod=mod", "LC_ALL=C.UTF-8", "PORT=1"} {
		if !strings.Contains(env, good) {
			t.Errorf("%s does not reach the solution", good)
		}
	}
}

// A link out of a solution that is not Go's stays in its sandbox's copy,
// where it reaches what the sandbox shows: a virtualenv's interpreter is a
// link to the system's. (A Go solution's copy drops such links, as the
// grader's own go list runs in it: TestCopyDropsLinksOut.)
func TestSandboxedVirtualenvInterpreter(t *testing.T) {
	python, err := filepath.EvalSymlinks("/usr/bin/python3")
	if err != nil {
		t.Skipf("no /usr/bin/python3: %v", err)
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	if err := os.MkdirAll(filepath.Join(dir, ".venv", "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(python, filepath.Join(dir, ".venv", "bin", "python3")); err != nil {
		t.Fatal(err)
	}
	built, place := sandboxedCustomIn(t, dir, ".venv/bin/python3 -m http.server $PORT --bind 127.0.0.1")
	p, err := built.Start(context.Background(), StartOptions{Port: 8080, Place: place, ReadyTimeout: 20 * time.Second})
	if err != nil {
		t.Fatalf("Start: %v, want the virtualenv's interpreter to run", err)
	}
	p.Stop()
}
