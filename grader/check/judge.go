package check

import (
	"bytes"
	"fmt"
	"math"
	"strings"

	"github.com/nplus1/nplus1/grader/proxy"
	"github.com/nplus1/nplus1/reports"
)

// Borderline is how far over its budget a p95 may be and still be timed
// once more before it fails: noise, not an N+1, puts a fix there.
const Borderline = 1.5

// Judge makes the checks of a measured solution, in the card's order:
// correct, statements, latency, fresh, scaling, read-only, as far as the
// measuring went, and the checks the learner's Failures fail (a check of
// the same name replaced in place). It holds the
// rules that cross checks:
//
//   - right answers first: when the answers were wrong, or came from a
//     cache (fresh found them unchanged), the checks that passed are
//     skipped (see creditOnlyCorrect);
//   - scaling is not judged on answers wrong at some size, and those fail
//     correct;
//   - every request counts against the statement limit, those of fresh and
//     scaling too, and right answers with no data statement through the
//     proxy fail it;
//   - a p95 just over the budget stands on its second timing when that
//     one's answers are right too.
func Judge(m Measurement, l Limits) []reports.Check {
	var checks []reports.Check
	if m.Answered {
		checks = judgeTimed(m, l)
		if m.Fresh != nil {
			checks = append(checks, judgeFresh(*m.Fresh, l))
		}
		if m.Scaling != nil {
			checks = append(checks, judgeScaling(m, l, checks))
			requests := []Requests{timedRequests(m, l)}
			if m.Fresh != nil {
				requests = append(requests, freshRequests(*m.Fresh, l))
			}
			requests = append(requests, scalingRequests(m, l)...)
			replace(&checks, Statements(l.Statements, requests...))
		}
		if m.ReadOnly != nil {
			checks = append(checks, ReadOnly(m.ReadOnly.Changed, m.ReadOnly.Err, m.ReadOnly.Statements))
		}
	}
	for _, f := range m.Failures {
		if f.Fault == Learner {
			replace(&checks, reports.Check{Name: f.Check, Status: reports.Fail, Message: f.Message})
		}
	}
	switch {
	case !m.Answered:
	case AnswersWrong(m, l):
		creditOnlyCorrect(checks, true)
	case m.Fresh != nil && stale(*m.Fresh, l):
		creditOnlyCorrect(checks, false)
	}
	return checks
}

// AnswersWrong says whether the timed requests were answered wrong (a
// wrong Content-Type aside): then the card shows the solution's output.
func AnswersWrong(m Measurement, l Limits) bool {
	return m.Answered && Correct(m.Timed.Want, l.Rows, responses(m.Timed.Requests)).Status == reports.Fail
}

// replace puts c in place of the check of its name, or appends it.
func replace(checks *[]reports.Check, c reports.Check) {
	for i := range *checks {
		if (*checks)[i].Name == c.Name {
			(*checks)[i] = c
			return
		}
	}
	*checks = append(*checks, c)
}

// judgeTimed makes correct, statements (of the timed requests alone) and
// latency.
func judgeTimed(m Measurement, l Limits) []reports.Check {
	reqs := m.Timed.Requests
	timed := reqs[min(m.Warm, len(reqs)):]
	latency, _ := Latency(elapsed(timed), l.P95, l.RTT)
	if m.StoppedEarly {
		rank := int(math.Ceil(0.95 * float64(m.Planned)))
		latency.Message += fmt.Sprintf("; stopped after %d of %d timed requests, as %d over budget already fail the p95", len(timed), m.Planned, m.Planned-rank+1)
	}
	correct := Correct(m.Timed.Want, l.Rows, responses(reqs))
	all := reqs
	if r := m.Retimed; r != nil {
		all = append(append([]Request(nil), reqs...), r.Requests...)
		if Correct(m.Timed.Want, l.Rows, responses(r.Requests)).Status == reports.Pass {
			first := latency.Value
			latency, _ = Latency(elapsed(r.Requests), l.P95, l.RTT)
			timed = r.Requests
			latency.Message += fmt.Sprintf("; timed twice, as the first p95 (%.1f ms) was just over the budget", *first)
		}
	}
	if latency.Status == reports.Fail {
		latency.Message += slowBecause(timed)
	}
	wrong := correct.Status == reports.Fail
	if msg := ContentType(responses(reqs)); msg != "" && !wrong {
		// Right data with the wrong header: the other checks still stand.
		correct.Status, correct.Message = reports.Fail, msg
	}
	if wrong {
		var stmts []proxy.Statement
		for _, r := range all {
			stmts = append(stmts, r.Statements...)
		}
		refused := Refusals(stmts)
		correct.Message += refused
		if refused == "" && serverError(all) {
			correct.Message += OutputTail(m.Output, 3)
		}
		if m.Cancelled > 0 {
			correct.Message += fmt.Sprintf("; the grader cancelled %s that ran past the statement timeout of %s", reports.Count(m.Cancelled, "statement"), l.StatementTimeout)
		}
	}
	return []reports.Check{correct, Statements(l.Statements, timedRequests(m, l)), latency}
}

// timedRequests are the timed requests (retimed too) for the statements
// check.
func timedRequests(m Measurement, l Limits) Requests {
	all := m.Timed.Requests
	if m.Retimed != nil {
		all = append(append([]Request(nil), all...), m.Retimed.Requests...)
	}
	unread := !AnswersWrong(m, l) && m.Timed.DataSince == 0
	return Requests{Counts: dataCounts(all), Notices: mostNotices(all), Unread: unread}
}

// slowBecause says what made the slowest timed request slow: its round
// trips, and the connections the solution opened per request.
func slowBecause(timed []Request) string {
	if len(timed) == 0 {
		return ""
	}
	slowest, connecting := timed[0], 0
	for _, r := range timed {
		if r.Elapsed > slowest.Elapsed {
			slowest = r
		}
		if r.NewConns > 0 {
			connecting++
		}
	}
	why := fmt.Sprintf("; the slowest request took %.1f ms over %s", float64(slowest.Elapsed)/1e6, reports.Count(slowest.RoundTrips, "round trip"))
	if connecting > 0 {
		why += fmt.Sprintf("; %d of the %d timed requests opened a new database connection, which costs several round trips: keep one connection (or a pool) for the whole server", connecting, len(timed))
	}
	return why
}

// stale says whether the fresh request's answer was wrong and byte for byte
// the one before the data changed: the counts and timings measured a cache.
func stale(f FreshRun, l Limits) bool {
	r := responses(f.Requests)
	return Correct(f.Want, l.Rows, r).Status == reports.Fail && len(r) > 0 && bytes.Equal(r[0].Body, f.Before)
}

// judgeFresh makes the fresh check.
func judgeFresh(f FreshRun, l Limits) reports.Check {
	c := Correct(f.Want, l.Rows, responses(f.Requests))
	c.Name = "fresh"
	switch {
	case c.Status == reports.Pass:
		c.Message = "the response followed a change of the data between requests"
	case stale(f, l):
		c.Message = "after the grader changed the data between two requests, the response stayed the same (is it cached?): " + c.Message
	case c.Status == reports.Fail:
		c.Message = fmt.Sprintf("after the grader changed the data between two requests (seed %d), the answer was wrong: %s", f.Seed, c.Message)
	}
	return c
}

func freshRequests(f FreshRun, l Limits) Requests {
	unread := Correct(f.Want, l.Rows, responses(f.Requests)).Status == reports.Pass && f.DataSince == 0
	return Requests{When: "after the grader changed the data", Counts: dataCounts(f.Requests), Notices: mostNotices(f.Requests), Unread: unread}
}

// ScalingCounts is the data statements per request at each size: the most
// of the requests at it.
func ScalingCounts(runs []SizeRun) []reports.SizeStatements {
	var per []reports.SizeStatements
	for _, s := range runs {
		per = append(per, reports.SizeStatements{Size: s.Size, Statements: slicesMax(dataCounts(s.Requests))})
	}
	return per
}

// judgeScaling makes the scaling check; answers wrong at some size fail
// the correct check among checks, if it passed.
func judgeScaling(m Measurement, l Limits, checks []reports.Check) reports.Check {
	var wrong []string
	for _, s := range m.Scaling {
		if c := Correct(s.Want, l.Rows, responses(s.Requests)); c.Status != reports.Pass {
			wrong = append(wrong, fmt.Sprintf("at %d rows: %s", s.Size, c.Message))
		}
	}
	scaled := Scaling(ScalingCounts(m.Scaling), l.Statements)
	if len(wrong) > 0 {
		// Counts of wrong answers prove nothing of how a fix scales.
		if scaled.Status == reports.Pass && !AnswersWrong(m, l) { // else creditOnlyCorrect says why
			scaled.Status, scaled.Message = reports.Skipped, "not judged, as the answers were wrong at some sizes: "+scaled.Message
		}
		for i := range checks {
			if c := &checks[i]; c.Name == "correct" && c.Status == reports.Pass {
				c.Status, c.Message = reports.Fail, strings.Join(wrong, "; ")
			}
		}
	}
	return scaled
}

func scalingRequests(m Measurement, l Limits) []Requests {
	var out []Requests
	for _, s := range m.Scaling {
		// At the grade's own size the data is again what the timed
		// requests read: what they kept may answer it without a statement.
		unread := s.Size != m.Size && Correct(s.Want, l.Rows, responses(s.Requests)).Status == reports.Pass && s.DataSince == 0
		out = append(out, Requests{When: fmt.Sprintf("at %d rows", s.Size), Counts: dataCounts(s.Requests), Notices: mostNotices(s.Requests), Unread: unread})
	}
	return out
}

// creditOnlyCorrect is applied to the checks of a solution whose answers
// were wrong from the start (at the challenge's size and seed), or did not
// follow a change of the data: it marks as skipped the checks that passed,
// as few statements or a low latency prove nothing of a program that does
// not answer (a 500 makes no statements at all) or answers from a cache,
// and scores must not credit them; wrongFromTheStart says which. Their
// failures stay: they are findings. The fresh check says nothing when the
// answers were wrong before the data changed, so it is skipped then.
func creditOnlyCorrect(checks []reports.Check, wrongFromTheStart bool) {
	why := "as the answers came from a cache (see fresh)"
	if wrongFromTheStart {
		why = "as the answers were wrong"
	}
	for i := range checks {
		c := &checks[i]
		switch {
		case c.Name == "fresh" && wrongFromTheStart && c.Status != reports.Error:
			c.Status, c.Message = reports.Skipped, "not judged: the answers were already wrong before the data changed"
		case c.Name != "correct" && c.Name != "fresh" && c.Status == reports.Pass:
			c.Status, c.Message = reports.Skipped, "not judged, "+why+": "+c.Message
		}
	}
}

func responses(reqs []Request) []Response {
	out := make([]Response, len(reqs))
	for i, r := range reqs {
		out[i] = r.Response
	}
	return out
}

func dataCounts(reqs []Request) []int {
	counts := make([]int, len(reqs))
	for i, r := range reqs {
		counts[i] = r.Data
	}
	return counts
}

// mostNotices is the most notices the server sent in one of the requests.
func mostNotices(reqs []Request) int {
	most := 0
	for _, r := range reqs {
		most = max(most, r.Notices)
	}
	return most
}

func slicesMax(ns []int) int {
	most := 0
	for _, n := range ns {
		most = max(most, n)
	}
	return most
}
