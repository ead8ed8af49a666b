package proxy

import (
	"strings"
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
		s.acc.client(b[0], b[5:], true)
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
		{"-- ping", "", 0, "", false, 2},
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

func errResp(code, msg string) *pgproto3.ErrorResponse {
	return &pgproto3.ErrorResponse{Severity: "ERROR", Code: code, Message: msg}
}

// DEALLOCATE and Close forget a statement; a name reused afterwards runs
// its new text. A DEALLOCATE the server refuses forgets nothing.
func TestDeallocateAndClose(t *testing.T) {
	s, tr := newScript(t)
	s.client(&pgproto3.Parse{Name: "s1", Query: "SELECT 1"}, &pgproto3.Sync{})
	s.server(&pgproto3.ParseComplete{}, ready)
	s.client(&pgproto3.Query{String: "DEALLOCATE s1"})
	s.server(tag("DEALLOCATE"), ready)
	s.client(&pgproto3.Parse{Name: "s1", Query: "SELECT 2"}, &pgproto3.Bind{PreparedStatement: "s1"}, &pgproto3.Execute{}, &pgproto3.Sync{})
	s.server(&pgproto3.ParseComplete{}, &pgproto3.BindComplete{}, dataRow, tag("SELECT 1"), ready)

	s.client(&pgproto3.Close{ObjectType: 'S', Name: "s1"}, &pgproto3.Parse{Name: "s1", Query: "SELECT 3"}, &pgproto3.Bind{PreparedStatement: "s1"}, &pgproto3.Execute{}, &pgproto3.Sync{})
	s.server(&pgproto3.CloseComplete{}, &pgproto3.ParseComplete{}, &pgproto3.BindComplete{}, dataRow, tag("SELECT 1"), ready)

	// A refused DEALLOCATE ALL (in a failed transaction) keeps the statement.
	s.client(&pgproto3.Query{String: "DEALLOCATE ALL"})
	s.server(errResp("25P02", "current transaction is aborted"), &pgproto3.ReadyForQuery{TxStatus: 'E'})
	s.client(&pgproto3.Query{String: "ROLLBACK"})
	s.server(tag("ROLLBACK"), ready)
	s.client(&pgproto3.Bind{PreparedStatement: "s1"}, &pgproto3.Execute{}, &pgproto3.Sync{})
	s.server(&pgproto3.BindComplete{}, dataRow, tag("SELECT 1"), ready)

	stmts, rts, prep := summary(tr)
	want := []got{
		{"DEALLOCATE s1", "DEALLOCATE", 0, "", false, 2},
		{"SELECT 2", "SELECT 1", 1, "", true, 3},
		{"SELECT 3", "SELECT 1", 1, "", true, 4},
		{"DEALLOCATE ALL", "", 0, "25P02: current transaction is aborted", false, 5},
		{"ROLLBACK", "ROLLBACK", 0, "", false, 6},
		{"SELECT 3", "SELECT 1", 1, "", true, 7},
	}
	if diff := cmp.Diff(want, stmts); diff != "" {
		t.Errorf("statements (-want +got):\n%s", diff)
	}
	if rts != 7 || prep != 1 {
		t.Errorf("round trips = %d (%d prepare-only), want 7 (1)", rts, prep)
	}
	if p := tr.Problems(Mark{}); len(p) != 0 {
		t.Errorf("problems: %q", p)
	}
}

// The unnamed statement is replaced by each Parse that names it; drivers
// such as lib/pq and pgx's describe modes use nothing else.
func TestUnnamedStatement(t *testing.T) {
	s, tr := newScript(t)
	for _, q := range []string{"SELECT a FROM t", "SELECT b FROM t"} {
		s.client(&pgproto3.Parse{Query: q}, &pgproto3.Describe{ObjectType: 'S'}, &pgproto3.Sync{})
		s.server(&pgproto3.ParseComplete{}, &pgproto3.ParameterDescription{}, &pgproto3.RowDescription{}, ready)
		s.client(&pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
		s.server(&pgproto3.BindComplete{}, dataRow, dataRow, tag("SELECT 2"), ready)
	}
	stmts, rts, prep := summary(tr)
	want := []got{
		{"SELECT a FROM t", "SELECT 2", 2, "", true, 2},
		{"SELECT b FROM t", "SELECT 2", 2, "", true, 4},
	}
	if diff := cmp.Diff(want, stmts); diff != "" {
		t.Errorf("statements (-want +got):\n%s", diff)
	}
	if rts != 4 || prep != 2 {
		t.Errorf("round trips = %d (%d prepare-only), want 4 (2)", rts, prep)
	}
}

// A round trip that only describes a portal or a statement runs nothing.
func TestDescribeOnlyRoundTrip(t *testing.T) {
	s, tr := newScript(t)
	s.client(&pgproto3.Parse{Name: "q", Query: "UPDATE t SET a = 1"}, &pgproto3.Describe{ObjectType: 'S', Name: "q"}, &pgproto3.Sync{})
	s.server(&pgproto3.ParseComplete{}, &pgproto3.ParameterDescription{}, &pgproto3.NoData{}, ready)
	s.client(&pgproto3.Bind{PreparedStatement: "q", DestinationPortal: "p"}, &pgproto3.Describe{ObjectType: 'P', Name: "p"}, &pgproto3.Sync{})
	s.server(&pgproto3.BindComplete{}, &pgproto3.NoData{}, ready)
	stmts, rts, prep := summary(tr)
	if len(stmts) != 0 || rts != 2 || prep != 2 {
		t.Errorf("got %d statements, %d round trips (%d prepare-only), want 0, 2 (2)", len(stmts), rts, prep)
	}
}

// A portal run a few rows at a time is one statement with all its rows,
// whether it runs to the end or is closed early. It counts in the round
// trip of its first rows.
func TestSuspendedPortals(t *testing.T) {
	s, tr := newScript(t)
	s.client(&pgproto3.Parse{Name: "g", Query: "SELECT g FROM generate_series(1,5) g"}, &pgproto3.Bind{PreparedStatement: "g", DestinationPortal: "c"}, &pgproto3.Execute{Portal: "c", MaxRows: 2}, &pgproto3.Flush{})
	s.server(&pgproto3.ParseComplete{}, &pgproto3.BindComplete{}, dataRow, dataRow, &pgproto3.PortalSuspended{})
	s.client(&pgproto3.Execute{Portal: "c", MaxRows: 2}, &pgproto3.Flush{})
	s.server(dataRow, dataRow, &pgproto3.PortalSuspended{})
	s.client(&pgproto3.Execute{Portal: "c", MaxRows: 2}, &pgproto3.Sync{})
	s.server(dataRow, tag("SELECT 1"), ready)

	// Closed after the first rows.
	s.client(&pgproto3.Bind{PreparedStatement: "g", DestinationPortal: "c"}, &pgproto3.Execute{Portal: "c", MaxRows: 2}, &pgproto3.Flush{})
	s.server(&pgproto3.BindComplete{}, dataRow, dataRow, &pgproto3.PortalSuspended{})
	s.client(&pgproto3.Close{ObjectType: 'P', Name: "c"}, &pgproto3.Sync{})
	s.server(&pgproto3.CloseComplete{}, ready)

	// Left suspended when the implicit transaction ends at Sync.
	s.client(&pgproto3.Bind{PreparedStatement: "g"}, &pgproto3.Execute{MaxRows: 1}, &pgproto3.Sync{})
	s.server(&pgproto3.BindComplete{}, dataRow, &pgproto3.PortalSuspended{}, ready)

	stmts, rts, prep := summary(tr)
	const sql = "SELECT g FROM generate_series(1,5) g"
	want := []got{
		{sql, "SELECT 1", 5, "", true, 1},
		{sql, "", 2, "", true, 4},
		{sql, "", 1, "", true, 6},
	}
	if diff := cmp.Diff(want, stmts); diff != "" {
		t.Errorf("statements (-want +got):\n%s", diff)
	}
	if rts != 6 || prep != 1 {
		t.Errorf("round trips = %d (%d prepare-only), want 6 (1)", rts, prep)
	}
	if p := tr.Problems(Mark{}); len(p) != 0 {
		t.Errorf("problems: %q", p)
	}
}

// A pipeline with several Syncs in one burst is one round trip; an error
// skips the rest of its own segment only.
func TestPipelineWithSeveralSyncs(t *testing.T) {
	s, tr := newScript(t)
	seg := func(q string) []pgproto3.FrontendMessage {
		return []pgproto3.FrontendMessage{&pgproto3.Parse{Query: q}, &pgproto3.Bind{}, &pgproto3.Execute{}}
	}
	var burst []pgproto3.FrontendMessage
	burst = append(burst, seg("SELECT 1")...)
	burst = append(burst, &pgproto3.Sync{})
	burst = append(burst, seg("SELECT 1/0")...)
	burst = append(burst, seg("SELECT 'skipped'")...)
	burst = append(burst, &pgproto3.Sync{})
	burst = append(burst, seg("SELECT 3")...)
	burst = append(burst, &pgproto3.Sync{})
	s.client(burst...)
	s.server(&pgproto3.ParseComplete{}, &pgproto3.BindComplete{}, dataRow, tag("SELECT 1"), ready)
	s.server(&pgproto3.ParseComplete{}, &pgproto3.BindComplete{}, errResp("22012", "division by zero"), ready)
	s.server(&pgproto3.ParseComplete{}, &pgproto3.BindComplete{}, dataRow, tag("SELECT 1"), ready)
	stmts, rts, _ := summary(tr)
	want := []got{
		{"SELECT 1", "SELECT 1", 1, "", true, 1},
		{"SELECT 1/0", "", 0, "22012: division by zero", true, 1},
		{"SELECT 3", "SELECT 1", 1, "", true, 1},
	}
	if diff := cmp.Diff(want, stmts); diff != "" {
		t.Errorf("statements (-want +got):\n%s", diff)
	}
	if rts != 1 {
		t.Errorf("round trips = %d, want 1", rts)
	}
}

// COPY FROM STDIN: the client streams CopyData without waiting; the rows
// come from the tag.
func TestCopyIn(t *testing.T) {
	s, tr := newScript(t)
	s.client(&pgproto3.Query{String: "COPY t FROM STDIN"})
	s.server(&pgproto3.CopyInResponse{})
	s.client(&pgproto3.CopyData{Data: []byte("1\n")}, &pgproto3.CopyData{Data: []byte("2\n")})
	s.client(&pgproto3.CopyData{Data: []byte("3\n")}, &pgproto3.CopyDone{})
	s.server(tag("COPY 3"), ready)
	stmts, rts, _ := summary(tr)
	if diff := cmp.Diff([]got{{"COPY t FROM STDIN", "COPY 3", 3, "", true, 1}}, stmts); diff != "" {
		t.Errorf("statements (-want +got):\n%s", diff)
	}
	if rts != 1 {
		t.Errorf("round trips = %d, want 1", rts)
	}
}

// Notices, notifications and parameter changes come at any time; they
// are relayed and change nothing. An empty statement sent with the
// extended protocol is one non-data statement.
func TestAsyncMessagesAndEmptyStatements(t *testing.T) {
	s, tr := newScript(t)
	notice := &pgproto3.NoticeResponse{Severity: "NOTICE", Code: "00000", Message: "hello"}
	notify := &pgproto3.NotificationResponse{PID: 1, Channel: "c", Payload: "x"}
	param := &pgproto3.ParameterStatus{Name: "TimeZone", Value: "UTC"}
	s.server(notify)
	s.client(&pgproto3.Query{String: "SET TimeZone = 'UTC'; SELECT 1"})
	s.server(notice, param, tag("SET"), notify, &pgproto3.RowDescription{}, dataRow, notice, tag("SELECT 1"), ready)
	s.client(&pgproto3.Parse{Query: ""}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	s.server(&pgproto3.ParseComplete{}, &pgproto3.BindComplete{}, &pgproto3.EmptyQueryResponse{}, ready)
	stmts, _, _ := summary(tr)
	want := []got{
		{"SET TimeZone = 'UTC'", "SET", 0, "", false, 1},
		{"SELECT 1", "SELECT 1", 1, "", true, 1},
		{"", "", 0, "", false, 2},
	}
	if diff := cmp.Diff(want, stmts); diff != "" {
		t.Errorf("statements (-want +got):\n%s", diff)
	}
	if p := tr.Problems(Mark{}); len(p) != 0 {
		t.Errorf("problems: %q", p)
	}
}

// Bind parameters are digested, so that the same statement with the same
// values can be told from one with other values.
func TestParamsDigest(t *testing.T) {
	s, tr := newScript(t)
	s.client(&pgproto3.Parse{Name: "u", Query: "SELECT name FROM users WHERE id = $1"}, &pgproto3.Sync{})
	s.server(&pgproto3.ParseComplete{}, ready)
	for _, v := range []string{"1", "2", "1"} {
		s.client(&pgproto3.Bind{PreparedStatement: "u", Parameters: [][]byte{[]byte(v)}}, &pgproto3.Execute{}, &pgproto3.Sync{})
		s.server(&pgproto3.BindComplete{}, dataRow, tag("SELECT 1"), ready)
	}
	stmts, _ := tr.Since(Mark{})
	if len(stmts) != 3 || stmts[0].Params == "" || stmts[0].Params == stmts[1].Params || stmts[0].Params != stmts[2].Params {
		t.Errorf("params digests %q, %q, %q: want the 1st and 3rd equal, the 2nd different", stmts[0].Params, stmts[1].Params, stmts[2].Params)
	}
}

// DEALLOCATE sent through the unnamed statement (psycopg 3 does this)
// runs as itself and drops the named statements, not the unnamed one.
func TestDeallocateThroughExtendedProtocol(t *testing.T) {
	s, tr := newScript(t)
	s.client(&pgproto3.Parse{Name: "_pg3_0", Query: "SELECT 10"}, &pgproto3.Sync{})
	s.server(&pgproto3.ParseComplete{}, ready)
	s.client(&pgproto3.Parse{Query: "DEALLOCATE ALL"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	s.server(&pgproto3.ParseComplete{}, &pgproto3.BindComplete{}, tag("DEALLOCATE ALL"), ready)
	s.client(&pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	s.server(&pgproto3.BindComplete{}, tag("DEALLOCATE ALL"), ready)
	stmts, _, _ := summary(tr)
	want := []got{
		{"DEALLOCATE ALL", "DEALLOCATE ALL", 0, "", false, 2},
		{"DEALLOCATE ALL", "DEALLOCATE ALL", 0, "", false, 3},
	}
	if diff := cmp.Diff(want, stmts); diff != "" {
		t.Errorf("statements (-want +got):\n%s", diff)
	}
}

// A fast-path FunctionCall is a data statement named by the function's
// oid, in a round trip of its own; a failed one too.
func TestFunctionCall(t *testing.T) {
	s, tr := newScript(t)
	call := &pgproto3.FunctionCall{Function: 2170, ArgFormatCodes: []uint16{0}, Arguments: [][]byte{[]byte("SELECT 1")}}
	s.client(call)
	s.server(&pgproto3.NoticeResponse{Severity: "NOTICE", Message: "hi"}, &pgproto3.FunctionCallResponse{Result: []byte("<x/>")}, ready)
	s.client(call)
	s.server(errResp("42883", "function with OID 2170 does not exist"), ready)
	s.client(&pgproto3.Query{String: "SELECT 1"})
	s.server(&pgproto3.RowDescription{}, dataRow, tag("SELECT 1"), ready)
	stmts, rts, prep := summary(tr)
	want := []got{
		{`FunctionCall "oid 2170"`, "", 0, "", true, 1},
		{`FunctionCall "oid 2170"`, "", 0, "42883: function with OID 2170 does not exist", true, 2},
		{"SELECT 1", "SELECT 1", 1, "", true, 3},
	}
	if diff := cmp.Diff(want, stmts); diff != "" {
		t.Errorf("statements (-want +got):\n%s", diff)
	}
	if rts != 3 || prep != 0 {
		t.Errorf("round trips = %d (%d prepare-only), want 3 (0)", rts, prep)
	}
	if p := tr.Problems(Mark{}); len(p) != 0 {
		t.Errorf("problems: %q", p)
	}
}

// A portal suspended and never continued counts at once, even while its
// transaction stays open; continued, it is still one statement.
func TestSuspendedPortalCountsAtOnce(t *testing.T) {
	s, tr := newScript(t)
	inTx := &pgproto3.ReadyForQuery{TxStatus: 'T'}
	s.client(&pgproto3.Query{String: "BEGIN"})
	s.server(tag("BEGIN"), inTx)
	m := tr.Mark()
	s.client(&pgproto3.Parse{Query: "SELECT g FROM t"}, &pgproto3.Bind{DestinationPortal: "c"}, &pgproto3.Execute{Portal: "c", MaxRows: 1}, &pgproto3.Sync{})
	s.server(&pgproto3.ParseComplete{}, &pgproto3.BindComplete{}, dataRow, &pgproto3.PortalSuspended{}, inTx)
	if n := tr.CountSince(m); n != 1 {
		t.Fatalf("%d statements after the portal's first row, want 1", n)
	}
	s.client(&pgproto3.Execute{Portal: "c", MaxRows: 1}, &pgproto3.Sync{})
	s.server(dataRow, &pgproto3.PortalSuspended{}, inTx)
	s.client(&pgproto3.Execute{Portal: "c"}, &pgproto3.Sync{})
	s.server(dataRow, tag("SELECT 1"), inTx)
	stmts, _ := tr.Since(m)
	if len(stmts) != 1 || stmts[0].Rows != 3 || stmts[0].Tag != "SELECT 1" || stmts[0].RoundTrip != 2 {
		t.Errorf("statements %+v, want one with 3 rows, its tag, in round trip 2", stmts)
	}
}

// Notices are counted between marks and per connection, inside a
// statement or not.
func TestNotices(t *testing.T) {
	s, tr := newScript(t)
	notice := &pgproto3.NoticeResponse{Severity: "NOTICE", Code: "00000", Message: "row"}
	s.server(notice) // between requests
	m := tr.Mark()
	s.client(&pgproto3.Query{String: "DO $$ ... $$"})
	s.server(notice, notice, notice, tag("DO"), ready)
	if n := tr.NoticesSince(m); n != 3 {
		t.Errorf("NoticesSince = %d, want 3", n)
	}
	if n := tr.Notices(1); n != 4 {
		t.Errorf("Notices(1) = %d, want 4", n)
	}
	if n := tr.Notices(2); n != 0 {
		t.Errorf("Notices(2) = %d for a connection that never was, want 0", n)
	}
}

// After an error in the extended protocol the server skips a Query or a
// FunctionCall up to the next Sync, with no ReadyForQuery for it: later
// round trips still begin and end.
func TestQuerySkippedAfterError(t *testing.T) {
	s, tr := newScript(t)
	s.client(&pgproto3.Parse{Query: "SELEC 1"}, &pgproto3.Query{String: "SELECT 2"}, &pgproto3.FunctionCall{Function: 1}, &pgproto3.Sync{})
	s.server(errResp("42601", "syntax error"), ready)
	for i := 0; i < 2; i++ {
		s.client(&pgproto3.Query{String: "SELECT 3"})
		s.server(&pgproto3.RowDescription{}, dataRow, tag("SELECT 1"), ready)
	}
	stmts, rts, _ := summary(tr)
	want := []got{
		{"SELEC 1", "", 0, "42601: syntax error", true, 1},
		{"SELECT 3", "SELECT 1", 1, "", true, 2},
		{"SELECT 3", "SELECT 1", 1, "", true, 3},
	}
	if diff := cmp.Diff(want, stmts); diff != "" {
		t.Errorf("statements (-want +got):\n%s", diff)
	}
	if rts != 3 {
		t.Errorf("round trips = %d, want 3", rts)
	}
	if p := tr.Problems(Mark{}); len(p) != 0 {
		t.Errorf("problems: %q", p)
	}
}

// During COPY FROM STDIN the server takes what the client sends as part of
// the COPY: it ignores Sync and Flush there (libpq sends a Sync along with
// an extended-protocol COPY) and fails the COPY on anything else. Neither
// is answered by a ReadyForQuery: later round trips still begin and end.
func TestCopyInTakesWhatFollows(t *testing.T) {
	s, tr := newScript(t)
	s.client(&pgproto3.Query{String: "COPY t FROM STDIN"}, &pgproto3.Sync{})
	s.server(&pgproto3.CopyInResponse{})
	s.client(&pgproto3.CopyData{Data: []byte("1\n")}, &pgproto3.Sync{}, &pgproto3.Flush{})
	s.client(&pgproto3.CopyDone{})
	s.server(tag("COPY 1"), ready)

	s.client(&pgproto3.Parse{Query: "COPY t FROM STDIN"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	s.server(&pgproto3.ParseComplete{}, &pgproto3.BindComplete{}, &pgproto3.CopyInResponse{})
	s.client(&pgproto3.CopyData{Data: []byte("2\n")}, &pgproto3.CopyDone{}, &pgproto3.Sync{})
	s.server(tag("COPY 1"), ready)

	s.client(&pgproto3.Query{String: "COPY t FROM STDIN"})
	s.server(&pgproto3.CopyInResponse{})
	s.client(&pgproto3.Query{String: "SELECT 1"})
	s.server(errResp("08P01", "unexpected message type 0x51 during COPY from stdin"), ready)

	for i := 0; i < 2; i++ {
		s.client(&pgproto3.Query{String: "SELECT 1"})
		s.server(&pgproto3.RowDescription{}, dataRow, tag("SELECT 1"), ready)
	}
	stmts, rts, _ := summary(tr)
	want := []got{
		{"COPY t FROM STDIN", "COPY 1", 1, "", true, 1},
		{"COPY t FROM STDIN", "COPY 1", 1, "", true, 2},
		{"COPY t FROM STDIN", "", 0, "08P01: unexpected message type 0x51 during COPY from stdin", true, 3},
		{"SELECT 1", "SELECT 1", 1, "", true, 4},
		{"SELECT 1", "SELECT 1", 1, "", true, 5},
	}
	if diff := cmp.Diff(want, stmts); diff != "" {
		t.Errorf("statements (-want +got):\n%s", diff)
	}
	if rts != 5 {
		t.Errorf("round trips = %d, want 5", rts)
	}
	if p := tr.Problems(Mark{}); len(p) != 0 {
		t.Errorf("problems: %q", p)
	}
}

// An error's code and message are read from its whole body or from its
// head, and the message kept is cut at maxErrorText bytes, on a character.
func TestErrorText(t *testing.T) {
	enc := func(msg string) []byte {
		b, err := errResp("22P02", msg).Encode(nil)
		if err != nil {
			t.Fatal(err)
		}
		return b[5:]
	}
	long := strings.Repeat("é", maxErrorText) // 2 bytes each
	for _, c := range []struct {
		name string
		body []byte
		want string
	}{
		{"whole", enc("bad"), "22P02: bad"},
		{"head", enc("bad input")[:20], "22P02: bad i"},
		{"long", enc(long), "22P02: " + long[:maxErrorText] + "…"},
		{"long, cut inside a character", enc("x" + long), "22P02: x" + long[:maxErrorText-2] + "…"},
		{"empty", nil, "malformed ErrorResponse"},
	} {
		if got := errorText(c.body); got != c.want {
			t.Errorf("%s: got %.40q (%d bytes), want %.40q (%d bytes)", c.name, got, len(got), c.want, len(c.want))
		}
	}
}

// A statement counts when its first row reaches the client: a client that
// sends Execute with no Sync or Flush, reads the row the server's full
// buffer let through and leaves, still ran it.
func TestStatementCountsAtItsFirstRow(t *testing.T) {
	s, tr := newScript(t)
	s.client(&pgproto3.Parse{Query: "SELECT name FROM users WHERE id = $1"}, &pgproto3.Bind{}, &pgproto3.Execute{})
	s.server(&pgproto3.ParseComplete{}, &pgproto3.BindComplete{}, dataRow)
	stmts, _ := tr.Since(Mark{})
	if len(stmts) != 1 || !stmts[0].Data || stmts[0].SQL != "SELECT name FROM users WHERE id = $1" {
		t.Fatalf("statements %+v after the first row, want the lookup counted", stmts)
	}
	// Its completion, if it comes, completes the same statement.
	s.client(&pgproto3.Sync{})
	s.server(tag("SELECT 1"), &pgproto3.ReadyForQuery{TxStatus: 'I'})
	if stmts, _ := tr.Since(Mark{}); len(stmts) != 1 || stmts[0].Tag != "SELECT 1" || stmts[0].Rows != 1 {
		t.Errorf("statements %+v, want one, completed", stmts)
	}
	// So does a simple Query's statement, at its first row.
	m := tr.Mark()
	s.client(&pgproto3.Query{String: "SELECT name FROM users WHERE id = 1; SELECT 2"})
	s.server(&pgproto3.RowDescription{}, dataRow)
	if n := tr.CountSince(m); n != 1 {
		t.Fatalf("%d statements after the Query's first row, want 1", n)
	}
	s.server(tag("SELECT 1"), &pgproto3.RowDescription{}, dataRow, tag("SELECT 1"), &pgproto3.ReadyForQuery{TxStatus: 'I'})
	if stmts, _ := tr.Since(m); len(stmts) != 2 || stmts[0].Rows != 1 || stmts[1].SQL != "SELECT 2" {
		t.Errorf("statements %+v, want the two of the Query", stmts)
	}
}

// When the server runs more statements of a Query than the proxy read in
// it (the two read the text apart), the rest count as data, whatever the
// proxy took the text for.
func TestStatementsTheProxyDidNotReadCountAsData(t *testing.T) {
	s, tr := newScript(t)
	s.client(&pgproto3.Query{String: "SET application_name = 'a'"})
	s.server(tag("SET"), &pgproto3.ErrorResponse{Severity: "ERROR", Code: "22P02", Message: "invalid input syntax for type integer: \"Ada\""}, &pgproto3.ReadyForQuery{TxStatus: 'I'})
	stmts, _ := tr.Since(Mark{})
	if len(stmts) != 2 || stmts[0].Data || !stmts[1].Data {
		t.Fatalf("statements %+v, want the SET as control and the unread one as data", stmts)
	}
	if p := tr.Problems(Mark{}); len(p) != 1 || !strings.Contains(p[0], "the server ran more statements than the proxy read") {
		t.Errorf("problems %q, want the disagreement said", p)
	}
}

// A portal over a statement the proxy never saw prepared runs SQL the
// proxy cannot read: it counts as data, whatever its tag.
func TestUnknownStatementCountsAsData(t *testing.T) {
	s, tr := newScript(t)
	s.client(&pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "u"}, &pgproto3.Execute{Portal: "p", MaxRows: 1}, &pgproto3.Sync{})
	s.server(&pgproto3.BindComplete{}, dataRow, &pgproto3.PortalSuspended{}, &pgproto3.ReadyForQuery{TxStatus: 'I'})
	stmts, _ := tr.Since(Mark{})
	if len(stmts) != 1 || !stmts[0].Data || stmts[0].Catalog {
		t.Fatalf("statements %+v, want one data statement", stmts)
	}
}

// Undoing what a pipeline's skipped messages did to the prepared
// statements costs the same for each, however long the pipeline: a client
// cannot make the proxy scan its queue once per skipped message.
func TestLongSkippedPipelineIsUndoneInLinearTime(t *testing.T) {
	s, _ := newScript(t)
	const n = 200000
	burst := []pgproto3.FrontendMessage{&pgproto3.Bind{PreparedStatement: "none"}}
	for i := 0; i < n; i++ {
		burst = append(burst, &pgproto3.Parse{Name: "s", Query: "SELECT 1"}, &pgproto3.Bind{PreparedStatement: "s"})
	}
	s.client(append(burst, &pgproto3.Sync{})...)
	start := time.Now()
	s.server(errResp("26000", `prepared statement "none" does not exist`), ready)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("undoing %d skipped messages took %s", 2*n, took)
	}
	if len(s.acc.queue) != 0 {
		t.Errorf("%d messages still waiting", len(s.acc.queue))
	}
}
