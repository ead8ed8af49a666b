package grader

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/nplus1/nplus1/grader/check"
	"github.com/nplus1/nplus1/grader/proxy"
	"github.com/nplus1/nplus1/reports"
)

// busiest returns the index of the request that made the most data
// statements: the one whose shapes and N+1 findings the card shows.
func busiest(stats []requestStats) int {
	b := 0
	for i, s := range stats {
		if s.data > stats[b].data {
			b = i
		}
	}
	return b
}

// metrics sums up requests: the most of each count any request made, and
// the latency of those after the first warm.
func metrics(stats []requestStats, warm int) (*reports.Metrics, []time.Duration) {
	m := &reports.Metrics{Requests: len(stats), Timed: len(stats) - warm}
	var timed []time.Duration
	for i, s := range stats {
		m.Statements = max(m.Statements, s.data)
		m.ControlStatements = max(m.ControlStatements, s.control)
		m.CatalogStatements = max(m.CatalogStatements, s.catalog)
		m.RoundTrips = max(m.RoundTrips, s.roundTrips)
		m.PrepareOnlyRoundTrips = max(m.PrepareOnlyRoundTrips, s.prepareOnly)
		if i >= warm {
			timed = append(timed, s.elapsed)
		}
	}
	m.Latency = reports.LatencyMS{P50: check.Percentile(timed, 50), P95: check.Percentile(timed, 95), Max: check.Percentile(timed, 100)}
	return m, timed
}

// borderline is how far over its budget a p95 may be and still be timed
// once more before it fails: noise, not an N+1, puts a fix there.
const borderline = 1.5

// slowBecause says what made the slowest timed request slow: its round
// trips, and the connections the solution opened per request.
func slowBecause(timed []requestStats) string {
	if len(timed) == 0 {
		return ""
	}
	slowest, connecting := timed[0], 0
	for _, s := range timed {
		if s.elapsed > slowest.elapsed {
			slowest = s
		}
		if s.newConns > 0 {
			connecting++
		}
	}
	why := fmt.Sprintf("; the slowest request took %.1f ms over %s", millis(slowest.elapsed), reports.Count(slowest.roundTrips, "round trip"))
	if connecting > 0 {
		why += fmt.Sprintf("; %d of the %d timed requests opened a new database connection, which costs several round trips: keep one connection (or a pool) for the whole server", connecting, len(timed))
	}
	return why
}

// measureSolution runs every check on the started solution: correct,
// statements and latency at the challenge's size, then fresh, scaling and
// read-only.
func (g *grade) measureSolution(ctx context.Context, db *database, t *target, want []byte) {
	g.phase("measure")
	readOnly := &g.readOnly
	g.progress("measure: %d requests (%d warm-up) to %s %s at a %s round trip", g.warm+g.timed, g.warm, g.ch.Endpoint.Method, g.ch.Endpoint.Path, g.rtt)
	// Stop timing once the p95 is sure to miss the budget: a slow solution
	// (a starter) need not be waited on twenty times.
	rank := int(math.Ceil(0.95 * float64(g.timed)))
	stoppedEarly := false
	settled := func(stats []requestStats) bool {
		over := 0
		for _, s := range stats[min(g.warm, len(stats)):] {
			if float64(s.elapsed) > borderline*float64(g.ch.Limits.P95) { // far over: no noise
				over++
			}
		}
		stoppedEarly = over > g.timed-rank && len(stats) < g.warm+g.timed
		return stoppedEarly
	}
	responses, stats, ok := g.send(ctx, t, g.warm+g.timed, "correct", settled)
	if !ok || g.databaseDown(ctx) {
		return
	}
	m, timed := metrics(stats, g.warm)
	g.card.Metrics = m
	busiest := busiest(stats)
	latency, _ := check.Latency(timed, g.ch.Limits.P95, g.rtt)
	if stoppedEarly {
		latency.Message += fmt.Sprintf("; stopped after %d of %d timed requests, as %d over budget already fail the p95", len(timed), g.timed, g.timed-rank+1)
	}
	correct := check.Correct(want, g.ch.Endpoint.Path, responses)
	timedStats := stats[min(g.warm, len(stats)):]
	if latency.Status == reports.Fail && !stoppedEarly && correct.Status == reports.Pass && m.Latency.P95 <= borderline*millis(g.ch.Limits.P95) {
		// A p95 just over the budget may be the machine's noise: the
		// timed requests are sent once more, and the second measure
		// stands if its answers are right too. Every request still
		// counts against the statement limit.
		first := m.Latency.P95
		g.progress("measure: p95 %.1f ms is just over the %s budget: timing the requests once more", first, g.ch.Limits.P95)
		again, more, ok := g.send(ctx, t, g.timed, "correct", nil)
		if !ok || g.databaseDown(ctx) {
			return
		}
		stats = append(stats, more...)
		if check.Correct(want, g.ch.Endpoint.Path, again).Status == reports.Pass {
			var retimed []time.Duration
			for _, s := range more {
				retimed = append(retimed, s.elapsed)
			}
			latency, m.Latency = check.Latency(retimed, g.ch.Limits.P95, g.rtt)
			timedStats = more
			latency.Message += fmt.Sprintf("; timed twice, as the first p95 (%.1f ms) was just over the budget", first)
		}
	}
	if latency.Status == reports.Fail {
		latency.Message += slowBecause(timedStats)
	}
	g.answersWrong = correct.Status == reports.Fail
	if msg := check.ContentType(responses); msg != "" && correct.Status == reports.Pass {
		// Right data with the wrong header: the other checks still stand.
		correct.Status, correct.Message = reports.Fail, msg
	}
	if g.answersWrong {
		var all []proxy.Statement
		for _, s := range stats {
			all = append(all, s.statements...)
		}
		correct.Message += check.Refusals(all)
		if n := db.cancelled.Load(); n > 0 {
			correct.Message += fmt.Sprintf("; the grader cancelled %s that ran past the statement timeout of %s", reports.Count(int(n), "statement"), g.opts.StatementTimeout)
		}
		g.card.Output = t.proc.Output() // its own log may say more
	}
	// Every request counts against the limit, those of fresh and scaling too.
	requests := []check.Requests{{Counts: dataCounts(stats), Notices: mostNotices(stats), Unread: !g.answersWrong && dataSince(t.trace, proxy.Mark{}) == 0}}
	g.card.Checks = append(g.card.Checks, correct, check.Statements(g.ch.Limits.Statements, requests...), latency)
	g.card.Metrics.Timeline = timeline(stats[busiest])
	g.card.Shapes = check.Shapes(stats[busiest].statements)
	var catalog []proxy.Statement
	for _, s := range stats {
		for _, st := range s.statements {
			if st.Catalog {
				catalog = append(catalog, st)
			}
		}
	}
	g.card.Overhead = check.Shapes(catalog)
	g.card.Findings = append(check.NPlusOne(stats[busiest].statements), check.OverFetch(stats[busiest].statements)...)
	if c := g.card.Check("statements"); c != nil && c.Status == reports.Fail {
		g.progress("statements of the busiest request:\n%s", check.Listing(stats[busiest].statements))
	}
	g.progress("measure: %s, %s, p95 %.1f ms", reports.Count(m.Statements, "data statement"), reports.Count(m.RoundTrips, "round trip"), m.Latency.P95)

	readOnly.verify(ctx, db, "while the solution started and answered the timed requests")

	// Fresh and scaling count statements; they need no simulated network.
	t.proxy.SetRTT(0)
	fresh, ok := g.fresh(ctx, db, t, readOnly, responses[len(responses)-1].Body)
	if !ok {
		return
	}
	sizes, ok := g.scaling(ctx, db, t, readOnly)
	if !ok {
		return
	}
	requests = append(append(requests, fresh), sizes...)
	*g.card.Check("statements") = check.Statements(g.ch.Limits.Statements, requests...)
	stmts, _ := t.trace.Since(proxy.Mark{})
	g.card.Checks = append(g.card.Checks, readOnly.result(stmts))
	// Wrong answers from a dead database are not the learner's.
	g.databaseDown(ctx)
}

// creditOnlyCorrect is applied to the card of a solution whose answers
// were wrong from the start (at the challenge's size and seed), or did not
// follow a change of the data: it marks as skipped the checks that passed,
// as few statements or a low latency prove nothing of a program that does
// not answer (a 500 makes no statements at all) or answers from a cache,
// and scores must not credit them; wrongFromTheStart says which. Their
// failures stay: they are findings. The fresh check says nothing when the
// answers were wrong before the data changed, so it is skipped then.
func creditOnlyCorrect(card *reports.Card, wrongFromTheStart bool) {
	why := "as the answers came from a cache (see fresh)"
	if wrongFromTheStart {
		why = "as the answers were wrong"
	}
	for i := range card.Checks {
		c := &card.Checks[i]
		switch {
		case c.Name == "fresh" && wrongFromTheStart && c.Status != reports.Error:
			c.Status, c.Message = reports.Skipped, "not judged: the answers were already wrong before the data changed"
		case c.Name != "correct" && c.Name != "fresh" && c.Status == reports.Pass:
			c.Status, c.Message = reports.Skipped, "not judged, "+why+": "+c.Message
		}
	}
}

// fresh changes the data (a different seed, through the grader's own
// connection) and checks that the response follows; before is the body
// answered before the change, which an unchanged answer repeats.
func (g *grade) fresh(ctx context.Context, db *database, t *target, ro *readOnlyCheck, before []byte) (check.Requests, bool) {
	g.phase("fresh")
	seed := g.opts.Seed%MaxSeed + 1
	want, err := db.reseed(ctx, g.ch, seed, g.size)
	if err != nil {
		g.machineError(err)
		return check.Requests{}, false
	}
	ro.reset(ctx, db)
	mark := t.trace.Mark()
	responses, stats, ok := g.send(ctx, t, 1, "fresh", nil)
	if !ok {
		return check.Requests{}, false
	}
	c := check.Correct(want, g.ch.Endpoint.Path, responses)
	c.Name = "fresh"
	unchanged := len(responses) > 0 && bytes.Equal(responses[0].Body, before)
	switch {
	case c.Status == reports.Pass:
		c.Message = "the response followed a change of the data between requests"
	case c.Status == reports.Fail && unchanged:
		c.Message = "after the grader changed the data between two requests, the response stayed the same (is it cached?): " + c.Message
		g.stale = true
	case c.Status == reports.Fail:
		c.Message = fmt.Sprintf("after the grader changed the data between two requests (seed %d), the answer was wrong: %s", seed, c.Message)
	}
	g.card.Checks = append(g.card.Checks, c)
	ro.verify(ctx, db, "during the fresh check")
	unread := c.Status == reports.Pass && dataSince(t.trace, mark) == 0
	return check.Requests{When: "after the grader changed the data", Counts: dataCounts(stats), Notices: mostNotices(stats), Unread: unread}, true
}

// scaling measures the data statements per request at each of the
// challenge's other sizes; the count must not grow with the data, nor pass
// the limit. It returns the requests it sent, for the statements check.
func (g *grade) scaling(ctx context.Context, db *database, t *target, ro *readOnlyCheck) ([]check.Requests, bool) {
	g.phase("scaling")
	sizes := append([]int{g.size}, g.ch.Scaling...)
	slices.Sort(sizes)
	sizes = slices.Compact(sizes)
	var per []reports.SizeStatements
	var requests []check.Requests
	var wrong []string
	for _, size := range sizes {
		want, err := db.reseed(ctx, g.ch, g.opts.Seed, size)
		if err != nil {
			g.machineError(err)
			return nil, false
		}
		ro.reset(ctx, db)
		mark := t.trace.Mark()
		responses, stats, ok := g.send(ctx, t, 2, "scaling", nil)
		if !ok {
			return nil, false
		}
		n := max(stats[0].data, stats[1].data)
		per = append(per, reports.SizeStatements{Size: size, Statements: n})
		c := check.Correct(want, g.ch.Endpoint.Path, responses)
		if c.Status != reports.Pass {
			wrong = append(wrong, fmt.Sprintf("at %d rows: %s", size, c.Message))
		}
		// At the grade's own size the data is again what the timed
		// requests read: what they kept may answer it without a statement.
		unread := size != g.size && c.Status == reports.Pass && dataSince(t.trace, mark) == 0
		requests = append(requests, check.Requests{When: fmt.Sprintf("at %d rows", size), Counts: dataCounts(stats), Notices: mostNotices(stats), Unread: unread})
		ro.verify(ctx, db, fmt.Sprintf("at %d rows", size))
		g.progress("scaling: %d rows: %s", size, reports.Count(n, "data statement"))
	}
	g.card.Metrics.Scaling = per
	scaled := check.Scaling(per, g.ch.Limits.Statements)
	if len(wrong) > 0 {
		// Counts of wrong answers prove nothing of how a fix scales.
		if scaled.Status == reports.Pass && !g.answersWrong { // else creditOnlyCorrect says why
			scaled.Status, scaled.Message = reports.Skipped, "not judged, as the answers were wrong at some sizes: "+scaled.Message
		}
		if c := g.card.Check("correct"); c != nil && c.Status == reports.Pass {
			c.Status = reports.Fail
			c.Message = strings.Join(wrong, "; ")
		}
	}
	g.card.Checks = append(g.card.Checks, scaled)
	return requests, true
}

// dataCounts is each request's data statements.
// timeline puts a request's statements on a time axis, from the moment it
// was sent.
func timeline(s requestStats) *reports.Timeline {
	round := func(d time.Duration) float64 { return math.Round(millis(d)*100) / 100 }
	tl := &reports.Timeline{TotalMS: round(s.elapsed)}
	for _, st := range s.statements {
		if len(tl.Statements) == reports.MaxSpans {
			if st.Data {
				tl.Omitted++
			}
			continue
		}
		start := max(st.Start.Sub(s.start), 0)
		tl.Statements = append(tl.Statements, reports.Span{StartMS: round(start), DurationMS: round(st.Duration), Data: st.Data})
	}
	return tl
}

// mostNotices is the most notices the server sent in one of the requests.
func mostNotices(stats []requestStats) int {
	most := 0
	for _, s := range stats {
		most = max(most, s.notices)
	}
	return most
}

func dataCounts(stats []requestStats) []int {
	counts := make([]int, len(stats))
	for i, s := range stats {
		counts[i] = s.data
	}
	return counts
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
