package proxy

import (
	"bytes"
	"fmt"
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
	kind  byte     // 'Q', 'P', 'B', 'D', 'E', 'C', 'S' or 'F'
	sql   string   // Q: the query string; P: the statement; B, D, E: the SQL behind the portal
	stmts []string // Q: the statements the query holds
	next  int      // Q: index of the statement the next response belongs to
	name  string   // P: statement name; B, E: portal name
	prev  *string  // P: the SQL the name held before, restored if the Parse fails
	sent  time.Time
	round int
	rows  int64
}

// account ties the messages of one connection together into statements and
// round trips and records them in a Trace. The client side calls client and
// sent; the server side calls server. It never blocks on I/O.
type account struct {
	trace *Trace
	conn  int
	now   func() time.Time

	mu         sync.Mutex
	queue      []*op
	statements map[string]string // prepared statement name -> SQL
	portals    map[string]string // portal name -> SQL
	suspended  map[string]*op    // portal -> the Execute that stopped at PortalSuspended

	burst       []*op // ops of the client burst not yet forwarded
	burstSyncs  int   // Query, Sync and FunctionCall messages in that burst
	outstanding int   // those forwarded and not yet answered by ReadyForQuery
	round       int   // the round trip under way (0: none)
	roundStart  time.Time
	executed    bool // the round trip under way ran a statement
}

func newAccount(t *Trace, conn int) *account {
	return &account{
		trace:      t,
		conn:       conn,
		now:        time.Now,
		statements: map[string]string{},
		portals:    map[string]string{},
		suspended:  map[string]*op{},
	}
}

// client takes one message from the client, before it is forwarded. body is
// only read during the call.
func (a *account) client(typ byte, body []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var o *op
	switch typ {
	case 'Q':
		sql := cstring(body)
		o = &op{kind: 'Q', sql: sql, stmts: sqlshape.Split(sql)}
		a.burstSyncs++
	case 'P':
		var m pgproto3.Parse
		if m.Decode(body) != nil {
			a.problem("malformed Parse from the client")
			return
		}
		o = &op{kind: 'P', sql: m.Query, name: m.Name}
		if prev, ok := a.statements[m.Name]; ok {
			o.prev = &prev
		}
		a.statements[m.Name] = m.Query
	case 'B':
		portal, rest := splitCString(body)
		stmt, _ := splitCString(rest)
		a.portals[portal] = a.statements[stmt]
		o = &op{kind: 'B', sql: a.portals[portal], name: portal}
	case 'E':
		portal, _ := splitCString(body)
		o = &op{kind: 'E', sql: a.portals[portal], name: portal}
	case 'D':
		if len(body) == 0 {
			a.problem("malformed Describe from the client")
			return
		}
		name := cstring(body[1:])
		sql := a.portals[name]
		if body[0] == 'S' {
			sql = a.statements[name]
		}
		o = &op{kind: 'D', sql: sql}
	case 'C':
		if len(body) == 0 {
			a.problem("malformed Close from the client")
			return
		}
		name := cstring(body[1:])
		if body[0] == 'S' {
			delete(a.statements, name)
		} else {
			delete(a.portals, name)
		}
		o = &op{kind: 'C'}
	case 'S', 'F':
		o = &op{kind: typ}
		a.burstSyncs++
	default:
		return // Flush, Terminate, COPY data: the server does not answer them one by one
	}
	a.queue = append(a.queue, o)
	a.burst = append(a.burst, o)
}

// startsRoundTrip reports whether forwarding the current burst begins a new
// round trip: it waits for the server and nothing earlier is still waiting.
func (a *account) startsRoundTrip() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.burstSyncs > 0 && a.outstanding == 0
}

// sent records that the current burst has been forwarded at time at.
func (a *account) sent(at time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.burstSyncs > 0 && a.outstanding == 0 {
		a.round = a.trace.newRoundTrip()
		a.roundStart = at
		a.executed = false
	}
	a.outstanding += a.burstSyncs
	for _, o := range a.burst {
		o.sent, o.round = at, a.round
	}
	a.burst, a.burstSyncs = a.burst[:0], 0
}

// server takes one message from the server, before it is forwarded. For
// DataRow and other bulky messages body is nil: only the type matters.
func (a *account) server(typ byte, body []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	head := a.head()
	switch typ {
	case 'D': // DataRow
		if head != nil {
			head.rows++
		}
	case '1':
		a.pop('P')
	case '2':
		a.pop('B')
	case '3':
		a.pop('C')
	case 'n':
		a.pop('D')
	case 'T':
		if head != nil && head.kind == 'D' {
			a.pop('D')
		}
	case 'C', 'I':
		tag := ""
		if typ == 'C' {
			tag = cstring(body)
		}
		a.complete(head, tag, "")
	case 's': // PortalSuspended
		if head != nil && head.kind == 'E' {
			a.suspended[head.name] = head
			a.queue = a.queue[1:]
		} else {
			a.problem("PortalSuspended without an Execute")
		}
	case 'E':
		a.fail(head, body)
	case 'Z':
		a.ready()
	}
}

func (a *account) head() *op {
	if len(a.queue) == 0 {
		return nil
	}
	return a.queue[0]
}

// pop removes the head of the queue, which must be of the given kind.
func (a *account) pop(kind byte) {
	if h := a.head(); h == nil || h.kind != kind {
		a.problem(fmt.Sprintf("server answered %q with nothing of that kind waiting", kind))
		return
	}
	a.queue = a.queue[1:]
}

// complete records a statement that ended with CommandComplete or
// EmptyQueryResponse (errMsg empty) or ErrorResponse.
func (a *account) complete(head *op, tag, errMsg string) {
	if head == nil || (head.kind != 'Q' && head.kind != 'E') {
		a.problem("a statement completed with no Query or Execute waiting")
		return
	}
	sql := head.sql
	start := head.sent
	rows := head.rows
	if head.kind == 'Q' {
		if head.next < len(head.stmts) {
			sql = head.stmts[head.next]
		}
		head.next++
		head.rows = 0
	} else {
		if prior, ok := a.suspended[head.name]; ok {
			start = prior.sent
			rows += prior.rows
			delete(a.suspended, head.name)
		}
		a.queue = a.queue[1:]
	}
	if n, ok := copyRows(tag); ok {
		rows = n
	}
	end := a.now()
	a.executed = true
	a.trace.addStatement(Statement{
		Conn:      a.conn,
		RoundTrip: head.round,
		SQL:       sql,
		Tag:       tag,
		Rows:      rows,
		Error:     errMsg,
		Data:      sqlshape.IsData(tag, sql),
		Extended:  head.kind == 'E',
		Start:     start,
		Duration:  end.Sub(start),
	})
}

// fail handles an ErrorResponse: the statement it ends is recorded as
// failed; in the extended protocol the server then skips everything up to
// the next Sync.
func (a *account) fail(head *op, body []byte) {
	var m pgproto3.ErrorResponse
	msg := "malformed ErrorResponse"
	if m.Decode(body) == nil {
		msg = m.Code + ": " + m.Message
	}
	if head == nil {
		a.problem("server error outside any request: " + msg)
		return
	}
	switch head.kind {
	case 'Q':
		a.complete(head, "", msg) // the rest of its statements never run
		return
	case 'E':
		a.complete(head, "", msg)
	case 'P', 'B', 'D':
		if head.kind == 'P' {
			if head.prev != nil {
				a.statements[head.name] = *head.prev
			} else {
				delete(a.statements, head.name)
			}
		}
		// The statement was meant to run but failed before it could: it
		// counts as a failed statement, as the client saw it fail.
		a.queue[0] = &op{kind: 'E', sql: head.sql, sent: head.sent, round: head.round}
		a.complete(a.queue[0], "", msg)
	case 'S', 'F':
		a.problem("error at Sync: " + msg)
		return
	default:
		a.queue = a.queue[1:]
	}
	for len(a.queue) > 0 && a.queue[0].kind != 'S' {
		a.queue = a.queue[1:]
	}
}

// ready handles ReadyForQuery: it answers the oldest Query, Sync or
// FunctionCall; anything still ahead of it was skipped by the server.
func (a *account) ready() {
	for len(a.queue) > 0 {
		o := a.queue[0]
		a.queue = a.queue[1:]
		if o.kind == 'Q' || o.kind == 'S' || o.kind == 'F' {
			break
		}
	}
	if a.outstanding == 0 {
		a.problem("ReadyForQuery with no request waiting")
		return
	}
	a.outstanding--
	if a.outstanding == 0 && a.round != 0 {
		a.trace.addRoundTrip(RoundTrip{
			Seq:         a.round,
			Conn:        a.conn,
			PrepareOnly: !a.executed,
			Start:       a.roundStart,
			Duration:    a.now().Sub(a.roundStart),
		})
		a.round = 0
	}
}

func (a *account) problem(p string) {
	a.trace.addProblem(fmt.Sprintf("conn %d: %s", a.conn, p))
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
