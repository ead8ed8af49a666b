package proxy_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
)

// TestEveryStatementCounted sends, against a real server, what a learner
// could use to make statements go uncounted: every way through the wire
// protocol must show in the trace.
func TestEveryStatementCounted(t *testing.T) {
	h := startHostile(t, 0)
	ctx := context.Background()

	// The fast-path FunctionCall protocol runs a function with no SQL
	// text: query_to_xml runs a query per call. Each call is a data
	// statement in a round trip of its own, failed calls too.
	t.Run("FunctionCall", func(t *testing.T) {
		var q2x uint32
		if err := h.admin.QueryRow(ctx, "SELECT 'query_to_xml(text,boolean,boolean,text)'::regprocedure::oid").Scan(&q2x); err != nil {
			t.Fatal(err)
		}
		c := rawClient(t, h)
		defer c.Close()
		m := h.trace.Mark()
		call := &pgproto3.FunctionCall{Function: q2x, ArgFormatCodes: []uint16{0}, Arguments: [][]byte{[]byte("SELECT 1 AS x"), []byte("f"), []byte("f"), []byte("")}}
		for i := 0; i < 3; i++ {
			if got := exchange(t, c, call); strings.Join(got, " ") != "FunctionCallResponse ReadyForQuery I" {
				t.Fatalf("call %d: server answered %q", i+1, got)
			}
		}
		if got := exchange(t, c, &pgproto3.FunctionCall{Function: 1}); strings.Join(got, " ") != "ErrorResponse 42883 ReadyForQuery I" {
			t.Fatalf("call of no function: server answered %q", got)
		}
		stmts, rounds := h.trace.Since(m)
		want := fmt.Sprintf(`FunctionCall "oid %d"`, q2x)
		if len(stmts) != 4 {
			t.Fatalf("statements %+v, want 4", stmts)
		}
		for i, s := range stmts {
			wantSQL, failed := want, false
			if i == 3 {
				wantSQL, failed = `FunctionCall "oid 1"`, true
			}
			if s.SQL != wantSQL || !s.Data || failed != strings.HasPrefix(s.Error, "42883") || s.Params == "" {
				t.Errorf("statement %d: %+v, want a data statement %q with its arguments digested (failed: %v)", i+1, s, wantSQL, failed)
			}
		}
		if stmts[0].Params != stmts[1].Params {
			t.Errorf("equal arguments, digests %q and %q", stmts[0].Params, stmts[1].Params)
		}
		if len(rounds) != 4 || rounds[0].PrepareOnly {
			t.Errorf("round trips %+v, want 4 that executed", rounds)
		}
		if p := h.trace.Problems(m); len(p) != 0 {
			t.Errorf("problems: %q", p)
		}
	})

	// A Bind over a named portal that exists fails, and the server keeps
	// the old portal; one made before a savepoint outlives the error. An
	// Execute of it, sent in the same burst as the failed Bind (before the
	// proxy hears of the failure) or after, is data, not the catalog read
	// the failed Bind named (testdata/redteam5/bindswap).
	t.Run("PortalKeptOverAFailedBind", func(t *testing.T) {
		c := rawClient(t, h)
		defer c.Close()
		const data, catalog = "SELECT g FROM generate_series(1, 3) g WHERE g > $1", "SELECT relname FROM pg_catalog.pg_class WHERE oid = $1::oid"
		exchange(t, c, &pgproto3.Parse{Name: "d", Query: data}, &pgproto3.Parse{Name: "c", Query: catalog}, &pgproto3.Sync{})
		m := h.trace.Mark()
		for _, burst := range []bool{true, false} {
			exchange(t, c, &pgproto3.Query{String: "BEGIN"})
			exchange(t, c, &pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "d", Parameters: [][]byte{[]byte("0")}}, &pgproto3.Sync{})
			exchange(t, c, &pgproto3.Query{String: "SAVEPOINT s"})
			rebind := []pgproto3.FrontendMessage{&pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "c", Parameters: [][]byte{[]byte("1259")}}, &pgproto3.Sync{}}
			rest := []pgproto3.FrontendMessage{&pgproto3.Query{String: "ROLLBACK TO SAVEPOINT s"}, &pgproto3.Execute{Portal: "p"}, &pgproto3.Sync{}}
			var got []string
			if burst {
				got = exchangeN(t, c, 3, append(rebind, rest...)...)
			} else {
				got = exchange(t, c, rebind...)
				got = append(got, exchange(t, c, rest[0])...)
				got = append(got, exchange(t, c, rest[1:]...)...)
			}
			if want := "ErrorResponse 42P03 ReadyForQuery E CommandComplete ReadyForQuery T DataRow DataRow DataRow CommandComplete ReadyForQuery T"; strings.Join(got, " ") != want {
				t.Fatalf("burst %v: server answered %q, want %q", burst, got, want)
			}
			exchange(t, c, &pgproto3.Query{String: "COMMIT"})
		}
		stmts, _ := h.trace.Since(m)
		ran := 0
		for _, s := range stmts {
			if s.Rows == 3 {
				ran++
				if !s.Data || s.Catalog {
					t.Errorf("the portal's run %+v, want a data statement", s)
				}
			}
		}
		if ran != 2 {
			t.Errorf("statements %+v, want the portal's two runs of 3 rows", stmts)
		}
	})

	// A Parse over a statement name the server keeps (it exists already:
	// 42P05; or it is skipped after an error) changes nothing, but a Bind
	// of that name sent before the proxy hears of it, after a Sync in the
	// same burst, was read as binding the new text: the old statement's
	// run is data, not the catalog read the refused Parse named
	// (testdata/redteam6/parseswap).
	t.Run("BindAfterARefusedParse", func(t *testing.T) {
		c := rawClient(t, h)
		defer c.Close()
		const data, catalog = "SELECT g FROM generate_series(1, 3) g WHERE g > $1", "SELECT relname FROM pg_catalog.pg_class WHERE oid = $1::oid"
		exchange(t, c, &pgproto3.Parse{Name: "s", Query: data}, &pgproto3.Sync{})
		run := []pgproto3.FrontendMessage{&pgproto3.Bind{PreparedStatement: "s", Parameters: [][]byte{[]byte("0")}}, &pgproto3.Execute{}, &pgproto3.Sync{}}
		for _, tt := range []struct {
			name string
			send []pgproto3.FrontendMessage
			want string
		}{
			{"exists", []pgproto3.FrontendMessage{&pgproto3.Parse{Name: "s", Query: catalog}, &pgproto3.Sync{}},
				"ErrorResponse 42P05 ReadyForQuery I BindComplete DataRow DataRow DataRow CommandComplete ReadyForQuery I"},
			{"skipped", []pgproto3.FrontendMessage{&pgproto3.Bind{PreparedStatement: "none"}, &pgproto3.Parse{Name: "s", Query: catalog}, &pgproto3.Sync{}},
				"ErrorResponse 26000 ReadyForQuery I BindComplete DataRow DataRow DataRow CommandComplete ReadyForQuery I"},
		} {
			m := h.trace.Mark()
			if got := strings.Join(exchangeN(t, c, 2, append(tt.send, run...)...), " "); got != tt.want {
				t.Fatalf("%s: server answered %q, want %q", tt.name, got, tt.want)
			}
			stmts, _ := h.trace.Since(m)
			ran := 0
			for _, s := range stmts {
				if s.Rows == 3 {
					ran++
					if !s.Data || s.Catalog {
						t.Errorf("%s: the old statement's run %+v, want a data statement", tt.name, s)
					}
				}
			}
			if ran != 1 {
				t.Errorf("%s: statements %+v, want one run of 3 rows", tt.name, stmts)
			}
		}
		// Later runs too: the proxy no longer says what s is.
		m := h.trace.Mark()
		exchange(t, c, run...)
		if stmts, _ := h.trace.Since(m); len(stmts) != 1 || !stmts[0].Data || stmts[0].Rows != 3 {
			t.Errorf("a later run: %+v, want a data statement of 3 rows", stmts)
		}
	})

	// What the proxy knows of a statement name after a burst that failed
	// is never another text than the server's: the server keeps a DEALLOCATE
	// that ran before the error of its Query, and a Close skipped after a
	// failed Parse leaves the old statement, so that a statement the proxy
	// once named a catalog read is not one when it runs later
	// (testdata/redteam6/deallocshow).
	t.Run("NameAfterAFailedBurst", func(t *testing.T) {
		const data, catalog = "SELECT g FROM generate_series(1, 3) g WHERE g > $1", "SELECT relname FROM pg_catalog.pg_class WHERE oid = $1::oid"
		run := []pgproto3.FrontendMessage{&pgproto3.Bind{PreparedStatement: "s", Parameters: [][]byte{[]byte("0")}}, &pgproto3.Execute{}, &pgproto3.Sync{}}
		for _, tt := range []struct {
			name        string
			setup, send []pgproto3.FrontendMessage
			syncs       int
			want        string
		}{
			{"deallocate", []pgproto3.FrontendMessage{&pgproto3.Parse{Name: "s", Query: catalog}, &pgproto3.Sync{}},
				[]pgproto3.FrontendMessage{&pgproto3.Query{String: "DEALLOCATE s; SHOW nplus1.nope"}, &pgproto3.Parse{Name: "s", Query: data}, &pgproto3.Sync{}}, 2,
				"CommandComplete ErrorResponse 42704 ReadyForQuery I ParseComplete ReadyForQuery I"},
			{"close", []pgproto3.FrontendMessage{&pgproto3.Parse{Name: "s", Query: data}, &pgproto3.Sync{}},
				[]pgproto3.FrontendMessage{&pgproto3.Parse{Name: "s", Query: catalog}, &pgproto3.Close{ObjectType: 'S', Name: "s"}, &pgproto3.Sync{}}, 1,
				"ErrorResponse 42P05 ReadyForQuery I"},
		} {
			c := rawClient(t, h)
			exchange(t, c, tt.setup...)
			if got := strings.Join(exchangeN(t, c, tt.syncs, tt.send...), " "); got != tt.want {
				t.Fatalf("%s: server answered %q, want %q", tt.name, got, tt.want)
			}
			m := h.trace.Mark()
			if got := strings.Join(exchange(t, c, run...), " "); got != "BindComplete DataRow DataRow DataRow CommandComplete ReadyForQuery I" {
				t.Fatalf("%s: the run: server answered %q", tt.name, got)
			}
			if stmts, _ := h.trace.Since(m); len(stmts) != 1 || !stmts[0].Data || stmts[0].Catalog {
				t.Errorf("%s: the run of the server's statement: %+v, want a data statement", tt.name, stmts)
			}
			c.Close()
		}
	})

	// A Describe or Close with no body, or a Parse cut short, is one the
	// proxy cannot read, but the server answers it (with an error): the
	// proxy must wait for that answer, or it ties every later answer to
	// the message before, and a Sync sent ahead of each lookup took the
	// lookup's rows uncounted (testdata/redteam6/emptydescribe).
	t.Run("MalformedMessageKeepsItsPlace", func(t *testing.T) {
		for _, bad := range [][]byte{{'D', 0, 0, 0, 4}, {'C', 0, 0, 0, 4}, {'P', 0, 0, 0, 6, 's', 0}} {
			c := rawClient(t, h)
			if _, err := c.Write(bad); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(exchange(t, c, &pgproto3.Query{String: "SHOW x"}, &pgproto3.Sync{}), " "); got != "ErrorResponse 08P01 ReadyForQuery I" {
				t.Fatalf("%q: server answered %q", bad, got)
			}
			m := h.trace.Mark()
			for i := 0; i < 3; i++ {
				exchangeN(t, c, 2, &pgproto3.Sync{}, &pgproto3.Query{String: "SELECT g FROM generate_series(1, 3) g"})
			}
			ran := 0
			stmts, _ := h.trace.Since(m)
			for _, s := range stmts {
				if s.Rows == 3 && s.Data {
					ran++
				}
			}
			if ran != 3 {
				t.Errorf("%q: statements %+v, want 3 data statements of 3 rows; problems %q", bad, stmts, h.trace.Problems(m))
			}
			c.Close()
		}
	})

	// After an error in the extended protocol the server skips what the
	// client sends up to a Sync and answers none of it, sent after the
	// client saw the error too: the Sync's ReadyForQuery answers the
	// Sync, not a Query sent before it, or the proxy ties every later
	// answer to the message before (testdata/redteam6/emptydescribe).
	t.Run("SkippedUpToALaterSync", func(t *testing.T) {
		c := rawClient(t, h)
		defer c.Close()
		fe := pgproto3.NewFrontend(c, c)
		fe.Send(&pgproto3.Parse{Query: "SELEC 1"})
		fe.Send(&pgproto3.Flush{})
		if err := fe.Flush(); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if m, err := fe.Receive(); err != nil {
			t.Fatal(err)
		} else if e, ok := m.(*pgproto3.ErrorResponse); !ok || e.Code != "42601" {
			t.Fatalf("server answered %#v, want a syntax error", m)
		}
		if got := strings.Join(exchange(t, c, &pgproto3.Query{String: "SHOW x"}, &pgproto3.Sync{}), " "); got != "ReadyForQuery I" {
			t.Fatalf("server answered %q, want only the Sync's ReadyForQuery", got)
		}
		m := h.trace.Mark()
		for i := 0; i < 3; i++ {
			exchangeN(t, c, 2, &pgproto3.Sync{}, &pgproto3.Query{String: "SELECT g FROM generate_series(1, 3) g"})
		}
		stmts, _ := h.trace.Since(m)
		if len(stmts) != 3 || !stmts[0].Data || stmts[0].Rows != 3 {
			t.Errorf("statements %+v, want 3 data statements of 3 rows; problems %q", stmts, h.trace.Problems(m))
		}
	})

	// An error can quote a Bind parameter, which costs no SQL bytes: the
	// trace keeps 16 MiB of error text in all, and past it the start of
	// each error only (testdata/redteam5/errorflood).
	t.Run("ErrorTextIsBounded", func(t *testing.T) {
		c := rawClient(t, h)
		defer c.Close()
		exchange(t, c, &pgproto3.Parse{Name: "f", Query: "SELECT $1::int"}, &pgproto3.Sync{})
		m := h.trace.Mark()
		value := []byte(strings.Repeat("x", 4000))
		var batch []pgproto3.FrontendMessage
		for i := 0; i < 500; i++ {
			batch = append(batch, &pgproto3.Bind{PreparedStatement: "f", Parameters: [][]byte{value}}, &pgproto3.Execute{}, &pgproto3.Sync{})
		}
		for i := 0; i < 12; i++ {
			exchangeN(t, c, 500, batch...)
		}
		stmts, _ := h.trace.Since(m)
		kept := 0
		for _, s := range stmts {
			kept += len(s.Error)
		}
		first, last := stmts[0].Error, stmts[len(stmts)-1].Error
		if len(stmts) != 6000 || len(first) < 4000 || len(last) > 300 || !strings.HasPrefix(last, "22P02: invalid input syntax for type integer") || kept > 17<<20+6000*300 {
			t.Errorf("%d statements keeping %d bytes of error text, the first %d bytes, the last %q; want 6000, the first whole, the last cut, about 16 MiB in all", len(stmts), kept, len(first), last)
		}
	})

	// A portal read a few rows at a time and left open inside a
	// transaction counts at its first PortalSuspended, once.
	t.Run("SuspendedPortalInOpenTransaction", func(t *testing.T) {
		c := rawClient(t, h)
		defer c.Close()
		exchange(t, c, &pgproto3.Query{String: "BEGIN"})
		m := h.trace.Mark()
		const sql = "SELECT g FROM generate_series(1, 5) g"
		got := exchange(t, c, &pgproto3.Parse{Query: sql}, &pgproto3.Bind{DestinationPortal: "c"}, &pgproto3.Execute{Portal: "c", MaxRows: 2}, &pgproto3.Sync{})
		if strings.Join(got, " ") != "ParseComplete BindComplete DataRow DataRow PortalSuspended ReadyForQuery T" {
			t.Fatalf("server answered %q", got)
		}
		stmts, _ := h.trace.Since(m)
		if len(stmts) != 1 || stmts[0].SQL != sql || !stmts[0].Data || stmts[0].Rows != 2 {
			t.Fatalf("after the first rows: %+v, want one data statement with 2 rows", stmts)
		}
		exchange(t, c, &pgproto3.Execute{Portal: "c", MaxRows: 2}, &pgproto3.Sync{})
		exchange(t, c, &pgproto3.Execute{Portal: "c"}, &pgproto3.Sync{})
		exchange(t, c, &pgproto3.Query{String: "COMMIT"})
		stmts, _ = h.trace.Since(m)
		if len(stmts) != 2 || stmts[0].SQL != sql || stmts[0].Rows != 5 || stmts[0].Tag != "SELECT 1" || stmts[1].SQL != "COMMIT" {
			t.Errorf("after the portal's end: %+v, want the portal's statement with all 5 rows, then COMMIT", stmts)
		}
	})

	// A Bind too large to hold is streamed, but the portal and statement it
	// names are read: the statement it runs has its SQL.
	t.Run("LargeBindOnNamedStatement", func(t *testing.T) {
		c := rawClient(t, h)
		defer c.Close()
		const sql = "SELECT length($1::text)"
		exchange(t, c, &pgproto3.Parse{Name: "big", Query: sql}, &pgproto3.Sync{})
		m := h.trace.Mark()
		value := bytes.Repeat([]byte("x"), 2<<20)
		got := exchange(t, c, &pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "big", Parameters: [][]byte{value}}, &pgproto3.Execute{Portal: "p"}, &pgproto3.Sync{})
		if strings.Join(got, " ") != "BindComplete DataRow CommandComplete ReadyForQuery I" {
			t.Fatalf("server answered %q", got)
		}
		stmts, _ := h.trace.Since(m)
		if len(stmts) != 1 || stmts[0].SQL != sql || !stmts[0].Data || stmts[0].Rows != 1 {
			t.Errorf("statements %+v, want one data statement %q with 1 row", stmts, sql)
		}
		if p := h.trace.Problems(m); len(p) != 0 {
			t.Errorf("problems: %q", p)
		}
	})

	// A server-side loop does its per-row work inside one statement: the
	// notices it raises are counted, for the request and the connection.
	t.Run("Notices", func(t *testing.T) {
		c, err := pgx.Connect(ctx, h.url)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		m := h.trace.Mark()
		if _, err := c.Exec(ctx, "DO $$ BEGIN FOR i IN 1..100 LOOP RAISE NOTICE 'row %', i; END LOOP; END $$"); err != nil {
			t.Fatal(err)
		}
		stmts, _ := h.trace.Since(m)
		if len(stmts) != 1 || stmts[0].Tag != "DO" || !stmts[0].Data {
			t.Fatalf("statements %+v, want the DO block as one data statement", stmts)
		}
		if n := h.trace.NoticesSince(m); n != 100 {
			t.Errorf("NoticesSince = %d, want 100", n)
		}
		if n := h.trace.Notices(stmts[0].Conn); n != 100 {
			t.Errorf("Notices(%d) = %d, want 100", stmts[0].Conn, n)
		}
	})

	// After an error in the extended protocol the server skips a Query up
	// to Sync and never answers it: the round trips that follow are still
	// round trips, each delayed by the RTT.
	t.Run("QuerySkippedAfterError", func(t *testing.T) {
		const rtt = 30 * time.Millisecond
		h.proxy.SetRTT(rtt)
		defer h.proxy.SetRTT(0)
		c := rawClient(t, h)
		defer c.Close()
		m := h.trace.Mark()
		got := exchange(t, c, &pgproto3.Parse{Query: "SELEC 1"}, &pgproto3.Query{String: "SELECT 2"}, &pgproto3.Sync{})
		if strings.Join(got, " ") != "ErrorResponse 42601 ReadyForQuery I" {
			t.Fatalf("server answered %q", got)
		}
		start := time.Now()
		for i := 0; i < 3; i++ {
			exchange(t, c, &pgproto3.Query{String: "SELECT 3"})
		}
		if took := time.Since(start); took < 3*rtt {
			t.Errorf("3 queries took %s, want at least 3 RTTs (%s)", took, 3*rtt)
		}
		stmts, rounds := h.trace.Since(m)
		if len(stmts) != 4 || len(rounds) != 4 {
			t.Errorf("%d statements in %d round trips, want 4 in 4: %+v", len(stmts), len(rounds), stmts)
		}
	})

	// During COPY FROM STDIN the server ignores Sync: no ReadyForQuery
	// answers it, and the round trips that follow are still round trips.
	t.Run("SyncDuringCopyIn", func(t *testing.T) {
		if _, err := h.admin.Exec(ctx, "CREATE TABLE sink (a int); GRANT INSERT ON sink TO reader"); err != nil {
			t.Fatal(err)
		}
		c := rawClient(t, h)
		defer c.Close()
		m := h.trace.Mark()
		steps := []struct {
			send []pgproto3.FrontendMessage
			want string
		}{
			{[]pgproto3.FrontendMessage{&pgproto3.Query{String: "COPY sink FROM STDIN"}, &pgproto3.Sync{}}, "CopyInResponse"},
			{[]pgproto3.FrontendMessage{&pgproto3.CopyData{Data: []byte("1\n")}, &pgproto3.Sync{}, &pgproto3.CopyDone{}}, "CommandComplete ReadyForQuery I"},
			// libpq's COPY with parameters: a Sync with the Execute, another after CopyDone.
			{[]pgproto3.FrontendMessage{&pgproto3.Parse{Query: "COPY sink FROM STDIN"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{}}, "ParseComplete BindComplete CopyInResponse"},
			{[]pgproto3.FrontendMessage{&pgproto3.CopyData{Data: []byte("2\n")}, &pgproto3.CopyDone{}, &pgproto3.Sync{}}, "CommandComplete ReadyForQuery I"},
		}
		for i, st := range steps {
			if got := strings.Join(exchange(t, c, st.send...), " "); got != st.want {
				t.Fatalf("step %d: server answered %q, want %q", i+1, got, st.want)
			}
		}
		const rtt = 30 * time.Millisecond
		h.proxy.SetRTT(rtt)
		defer h.proxy.SetRTT(0)
		start := time.Now()
		for i := 0; i < 3; i++ {
			exchange(t, c, &pgproto3.Query{String: "SELECT 3"})
		}
		if took := time.Since(start); took < 3*rtt {
			t.Errorf("3 queries took %s, want at least 3 RTTs (%s)", took, 3*rtt)
		}
		stmts, rounds := h.trace.Since(m)
		if len(stmts) != 5 || len(rounds) != 5 || stmts[0].Rows != 1 || stmts[1].Rows != 1 {
			t.Errorf("%d statements in %d round trips, want 5 in 5 (2 COPY of 1 row): %+v", len(stmts), len(rounds), stmts)
		}
		if p := h.trace.Problems(m); len(p) != 0 {
			t.Errorf("problems: %q", p)
		}
	})

	// An error can quote a value of any size: the proxy streams it to the
	// client and keeps only the start of its message.
	t.Run("HugeErrorMessage", func(t *testing.T) {
		c := rawClient(t, h)
		defer c.Close()
		m := h.trace.Mark()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		q, _ := (&pgproto3.Query{String: "SELECT repeat('x', 20000000)::int"}).Encode(nil)
		if _, err := c.Write(q); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		var hdr [5]byte
		if _, err := io.ReadFull(c, hdr[:]); err != nil || hdr[0] != 'E' {
			t.Fatalf("got %q (%v), want an ErrorResponse", hdr, err)
		}
		n := int64(binary.BigEndian.Uint32(hdr[1:])) - 4
		if _, err := io.CopyN(io.Discard, c, n); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, make([]byte, 6)); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		if n < 20e6 {
			t.Errorf("the client got an error of %d bytes, want the whole message", n)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
			t.Errorf("the proxy allocated %d MiB relaying a %d MB error, want under 8", grew>>20, n/1e6)
		}
		stmts, _ := h.trace.Since(m)
		if len(stmts) != 1 {
			t.Fatalf("%d statements, want 1", len(stmts))
		}
		if e := stmts[0].Error; !strings.HasPrefix(e, "22P02: invalid input syntax") || len(e) > 5<<10 {
			t.Errorf("error of %d bytes, %.60q..., want a 22P02 error of at most 5 kB", len(e), e)
		} else {
			t.Logf("kept %d bytes of the error", len(e))
		}
	})

	// A Query announcing 1 GiB is refused with a FATAL error naming the
	// limit, without the proxy holding it.
	t.Run("OversizedQuery", func(t *testing.T) {
		c := rawClient(t, h)
		defer c.Close()
		m := h.trace.Mark()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		go func() {
			c.Write(binary.BigEndian.AppendUint32([]byte{'Q'}, 1<<30+4))
			chunk := bytes.Repeat([]byte("x"), 1<<20)
			for i := 0; i < 64; i++ {
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		}()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		fe := pgproto3.NewFrontend(c, c)
		msg, err := fe.Receive()
		e, ok := msg.(*pgproto3.ErrorResponse)
		if err != nil || !ok || e.Severity != "FATAL" || e.Code != "54000" || !strings.Contains(e.Message, "16 MiB") {
			t.Fatalf("got %#v (%v), want a FATAL 54000 error naming the 16 MiB limit", msg, err)
		}
		t.Logf("the client was told: %s", e.Message)
		if _, err := fe.Receive(); err == nil {
			t.Error("the connection is still open after the FATAL error")
		}
		runtime.ReadMemStats(&after)
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 20<<20 {
			t.Errorf("the proxy allocated %d MiB for a message it refused, want under 20", grew>>20)
		} else {
			t.Logf("allocated %d kB meanwhile", grew>>10)
		}
		if !hasProblem(h.trace, "16 MiB") {
			t.Errorf("problems %q, want the refusal reported", h.trace.Problems(m))
		}
		if stmts, _ := h.trace.Since(m); len(stmts) != 0 {
			t.Errorf("statements %+v from a refused message", stmts)
		}
	})
	eventually(t, "every server connection closed", func() bool { return h.backends(t) == 0 })
}

// exchange sends msgs and reads the answers up to ReadyForQuery or
// CopyInResponse. Each
// answer is described by its type, an error by its code, ReadyForQuery by
// its status.
func exchange(t *testing.T, c net.Conn, msgs ...pgproto3.FrontendMessage) []string {
	t.Helper()
	return exchangeN(t, c, 1, msgs...)
}

// exchangeN is exchange reading up to the nth ReadyForQuery.
func exchangeN(t *testing.T, c net.Conn, n int, msgs ...pgproto3.FrontendMessage) []string {
	t.Helper()
	fe := pgproto3.NewFrontend(c, c)
	for _, m := range msgs {
		fe.Send(m)
	}
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	var got []string
	for {
		m, err := fe.Receive()
		if err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		name := strings.TrimPrefix(fmt.Sprintf("%T", m), "*pgproto3.")
		switch m := m.(type) {
		case *pgproto3.ErrorResponse:
			name += " " + m.Code
		case *pgproto3.ReadyForQuery:
			got = append(got, name+" "+string(m.TxStatus))
			if n--; n == 0 {
				return got
			}
			continue
		case *pgproto3.CopyInResponse:
			return append(got, name)
		}
		got = append(got, name)
	}
}
