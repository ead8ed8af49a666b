package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/internal/leaktest"
	"github.com/nplus1/nplus1/internal/pgtest"
)

// helperEnv makes the test binary act as the traced command (see
// TestTraceHelperProcess): "request" starts a Python program and sends it
// one request, like `sh -c 'python3 main.py & sleep 1; curl ...'`;
// "hang" runs three queries and waits to be interrupted; "exit" runs one
// query and exits 7; "connect" connects and sends nothing; "control" sends
// BEGIN and COMMIT; "batch" sends a batch of 100 rows as pgjdbc rewrites
// it, then an INSERT per order.
const helperEnv = "NPLUS1_TRACE_HELPER"

func TestTraceHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		return
	}
	ctx := context.Background()
	switch mode {
	case "request":
		os.Exit(sendOneRequest(os.Getenv("NPLUS1_TRACE_PYTHON"), os.Getenv("NPLUS1_TRACE_DIR")))
	case "connect", "control":
		conn, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if mode == "control" {
			for _, sql := range []string{"BEGIN", "COMMIT"} {
				if _, err := conn.Exec(ctx, sql); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
			}
		}
		conn.Close(ctx)
		os.Exit(0)
	case "batch":
		os.Exit(sendBatch(ctx, os.Getenv("DATABASE_URL")))
	case "hang", "exit":
		conn, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		n := 3
		if mode == "exit" {
			n = 1
		}
		for i := 0; i < n; i++ {
			if _, err := conn.Exec(ctx, "SELECT 1"); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
		}
		if mode == "exit" {
			os.Exit(7)
		}
		fmt.Println("ready")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
}

// sendOneRequest starts dir/main.py on a free port, sends it GET
// /api/orders, stops it, and returns 0 when the answer was 200.
func sendOneRequest(python, dir string) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 2
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(python, "main.py")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	url := fmt.Sprintf("http://127.0.0.1:%d/api/orders", port)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err != nil {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		resp.Body.Close()
		fmt.Fprintln(os.Stderr, "request:", resp.Status)
		if resp.StatusCode == 200 {
			return 0
		}
		return 1
	}
	fmt.Fprintln(os.Stderr, "the program never answered")
	return 2
}

// sendBatch writes 100 rows to log as pgjdbc sends a batch with
// reWriteBatchedInserts (multi-row INSERTs of 64, 32 and 4 rows, their
// values as parameters), then, in a loop over the orders, one row to audit
// per order; it returns 0 when all went through. It asks the server's
// version first, as drivers do.
func sendBatch(ctx context.Context, url string) int {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer conn.Close(ctx)
	var version string // a driver's look at the server: overhead, not data
	if err := conn.QueryRow(ctx, "SELECT version()").Scan(&version); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	id := 0
	for _, n := range []int{64, 32, 4} {
		var rows []string
		var args []any
		for i := 0; i < n; i++ {
			rows = append(rows, fmt.Sprintf("($%d, $%d)", 2*i+1, 2*i+2))
			id++
			args = append(args, id, fmt.Sprintf("row %d", id))
		}
		if _, err := conn.Exec(ctx, "INSERT INTO log (id, msg) VALUES "+strings.Join(rows, ", "), args...); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
	}
	rows, err := conn.Query(ctx, "SELECT id FROM orders ORDER BY id")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	orders, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	for _, o := range orders {
		if _, err := conn.Exec(ctx, "INSERT INTO audit (order_id, msg) VALUES ($1, $2)", o, "seen"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
	}
	return 0
}

func needLocalPostgres(t *testing.T) {
	t.Helper()
	if _, err := postgres.Auto(context.Background(), postgres.AutoOptions{}); errors.Is(err, postgres.ErrNotAvailable) {
		pgtest.Need(t, "a local PostgreSQL", err)
	}
}

// The acceptance test: the orders-users Python starter, one request sent
// to it, shows the user lookup as one shape ×100, flagged N+1, with the
// orders query as its source.
func TestTraceStarterShowsNPlusOne(t *testing.T) {
	needLocalPostgres(t)
	python := "/usr/bin/python3"
	_, err := exec.Command(python, "-c", "import psycopg2").CombinedOutput()
	pgtest.Need(t, "python3-psycopg2 ("+python+")", err)
	dir, err := filepath.Abs("../../challenges/orders-users/starter/python")
	if err != nil {
		t.Fatal(err)
	}
	js := filepath.Join(t.TempDir(), "trace.json")
	tmp := leaktest.PrivateTmp(t)
	t.Setenv(helperEnv, "request")
	t.Setenv("NPLUS1_TRACE_PYTHON", python)
	t.Setenv("NPLUS1_TRACE_DIR", dir)

	code, out, errOut := run(t, "trace", "--postgres", "local", "--challenge", "orders-users", "--json", js,
		"--", os.Args[0], "-test.run=^TestTraceHelperProcess$")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"101 data statements",
		"2-101.  ×100  select name, email from users where id = ?  -- 1 row each  [N+1]",
		"N+1 (burst 1): `select name, email from users where id = ?` ran 100 times in one burst, once for each of the 100 rows of `select id, user_id, product from orders order by id`",
		"OVER-FETCH (burst 1): ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	var report struct {
		ExitCode   int `json:"exit_code"`
		Statements []struct {
			SQL  string `json:"sql"`
			Data bool   `json:"data"`
		} `json:"statements"`
		Shapes []struct {
			Count    int  `json:"count"`
			NPlusOne bool `json:"n_plus_one"`
		} `json:"shapes"`
		Bursts []struct {
			Findings []struct {
				Kind   string `json:"kind"`
				Source string `json:"source"`
			} `json:"findings"`
		} `json:"bursts"`
	}
	b, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &report); err != nil {
		t.Fatal(err)
	}
	flagged := 0
	for _, s := range report.Shapes {
		if s.NPlusOne {
			flagged++
			if s.Count != 100 {
				t.Errorf("the N+1 shape ran %d times, want 100", s.Count)
			}
		}
	}
	if flagged != 1 || len(report.Bursts) != 1 || len(report.Bursts[0].Findings) == 0 ||
		report.Bursts[0].Findings[0].Source != "select id, user_id, product from orders order by id" {
		t.Errorf("--json: %d flagged shapes, bursts %+v; want one N+1 fed by the orders", flagged, report.Bursts)
	}
	leaktest.AssertNothingLeft(t, tmp)
}

// traceBuffer is a bytes.Buffer safe for the command's and the test's
// goroutines.
type traceBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *traceBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *traceBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Ctrl-C: the command is interrupted, the report covers what it did, and
// nplus1 exits with the command's code (130: ended by SIGINT).
func TestTraceInterruptPrintsReport(t *testing.T) {
	needLocalPostgres(t)
	t.Setenv(helperEnv, "hang")
	out, errOut := &traceBuffer{}, &traceBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for !strings.Contains(out.String(), "ready") {
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
	}()
	opts := &TraceOptions{
		IO:       IOStreams{In: strings.NewReader(""), Out: out, ErrOut: errOut},
		Command:  []string{os.Args[0], "-test.run=^TestTraceHelperProcess$"},
		Postgres: "local",
		Provider: newProvider,
		Gap:      500 * time.Millisecond,
	}
	start := time.Now()
	err := runTrace(ctx, opts)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 130 {
		t.Fatalf("runTrace = %v, want exit 130\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the interrupted trace took %s", took)
	}
	for _, want := range []string{"was interrupted (exit 130)", "3 data statements", "1-3.  ×3  select ?"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
}

func TestTraceExitCodeAndUsage(t *testing.T) {
	if code, _, errOut := run(t, "trace", "python3", "app.py"); code != exitUsage || !strings.Contains(errOut, "nplus1 trace [flags] -- COMMAND") {
		t.Errorf("trace without --: exit %d, stderr %q; want 2 and the usage", code, errOut)
	}
	if code, _, errOut := run(t, "trace", "--", "/nonexistent/program"); code != 127 || !strings.Contains(errOut, "/nonexistent/program") {
		t.Errorf("trace of a missing program: exit %d, stderr %q; want 127", code, errOut)
	}
	if code, _, errOut := run(t, "trace", "--challenge", "nope", "--", "true"); code != exitUsage {
		t.Errorf("trace --challenge nope: exit %d, stderr %q; want 2", code, errOut)
	}
	if code, _, errOut := run(t, "trace", "--json", "/nonexistent/dir/trace.json", "--", "true"); code != exitUsage || !strings.Contains(errOut, "its directory /nonexistent/dir does not exist") {
		t.Errorf("trace --json into a missing directory: exit %d, stderr %q; want 2 naming the directory", code, errOut)
	}
	needLocalPostgres(t)
	t.Setenv(helperEnv, "exit")
	code, out, errOut := run(t, "trace", "--postgres", "local", "--", os.Args[0], "-test.run=^TestTraceHelperProcess$")
	if code != 7 || !strings.Contains(out, "exited 7") || !strings.Contains(out, "1 data") {
		t.Errorf("trace of a program exiting 7: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// A database that cannot be reached is said before the command runs, as
// the machine's failure, not as a program that sent no SQL.
func TestTraceUnreachableDatabase(t *testing.T) {
	code, out, errOut := run(t, "trace", "--database-url", "postgres://x:y@127.0.0.1:1/db", "--", "true")
	if code != exitGradeError || !strings.Contains(errOut, "cannot reach the database to trace") || strings.Contains(out+errOut, "No SQL reached") {
		t.Errorf("exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
}

// A traced server gets a free PORT, as under grade, and is told which.
func TestTraceSetsPort(t *testing.T) {
	needLocalPostgres(t)
	t.Setenv("PORT", "")
	code, out, errOut := run(t, "trace", "--postgres", "local", "--", "sh", "-c", `echo "serving on $PORT"`)
	m := regexp.MustCompile(`PORT=(\d+): a server that reads it serves on http://127\.0\.0\.1:(\d+)`).FindStringSubmatch(errOut)
	if code != 0 || m == nil || m[1] != m[2] || !strings.Contains(out+errOut, "serving on "+m[1]) {
		t.Errorf("exit %d; want PORT set and said\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	t.Setenv("PORT", "5999")
	if _, out, errOut := run(t, "trace", "--postgres", "local", "--", "sh", "-c", `echo "serving on $PORT"`); !strings.Contains(out+errOut, "serving on 5999") {
		t.Errorf("a PORT of the caller's own was not kept\nstdout:\n%s\nstderr:\n%s", out, errOut)
	}
}

// A trace with nothing to show says why, plainly: no connection; a
// connection but no statement (a server sent no request: send some, here is
// where); only control statements.
func TestTraceWithoutRequestsSaysSo(t *testing.T) {
	needLocalPostgres(t)
	t.Setenv("PORT", "")
	code, out, errOut := run(t, "trace", "--postgres", "local", "--", "true")
	if code != 0 || !strings.Contains(out, "No SQL reached the proxy, and no connection was made: did the program start (its output is above)? It must read DATABASE_URL") {
		t.Errorf("no connection: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	// A server stopped with Ctrl-C before it was sent a request.
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	var buf, errBuf traceBuffer
	err := runTrace(ctx, &TraceOptions{IO: IOStreams{In: strings.NewReader(""), Out: &buf, ErrOut: &errBuf},
		Command: []string{"sleep", "30"}, Postgres: "local", Provider: newProvider, Challenge: "orders-users", Gap: 500 * time.Millisecond})
	want := regexp.MustCompile(`No SQL reached the proxy, and no connection was made\. A server runs its SQL when it gets requests: send some while nplus1 trace runs \(e\.g\. curl http://127\.0\.0\.1:\d+/api/orders\), then press Ctrl-C\. Else, did the program start`)
	if !want.MatchString(buf.String()) {
		t.Errorf("an interrupted server sent no request: %v\nstdout:\n%s\nstderr:\n%s", err, &buf, &errBuf)
	}

	helper := []string{os.Args[0], "-test.run=^TestTraceHelperProcess$"}
	t.Setenv(helperEnv, "connect")
	code, out, errOut = run(t, append([]string{"trace", "--postgres", "local", "--challenge", "orders-users", "--"}, helper...)...)
	want = regexp.MustCompile(`No SQL reached the proxy: the program connected \(1 connection\) but sent no statement\. A server runs its SQL when it gets requests: send some while nplus1 trace runs \(e\.g\. curl http://127\.0\.0\.1:\d+/api/orders\), then press Ctrl-C\.`)
	if code != 0 || !want.MatchString(out) {
		t.Errorf("a connection, no statement: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	t.Setenv(helperEnv, "control")
	code, out, errOut = run(t, append([]string{"trace", "--postgres", "local", "--"}, helper...)...)
	if code != 0 || !strings.Contains(out, "No data statement ran, only 2 control statements (begin, commit): nothing read the data. A server runs its SQL") {
		t.Errorf("only control statements: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// A batch written as pgjdbc rewrites it, multi-row INSERTs of 64, 32 and 4
// rows, is one shape and one batched write, not an N+1; an INSERT per
// order after it is one, on a real server.
func TestTraceBatchedInsertIsNoNPlusOne(t *testing.T) {
	needLocalPostgres(t)
	schema := filepath.Join(t.TempDir(), "schema.sql")
	err := os.WriteFile(schema, []byte(`CREATE TABLE orders (id int PRIMARY KEY);
INSERT INTO orders SELECT generate_series(1, 5);
CREATE TABLE log (id int PRIMARY KEY, msg text NOT NULL);
CREATE TABLE audit (order_id int NOT NULL, msg text NOT NULL);
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(helperEnv, "batch")
	code, out, errOut := run(t, "trace", "--postgres", "local", "--schema", schema, "--", os.Args[0], "-test.run=^TestTraceHelperProcess$")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"10 statements (9 data, 0 control, 1 driver overhead reading only the system catalogs)",
		"9 data statements",
		"1-3.  ×3  insert into log(id, msg) values (?, ?) ...64 rows  -- 0 rows each\n",
		"N+1 (burst 1): `insert into audit(order_id, msg) values (?, ?)` ran 5 times in one burst, once for each of the 5 rows of `select id from orders order by id`: insert them in one statement",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "...64 rows  -- 0 rows each  [N+1]") || strings.Count(out, "N+1 (burst") != 1 {
		t.Errorf("the batch is reported as an N+1:\n%s", out)
	}
}
