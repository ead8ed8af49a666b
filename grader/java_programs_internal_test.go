package grader

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nplus1/nplus1/challenges"
	"github.com/nplus1/nplus1/internal/pgtest"
	"github.com/nplus1/nplus1/internal/procgroup"
)

// The Java programs turn DATABASE_URL, a libpq URL, into JDBC's form
// themselves: every one with the same code, which connects with a user and
// a password that the URL holds percent-encoded (the grader's one-run
// password is hex, but a learner's own URL, or `nplus1 trace`'s, may hold
// any character).
func TestJavaProgramsReadTheDatabaseURL(t *testing.T) {
	const size = 5
	// Each Java stack: the method that reads the URL, and the classpath.
	stacks := []struct{ name, method, classpath string }{
		{"java", "    static Connection connect(", "/usr/share/java/postgresql.jar"},
		{"hibernate", "    static Properties settings(", hibernateClasspath},
	}
	for _, st := range stacks {
		// The code that reads the URL, the same in every program.
		read := func(p string) string {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			s := string(b)
			i, j := strings.Index(s, st.method), strings.Index(s, "    static void handle(")
			if i < 0 || j < i {
				t.Fatalf("%s: no %q before handle", p, strings.TrimSpace(st.method))
			}
			return s[i:j]
		}
		programs, err := filepath.Glob("../challenges/*/*/" + st.name + "/Main.java")
		if err != nil || len(programs) != 10 {
			t.Fatalf("%s programs: %q, %v; want a starter and a reference for each of the 5 challenges", st.name, programs, err)
		}
		for _, p := range programs[1:] {
			if read(p) != read(programs[0]) {
				t.Errorf("%s reads DATABASE_URL otherwise than %s", p, programs[0])
			}
		}
	}

	probe := "javac -version && test -r /usr/share/java/postgresql.jar && test -r /usr/share/java/hibernate3.jar && test -r /usr/share/java/javassist.jar"
	if out, err := exec.Command("sh", "-c", probe).CombinedOutput(); err != nil {
		pgtest.Need(t, "a JDK, Hibernate and PostgreSQL's JDBC driver (default-jdk-headless libhibernate3-java libjavassist-java libpostgresql-jdbc-java)", fmt.Errorf("%w: %s", err, out))
	}
	ctx := context.Background()
	inst := pgtest.Start(t)
	admin, err := pgx.Connect(ctx, inst.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })
	const user, password = "app user", `p@ss:w/rd?#[x]%41+ é&=;'"`
	for _, q := range []string{
		fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", pgx.Identifier{user}.Sanitize(), strings.ReplaceAll(password, "'", "''")),
		fmt.Sprintf("CREATE DATABASE work OWNER %s", pgx.Identifier{user}.Sanitize()),
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	u, err := url.Parse(inst.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	u.User, u.Path = url.UserPassword(user, password), "/work"
	ch, err := challenges.Load("orders-users")
	if err != nil {
		t.Fatal(err)
	}
	if err := loadSchemas(ctx, u.String(), ch, 1, size, nil, nil, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, st := range stacks {
		t.Run(st.name, func(t *testing.T) {
			classes := t.TempDir()
			src := "../challenges/orders-users/reference/" + st.name + "/Main.java"
			if out, err := exec.Command("javac", "-J-XX:-UsePerfData", "-d", classes, "-cp", st.classpath, src).CombinedOutput(); err != nil {
				t.Fatalf("javac %s: %v\n%s", src, err, out)
			}
			getOrders(t, []string{"java", "-XX:-UsePerfData", "-cp", classes + ":" + st.classpath, "Main"}, u, size)
		})
	}
}

// hibernateClasspath holds Hibernate 3.6, what it loads, and the driver,
// as Debian installs them.
const hibernateClasspath = "/usr/share/java/hibernate3.jar:/usr/share/java/hibernate-commons-annotations.jar:/usr/share/java/geronimo-jpa_2.0_spec.jar:" +
	"/usr/share/java/geronimo-jta-1.2-spec.jar:/usr/share/java/dom4j.jar:/usr/share/java/antlr.jar:/usr/share/java/commons-collections3.jar:" +
	"/usr/share/java/slf4j-api.jar:/usr/share/java/slf4j-nop.jar:/usr/share/java/javassist.jar:/usr/share/java/postgresql.jar"

// getOrders runs the program argv with DATABASE_URL u, and checks that it
// answers GET /api/orders with size orders.
func getOrders(t *testing.T, argv []string, u *url.URL, size int) {
	t.Helper()
	port, err := procgroup.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "DATABASE_URL="+u.String())
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		<-exited
	}()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("the program ended before it listened (%v), with %s:\n%s", err, u.Redacted(), out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the program did not listen within 30s:\n%s", out.String())
		}
	}
	resp, err := http.Get("http://" + addr + "/api/orders")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var orders []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&orders); resp.StatusCode != http.StatusOK || err != nil || len(orders) != size {
		t.Fatalf("GET /api/orders: %s, %d orders (%v), want 200 and %d orders; the program's output:\n%s", resp.Status, len(orders), err, size, out.String())
	}
}
