package proxy

import (
	"fmt"
	"strings"
	"time"

	"github.com/nplus1/nplus1/grader/sqlshape"
)

// The server's side of a connection's accounting: each answer tied to the
// client message it answers (the FIFO of ops), statements recorded as
// they complete, fail or are skipped, and round trips ended at
// ReadyForQuery. The client's side is account.go.

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
