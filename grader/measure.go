package grader

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/nplus1/nplus1/grader/check"
	"github.com/nplus1/nplus1/grader/proxy"
	"github.com/nplus1/nplus1/reports"
)

// limits are what the grade's solution is judged against.
func (g *grade) limits() check.Limits {
	return check.Limits{
		Statements: g.ch.Limits.Statements, P95: g.ch.Limits.P95, RTT: g.rtt,
		Rows: g.ch.Endpoint.Path, StatementTimeout: g.opts.StatementTimeout,
	}
}

// measureSolution sends the started solution the requests of every check
// and returns what it observed: the timed requests at the challenge's size
// (timed once more when the p95 is just over the budget), the request
// after a change of the data (fresh), the requests at each size (scaling),
// and the database's checksums (read-only). A step that fails stops it,
// with the failure in the measurement.
func (g *grade) measureSolution(ctx context.Context, db *database, t *target, want []byte) (m check.Measurement) {
	g.phase("measure")
	m = check.Measurement{Warm: g.warm, Planned: g.timed, Size: g.size}
	readOnly := &g.readOnly
	stop := func(f *check.Failure) check.Measurement {
		m.Failures = append(m.Failures, *f)
		return m
	}
	g.progress("measure: %d requests (%d warm-up) to %s %s at a %s round trip", g.warm+g.timed, g.warm, g.ch.Endpoint.Method, g.ch.Endpoint.Path, g.rtt)
	// Stop timing once the p95 is sure to miss the budget: a slow solution
	// (a starter) need not be waited on twenty times.
	rank := int(math.Ceil(0.95 * float64(g.timed)))
	settled := func(reqs []check.Request) bool {
		over := 0
		for _, r := range reqs[min(g.warm, len(reqs)):] {
			if float64(r.Elapsed) > check.Borderline*float64(g.ch.Limits.P95) { // far over: no noise
				over++
			}
		}
		m.StoppedEarly = over > g.timed-rank && len(reqs) < g.warm+g.timed
		return m.StoppedEarly
	}
	reqs, f := g.send(ctx, t, g.warm+g.timed, "correct", settled)
	if f == nil {
		f = g.databaseDown(ctx)
	}
	if f != nil {
		return stop(f)
	}
	m.Timed = check.Run{Want: want, Requests: reqs}
	timed := reqs[min(g.warm, len(reqs)):]
	latency, l := check.Latency(elapsedOf(timed), g.ch.Limits.P95, g.rtt)
	if latency.Status == reports.Fail && !m.StoppedEarly && l.P95 <= check.Borderline*millis(g.ch.Limits.P95) &&
		check.Correct(want, g.ch.Endpoint.Path, responsesOf(reqs)).Status == reports.Pass {
		// A p95 just over the budget may be the machine's noise: the
		// timed requests are sent once more (see check.Judge).
		g.progress("measure: p95 %.1f ms is just over the %s budget: timing the requests once more", l.P95, g.ch.Limits.P95)
		again, f := g.send(ctx, t, g.timed, "correct", nil)
		if f == nil {
			f = g.databaseDown(ctx)
		}
		if f != nil {
			return stop(f)
		}
		m.Retimed = &check.Run{Want: want, Requests: again}
	}
	m.Answered = true
	m.Timed.DataSince = dataSince(t.trace, proxy.Mark{}) // since the solution started
	m.Cancelled = int(db.cancelled.Load())
	m.Output = t.proc.Output() // its own log may say more of wrong answers
	metrics := check.Metrics(reqs, g.warm)
	g.progress("measure: %s, %s, p95 %.1f ms", reports.Count(metrics.Statements, "data statement"), reports.Count(metrics.RoundTrips, "round trip"), metrics.Latency.P95)

	readOnly.verify(ctx, db, "while the solution started and answered the timed requests")

	// Fresh and scaling count statements; they need no simulated network.
	t.proxy.SetRTT(0)
	fresh, f := g.fresh(ctx, db, t, readOnly, reqs[len(reqs)-1].Response.Body)
	if f != nil {
		return stop(f)
	}
	m.Fresh = fresh
	sizes, f := g.scaling(ctx, db, t, readOnly)
	if f != nil {
		return stop(f)
	}
	m.Scaling = sizes
	stmts, _ := t.trace.Since(proxy.Mark{})
	m.ReadOnly = &check.ReadOnlyRun{Changed: readOnly.changed, Err: readOnly.err, Statements: stmts}
	// Wrong answers from a dead database are not the learner's.
	if f := g.databaseDown(ctx); f != nil {
		return stop(f)
	}
	return m
}

// fresh changes the data (a different seed, through the grader's own
// connection) and sends a request, whose answer must follow; before is the
// body answered before the change, which an unchanged answer repeats.
func (g *grade) fresh(ctx context.Context, db *database, t *target, ro *readOnlyCheck, before []byte) (*check.FreshRun, *check.Failure) {
	g.phase("fresh")
	seed := g.opts.Seed%MaxSeed + 1
	want, err := db.reseed(ctx, g.ch, seed, g.size)
	if err != nil {
		return nil, machineFailure(err)
	}
	ro.reset(ctx, db)
	mark := t.trace.Mark()
	reqs, f := g.send(ctx, t, 1, "fresh", nil)
	if f != nil {
		return nil, f
	}
	ro.verify(ctx, db, "during the fresh check")
	return &check.FreshRun{Run: check.Run{Want: want, Requests: reqs, DataSince: dataSince(t.trace, mark)}, Seed: seed, Before: before}, nil
}

// scaling sends two requests at each of the challenge's sizes (and the
// grade's own), smallest first.
func (g *grade) scaling(ctx context.Context, db *database, t *target, ro *readOnlyCheck) ([]check.SizeRun, *check.Failure) {
	g.phase("scaling")
	sizes := append([]int{g.size}, g.ch.Scaling...)
	slices.Sort(sizes)
	sizes = slices.Compact(sizes)
	var runs []check.SizeRun
	for _, size := range sizes {
		want, err := db.reseed(ctx, g.ch, g.opts.Seed, size)
		if err != nil {
			return nil, machineFailure(err)
		}
		ro.reset(ctx, db)
		mark := t.trace.Mark()
		reqs, f := g.send(ctx, t, 2, "scaling", nil)
		if f != nil {
			return nil, f
		}
		runs = append(runs, check.SizeRun{Size: size, Run: check.Run{Want: want, Requests: reqs, DataSince: dataSince(t.trace, mark)}})
		ro.verify(ctx, db, fmt.Sprintf("at %d rows", size))
		g.progress("scaling: %d rows: %s", size, reports.Count(max(reqs[0].Data, reqs[1].Data), "data statement"))
	}
	return runs, nil
}

// timeline puts a request's statements on a time axis, from the moment it
// was sent.
func timeline(r check.Request) *reports.Timeline {
	round := func(d time.Duration) float64 { return math.Round(millis(d)*100) / 100 }
	tl := &reports.Timeline{TotalMS: round(r.Elapsed)}
	for _, st := range r.Statements {
		if len(tl.Statements) == reports.MaxSpans {
			if st.Data {
				tl.Omitted++
			}
			continue
		}
		start := max(st.Start.Sub(r.Start), 0)
		tl.Statements = append(tl.Statements, reports.Span{StartMS: round(start), DurationMS: round(st.Duration), Data: st.Data})
	}
	return tl
}

// dataSince counts the data statements of the trace since m.
func dataSince(trace *proxy.Trace, m proxy.Mark) int {
	stmts, _ := trace.Since(m)
	n := 0
	for _, s := range stmts {
		if s.Data {
			n++
		}
	}
	return n
}

func elapsedOf(reqs []check.Request) []time.Duration {
	var d []time.Duration
	for _, r := range reqs {
		d = append(d, r.Elapsed)
	}
	return d
}

func responsesOf(reqs []check.Request) []check.Response {
	var out []check.Response
	for _, r := range reqs {
		out = append(out, r.Response)
	}
	return out
}
