package runner

import (
	"archive/zip"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// javaFixture copies testdata/javasolution, and the extra files, into a
// directory the sandbox's user can reach.
func javaFixture(t *testing.T, extra map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "solution")
	if err := os.CopyFS(dir, os.DirFS("testdata/javasolution")); err != nil {
		t.Fatal(err)
	}
	for name, text := range extra {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	return dir
}

// A Java solution compiles with javac and runs with java, here and in a
// sandbox; its JVM writes no hsperfdata file to /tmp (which a JVM killed
// mid-grade would leave behind), and stays under a memory limit a quarter
// of the grader's default.
func TestJavaSolution(t *testing.T) {
	for _, sandboxed := range []bool{false, true} {
		t.Run("sandboxed="+strconv.FormatBool(sandboxed), func(t *testing.T) {
			tmp := privateTmp(t)
			sol := mustDetect(t, javaFixture(t, nil))
			if sol.Language != Java {
				t.Fatalf("Language = %q, want java", sol.Language)
			}
			var opts BuildOptions
			var iso *Isolation
			if sandboxed {
				os.Chmod(tmp, 0o755) // the build dir's, which the sandbox's user reaches
				os.Chmod(filepath.Dir(tmp), 0o755)
				iso = &Isolation{Cache: filepath.Join(t.TempDir(), "cache"), Memory: 256 << 20}
				os.Chmod(filepath.Dir(iso.Cache), 0o755)
				opts.Isolation = iso
			}
			var out syncBuffer
			opts.Output = &out
			b, err := sol.Build(context.Background(), opts)
			if err != nil {
				t.Fatalf("Build: %v\n%s", err, out.String())
			}
			defer b.Close()
			if want := "java -cp classes:/usr/share/java/postgresql.jar Main"; b.Command() != want {
				t.Errorf("Command = %q, want %q", b.Command(), want)
			}
			start := StartOptions{Port: mustPort(t), ReadyTimeout: 30 * time.Second, MemoryLimit: 256 << 20}
			client := http.DefaultClient
			if sandboxed {
				if start.Place, err = b.Sandbox(iso); err != nil {
					t.Fatal(err)
				}
				start.Port = 8080
				client = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
					return start.Place.Dial(ctx, addr)
				}}}
			}
			p, err := b.Start(context.Background(), start)
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			defer p.Stop()
			resp, err := client.Get("http://" + p.Addr() + "/")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(body) != "ok\n" {
				t.Errorf("GET / = %q, want ok", body)
			}
			if !sandboxed {
				u, _ := user.Current()
				perf := filepath.Join("/tmp", "hsperfdata_"+u.Username, strconv.Itoa(p.Pid()))
				if _, err := os.Stat(perf); err == nil {
					t.Errorf("the JVM wrote %s", perf)
				}
			}
			if err := p.Stop(); err != nil {
				t.Errorf("Stop: %v", err)
			}
			if exited, err := p.Exited(); !exited || err != nil && strings.Contains(err.Error(), "memory") {
				t.Errorf("after Stop: exited %v, %v", exited, err)
			}
			if !strings.Contains(p.Output(), "java listening on") {
				t.Errorf("Output = %q", p.Output())
			}
			b.Close()
			assertEmpty(t, tmp)
		})
	}
}

// The JDBC driver is the machine's to install, and the error says how;
// a driver jar the solution ships is its own, and used.
func TestJavaMissingDriver(t *testing.T) {
	jar := systemJars["org.postgresql.Driver"]
	driver, err := os.ReadFile(jar)
	if err != nil {
		t.Fatalf("PostgreSQL's JDBC driver (apt-get install libpostgresql-jdbc-java): %v", err)
	}
	systemJars["org.postgresql.Driver"] = filepath.Join(t.TempDir(), "postgresql.jar")
	t.Cleanup(func() { systemJars["org.postgresql.Driver"] = jar })
	privateTmp(t)

	_, err = mustDetect(t, javaFixture(t, nil)).Build(context.Background(), BuildOptions{})
	want := "java solution: org.postgresql.Driver is not installed"
	if err == nil || IsLearnerFault(err) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "apt-get install libpostgresql-jdbc-java") {
		t.Errorf("err = %v, want a machine error with %q and the package", err, want)
	}

	dir := javaFixture(t, nil)
	os.MkdirAll(filepath.Join(dir, "lib"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "lib", "postgresql-42.jar"), driver, 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := mustDetect(t, dir).Build(context.Background(), BuildOptions{})
	if err != nil {
		t.Fatalf("with the driver in lib/: %v", err)
	}
	defer b.Close()
	if want := "java -cp classes:lib/postgresql-42.jar Main"; b.Command() != want {
		t.Errorf("Command = %q, want %q", b.Command(), want)
	}
}

// A program javac rejects is the learner's build failure, with javac's
// message; a machine without a JDK is the machine's, and says what to
// install.
func TestJavaBuildFaults(t *testing.T) {
	privateTmp(t)
	dir := javaFixture(t, map[string]string{"Main.java": "public class Main {\n    int x = ;\n}\n"})
	_, err := mustDetect(t, dir).Build(context.Background(), BuildOptions{})
	var be *BuildError
	if !errors.As(err, &be) || !IsLearnerFault(err) || !strings.Contains(be.Output, "Main.java:2: error") {
		t.Errorf("err = %v, want a learner's *BuildError with javac's message", err)
	}

	t.Setenv("PATH", t.TempDir())
	_, err = mustDetect(t, javaFixture(t, nil)).Build(context.Background(), BuildOptions{})
	if err == nil || IsLearnerFault(err) || !strings.Contains(err.Error(), "javac is not installed") || !strings.Contains(err.Error(), "apt-get install default-jdk-headless") {
		t.Errorf("err = %v, want a machine error naming the JDK's package", err)
	}
}

// The grader looks into a solution's own jars as itself, outside any
// sandbox: a jar that is a FIFO (whose open waited for a writer: the grade
// hung past its watchdog and its signals, redteam8/fifojar), a link out of
// the solution directory, or one too big to look into (its central
// directory read whole into the grader's memory) holds nothing, and the
// machine's driver is added.
func TestJavaOwnJarsTheGraderDoesNotRead(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "postgresql.jar"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/usr/share/java/postgresql.jar", filepath.Join(dir, "out.jar")); err != nil {
		t.Fatal(err)
	}
	// big.jar holds the driver's class, after a hole past maxJarLooked.
	f, err := os.Create(filepath.Join(dir, "big.jar"))
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(maxJarLooked + 1)
	f.Seek(0, io.SeekEnd)
	z := zip.NewWriter(f)
	z.Create("org/postgresql/Driver.class")
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	done := make(chan []string, 1)
	go func() {
		jars, err := (&Built{dir: dir}).javaClasspath(Java)
		if err != nil {
			t.Error(err)
		}
		done <- jars
	}()
	select {
	case jars := <-done:
		if !slices.Contains(jars, "/usr/share/java/postgresql.jar") {
			t.Errorf("classpath %q: want the machine's driver, no own jar holding it", jars)
		}
	case <-time.After(10 * time.Second):
		os.WriteFile(filepath.Join(dir, "postgresql.jar"), nil, 0) // let the open return
		t.Fatal("javaClasspath still looks into the FIFO after 10 s")
	}
}

// A Main.java that is a link (to a file of the solution not named .java)
// is found by detection, which follows links, but compiles no source: the
// learner's build error, not the machine's (redteam8/mainlink: exit 3).
func TestJavaMainThatIsALink(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "code.txt"), []byte("class Main {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("code.txt", filepath.Join(dir, "Main.java")); err != nil {
		t.Fatal(err)
	}
	b := &Built{dir: dir, tmp: t.TempDir()}
	err := b.buildJava(context.Background(), Java, BuildOptions{}, false)
	var be *BuildError
	if !errors.As(err, &be) {
		t.Fatalf("buildJava = %v, want a *BuildError", err)
	}
}
