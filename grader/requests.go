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
	"github.com/nplus1/nplus1/internal/setting"
)

// learnerFailure is a step the solution failed: the named check fails
// with msg; output is the solution's, for the card.
func learnerFailure(name, msg, output string) *check.Failure {
	return &check.Failure{Fault: check.Learner, Check: name, Message: msg, Output: output}
}

// machineFailure is a step the grader or the machine failed: the grade is
// an error.
func machineFailure(err error) *check.Failure {
	return &check.Failure{Fault: check.Machine, Message: err.Error()}
}

// interrupted is a step stopped by the grade's context: the grade says why
// (see run).
var interrupted = &check.Failure{Fault: check.Interrupted}

// send sends n requests one after another and returns what each cost. A
// request that gets no answer is the learner's failure, under the check
// named failCheck, unless the database went down (see databaseDown).
// When stop is not nil it is asked after each request whether to send no
// more.
func (g *grade) send(ctx context.Context, t *target, n int, failCheck string, stop func([]check.Request) bool) ([]check.Request, *check.Failure) {
	client := t.client
	overTime := func(i int) *check.Failure {
		return learnerFailure(failCheck, fmt.Sprintf("request %d: the solution's requests took more than %s in all; the grader stopped it", i+1, t.budget), t.proc.Output())
	}
	var reqs []check.Request
	for i := 0; i < n; i++ {
		if ctx.Err() != nil {
			return nil, interrupted
		}
		var left time.Duration // 0: no limit
		if t.budget > 0 {
			if left = t.budget - t.spent; left <= 0 {
				return nil, overTime(i)
			}
		}
		mark, conns := t.trace.Mark(), t.trace.Connections()
		if t.after != nil {
			mark = *t.after // what ran since the last request counts with this one
		}
		req, err := http.NewRequestWithContext(ctx, g.ch.Endpoint.Method, t.url, nil)
		if err != nil {
			return nil, machineFailure(err)
		}
		t0 := time.Now()
		resp, err := g.do(client, req, t.trace, mark, left)
		elapsed := time.Since(t0)
		t.spent += elapsed
		if errors.Is(err, errTooManyStatements) {
			return nil, learnerFailure("statements", fmt.Sprintf("request %d ran more than %d statements; the grader stopped it", i+1, g.maxStatements()), t.proc.Output())
		}
		if errors.Is(err, errSolutionTimeout) {
			return nil, overTime(i)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, interrupted
			}
			if f := g.databaseDown(ctx); f != nil {
				return nil, f
			}
			msg := fmt.Sprintf("request %d: %v", i+1, requestError(err))
			if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
				msg = fmt.Sprintf("request %d: no answer within %s (%s)", i+1, g.opts.RequestTimeout, setting.RequestTimeout)
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
				msg = fmt.Sprintf("request %d: the solution closed the connection before its answer was complete", i+1) + panicNote(t.proc.Output())
			}
			return nil, learnerFailure(failCheck, msg, t.proc.Output())
		}
		if len(resp.Body) > maxBody {
			return nil, learnerFailure(failCheck, fmt.Sprintf("request %d: the response is over %d MiB", i+1, maxBody>>20), "")
		}
		stmts, rts, after := t.trace.Cut(mark)
		t.after = &after
		r := check.Request{Response: resp, Start: t0, Elapsed: elapsed, Statements: stmts, RoundTrips: len(rts), Notices: t.trace.NoticesSince(mark), NewConns: t.trace.Connections() - conns}
		for _, st := range stmts {
			switch {
			case st.Data:
				r.Data++
			case st.Catalog:
				r.Catalog++
			default:
				r.Control++
			}
		}
		for _, rt := range rts {
			if rt.PrepareOnly {
				r.PrepareOnly++
			}
		}
		reqs = append(reqs, r)
		if stop != nil && stop(reqs) {
			break
		}
	}
	return reqs, nil
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

// outputNote quotes the last n distinct lines of a program's output for a
// message, "; the last of its output: …", or is "" if there are none (see
// check.OutputTail).
func outputNote(output string, n int) string { return check.OutputTail(output, n) }

// panicNote asks why a connection was closed mid-answer and quotes the
// last line of output that tells of a Go panic ("http: panic serving …" or
// "panic: …"), or else, as outputNote, its last lines: after a panic or an
// exception they are frames of the stack, the message above them; with
// nothing of the kind, the handler may have sent a Content-Length longer
// than its body.
func panicNote(output string) string {
	lines := nonBlankLines(output)
	for i := len(lines) - 1; i >= 0; i-- {
		if at := strings.Index(lines[i], "http: panic serving"); at >= 0 {
			return " (did the handler panic?); its output says: " + lines[i][at:] // without the log's timestamp
		}
		if strings.HasPrefix(lines[i], "panic: ") {
			return " (did the handler panic?); its output says: " + lines[i]
		}
	}
	return " (did the handler fail, or send a Content-Length longer than its body?)" + outputNote(output, 3)
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
// whether the database itself is gone, and if so returns whose failure
// that is (nil while it answers). Before the solution started it is the
// machine's. Once it runs it is the solution's: the server answered when
// it started, and the solution runs with the rights to stop the server
// (kill a local server's postmaster) or end its connections. In a batch,
// whose grades share one server, it stays the machine's, and so it does
// when the solution ran in a sandbox, which cannot reach the server's
// processes.
func (g *grade) databaseDown(ctx context.Context) *check.Failure {
	if g.db == nil {
		return nil
	}
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	err := g.db.admin.Ping(pctx)
	if err == nil {
		return nil
	}
	g.dbGone = true
	switch {
	case g.solution == nil:
		return machineFailure(fmt.Errorf("the database stopped answering before the solution started: %w", err))
	case ctx.Err() != nil:
		return interrupted // as run says
	case g.iso != nil:
		return machineFailure(fmt.Errorf("the database server stopped answering while the solution ran in its sandbox, which cannot reach the server's processes, so it is not blamed: %w", err))
	case g.opts.batch != nil:
		return machineFailure(fmt.Errorf("the batch's database server stopped answering while the solution ran; other solutions' grades share the server, so this one is not blamed: %w", err))
	}
	return learnerFailure("database", fmt.Sprintf("the database server stopped answering while the solution ran (%v): it answered when the solution started, "+
		"and a solution runs with the rights to stop the server or end its connections; it must leave them alone", err), g.solution.proc.Output())
}
