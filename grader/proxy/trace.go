package proxy

import (
	"sync"
	"time"
	"unicode/utf8"
)

// Statement is one statement the server ran for a client: one
// CommandComplete, EmptyQueryResponse or ErrorResponse, tied to the Query or
// Execute (or, for an error, the Parse or Bind) that caused it; or one
// fast-path FunctionCall, answered by FunctionCallResponse or
// ErrorResponse. A portal run in pieces is recorded at its first
// PortalSuspended and updated as it goes on (rows, tag, error, duration).
type Statement struct {
	Seq       int    `json:"seq"`        // order of completion (of a suspended portal: of its first piece) across all connections, from 1
	Conn      int    `json:"conn"`       // connection number, from 1
	RoundTrip int    `json:"round_trip"` // the round trip (Trace-wide number) it ran in
	SQL       string `json:"sql"`        // the statement's text as the client sent it
	Tag       string `json:"tag,omitempty"`
	Rows      int64  `json:"rows"`            // DataRows sent to the client
	Error     string `json:"error,omitempty"` // "SQLSTATE: message" when it failed, the message cut at 4 KiB
	Data      bool   `json:"data"`            // a data statement (graded), not control overhead
	// Catalog is set on a SELECT that reads only the system catalogs (a
	// driver's or an ORM's start-up look at the server: see
	// sqlshape.CatalogOnly). It is not Data: overhead, listed apart.
	Catalog  bool `json:"catalog,omitempty"`
	Extended bool `json:"extended"` // sent with the extended protocol
	// Params is a digest of the parameter values the statement was bound
	// with (extended protocol); equal digests mean equal values. Empty for
	// the simple protocol, where the values are in the SQL.
	Params   string        `json:"params,omitempty"`
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration_ns"`
}

// RoundTrip is one client burst that waited for the server: either it held
// at least one Query or Sync and ended with the matching ReadyForQuery, or
// it ended with a Flush after messages the server answers and ended once
// they were all answered. Bursts the client sends before the server has
// answered the previous one (pipelining) belong to the same round trip.
type RoundTrip struct {
	Seq  int `json:"seq"` // numbered in the order round trips began, from 1
	Conn int `json:"conn"`
	// PrepareOnly is set when the round trip executed nothing (Parse,
	// Describe, Sync: a driver preparing a statement).
	PrepareOnly bool          `json:"prepare_only"`
	Start       time.Time     `json:"start"`
	Duration    time.Duration `json:"duration_ns"`
}

// Trace collects what every connection through a proxy did, in order. It is
// safe for concurrent use.
type Trace struct {
	mu         sync.Mutex
	statements []Statement
	roundTrips []RoundTrip
	conns      int
	lastRound  int
	problems   []string
	notices    int   // NoticeResponse messages relayed, all connections
	connNotice []int // the same per connection (index: connection number - 1)
	errorBytes int   // error text kept, all statements
}

// A Trace keeps the text of statements' errors up to maxTraceErrors bytes
// in all (4 KiB each, the account's cut); past it, shortError bytes of
// each, its SQLSTATE and the start of its message. An error can quote a
// Bind parameter, which costs a client no SQL bytes (Config.MaxSQL): a
// flood of such errors would otherwise fill the grader's memory.
const (
	maxTraceErrors = 16 << 20
	shortError     = 256
)

// keepError is msg as the trace keeps it, counted.
func (t *Trace) keepError(msg string) string {
	if t.errorBytes > maxTraceErrors && len(msg) > shortError {
		cut := shortError
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	t.errorBytes += len(msg)
	return msg
}

// Mark is a position in a Trace; Since returns what came after it.
type Mark struct{ statements, roundTrips, problems, notices int }

// Mark returns the current end of the trace.
func (t *Trace) Mark() Mark {
	t.mu.Lock()
	defer t.mu.Unlock()
	return Mark{len(t.statements), len(t.roundTrips), len(t.problems), t.notices}
}

// Since returns copies of the statements and the round trips that ended
// after m.
func (t *Trace) Since(m Mark) ([]Statement, []RoundTrip) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Statement(nil), t.statements[m.statements:]...),
		append([]RoundTrip(nil), t.roundTrips[m.roundTrips:]...)
}

// Cut returns what Since(m) returns and, taken at the same moment, the
// Mark of the trace's end: whatever is recorded later falls after it.
func (t *Trace) Cut(m Mark) ([]Statement, []RoundTrip, Mark) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Statement(nil), t.statements[m.statements:]...),
		append([]RoundTrip(nil), t.roundTrips[m.roundTrips:]...),
		Mark{len(t.statements), len(t.roundTrips), len(t.problems), t.notices}
}

// CountSince returns how many statements were recorded after m.
func (t *Trace) CountSince(m Mark) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.statements) - m.statements
}

// Problems returns protocol anomalies noticed after m (a response the proxy
// could not tie to a request, a malformed message, ...).
func (t *Trace) Problems(m Mark) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.problems[m.problems:]...)
}

// NoticesSince returns how many NoticeResponse messages (NOTICE, WARNING,
// INFO, ... whatever the severity) the server sent on any connection after
// m. A server-side loop (a DO block or a function) does its per-row work
// inside one statement; the notices it raises per row are what shows of it
// on the wire.
func (t *Trace) NoticesSince(m Mark) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.notices - m.notices
}

// Notices returns how many NoticeResponse messages the server sent on
// connection conn (numbered as in Statement.Conn) since it opened.
func (t *Trace) Notices(conn int) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if conn < 1 || conn > len(t.connNotice) {
		return 0
	}
	return t.connNotice[conn-1]
}

// Connections returns how many client connections the proxy has accepted.
func (t *Trace) Connections() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.conns
}

func (t *Trace) newConn() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.conns++
	t.connNotice = append(t.connNotice, 0)
	return t.conns
}

func (t *Trace) addNotice(conn int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.notices++
	if conn >= 1 && conn <= len(t.connNotice) {
		t.connNotice[conn-1]++
	}
}

// addStatement records s and returns its Seq.
func (t *Trace) addStatement(s Statement) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	s.Seq = len(t.statements) + 1
	s.Error = t.keepError(s.Error)
	t.statements = append(t.statements, s)
	return s.Seq
}

// updateStatement changes the statement numbered seq in place: a suspended
// portal that went on. Copies returned by Since earlier keep what it was.
func (t *Trace) updateStatement(seq int, update func(*Statement)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if seq >= 1 && seq <= len(t.statements) {
		s := &t.statements[seq-1]
		before := s.Error
		update(s)
		if s.Error != before {
			s.Error = t.keepError(s.Error)
		}
	}
}

// newRoundTrip reserves the number of a round trip that has just begun.
func (t *Trace) newRoundTrip() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lastRound++
	return t.lastRound
}

// addRoundTrip records a round trip that has ended.
func (t *Trace) addRoundTrip(r RoundTrip) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.roundTrips = append(t.roundTrips, r)
}

func (t *Trace) addProblem(p string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.problems) < 1000 {
		t.problems = append(t.problems, p)
	}
}
