package proxy

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

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

// server takes one message from the server, before it is forwarded. For
// DataRow and other bulky messages body is nil: only the type matters; for
// an ErrorResponse it may be only the head of the message. It returns the
// body of the ErrorResponse to send the client in place of the server's
// (the proxy's refusal of a statement), nil to forward what came.
func (a *account) server(typ byte, body []byte) (replace []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	head := a.head()
	switch typ {
	case 'D': // DataRow
		if head != nil {
			head.rows++
			a.countAtFirstRow(head)
		}
	case 'H', 'd': // CopyOutResponse, CopyData: the rows of a COPY TO STDOUT
		if head != nil {
			a.countAtFirstRow(head)
		}
	case '1': // ParseComplete
		if h := a.pop('P'); h != nil {
			h.changes = nil
		}
	case '2': // BindComplete
		if h := a.pop('B'); h != nil {
			h.unknown = h.undos != a.undos
			// Binding a portal drops the one of that name, even suspended.
			delete(a.suspended, h.name)
		}
	case '3': // CloseComplete
		if h := a.pop('C'); h != nil && h.target == 'P' {
			delete(a.suspended, h.name)
		}
	case 'n': // NoData
		a.pop('D')
	case 'T': // RowDescription: the answer to a Describe, or the head of a Query's rows
		if head != nil && head.kind == 'D' {
			a.pop('D')
		}
	case 'C', 'I': // CommandComplete, EmptyQueryResponse
		tag := ""
		if typ == 'C' {
			tag = cstring(body)
		}
		a.complete(head, tag, "")
	case 'V': // FunctionCallResponse
		a.complete(head, "", "")
	case 's': // PortalSuspended
		if head == nil || head.kind != 'E' {
			a.problem("PortalSuspended without an Execute")
			break
		}
		// The portal has sent rows: it counts now, whether or not it is
		// ever continued, closed or committed.
		a.queue = a.queue[1:]
		a.continues(head)
		a.suspended[head.name] = head
		a.executed = true
		a.record(head, head.sql, "", "")
	case 'N': // NoticeResponse
		a.trace.addNotice(a.conn)
	case 'G': // CopyInResponse
		a.copyIn(head)
	case 'E':
		if head != nil && head.refused != nil && strings.HasPrefix(errorText(body), "42601:") {
			// The server's syntax error at refusedSQL: the client gets
			// the proxy's refusal.
			body, replace = head.refused, head.refused
		}
		a.fail(head, body)
	case 'Z':
		status := byte('I')
		if len(body) > 0 {
			status = body[0]
		}
		a.ready(status)
	}
	a.endFlushRound()
	return replace
}

func (a *account) head() *op {
	if len(a.queue) == 0 {
		return nil
	}
	return a.queue[0]
}

// pop removes and returns the head of the queue, which must be of the
// given kind.
func (a *account) pop(kind byte) *op {
	h := a.head()
	if h == nil || h.kind != kind {
		a.problem(fmt.Sprintf("server answered %q with nothing of that kind waiting", kind))
		return nil
	}
	a.queue = a.queue[1:]
	return h
}

// complete records a statement that ended with CommandComplete or
// EmptyQueryResponse (errMsg empty) or ErrorResponse, or a FunctionCall
// answered.
func (a *account) complete(head *op, tag, errMsg string) {
	if head == nil || (head.kind != 'Q' && head.kind != 'E' && head.kind != 'F') {
		a.problem("a statement completed with no Query, Execute or FunctionCall waiting")
		return
	}
	a.copying = false
	sql := head.sql
	switch head.kind {
	case 'Q':
		if head.next < len(head.stmts) {
			sql = head.stmts[head.next]
		} else {
			// The server ran more statements than the proxy read in the
			// query: the two read the text apart. What the proxy did not
			// see counts as data.
			q := head.sql
			if len(q) > 200 {
				q = q[:200] + "…"
			}
			a.problem(fmt.Sprintf("the server ran more statements than the proxy read in %q", q))
			head.unsplit = true
		}
		head.next++
	case 'F':
		if head.next > 0 {
			a.problem("a FunctionCall answered twice")
			return
		}
		head.next++ // it waits in line for its ReadyForQuery
	case 'E':
		a.continues(head)
		delete(a.suspended, head.name)
		a.queue = a.queue[1:]
	}
	a.executed = true
	end := a.record(head, sql, tag, errMsg)
	if head.kind == 'Q' {
		head.start = end // the next statement of the query starts now
		head.rows = 0
		head.seq = 0
	}
}

// countAtFirstRow records the statement o is running when its first row
// reaches the client: a client that reads the rows it wants and leaves
// before the server completes the statement (never sending the Sync or
// Flush that would bring its CommandComplete) has still run it. Its
// completion updates the record.
func (a *account) countAtFirstRow(o *op) {
	if o.seq != 0 || (o.kind != 'Q' && o.kind != 'E') {
		return
	}
	sql := o.sql
	if o.kind == 'Q' {
		if o.next >= len(o.stmts) {
			return // complete will say the split disagreed
		}
		sql = o.stmts[o.next]
	} else if prior := a.suspended[o.name]; prior != nil && prior != o {
		return // a suspended portal's next piece: recorded already
	}
	a.executed = true
	a.record(o, sql, "", "")
}

// continues makes o, an Execute, the continuation of the portal of that
// name if it was suspended: its statement, start and rows so far.
func (a *account) continues(o *op) {
	if prior := a.suspended[o.name]; prior != nil && prior != o {
		o.seq, o.start, o.round = prior.seq, prior.start, prior.round
		o.rows += prior.rows
	}
}

// record records the statement o ran, or, for a portal recorded at its
// first PortalSuspended, updates it. It returns the time it ends.
func (a *account) record(o *op, sql, tag, errMsg string) time.Time {
	end := a.now()
	unknown := o.unknown || o.bound != nil && (o.bound.unrun || o.bound.unknown)
	data := o.kind == 'F' || o.unsplit || unknown || sqlshape.IsData(tag, sql)
	catalog := data && o.kind != 'F' && !unknown && !o.unsplit && sqlshape.CatalogOnly(sql)
	s := Statement{
		Conn:      a.conn,
		RoundTrip: o.round,
		SQL:       sql,
		Tag:       tag,
		Rows:      o.rows,
		Error:     errMsg,
		Data:      data && !catalog,
		Catalog:   catalog,
		Extended:  o.kind == 'E',
		Params:    o.params,
		Start:     o.start,
		Duration:  end.Sub(o.start),
	}
	if n, ok := copyRows(tag); ok {
		s.Rows = n
	}
	if o.seq != 0 {
		a.trace.updateStatement(o.seq, func(old *Statement) {
			s.Seq = old.Seq
			*old = s
		})
		return end
	}
	seq := a.trace.addStatement(s)
	if o.kind == 'E' || o.kind == 'Q' {
		o.seq = seq // a Query's, until its statement completes
	}
	return end
}

// fail handles an ErrorResponse: the statement it ends is recorded as
// failed; in the extended protocol the server then skips everything up to
// the next Sync, a Query or FunctionCall too: no ReadyForQuery answers
// those.
func (a *account) fail(head *op, body []byte) {
	msg := errorText(body)
	if head == nil {
		a.problem("server error outside any request: " + msg)
		return
	}
	switch head.kind {
	case 'Q':
		a.rollback(head, head.next) // the statements before the failed one ran
		a.complete(head, "", msg)   // the rest of its statements never run
		return
	case 'E':
		a.rollback(head, 0)
		a.complete(head, "", msg)
	case 'P', 'B', 'D':
		a.rollback(head, 0)
		// The statement was meant to run but failed before it could: it
		// counts as a failed statement, as the client saw it fail.
		a.queue = a.queue[1:]
		a.executed = true
		a.record(&op{kind: 'E', params: head.params, start: head.start, round: head.round}, head.sql, "", msg)
	case 'F':
		// A function call that failed: a statement; ReadyForQuery follows.
		a.complete(head, "", msg)
		return
	case 'S':
		// A failed implicit COMMIT at Sync: no statement of the client's
		// ends here.
		a.problem("error at Sync: " + msg)
		return
	default:
		a.rollback(head, 0)
		a.queue = a.queue[1:]
	}
	for len(a.queue) > 0 && a.queue[0].kind != 'S' {
		a.skip(a.queue[0])
		a.queue = a.queue[1:]
	}
	a.skipping = len(a.queue) == 0 // the client has not sent its Sync yet
}

// copyIn follows the server into COPY FROM STDIN for head: up to the
// client's next CopyDone or CopyFail, it takes what the client sends as
// part of the COPY. What the client sent already is taken out of line.
func (a *account) copyIn(head *op) {
	if head == nil {
		a.problem("CopyInResponse with no request waiting")
		return
	}
	for len(a.queue) > 1 && a.queue[1].ends == head.ends {
		o := a.queue[1]
		a.queue = append(a.queue[:1], a.queue[2:]...)
		a.skip(o)
		if o.kind != 'S' {
			return // the server fails the COPY on it
		}
	}
	a.copying = a.copyEnds == head.ends
}

// skip forgets o, taken out of line: the server will not answer it.
func (a *account) skip(o *op) {
	a.rollback(o, 0)
	if o.kind != 'Q' && o.kind != 'S' && o.kind != 'F' {
		return
	}
	if o.sent.IsZero() {
		a.burstSyncs-- // not forwarded yet: the burst waits for one less
	} else {
		a.outstanding--
	}
}

// ready handles ReadyForQuery: it answers the oldest Query, Sync or
// FunctionCall; anything still ahead of it was skipped by the server. When
// the transaction is over, its portals are gone.
func (a *account) ready(status byte) {
	for len(a.queue) > 0 {
		o := a.queue[0]
		a.queue = a.queue[1:]
		if o.kind == 'Q' || o.kind == 'S' || o.kind == 'F' {
			break
		}
		a.rollback(o, 0) // skipped by the server
	}
	if status != 'T' {
		clear(a.suspended)
	}
	if a.outstanding == 0 {
		a.problem("ReadyForQuery with no request waiting")
		return
	}
	a.outstanding--
	if a.outstanding == 0 && a.round != 0 {
		a.endRound()
	}
}

// endFlushRound ends a round trip begun by a Flush once the server has
// answered everything the client sent.
func (a *account) endFlushRound() {
	if a.round != 0 && a.outstanding == 0 && len(a.queue) == 0 && len(a.burst) == 0 {
		a.endRound()
	}
}

func (a *account) endRound() {
	a.trace.addRoundTrip(RoundTrip{
		Seq:         a.round,
		Conn:        a.conn,
		PrepareOnly: !a.executed,
		Start:       a.roundStart,
		Duration:    a.now().Sub(a.roundStart),
	})
	a.round = 0
}

// refuse records that the proxy ends the connection over a client message
// of n bytes it will not hold, and prepares the FATAL error that tells the
// client (farewell).
func (a *account) refuse(typ byte, n int) {
	limit := "16 MiB of a Query, Parse, Execute, Describe or Close, or of a Bind's names"
	if n > maxMessage {
		limit = "1 GiB of any message, as PostgreSQL does"
	}
	msg := fmt.Sprintf("the grader's proxy refused a %s message of %d bytes: it reads at most %s", messageName(typ), n, limit)
	a.problem(msg)
	b, _ := (&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: "54000", Message: msg}).Encode(nil)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.goodbye = b
}

// refuseSQL notes that the proxy ends the connection because its clients
// sent more SQL than it keeps (Config.MaxSQL).
func (a *account) refuseSQL(limit int64) {
	msg := fmt.Sprintf("the grader's proxy ended the connection: its clients sent more than %d bytes of Query and Parse messages in all, more than any grade needs", limit)
	a.problem(msg)
	b, _ := (&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: "54000", Message: msg}).Encode(nil)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.goodbye = b
}

// farewell returns the FATAL error to send the client before closing, if
// the proxy refused a message of its (nil otherwise).
func (a *account) farewell() []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.goodbye
}

// messageNames name the client messages that can be large.
var messageNames = map[byte]string{
	'Q': "Query", 'P': "Parse", 'B': "Bind", 'E': "Execute", 'D': "Describe",
	'C': "Close", 'F': "FunctionCall", 'd': "CopyData", 'f': "CopyFail",
}

func messageName(typ byte) string {
	if name, ok := messageNames[typ]; ok {
		return name
	}
	return fmt.Sprintf("%q", typ)
}

func (a *account) problem(p string) {
	a.trace.addProblem(fmt.Sprintf("conn %d: %s", a.conn, p))
}

// maxErrorText is the most of an error message a Statement keeps.
const maxErrorText = 4 << 10

// errorText returns "SQLSTATE: message" from an ErrorResponse body, or from
// its head when the rest streamed through, the message cut at
// maxErrorText bytes.
func errorText(body []byte) string {
	var code, msg []byte
	for len(body) > 0 && body[0] != 0 {
		field, value := body[0], body[1:]
		end := bytes.IndexByte(value, 0)
		if end < 0 {
			end = len(value) // cut off by the relay
		}
		switch field {
		case 'C':
			code = value[:end]
		case 'M':
			msg = value[:end]
		}
		body = value[min(end+1, len(value)):]
	}
	if code == nil && msg == nil {
		return "malformed ErrorResponse"
	}
	if len(msg) <= maxErrorText {
		return string(code) + ": " + string(msg)
	}
	cut := maxErrorText
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return string(code) + ": " + string(msg[:cut]) + "…"
}

// copyRows reads the row count of a COPY command tag ("COPY 42").
func copyRows(tag string) (int64, bool) {
	rest, ok := strings.CutPrefix(tag, "COPY ")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	return n, err == nil
}

// cstring returns the NUL-terminated string at the start of b.
func cstring(b []byte) string {
	s, _ := splitCString(b)
	return s
}

func splitCString(b []byte) (string, []byte) {
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return string(b), nil
	}
	return string(b[:i]), b[i+1:]
}
