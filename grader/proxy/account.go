package proxy

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/nplus1/nplus1/grader/sqlshape"
)

// op is a client message the server will answer, waiting in line for that
// answer. The server answers in the order the client sent, so a FIFO of ops
// ties every response to its request.
type op struct {
	kind   byte     // 'Q', 'P', 'B', 'D', 'E', 'C', 'S' or 'F'
	sql    string   // Q: the query string; P: the statement; B, D, E: the SQL behind the portal; F: the function's oid
	stmts  []string // Q: the statements the query holds
	next   int      // Q: index of the statement the next response belongs to; F: 1 once answered
	name   string   // P: statement name; B, E: portal name; C: what is closed
	target byte     // C: 'S' (statement) or 'P' (portal)
	params string   // B, E: digest of the Bind's parameter values; F: of the arguments ("": not known)
	// changes: what a Parse, Close, DEALLOCATE or DISCARD did to the
	// prepared statements when the client sent it, for rollback.
	changes []change
	sent    time.Time
	// start is when the statement under way began: when the op was sent,
	// or for the second statement of a Query, when the first completed.
	start time.Time
	round int
	rows  int64
	// seq is the statement already recorded, to update: E: at the
	// portal's first row or PortalSuspended; Q: at the first row of the
	// statement under way.
	seq  int
	ends int // the CopyDone and CopyFail messages the client sent before it
	// unsplit: the server ran more statements of this Query than the
	// proxy read in it; the rest count as data.
	unsplit bool
	// unknown: E: an Execute of a portal or statement the proxy never saw
	// prepared: it counts as data. B: the proxy undid what an op sent
	// before it did to the statements (see rollback) while it waited: it
	// may bind another text than the proxy read, and an Execute of its
	// portal counts as data.
	unknown bool
	// undos: B: account.undos when the client sent it.
	undos int
	// bound: E: the Bind that made its portal, if the proxy saw one.
	bound *op
	// unrun: B: the server refused or skipped it, and kept whatever
	// portal of that name it had (a named portal cannot be bound over,
	// and one made before a savepoint outlives an error after it): an
	// Execute of the portal counts as data, what it runs unknown.
	unrun bool
	// refused is the proxy's ErrorResponse body for a Query or Parse it
	// refused (refusedSQL went in its place): the client gets it instead
	// of the server's error.
	refused []byte
}

// portal is what a portal runs.
type portal struct {
	sql, params string
	// unknown: the portal binds a statement the proxy never saw prepared
	// (SQL PREPARE is refused, but a name can still slip by): what it runs
	// counts as data, as the proxy cannot tell it is not.
	unknown bool
	bind    *op // the Bind that made it
}

// account ties the messages of one connection together into statements and
// round trips and records them in a Trace. The client side calls client and
// sent; the server side calls server. It never blocks on I/O and never
// panics on malformed input: what it cannot make sense of becomes a
// problem in the Trace.
//
// Per connection it keeps prepared statement name -> SQL and portal ->
// statement, as the client defines them: the client names a statement's
// text only in its Parse, and later Binds name the statement.
type account struct {
	trace *Trace
	conn  int
	now   func() time.Time

	mu         sync.Mutex
	queue      []*op
	statements map[string]string // prepared statement name -> SQL ("" is the unnamed statement)
	portals    map[string]portal // portal name -> what it runs
	suspended  map[string]*op    // portal -> the Execute that stopped at PortalSuspended, recorded already

	burst       []*op // ops of the client burst not yet forwarded
	burstSyncs  int   // Query, Sync and FunctionCall messages in that burst
	burstFlush  bool  // the burst holds a Flush: the client waits for answers
	outstanding int   // Query, Sync and FunctionCall forwarded and not yet answered by ReadyForQuery
	round       int   // the round trip under way (0: none)
	roundStart  time.Time
	executed    bool // the round trip under way ran a statement
	copyEnds    int  // CopyDone and CopyFail messages the client sent
	copying     bool // the server is in COPY FROM STDIN, taking what the client sends
	skipping    bool // the server skips what the client sends up to its next Sync, not sent yet
	undos       int  // changes to the statements rollback undid

	goodbye []byte // the FATAL error for the client when the proxy refused a message
}

// paramSeed keys the digests of Bind parameters: they are compared within
// one process only.
var paramSeed = maphash.MakeSeed()

func newAccount(t *Trace, conn int) *account {
	return &account{
		trace:      t,
		conn:       conn,
		now:        time.Now,
		statements: map[string]string{},
		portals:    map[string]portal{},
		suspended:  map[string]*op{},
	}
}

// client takes one message from the client, before it is forwarded. body is
// only read during the call. whole is false when body is only the head of
// a message too large to hold (a Bind's names, a FunctionCall's oid), or
// nil for a message the accounting does not read (CopyData, ...).
//
// It returns the body to forward in place of a Query or Parse that would
// raise the role's bounds (refusedSetting), nil to forward the message as
// it came.
func (a *account) client(typ byte, body []byte, whole bool) (replace []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.copying {
		// The server takes this message as part of a COPY FROM STDIN: it
		// ignores Sync and Flush there, and fails the COPY on anything
		// but data or its end.
		switch typ {
		case 'd', 'S', 'H':
		case 'c', 'f':
			a.copying = false
			a.copyEnds++
		default:
			a.copying = false
		}
		return
	}
	if a.skipping && typ != 'S' {
		// After an error in the extended protocol the server skips
		// every message up to Sync and answers none: what the client
		// sent after the proxy saw the error waits for no answer. (Had
		// it waited, the Sync's ReadyForQuery would answer it, and every
		// answer after it be tied to the message before.)
		return
	}
	var o *op
	switch typ {
	case 'Q':
		sql := cstring(body)
		stmts := sqlshape.Split(sql)
		if len(stmts) == 1 && stmts[0] == "" {
			stmts[0] = strings.TrimSpace(sql) // "-- ping": keep what the client sent
		}
		o = &op{kind: 'Q', sql: sql, stmts: stmts}
		for _, s := range stmts {
			if setting := refusedIn(s); setting != "" {
				// None of the query runs: the refused statement is the
				// one that fails.
				o.stmts, o.refused = []string{s}, refusal(setting)
				replace = append([]byte(refusedSQL), 0)
				break
			}
		}
		if o.refused == nil {
			for i, s := range stmts {
				a.sessionEffects(o, s, i)
			}
		}
		a.burstSyncs++
	case 'P':
		var m pgproto3.Parse
		if m.Decode(body) != nil {
			// The server answers it all the same (with an error): it
			// keeps its place in line, or every later answer would be
			// tied to the message before it.
			a.problem("malformed Parse from the client")
			o = &op{kind: 'P'}
			break
		}
		o = &op{kind: 'P', sql: m.Query, name: m.Name}
		a.change(o, m.Name, 0)
		a.statements[m.Name] = m.Query
		if setting := refusedSetting(m.Query); setting != "" {
			o.refused = refusal(setting)
			replace, _ = (&pgproto3.Parse{Name: m.Name, Query: refusedSQL}).Encode(nil)
			replace = replace[5:]
		}
	case 'B':
		name, rest := splitCString(body)
		stmt, rest := splitCString(rest)
		params := "" // a Bind streamed through: its values are not known
		if whole {
			params = digest(rest)
		}
		sql, known := a.statements[stmt]
		o = &op{kind: 'B', sql: sql, name: name, params: params, undos: a.undos}
		a.portals[name] = portal{sql: sql, params: params, unknown: !known, bind: o}
	case 'E':
		name := cstring(body)
		p, known := a.portals[name]
		o = &op{kind: 'E', sql: p.sql, name: name, params: p.params, unknown: p.unknown || !known, bound: p.bind}
		a.sessionEffects(o, p.sql, 0)
	case 'D':
		if len(body) == 0 {
			a.problem("malformed Describe from the client")
			o = &op{kind: 'D'} // answered all the same, as a malformed Parse
			break
		}
		name := cstring(body[1:])
		sql := a.portals[name].sql
		if body[0] == 'S' {
			sql = a.statements[name]
		}
		o = &op{kind: 'D', sql: sql}
	case 'C':
		if len(body) == 0 {
			a.problem("malformed Close from the client")
			o = &op{kind: 'C'} // answered all the same, as a malformed Parse
			break
		}
		o = &op{kind: 'C', target: body[0], name: cstring(body[1:])}
		if body[0] == 'S' {
			a.change(o, o.name, 0)
			delete(a.statements, o.name)
		} else {
			delete(a.portals, o.name)
		}
	case 'F':
		// A fast-path function call: a statement with no SQL text, named
		// by the function's oid (quoted so that shapes keep oids apart).
		var oid uint32
		if len(body) >= 4 {
			oid = binary.BigEndian.Uint32(body)
		} else {
			a.problem("malformed FunctionCall from the client")
		}
		o = &op{kind: 'F', sql: fmt.Sprintf(`FunctionCall "oid %d"`, oid)}
		if whole && len(body) >= 4 {
			o.params = digest(body[4:])
		}
		a.burstSyncs++
	case 'S':
		o = &op{kind: 'S'}
		a.skipping = false
		a.burstSyncs++
	case 'H':
		a.burstFlush = true
		return
	case 'c', 'f':
		a.copyEnds++ // sent before the server is in COPY, or outside any
		return
	default:
		return // Terminate, COPY data: the server does not answer them one by one
	}
	o.ends = a.copyEnds
	a.queue = append(a.queue, o)
	a.burst = append(a.burst, o)
	return replace
}

// sessionEffects applies what a statement run by a Query or an Execute
// does to the session's prepared statements, as the client sends it (later
// messages of the same burst see the change; see rollback for when the
// server refuses it). DEALLOCATE ALL and DISCARD ALL drop the named
// statements, not the unnamed one.
func (a *account) sessionEffects(o *op, sql string, i int) {
	name, all, ok := sqlshape.Deallocated(sql)
	switch {
	case ok && !all:
		a.change(o, name, i)
		delete(a.statements, name)
	case ok && all, sqlshape.DiscardsAll(sql):
		for n := range a.statements {
			if n != "" {
				a.change(o, n, i)
				delete(a.statements, n)
			}
		}
	}
}

// change is a prepared statement name an op changed when the client sent
// it.
type change struct {
	name string
	prev *string // what the name held before (nil: nothing)
	stmt int     // Q: the index of the statement that changed it
}

// change notes that o (its statement i, for a Query) changes the
// statement name.
func (a *account) change(o *op, name string, i int) {
	c := change{name: name, stmt: i}
	if prev, ok := a.statements[name]; ok {
		c.prev = &prev
	}
	o.changes = append(o.changes, c)
}

// rollback handles o refused or skipped by the server, after its first
// ran statements (a Query's that completed before its error): a Bind is
// unrun, and what the rest of o did to the prepared statements is undone.
// A name goes back to what it held before o only when no op was sent
// since (still waiting in line): one may have changed it again, and then
// what the server holds under it is not known. The proxy forgets such a
// name, and a Bind of it then counts as data (portal.unknown), rather than
// as a text the proxy may name wrongly: a read passing for a catalog one.
// A Bind sent before the undo counts as data too (see BindComplete).
func (a *account) rollback(o *op, ran int) {
	if o.kind == 'B' {
		o.unrun = true
	}
	since := len(a.queue) > 1 || len(a.queue) == 1 && a.queue[0] != o
	for i := len(o.changes) - 1; i >= 0; i-- {
		c := o.changes[i]
		if c.stmt < ran {
			continue // its statement ran: the change holds
		}
		a.undos++
		if since || c.prev == nil {
			delete(a.statements, c.name)
		} else {
			a.statements[c.name] = *c.prev
		}
	}
	o.changes = nil
}

// digest is a short digest of Bind parameter values.
func digest(b []byte) string {
	return strconv.FormatUint(maphash.Bytes(paramSeed, b), 16)
}

// startsRoundTrip reports whether forwarding the current burst begins a new
// round trip: it waits for the server (it holds a Query or Sync, or a
// Flush after messages the server answers) and nothing earlier is still
// waiting.
func (a *account) startsRoundTrip() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.waits() && a.round == 0
}

func (a *account) waits() bool {
	return a.burstSyncs > 0 || (a.burstFlush && len(a.queue) > 0)
}

// sent records that the current burst has been forwarded at time at.
func (a *account) sent(at time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.waits() && a.round == 0 {
		a.round = a.trace.newRoundTrip()
		a.roundStart = at
		a.executed = false
		for _, o := range a.queue {
			if o.round == 0 { // sent earlier without waiting for an answer
				o.round = a.round
			}
		}
	}
	a.outstanding += a.burstSyncs
	for _, o := range a.burst {
		o.sent, o.start, o.round = at, at, a.round
	}
	a.burst, a.burstSyncs, a.burstFlush = a.burst[:0], 0, false
}
