package grader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/nplus1/nplus1/grader/check"
	"github.com/nplus1/nplus1/grader/proxy"
)

// requestStats is what one request cost.
type requestStats struct {
	data, control, roundTrips, prepareOnly int
	catalog                                int // statements that read only the system catalogs
	notices                                int // NoticeResponses the server sent
	newConns                               int // database connections opened
	start                                  time.Time
	elapsed                                time.Duration
	statements                             []proxy.Statement
}

// send sends n requests one after another. A request that gets no answer
// is the learner's failure: it is recorded under the check named
// failCheck, and ok is false.
// When stop is not nil it is asked after each request whether to send no
// more.
func (g *grade) send(ctx context.Context, t *target, n int, failCheck string, stop func([]requestStats) bool) (responses []check.Response, stats []requestStats, ok bool) {
	client := t.client
	overTime := func(i int) {
		g.fail(failCheck, fmt.Sprintf("request %d: the solution's requests took more than %s in all; the grader stopped it", i+1, t.budget), t.proc.Output())
	}
	for i := 0; i < n; i++ {
		if ctx.Err() != nil {
			return nil, nil, false
		}
		var left time.Duration // 0: no limit
		if t.budget > 0 {
			if left = t.budget - t.spent; left <= 0 {
				overTime(i)
				return nil, nil, false
			}
		}
		mark, conns := t.trace.Mark(), t.trace.Connections()
		if t.after != nil {
			mark = *t.after // what ran since the last request counts with this one
		}
		req, err := http.NewRequestWithContext(ctx, g.ch.Endpoint.Method, t.url, nil)
		if err != nil {
			g.machineError(err)
			return nil, nil, false
		}
		t0 := time.Now()
		resp, err := g.do(client, req, t.trace, mark, left)
		elapsed := time.Since(t0)
		t.spent += elapsed
		if errors.Is(err, errTooManyStatements) {
			g.fail("statements", fmt.Sprintf("request %d ran more than %d statements; the grader stopped it", i+1, g.maxStatements()), t.proc.Output())
			return nil, nil, false
		}
		if errors.Is(err, errSolutionTimeout) {
			overTime(i)
			return nil, nil, false
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, false
			}
			if g.databaseDown(ctx) {
				return nil, nil, false
			}
			msg := fmt.Sprintf("request %d: %v", i+1, requestError(err))
			if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
				msg = fmt.Sprintf("request %d: no answer within %s (--request-timeout)", i+1, g.opts.RequestTimeout)
			}
			// A program that crashed mid-request closes the connection a
			// moment before it is reaped: give it that moment.
			select {
			case <-t.proc.Done():
			case <-time.After(time.Second):
			}
			if exited, exitErr := t.proc.Exited(); exited {
				msg = fmt.Sprintf("request %d: the solution exited (%v)", i+1, exitErr)
			} else if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
				msg = fmt.Sprintf("request %d: the solution closed the connection before its answer was complete (did the handler panic?)", i+1) + panicNote(t.proc.Output())
			}
			g.fail(failCheck, msg, t.proc.Output())
			return nil, nil, false
		}
		if len(resp.Body) > maxBody {
			g.fail(failCheck, fmt.Sprintf("request %d: the response is over %d MiB", i+1, maxBody>>20), "")
			return nil, nil, false
		}
		stmts, rts, after := t.trace.Cut(mark)
		t.after = &after
		s := requestStats{start: t0, elapsed: elapsed, statements: stmts, roundTrips: len(rts), notices: t.trace.NoticesSince(mark), newConns: t.trace.Connections() - conns}
		for _, st := range stmts {
			switch {
			case st.Data:
				s.data++
			case st.Catalog:
				s.catalog++
			default:
				s.control++
			}
		}
		for _, rt := range rts {
			if rt.PrepareOnly {
				s.prepareOnly++
			}
		}
		responses = append(responses, resp)
		stats = append(stats, s)
		if stop != nil && stop(stats) {
			break
		}
	}
	return responses, stats, true
}

// requestError is err without the "Get "http://…": " that net/http puts
// before what went wrong.
func requestError(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}

// firstLines joins the first n non-blank lines of s with "; ".
func firstLines(s string, n int) string {
	l := nonBlankLines(s)
	return strings.Join(l[:min(n, len(l))], "; ")
}

// outputNote quotes the last n non-blank lines of a program's output for a
// message, "; the last of its output: …", or is "" if there are none.
func outputNote(output string, n int) string {
	l := nonBlankLines(output)
	if len(l) == 0 {
		return ""
	}
	return "; the last of its output: " + strings.Join(l[max(0, len(l)-n):], "; ")
}

// panicNote quotes the last line of output that tells of a Go panic
// ("http: panic serving …" or "panic: …"), or else, as outputNote, its last
// lines: after a panic they are frames of the stack, the message above them.
func panicNote(output string) string {
	lines := nonBlankLines(output)
	for i := len(lines) - 1; i >= 0; i-- {
		if at := strings.Index(lines[i], "http: panic serving"); at >= 0 {
			return "; its output says: " + lines[i][at:] // without the log's timestamp
		}
		if strings.HasPrefix(lines[i], "panic: ") {
			return "; its output says: " + lines[i]
		}
	}
	return outputNote(output, 3)
}

func nonBlankLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// errTooManyStatements ends a request that ran past the statement cap.
var errTooManyStatements = errors.New("too many statements")

// errSolutionTimeout ends a request when what was left of
// Options.SolutionTimeout has passed.
var errSolutionTimeout = errors.New("the solution's time is up")

// maxStatements is the cap on statements in one request: far above any
// limit, low enough that a runaway loop cannot stall the grade.
func (g *grade) maxStatements() int {
	if g.opts.MaxStatements > 0 {
		return g.opts.MaxStatements
	}
	return 20000
}

// capStatements calls cancel with errTooManyStatements once the trace
// holds more than the statement cap after mark, checking until stop is
// called.
func (g *grade) capStatements(trace *proxy.Trace, mark proxy.Mark, cancel context.CancelCauseFunc) (stop func()) {
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if trace.CountSince(mark) > g.maxStatements() {
					cancel(errTooManyStatements)
					return
				}
			}
		}
	}()
	return func() { close(done) }
}

// do sends one request and reads its response (at most maxBody+1 bytes of
// body), watching the trace meanwhile: past the statement cap it abandons
// the request (errTooManyStatements), and so it does once limit passes, if
// it is not 0 (errSolutionTimeout).
func (g *grade) do(client *http.Client, req *http.Request, trace *proxy.Trace, mark proxy.Mark, limit time.Duration) (check.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	defer cancel(nil)
	if limit > 0 {
		var stop context.CancelFunc
		ctx, stop = context.WithTimeoutCause(ctx, limit, errSolutionTimeout)
		defer stop()
	}
	defer g.capStatements(trace, mark, cancel)()
	var body []byte
	resp, err := client.Do(req.WithContext(ctx))
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
		resp.Body.Close()
		if err != nil {
			err = fmt.Errorf("reading the response: %w", err)
		}
	}
	if err != nil {
		for _, limitErr := range []error{errTooManyStatements, errSolutionTimeout} {
			if errors.Is(context.Cause(ctx), limitErr) {
				return check.Response{}, limitErr
			}
		}
		return check.Response{}, err
	}
	return check.Response{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Body: body}, nil
}

// databaseDown checks, after a request failed or was answered wrong,
// whether the database itself is gone. Before the solution started that is
// the machine's failure. Once it runs it is the solution's: the server
// answered when it started, and the solution runs with the rights to stop
// the server (kill a local server's postmaster) or end its connections.
// In a batch, whose grades share one server, it stays the machine's, and
// so it does when the solution ran in a sandbox, which cannot reach the
// server's processes.
func (g *grade) databaseDown(ctx context.Context) bool {
	if g.db == nil {
		return false
	}
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	err := g.db.admin.Ping(pctx)
	switch {
	case err == nil:
		return false
	case g.solution == nil:
		g.machineError(fmt.Errorf("the database stopped answering before the solution started: %w", err))
	case ctx.Err() != nil:
		// The grade was interrupted, as run says.
	case g.iso != nil:
		g.machineError(fmt.Errorf("the database server stopped answering while the solution ran in its sandbox, which cannot reach the server's processes, so it is not blamed: %w", err))
	case g.opts.batch != nil:
		g.machineError(fmt.Errorf("the batch's database server stopped answering while the solution ran; other solutions' grades share the server, so this one is not blamed: %w", err))
	default:
		g.fail("database", fmt.Sprintf("the database server stopped answering while the solution ran (%v): it answered when the solution started, "+
			"and a solution runs with the rights to stop the server or end its connections; it must leave them alone", err), g.solution.proc.Output())
	}
	g.dbGone = true
	return true
}
