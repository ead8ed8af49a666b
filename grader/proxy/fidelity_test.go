package proxy_test

// Fidelity: for every client people really use, the tracer counts exactly
// what PostgreSQL itself counted. Each workload runs through the proxy;
// afterwards the test waits until the traced role's backends are gone (so
// every portal is closed and counted) and compares, per statement shape,
// with the server's own exact record of each kind of statement:
//
//   - Data statements (SELECT, INSERT, ..., COPY, DECLARE, FETCH): the
//     calls and rows pg_stat_statements counted (loaded with
//     shared_preload_libraries) for the traced role and database, against
//     the tracer's statements that succeeded and the row counts of their
//     command tags. pg_stat_statements counts every execution of a data
//     statement, prepared or not; it counts no failed statement, and none
//     whose portal is still open when its transaction aborts (the
//     workloads make their errors at execution, which drops the previous
//     portal first).
//   - Control statements (BEGIN, SET, DEALLOCATE, ...): the server log
//     with log_statement = all, one entry per simple Query (split into its
//     statements) and one per Execute. pg_stat_statements cannot serve
//     here: it never tracks PREPARE and DEALLOCATE, and it counts a
//     utility statement run from a named prepared statement only the first
//     time (pgbench -M prepared runs BEGIN and END that way).
//
// Failed statements are checked against what the client itself saw fail.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"github.com/lib/pq"
	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/grader/proxy"
	"github.com/nplus1/nplus1/grader/sqlshape"
	"github.com/nplus1/nplus1/internal/pgtest"
)

// fidelity is one Postgres with pg_stat_statements and a proxy in front of
// database "work" as role "app".
type fidelity struct {
	admin *pgx.Conn // superuser, database "postgres"
	trace *proxy.Trace
	addr  string // the proxy's host:port
	url   string // the proxy's URL for clients
	env   []string
	rec   *recorder // records the traffic as fuzz seeds, when asked to
	log   string    // the server log, with log_statement = all
	marks int       // log marks written so far
	mu    sync.Mutex
	table [][4]string // client, tracer, server, verdict: the fidelity table
}

// logPrefix starts every server log entry (log_line_prefix): who ran it.
const logPrefix = "@@%u@%d@@ "

const (
	fidelityUser     = "app"
	fidelityPassword = "one-run"
)

func startFidelity(t *testing.T) *fidelity {
	t.Helper()
	ctx := context.Background()
	sqlshape.Warm()
	// The server may run as another user (when we are root): it needs a
	// directory it can reach, which t.TempDir is not.
	logDir, err := os.MkdirTemp("", "nplus1-fidelity-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(logDir) })
	os.Chmod(logDir, 0o777)
	settings := pgtest.StatStatements()
	maps.Copy(settings, map[string]string{
		"log_statement":     "all",
		"logging_collector": "on",
		"log_directory":     logDir,
		"log_filename":      "server.log",
		"log_rotation_size": "0",
		"log_line_prefix":   logPrefix,
	})
	inst := pgtest.StartWith(t, postgres.LocalOptions{Settings: settings})
	admin, err := pgx.Connect(ctx, inst.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })
	for _, q := range []string{
		"CREATE EXTENSION pg_stat_statements",
		"CREATE ROLE app LOGIN PASSWORD 'app-secret'",
		"CREATE DATABASE work OWNER app",
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	up, err := pgconn.ParseConfig(inst.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	up.User, up.Password, up.Database = "app", "app-secret", "work"
	setup, err := pgconn.ConnectConfig(ctx, up)
	if err != nil {
		t.Fatal(err)
	}
	_, err = setup.Exec(ctx, `CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, grp int NOT NULL);
INSERT INTO items SELECT g, 'item ' || g, g % 5 FROM generate_series(1, 50) g;
CREATE TABLE log (id serial PRIMARY KEY, msg text);`).ReadAll()
	setup.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}

	f := &fidelity{admin: admin, trace: &proxy.Trace{}, log: filepath.Join(logDir, "server.log")}
	p, err := proxy.Listen(proxy.Config{Upstream: up, User: fidelityUser, Password: fidelityPassword, Trace: f.trace, MaxConns: 50})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	f.addr = p.Addr().String()
	if os.Getenv(recordEnv) != "" {
		f.rec = newRecorder(t, f.addr)
		f.addr = f.rec.ln.Addr().String()
	}
	_, port, _ := net.SplitHostPort(f.addr)
	f.url = fmt.Sprintf("postgres://%s:%s@%s/work?sslmode=disable", fidelityUser, fidelityPassword, f.addr)
	f.env = []string{
		"DATABASE_URL=" + f.url,
		"PGHOST=127.0.0.1",
		"PGPORT=" + port,
		"PGUSER=" + fidelityUser,
		"PGPASSWORD=" + fidelityPassword,
		"PGDATABASE=work",
		"PGSSLMODE=disable",
	}
	t.Cleanup(func() { f.printTable(t) })
	return f
}

// run runs one workload: it resets the server's counts, runs work (which
// returns how many statements the client saw fail) and compares.
func (f *fidelity) run(t *testing.T, name string, work func(t *testing.T) int) {
	t.Run(name, func(t *testing.T) {
		ctx := context.Background()
		f.waitIdle(t)
		if _, err := f.admin.Exec(ctx, "SELECT pg_stat_statements_reset()"); err != nil {
			t.Fatal(err)
		}
		logStart := f.logMark(t)
		mark := f.trace.Mark()
		clientErrors := work(t)
		f.waitIdle(t)
		if f.rec != nil {
			f.rec.save(t, name)
		}
		logEnd := f.logMark(t)
		stmts, _ := f.trace.Since(mark)
		entries := f.logEntries(t, logStart, logEnd)
		f.compare(t, name, stmts, clientErrors, entries)
		if t.Failed() && os.Getenv("FIDELITY_DEBUG") != "" {
			for _, s := range stmts {
				t.Logf("tracer: conn %d rt %d %q tag %q err %q", s.Conn, s.RoundTrip, s.SQL, s.Tag, s.Error)
			}
			for _, e := range entries {
				t.Logf("log: %s", e)
			}
		}
		if p := f.trace.Problems(mark); len(p) > 0 {
			t.Errorf("the proxy reported problems: %q", p)
		}
	})
}

// waitIdle waits until no backend of the traced role is left, so that
// every statement it ran has been counted.
func (f *fidelity) waitIdle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var n int
		err := f.admin.QueryRow(context.Background(), "SELECT count(*) FROM pg_stat_activity WHERE usename = 'app'").Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d backends of the traced role still open", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// logMark writes a mark in the server log, waits until the log holds it,
// and returns its offset: every entry before it was written before it.
func (f *fidelity) logMark(t *testing.T) int {
	t.Helper()
	f.marks++
	mark := fmt.Sprintf("fidelity-mark-%d", f.marks)
	if _, err := f.admin.Exec(context.Background(), fmt.Sprintf("DO $$BEGIN RAISE LOG '%s'; END$$", mark)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(f.log)
		if i := strings.Index(string(b), mark); i >= 0 {
			return i
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server log never showed %s (%v)", mark, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// logEntries returns the log entries of the traced role between two
// offsets, each without its prefix.
func (f *fidelity) logEntries(t *testing.T, from, to int) []string {
	t.Helper()
	b, err := os.ReadFile(f.log)
	if err != nil {
		t.Fatal(err)
	}
	prefix := strings.NewReplacer("%u", "app", "%d", "work").Replace(logPrefix)
	var out []string
	for _, e := range strings.Split(string(b[from:to]), "\n@@") {
		e = "@@" + strings.TrimPrefix(e, "@@")
		if rest, ok := strings.CutPrefix(e, prefix); ok {
			out = append(out, strings.TrimRight(rest, "\n"))
		}
	}
	return out
}

// loggedControl counts the control statements the server log shows run,
// by shape: simple Query messages split into their statements, and
// Executes (a continued portal is not a new statement).
func loggedControl(entries []string) pgtest.Counts {
	out := pgtest.Counts{}
	add := func(sql string) {
		if strings.TrimSpace(sqlshape.Normalize(sql)) == "" || sqlshape.IsData("", sql) {
			return
		}
		out.Add(sql, 1, 0)
	}
	for _, e := range entries {
		if q, ok := strings.CutPrefix(e, "LOG:  statement: "); ok {
			for _, s := range sqlshape.Split(q) {
				add(s)
			}
		} else if rest, ok := strings.CutPrefix(e, "LOG:  execute "); ok && !strings.HasPrefix(rest, "fetch from ") {
			if _, q, ok := strings.Cut(rest, ": "); ok {
				add(q)
			}
		}
	}
	return out
}

func (f *fidelity) compare(t *testing.T, name string, stmts []proxy.Statement, clientErrors int, logged []string) {
	t.Helper()
	data, control := pgtest.Counts{}, pgtest.Counts{}
	var failed int
	for _, s := range stmts {
		if s.Error != "" {
			failed++
		}
		if strings.TrimSpace(sqlshape.Normalize(s.SQL)) == "" {
			continue // an empty statement: nothing ran
		}
		// pg_stat_statements tracks a driver's reads of the catalogs as it
		// tracks any SELECT: on this side they are data too.
		switch {
		case s.Data || s.Catalog:
			if s.Error == "" {
				data.Add(s.SQL, 1, pgtest.TaggedRows(s.Tag))
			}
		default:
			control.Add(s.SQL, 1, 0)
		}
	}
	server, err := pgtest.ServerData(context.Background(), f.admin, fidelityUser, "work")
	if err != nil {
		t.Fatal(err)
	}
	log := loggedControl(logged)
	diffs := append(pgtest.Diff("data", data, server, "pg_stat_statements"), pgtest.Diff("control", control, log, "the server log")...)
	for _, d := range diffs {
		t.Error(d)
	}
	ok := len(diffs) == 0
	if failed != clientErrors {
		ok = false
		t.Errorf("tracer recorded %d failed statements; the client saw %d fail", failed, clientErrors)
	}
	if server.Total() == 0 {
		ok = false
		t.Error("the server counted no data statement: the workload did not run")
	}
	verdict := "equal"
	if !ok {
		verdict = "DIFFERENT"
	}
	f.mu.Lock()
	f.table = append(f.table, [4]string{name,
		fmt.Sprintf("%d + %d control, %d failed", data.Total(), control.Total(), failed),
		fmt.Sprintf("%d + %d control, client saw %d fail", server.Total(), log.Total(), clientErrors), verdict})
	f.mu.Unlock()
}

func (f *fidelity) printTable(t *testing.T) {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLIENT\tTRACER\tPOSTGRESQL (pg_stat_statements + log)\tRESULT")
	for _, r := range f.table {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r[0], r[1], r[2], r[3])
	}
	tw.Flush()
	t.Logf("statements counted, tracer vs pg_stat_statements:\n%s", b.String())
}

func TestFidelity(t *testing.T) {
	f := startFidelity(t)
	ctx := context.Background()

	connect := func(t *testing.T, mode pgx.QueryExecMode) *pgx.Conn {
		cfg, err := pgx.ParseConfig(f.url)
		if err != nil {
			t.Fatal(err)
		}
		cfg.DefaultQueryExecMode = mode
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// pgxWork is the same script in every pgx query mode. It returns the
	// statements that failed.
	pgxWork := func(t *testing.T, c *pgx.Conn) int {
		for i := 1; i <= 6; i++ {
			var name string
			if err := c.QueryRow(ctx, "SELECT name FROM items WHERE id = $1", i).Scan(&name); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := c.Query(ctx, "SELECT id, name FROM items WHERE grp = $1 ORDER BY id", 2)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pgx.CollectRows(rows, pgx.RowToMap); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(ctx, "INSERT INTO log (msg) VALUES ($1)", "pgx"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(ctx, "UPDATE items SET grp = grp WHERE id <= $1", 7); err != nil {
			t.Fatal(err)
		}
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM log WHERE msg = $1", "nothing"); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		failed := 0
		if _, err := c.Exec(ctx, "SELECT * FROM missing_table WHERE id = $1", 1); err != nil {
			failed++
		}
		if _, err := c.Exec(ctx, "SELEC oops"); err != nil {
			failed++
		}
		return failed
	}

	for _, m := range []struct {
		name string
		mode pgx.QueryExecMode
	}{
		{"pgx Conn (cache statement)", pgx.QueryExecModeCacheStatement},
		{"pgx Conn (cache describe)", pgx.QueryExecModeCacheDescribe},
		{"pgx Conn (describe exec)", pgx.QueryExecModeDescribeExec},
		{"pgx Conn (exec)", pgx.QueryExecModeExec},
		{"pgx Conn (simple protocol)", pgx.QueryExecModeSimpleProtocol},
	} {
		f.run(t, m.name, func(t *testing.T) int {
			c := connect(t, m.mode)
			defer c.Close(ctx)
			return pgxWork(t, c)
		})
	}

	f.run(t, "pgx Exec, Prepare, Deallocate", func(t *testing.T) int {
		c := connect(t, pgx.QueryExecModeCacheStatement)
		defer c.Close(ctx)
		// Exec without arguments takes the simple protocol; several statements in one.
		if _, err := c.Exec(ctx, "BEGIN; SELECT count(*) FROM items; UPDATE items SET grp = grp WHERE id = 1; COMMIT"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(ctx, "SET application_name = 'fidelity'"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Prepare(ctx, "byid", "SELECT name FROM items WHERE id = $1"); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 3; i++ {
			if _, err := c.Exec(ctx, "byid", i); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Deallocate(ctx, "byid"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Prepare(ctx, "byid", "SELECT grp FROM items WHERE id = $1"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(ctx, "byid", 2); err != nil {
			t.Fatal(err)
		}
		if err := c.DeallocateAll(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(ctx, ""); err != nil { // an empty query
			t.Fatal(err)
		}
		return 0
	})

	f.run(t, "pgxpool", func(t *testing.T) int {
		cfg, err := pgxpool.ParseConfig(f.url)
		if err != nil {
			t.Fatal(err)
		}
		cfg.MaxConns = 4
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 1; i <= 5; i++ {
					var n string
					errs <- pool.QueryRow(ctx, "SELECT name FROM items WHERE id = $1", g*5+i).Scan(&n)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := pool.Ping(ctx); err != nil { // "-- ping": overhead, uncounted
			t.Fatal(err)
		}
		err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO log (msg) VALUES ($1)", "pool")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return 0
	})

	f.run(t, "pgx Batch", func(t *testing.T) int {
		c := connect(t, pgx.QueryExecModeCacheStatement)
		defer c.Close(ctx)
		b := &pgx.Batch{}
		for i := 1; i <= 10; i++ {
			b.Queue("SELECT name FROM items WHERE id = $1", i)
		}
		b.Queue("INSERT INTO log (msg) VALUES ($1)", "batch")
		if err := c.SendBatch(ctx, b).Close(); err != nil {
			t.Fatal(err)
		}
		// An error in the middle: the rest of the batch is skipped.
		b = &pgx.Batch{}
		b.Queue("SELECT name FROM items WHERE id = $1", 1)
		b.Queue("SELECT 1 / $1::int", 0)
		b.Queue("SELECT name FROM items WHERE id = $1", 2)
		err := c.SendBatch(ctx, b).Close()
		if err == nil {
			t.Fatal("the batch with a division by zero did not fail")
		}
		// The same with the simple protocol: one Query message of several statements.
		b = &pgx.Batch{}
		for i := 1; i <= 4; i++ {
			b.Queue("SELECT name FROM items WHERE id = $1", i)
		}
		if err := c.SendBatch(ctx, b).Close(); err != nil {
			t.Fatal(err)
		}
		return 1
	})

	f.run(t, "pgx simple-protocol Batch", func(t *testing.T) int {
		c := connect(t, pgx.QueryExecModeSimpleProtocol)
		defer c.Close(ctx)
		b := &pgx.Batch{}
		for i := 1; i <= 5; i++ {
			b.Queue("SELECT name FROM items WHERE id = $1", i)
		}
		b.Queue("UPDATE items SET grp = grp WHERE id = $1", 3)
		if err := c.SendBatch(ctx, b).Close(); err != nil {
			t.Fatal(err)
		}
		return 0
	})

	f.run(t, "pgconn pipeline mode", func(t *testing.T) int {
		c := connect(t, pgx.QueryExecModeCacheStatement)
		defer c.Close(ctx)
		p := c.PgConn().StartPipeline(ctx)
		p.SendPrepare("pipe", "SELECT name FROM items WHERE id = $1", nil)
		for i := 1; i <= 3; i++ {
			p.SendQueryPrepared("pipe", [][]byte{[]byte(strconv.Itoa(i))}, nil, nil)
		}
		p.SendQueryParams("UPDATE items SET grp = grp WHERE id <= $1", [][]byte{[]byte("4")}, nil, nil, nil)
		p.SendPipelineSync()
		p.SendQueryParams("SELECT 1 / $1::int", [][]byte{[]byte("0")}, nil, nil, nil)
		p.SendQueryPrepared("pipe", [][]byte{[]byte("9")}, nil, nil) // skipped after the error
		p.SendPipelineSync()
		p.SendQueryParams("SELECT id FROM items WHERE grp = $1", [][]byte{[]byte("1")}, nil, nil, nil)
		p.SendPipelineSync()
		if err := p.Flush(); err != nil {
			t.Fatal(err)
		}
		failed := 0
		for syncs := 0; syncs < 3; {
			res, err := p.GetResults()
			var pgErr *pgconn.PgError
			switch r := res.(type) {
			case *pgconn.ResultReader:
				if _, err := r.Close(); errors.As(err, &pgErr) {
					failed++
				} else if err != nil {
					t.Fatal(err)
				}
			case *pgconn.PipelineSync:
				syncs++
			case nil:
				if errors.As(err, &pgErr) {
					failed++
				} else if err != nil {
					t.Fatal(err)
				}
			}
		}
		// A flush request: results before any Sync.
		p.SendQueryPrepared("pipe", [][]byte{[]byte("5")}, nil, nil)
		p.SendFlushRequest()
		if err := p.Flush(); err != nil {
			t.Fatal(err)
		}
		res, err := p.GetResults()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := res.(*pgconn.ResultReader).Close(); err != nil {
			t.Fatal(err)
		}
		if err := p.Sync(); err != nil {
			t.Fatal(err)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		return failed
	})

	sqlWork := func(t *testing.T, db *sql.DB) int {
		defer db.Close()
		db.SetMaxOpenConns(2)
		for i := 1; i <= 5; i++ {
			var name string
			if err := db.QueryRow("SELECT name FROM items WHERE id = $1", i).Scan(&name); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := db.Query("SELECT id FROM items WHERE grp = $1", 3)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
		}
		rows.Close()
		if _, err := db.Exec("INSERT INTO log (msg) VALUES ($1)", "sql"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("UPDATE items SET grp = grp WHERE id < 3"); err != nil {
			t.Fatal(err)
		}
		stmt, err := db.Prepare("SELECT grp FROM items WHERE id = $1")
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 3; i++ {
			var g int
			if err := stmt.QueryRow(i).Scan(&g); err != nil {
				t.Fatal(err)
			}
		}
		stmt.Close()
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec("DELETE FROM log WHERE msg = $1", "none"); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		failed := 0
		if _, err := db.Exec("SELECT * FROM missing_table"); err != nil {
			failed++
		}
		return failed
	}
	f.run(t, "database/sql + pgx stdlib", func(t *testing.T) int {
		db, err := sql.Open("pgx", f.url)
		if err != nil {
			t.Fatal(err)
		}
		return sqlWork(t, db)
	})
	f.run(t, "database/sql + lib/pq", func(t *testing.T) int {
		db, err := sql.Open("postgres", f.url)
		if err != nil {
			t.Fatal(err)
		}
		failed := sqlWork(t, db)
		// COPY FROM STDIN through lib/pq's CopyIn.
		db, err = sql.Open("postgres", f.url)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		stmt, err := tx.Prepare(pq.CopyIn("log", "msg"))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []string{"a", "b", "c"} {
			if _, err := stmt.Exec(m); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := stmt.Exec(); err != nil {
			t.Fatal(err)
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		return failed
	})

	python := "/usr/bin/python3"
	f.run(t, "psycopg2", func(t *testing.T) int {
		_, err := exec.Command(python, "-c", "import psycopg2").CombinedOutput()
		pgtest.Need(t, "python3-psycopg2 ("+python+")", err)
		return f.python(t, python, psycopg2Script)
	})
	f.run(t, "psycopg 3", func(t *testing.T) int {
		_, err := exec.Command(python, "-c", "import psycopg").CombinedOutput()
		pgtest.Need(t, "python3-psycopg ("+python+")", err)
		return f.python(t, python, psycopg3Script)
	})

	pgbench := findPgbench()
	f.run(t, "pgbench -i (COPY)", func(t *testing.T) int {
		pgtest.Need(t, "pgbench", pgbenchErr(pgbench))
		f.command(t, pgbench, "-i", "-s", "1", "-q")
		return 0
	})
	for _, mode := range []string{"simple", "extended", "prepared"} {
		f.run(t, "pgbench -M "+mode, func(t *testing.T) int {
			pgtest.Need(t, "pgbench", pgbenchErr(pgbench))
			f.command(t, pgbench, "-n", "-M", mode, "-c", "2", "-t", "25")
			return 0
		})
	}
}

// python runs a script with the proxy in its environment; the script
// prints how many statements failed for it.
func (f *fidelity) python(t *testing.T, python, script string) int {
	t.Helper()
	out := f.command(t, python, "-c", script)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	n, err := strconv.Atoi(lines[len(lines)-1])
	if err != nil {
		t.Fatalf("the script's last line is not its error count: %q", out)
	}
	return n
}

// command runs a program with the proxy in its environment and returns
// its output; it must succeed.
func (f *fidelity) command(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), f.env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func findPgbench() string {
	if p, err := exec.LookPath("pgbench"); err == nil {
		return p
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pgbench")
	sort.Strings(matches)
	if len(matches) > 0 {
		return matches[len(matches)-1]
	}
	return ""
}

func pgbenchErr(path string) error {
	if path == "" {
		return errors.New("pgbench not found in PATH or /usr/lib/postgresql/*/bin (apt-get install postgresql)")
	}
	return nil
}

// psycopg2 inlines the parameters client-side, opens a transaction before
// the first statement (autocommit off), and runs named cursors as DECLARE
// and FETCH.
const psycopg2Script = `
import io, os, psycopg2
failed = 0
conn = psycopg2.connect(os.environ["DATABASE_URL"])
cur = conn.cursor()
for i in range(1, 8):
    cur.execute("SELECT name FROM items WHERE id = %s", (i,))
    cur.fetchone()
cur.execute("SELECT id, name FROM items WHERE id = ANY(%s)", ([1, 2, 3],))
cur.fetchall()
cur.execute("SELECT id, name FROM items WHERE id IN %s", ((4, 5),))
cur.fetchall()
cur.executemany("INSERT INTO log (msg) VALUES (%s)", [("a",), ("b",), ("c",)])
conn.commit()
try:
    cur.execute("SELECT * FROM missing_table")
except psycopg2.Error:
    failed += 1
    conn.rollback()
with conn.cursor(name="named") as nc:
    nc.itersize = 7
    nc.execute("SELECT id FROM items")
    n = sum(1 for _ in nc)
conn.commit()
cur.copy_expert("COPY log (msg) FROM STDIN", io.StringIO("x\ny\n"))
out = io.StringIO()
cur.copy_expert("COPY (SELECT id FROM items) TO STDOUT", out)
conn.commit()
conn.autocommit = True
cur.execute("SELECT 1; SELECT 2")
cur.execute("UPDATE items SET grp = grp WHERE id < 5")
conn.close()
print(failed)
`

// psycopg 3 binds parameters server-side, prepares a statement after it
// ran prepare_threshold times, deallocates past prepared_max, and has a
// pipeline mode.
const psycopg3Script = `
import os, psycopg
failed = 0
with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
    for i in range(1, 11):
        conn.execute("SELECT name FROM items WHERE id = %s", (i,)).fetchone()
    conn.execute("SELECT id FROM items WHERE id = ANY(%s)", ([1, 2, 3],)).fetchall()
    cur = conn.cursor()
    cur.executemany("INSERT INTO log (msg) VALUES (%s)", [("a",), ("b",), ("c",)])
    conn.commit()
    with conn.pipeline():
        for i in range(1, 6):
            conn.execute("SELECT grp FROM items WHERE id = %s", (i,))
        conn.execute("INSERT INTO log (msg) VALUES (%s)", ("p",))
    conn.commit()
    try:
        with conn.pipeline():
            conn.execute("SELECT 1")
            conn.execute("SELECT 1 / %s", (0,))
            conn.execute("SELECT 2")
    except psycopg.Error:
        failed += 1
    conn.rollback()
    conn.prepare_threshold = 0
    conn.prepared_max = 2
    for q in ["SELECT 10", "SELECT 11", "SELECT 12", "SELECT 13", "SELECT 10"]:
        conn.execute(q).fetchone()
    conn.prepare_threshold = None
    with cur.copy("COPY log (msg) FROM STDIN") as cp:
        cp.write_row(("c1",))
        cp.write_row(("c2",))
    with cur.copy("COPY (SELECT id FROM items) TO STDOUT") as cp:
        for row in cp.rows():
            pass
    conn.commit()
    cc = psycopg.ClientCursor(conn)
    cc.execute("SELECT name FROM items WHERE id = %s", (3,))
    cc.fetchall()
    with conn.cursor(name="server_side") as sc:
        sc.itersize = 20
        sc.execute("SELECT id FROM items")
        n = sum(1 for _ in sc)
    conn.commit()
    conn.autocommit = True
    conn.execute("UPDATE items SET grp = grp WHERE id < 5")
print(failed)
`
