package grader

import (
	"runtime"
	"slices"
	"strings"

	"github.com/nplus1/nplus1/grader/check"
	"github.com/nplus1/nplus1/grader/proxy"
	"github.com/nplus1/nplus1/reports"
)

// assemble makes the grade's card, once, from the grade's settings, what
// the steps learned of the run (the environment, the phases' times), and
// what was measured: the checks check.Judge makes of it, the figures of
// the timed requests (the busiest one's shapes, findings and timeline),
// the baseline, the solution's output, and the verdict. A machine's
// failure makes the grade an error.
func (g *grade) assemble(m check.Measurement) *reports.Card {
	c := &reports.Card{
		SchemaVersion: reports.SchemaVersion,
		Tool:          reports.Tool{Name: "nplus1", Version: g.opts.Version},
		GradedAt:      g.began.UTC(),
		Challenge: reports.Challenge{
			ID: g.ch.ID, Title: g.ch.Title, Digest: digestFS(g.ch.FS),
			MaxStatements: g.ch.Limits.Statements, P95BudgetMS: millis(g.ch.Limits.P95),
		},
		Solution: reports.Solution{Path: g.opts.Solution, Language: g.sol.Language, Digest: g.solDigest, Idioms: findIdioms(g.sources)},
		Environment: reports.Environment{
			Provider: g.opts.Provider.Name(), PostgresVersion: g.postgresVersion, RTTMS: millis(g.rtt),
			Seed: g.opts.Seed, Size: g.size, DataDigest: g.dataDigest, OS: runtime.GOOS, Arch: runtime.GOARCH,
			MemoryLimitBytes: g.opts.MemoryLimit, Sandbox: g.sandbox,
		},
		Phases:    g.phases,
		Reproduce: reproduce(g.opts, g.ch, g),
		Baseline:  g.before,
	}
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
		g.stackFix(c.Findings, c.Shapes)
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
	return c
}

// stackFix adds to each N+1 finding where the solution's code writes the
// repeated statement, when it is there to find, and, for a read, the fix
// that the brief names for the solution's stack (an ORM's eager load,
// where the SQL advice alone would send its learner to write SQL by hand).
func (g *grade) stackFix(findings []reports.Finding, shapes []reports.Shape) {
	name, fix := g.ch.StackFix(g.sol.Language)
	for i, f := range findings {
		if f.Kind != "n+1" {
			continue
		}
		example := ""
		if at := slices.IndexFunc(shapes, func(s reports.Shape) bool { return s.Fingerprint == f.Fingerprint }); at >= 0 {
			example = shapes[at].Example
		}
		if where := sentFrom(g.sources, example, f.Normalized); where != "" {
			findings[i].Message += "; it is sent from " + where
		}
		if fix != "" && !strings.HasPrefix(f.Normalized, "insert") {
			findings[i].Message += "; the brief's fix for " + name + ": " + fix
		}
	}
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
