package proxy_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nplus1/nplus1/grader/proxy"
)

// benchEnv is a Postgres with the items table, a proxy in front of it
// (tracing on, RTT 0), and a client connection each way.
type benchEnv struct {
	direct, proxied *pgx.Conn
	trace           *proxy.Trace
}

func startBench(b *testing.B) *benchEnv {
	b.Helper()
	ctx := context.Background()
	tr, url, directCfg := startProxy(b, 0, 1000)
	proxiedCfg, err := pgx.ParseConfig(url)
	if err != nil {
		b.Fatal(err)
	}
	env := &benchEnv{trace: tr}
	for _, c := range []struct {
		cfg *pgx.ConnConfig
		dst **pgx.Conn
	}{{directCfg, &env.direct}, {proxiedCfg, &env.proxied}} {
		conn, err := pgx.ConnectConfig(ctx, c.cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { conn.Close(context.Background()) })
		*c.dst = conn
	}
	return env
}

// BenchmarkRoundTrip measures one round trip directly and through the proxy
// side by side: each iteration runs a block of round trips on the direct
// connection, then the same block through the proxy, so both see the same
// machine. ns/op is meaningless here; read direct-µs/rt, proxy-µs/rt,
// added-µs/rt and proxy/direct (the ratio of round trips per second).
// simple-multi sends two statements in one Query, which the proxy splits.
func BenchmarkRoundTrip(b *testing.B) {
	env := startBench(b)
	ctx := context.Background()
	cases := []struct {
		name string
		run  func(c *pgx.Conn, i int) error
	}{
		{"simple", func(c *pgx.Conn, _ int) error {
			_, err := c.Exec(ctx, "SELECT 1", pgx.QueryExecModeSimpleProtocol)
			return err
		}},
		{"simple-multi", func(c *pgx.Conn, _ int) error {
			_, err := c.Exec(ctx, "SELECT 1; SELECT 2", pgx.QueryExecModeSimpleProtocol)
			return err
		}},
		{"prepared", func(c *pgx.Conn, i int) error {
			var name string
			return c.QueryRow(ctx, "SELECT name FROM items WHERE id = $1", i%1000+1).Scan(&name)
		}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			const block = 50
			// Warm up both sides (statement caches; the SQL parser,
			// compiled on first use), out of the timings.
			for _, c := range []*pgx.Conn{env.direct, env.proxied} {
				if err := tc.run(c, 0); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			var direct, proxied time.Duration
			n := 0
			for range b.N {
				for _, side := range []struct {
					c   *pgx.Conn
					sum *time.Duration
				}{{env.direct, &direct}, {env.proxied, &proxied}} {
					start := time.Now()
					for j := range block {
						if err := tc.run(side.c, n+j); err != nil {
							b.Fatal(err)
						}
					}
					*side.sum += time.Since(start)
				}
				n += block
			}
			d := float64(direct.Nanoseconds()) / float64(n) / 1e3
			p := float64(proxied.Nanoseconds()) / float64(n) / 1e3
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(d, "direct-µs/rt")
			b.ReportMetric(p, "proxy-µs/rt")
			b.ReportMetric(p-d, "added-µs/rt")
			b.ReportMetric(d/p, "proxy/direct")
		})
	}
}

// BenchmarkLargeResult relays a 100,000-row result directly and through the
// proxy, side by side, and reports both throughputs.
func BenchmarkLargeResult(b *testing.B) {
	env := startBench(b)
	const rows = 100_000
	var direct, proxied time.Duration
	for range b.N {
		for _, side := range []struct {
			c   *pgx.Conn
			sum *time.Duration
		}{{env.direct, &direct}, {env.proxied, &proxied}} {
			start := time.Now()
			if got := consume(b, side.c, rows, 100); got != rows {
				b.Fatalf("got %d rows, want %d", got, rows)
			}
			*side.sum += time.Since(start)
		}
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(rows)*float64(b.N)/direct.Seconds()/1e6, "direct-Mrows/s")
	b.ReportMetric(float64(rows)*float64(b.N)/proxied.Seconds()/1e6, "proxy-Mrows/s")
	b.ReportMetric(direct.Seconds()/proxied.Seconds(), "proxy/direct")
}

// consume runs a query returning n rows of width bytes each and reads them
// one by one without keeping them; it returns how many came.
func consume(tb testing.TB, c *pgx.Conn, n, width int) int {
	tb.Helper()
	rows, err := c.Query(context.Background(),
		"SELECT g, repeat('x', $2) FROM generate_series(1, $1::int) g", n, width)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	got := 0
	for rows.Next() {
		got++
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return got
}

// TestMillionRowsStream relays a 1,000,000-row result (about 130 MB on the
// wire) through the proxy to a client that reads it row by row, and checks
// that the process's peak resident memory grew by less than 50 MB: the proxy
// streams rows and holds none of them.
func TestMillionRowsStream(t *testing.T) {
	if testing.Short() {
		t.Skip("relays 130 MB; skipped with -short")
	}
	if runtime.GOOS != "linux" {
		t.Skip("measures peak RSS with /proc/self, which only Linux has")
	}
	tr, url := setup(t, 0)
	c := connect(t, url)
	const rows, width = 1_000_000, 120
	consume(t, c, 1000, width) // warm up: the connection's buffers and the statement cache
	// Hand memory freed by earlier tests back to the OS, so that the relay
	// cannot hide in pages already resident.
	debug.FreeOSMemory()
	before, err := procStatus("VmRSS")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Fatalf("reset the peak RSS: %v", err)
	}
	m := tr.Mark()
	if got := consume(t, c, rows, width); got != rows {
		t.Fatalf("got %d rows, want %d", got, rows)
	}
	peak, err := procStatus("VmHWM")
	if err != nil {
		t.Fatal(err)
	}
	stmts, _ := tr.Since(m)
	if len(stmts) != 1 || stmts[0].Rows != rows {
		t.Errorf("trace: %+v, want one statement with %d rows", stmts, rows)
	}
	growth := peak - before
	t.Logf("RSS before %d kB, peak during %d kB, growth %d kB", before, peak, growth)
	if growth > 50<<10 {
		t.Errorf("peak RSS grew by %d kB relaying %d rows, want under 50 MB", growth, rows)
	}
}

// procStatus reads a kB figure from /proc/self/status.
func procStatus(field string) (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		rest, ok := strings.CutPrefix(s.Text(), field+":")
		if !ok {
			continue
		}
		return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
	}
	return 0, fmt.Errorf("no %s in /proc/self/status", field)
}
