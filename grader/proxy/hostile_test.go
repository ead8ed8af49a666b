package proxy_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/nplus1/nplus1/grader/proxy"
	"github.com/nplus1/nplus1/internal/pgtest"
)

// hostile is a proxy in front of a real server, for tests that misbehave.
type hostile struct {
	admin *pgx.Conn
	proxy *proxy.Proxy
	trace *proxy.Trace
	url   string
}

func startHostile(t *testing.T, maxConns int) *hostile {
	return startHostileWith(t, proxy.Config{MaxConns: maxConns})
}

// startHostileWith is startHostile with more of the proxy's settings.
func startHostileWith(t *testing.T, cfg proxy.Config) *hostile {
	t.Helper()
	ctx := context.Background()
	inst := pgtest.Start(t)
	admin, err := pgx.Connect(ctx, inst.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })
	if _, err := admin.Exec(ctx, "CREATE ROLE reader LOGIN PASSWORD 'reader-secret'"); err != nil {
		t.Fatal(err)
	}
	up, err := pgconn.ParseConfig(inst.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	up.User, up.Password = "reader", "reader-secret"
	h := &hostile{admin: admin, trace: &proxy.Trace{}}
	cfg.Upstream, cfg.User, cfg.Password, cfg.Trace = up, "app", "one-run", h.trace
	h.proxy, err = proxy.Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.proxy.Close() })
	h.url = fmt.Sprintf("postgres://app:one-run@%s/any?sslmode=disable", h.proxy.Addr())
	return h
}

// backends counts the server connections of the proxy's role.
func (h *hostile) backends(t *testing.T) int {
	var n int
	if err := h.admin.QueryRow(context.Background(), "SELECT count(*) FROM pg_stat_activity WHERE usename = 'reader'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// eventually waits up to 10 s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not so after 10 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func hasProblem(tr *proxy.Trace, part string) bool {
	for _, p := range tr.Problems(proxy.Mark{}) {
		if strings.Contains(p, part) {
			return true
		}
	}
	return false
}

// noLeak fails the test when goroutines started during it are still
// running once the proxy is closed.
func noLeak(t *testing.T, before int) {
	t.Helper()
	eventually(t, "goroutines back to where they were", func() bool { return runtime.NumGoroutine() <= before+2 })
}

// rawClient connects and authenticates by hand, to send what no driver
// would.
func rawClient(t *testing.T, h *hostile) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", h.proxy.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	fe := pgproto3.NewFrontend(c, c)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "app", "database": "any"}})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := fe.Receive(); err != nil { // AuthenticationCleartextPassword
		t.Fatal(err)
	}
	fe.Send(&pgproto3.PasswordMessage{Password: "one-run"})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	for {
		m, err := fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := m.(*pgproto3.ReadyForQuery); ok {
			return c
		}
	}
}

func TestClientDisconnectsMidMessage(t *testing.T) {
	before := runtime.NumGoroutine()
	h := startHostile(t, 0)
	c := rawClient(t, h)
	// A Query that announces 100 bytes and sends 10.
	msg := binary.BigEndian.AppendUint32([]byte{'Q'}, 104)
	c.Write(append(msg, "SELECT 1; "...))
	time.Sleep(50 * time.Millisecond)
	c.Close()
	eventually(t, "the problem reported", func() bool { return hasProblem(h.trace, "client closed mid-message") })
	eventually(t, "the server connection closed", func() bool { return h.backends(t) == 0 })
	if stmts, _ := h.trace.Since(proxy.Mark{}); len(stmts) != 0 {
		t.Errorf("statements %+v from half a message", stmts)
	}
	h.proxy.Close()
	noLeak(t, before)
}

func TestServerCloses(t *testing.T) {
	before := runtime.NumGoroutine()
	h := startHostile(t, 0)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, h.url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.admin.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'reader'"); err != nil {
		t.Fatal(err)
	}
	// The client learns at once that its connection is gone: no hang.
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err = c.Exec(qctx, "SELECT 1")
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("query after the server closed: %v, want a connection error at once", err)
	}
	// The server's goodbye (FATAL 57P01) is reported: as a problem when it
	// came between requests, or as the error of the query it interrupted.
	eventually(t, "the server's goodbye reported", func() bool {
		stmts, _ := h.trace.Since(proxy.Mark{})
		failed := len(stmts) == 2 && strings.HasPrefix(stmts[1].Error, "57P01")
		return hasProblem(h.trace, "57P01") || failed
	})
	c.Close(ctx)
	h.proxy.Close()
	noLeak(t, before)
}

// A burst of 200 connections against a cap of 100 at once: each is served
// or refused the way PostgreSQL refuses (53300), the refusals are
// reported, nothing hangs, and everything is gone afterwards.
func TestBurstOf200Connections(t *testing.T) {
	before := runtime.NumGoroutine()
	h := startHostile(t, 100)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		served  int
		refused int
		other   []error
	)
	start := make(chan struct{})
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := func() error {
				c, err := pgx.Connect(ctx, h.url)
				if err != nil {
					return fmt.Errorf("connect: %w", err)
				}
				defer c.Close(ctx)
				if _, err = c.Exec(ctx, "SELECT pg_sleep(0.2)"); err != nil {
					return fmt.Errorf("exec: %w", err)
				}
				return nil
			}()
			var pgErr *pgconn.PgError
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				served++
			case errors.As(err, &pgErr) && pgErr.Code == "53300":
				refused++
			default:
				other = append(other, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if ctx.Err() != nil {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		for _, g := range strings.Split(string(buf[:n]), "\n\n") {
			if strings.Contains(g, "grader/proxy.") && !strings.Contains(g, "hostile_test") {
				t.Log(g)
			}
		}
		t.Fatalf("the burst did not finish within 30 s: %d served, %d refused, %d failed (%v); problems %q", served, refused, len(other), other[:min(3, len(other))], h.trace.Problems(proxy.Mark{}))
	}
	if len(other) > 0 {
		t.Fatalf("%d connections failed otherwise, e.g. %v", len(other), other[0])
	}
	if served < 100 || served+refused != 200 {
		t.Errorf("served %d, refused %d: want at least 100 served and every one answered", served, refused)
	}
	problems := 0
	for _, p := range h.trace.Problems(proxy.Mark{}) {
		if strings.Contains(p, "refused a connection") {
			problems++
		}
	}
	if problems != refused {
		t.Errorf("%d refusals reported, %d seen by the clients", problems, refused)
	}
	if stmts, _ := h.trace.Since(proxy.Mark{}); len(stmts) != served {
		t.Errorf("%d statements traced, want %d (one per connection served)", len(stmts), served)
	}
	t.Logf("200 connections at once: %d served, %d refused with 53300", served, refused)
	eventually(t, "every server connection closed", func() bool { return h.backends(t) == 0 })
	h.proxy.Close()
	noLeak(t, before)
}

// A client that sends SQL without end (a 1 MiB Query over and over, each
// kept in the trace) has its connection ended once the proxy took
// Config.MaxSQL bytes, so the grader's memory stays bounded.
func TestSQLWithoutEnd(t *testing.T) {
	h := startHostileWith(t, proxy.Config{MaxSQL: 8 << 20})
	c := rawClient(t, h)
	defer c.Close()
	fe := pgproto3.NewFrontend(c, c)
	query := "SELECT 1 -- " + strings.Repeat("x", 1<<20)
	var refused *pgproto3.ErrorResponse
	for i := 0; i < 20 && refused == nil; i++ {
		fe.Send(&pgproto3.Query{String: query})
		if err := fe.Flush(); err != nil {
			break
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			m, err := fe.Receive()
			if err != nil {
				t.Fatalf("query %d: %v", i+1, err)
			}
			if e, ok := m.(*pgproto3.ErrorResponse); ok && e.Severity == "FATAL" {
				refused = e
				break
			}
			if _, ok := m.(*pgproto3.ReadyForQuery); ok {
				break
			}
		}
	}
	if refused == nil || refused.Code != "54000" || !strings.Contains(refused.Message, "more than 8388608 bytes of Query and Parse messages") {
		t.Fatalf("got %+v, want a FATAL 54000 naming the limit", refused)
	}
	if stmts, _ := h.trace.Since(proxy.Mark{}); len(stmts) > 8 {
		t.Errorf("%d statements kept, want at most 8 of 1 MiB", len(stmts))
	}
}
