package grader

import (
	"slices"

	"github.com/nplus1/nplus1/grader/check"
	"github.com/nplus1/nplus1/grader/proxy"
	"github.com/nplus1/nplus1/reports"
)

// assemble completes the grade's card, once, from what was measured: the
// checks check.Judge makes of it, the figures of the timed requests (the
// busiest one's shapes, findings and timeline), the baseline, the
// solution's output, and the verdict. A machine's failure makes the grade
// an error. (The card's skeleton, with the environment and the phases'
// times, is filled as the steps learn them.)
func (g *grade) assemble(m check.Measurement) {
	c := g.card
	if g.sandboxed != "" {
		c.Environment.Sandbox = g.sandboxed
	}
	c.Baseline = g.before
	limits := g.limits()
	c.Checks = check.Judge(m, limits)
	if reqs := m.Timed.Requests; len(reqs) > 0 {
		c.Metrics = check.Metrics(reqs, m.Warm)
		if r := m.Retimed; r != nil && check.Correct(m.Timed.Want, limits.Rows, responsesOf(r.Requests)).Status == reports.Pass {
			_, c.Metrics.Latency = check.Latency(elapsedOf(r.Requests), limits.P95, limits.RTT) // the second timing stands
		}
	}
	if m.Answered {
		busiest := check.Busiest(m.Timed.Requests)
		c.Metrics.Timeline = timeline(busiest)
		c.Shapes = check.Shapes(busiest.Statements)
		c.Overhead = check.Shapes(catalogOf(m))
		c.Findings = append(check.NPlusOne(busiest.Statements), check.OverFetch(busiest.Statements)...)
		if s := c.Check("statements"); s != nil && s.Status == reports.Fail {
			g.progress("statements of the busiest request:\n%s", check.Listing(busiest.Statements))
		}
		if check.AnswersWrong(m, limits) {
			c.Output = m.Output
		}
	}
	if m.Scaling != nil {
		c.Metrics.Scaling = check.ScalingCounts(m.Scaling)
	}
	for _, f := range m.Failures {
		switch f.Fault {
		case check.Learner:
			c.Output = f.Output
		case check.Machine:
			if f.Output != "" {
				c.Output = f.Output
			}
			c.Verdict, c.Error = reports.Error, f.Message
		}
	}
	c.Decide()
}

// catalogOf is the statements of the timed requests (timed twice: both
// times) that read only the system catalogs: the driver's overhead.
func catalogOf(m check.Measurement) []proxy.Statement {
	reqs := m.Timed.Requests
	if m.Retimed != nil {
		reqs = append(slices.Clone(reqs), m.Retimed.Requests...)
	}
	var catalog []proxy.Statement
	for _, r := range reqs {
		for _, st := range r.Statements {
			if st.Catalog {
				catalog = append(catalog, st)
			}
		}
	}
	return catalog
}
