package proxy

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgproto3"
)

// script feeds an account the messages of one conversation: client bursts
// and server replies, as real drivers send them.
type script struct {
	t   *testing.T
	acc *account
}

func newScript(t *testing.T) (*script, *Trace) {
	tr := &Trace{}
	acc := newAccount(tr, tr.newConn())
	return &script{t: t, acc: acc}, tr
}

// client sends one burst.
func (s *script) client(msgs ...pgproto3.FrontendMessage) {
	for _, m := range msgs {
		b, err := m.Encode(nil)
		if err != nil {
			s.t.Fatal(err)
		}
		s.acc.client(b[0], b[5:])
	}
	s.acc.sent(time.Now())
}

func (s *script) server(msgs ...pgproto3.BackendMessage) {
	for _, m := range msgs {
		b, err := m.Encode(nil)
		if err != nil {
			s.t.Fatal(err)
		}
		s.acc.server(b[0], b[5:])
	}
}

type got struct {
	SQL   string
	Tag   string
	Rows  int64
	Error string
	Data  bool
	Round int
}

func summary(tr *Trace) ([]got, int, int) {
	stmts, rts := tr.Since(Mark{})
	var out []got
	for _, s := range stmts {
		out = append(out, got{s.SQL, s.Tag, s.Rows, s.Error, s.Data, s.RoundTrip})
	}
	prep := 0
	for _, r := range rts {
		if r.PrepareOnly {
			prep++
		}
	}
	return out, len(rts), prep
}

var (
	ready   = &pgproto3.ReadyForQuery{TxStatus: 'I'}
	dataRow = &pgproto3.DataRow{Values: [][]byte{[]byte("1")}}
)

func tag(s string) *pgproto3.CommandComplete { return &pgproto3.CommandComplete{CommandTag: []byte(s)} }

func TestSimpleQueryWithSeveralStatements(t *testing.T) {
	s, tr := newScript(t)
	s.client(&pgproto3.Query{String: "BEGIN; SELECT id FROM orders; COMMIT"})
	s.server(tag("BEGIN"), &pgproto3.RowDescription{}, dataRow, dataRow, tag("SELECT 2"), tag("COMMIT"), ready)
	s.client(&pgproto3.Query{String: "-- ping"})
	s.server(&pgproto3.EmptyQueryResponse{}, ready)

	stmts, rts, prep := summary(tr)
	want := []got{
		{"BEGIN", "BEGIN", 0, "", false, 1},
		{"SELECT id FROM orders", "SELECT 2", 2, "", true, 1},
		{"COMMIT", "COMMIT", 0, "", false, 1},
		{"", "", 0, "", false, 2},
	}
	if diff := cmp.Diff(want, stmts); diff != "" {
		t.Errorf("statements (-want +got):\n%s", diff)
	}
	if rts != 2 || prep != 0 {
		t.Errorf("round trips = %d (%d prepare-only), want 2 (0)", rts, prep)
	}
}

// pgx with its statement cache: a prepare round trip (Parse, Describe,
// Sync), then executions that name the statement without its text.
func TestExtendedProtocolStatementCache(t *testing.T) {
	s, tr := newScript(t)
	const sql = "SELECT name FROM users WHERE id = $1"
	s.client(&pgproto3.Parse{Name: "stmtcache_1", Query: sql}, &pgproto3.Describe{ObjectType: 'S', Name: "stmtcache_1"}, &pgproto3.Sync{})
	s.server(&pgproto3.ParseComplete{}, &pgproto3.ParameterDescription{}, &pgproto3.RowDescription{}, ready)
	for i := 0; i < 3; i++ {
		s.client(&pgproto3.Bind{PreparedStatement: "stmtcache_1"}, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{})
		s.server(&pgproto3.BindComplete{}, &pgproto3.RowDescription{}, dataRow, tag("SELECT 1"), ready)
	}
	stmts, rts, prep := summary(tr)
	if len(stmts) != 3 {
		t.Fatalf("got %d statements, want 3: %+v", len(stmts), stmts)
	}
	for _, st := range stmts {
		if st.SQL != sql || st.Rows != 1 || !st.Data {
			t.Errorf("statement = %+v, want %q with 1 row", st, sql)
		}
	}
	if rts != 4 || prep != 1 {
		t.Errorf("round trips = %d (%d prepare-only), want 4 (1)", rts, prep)
	}
}

// A pipelined batch: N statements, one Sync, one round trip.
func TestPipelinedBatchIsOneRoundTrip(t *testing.T) {
	s, tr := newScript(t)
	var burst []pgproto3.FrontendMessage
	for i := 0; i < 5; i++ {
		burst = append(burst, &pgproto3.Parse{Query: "SELECT $1::int"}, &pgproto3.Bind{}, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{})
	}
	s.client(append(burst, &pgproto3.Sync{})...)
	for i := 0; i < 5; i++ {
		s.server(&pgproto3.ParseComplete{}, &pgproto3.BindComplete{}, &pgproto3.RowDescription{}, dataRow, tag("SELECT 1"))
	}
	s.server(ready)
	stmts, rts, _ := summary(tr)
	if len(stmts) != 5 || rts != 1 {
		t.Errorf("got %d statements in %d round trips, want 5 in 1", len(stmts), rts)
	}
}

// An error inside a pipeline: the failing statement counts, the server
// skips the rest until Sync, and the next Sync starts clean.
func TestErrorInPipelineSkipsToSync(t *testing.T) {
	s, tr := newScript(t)
	s.client(
		&pgproto3.Parse{Query: "SELECT 1"}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Parse{Query: "SELECT * FROM nope"}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Parse{Query: "SELECT 3"}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Sync{},
	)
	s.server(&pgproto3.ParseComplete{}, &pgproto3.BindComplete{}, dataRow, tag("SELECT 1"),
		&pgproto3.ErrorResponse{Severity: "ERROR", Code: "42P01", Message: `relation "nope" does not exist`},
		ready)
	s.client(&pgproto3.Query{String: "SELECT 4"})
	s.server(&pgproto3.RowDescription{}, dataRow, tag("SELECT 1"), ready)

	stmts, rts, _ := summary(tr)
	want := []got{
		{"SELECT 1", "SELECT 1", 1, "", true, 1},
		{"SELECT * FROM nope", "", 0, `42P01: relation "nope" does not exist`, true, 1},
		{"SELECT 4", "SELECT 1", 1, "", true, 2},
	}
	if diff := cmp.Diff(want, stmts); diff != "" {
		t.Errorf("statements (-want +got):\n%s", diff)
	}
	if rts != 2 {
		t.Errorf("round trips = %d, want 2", rts)
	}
}

// PortalSuspended and a re-Execute of the same portal are one statement.
func TestPortalSuspendedIsOneStatement(t *testing.T) {
	s, tr := newScript(t)
	s.client(&pgproto3.Parse{Query: "SELECT g FROM generate_series(1,3) g"}, &pgproto3.Bind{DestinationPortal: "c"}, &pgproto3.Execute{Portal: "c", MaxRows: 2}, &pgproto3.Flush{})
	s.server(&pgproto3.ParseComplete{}, &pgproto3.BindComplete{}, dataRow, dataRow, &pgproto3.PortalSuspended{})
	s.client(&pgproto3.Execute{Portal: "c", MaxRows: 2}, &pgproto3.Sync{})
	s.server(dataRow, tag("SELECT 1"), ready)
	stmts, _, _ := summary(tr)
	if len(stmts) != 1 || stmts[0].Rows != 3 {
		t.Errorf("statements = %+v, want one with 3 rows", stmts)
	}
}

func TestCopyRowsFromTag(t *testing.T) {
	s, tr := newScript(t)
	s.client(&pgproto3.Query{String: "COPY orders TO STDOUT"})
	s.server(&pgproto3.CopyOutResponse{}, &pgproto3.CopyData{Data: []byte("1\n")}, &pgproto3.CopyData{Data: []byte("2\n")}, &pgproto3.CopyDone{}, tag("COPY 2"), ready)
	stmts, _, _ := summary(tr)
	if len(stmts) != 1 || stmts[0].Rows != 2 || !stmts[0].Data {
		t.Errorf("statements = %+v, want one data statement with 2 rows", stmts)
	}
}
