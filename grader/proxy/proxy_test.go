package proxy_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nplus1/nplus1/grader/proxy"
	"github.com/nplus1/nplus1/internal/pgtest"
)

// setup starts Postgres with a table and a proxy in front of it, and
// returns the proxy's trace and the connection string a client uses.
func setup(t *testing.T, rtt time.Duration) (*proxy.Trace, string) {
	t.Helper()
	tr, url, _ := startProxy(t, rtt, 50)
	return tr, url
}

// startProxy starts Postgres with an items table of the given rows, a
// reader role, and a proxy (tracing on) that connects as that role. It
// returns the trace, the proxy's connection string and the reader's direct
// connection config.
func startProxy(tb testing.TB, rtt time.Duration, rows int) (*proxy.Trace, string, *pgx.ConnConfig) {
	tb.Helper()
	ctx := context.Background()
	inst := pgtest.Start(tb)
	admin, err := pgx.Connect(ctx, inst.ConnectionString())
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close(ctx)
	_, err = admin.Exec(ctx, fmt.Sprintf(`CREATE TABLE items (id int PRIMARY KEY, name text);
INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, %d) g;
CREATE ROLE reader LOGIN PASSWORD 'reader-secret';
GRANT SELECT ON items TO reader;`, rows))
	if err != nil {
		tb.Fatal(err)
	}
	direct, err := pgx.ParseConfig(inst.ConnectionString())
	if err != nil {
		tb.Fatal(err)
	}
	direct.User, direct.Password = "reader", "reader-secret"
	tr := &proxy.Trace{}
	p, err := proxy.Listen(proxy.Config{Upstream: &direct.Config, User: "app", Password: "one-run", RTT: rtt, Trace: tr})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close() })
	return tr, fmt.Sprintf("postgres://app:one-run@%s/any?sslmode=disable", p.Addr()), direct
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// counts returns data statements, control statements, round trips and
// prepare-only round trips since m.
func counts(tr *proxy.Trace, m proxy.Mark) (data, control, rts, prep int) {
	stmts, rounds := tr.Since(m)
	for _, s := range stmts {
		if s.Data {
			data++
		} else {
			control++
		}
	}
	for _, r := range rounds {
		rts++
		if r.PrepareOnly {
			prep++
		}
	}
	return
}

func TestPgxModesThroughProxy(t *testing.T) {
	tr, url := setup(t, 0)
	ctx := context.Background()
	c := connect(t, url)

	// Cached statements: one prepare round trip, then one per query; the
	// SQL text comes only with the first Parse.
	m := tr.Mark()
	for i := 1; i <= 3; i++ {
		var name string
		if err := c.QueryRow(ctx, "SELECT name FROM items WHERE id = $1", i).Scan(&name); err != nil {
			t.Fatal(err)
		}
	}
	if d, ctl, rts, prep := counts(tr, m); d != 3 || ctl != 0 || rts != 4 || prep != 1 {
		t.Errorf("cached statements: data=%d control=%d round trips=%d prepare-only=%d, want 3 0 4 1", d, ctl, rts, prep)
	}
	stmts, _ := tr.Since(m)
	for _, s := range stmts {
		if s.SQL != "SELECT name FROM items WHERE id = $1" || s.Rows != 1 || !s.Extended {
			t.Errorf("statement %+v: want the query's text, 1 row, extended", s)
		}
	}

	// A batch: 5 statements in one round trip (after preparing them).
	m = tr.Mark()
	b := &pgx.Batch{}
	for i := 1; i <= 5; i++ {
		b.Queue("SELECT name FROM items WHERE id = $1", i)
	}
	if err := c.SendBatch(ctx, b).Close(); err != nil {
		t.Fatal(err)
	}
	if d, _, rts, prep := counts(tr, m); d != 5 || rts-prep != 1 {
		t.Errorf("batch: data=%d round trips=%d (prepare-only %d), want 5 statements in 1 executing round trip", d, rts, prep)
	}

	// Simple protocol, several statements in one Query.
	m = tr.Mark()
	if _, err := c.Exec(ctx, "BEGIN; SELECT count(*) FROM items; COMMIT"); err != nil {
		t.Fatal(err)
	}
	if d, ctl, rts, _ := counts(tr, m); d != 1 || ctl != 2 || rts != 1 {
		t.Errorf("multi-statement query: data=%d control=%d round trips=%d, want 1 2 1", d, ctl, rts)
	}

	// QueryExecModeSimpleProtocol: literals inlined client-side.
	m = tr.Mark()
	rows, _ := c.Query(ctx, "SELECT id FROM items WHERE id <= $1", pgx.QueryExecModeSimpleProtocol, 10)
	n := 0
	for rows.Next() {
		n++
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	stmts, _ = tr.Since(m)
	if len(stmts) != 1 || stmts[0].Rows != 10 || stmts[0].Extended || !strings.Contains(stmts[0].SQL, "'10'") {
		t.Errorf("simple protocol: %+v, want one statement with 10 rows and the literal inlined", stmts)
	}

	// An error is a statement too, and the connection stays usable.
	m = tr.Mark()
	if _, err := c.Exec(ctx, "INSERT INTO items VALUES (99, 'x')"); err == nil {
		t.Fatal("the read-only role could insert")
	}
	stmts, _ = tr.Since(m)
	if len(stmts) != 1 || !strings.HasPrefix(stmts[0].Error, "42501") || !stmts[0].Data {
		t.Errorf("failed insert: %+v, want one data statement with a 42501 error", stmts)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestRTTIsAddedPerRoundTrip(t *testing.T) {
	const rtt = 20 * time.Millisecond
	tr, url := setup(t, rtt)
	ctx := context.Background()
	c := connect(t, url)
	m := tr.Mark()
	start := time.Now()
	for i := 0; i < 5; i++ {
		if _, err := c.Exec(ctx, "SELECT 1", pgx.QueryExecModeSimpleProtocol); err != nil {
			t.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	if _, _, rts, _ := counts(tr, m); rts != 5 {
		t.Errorf("round trips = %d, want 5", rts)
	}
	if elapsed < 5*rtt {
		t.Errorf("5 round trips took %s, want at least %s", elapsed, 5*rtt)
	}
}

func TestAuthentication(t *testing.T) {
	_, url := setup(t, 0)
	ctx := context.Background()
	bad := strings.Replace(url, "one-run", "guess", 1)
	_, err := pgx.Connect(ctx, bad)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Errorf("wrong password: err = %v, want SQLSTATE 28P01", err)
	}
	// sslmode=prefer asks for TLS first; the proxy says 'N' and goes on.
	c, err := pgx.Connect(ctx, strings.Replace(url, "sslmode=disable", "sslmode=prefer", 1))
	if err != nil {
		t.Fatalf("sslmode=prefer: %v", err)
	}
	c.Close(ctx)
}

func TestCancelIsForwarded(t *testing.T) {
	tr, url := setup(t, 0)
	c := connect(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	m := tr.Mark()
	if _, err := c.Exec(ctx, "SELECT pg_sleep(10)"); err == nil {
		t.Fatal("pg_sleep(10) was not cancelled")
	}
	// The server reports 57014 only when the CancelRequest reached it.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if stmts, _ := tr.Since(m); len(stmts) == 1 {
			if !strings.HasPrefix(stmts[0].Error, "57014") {
				t.Errorf("statement %+v, want a 57014 (query_canceled) error", stmts[0])
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Error("the server never answered the cancelled statement")
}
