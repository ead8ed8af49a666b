package grader

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nplus1/nplus1/challenges"
	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/grader/proxy"
	"github.com/nplus1/nplus1/grader/sqlshape"
	"github.com/nplus1/nplus1/internal/pgtest"
	"github.com/nplus1/nplus1/internal/procgroup"
	"github.com/nplus1/nplus1/reports"
)

// The orders-users starter of every stack, run under Trace (what `nplus1
// trace --database-url URL -- COMMAND` runs) and sent a few requests: the
// tracer's data statements, shape by shape, are the calls and rows
// PostgreSQL's own pg_stat_statements counted for the program's role. The
// schema and seed are loaded before the server's counts are reset, so none
// of nplus1's own statements are in them; a driver's catalog reads are data
// on both sides (pg_stat_statements counts them as any SELECT). One cluster
// serves every stack.
func TestTraceCountsAsPgStatStatements(t *testing.T) {
	const (
		role, dbname = "app", "work"
		size         = 8 // orders
		requests     = 3
	)
	ctx := context.Background()
	sqlshape.Warm()
	inst := pgtest.StartWith(t, postgres.LocalOptions{Settings: pgtest.StatStatements()})
	admin, err := pgx.Connect(ctx, inst.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })
	for _, q := range []string{
		"CREATE EXTENSION pg_stat_statements",
		"CREATE ROLE " + role + " LOGIN PASSWORD 'app-secret'",
		"CREATE DATABASE " + dbname + " OWNER " + role,
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	u, err := url.Parse(inst.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	u.User, u.Path = url.UserPassword(role, "app-secret"), "/"+dbname
	appURL := u.String()
	ch, err := challenges.Load("orders-users")
	if err != nil {
		t.Fatal(err)
	}
	if err := loadSchemas(ctx, appURL, ch, 1, size, nil, nil, io.Discard); err != nil {
		t.Fatal(err)
	}

	python := os.Getenv("NPLUS1_PYTHON")
	if python == "" {
		python = "python3"
	}
	starters, err := filepath.Abs(filepath.Join("..", "challenges", "orders-users", "starter"))
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	// Each stack: how it is checked for (a missing one skips, or fails
	// under CI), how it is built (go build when there is no probe) and the
	// command a learner would trace.
	type stack struct {
		name, what string
		probe      []string
		build      []string
		command    []string
	}
	main := func(stack, file string) string { return filepath.Join(starters, stack, file) }
	stacks := []stack{
		{name: "go", command: []string{filepath.Join(bin, "go")}},
		{name: "gorm", command: []string{filepath.Join(bin, "gorm")}},
		{name: "python", what: "psycopg2 for " + python, probe: []string{python, "-c", "import psycopg2"},
			command: []string{python, main("python", "main.py")}},
		{name: "sqlalchemy", what: "SQLAlchemy and psycopg2 for " + python, probe: []string{python, "-c", "import sqlalchemy, psycopg2"},
			command: []string{python, main("sqlalchemy", "main.py")}},
		{name: "django", what: "Django and psycopg2 for " + python, probe: []string{python, "-c", "import django, psycopg2"},
			command: []string{python, main("django", "main.py")}},
		// Debian's node-pg is in /usr/share/nodejs, where only Debian's own
		// build of node looks without NODE_PATH.
		{name: "node", what: "node and node-pg", probe: []string{"env", "NODE_PATH=/usr/share/nodejs", "node", "-e", "require('pg')"},
			command: []string{"env", "NODE_PATH=/usr/share/nodejs", "node", main("node", "main.js")}},
		{name: "rails", what: "ruby with ActiveRecord, pg and WEBrick", probe: []string{"ruby", "-e", `require "active_record"; require "pg"; require "webrick"`},
			command: []string{"ruby", main("rails", "main.rb")}},
		// javac, and java with pgjdbc, as the grader runs them (runner's jvmFlags).
		{name: "java", what: "a JDK and PostgreSQL's JDBC driver (default-jdk-headless libpostgresql-jdbc-java)",
			probe:   []string{"sh", "-c", "javac -version && test -r /usr/share/java/postgresql.jar"},
			build:   []string{"javac", "-J-XX:-UsePerfData", "-d", filepath.Join(bin, "java"), "-cp", "/usr/share/java/postgresql.jar", main("java", "Main.java")},
			command: []string{"java", "-XX:-UsePerfData", "-cp", filepath.Join(bin, "java") + ":/usr/share/java/postgresql.jar", "Main"}},
		{name: "hibernate", what: "a JDK, Hibernate and PostgreSQL's JDBC driver (default-jdk-headless libhibernate3-java libjavassist-java libpostgresql-jdbc-java)",
			probe:   []string{"sh", "-c", "javac -version && test -r /usr/share/java/hibernate3.jar && test -r /usr/share/java/javassist.jar && test -r /usr/share/java/postgresql.jar"},
			build:   []string{"javac", "-J-XX:-UsePerfData", "-d", filepath.Join(bin, "hibernate"), "-cp", hibernateClasspath, main("hibernate", "Main.java")},
			command: []string{"java", "-XX:-UsePerfData", "-cp", filepath.Join(bin, "hibernate") + ":" + hibernateClasspath, "Main"}},
	}

	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STACK\tTRACER (data statements)\tPG_STAT_STATEMENTS (calls)\tRESULT")
	t.Cleanup(func() {
		tw.Flush()
		t.Logf("orders-users starters, %d requests each:\n%s", requests, table.String())
	})
	for _, st := range stacks {
		t.Run(st.name, func(t *testing.T) {
			if st.probe != nil {
				out, err := exec.Command(st.probe[0], st.probe[1:]...).CombinedOutput()
				if err != nil {
					err = fmt.Errorf("%s: %w: %s", strings.Join(st.probe, " "), err, out)
				}
				pgtest.Need(t, st.what, err)
				if st.build != nil {
					if out, err := exec.Command(st.build[0], st.build[1:]...).CombinedOutput(); err != nil {
						t.Fatalf("%s: %v\n%s", strings.Join(st.build, " "), err, out)
					}
				}
			} else {
				build := exec.Command("go", "build", "-o", st.command[0], ".")
				build.Dir = filepath.Join(starters, st.name)
				if out, err := build.CombinedOutput(); err != nil {
					t.Fatalf("go build %s: %v\n%s", st.name, err, out)
				}
			}
			waitRoleIdle(t, admin, role)
			if _, err := admin.Exec(ctx, "SELECT pg_stat_statements_reset()"); err != nil {
				t.Fatal(err)
			}
			res, output := traceRequests(t, st.command, appURL, requests)
			waitRoleIdle(t, admin, role)

			tracer := tracedData(res.Statements)
			server, err := pgtest.ServerData(ctx, admin, role, dbname)
			if err != nil {
				t.Fatal(err)
			}
			diffs := pgtest.Diff("data", tracer, server, "pg_stat_statements")
			for _, d := range diffs {
				t.Error(d)
			}
			// At least the orders and a user per request (SQLAlchemy's
			// session loads each user once a request).
			if min := int64(2 * requests); server.Total() < min {
				t.Errorf("pg_stat_statements counted %d data statements, want at least %d for %d requests: the starter did not run", server.Total(), min, requests)
			}
			if p := res.Problems; len(p) > 0 {
				t.Errorf("the proxy reported problems: %q", p)
			}
			if t.Failed() {
				t.Logf("the program's output:\n%s", output)
			}
			// The comparison sees one statement dropped, or counted twice.
			first := slices.IndexFunc(res.Statements, func(s proxy.Statement) bool { return s.Data && s.Error == "" })
			if first < 0 {
				t.Fatal("the tracer saw no data statement")
			}
			dropped := tracedData(append(res.Statements[:first:first], res.Statements[first+1:]...))
			doubled := tracedData(append(res.Statements[:first+1:first+1], res.Statements[first:]...))
			for name, c := range map[string]pgtest.Counts{"dropped": dropped, "doubled": doubled} {
				if len(pgtest.Diff("data", c, server, "pg_stat_statements")) == 0 {
					t.Errorf("a statement %s is not seen by the comparison", name)
				}
			}
			verdict := "equal"
			if len(diffs) > 0 {
				verdict = "DIFFERENT"
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", st.name, tracer.Total(), server.Total(), verdict)
		})
	}
}

// tracedData counts the tracer's data statements as pg_stat_statements
// does: those that succeeded, a driver's catalog reads included, with the
// rows of their command tags.
func tracedData(stmts []proxy.Statement) pgtest.Counts {
	out := pgtest.Counts{}
	for _, s := range stmts {
		if (s.Data || s.Catalog) && s.Error == "" && strings.TrimSpace(sqlshape.Normalize(s.SQL)) != "" {
			out.Add(s.SQL, 1, pgtest.TaggedRows(s.Tag))
		}
	}
	return out
}

// traceRequests runs command under Trace against databaseURL, sends its
// server n requests for /api/orders once it listens, interrupts it as
// Ctrl-C would, and returns what was traced and the program's output.
func traceRequests(t *testing.T, command []string, databaseURL string, n int) (*reports.Trace, string) {
	t.Helper()
	port, err := procgroup.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(t.TempDir(), "output"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	output := func() string {
		b, _ := os.ReadFile(out.Name())
		return string(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	type result struct {
		res *reports.Trace
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := Trace(ctx, TraceOptions{Command: command, DatabaseURL: databaseURL, Port: port, Stdout: out, Stderr: out, Grace: 10 * time.Second})
		done <- result{res, err}
	}()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(time.Minute); ; {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			break
		}
		select {
		case r := <-done:
			t.Fatalf("%s ended before it listened on %s: %v\n%s", command, addr, r.err, output())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("%s did not listen on %s within a minute:\n%s", command, addr, output())
		}
		time.Sleep(50 * time.Millisecond)
	}
	client := &http.Client{Timeout: time.Minute}
	for i := 0; i < n; i++ {
		resp, err := client.Get("http://" + addr + "/api/orders")
		if err != nil {
			cancel()
			<-done
			t.Fatalf("request %d: %v\n%s", i+1, err, output())
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(strings.TrimSpace(string(body)), "[") {
			cancel()
			<-done
			t.Fatalf("request %d: %s %.200q\n%s", i+1, resp.Status, body, output())
		}
	}
	cancel()
	r := <-done
	if r.err != nil {
		t.Fatalf("trace %s: %v\n%s", command, r.err, output())
	}
	return r.res, output()
}

// waitRoleIdle waits until no backend of role is left, so that every
// statement it ran is in pg_stat_statements.
func waitRoleIdle(t *testing.T, admin *pgx.Conn, role string) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; {
		var n int
		if err := admin.QueryRow(context.Background(), "SELECT count(*) FROM pg_stat_activity WHERE usename = $1", role).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d backends of role %s still open", n, role)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
