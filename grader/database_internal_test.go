package grader

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nplus1/nplus1/challenges"
	"github.com/nplus1/nplus1/grader/postgres"
	"github.com/nplus1/nplus1/internal/pgtest"
)

// A server's error in a SQL file is placed at its file and line, also when
// the file was sent after other statements (the seed after setseed).
func TestSQLErrorsAtTheirLine(t *testing.T) {
	ctx := context.Background()
	db := testDatabase(t)
	sql := "CREATE TABLE a (id int);\n\n-- the mistake:\nCREATE TABLE b (id int,);\n"
	for _, before := range []string{"", "SELECT 1;\nSELECT 2;\n"} {
		_, err := db.admin.Exec(ctx, before+sql)
		if err == nil {
			t.Fatal("the broken SQL ran")
		}
		got := atLine(err, "dir/schema.sql", sql, before).Error()
		if !strings.HasPrefix(got, "dir/schema.sql:4: ERROR: syntax error") {
			t.Errorf("before %q: %s, want it at dir/schema.sql:4", before, got)
		}
	}
}

// An error the server gives no position for is placed too: the statements
// are run again one by one to find the one that fails.
func TestRuntimeSQLErrorsAtTheirLine(t *testing.T) {
	ctx := context.Background()
	db := testDatabase(t)
	sql := "CREATE TABLE a (id int PRIMARY KEY);\nINSERT INTO a VALUES (1);\n\n-- the mistake:\nINSERT INTO a\n  VALUES (1);\nSELECT 1/0;\n"
	before := "BEGIN;\nSELECT setseed(0.5);\n"
	_, err := db.admin.Exec(ctx, before+sql+";COMMIT;")
	if err == nil {
		t.Fatal("the broken SQL ran")
	}
	db.admin.Exec(ctx, "ROLLBACK")
	got := db.place(ctx, err, "dir/seed.sql", sql, before).Error()
	if !strings.HasPrefix(got, "dir/seed.sql:5: ERROR: duplicate key value violates unique constraint") {
		t.Errorf("%s, want it at dir/seed.sql:5", got)
	}
	// Nothing of the search is left behind.
	var n int
	if err := db.admin.QueryRow(ctx, "SELECT count(*) FROM pg_class WHERE relname = 'a'").Scan(&n); err != nil || n != 0 {
		t.Errorf("table a: %d, %v; want it rolled back", n, err)
	}
}

// testDatabase is a database on a server of the test's own, closed with it.
func testDatabase(t *testing.T) *database {
	t.Helper()
	server := pgtest.Start(t)
	db, err := openDatabase(context.Background(), server.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.close(context.Background()) })
	return db
}

// The solution's role cannot write, whatever transaction it asks for: it
// may turn default_transaction_read_only off and SET TRANSACTION READ
// WRITE, and every write is still refused for want of a privilege. Its
// resources are bounded, and a statement_timeout it raises is held by
// watch. The one thing it can still write is its own stored settings
// (ALTER ROLE is any role's for itself): the read-only checksum sees that.
func TestRoleCannotWrite(t *testing.T) {
	ctx := context.Background()
	db := testDatabase(t)
	ch, err := challenges.Load("orders-users")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.createSchema(ctx, ch); err != nil {
		t.Fatal(err)
	}
	if _, err := db.reseed(ctx, ch, 1, 10); err != nil {
		t.Fatal(err)
	}
	if partial, err := db.createRole(ctx, 2*time.Second, 1); err != nil || partial {
		t.Fatalf("createRole = %v, %v; want a full hardening as a superuser", partial, err)
	}
	defer db.watch(ctx, 500*time.Millisecond)()
	before, err := db.stateSum(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conn := connectAsRole(t, db)

	mustExec(t, conn, "SET default_transaction_read_only = off")
	for _, sql := range []string{
		"SELECT lo_from_bytea(0, 'x')",
		"SELECT lo_create(0)",
		"SELECT lo_creat(-1)",
		"SELECT lo_import('/etc/hostname')",
		"CREATE TEMP TABLE t (x int)",
		"CREATE TABLE public.t (x int)",
		"CREATE SCHEMA s",
		"UPDATE users SET name = name",
		"DELETE FROM orders",
		"SELECT set_config('work_mem', '1GB', false)",
		"DO $$BEGIN NULL; END$$",
		"SET temp_file_limit = -1",
		"ALTER ROLE CURRENT_USER SET temp_file_limit = -1",
		"BEGIN; SET TRANSACTION READ WRITE; SELECT lo_from_bytea(0, 'x')",
	} {
		_, err := conn.Exec(ctx, sql)
		conn.Exec(ctx, "ROLLBACK")
		if pe, ok := errors.AsType[*pgconn.PgError](err); !ok || pe.Code != "42501" {
			t.Errorf("%s: %v, want refused for want of a privilege (42501)", sql, err)
		}
	}
	if after, err := db.stateSum(ctx); err != nil || after != before {
		t.Errorf("the database changed: %v %q", err, changedParts(before, after))
	}

	var tempFiles, workMem, timeout string
	var connLimit int
	err = conn.QueryRow(ctx, "SELECT current_setting('temp_file_limit'), current_setting('work_mem'), current_setting('statement_timeout'), rolconnlimit FROM pg_roles WHERE rolname = current_user").
		Scan(&tempFiles, &workMem, &timeout, &connLimit)
	if err != nil || tempFiles != roleTempFiles || workMem != roleWorkMem || timeout != "2s" || connLimit != roleConnections {
		t.Errorf("temp_file_limit %s, work_mem %s, statement_timeout %s, connection limit %d (%v); want %s, %s, 2s, %d",
			tempFiles, workMem, timeout, connLimit, err, roleTempFiles, roleWorkMem, roleConnections)
	}
	start := time.Now()
	mustExec(t, conn, "SET statement_timeout = 0")
	_, err = conn.Exec(ctx, "SELECT pg_sleep(20)")
	if pe, ok := errors.AsType[*pgconn.PgError](err); !ok || pe.Code != "57014" || !cancelled(db, 1) || time.Since(start) > 5*time.Second {
		t.Errorf("a sleep past the timeout the role raised: %v after %s, %d cancelled; want it cancelled by watch", err, time.Since(start), db.cancelled.Load())
	}

	// What the role can write is seen.
	mustExec(t, conn, "ALTER ROLE CURRENT_USER SET work_mem = '1GB'")
	if _, err := db.admin.Exec(ctx, "SELECT lo_from_bytea(0, 'x'); CREATE SCHEMA extra; CREATE TABLE extra.t (x int)"); err != nil {
		t.Fatal(err)
	}
	after, err := db.stateSum(ctx)
	if got, want := changedParts(before, after), []string{"large objects", "stored settings", "table extra.t"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("changed parts = %q (%v), want %q", got, err, want)
	}
}

// Without a superuser (the url provider needs only CREATEDB and
// CREATEROLE), the role is made all the same, and watch still cancels its
// statements.
func TestRoleWithoutSuperuser(t *testing.T) {
	ctx := context.Background()
	server := pgtest.Start(t)
	admin, err := pgx.Connect(ctx, server.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE ROLE grader LOGIN PASSWORD 'grader-pw' CREATEDB CREATEROLE"); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(server.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	inst, err := postgres.NewURL(fmt.Sprintf("host=%s port=%d dbname=postgres sslmode=disable user=grader password=grader-pw", cfg.Host, cfg.Port)).Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Terminate(context.Background())
	db, err := openDatabase(ctx, inst.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	defer db.close(context.Background())
	if partial, err := db.createRole(ctx, 10*time.Second, 1); err != nil || !partial {
		t.Fatalf("createRole = %v, %v; want a partial hardening", partial, err)
	}
	defer db.watch(ctx, 500*time.Millisecond)()
	conn := connectAsRole(t, db)
	mustExec(t, conn, "SET statement_timeout = 0")
	if _, err := conn.Exec(ctx, "SELECT pg_sleep(20)"); !cancelled(db, 1) {
		t.Errorf("a sleep past the timeout: %v, %d cancelled; want it cancelled by watch", err, db.cancelled.Load())
	}
	mustExec(t, conn, "SET default_transaction_read_only = off")
	if _, err := conn.Exec(ctx, "CREATE TEMP TABLE t (x int)"); err == nil {
		t.Error("the role made a temporary table")
	}
}

// cancelled waits a moment for watch to count n cancelled statements: the
// statement ends before the watch's own query does.
func cancelled(db *database, n int64) bool {
	for range 20 {
		if db.cancelled.Load() == n {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// connectAsRole connects straight to the database as the solution's role.
func connectAsRole(t *testing.T, db *database) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(db.connString)
	if err != nil {
		t.Fatal(err)
	}
	cfg.User, cfg.Password = db.role, db.password
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func mustExec(t *testing.T, conn *pgx.Conn, sql string) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
