package check

import (
	"strings"
	"testing"
	"time"

	"github.com/nplus1/nplus1/grader/proxy"
	"github.com/nplus1/nplus1/reports"
)

// The expected answer of the measurements below, and others.
var (
	rightBody = []byte(`[{"id":1,"user":"ann"}]`)
	otherBody = []byte(`[{"id":1,"user":"bob"}]`) // the answer after the data changed
	wrongBody = []byte(`[]`)
	judgeLim  = Limits{Statements: 2, P95: 100 * time.Millisecond, RTT: 5 * time.Millisecond, Rows: "/api/orders", StatementTimeout: 10 * time.Second}
)

// answer is a request answered with body in d, with data statements.
func answer(body []byte, data int, d time.Duration) Request {
	return Request{Response: Response{Status: 200, ContentType: "application/json", Body: body}, Data: data, RoundTrips: data, Elapsed: d}
}

func answers(n int, body []byte, data int, d time.Duration) []Request {
	var reqs []Request
	for range n {
		reqs = append(reqs, answer(body, data, d))
	}
	return reqs
}

// fixed is a complete measurement of a right fix: 1 warm-up and 3 timed
// requests at 100 rows of one data statement each, 5 ms each, right after
// the data changed, and at 10, 100 and 1000 rows.
func fixed() Measurement {
	return Measurement{
		Warm: 1, Planned: 3, Size: 100, Answered: true,
		Timed: Run{Want: rightBody, Requests: answers(4, rightBody, 1, 5*time.Millisecond), DataSince: 4},
		Fresh: &FreshRun{Run: Run{Want: otherBody, Requests: answers(1, otherBody, 1, time.Millisecond), DataSince: 1}, Seed: 8, Before: rightBody},
		Scaling: []SizeRun{
			{Size: 10, Run: Run{Want: rightBody, Requests: answers(2, rightBody, 1, time.Millisecond), DataSince: 2}},
			{Size: 100, Run: Run{Want: rightBody, Requests: answers(2, rightBody, 1, time.Millisecond), DataSince: 2}},
			{Size: 1000, Run: Run{Want: rightBody, Requests: answers(2, rightBody, 1, time.Millisecond), DataSince: 2}},
		},
		ReadOnly: &ReadOnlyRun{Statements: []proxy.Statement{{SQL: "SELECT 1", Tag: "SELECT 1", Data: true}}},
	}
}

// status is the checks as "name=status" in order.
func status(checks []reports.Check) string {
	var s []string
	for _, c := range checks {
		s = append(s, c.Name+"="+c.Status)
	}
	return strings.Join(s, " ")
}

func message(checks []reports.Check, name string) string {
	for _, c := range checks {
		if c.Name == name {
			return c.Message
		}
	}
	return "<no " + name + " check>"
}

// Judge's rules, one row each: the statuses of the checks it makes of a
// measurement, and what a message must say.
func TestJudge(t *testing.T) {
	tests := []struct {
		name   string
		tweak  func(*Measurement)
		want   string // the checks' statuses, in order
		check  string // a check whose message must contain say
		say    string
		reject string // and must not contain reject
	}{
		{
			name: "a right fix passes every check",
			want: "correct=pass statements=pass latency=pass fresh=pass scaling=pass read-only=pass",
		},
		{
			name:  "right answers first: on wrong answers the checks that passed are skipped, fresh too",
			tweak: func(m *Measurement) { m.Timed.Requests = answers(4, wrongBody, 1, 5*time.Millisecond) },
			want:  "correct=fail statements=skipped latency=skipped fresh=skipped scaling=skipped read-only=skipped",
			check: "statements", say: "not judged, as the answers were wrong: at most 1 data statement",
		},
		{
			name: "right answers first: the failures of wrong answers stay findings",
			tweak: func(m *Measurement) {
				m.Timed.Requests = answers(4, wrongBody, 5, 5*time.Millisecond)
				m.Timed.Requests[2].Statements = []proxy.Statement{{SQL: "SELECT query_to_xml('x')", Error: "42501: permission denied for function query_to_xml"}}
				m.Cancelled = 2
			},
			want:  "correct=fail statements=fail latency=skipped fresh=skipped scaling=skipped read-only=skipped",
			check: "correct", say: "the database refused `SELECT query_to_xml('x')`: 42501: permission denied for function query_to_xml; the grader cancelled 2 statements that ran past the statement timeout of 10s",
		},
		{
			name: "a 500 the database did not cause: the message quotes the program's last output, which says why",
			tweak: func(m *Measurement) {
				m.Timed.Requests = answers(4, []byte("<html>Error code: 500</html>"), 1, 5*time.Millisecond)
				for i := range m.Timed.Requests {
					m.Timed.Requests[i].Response.Status = 500
				}
				m.Output = "listening on http://127.0.0.1:8080\n"
				for range 4 {
					m.Output += "127.0.0.1 - - [03/Dec/2026 14:09:34] list orders: The unique() method must be invoked on this Result\n127.0.0.1 - - [03/Dec/2026 14:09:34] code 500, message Internal Server Error\n127.0.0.1 - - [03/Dec/2026 14:09:35] \"GET /api/orders HTTP/1.1\" 500 -\n"
				}
			},
			want:  "correct=fail statements=skipped latency=skipped fresh=skipped scaling=skipped read-only=skipped",
			check: "correct", say: `request 1: status 500, want 200; body: <html>Error code: 500</html>; the last of its output: listening on http://127.0.0.1:8080; list orders: The unique() method must be invoked on this Result; code 500, message Internal Server Error`,
		},
		{
			name: "a cache found by fresh: the answer stayed what it was, so what passed is skipped",
			tweak: func(m *Measurement) {
				m.Fresh.Requests = answers(1, rightBody, 0, time.Millisecond)
			},
			want:  "correct=pass statements=skipped latency=skipped fresh=fail scaling=skipped read-only=skipped",
			check: "fresh", say: "the response stayed the same (is it cached?)",
		},
		{
			name: "a wrong answer after the data changed is no cache: the other checks stand",
			tweak: func(m *Measurement) {
				m.Fresh.Requests = answers(1, wrongBody, 1, time.Millisecond)
			},
			want:  "correct=pass statements=pass latency=pass fresh=fail scaling=pass read-only=pass",
			check: "fresh", say: "after the grader changed the data between two requests (seed 8), the answer was wrong",
		},
		{
			name: "scaling on wrong answers: not judged, and correct fails at the sizes",
			tweak: func(m *Measurement) {
				m.Scaling[2].Requests = answers(2, wrongBody, 1, time.Millisecond)
			},
			want:  "correct=fail statements=pass latency=pass fresh=pass scaling=skipped read-only=pass",
			check: "correct", say: "at 1000 rows: request 1: ",
		},
		{
			name: "scaling that grows fails even on wrong answers at a size",
			tweak: func(m *Measurement) {
				m.Scaling[2].Requests = answers(2, wrongBody, 9, time.Millisecond)
			},
			want:  "correct=fail statements=fail latency=pass fresh=pass scaling=fail read-only=pass",
			check: "scaling", say: "grows with the data",
		},
		{
			name: "every request counts against the limit: the fresh request's",
			tweak: func(m *Measurement) {
				m.Fresh.Requests = answers(1, otherBody, 3, time.Millisecond)
			},
			want:  "correct=pass statements=fail latency=pass fresh=pass scaling=pass read-only=pass",
			check: "statements", say: "3 data statements in one request after the grader changed the data; the limit is 2",
		},
		{
			name: "every request counts against the limit: the warm-up's",
			tweak: func(m *Measurement) {
				m.Timed.Requests[0].Data = 7
			},
			want:  "correct=pass statements=fail latency=pass fresh=pass scaling=pass read-only=pass",
			check: "statements", say: "7 data statements in one request; the limit is 2",
		},
		{
			name:  "right answers with no data statement through the proxy fail statements",
			tweak: func(m *Measurement) { m.Timed.DataSince = 0 },
			want:  "correct=pass statements=fail latency=pass fresh=pass scaling=pass read-only=pass",
			check: "statements", say: "the answers to the timed requests were right with no data statement through the grader's proxy",
		},
		{
			name: "at the grade's own size an answer may come from what the timed requests read",
			tweak: func(m *Measurement) {
				m.Scaling[1].DataSince = 0
			},
			want: "correct=pass statements=pass latency=pass fresh=pass scaling=pass read-only=pass",
		},
		{
			name:  "a slow p95 fails latency and says why",
			tweak: func(m *Measurement) { m.Timed.Requests = answers(4, rightBody, 1, 300*time.Millisecond) },
			want:  "correct=pass statements=pass latency=fail fresh=pass scaling=pass read-only=pass",
			check: "latency", say: "; the slowest request took 300.0 ms over 1 round trip",
		},
		{
			name: "a p95 just over the budget stands on its second timing when its answers are right",
			tweak: func(m *Measurement) {
				m.Timed.Requests = answers(4, rightBody, 1, 120*time.Millisecond)
				m.Retimed = &Run{Want: rightBody, Requests: answers(3, rightBody, 1, 50*time.Millisecond)}
			},
			want:  "correct=pass statements=pass latency=pass fresh=pass scaling=pass read-only=pass",
			check: "latency", say: "p95 50.0 ms, p50 50.0 ms over 3 requests at a simulated 5ms round trip (budget 100ms); timed twice, as the first p95 (120.0 ms) was just over the budget",
		},
		{
			name: "a second timing answered wrong does not stand, and its statements count",
			tweak: func(m *Measurement) {
				m.Timed.Requests = answers(4, rightBody, 1, 120*time.Millisecond)
				m.Retimed = &Run{Want: rightBody, Requests: answers(3, wrongBody, 5, 50*time.Millisecond)}
			},
			want:  "correct=pass statements=fail latency=fail fresh=pass scaling=pass read-only=pass",
			check: "latency", say: "p95 120.0 ms", reject: "timed twice",
		},
		{
			name: "timed requests stopped early say so",
			tweak: func(m *Measurement) {
				m.Planned, m.StoppedEarly = 20, true
				m.Timed.Requests = answers(3, rightBody, 1, 600*time.Millisecond)
			},
			want:  "correct=pass statements=pass latency=fail fresh=pass scaling=pass read-only=pass",
			check: "latency", say: "; stopped after 2 of 20 timed requests, as 2 over budget already fail the p95",
		},
		{
			name: "a wrong Content-Type fails correct alone",
			tweak: func(m *Measurement) {
				m.Timed.Requests[1].Response.ContentType = "text/plain"
			},
			want:  "correct=fail statements=pass latency=pass fresh=pass scaling=pass read-only=pass",
			check: "correct", say: "text/plain",
		},
		{
			name:  "read-only fails on a write",
			tweak: func(m *Measurement) { m.ReadOnly.Changed = []string{"at 10 rows (table orders)"} },
			want:  "correct=pass statements=pass latency=pass fresh=pass scaling=pass read-only=fail",
			check: "read-only", say: "the database changed at 10 rows (table orders)",
		},
		{
			name: "a request that failed in scaling: its check fails after those made, statements of the timed requests alone",
			tweak: func(m *Measurement) {
				m.Scaling, m.ReadOnly = nil, nil
				m.Failures = []Failure{{Fault: Learner, Check: "scaling", Message: "request 1: no answer within 1s"}}
			},
			want:  "correct=pass statements=pass latency=pass fresh=pass scaling=fail",
			check: "scaling", say: "request 1: no answer within 1s",
		},
		{
			name: "a request past the statement cap replaces the statements check in place",
			tweak: func(m *Measurement) {
				m.Fresh, m.Scaling, m.ReadOnly = nil, nil, nil
				m.Failures = []Failure{{Fault: Learner, Check: "statements", Message: "request 1 ran more than 20000 statements"}}
			},
			want: "correct=pass statements=fail latency=pass",
		},
		{
			name: "a failure while the timed requests were sent is the only check",
			tweak: func(m *Measurement) {
				m.Answered, m.Fresh, m.Scaling, m.ReadOnly = false, nil, nil, nil
				m.Failures = []Failure{{Fault: Learner, Check: "correct", Message: "request 2: status 500"}}
			},
			want: "correct=fail",
		},
		{
			name: "a machine's failure makes no check, an interruption neither",
			tweak: func(m *Measurement) {
				m.Scaling, m.ReadOnly = nil, nil
				m.Failures = []Failure{{Fault: Machine, Message: "reseed: connection refused"}, {Fault: Interrupted}}
			},
			want: "correct=pass statements=pass latency=pass fresh=pass",
		},
		{
			name: "a database the solution stopped fails after the checks made, which wrong answers do not credit",
			tweak: func(m *Measurement) {
				m.Timed.Requests = answers(4, wrongBody, 0, time.Millisecond)
				m.Failures = []Failure{{Fault: Learner, Check: "database", Message: "the database server stopped answering"}}
			},
			want: "correct=fail statements=skipped latency=skipped fresh=skipped scaling=skipped read-only=skipped database=fail",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := fixed()
			if tt.tweak != nil {
				tt.tweak(&m)
			}
			checks := Judge(m, judgeLim)
			if got := status(checks); got != tt.want {
				t.Errorf("checks %s\nwant   %s\n%+v", got, tt.want, checks)
			}
			if tt.check == "" {
				return
			}
			if msg := message(checks, tt.check); !strings.Contains(msg, tt.say) || tt.reject != "" && strings.Contains(msg, tt.reject) {
				t.Errorf("%s: %q\nwant it to say %q (and not %q)", tt.check, msg, tt.say, tt.reject)
			}
		})
	}
}

// Metrics are the most of each count of any request, and the latency of
// the timed ones; the busiest request is the first with the most data
// statements.
func TestMetricsAndBusiest(t *testing.T) {
	reqs := []Request{answer(rightBody, 9, time.Second), answer(rightBody, 1, 10*time.Millisecond), answer(rightBody, 3, 20*time.Millisecond), answer(rightBody, 3, 30*time.Millisecond)}
	reqs[3].Control = 2
	m := Metrics(reqs, 1)
	if m.Statements != 9 || m.ControlStatements != 2 || m.Requests != 4 || m.Timed != 3 || m.Latency.P95 != 30 || m.Latency.P50 != 20 {
		t.Errorf("metrics %+v", m)
	}
	if b := Busiest(reqs[1:]); b.Data != 3 || b.Elapsed != 20*time.Millisecond {
		t.Errorf("busiest %+v, want the first with 3", b)
	}
}
