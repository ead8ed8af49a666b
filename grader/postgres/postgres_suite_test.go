package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/nplus1/nplus1/internal/leaktest"
)

// testCache is the local provider's cache shared by the tests, so initdb
// runs once per test binary.
var testCache string

func TestMain(m *testing.M) {
	if leaktest.IsStandIn() {
		// Killed before it could clean up: it uses its parent's cache.
		testCache = os.Getenv("NPLUS1_TEST_CACHE")
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "nplus1-test-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testCache = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// needLocal skips the test when the PostgreSQL binaries are missing, and
// fails it instead in CI.
func needLocal(t *testing.T) {
	t.Helper()
	if _, err := findBinDir(""); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and no PostgreSQL: %v", err)
		}
		t.Skipf("no PostgreSQL: %v", err)
	}
}

// startLocal starts a local server for a test and terminates it afterwards.
func startLocal(t *testing.T) Instance {
	t.Helper()
	needLocal(t)
	inst, err := NewLocal(LocalOptions{CacheDir: testCache}).Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Terminate(context.Background()) })
	return inst
}

// runProviderSuite is the test every Provider must pass: start, create a
// role, a table and a grant, read as that role (a server of its own
// bounding the role's memory: checkMemoryBound), copy the database (see
// checkCopy), terminate twice, and leave nothing behind (checked by the
// provider-specific leftovers).
//
// Roles the suite creates are named "<database>_...", as the url provider
// asks.
func runProviderSuite(t *testing.T, p Provider, leftovers func(t *testing.T, inst Instance)) {
	ctx := t.Context()
	inst, err := p.Start(ctx)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { inst.Terminate(context.Background()) })

	if got, want := inst.Provider(), p.Name(); got != want {
		t.Errorf("Provider() = %q, want %q", got, want)
	}
	if v := inst.Version(); v == "" || v[0] < '0' || v[0] > '9' {
		t.Errorf("Version() = %q, want a version number", v)
	}

	conn, err := pgx.Connect(ctx, inst.ConnectionString())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	var db string
	if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
		t.Fatal(err)
	}
	role := db + "_reader"
	for _, sql := range []string{
		"CREATE ROLE " + pgx.Identifier{role}.Sanitize() + " LOGIN PASSWORD 'reader-pw'",
		"CREATE TABLE suite_items (id int PRIMARY KEY, name text NOT NULL)",
		"INSERT INTO suite_items VALUES (1, 'one'), (2, 'two')",
		"GRANT SELECT ON suite_items TO " + pgx.Identifier{role}.Sanitize(),
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}

	cfg, err := pgx.ParseConfig(inst.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	cfg.User, cfg.Password = role, "reader-pw"
	reader, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect as %s: %v", role, err)
	}
	var n int
	if err := reader.QueryRow(ctx, "SELECT count(*) FROM suite_items").Scan(&n); err != nil || n != 2 {
		t.Errorf("SELECT as %s: %d rows, %v; want 2 rows", role, n, err)
	}
	if _, err := reader.Exec(ctx, "DELETE FROM suite_items"); err == nil {
		t.Errorf("DELETE as %s succeeded, want permission denied", role)
	}
	if p.Name() != "url" { // a url server is as its owner set it up
		checkMemoryBound(t, reader)
	}
	reader.Close(ctx)
	conn.Close(ctx)
	checkCopy(t, inst, db)

	for i := range 2 {
		if err := inst.Terminate(ctx); err != nil {
			t.Fatalf("Terminate #%d: %v", i+1, err)
		}
	}
	leftovers(t, inst)
}

// checkCopy copies inst's database db, which holds suite_items' two rows
// and has no open session: the copy is a database of its own with the
// rows; emptying it leaves db as it was; Terminate drops it.
func checkCopy(t *testing.T, inst Instance, db string) {
	t.Helper()
	ctx := t.Context()
	cp, err := inst.Copy(ctx)
	if err != nil {
		t.Fatalf("Copy: %v", err)
	}
	t.Cleanup(func() { cp.Terminate(context.Background()) })
	conn, err := pgx.Connect(ctx, cp.ConnectionString())
	if err != nil {
		t.Fatalf("connect to the copy: %v", err)
	}
	var name string
	var n int
	if err := conn.QueryRow(ctx, "SELECT current_database(), (SELECT count(*) FROM suite_items)").Scan(&name, &n); err != nil || name == db || n != 2 {
		t.Errorf("the copy: database %q with %d rows, %v; want another database than %q with 2 rows", name, n, err, db)
	}
	if _, err := conn.Exec(ctx, "DELETE FROM suite_items"); err != nil {
		t.Errorf("DELETE in the copy: %v", err)
	}
	conn.Close(ctx)
	if err := cp.Terminate(ctx); err != nil {
		t.Fatalf("Terminate the copy: %v", err)
	}
	if c, err := pgx.Connect(ctx, cp.ConnectionString()); err == nil {
		c.Close(ctx)
		t.Errorf("the copy %s can be connected to after Terminate", name)
	}
	orig, err := pgx.Connect(ctx, inst.ConnectionString())
	if err != nil {
		t.Fatalf("connect after the copy: %v", err)
	}
	defer orig.Close(context.Background())
	if err := orig.QueryRow(ctx, "SELECT count(*) FROM suite_items").Scan(&n); err != nil || n != 2 {
		t.Errorf("the original after its copy was emptied: %d rows, %v; want 2", n, err)
	}
}

// processesUsing lists the processes whose command line or working
// directory names something under dir. It sees nothing without /proc.
func processesUsing(dir string) []string {
	var found []string
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, proc := range procs {
		cmdline, _ := os.ReadFile(filepath.Join(proc, "cmdline"))
		cwd, _ := os.Readlink(filepath.Join(proc, "cwd"))
		if strings.Contains(string(cmdline), dir) || strings.HasPrefix(cwd, dir) {
			found = append(found, fmt.Sprintf("%s: %s", filepath.Base(proc), strings.ReplaceAll(string(cmdline), "\x00", " ")))
		}
	}
	return found
}

// noLeftovers fails the test if dir holds anything or a process uses it.
func noLeftovers(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("left behind: %s", filepath.Join(dir, e.Name()))
	}
	for _, p := range processesUsing(dir) {
		t.Errorf("left running: %s", p)
	}
}

// checkMemoryBound: on conn, a statement that builds a value of twice
// BackendMemory fails with out of memory, and the server goes on
// answering (unbounded, the value is built).
func checkMemoryBound(t *testing.T, conn *pgx.Conn) {
	t.Helper()
	var n int
	err := conn.QueryRow(t.Context(), "SELECT length(repeat('x', $1::int))", 2*BackendMemory).Scan(&n)
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); !ok || pgErr.Code != "53200" {
		t.Errorf("a value of %d MiB: length %d, error %v; want out of memory (53200)", 2*BackendMemory>>20, n, err)
	}
	if err := conn.QueryRow(t.Context(), "SELECT 1").Scan(&n); err != nil {
		t.Errorf("after out of memory: %v, want the server to answer", err)
	}
}
