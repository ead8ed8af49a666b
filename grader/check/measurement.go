package check

import (
	"time"

	"github.com/nplus1/nplus1/grader/proxy"
	"github.com/nplus1/nplus1/reports"
)

// Measurement is what the grader observed of a started solution, for Judge:
// the requests it sent, their answers and their statements, and where the
// measuring stopped if it did not reach its end. It holds observations
// only; no verdict.
type Measurement struct {
	// Warm is how many of Timed's first requests were warm-up, not timed;
	// Planned how many timed requests were planned.
	Warm, Planned int
	// Timed is the warm-up and timed requests at the grade's own size.
	Timed Run
	// Answered: every timed request was answered, the second timing's
	// too; else the measuring stopped while they were sent, and Judge
	// makes no check of them.
	Answered bool
	// StoppedEarly: the timed requests stopped before Planned, as enough
	// of them were far over the budget to fail the p95.
	StoppedEarly bool
	// Retimed is the timed requests sent once more, as the first p95 was
	// just over the budget; nil when they were not.
	Retimed *Run
	// Fresh is the request after the grader changed the data; nil when
	// the measuring stopped before it.
	Fresh *FreshRun
	// Scaling is the requests at each of the challenge's sizes, smallest
	// first; nil when the measuring stopped before all were sent.
	Scaling []SizeRun
	// Size is the grade's own size, one of Scaling's.
	Size int
	// ReadOnly is what the database's checksums showed; nil when the
	// measuring stopped before the end.
	ReadOnly *ReadOnlyRun
	// Cancelled is how many of the solution's statements the grader
	// cancelled for running past the statement timeout.
	Cancelled int
	// Output is the solution's output once the timed requests were
	// answered, for a card whose answers were wrong.
	Output string
	// Failures are why the grade stopped before its end, in the order
	// they happened: most often one, the step's that stopped; then the
	// grade's own (its watchdog's, an interruption).
	Failures []Failure
}

// Run is requests sent under one condition, with what each should answer.
type Run struct {
	Want     []byte
	Requests []Request
	// DataSince is how many data statements went through the proxy since
	// the data was made (for the timed requests, since the solution
	// started): none at all, with right answers, means the data was read
	// some other way.
	DataSince int
}

// Request is one request the grader sent, its answer and what it cost.
type Request struct {
	Response                               Response
	Data, Control, RoundTrips, PrepareOnly int
	Catalog                                int // statements that read only the system catalogs
	Notices                                int // NoticeResponses the server sent
	NewConns                               int // database connections opened
	Start                                  time.Time
	Elapsed                                time.Duration
	Statements                             []proxy.Statement
}

// FreshRun is the request sent after the grader changed the data (to
// Seed's); Before is the body answered just before the change.
type FreshRun struct {
	Run
	Seed   int64
	Before []byte
}

// SizeRun is the requests sent at one size of the data.
type SizeRun struct {
	Size int
	Run
}

// ReadOnlyRun is what the database's checksums showed: when it changed
// under the solution, or why it could not be checksummed; Statements is
// every statement the solution sent.
type ReadOnlyRun struct {
	Changed    []string
	Err        error
	Statements []proxy.Statement
}

// Fault says whose a Failure is.
type Fault int

// The faults of a Failure.
const (
	// Learner: the solution's; the named check fails.
	Learner Fault = iota + 1
	// Machine: the grader's or the machine's; the grade is an error.
	Machine
	// Interrupted: the grade was stopped from outside (or by its
	// watchdog), which the grade itself reports.
	Interrupted
)

// Failure is why a step of a grade stopped before its end.
type Failure struct {
	Fault Fault
	// Check is the check a learner's failure fails.
	Check   string
	Message string
	// Output is the solution's output, for the card.
	Output string
}

// Limits are what a solution is judged against.
type Limits struct {
	// Statements is the most data statements a request may make.
	Statements int
	// P95 is the latency budget, at the simulated round trip RTT.
	P95, RTT time.Duration
	// Rows names the rows of the expected answer's top array (the last
	// segment of the endpoint's path).
	Rows string
	// StatementTimeout is the solution role's statement_timeout.
	StatementTimeout time.Duration
}

// Metrics sums up requests: the most of each count any request made, and
// the latency of those after the first warm.
func Metrics(reqs []Request, warm int) *reports.Metrics {
	m := &reports.Metrics{Requests: len(reqs), Timed: len(reqs) - warm}
	for _, r := range reqs {
		m.Statements = max(m.Statements, r.Data)
		m.ControlStatements = max(m.ControlStatements, r.Control)
		m.CatalogStatements = max(m.CatalogStatements, r.Catalog)
		m.RoundTrips = max(m.RoundTrips, r.RoundTrips)
		m.PrepareOnlyRoundTrips = max(m.PrepareOnlyRoundTrips, r.PrepareOnly)
	}
	_, m.Latency = Latency(elapsed(reqs[min(warm, len(reqs)):]), 0, 0)
	return m
}

// Busiest is the request that made the most data statements (the first of
// them): the one whose shapes and N+1 findings the card shows.
func Busiest(reqs []Request) Request {
	b := 0
	for i, r := range reqs {
		if r.Data > reqs[b].Data {
			b = i
		}
	}
	return reqs[b]
}

// elapsed is each request's time.
func elapsed(reqs []Request) []time.Duration {
	var d []time.Duration
	for _, r := range reqs {
		d = append(d, r.Elapsed)
	}
	return d
}
